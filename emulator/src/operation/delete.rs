//! Delete: `DELETE /{entityset}(key)`, with optional `If-Match` concurrency.

use http::StatusCode;

use crate::error::{Code, Error, Result};
use crate::route::RecordPath;
use crate::wire::headers::{self, Condition};
use crate::wire::response::Reply;

use super::target::{self, Locator};
use super::{write, Ctx};

pub(super) fn apply(ctx: &Ctx<'_, '_>, record: &RecordPath) -> Result<Reply> {
    let entity = &record.entity;
    let if_match = headers::condition(ctx.headers, "if-match")?;
    let locator = Locator { entity: entity.logical_name.clone(), key: record.key.clone() };
    let w = ctx.writer();
    ctx.access.write(|tx| {
        let current = target::resolve(tx.state(), &locator)
            .and_then(|id| tx.state().get(&entity.logical_name, id).cloned())
            .ok_or_else(|| target::not_found(&locator))?;
        if let Some(Condition::Version(v)) = if_match {
            if v != current.version {
                return Err(Error::new(
                    Code::ConcurrencyVersionMismatch,
                    "The version of the existing record doesn't match the RowVersion property provided.",
                ));
            }
        }
        write::delete(tx, &w, entity, current.id)
    })?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}
