//! RetrieveMultiple with FetchXML: `GET /accounts?fetchXml=<url-encoded xml>`, and with
//! SQL, `GET /accounts?sql=SELECT …`, which [`crate::sql`] turns into the FetchXML it means.
//! An SQL answer pages through `@odata.nextLink` (a `$skiptoken` carrying the FetchXML
//! paging cookie) instead of the FetchXML paging annotations.
//!
//! The query is parsed and compiled by [`crate::fetchxml`] into the shared
//! [`QueryPlan`] and run by the one executor; this file writes the FetchXML flavour of
//! the response: null columns left out, link-entity columns named `alias_x002e_column`,
//! aliased columns under their alias, and the paging annotations
//! (`fetchxmlpagingcookie`, `morerecords`) only when asked for and only when another page
//! exists — one real client keeps paging for as long as the cookie is present.

use std::collections::HashSet;
use std::sync::Arc;

use http::StatusCode;
use serde_json::{Map, Value as Json};

use super::Ctx;
use crate::error::{Code, Error, Result};
use crate::fetchxml::compile::{compile, FetchQuery};
use crate::metadata::EntityDef;
use crate::query::execute::execute;
use crate::query::join::Slots;
use crate::query::page::fetch_cookie;
use crate::query::plan::MAX_PAGE;
use crate::query::QueryPlan;
use crate::store::{Record, State, Value};
use crate::wire::headers::ATTRIBUTE_NAME;
use crate::wire::json::Renderer;
use crate::wire::response::Reply;

const PAGING_COOKIE: &str = "Microsoft.Dynamics.CRM.fetchxmlpagingcookie";
const MORE_RECORDS: &str = "Microsoft.Dynamics.CRM.morerecords";
const TOTAL_RECORD_COUNT: &str = "Microsoft.Dynamics.CRM.totalrecordcount";
const TOTAL_RECORD_COUNT_LIMIT_EXCEEDED: &str = "Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded";

/// The FetchXML text of the request, if it has one.
pub(super) fn fetch_xml<'c>(ctx: &'c Ctx<'_, '_>) -> Option<&'c str> {
    ctx.query.custom.iter().find(|(n, _)| n == "fetchXml").map(|(_, v)| v.as_str())
}

/// The SQL text of the request (`sql`), if it has one.
pub(super) fn sql<'c>(ctx: &'c Ctx<'_, '_>) -> Option<&'c str> {
    ctx.query.custom.iter().find(|(n, _)| n == "sql").map(|(_, v)| v.as_str())
}

/// Which query option a FetchXML-shaped query came from: the two page differently.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavour {
    FetchXml,
    Sql,
}

impl Flavour {
    fn option(self) -> &'static str {
        match self {
            Flavour::FetchXml => "fetchXml",
            Flavour::Sql => "sql",
        }
    }
}

/// Refuses system query options next to `fetchXml` or `sql`.
fn alone(ctx: &Ctx<'_, '_>, flavour: Flavour) -> Result<()> {
    let option = flavour.option();
    if let Some(name) = ctx.query.unsupported.first() {
        return Err(Error::new(Code::BadRequest, format!("The query parameter '${name}' can't be combined with {option}.")));
    }
    if ctx.query.filter.is_some() || ctx.query.select.is_some() || ctx.query.orderby.is_some() || ctx.query.expand.is_some() || ctx.query.top.is_some() || ctx.query.apply.is_some() {
        return Err(Error::new(Code::BadRequest, format!("The {option} query parameter can't be combined with other system query options except $count.")));
    }
    Ok(())
}

/// Answers the FetchXML query `xml` over `entity` (the addressed entity set).
pub(super) fn reply(ctx: &Ctx<'_, '_>, entity: &Arc<EntityDef>, state: &State, xml: &str) -> Result<Reply> {
    alone(ctx, Flavour::FetchXml)?;
    let fetch = crate::fetchxml::parse(xml)?;
    answer(ctx, entity, state, &fetch, Flavour::FetchXml)
}

/// Answers the SQL query `text` over `entity` (the addressed entity set), continuing from
/// the request's `$skiptoken` when it has one.
pub(super) fn sql_reply(ctx: &Ctx<'_, '_>, entity: &Arc<EntityDef>, state: &State, text: &str) -> Result<Reply> {
    alone(ctx, Flavour::Sql)?;
    let mut fetch = crate::sql::to_fetch(text, &entity.primary_id)?;
    if !fetch.entity.name.eq_ignore_ascii_case(&entity.logical_name) {
        return Err(Error::new(
            Code::BadRequest,
            format!("The table '{}' after FROM doesn't match the entity set '{}' of the request: send the query to the entity set of the table it selects from.", fetch.entity.name, entity.entity_set_name),
        ));
    }
    if let Some(token) = &ctx.query.skiptoken {
        let (page, cookie) = crate::query::page::fetch_paging(token)?;
        fetch.page = Some(page);
        fetch.paging_cookie = cookie;
    }
    answer(ctx, entity, state, &fetch, Flavour::Sql)
}

fn answer(ctx: &Ctx<'_, '_>, entity: &Arc<EntityDef>, state: &State, fetch: &crate::fetchxml::ast::Fetch, flavour: Flavour) -> Result<Reply> {
    let scope = ctx.scope(state);
    let query = compile(&scope, fetch, entity, ctx.prefs.max_page_size, ctx.query.count == Some(true))?;
    let renderer = ctx.renderer(state);
    let mut body = Map::new();
    if let Some(measures) = &query.measures {
        let matched = crate::query::execute::matching(&query.plan, &ctx.metadata, state);
        let rows: Vec<(&Arc<Record>, &Slots)> = matched.iter().map(|(r, slots)| (*r, slots)).collect();
        let name_of = |table: &str, id| renderer_name(&renderer, table, id);
        let value = crate::fetchxml::aggregate::run(state, measures, &query.alias_orders, &rows, query.aggregate_limit, scope.fiscal_start_month, ctx.prefs.annotations(), &name_of)?;
        body.insert("@odata.context".into(), Json::String(format!("{}$metadata#{}", ctx.root, entity.entity_set_name)));
        body.insert("value".into(), Json::Array(value));
        return Ok(Reply::json(StatusCode::OK, &Json::Object(body)).header_opt("preference-applied", ctx.prefs.applied_with_paging(false, false)));
    }
    let (rows, total, more, cookie) = if query.distinct { distinct_page(ctx, &query, &renderer, state) } else { plain_page(ctx, &query, &renderer, state) };
    body.insert("@odata.context".into(), Json::String(context(ctx, entity, &query)));
    if query.count {
        body.insert("@odata.count".into(), Json::from(total.min(MAX_PAGE)));
    }
    if let Some(filter) = ctx.prefs.annotations() {
        if filter.wants(TOTAL_RECORD_COUNT) {
            let n = if query.count { i64::try_from(total).unwrap_or(i64::MAX) } else { -1 };
            body.insert(format!("@{TOTAL_RECORD_COUNT}"), Json::from(n));
        }
        if filter.wants(TOTAL_RECORD_COUNT_LIMIT_EXCEEDED) {
            body.insert(format!("@{TOTAL_RECORD_COUNT_LIMIT_EXCEEDED}"), Json::Bool(query.count && total > MAX_PAGE));
        }
        if more && query.plan.top.is_none() && flavour == Flavour::FetchXml {
            if filter.wants(PAGING_COOKIE) {
                body.insert(format!("@{PAGING_COOKIE}"), Json::String(cookie.clone()));
            }
            if filter.wants(MORE_RECORDS) {
                body.insert(format!("@{MORE_RECORDS}"), Json::Bool(true));
            }
        }
    }
    body.insert("value".into(), Json::Array(rows));
    if more && query.plan.top.is_none() && flavour == Flavour::Sql {
        let token = crate::query::page::skiptoken_for_fetch(&cookie);
        body.insert("@odata.nextLink".into(), Json::String(super::retrieve_multiple::next_link(ctx, &token)));
    }
    Ok(Reply::json(StatusCode::OK, &Json::Object(body)).header_opt("preference-applied", ctx.prefs.applied_with_paging(false, true)))
}

fn renderer_name(renderer: &Renderer<'_>, table: &str, id: uuid::Uuid) -> Option<String> {
    let entity = renderer.metadata.entity(table)?;
    match renderer.state.get(table, id)?.get(entity.primary_name.as_deref()?) {
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// One page of rows, with the total, whether more rows follow, and the next cookie.
fn plain_page(ctx: &Ctx<'_, '_>, query: &FetchQuery, renderer: &Renderer<'_>, state: &State) -> (Vec<Json>, usize, bool, String) {
    let page = execute(&query.plan, &ctx.metadata, state);
    let empty = Slots::new();
    let names = attribute_names(ctx);
    let rows = page.rows.iter().enumerate().map(|(i, r)| Json::Object(row(renderer, query, r, page.links.get(i).unwrap_or(&empty), true, names))).collect();
    let bounds = page.bounds.as_ref().filter(|_| query.cookie_paging).map(|(first, last)| ((first.0.as_slice(), first.1), (last.0.as_slice(), last.1)));
    let cookie = fetch_cookie(&query.plan.order, &query.plan.entity.primary_id, query.page, bounds);
    (rows, page.total, page.more, cookie)
}

/// `distinct="true"`: rows with the same column values come back once; paged by number.
fn distinct_page(ctx: &Ctx<'_, '_>, query: &FetchQuery, renderer: &Renderer<'_>, state: &State) -> (Vec<Json>, usize, bool, String) {
    let plan = QueryPlan { top: None, page_size: usize::MAX, offset: 0, after: None, ..query.plan.clone() };
    let page = execute(&plan, &ctx.metadata, state);
    let empty = Slots::new();
    let mut seen = HashSet::new();
    let mut unique = Vec::new();
    let names = attribute_names(ctx);
    for (i, r) in page.rows.iter().enumerate() {
        let rendered = row(renderer, query, r, page.links.get(i).unwrap_or(&empty), false, names);
        if seen.insert(serde_json::to_string(&rendered).unwrap_or_default()) {
            unique.push(Json::Object(rendered));
        }
    }
    let total = unique.len();
    let size = query.plan.top.unwrap_or(query.plan.page_size);
    let start = if query.plan.top.is_some() { 0 } else { (query.page as usize - 1).saturating_mul(size) };
    let rows: Vec<Json> = unique.into_iter().skip(start).take(size).collect();
    let more = query.plan.top.is_none() && start + rows.len() < total;
    (rows, total, more, fetch_cookie(&[], &query.plan.entity.primary_id, query.page, None))
}

/// Whether the request asked for `@OData.Community.Display.V1.AttributeName` annotations.
fn attribute_names(ctx: &Ctx<'_, '_>) -> bool {
    ctx.prefs.annotations().is_some_and(|a| a.wants(ATTRIBUTE_NAME))
}

/// One result row. `identity` adds the ETag and the primary key (distinct rows have neither);
/// `names` annotates aliased and link-entity columns with the column they read.
fn row(renderer: &Renderer<'_>, query: &FetchQuery, record: &Record, slots: &Slots, identity: bool, names: bool) -> Map<String, Json> {
    let mut out = Map::with_capacity(query.columns.len() * 2 + 2);
    if identity {
        out.insert("@odata.etag".into(), Json::String(record.etag()));
    }
    for c in &query.columns {
        let source = match c.link {
            None => Some(record),
            Some(i) => slots.get(i).and_then(|s| s.as_deref()),
        };
        let (Some(source), Some(attr)) = (source, c.table.attribute(&c.attribute)) else { continue };
        if source.get(&attr.logical_name).is_null() {
            continue;
        }
        let name = if c.plain { attr.property_name() } else { c.name.as_str() };
        if names && !c.plain {
            out.insert(format!("{name}@{ATTRIBUTE_NAME}"), Json::String(attr.logical_name.clone()));
        }
        renderer.put_column(&mut out, &c.table, attr, source, name);
    }
    let entity = &query.plan.entity;
    if identity && !out.contains_key(&entity.primary_id) {
        if let Some(attr) = entity.attribute(&entity.primary_id) {
            renderer.put_column(&mut out, entity, attr, record, &entity.primary_id);
        }
    }
    out
}

/// `…/$metadata#accounts(name,accountid)`: the root table's columns plus its key.
fn context(ctx: &Ctx<'_, '_>, entity: &EntityDef, query: &FetchQuery) -> String {
    let mut names: Vec<&str> = query.columns.iter().filter(|c| c.link.is_none() && c.plain).filter_map(|c| entity.attribute(&c.attribute)).map(|a| a.property_name()).collect();
    if !names.contains(&entity.primary_id.as_str()) {
        names.push(&entity.primary_id);
    }
    format!("{}$metadata#{}({})", ctx.root, entity.entity_set_name, names.join(","))
}
