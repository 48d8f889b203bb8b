//! System jobs (`asyncoperation` rows) that run after the request that started them.
//!
//! Dataverse runs such jobs in its async service, later. The emulator runs them lazily
//! and deterministically instead of on a timer: each later request to the org first moves
//! every pending job one step (Ready/Waiting For Resources 0/0 → Locked/In Progress 2/20 →
//! Completed/Succeeded 3/30). So a client polling `GET asyncoperations(id)` sees each
//! state in turn, and a test needs no sleeps.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use crate::metadata::EntityDef;
use crate::operation::write::{self, WriteContext};
use crate::org::Org;
use crate::query::predicate::Predicate;
use crate::store::Value;
use crate::wire::input::EntityInput;

/// `asyncoperation.statecode` / `statuscode` values (from the table's metadata).
const IN_PROGRESS: (i32, i32) = (2, 20);
const SUCCEEDED: (i32, i32) = (3, 30);

/// What a job does when it runs.
#[derive(Debug)]
pub enum Work {
    /// BulkDelete: delete the rows each query selects.
    Delete(Vec<(Arc<EntityDef>, Predicate)>),
}

/// A job waiting for its next step.
#[derive(Debug)]
pub struct Job {
    /// The `asyncoperation` row.
    pub id: Uuid,
    /// The user the job runs as (its owner).
    pub caller: Uuid,
    /// The work.
    pub work: Work,
    /// Started (In Progress) already.
    pub started: bool,
}

/// The org's pending jobs.
#[derive(Debug, Default)]
pub struct Jobs {
    queue: Mutex<Vec<Job>>,
    /// How many are queued: the per-request check is one atomic load when there are none.
    pending: AtomicUsize,
}

impl Jobs {
    /// Queues a job whose `asyncoperation` row exists (committed) already.
    pub fn submit(&self, job: Job) {
        let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        q.push(job);
        self.pending.store(q.len(), Ordering::Release);
    }
}

/// Moves every pending job of `org` one step. Called at the start of each request.
pub fn step(org: &Org) {
    if org.jobs.pending.load(Ordering::Acquire) == 0 {
        return;
    }
    let jobs: Vec<Job> = {
        let mut q = org.jobs.queue.lock().unwrap_or_else(|p| p.into_inner());
        org.jobs.pending.store(0, Ordering::Release);
        std::mem::take(&mut *q)
    };
    for mut job in jobs {
        // A job started inside a `$batch` changeset that rolled back has no row: drop it.
        if org.store.read().get("asyncoperation", job.id).is_none() {
            continue;
        }
        if job.started {
            run(org, &job);
            set_state(org, &job, SUCCEEDED, "completedon");
        } else {
            job.started = true;
            set_state(org, &job, IN_PROGRESS, "startedon");
            org.jobs.submit(job);
        }
    }
}

/// Does the job's work. Each row is its own write, as the async service deletes them: a
/// row that can't go (a restrictive relationship) is skipped and the rest still go.
fn run(org: &Org, job: &Job) {
    let metadata = org.metadata();
    let w = WriteContext { org, metadata: &metadata, caller: job.caller, now: org.clock.now(), seeding: false };
    match &job.work {
        Work::Delete(queries) => {
            for (entity, predicate) in queries {
                let ids: Vec<Uuid> = {
                    let state = org.store.read();
                    state
                        .table(&entity.logical_name)
                        .into_iter()
                        .flat_map(|t| t.rows())
                        .filter(|r| predicate.matches(&state, &entity.logical_name, r))
                        .map(|r| r.id)
                        .collect()
                };
                for id in ids {
                    if let Err(e) = org.store.write(|tx| write::delete(tx, &w, entity, id)) {
                        tracing::debug!(error = %e, %id, "bulk delete skipped a row");
                    }
                }
            }
        }
    }
}

fn set_state(org: &Org, job: &Job, state: (i32, i32), stamp: &str) {
    set_job_state(org, job.id, job.caller, state, vec![(stamp.to_string(), Value::DateTime(org.clock.now()))]);
}

/// Moves the `asyncoperation` row `id` to `(statecode, statuscode)`, setting `extra`
/// columns with it, as `caller`. A row that is gone (rolled back, deleted) is left alone.
/// Webhook deliveries' jobs move through here too.
pub fn set_job_state(org: &Org, id: Uuid, caller: Uuid, (state, status): (i32, i32), extra: Vec<(String, Value)>) {
    let metadata = org.metadata();
    let Some(def) = metadata.entity("asyncoperation").cloned() else { return };
    let now = org.clock.now();
    let w = WriteContext { org, metadata: &metadata, caller, now, seeding: true };
    let result = org.store.write(|tx| {
        let Some(current) = tx.state().get("asyncoperation", id).cloned() else { return Ok(()) };
        let mut columns = vec![("statecode".to_string(), Value::Choice(state)), ("statuscode".to_string(), Value::Choice(status))];
        columns.extend(extra);
        write::update_with(tx, &w, &def, &current, EntityInput::default(), columns).map(|_| ())
    });
    if let Err(e) = result {
        tracing::error!(error = %e, job = %id, "could not update a system job");
    }
}
