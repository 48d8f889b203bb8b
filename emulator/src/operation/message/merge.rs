//! `POST /Merge` with `Target`, `Subordinate`, `UpdateContent` and `PerformParentingChecks`:
//! folds a duplicate (the subordinate) into the record that stays (the target).
//!
//! As Dataverse does it, in one transaction: `UpdateContent`'s columns are written to the
//! target; the subordinate's children move to the target along every one-to-many
//! relationship whose cascade configuration says `Merge: Cascade` (contacts'
//! `parentcustomerid`, activities' `regardingobjectid`, opportunities' `customerid`, …);
//! then the subordinate is deactivated with `merged = true` and `masterid` = the target.

use serde_json::Value as Json;

use super::{entity_param, Binding, Call, Kind, Message, Param};
use crate::error::{Code, Error, Result};
use crate::operation::{write, Ctx};
use crate::store::{EntityRef, Record, Value};
use crate::wire::input::{self, EntityInput};
use crate::wire::response::Reply;

/// `Merge`
pub(super) static MESSAGE: Message = Message {
    name: "Merge",
    kind: Kind::Action,
    binding: Binding::Unbound,
    params: &[
        Param { name: "Target", ty: "mscrm.crmbaseentity", required: true },
        Param { name: "Subordinate", ty: "mscrm.crmbaseentity", required: true },
        Param { name: "UpdateContent", ty: "mscrm.crmbaseentity", required: false },
        Param { name: "PerformParentingChecks", ty: "Edm.Boolean", required: true },
    ],
    returns: None,
    run,
};

/// The tables Merge supports, with the column `PerformParentingChecks` compares and the
/// state and status a merged subordinate is closed with (Inactive; a lead: Disqualified,
/// Canceled).
const SUPPORTED: &[(&str, &str, (i32, i32))] =
    &[("account", "parentaccountid", (1, 2)), ("contact", "parentcustomerid", (1, 2)), ("lead", "parentaccountid", (2, 7))];

fn merge_error(message: &str) -> Error {
    Error::new(Code::InvalidArgument, message)
}

fn is_active(record: &Record) -> bool {
    matches!(record.get("statecode"), Value::Choice(0) | Value::Null)
}

fn run(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let metadata = &ctx.metadata;
    let target = entity_param::param(metadata, call, "Target")?;
    let subordinate = entity_param::param(metadata, call, "Subordinate")?;
    let entity = target.entity.clone();
    let Some((_, parent_column, (state, status))) = SUPPORTED.iter().find(|(t, _, _)| *t == entity.logical_name) else {
        return Err(Error::new(
            Code::SdkEntityDoesNotSupportMessage,
            format!("The 'Merge' method does not support entities of type '{}'.", entity.logical_name),
        ));
    };
    if subordinate.entity.logical_name != entity.logical_name {
        return Err(merge_error("Merge cannot be performed on master and sub-entities of different types."));
    }
    let update = match call.arg("UpdateContent") {
        Some(Json::Object(map)) => input::decode_object(metadata, &entity, map.clone())?,
        _ => EntityInput::default(),
    };
    let parenting_checks = call.arg("PerformParentingChecks").and_then(Json::as_bool).unwrap_or(false);
    let w = ctx.writer();
    ctx.access.write(|tx| {
        let master = target.record(tx.state())?;
        let sub = subordinate.record(tx.state())?;
        if master.id == sub.id {
            return Err(merge_error("Merge cannot be performed on master and sub-entities that are identical."));
        }
        if !is_active(&master) || !is_active(&sub) {
            return Err(merge_error("Merge cannot be performed on entity that is inactive."));
        }
        if parenting_checks && master.get(parent_column) != sub.get(parent_column) {
            return Err(merge_error("Merge warning: sub-entity will be differently parented."));
        }
        let master = write::update(tx, &w, &entity, &master, update)?;
        let to_master = Value::Lookup(EntityRef { logical_name: (&entity.logical_name).into(), id: master.id });
        for rel in entity.one_to_many.iter().filter(|r| r.cascade.iter().any(|(a, b)| a == "Merge" && b == "Cascade")) {
            let Some(child_def) = metadata.entity(&rel.referencing_entity) else { continue };
            let children: Vec<_> = tx
                .state()
                .table(&rel.referencing_entity)
                .into_iter()
                .flat_map(|t| t.rows())
                .filter(|r| r.get(&rel.referencing_attribute).as_ref().is_some_and(|v| v.id == sub.id && v.logical_name == entity.logical_name))
                .filter(|r| r.id != master.id)
                .cloned()
                .collect();
            for child in children {
                let current = tx.state().get(&rel.referencing_entity, child.id).cloned().unwrap_or(child);
                write::update_with(tx, &w, child_def, &current, EntityInput::default(), vec![(rel.referencing_attribute.clone(), to_master.clone())])?;
            }
        }
        let sub = tx.state().get(&entity.logical_name, sub.id).cloned().ok_or_else(|| Error::not_found(&entity.logical_name, sub.id))?;
        let closed = vec![
            ("statecode".to_string(), Value::Choice(*state)),
            ("statuscode".to_string(), Value::Choice(*status)),
            ("merged".to_string(), Value::Boolean(true)),
            ("masterid".to_string(), to_master),
        ];
        write::update_with(tx, &w, &entity, &sub, EntityInput::default(), closed)?;
        Ok(())
    })?;
    Ok(Reply::empty(http::StatusCode::NO_CONTENT))
}
