//! `teams(id)/Microsoft.Dynamics.CRM.AddMembersTeam` and `RemoveMembersTeam` with
//! `{"Members":[{"systemuserid":"…"}]}`: team membership is the `teammembership_association`
//! N:N pair, so FetchXML `eq-userteams` and OData `EqualUserTeams` see the change at once.
//!
//! Adding a member twice, or removing a user who isn't one, changes nothing. A business
//! unit's default team has every user of the unit as a member implicitly, so its
//! membership can't be edited (as in Dataverse).

use serde_json::Value as Json;
use uuid::Uuid;

use super::{entity_param, Binding, Call, Kind, Message, Param};
use crate::error::{Code, Error, Result};
use crate::operation::Ctx;
use crate::store::Value;
use crate::wire::response::Reply;

const MEMBERS: &[Param] = &[Param { name: "Members", ty: "Collection(mscrm.systemuser)", required: true }];

/// `AddMembersTeam`
pub(super) static ADD_MEMBERS_TEAM: Message =
    Message { name: "AddMembersTeam", kind: Kind::Action, binding: Binding::Table("team"), params: MEMBERS, returns: None, run: add };

/// `RemoveMembersTeam`
pub(super) static REMOVE_MEMBERS_TEAM: Message =
    Message { name: "RemoveMembersTeam", kind: Kind::Action, binding: Binding::Table("team"), params: MEMBERS, returns: None, run: remove };

fn add(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    change(ctx, call, true)
}

fn remove(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    change(ctx, call, false)
}

fn change(ctx: &Ctx<'_, '_>, call: &Call, present: bool) -> Result<Reply> {
    let rel = ctx
        .metadata
        .entity("team")
        .and_then(|t| t.many_to_many.iter().find(|r| r.schema_name == "teammembership_association").cloned())
        .ok_or_else(|| Error::internal("no teammembership_association relationship"))?;
    let mut members = Vec::new();
    for item in call.arg("Members").and_then(Json::as_array).into_iter().flatten() {
        // A bare `{"systemuserid": …}` is the usual form; `@odata.type` may be left out.
        let mut item = item.clone();
        if let Some(map) = item.as_object_mut() {
            map.entry("@odata.type").or_insert_with(|| Json::String("Microsoft.Dynamics.CRM.systemuser".into()));
        }
        let member = entity_param::named(&ctx.metadata, "Members", &item)?;
        if member.entity.logical_name != "systemuser" {
            return Err(Error::new(Code::InvalidArgument, format!("Team members must be system users, not '{}' records.", member.entity.logical_name)));
        }
        members.push(member);
    }
    ctx.access.write(|tx| {
        let team = call.bound_record(tx.state())?;
        if matches!(team.get("isdefault"), Value::Boolean(true)) {
            return Err(Error::new(Code::InvalidArgument, "Cannot add or remove members of a default business unit team."));
        }
        let users: Vec<Uuid> = members.iter().map(|m| m.record(tx.state()).map(|r| r.id)).collect::<Result<_>>()?;
        for user in users {
            let pair = if rel.entity1 == "team" { (team.id, user) } else { (user, team.id) };
            tx.set_association(&rel.schema_name, pair, present);
        }
        Ok(())
    })?;
    Ok(Reply::empty(http::StatusCode::NO_CONTENT))
}
