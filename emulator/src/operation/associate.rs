//! References: `GET …/nav/$ref`, `POST …/collectionnav/$ref`, `PUT …/singlenav/$ref`,
//! and `DELETE …/nav/$ref`, `…/nav(id)/$ref`, `…/nav/$ref?$id=<url>`.

use http::StatusCode;
use odata_parser::ast::Parens;
use serde_json::{json, Value as Json};

use crate::error::{Code, Error, Result};
use crate::metadata::Navigation;
use crate::route::RecordPath;
use crate::wire::response::Reply;

use super::target::{self, Locator};
use super::{existing, retrieve_multiple, write, Ctx};

pub(super) fn get_ref(ctx: &Ctx<'_, '_>, record: &RecordPath, nav: &str) -> Result<Reply> {
    let metadata = ctx.metadata.clone();
    let state = ctx.access.read();
    let row = existing(&state, record)?;
    match record.entity.navigation(&metadata, nav).ok_or_else(|| Error::segment_not_found(nav))? {
        Navigation::Single(single) => {
            let Some(r) = row.get(&single.attribute).as_ref().cloned() else {
                return Ok(Reply::empty(StatusCode::NO_CONTENT));
            };
            let target = metadata.entity(&r.logical_name).ok_or_else(|| Error::internal("lookup target"))?;
            let body = json!({ "@odata.context": format!("{}$metadata#$ref", ctx.root), "@odata.id": ctx.entity_id(target, r.id) });
            Ok(Reply::json(StatusCode::OK, &body))
        }
        _ => {
            let (child, ids) = retrieve_multiple::related_ids(&state, &metadata, &record.entity, &row, nav)?;
            let child = metadata.entity(&child).ok_or_else(|| Error::internal("related table"))?;
            let value: Vec<Json> = ids.into_iter().map(|id| json!({ "@odata.id": ctx.entity_id(child, id) })).collect();
            Ok(Reply::json(StatusCode::OK, &json!({ "@odata.context": format!("{}$metadata#Collection($ref)", ctx.root), "value": value })))
        }
    }
}

/// Reads `{"@odata.id": "<url>"}` from the body.
fn body_reference(ctx: &Ctx<'_, '_>, set: &str) -> Result<Locator> {
    let body: Json = serde_json::from_slice(ctx.body)
        .map_err(|_| Error::payload(set, "Microsoft.OData.ODataException: Invalid JSON. A token was not recognized in the JSON content."))?;
    let url = body
        .get("@odata.id")
        .and_then(Json::as_str)
        .ok_or_else(|| Error::payload(set, "Microsoft.OData.ODataException: An entity reference link must have an '@odata.id' property."))?;
    target::locator_from_url(&ctx.metadata, url)
}

pub(super) fn associate(ctx: &Ctx<'_, '_>, record: &RecordPath, nav: &str) -> Result<Reply> {
    let related = body_reference(ctx, &record.entity.entity_set_name)?;
    let w = ctx.writer();
    ctx.access.write(|tx| {
        let row = existing(tx.state(), record)?;
        write::associate(tx, &w, &record.entity, row.id, nav, &related)
    })?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

pub(super) fn disassociate(ctx: &Ctx<'_, '_>, record: &RecordPath, nav: &str, related: Option<&Parens>) -> Result<Reply> {
    let metadata = ctx.metadata.clone();
    let nav_def = record.entity.navigation(&metadata, nav).ok_or_else(|| Error::segment_not_found(nav))?;
    let related_table = match &nav_def {
        Navigation::OneToMany(rel) => Some(rel.referencing_entity.clone()),
        Navigation::ManyToMany { other, .. } => Some(other.to_string()),
        Navigation::Single(_) => None,
    };
    let locator = match (related, &related_table) {
        (Some(p), Some(table)) => {
            let def = metadata.entity(table).ok_or_else(|| Error::internal("related table"))?;
            Some(Locator { entity: table.clone(), key: target::key_from_parens(def, p)? })
        }
        (None, Some(_)) => match &ctx.query.id {
            Some(url) => Some(target::locator_from_url(&metadata, url)?),
            None => {
                return Err(Error::new(Code::BadRequest, format!("The navigation property '{nav}' is collection-valued; name the related record with '{nav}(<id>)/$ref' or '$id'.")));
            }
        },
        _ => None,
    };
    let w = ctx.writer();
    ctx.access.write(|tx| {
        let row = existing(tx.state(), record)?;
        write::disassociate(tx, &w, &record.entity, row.id, nav, locator.as_ref())
    })?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}
