//! RetrieveMultiple: `GET /{entityset}`, `GET /{entityset}/$count`, and collection-valued
//! navigation (`GET /accounts(id)/contact_customer_accounts`).
//!
//! This is the foundation's slice: `$select`, `$top` and `$count` over rows in primary-key
//! order (Dataverse's default order). `$filter`, `$orderby`, `$expand`, `$apply` and
//! paging belong to the query engine and are refused with a clear 501 until it lands,
//! rather than silently ignored.

use std::sync::Arc;

use http::StatusCode;
use serde_json::Value as Json;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::metadata::{EntityDef, Metadata, Navigation};
use crate::store::{Record, State};
use crate::wire::response::Reply;

use super::Ctx;

/// Dataverse never returns more than 5000 rows in one page.
const MAX_PAGE: usize = 5000;

fn rows_in_key_order(mut rows: Vec<Arc<Record>>) -> Vec<Arc<Record>> {
    rows.sort_by_key(|r| r.id);
    rows
}

fn collection_reply(ctx: &Ctx<'_>, entity: &EntityDef, rows: Vec<Arc<Record>>, state: &State) -> Result<Reply> {
    ctx.refuse_unimplemented_options()?;
    let select = ctx.select(entity)?;
    let total = rows.len();
    let limit = ctx.query.top.map_or(MAX_PAGE, |t| usize::try_from(t).unwrap_or(MAX_PAGE).min(MAX_PAGE));
    let renderer = ctx.renderer(state);
    let value: Vec<Json> = rows_in_key_order(rows)
        .iter()
        .take(limit)
        .map(|r| Json::Object(renderer.entity(entity, r, select.as_deref())))
        .collect();
    let mut body = serde_json::Map::new();
    body.insert("@odata.context".into(), Json::String(ctx.context_target(&entity.entity_set_name, select.as_deref())));
    if ctx.query.count == Some(true) {
        body.insert("@odata.count".into(), Json::from(total.min(MAX_PAGE)));
    }
    body.insert("value".into(), Json::Array(value));
    Ok(Reply::json(StatusCode::OK, &Json::Object(body)).header_opt("preference-applied", ctx.prefs.applied(false)))
}

pub(super) fn apply(ctx: &Ctx<'_>, entity: &EntityDef) -> Result<Reply> {
    let state = ctx.org.store.read();
    let rows: Vec<Arc<Record>> = state.table(&entity.logical_name).map(|t| t.rows().cloned().collect()).unwrap_or_default();
    collection_reply(ctx, entity, rows, &state)
}

/// `GET /accounts/$count`: a bare number, `text/plain`, capped at 5000 as the service does.
pub(super) fn count(ctx: &Ctx<'_>, entity: &EntityDef) -> Result<Reply> {
    ctx.refuse_unimplemented_options()?;
    let n = ctx.org.store.read().table(&entity.logical_name).map_or(0, |t| t.len());
    Ok(Reply::text(StatusCode::OK, n.min(MAX_PAGE).to_string()))
}

/// `GET /accounts(id)/contact_customer_accounts/$count`: a bare number, like `/$count`.
pub(super) fn count_related(ctx: &Ctx<'_>, record: &crate::route::RecordPath, nav: &str) -> Result<Reply> {
    ctx.refuse_unimplemented_options()?;
    let state = ctx.org.store.read();
    let row = super::existing(&state, record)?;
    let (_, ids) = related_ids(&state, &ctx.org.metadata, &record.entity, &row, nav)?;
    Ok(Reply::text(StatusCode::OK, ids.len().min(MAX_PAGE).to_string()))
}

/// The table and ids of the records related through a collection-valued navigation property.
pub(super) fn related_ids(state: &State, metadata: &Metadata, entity: &EntityDef, row: &Record, nav: &str) -> Result<(String, Vec<Uuid>)> {
    match entity.navigation(metadata, nav).ok_or_else(|| Error::segment_not_found(nav))? {
        Navigation::OneToMany(rel) => {
            let mut ids: Vec<Uuid> = state
                .table(&rel.referencing_entity)
                .into_iter()
                .flat_map(|t| t.rows())
                .filter(|r| r.get(&rel.referencing_attribute).as_ref().is_some_and(|v| v.id == row.id))
                .map(|r| r.id)
                .collect();
            ids.sort();
            Ok((rel.referencing_entity.clone(), ids))
        }
        Navigation::ManyToMany { rel, other } => {
            let this_is_1 = rel.entity1 == entity.logical_name;
            let mut ids: Vec<Uuid> = state
                .associations(&rel.schema_name)
                .filter_map(|(a, b)| if this_is_1 { (*a == row.id).then_some(*b) } else { (*b == row.id).then_some(*a) })
                .collect();
            ids.sort();
            Ok((other.to_string(), ids))
        }
        Navigation::Single(_) => Err(Error::internal("related_ids on a single-valued navigation property")),
    }
}

/// `GET /phonecalls(id)/phonecall_activity_parties`
pub(super) fn related_collection(ctx: &Ctx<'_>, entity: &EntityDef, row: &Record, nav: &str) -> Result<Reply> {
    let metadata = ctx.org.metadata.clone();
    let state = ctx.org.store.read();
    let (child, ids) = related_ids(&state, &metadata, entity, row, nav)?;
    let child_def = metadata.entity(&child).ok_or_else(|| Error::internal("related table"))?;
    let rows = ids.into_iter().filter_map(|id| state.get(&child, id).cloned()).collect();
    collection_reply(ctx, child_def, rows, &state)
}
