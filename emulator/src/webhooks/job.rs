//! The system job (`asyncoperation` row) behind each asynchronous delivery, as Dataverse
//! shows one per asynchronous step execution (wire reference §9.3): created with the write
//! that fired the step (so a rolled-back write leaves none), then moved through
//! Waiting For Resources → In Progress → (Waiting, before the retry) → Succeeded or Failed
//! while the delivery runs. Clients poll `GET asyncoperations(id)` like any system job.

use uuid::Uuid;

use super::Delivery;
use crate::error::Result;
use crate::operation::message::jobs::set_job_state;
use crate::operation::write::{self, WriteContext};
use crate::org::Org;
use crate::store::{EntityRef, Transaction, Value};
use crate::wire::input::EntityInput;

/// `asyncoperation.operationtype` for a plug-in or service endpoint step ("System Event").
const SYSTEM_EVENT: i32 = 1;

/// `(statecode, statuscode)`: Ready / Waiting For Resources.
pub(super) const QUEUED: (i32, i32) = (0, 0);
/// Suspended / Waiting: between a failed attempt and its retry.
pub(super) const WAITING: (i32, i32) = (1, 10);
/// Locked / In Progress.
pub(super) const IN_PROGRESS: (i32, i32) = (2, 20);
/// Completed / Succeeded.
pub(super) const SUCCEEDED: (i32, i32) = (3, 30);
/// Completed / Failed.
pub(super) const FAILED: (i32, i32) = (3, 31);

/// Creates the job row for `d` in the committing transaction, in `state`; `message` says
/// why when it starts out failed. Returns its id.
pub(super) fn create(tx: &mut Transaction<'_>, org: &Org, d: &Delivery, state: (i32, i32), message: Option<String>) -> Result<Uuid> {
    let metadata = tx.metadata();
    let def = metadata.entity("asyncoperation").cloned().ok_or_else(|| crate::error::Error::internal("no asyncoperation table"))?;
    let now = org.clock.now();
    let w = WriteContext { org, metadata: &metadata, caller: org.settings.caller_id, now, seeding: true };
    let id = org.ids.new_id();
    let mut extra = vec![
        ("name".to_string(), Value::String(format!("Webhook: {} of {}", d.message, d.entity))),
        ("operationtype".to_string(), Value::Choice(SYSTEM_EVENT)),
        ("messagename".to_string(), Value::String(d.message.clone())),
        ("primaryentitytype".to_string(), Value::String(d.entity.clone())),
        ("owningextensionid".to_string(), Value::Lookup(EntityRef { logical_name: "sdkmessageprocessingstep".into(), id: d.step })),
        ("correlationid".to_string(), Value::Guid(d.correlation)),
        ("depth".to_string(), Value::Int(d.depth)),
        ("retrycount".to_string(), Value::Int(0)),
        ("statecode".to_string(), Value::Choice(state.0)),
        ("statuscode".to_string(), Value::Choice(state.1)),
    ];
    // The regarding row, where the column can point at its table.
    let regarding = def.attribute("regardingobjectid").is_some_and(|a| a.targets.contains(&d.entity));
    if regarding {
        extra.push(("regardingobjectid".to_string(), Value::Lookup(EntityRef { logical_name: (&d.entity).into(), id: d.record })));
    }
    if let Some(m) = message {
        extra.push(("message".to_string(), Value::String(m.clone())));
        extra.push(("friendlymessage".to_string(), Value::String(m)));
        extra.push(("completedon".to_string(), Value::DateTime(now)));
    }
    write::create_with(tx, &w, &def, Some(id), EntityInput::default(), extra)?;
    Ok(id)
}

/// Moves the job to `state`, with `extra` columns.
pub(super) fn set(org: &Org, id: Uuid, state: (i32, i32), extra: Vec<(&str, Value)>) {
    let extra = extra.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    set_job_state(org, id, org.settings.caller_id, state, extra);
}
