//! Create: `POST /{entityset}`. 204 with `OData-EntityId`, or with
//! `Prefer: return=representation` 201 and the record (honouring `$select`).

use http::StatusCode;

use crate::error::Result;
use crate::metadata::EntityDef;
use crate::wire::input;
use crate::wire::response::Reply;

use super::{write, Ctx};

pub(super) fn apply(ctx: &Ctx<'_, '_>, entity: &EntityDef) -> Result<Reply> {
    let select = ctx.select(entity)?;
    let input = input::decode_entity(&ctx.metadata, entity, ctx.body)?;
    let w = ctx.writer();
    let record = ctx.access.write(|tx| write::create(tx, &w, entity, None, input))?;
    let entity_id = ctx.entity_id(entity, record.id);
    if !ctx.prefs.return_representation {
        return Ok(Reply::empty(StatusCode::NO_CONTENT).header("odata-entityid", entity_id));
    }
    super::retrieve::representation(ctx, entity, &record, select.as_deref(), StatusCode::CREATED)
        .map(|r| r.header("odata-entityid", entity_id))
}
