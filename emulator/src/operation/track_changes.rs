//! Change tracking (Microsoft Learn, "Use change tracking to synchronize data with external
//! systems"): `Prefer: odata.track-changes` on an entity set query ends its last page with an
//! `@odata.deltaLink`; that link (`…?$deltatoken=<row version>!<MM/dd/yyyy HH:mm:ss>`) answers
//! the rows created or updated since, oldest change first, then the rows deleted since as
//! `$deletedEntity` entries, and a new delta link. `GET <set>/$count?$deltatoken=…` counts
//! them.
//!
//! The token is the org-wide row version when the link was made: every write gives its row a
//! higher version, and every delete records one with the id ([`crate::store::Table::deleted_since`]),
//! so "changed since" is a comparison. A row created and deleted in between comes back only as
//! deleted, as the service does. The changes come in one response (no paging of a delta).
//! Deletions are kept with the rows in snapshots, exports and the state file, so a delta link
//! still reports them after a restore or a restart.

use std::sync::Arc;

use http::StatusCode;
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use super::Ctx;
use crate::error::{Code, Error, Result};
use crate::metadata::EntityDef;
use crate::store::{Record, State};
use crate::wire::response::Reply;

/// The options a change-tracking query may not have, with the service's message.
pub(super) fn refuse_options(ctx: &Ctx<'_, '_>) -> Result<()> {
    let q = &ctx.query;
    let given = [("filter", q.filter.is_some()), ("orderby", q.orderby.is_some()), ("expand", q.expand.is_some()), ("top", q.top.is_some())];
    match given.iter().find(|(_, set)| *set) {
        Some((name, _)) => Err(Error::new(Code::BadRequest, format!("The \"${name}\" query parameter isn't supported when Change Tracking is enabled."))),
        None => Ok(()),
    }
}

/// The delta link for the entity set the request addressed, starting now: the request's own
/// options (`$select`) with the token instead of any paging or counting.
pub(super) fn delta_link(ctx: &Ctx<'_, '_>, state: &State) -> String {
    let now = ctx.org.clock.now();
    let stamp = format!("{:02}/{:02}/{:04} {:02}:{:02}:{:02}", u8::from(now.month()), now.day(), now.year(), now.hour(), now.minute(), now.second());
    let token = format!("{}!{stamp}", state.version()).replace('!', "%21").replace('/', "%2f").replace(' ', "%20").replace(':', "%3a");
    super::retrieve_multiple::link_with(ctx, "$deltatoken", &token)
}

/// The row version a `$deltatoken` starts from.
fn since(token: &str) -> Result<u64> {
    token
        .split_once('!')
        .map_or(token, |(version, _)| version)
        .trim()
        .parse()
        .map_err(|_| Error::new(Code::BadRequest, format!("The delta token '{token}' is not valid: use the @odata.deltaLink of an earlier change tracking request.")))
}

/// The rows of `entity` written after version `since` (oldest change first), and the ids
/// deleted after it that no row has again.
fn changes<'s>(state: &'s State, entity: &EntityDef, since: u64) -> (Vec<&'s Arc<Record>>, Vec<Uuid>) {
    let Some(table) = state.table(&entity.logical_name) else { return (Vec::new(), Vec::new()) };
    let mut changed: Vec<&Arc<Record>> = table.rows().filter(|r| r.version > since).collect();
    changed.sort_by_key(|r| r.version);
    let mut deleted: Vec<Uuid> = Vec::new();
    for (_, id) in table.deleted_since(since) {
        if state.get(&entity.logical_name, *id).is_none() && !deleted.contains(id) {
            deleted.push(*id);
        }
    }
    (changed, deleted)
}

/// `GET <set>?$deltatoken=…`: what changed since the token.
pub(super) fn delta_reply(ctx: &Ctx<'_, '_>, entity: &Arc<EntityDef>, state: &State, token: &str) -> Result<Reply> {
    refuse_options(ctx)?;
    let since = since(token)?;
    let select = ctx.select(entity)?;
    let (changed, deleted) = changes(state, entity, since);
    let renderer = ctx.renderer(state);
    let mut value: Vec<Json> = changed.iter().map(|r| Json::Object(renderer.entity_expanded(&ctx.root, entity, r, select.as_deref(), &[]))).collect();
    let deleted_context = format!("{}$metadata#{}/$deletedEntity", ctx.root, entity.entity_set_name);
    value.extend(deleted.into_iter().map(|id| {
        let mut m = Map::new();
        m.insert("@odata.context".into(), Json::String(deleted_context.clone()));
        m.insert("id".into(), Json::String(id.to_string()));
        m.insert("reason".into(), Json::String("deleted".into()));
        Json::Object(m)
    }));
    let mut body = Map::new();
    body.insert("@odata.context".into(), Json::String(format!("{}/$delta", ctx.context_target(&entity.entity_set_name, select.as_deref()))));
    body.insert("@odata.deltaLink".into(), Json::String(delta_link(ctx, state)));
    body.insert("value".into(), Json::Array(value));
    Ok(Reply::json(StatusCode::OK, &Json::Object(body)))
}

/// `GET <set>/$count?$deltatoken=…`: how many changes the delta link would answer.
pub(super) fn delta_count(entity: &EntityDef, state: &State, token: &str) -> Result<Reply> {
    let (changed, deleted) = changes(state, entity, since(token)?);
    Ok(Reply::text(StatusCode::OK, (changed.len() + deleted.len()).to_string()))
}
