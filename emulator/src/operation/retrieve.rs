//! Retrieve: `GET /{entityset}(key)` and single- or collection-valued navigation
//! (`GET /accounts(id)/primarycontactid`, `GET /phonecalls(id)/phonecall_activity_parties`).

use http::StatusCode;
use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::metadata::{EntityDef, Navigation};
use crate::route::RecordPath;
use crate::store::Record;
use crate::wire::headers::{self, Condition};
use crate::wire::response::Reply;

use super::{existing, retrieve_multiple, Ctx};

/// A record as the response body: `@odata.context` + the rendered record, with the
/// `ETag` header and `Preference-Applied`.
pub(super) fn representation(ctx: &Ctx<'_, '_>, entity: &EntityDef, record: &Record, select: Option<&[String]>, status: StatusCode) -> Result<Reply> {
    let state = ctx.access.read();
    // $expand shapes GET and create-with-representation; an update ignores it (documented).
    let expands = if ctx.method == http::Method::PATCH { Vec::new() } else { ctx.expands(&state, entity)? };
    let mut body = serde_json::Map::new();
    body.insert("@odata.context".into(), Json::String(format!("{}/$entity", ctx.context_target_expanded(&entity.entity_set_name, select, &expands))));
    body.extend(ctx.renderer(&state).entity_expanded(&ctx.root, entity, record, select, &expands));
    drop(state);
    let returned = status == StatusCode::CREATED || ctx.method != http::Method::GET;
    Ok(Reply::json(status, &Json::Object(body))
        .header("etag", record.etag())
        .header_opt("preference-applied", ctx.prefs.applied(returned)))
}

pub(super) fn apply(ctx: &Ctx<'_, '_>, record: &RecordPath) -> Result<Reply> {
    ctx.refuse_unimplemented_options()?;
    let select = ctx.select(&record.entity)?;
    let row = existing(&ctx.access.read(), record)?;
    // 304 only when the version alone decides the answer: never with annotations.
    if let Some(Condition::Version(v)) = headers::condition(ctx.headers, "if-none-match")? {
        if v == row.version && ctx.prefs.include_annotations.is_none() && ctx.query.expand.is_none() {
            return Ok(Reply::empty(StatusCode::NOT_MODIFIED).header("etag", row.etag()));
        }
    }
    representation(ctx, &record.entity, &row, select.as_deref(), StatusCode::OK)
}

pub(super) fn related(ctx: &Ctx<'_, '_>, record: &RecordPath, nav: &str) -> Result<Reply> {
    ctx.refuse_unimplemented_options()?;
    let metadata = ctx.metadata.clone();
    let row = existing(&ctx.access.read(), record)?;
    match record.entity.navigation(&metadata, nav).ok_or_else(|| Error::segment_not_found(nav))? {
        Navigation::Single(single) => {
            let Some(target) = row.get(&single.attribute).as_ref().cloned() else {
                return Ok(Reply::empty(StatusCode::NO_CONTENT));
            };
            let entity = metadata.entity(&target.logical_name).ok_or_else(|| Error::internal("lookup target table"))?.clone();
            let select = ctx.select(&entity)?;
            let related = ctx.access.read().get(&target.logical_name, target.id).cloned();
            let related = related.ok_or_else(|| Error::not_found(&target.logical_name, target.id))?;
            representation(ctx, &entity, &related, select.as_deref(), StatusCode::OK)
        }
        _ => retrieve_multiple::related_collection(ctx, &record.entity, &row, nav),
    }
}
