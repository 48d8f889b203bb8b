//! Webhooks (wire reference §9): `sdkmessageprocessingstep` rows whose event handler is a
//! webhook `serviceendpoint` (contract 8) get the `RemoteExecutionContext` POSTed to them
//! when a matching Create, Update, Delete, Assign, SetState, Associate or Disassociate runs,
//! or a Custom API is called ([`custom_message`]: the call is recorded in its transaction as
//! an [`Invocation`], so it fires at the same point as a row change).
//!
//! While any step is registered, the store hands every transaction's row changes to
//! [`pipeline::before_commit`] just before it commits. Synchronous steps (mode 0) are
//! called there, inside the operation: a receiver that fails or times out fails the
//! operation and the transaction (a whole `$batch` changeset) rolls back. Asynchronous
//! steps (mode 1) are planned at the same point but queued, and the server starts them
//! once the request is answered, so a rolled-back write never notifies anyone. Writes
//! made outside a request go through the store's outbox and [`plan`] instead: a fixture
//! layer uploaded with `?deliverWebhooks=true` (otherwise the admin API empties the outbox
//! after the load, and a sealed fixture's own rows never fire).
//!
//! The request's correlation id and depth ([`scope`]) are in every context; a receiver
//! that calls back with the `x-ms-correlation-request-id` it was sent runs one level
//! deeper, and past [`pipeline::MAX_DEPTH`] the loop guard stops the chain. Every attempt
//! lands in the [`Deliveries`] journal (`/_emulator/webhooks/deliveries`, and
//! `/_emulator/webhooks/wait` to wait for some).

mod context;
pub mod custom_message;
pub mod deliveries;
mod job;
pub mod pipeline;
mod registration;
pub mod scope;
mod send;
mod tls;

pub use deliveries::Deliveries;
pub use send::send;


use serde_json::{json, Value as Json};
use uuid::Uuid;

use crate::org::Org;
use crate::store::{Attributes, Change, Invocation, Link, Value};
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
    /// 10 pre-validation, 20 pre-operation, 40 post-operation.
    pub stage: i32,
    /// The message that fired (`Create`, `Update`, `Assign`, …), for the journal.
    pub message: String,
    /// The primary table's logical name, for the journal.
    pub entity: String,
    /// The primary row (the asynchronous job's `regardingobjectid`).
    pub record: Uuid,
    /// The context's `CorrelationId`: a receiver that calls back with it runs one level deeper.
    pub correlation: Uuid,
    /// The context's `Depth`.
    pub depth: i32,
    /// The asynchronous delivery's system job (`asyncoperation`), once created.
    pub job: Option<Uuid>,
}

/// Tables the registration itself lives in: their own writes never fire steps.
const PLUMBING: [&str; 6] = ["sdkmessage", "sdkmessagefilter", "sdkmessageprocessingstep", "sdkmessageprocessingstepimage", "serviceendpoint", "asyncoperation"];

/// Where a batch of deliveries comes from: the request's host, correlation and depth.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The org host name the request addressed (`x-ms-dynamics-organization`).
    pub host: String,
    /// Shared by every context the request causes.
    pub correlation: Uuid,
    /// The contexts' `Depth`.
    pub depth: i32,
}

/// The deliveries for changes committed outside a request (admin loads), taken from the
/// store's outbox after the request that made them: every matching step, synchronous ones
/// included, at depth 1. `host` is the host the admin request addressed.
pub fn plan(org: &Org, host: &str) -> Vec<Delivery> {
    // The registration tables' own changes (system jobs moving along) never fire steps:
    // drop them before reading the store, which a synchronous step may have locked.
    let changes: Vec<Change> = org.store.take_changes().into_iter().filter(|c| !PLUMBING.contains(&c.table.as_str())).collect();
    if changes.is_empty() {
        return Vec::new();
    }
    let origin = Origin { host: host.to_string(), correlation: org.ids.new_id(), depth: 1 };
    plan_changes(org, &org.store.read(), &changes, &[], &[], &origin)
}

/// One message a change fires, with the context's parent when the message runs as a
/// child of another (Assign and SetState inside an Update).
struct Event {
    message: &'static str,
    parent: Option<&'static str>,
}

/// The messages one row change fires. An Update that changes the owner also runs Assign,
/// and one that changes `statecode`/`statuscode` also runs SetState, as Dataverse does
/// when the Web API updates those columns: steps registered on Assign or SetState still fire.
fn events(change: &Change, changed: &Attributes) -> Vec<Event> {
    match (&change.before, &change.after) {
        (None, Some(_)) => vec![Event { message: "Create", parent: None }],
        (Some(_), None) => vec![Event { message: "Delete", parent: None }],
        (Some(_), Some(_)) => {
            let mut out = vec![Event { message: "Update", parent: None }];
            if changed.contains_key("ownerid") {
                out.push(Event { message: "Assign", parent: Some("Update") });
            }
            if changed.contains_key("statecode") || changed.contains_key("statuscode") {
                out.push(Event { message: "SetState", parent: Some("Update") });
            }
            out
        }
        (None, None) => Vec::new(),
    }
}

/// The deliveries `changes`, `links` and `invocations` call for, in pipeline order: per
/// change and message, stage 10, then 20, then 40, each by rank; then the associations';
/// then the Custom API calls'.
fn plan_changes(org: &Org, state: &crate::store::State, changes: &[Change], links: &[Link], invocations: &[Invocation], origin: &Origin) -> Vec<Delivery> {
    let steps = registration::steps(state);
    if steps.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    fn by_stage(mut firing: Vec<&Step>) -> Vec<&Step> {
        firing.sort_by_key(|s| (s.stage, s.rank, s.id));
        firing
    }
    for change in changes.iter().filter(|c| !PLUMBING.contains(&c.table.as_str())) {
        let changed = changed_columns(change);
        for event in events(change, &changed) {
            for step in by_stage(steps.iter().filter(|s| s.fires(event.message, &change.table, &changed)).collect()) {
                out.push(deliver(org, origin, step, change, &event, &changed));
            }
        }
    }
    let metadata = org.metadata();
    for link in links {
        let Some(rel) = metadata.entities().flat_map(|e| e.many_to_many.iter()).find(|r| r.schema_name == link.relationship) else { continue };
        let message = if link.present { "Associate" } else { "Disassociate" };
        for step in by_stage(steps.iter().filter(|s| s.fires(message, &rel.entity1, &Attributes::new())).collect()) {
            out.push(deliver_link(org, origin, step, link, rel, message));
        }
    }
    for call in invocations {
        let table = call.entity.as_deref().unwrap_or("none");
        for step in by_stage(steps.iter().filter(|s| s.fires(call.message, table, &Attributes::new())).collect()) {
            out.push(custom_message::deliver(org, origin, step, call));
        }
    }
    out
}

/// An Associate or Disassociate context: the first table's row is the Target, the second's
/// the related entity, as the relationship orders them. PrimaryEntityName and
/// SecondaryEntityName name the two tables (unconfirmed for the Web API's `$ref` calls).
fn deliver_link(org: &Org, origin: &Origin, step: &Step, link: &Link, rel: &crate::metadata::ManyToMany, message: &'static str) -> Delivery {
    let (id, related) = link.pair;
    let input = vec![
        ("Target".to_string(), context::reference(&rel.entity1, id)),
        ("Relationship".to_string(), context::relationship(&rel.schema_name)),
        ("RelatedEntities".to_string(), Json::Array(vec![context::reference(&rel.entity2, related)])),
    ];
    let user = org.settings.caller_id;
    let envelope = Envelope { message, entity: &rel.entity1, secondary: &rel.entity2, id, user, input, output: Vec::new(), pre: Vec::new(), post: Vec::new(), parent: None };
    envelope.deliver(org, origin, step)
}

/// The columns an update changed (every column for a create or delete).
fn changed_columns(change: &Change) -> Attributes {
    match (&change.before, &change.after) {
        (Some(b), Some(a)) => a.attributes.iter().filter(|(k, v)| b.attributes.get(k) != Some(*v)).map(|(k, v)| (*k, v.clone())).collect(),
        (_, Some(a)) => a.attributes.clone(),
        (Some(b), None) => b.attributes.clone(),
        (None, None) => Attributes::new(),
    }
}

fn deliver(org: &Org, origin: &Origin, step: &Step, change: &Change, event: &Event, changed: &Attributes) -> Delivery {
    let record = change.after.as_ref().or(change.before.as_ref()).expect("a change has a row");
    let entity = change.table.as_str();
    let message = event.message;
    let metadata = org.metadata();
    let primary_id = metadata.entity(entity).map_or_else(|| format!("{entity}id"), |e| e.primary_id.clone());
    let target = || {
        let mut attrs = changed.clone();
        attrs.insert(primary_id.clone(), Value::Guid(record.id));
        context::entity(entity, record.id, &attrs, None)
    };
    let choice = |column: &str| match record.get(column) {
        Value::Choice(c) | Value::Int(c) => context::option(*c),
        _ => Json::Null,
    };
    let input = match message {
        "Delete" => vec![("Target".to_string(), context::reference(entity, record.id))],
        "Assign" => {
            let assignee = match record.get("ownerid") {
                Value::Lookup(r) => context::reference(&r.logical_name, r.id),
                _ => Json::Null,
            };
            vec![("Target".to_string(), context::reference(entity, record.id)), ("Assignee".to_string(), assignee)]
        }
        "SetState" => vec![
            ("EntityMoniker".to_string(), context::reference(entity, record.id)),
            ("State".to_string(), choice("statecode")),
            ("Status".to_string(), choice("statuscode")),
        ],
        _ => vec![("Target".to_string(), target())],
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
    // The parent is the main operation (stage 30) of the message this one runs inside.
    let parent = event.parent.map(|p| (p, vec![("Target".to_string(), target())]));
    let envelope = Envelope { message, entity, secondary: "none", id: record.id, user, input, output, pre, post, parent };
    envelope.deliver(org, origin, step)
}

/// What one context says besides the org-wide members.
struct Envelope<'a> {
    message: &'static str,
    entity: &'a str,
    secondary: &'a str,
    id: Uuid,
    user: Uuid,
    input: Vec<(String, Json)>,
    output: Vec<(String, Json)>,
    pre: Vec<(String, Json)>,
    post: Vec<(String, Json)>,
    /// The message this one runs inside (stage 30), and that message's input.
    parent: Option<(&'static str, Vec<(String, Json)>)>,
}

impl Envelope<'_> {
    /// The POST for `step`: the rendered context, the headers and the URL with its auth.
    fn deliver(self, org: &Org, origin: &Origin, step: &Step) -> Delivery {
        let Envelope { message, entity, secondary, id, user, input, output, pre, post, parent } = self;
        let organization_name = org.settings.unique_name.clone().unwrap_or_else(|| org.settings.name.clone());
        let now = org.clock.now();
        let context = |message: &'static str, stage: i32, mode: i32, step_id: Uuid, input: Vec<(String, Json)>| Context {
            message,
            entity,
            secondary,
            id,
            stage,
            mode,
            depth: origin.depth,
            user,
            business_unit: org.settings.business_unit_id,
            organization_id: org.settings.organization_id,
            organization_name: organization_name.clone(),
            correlation_id: origin.correlation,
            operation_id: org.ids.new_id(),
            step_id,
            created_on: now,
            input,
            output: Vec::new(),
            pre_images: Vec::new(),
            post_images: Vec::new(),
            parent: None,
        };
        // An asynchronous step runs after the operation, so its parent is the operation's
        // own main stage (the doc's example: an asynchronous Update whose ParentContext is
        // the Update at stage 30).
        let parent = parent.or_else(|| (step.mode == 1).then(|| (message, input.clone())));
        let parent = parent.map(|(p, input)| Box::new(context(p, 30, 0, Uuid::nil(), input)));
        let (body, exceeded) = Context { output, pre_images: pre, post_images: post, parent, ..context(message, step.stage, step.mode, step.id, input) }.render();
        let org_host = origin.host.rsplit_once(':').map_or(origin.host.as_str(), |(h, _)| h).to_string();
        let correlation = origin.correlation;
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
        Delivery {
            org: org.settings.name.clone(),
            step: step.id,
            url,
            headers,
            body,
            mode: step.mode,
            stage: step.stage,
            message: message.to_string(),
            entity: entity.to_string(),
            record: id,
            correlation,
            depth: origin.depth,
            job: None,
        }
    }
}
