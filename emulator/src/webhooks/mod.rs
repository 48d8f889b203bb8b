//! Webhooks (wire reference §9): `sdkmessageprocessingstep` rows whose event handler is a
//! webhook `serviceendpoint` (contract 8) get the `RemoteExecutionContext` POSTed to them
//! after a matching Create, Update or Delete commits.
//!
//! The store records the row changes of every committed transaction while any step is
//! registered ([`crate::store::Store::take_changes`]); a rolled-back write, or changeset,
//! records nothing, so it never notifies a receiver. After each request the server takes
//! those changes, [`plan`]s the deliveries from the registrations as they are then, and
//! [`send`]s them: synchronous steps (mode 0) before the response is returned, asynchronous
//! ones (mode 1) on a tokio task. Every attempt lands in the [`Deliveries`] journal
//! (`/_emulator/webhooks/deliveries`), which tests read.

mod context;
pub mod deliveries;
mod registration;
mod send;

pub use deliveries::Deliveries;
pub use send::send;

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};
use uuid::Uuid;

use crate::org::Org;
use crate::store::{Change, Value};
use context::Context;
use registration::{ImageKind, Step};

/// One POST to make.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The org's name (for the journal).
    pub org: String,
    /// The step that fired.
    pub step: Uuid,
    /// The receiver URL with the auth query parameters applied.
    pub url: String,
    /// Request headers besides `Content-Type`/`Host`/`Content-Length`.
    pub headers: Vec<(String, String)>,
    /// The JSON text.
    pub body: String,
    /// 0 synchronous, 1 asynchronous.
    pub mode: i32,
    /// The message that fired (`Create`, `Update`, `Delete`), for the journal.
    pub message: String,
    /// The primary table's logical name, for the journal.
    pub entity: String,
}

/// Tables the registration itself lives in: their own writes never fire steps.
const PLUMBING: [&str; 6] = ["sdkmessage", "sdkmessagefilter", "sdkmessageprocessingstep", "sdkmessageprocessingstepimage", "serviceendpoint", "asyncoperation"];

/// The deliveries the org's committed changes since the last call call for. `host` is the
/// org host name the request addressed (`x-ms-dynamics-organization`).
pub fn plan(org: &Org, host: &str) -> Vec<Delivery> {
    let changes = org.store.take_changes();
    if changes.is_empty() {
        return Vec::new();
    }
    let steps = registration::steps(&org.store.read());
    let correlation = org.ids.new_id();
    let mut out = Vec::new();
    for change in changes.iter().filter(|c| !PLUMBING.contains(&c.table.as_str())) {
        let message = match (&change.before, &change.after) {
            (None, Some(_)) => "Create",
            (Some(_), Some(_)) => "Update",
            (Some(_), None) => "Delete",
            (None, None) => continue,
        };
        let changed = changed_columns(change);
        for step in steps.iter().filter(|s| s.fires(message, &change.table, &changed)) {
            out.push(deliver(org, host, step, change, message, &changed, correlation));
        }
    }
    out
}

/// The columns an update changed (every column for a create or delete).
fn changed_columns(change: &Change) -> BTreeMap<String, Value> {
    match (&change.before, &change.after) {
        (Some(b), Some(a)) => a.attributes.iter().filter(|(k, v)| b.attributes.get(*k) != Some(*v)).map(|(k, v)| (k.clone(), v.clone())).collect(),
        (_, Some(a)) => a.attributes.clone(),
        (Some(b), None) => b.attributes.clone(),
        (None, None) => BTreeMap::new(),
    }
}

fn deliver(org: &Org, host: &str, step: &Step, change: &Change, message: &str, changed: &BTreeMap<String, Value>, correlation: Uuid) -> Delivery {
    let record = change.after.as_ref().or(change.before.as_ref()).expect("a change has a row");
    let entity = change.table.as_str();
    let metadata = org.metadata();
    let primary_id = metadata.entity(entity).map_or_else(|| format!("{entity}id"), |e| e.primary_id.clone());
    let target = match message {
        "Delete" => context::reference(entity, record.id),
        _ => {
            let mut attrs = changed.clone();
            attrs.insert(primary_id, Value::Guid(record.id));
            context::entity(entity, record.id, &attrs, None)
        }
    };
    let images = |kind: ImageKind, row: Option<&std::sync::Arc<crate::store::Record>>| -> Vec<(String, Json)> {
        let Some(row) = row else { return Vec::new() };
        step.images.iter().filter(|i| i.kind.includes(kind)).map(|i| (i.alias.clone(), context::image(entity, row, &i.columns))).collect()
    };
    // A pre-image exists for Update and Delete, a post-image for Create and Update.
    let pre = if message == "Create" { Vec::new() } else { images(ImageKind::Pre, change.before.as_ref()) };
    let post = if message == "Delete" || step.stage != 40 { Vec::new() } else { images(ImageKind::Post, change.after.as_ref()) };
    let user = match record.get("modifiedby") {
        Value::Lookup(r) => r.id,
        _ => org.settings.caller_id,
    };
    let output = if message == "Create" && step.stage == 40 { vec![("id".to_string(), json!(record.id))] } else { Vec::new() };
    let organization_name = org.settings.unique_name.clone().unwrap_or_else(|| org.settings.name.clone());
    let (body, exceeded) = Context {
        message,
        entity,
        id: record.id,
        stage: step.stage,
        mode: step.mode,
        depth: 1,
        user,
        business_unit: org.settings.business_unit_id,
        organization_id: org.settings.organization_id,
        organization_name: &organization_name,
        correlation_id: correlation,
        operation_id: org.ids.new_id(),
        step_id: step.id,
        created_on: org.clock.now(),
        input: vec![("Target".to_string(), target)],
        output,
        pre_images: pre,
        post_images: post,
    }
    .render();
    let org_host = host.rsplit_once(':').map_or(host, |(h, _)| h).to_string();
    let mut headers = vec![
        ("x-request-id".to_string(), correlation.to_string()),
        ("x-ms-dynamics-organization".to_string(), org_host),
        ("x-ms-dynamics-entity-name".to_string(), entity.to_string()),
        ("x-ms-dynamics-request-name".to_string(), message.to_string()),
        ("x-ms-correlation-request-id".to_string(), correlation.to_string()),
    ];
    if exceeded {
        headers.push(("x-ms-dynamics-msg-size-exceeded".to_string(), "true".to_string()));
    }
    let (url, auth_headers) = step.endpoint.authenticate();
    headers.extend(auth_headers);
    Delivery { org: org.settings.name.clone(), step: step.id, url, headers, body, mode: step.mode, message: message.to_string(), entity: entity.to_string() }
}
