//! Synchronous steps inside the operation (wire reference §9.3).
//!
//! [`crate::store::Store::write`] calls [`before_commit`] with a transaction's row changes
//! once the operation (or the whole `$batch` changeset) has made them and before they
//! commit. Here the synchronous steps (mode 0) are called in pipeline order: for each
//! change, pre-validation (10) and pre-operation (20) steps, then post-operation (40)
//! ones. The first receiver that answers non-2xx, cannot be reached or takes longer than
//! the timeout fails the operation: the error goes back to the caller and the store rolls
//! the transaction back, so nothing is half-applied and no asynchronous step is queued.
//!
//! Calling out while the transaction is open means holding this org's write lock for the
//! receiver's answer (bounded by the 60 s timeout). Other orgs are not affected, and the
//! request runs on tokio's blocking pool (see `server`), so the runtime keeps serving.
//! A synchronous receiver that calls back into the *same* org would wait for that lock (the
//! emulator locks the whole org for a write, where Dataverse's SQL locks rows). One that
//! sends back the correlation id it was sent is served instead from the org as committed
//! before the write ([`crate::store::Transaction::committed`]), for reads; its writes are
//! refused at once ([`super::scope`]).
//!
//! Asynchronous steps (mode 1) are planned here too, from the same changes and with the
//! same correlation and depth, and queued for after the commit.

use std::sync::{mpsc, Arc};

use uuid::Uuid;

use super::scope::{self, Scope};
use super::deliveries::Waited;
use super::{job, plan_changes, send, Origin};
use crate::error::{Code, Error, Result};
use crate::org::Org;
use crate::store::{Change, Store, Transaction};

/// The deepest a chain of steps may go within one correlation (Dataverse's default
/// `MaxDepth`, IExecutionContext.Depth).
pub const MAX_DEPTH: i32 = 8;

/// Runs the synchronous steps the transaction's changes fire and queues the asynchronous
/// ones, each with its system job created in the same transaction. Returns `Ok(false)`
/// when no request is running on this thread for `store`'s org (an admin load): the store
/// then keeps the changes for the after-request delivery instead.
pub fn before_commit(store: &Store, tx: &mut Transaction<'_>) -> Result<bool> {
    let Some(scope) = scope::current().filter(|s| std::ptr::eq(&s.org.store, store)) else { return Ok(false) };
    let origin = Origin { host: scope.host.clone(), correlation: scope.correlation.unwrap_or_default(), depth: scope.depth };
    let changes: Vec<Change> = tx.changes().to_vec();
    let links = tx.links().to_vec();
    let invocations = tx.invocations().to_vec();
    let planned = plan_changes(&scope.org, tx.state(), &changes, &links, &invocations, &origin);
    if planned.is_empty() {
        return Ok(true);
    }
    let (synchronous, asynchronous): (Vec<_>, Vec<_>) = planned.into_iter().partition(|d| d.mode == 0);
    // What the receivers' calls back read: the org before this write, made on the first
    // call back only (receivers cannot change it meanwhile, so one serves them all).
    let mut committed: Option<Arc<Org>> = None;
    for d in synchronous {
        call(&scope, d, &mut || committed.get_or_insert_with(|| Arc::new(scope.org.committed_view(tx.committed()))).clone())?;
    }
    let mut queued = Vec::new();
    for mut d in asynchronous {
        if d.depth > MAX_DEPTH {
            // Past the loop guard an asynchronous step is not sent: its job fails.
            job::create(tx, &scope.org, &d, job::FAILED, Some(too_deep_message()))?;
            scope.journal.record(super::deliveries::Attempt::new(&d, 0, Err(too_deep_message())));
            continue;
        }
        d.job = Some(job::create(tx, &scope.org, &d, job::QUEUED, None)?);
        scope.journal.remember_depth(d.correlation, d.depth);
        queued.push(d);
    }
    scope.journal.queue(queued);
    Ok(true)
}

/// One synchronous delivery; its failure is the operation's. While it waits for the
/// receiver, this thread (holding the org's write lock) hands the receiver's calls back the
/// org as committed before the write, from `committed`.
fn call(scope: &Scope, d: super::Delivery, committed: &mut dyn FnMut() -> Arc<Org>) -> Result<()> {
    if d.depth > MAX_DEPTH {
        let message = too_deep_message();
        scope.journal.record(super::deliveries::Attempt::new(&d, 0, Err(message.clone())));
        return Err(Error::new(Code::SdkCorrelationTokenDepthTooHigh, message));
    }
    scope.journal.remember_depth(d.correlation, d.depth);
    let (tell, inbox) = mpsc::channel();
    let _calling = scope.journal.calling(d.correlation, &scope.org.settings.name, tell.clone());
    let outcome = match send::deliver_in_background(&scope.journal, d.clone(), move |outcome| drop(tell.send(Waited::Answered(outcome)))) {
        Err(e) => Err(e),
        Ok(()) => loop {
            match inbox.recv() {
                Ok(Waited::Answered(outcome)) => break outcome,
                Ok(Waited::ViewWanted(reply)) => drop(reply.send(committed())),
                // Not while `_calling` keeps a sender, but never wait on nothing.
                Err(_) => break Err("the delivery thread stopped without an answer".to_string()),
            }
        },
    };
    match outcome {
        Ok(200..=299) => Ok(()),
        outcome => Err(failed(&d, outcome, scope.org.ids.new_id())),
    }
}

/// The loop guard's message (ErrorCodes.SdkCorrelationTokenDepthTooHigh).
pub(super) fn too_deep_message() -> String {
    "This workflow job was canceled because the workflow that started it included an infinite loop. Correct the workflow logic and try again. For information about how to correct workflow logic, see the Microsoft Dynamics 365 SDK.".to_string()
}

/// The caller's error for a failed synchronous webhook.
fn failed(d: &super::Delivery, outcome: std::result::Result<u16, String>, activity: Uuid) -> Error {
    let why = match outcome {
        Ok(status) => format!("The webhook returned HTTP status {status}."),
        Err(e) => format!("The webhook could not be reached: {e}."),
    };
    Error::new(
        Code::IsvAborted,
        format!(
            "The synchronous step {} ({} of {}) failed calling its service endpoint at {}. {why} The operation was cancelled and rolled back. Activity Id: {activity}",
            d.step,
            d.message,
            d.entity,
            send::redact(&d.url)
        ),
    )
}
