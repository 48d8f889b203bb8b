//! Record sharing: `GrantAccess`, `ModifyAccess`, `RevokeAccess` (actions) and
//! `RetrievePrincipalAccess`, `RetrieveSharedPrincipalsAndAccess` (functions).
//!
//! Grants are stored as Dataverse stores them, one `principalobjectaccess` row per record
//! and principal (user or team) with an `accessrightsmask` of `AccessRights` flags, so they
//! are readable at `principalobjectaccessset` too. Masks travel as the flags enum's text
//! (`"ReadAccess, WriteAccess"`). The emulator has no security roles: a principal's access
//! to a record is everything if it owns the record (a user also through a team that owns
//! it), else what was shared with it (a user also what was shared with its teams). Nothing
//! is enforced on other requests.

use std::sync::Arc;

use serde_json::{json, Map, Value as Json};
use uuid::Uuid;

use super::entity_param::{self, Named};
use super::{response, types, Binding, Call, Kind, Message, Param};
use crate::error::{Code, Error, Result};
use crate::metadata::EntityDef;
use crate::operation::{write, Ctx};
use crate::store::{Record, State, Transaction, Value};
use crate::wire::input::EntityInput;
use crate::wire::response::Reply;

const TABLE: &str = "principalobjectaccess";
const RIGHTS: &str = "mscrm.AccessRights";
/// Every right: what an owner has.
const ALL_RIGHTS: i64 = 1 | 2 | 4 | 16 | 32 | 65536 | 262144 | 524288;

const GRANT_PARAMS: &[Param] =
    &[Param { name: "Target", ty: "mscrm.crmbaseentity", required: true }, Param { name: "PrincipalAccess", ty: "mscrm.PrincipalAccess", required: true }];

/// `GrantAccess`: adds rights to the principal's share of the record.
pub(super) static GRANT_ACCESS: Message =
    Message { name: "GrantAccess", kind: Kind::Action, binding: Binding::Unbound, params: GRANT_PARAMS, returns: None, run: grant };

/// `ModifyAccess`: replaces the principal's rights on the record.
pub(super) static MODIFY_ACCESS: Message =
    Message { name: "ModifyAccess", kind: Kind::Action, binding: Binding::Unbound, params: GRANT_PARAMS, returns: None, run: modify };

/// `RevokeAccess`: removes the principal's share.
pub(super) static REVOKE_ACCESS: Message = Message {
    name: "RevokeAccess",
    kind: Kind::Action,
    binding: Binding::Unbound,
    params: &[Param { name: "Target", ty: "mscrm.crmbaseentity", required: true }, Param { name: "Revokee", ty: "mscrm.principal", required: true }],
    returns: None,
    run: revoke,
};

const TARGET: &[Param] = &[Param { name: "Target", ty: "mscrm.crmbaseentity", required: true }];

/// `RetrievePrincipalAccess`, declared once per principal table it is bound to.
const RETRIEVE_PRINCIPAL_ACCESS: Message = Message {
    name: "RetrievePrincipalAccess",
    kind: Kind::Function,
    binding: Binding::Table("systemuser"),
    params: TARGET,
    returns: Some("mscrm.RetrievePrincipalAccessResponse"),
    run: retrieve_principal_access,
};

/// `systemusers(id)/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@t)`
pub(super) static RETRIEVE_PRINCIPAL_ACCESS_USER: Message = RETRIEVE_PRINCIPAL_ACCESS;

/// `teams(id)/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@t)`
pub(super) static RETRIEVE_PRINCIPAL_ACCESS_TEAM: Message = Message { binding: Binding::Table("team"), ..RETRIEVE_PRINCIPAL_ACCESS };

/// `RetrieveSharedPrincipalsAndAccess(Target=@t)`: every share of a record.
pub(super) static RETRIEVE_SHARED_PRINCIPALS_AND_ACCESS: Message = Message {
    name: "RetrieveSharedPrincipalsAndAccess",
    kind: Kind::Function,
    binding: Binding::Unbound,
    params: TARGET,
    returns: Some("mscrm.RetrieveSharedPrincipalsAndAccessResponse"),
    run: retrieve_shared,
};

/// The shared record: it must exist and its table must be user- or team-owned.
fn shared_record(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Named> {
    let target = entity_param::param(&ctx.metadata, call, "Target")?;
    if target.entity.attribute("ownerid").is_none() {
        return Err(Error::new(
            Code::SdkEntityDoesNotSupportMessage,
            format!("The '{}' method does not support entities of type '{}'.", call.message.name, target.entity.logical_name),
        ));
    }
    Ok(target)
}

/// A principal: a user or a team.
fn principal(ctx: &Ctx<'_, '_>, param: &str, value: &Json) -> Result<Named> {
    let p = entity_param::named(&ctx.metadata, param, value)?;
    if !matches!(p.entity.logical_name.as_str(), "systemuser" | "team") {
        return Err(Error::new(Code::InvalidArgument, format!("The principal must be a systemuser or a team, not a '{}'.", p.entity.logical_name)));
    }
    Ok(p)
}

/// The `PrincipalAccess` parameter: who, and which rights.
fn principal_access(ctx: &Ctx<'_, '_>, call: &Call) -> Result<(Named, i64)> {
    let pa = call.arg("PrincipalAccess").cloned().unwrap_or_default();
    let who = principal(ctx, "PrincipalAccess", pa.get("Principal").unwrap_or(&Json::Null))?;
    let mask = match pa.get("AccessMask") {
        None | Some(Json::Null) => 0,
        Some(v) => types::flags_value(RIGHTS, v).ok_or_else(|| {
            Error::new(Code::PayloadError, format!("Cannot convert the literal '{}' to the expected type '{}'.", v.as_str().unwrap_or_default(), types::full_name(RIGHTS)))
        })?,
    };
    Ok((who, mask))
}

/// The share row of `principal` on `object`, if any.
fn share(state: &State, object: Uuid, principal: Uuid) -> Option<Arc<Record>> {
    let table = state.table(TABLE)?;
    table.equal("objectid", &object.to_string()).into_iter().filter_map(|id| state.get(TABLE, id)).find(|r| r.get("principalid") == &Value::Guid(principal)).cloned()
}

/// Every share row of `object`.
fn shares(state: &State, object: Uuid) -> Vec<Arc<Record>> {
    let Some(table) = state.table(TABLE) else { return Vec::new() };
    let mut rows: Vec<Arc<Record>> = table.equal("objectid", &object.to_string()).into_iter().filter_map(|id| state.get(TABLE, id).cloned()).collect();
    rows.sort_by_key(|r| r.version);
    rows
}

fn mask_of(row: &Record) -> i64 {
    match row.get("accessrightsmask") {
        Value::Int(i) => i64::from(*i),
        _ => 0,
    }
}

/// Writes the share of `who` on `target` with the mask `combine` makes of the old one.
fn set_share(ctx: &Ctx<'_, '_>, target: &Named, who: &Named, combine: impl Fn(i64) -> i64) -> Result<()> {
    let def = ctx.metadata.entity(TABLE).cloned().ok_or_else(|| Error::internal("no principalobjectaccess table"))?;
    let w = write::WriteContext { seeding: true, ..ctx.writer() };
    ctx.access.write(|tx| {
        let record = target.record(tx.state())?;
        let principal = who.record(tx.state())?;
        let now = Value::DateTime(w.now);
        match share(tx.state(), record.id, principal.id) {
            Some(row) => {
                let mask = i32::try_from(combine(mask_of(&row))).unwrap_or(i32::MAX);
                let extra = vec![("accessrightsmask".to_string(), Value::Int(mask)), ("changedon".to_string(), now)];
                write::update_with(tx, &w, &def, &row, EntityInput::default(), extra)?;
            }
            None => {
                let mask = i32::try_from(combine(0)).unwrap_or(i32::MAX);
                let extra = vec![
                    ("objectid".to_string(), Value::Guid(record.id)),
                    ("objecttypecode".to_string(), Value::String(target.entity.logical_name.clone())),
                    ("principalid".to_string(), Value::Guid(principal.id)),
                    ("principaltypecode".to_string(), Value::String(who.entity.logical_name.clone())),
                    ("accessrightsmask".to_string(), Value::Int(mask)),
                    ("inheritedaccessrightsmask".to_string(), Value::Int(0)),
                    ("changedon".to_string(), now),
                ];
                write::create_with(tx, &w, &def, None, EntityInput::default(), extra)?;
            }
        }
        Ok(())
    })
}

fn grant(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let target = shared_record(ctx, call)?;
    let (who, mask) = principal_access(ctx, call)?;
    set_share(ctx, &target, &who, |old| old | mask)?;
    Ok(Reply::empty(http::StatusCode::NO_CONTENT))
}

fn modify(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let target = shared_record(ctx, call)?;
    let (who, mask) = principal_access(ctx, call)?;
    set_share(ctx, &target, &who, |_| mask)?;
    Ok(Reply::empty(http::StatusCode::NO_CONTENT))
}

fn revoke(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let target = shared_record(ctx, call)?;
    let who = principal(ctx, "Revokee", call.arg("Revokee").unwrap_or(&Json::Null))?;
    let def = ctx.metadata.entity(TABLE).cloned().ok_or_else(|| Error::internal("no principalobjectaccess table"))?;
    let w = ctx.writer();
    ctx.access.write(|tx: &mut Transaction<'_>| {
        let record = target.record(tx.state())?;
        let principal = who.record(tx.state())?;
        // Revoking a share that doesn't exist is not an error.
        if let Some(row) = share(tx.state(), record.id, principal.id) {
            write::delete(tx, &w, &def, row.id)?;
        }
        Ok(())
    })?;
    Ok(Reply::empty(http::StatusCode::NO_CONTENT))
}

/// The teams `user` is an explicit member of.
fn teams_of(ctx: &Ctx<'_, '_>, state: &State, user: Uuid) -> Vec<Uuid> {
    let Some(rel) = ctx.metadata.entity("team").and_then(|t| t.many_to_many.iter().find(|r| r.schema_name == "teammembership_association")) else {
        return Vec::new();
    };
    let team_first = rel.entity1 == "team";
    state.associations(&rel.schema_name).filter_map(|(a, b)| if team_first { (*b == user).then_some(*a) } else { (*a == user).then_some(*b) }).collect()
}

/// The rights `principal` (of table `kind`) has on `record`.
fn access_rights(ctx: &Ctx<'_, '_>, state: &State, record: &Record, kind: &str, principal: Uuid) -> i64 {
    let teams = if kind == "systemuser" { teams_of(ctx, state, principal) } else { Vec::new() };
    let owner = record.get("ownerid").as_ref().map(|r| r.id);
    if owner.is_some_and(|o| o == principal || teams.contains(&o)) {
        return ALL_RIGHTS;
    }
    shares(state, record.id)
        .iter()
        .filter(|r| matches!(r.get("principalid"), Value::Guid(p) if *p == principal || teams.contains(p)))
        .fold(0, |acc, r| acc | mask_of(r))
}

fn retrieve_principal_access(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let target = shared_record(ctx, call)?;
    let state = ctx.access.read();
    let principal = call.bound_record(&state)?;
    let record = target.record(&state)?;
    let kind = call.set()?.logical_name.clone();
    let rights = access_rights(ctx, &state, &record, &kind, principal.id);
    let mut fields = Map::new();
    fields.insert("AccessRights".into(), json!(types::flags_text(RIGHTS, rights)));
    Ok(response(ctx, call.message, fields))
}

fn principal_json(entity: Option<&Arc<EntityDef>>, kind: &str, id: Uuid) -> Json {
    let mut p = Map::new();
    p.insert("@odata.type".into(), json!(format!("#Microsoft.Dynamics.CRM.{kind}")));
    p.insert("ownerid".into(), json!(id));
    if let Some(e) = entity {
        p.insert(e.primary_id.clone(), json!(id));
    }
    Json::Object(p)
}

fn retrieve_shared(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let target = shared_record(ctx, call)?;
    let state = ctx.access.read();
    let record = target.record(&state)?;
    let accesses: Vec<Json> = shares(&state, record.id)
        .iter()
        .filter_map(|r| {
            let Value::Guid(id) = r.get("principalid") else { return None };
            let Value::String(kind) = r.get("principaltypecode") else { return None };
            Some(json!({
                "AccessMask": types::flags_text(RIGHTS, mask_of(r)),
                "Principal": principal_json(ctx.metadata.entity(kind), kind, *id),
            }))
        })
        .collect();
    let mut fields = Map::new();
    fields.insert("PrincipalAccesses".into(), Json::Array(accesses));
    Ok(response(ctx, call.message, fields))
}
