//! RetrieveMultiple: `GET /{entityset}`, `GET /{entityset}/$count`, and collection-valued
//! navigation (`GET /accounts(id)/contact_customer_accounts`), through the query engine.

use std::collections::HashSet;
use std::sync::Arc;

use http::StatusCode;
use serde_json::Value as Json;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::metadata::{EntityDef, Metadata, Navigation};
use crate::query::execute::execute;
use crate::query::plan::MAX_PAGE;
use crate::query::predicate::Predicate;
use crate::query::QueryPlan;
use crate::store::{Record, State};
use crate::wire::response::Reply;

use super::Ctx;

const TOTAL_RECORD_COUNT: &str = "Microsoft.Dynamics.CRM.totalrecordcount";
const TOTAL_RECORD_COUNT_LIMIT_EXCEEDED: &str = "Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded";

/// The link to the next page: [`link_with`] a `$skiptoken`.
pub(super) fn next_link(ctx: &Ctx<'_, '_>, token: &str) -> String {
    link_with(ctx, "$skiptoken", token)
}

/// The request's own URL and options, without `$skiptoken`, `$deltatoken` and `$count` (as
/// the service drops them), plus `option=token` (already URL-encoded): a next page's link,
/// or a change-tracking delta link.
pub(super) fn link_with(ctx: &Ctx<'_, '_>, option: &str, token: &str) -> String {
    let kept: Vec<&str> = ctx
        .raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let name = p.split('=').next().unwrap_or("");
            let name = percent_encoding::percent_decode_str(name).decode_utf8_lossy();
            !matches!(name.as_ref(), "$skiptoken" | "$deltatoken" | "$count")
        })
        .collect();
    let mut query = kept.join("&");
    if !query.is_empty() {
        query.push('&');
    }
    format!("{}{}?{query}{option}={token}", ctx.root, ctx.raw_path)
}

fn collection_reply(ctx: &Ctx<'_, '_>, entity: Arc<EntityDef>, state: &State, base: Option<Predicate>) -> Result<Reply> {
    if let Some(xml) = super::fetch::fetch_xml(ctx) {
        if base.is_some() {
            return Err(Error::new(crate::error::Code::BadRequest, "The fetchXml query parameter applies to an entity set, not to a navigation property."));
        }
        return super::fetch::reply(ctx, &entity, state, xml);
    }
    if let Some(text) = super::fetch::sql(ctx) {
        if base.is_some() {
            return Err(Error::new(crate::error::Code::BadRequest, "The sql query parameter applies to an entity set, not to a navigation property."));
        }
        return super::fetch::sql_reply(ctx, &entity, state, text);
    }
    ctx.refuse_unimplemented_options()?;
    if let Some(token) = &ctx.query.deltatoken {
        if base.is_some() {
            return Err(Error::new(crate::error::Code::BadRequest, "Change tracking applies to an entity set, not to a navigation property."));
        }
        return super::track_changes::delta_reply(ctx, &entity, state, token);
    }
    // `Prefer: odata.track-changes` on an entity set: the last page carries a delta link.
    let tracking = ctx.prefs.track_changes && base.is_none() && ctx.query.apply.is_none();
    if tracking {
        super::track_changes::refuse_options(ctx)?;
    }
    if let Some(text) = &ctx.query.apply {
        return aggregate_reply(ctx, entity, state, base, text);
    }
    let select = ctx.select(&entity)?;
    let plan = QueryPlan::from_options(&ctx.scope(state), entity.clone(), &ctx.query, ctx.prefs.max_page_size, base)?;
    let expands = ctx.expands(state, &entity)?;
    let page = execute(&plan, &ctx.metadata, state);
    let renderer = ctx.renderer(state);
    let mut body = serde_json::Map::new();
    body.insert("@odata.context".into(), Json::String(ctx.context_target_expanded(&entity.entity_set_name, select.as_deref(), &expands)));
    if plan.count {
        body.insert("@odata.count".into(), Json::from(page.total.min(MAX_PAGE)));
    }
    if let Some(filter) = ctx.prefs.annotations() {
        if filter.wants(TOTAL_RECORD_COUNT) {
            let total = if plan.count { i64::try_from(page.total).unwrap_or(i64::MAX) } else { -1 };
            body.insert(format!("@{TOTAL_RECORD_COUNT}"), Json::from(total));
        }
        if filter.wants(TOTAL_RECORD_COUNT_LIMIT_EXCEEDED) {
            body.insert(format!("@{TOTAL_RECORD_COUNT_LIMIT_EXCEEDED}"), Json::Bool(plan.count && page.total > MAX_PAGE));
        }
    }
    let value: Vec<Json> = page
        .rows
        .iter()
        .map(|r| Json::Object(renderer.entity_expanded(&ctx.root, &entity, r, select.as_deref(), &expands)))
        .collect();
    body.insert("value".into(), Json::Array(value));
    if let Some(token) = &page.next {
        body.insert("@odata.nextLink".into(), Json::String(next_link(ctx, token)));
    } else if tracking {
        body.insert("@odata.deltaLink".into(), Json::String(super::track_changes::delta_link(ctx, state)));
    }
    let mut applied = ctx.prefs.applied_with_paging(false, true);
    if tracking {
        applied = Some(applied.map_or_else(|| "odata.track-changes".to_string(), |a| format!("{a},odata.track-changes")));
    }
    Ok(Reply::json(StatusCode::OK, &Json::Object(body)).header_opt("preference-applied", applied))
}

/// `$apply`: aggregates over the rows `$filter` matches; the context is the bare set.
fn aggregate_reply(ctx: &Ctx<'_, '_>, entity: Arc<EntityDef>, state: &State, base: Option<Predicate>, text: &str) -> Result<Reply> {
    let scope = ctx.scope(state);
    let apply = crate::query::aggregate::resolve(&scope, &entity, text)?;
    if let Some(orderby) = &ctx.query.orderby {
        for item in odata_parser::parse_orderby(orderby)? {
            if let odata_parser::ast::OrderByExpr::Member(m) = &item.expr {
                if m.segments.len() == 1 && apply.is_alias(&m.segments[0]) {
                    return Err(Error::new(crate::error::Code::BadRequest, "The query node SingleValueOpenPropertyAccess is not supported"));
                }
            }
        }
    }
    let plan = QueryPlan::from_options(&scope, entity.clone(), &ctx.query, None, base)?;
    let rows: Vec<&Arc<Record>> = state
        .table(&entity.logical_name)
        .into_iter()
        .flat_map(|t| t.rows())
        .filter(|r| plan.predicate.matches(state, &entity.logical_name, r))
        .collect();
    let value = apply.run(state, &entity.logical_name, &rows)?;
    let body = serde_json::json!({ "@odata.context": ctx.context_target(&entity.entity_set_name, None), "value": value });
    Ok(Reply::json(StatusCode::OK, &body))
}

pub(super) fn apply(ctx: &Ctx<'_, '_>, entity: &Arc<EntityDef>) -> Result<Reply> {
    let state = ctx.access.read();
    collection_reply(ctx, entity.clone(), &state, None)
}

/// `GET /accounts/$count`: a bare number, `text/plain`, capped at 5000 as the service does.
pub(super) fn count(ctx: &Ctx<'_, '_>, entity: &Arc<EntityDef>) -> Result<Reply> {
    ctx.refuse_unimplemented_options()?;
    let state = ctx.access.read();
    if let Some(token) = &ctx.query.deltatoken {
        return super::track_changes::delta_count(entity, &state, token);
    }
    let plan = QueryPlan::from_options(&ctx.scope(&state), entity.clone(), &ctx.query, None, None)?;
    let n = crate::query::execute::count(&plan, &ctx.metadata, &state);
    Ok(Reply::text(StatusCode::OK, n.min(MAX_PAGE).to_string()))
}

/// `GET /accounts(id)/contact_customer_accounts/$count`: a bare number, like `/$count`.
pub(super) fn count_related(ctx: &Ctx<'_, '_>, record: &crate::route::RecordPath, nav: &str) -> Result<Reply> {
    ctx.refuse_unimplemented_options()?;
    let state = ctx.access.read();
    let row = super::existing(&state, record)?;
    let (_, ids) = related_ids(&state, &ctx.metadata, &record.entity, &row, nav)?;
    Ok(Reply::text(StatusCode::OK, ids.len().min(MAX_PAGE).to_string()))
}

/// The table and ids of the records related through a collection-valued navigation property.
pub(super) fn related_ids(state: &State, metadata: &Metadata, entity: &EntityDef, row: &Record, nav: &str) -> Result<(String, Vec<Uuid>)> {
    use crate::query::predicate::{related_ids as ids_of, Related};
    let related = match entity.navigation(metadata, nav).ok_or_else(|| Error::segment_not_found(nav))? {
        Navigation::OneToMany(rel) => Related::OneToMany { entity: rel.referencing_entity.clone(), attribute: rel.referencing_attribute.clone() },
        Navigation::ManyToMany { rel, other } => Related::ManyToMany {
            relationship: rel.schema_name.clone(),
            other: other.to_string(),
            this_is_entity1: rel.entity1 == entity.logical_name,
        },
        Navigation::Single(_) => return Err(Error::internal("related_ids on a single-valued navigation property")),
    };
    let (table, mut ids) = ids_of(state, &related, row.id);
    ids.sort();
    Ok((table, ids))
}

/// `GET /phonecalls(id)/phonecall_activity_parties`, with the collection's query options.
pub(super) fn related_collection(ctx: &Ctx<'_, '_>, entity: &EntityDef, row: &Record, nav: &str) -> Result<Reply> {
    let metadata = ctx.metadata.clone();
    let state = ctx.access.read();
    let (child, ids) = related_ids(&state, &metadata, entity, row, nav)?;
    let child_def = metadata.entity(&child).ok_or_else(|| Error::internal("related table"))?.clone();
    let base = Predicate::IdIn(ids.into_iter().collect::<HashSet<_>>());
    collection_reply(ctx, child_def, &state, Some(base))
}
