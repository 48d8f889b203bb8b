//! Update and upsert: `PATCH /{entityset}(key)`.
//!
//! | headers | record exists | record missing |
//! |---|---|---|
//! | none | update, 204 | create, 204 |
//! | `If-Match: *` | update | 404 |
//! | `If-Match: W/"n"` | update if the version matches, else 412 | 404 |
//! | `If-None-Match: *` | 412 | create |
//!
//! Every success carries `OData-EntityId`; with `return=representation` an update
//! answers 200 and a create 201, with the record.

use http::StatusCode;

use crate::error::{Code, Error, Result};
use crate::route::RecordPath;
use crate::wire::headers::{self, Condition};
use crate::wire::input;
use crate::wire::response::Reply;

use super::target::{self, Key, Locator};
use super::{write, Ctx};

pub(super) fn apply(ctx: &Ctx<'_, '_>, record: &RecordPath) -> Result<Reply> {
    let entity = &record.entity;
    let select = ctx.select(entity)?;
    let if_match = headers::condition(ctx.headers, "if-match")?;
    let if_none_match = headers::condition(ctx.headers, "if-none-match")?;
    let input = input::decode_entity(&ctx.metadata, entity, ctx.body)?;
    let locator = Locator { entity: entity.logical_name.clone(), key: record.key.clone() };
    let w = ctx.writer();
    let (row, created) = ctx.access.write(|tx| {
        let current = target::resolve(tx.state(), &locator).and_then(|id| tx.state().get(&entity.logical_name, id).cloned());
        match current {
            Some(current) => {
                if if_none_match == Some(Condition::Any) {
                    return Err(Error::new(Code::DuplicateRecord, "A record with matching key values already exists."));
                }
                if let Some(Condition::Version(v)) = if_match {
                    if v != current.version {
                        return Err(Error::new(
                            Code::ConcurrencyVersionMismatch,
                            "The version of the existing record doesn't match the RowVersion property provided.",
                        ));
                    }
                }
                Ok((write::update(tx, &w, entity, &current, input)?, false))
            }
            None => {
                if if_match.is_some() {
                    return Err(target::not_found(&locator));
                }
                let row = match &record.key {
                    Key::Id(id) => write::create(tx, &w, entity, Some(*id), input)?,
                    Key::Alternate { columns, .. } => write::create_with(tx, &w, entity, None, input, columns.clone())?,
                };
                Ok((row, true))
            }
        }
    })?;
    let entity_id = ctx.entity_id(entity, row.id);
    if !ctx.prefs.return_representation {
        return Ok(Reply::empty(StatusCode::NO_CONTENT).header("odata-entityid", entity_id));
    }
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    super::retrieve::representation(ctx, entity, &row, select.as_deref(), status).map(|r| r.header("odata-entityid", entity_id))
}
