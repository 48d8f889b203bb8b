//! Custom API messages in the webhook pipeline (issue 11: "sdkmessages and
//! sdkmessagefilters rows exist … for the custom messages").
//!
//! Every Custom API an org declares gets an `sdkmessage` row named after its unique name,
//! and a bound one an `sdkmessagefilter` on its table, as Dataverse creates them with the
//! `customapi` row; so a step can be registered on it the way the Plugin Registration Tool
//! does. Their ids are derived from the name, so they are the same in every org and every
//! run, and declaring them draws nothing from the org's (possibly seeded) id generator.
//!
//! A call records an [`Invocation`] in its transaction; at commit it fires the steps on
//! its message like a row change fires Create's: InputParameters are the request
//! parameters (and `Target` for a record-bound call), OutputParameters the response
//! properties (post-operation only).

use serde_json::{json, Map, Value as Json};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

use super::context::{self, typed};
use super::registration::Step;
use super::{Delivery, Envelope, Origin};
use crate::error::Result;
use crate::metadata::Metadata;
use crate::operation::message::custom_api::CustomApi;
use crate::operation::message::Binding;
use crate::operation::write::{self, WriteContext};
use crate::org::Org;
use crate::store::{EntityRef, Invocation, Record, State, Transaction, Value};
use crate::wire::input::EntityInput;

/// The stable id of a Custom API's `sdkmessage` row (or, with its table, of its filter).
fn stable_id(kind: &str, name: &str) -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, format!("urn:dataverse-emulator:{kind}:{name}").as_bytes())
}

fn text<'r>(r: &'r Record, column: &str) -> Option<&'r str> {
    match r.get(column) {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// Creates the `sdkmessage` row of every Custom API in the transaction's schema that has
/// none yet, and the `sdkmessagefilter` of every bound one on its table. Loading a fixture
/// (and a layer adding Custom APIs) calls this after its records, so a fixture may also
/// give these rows itself.
pub fn declare(tx: &mut Transaction<'_>, w: &WriteContext<'_>) -> Result<()> {
    let metadata = tx.metadata();
    let (Some(message_def), Some(filter_def)) = (metadata.entity("sdkmessage").cloned(), metadata.entity("sdkmessagefilter").cloned()) else {
        return Ok(());
    };
    for api in metadata.custom_apis() {
        let name = api.message.name;
        let existing = tx.state().table("sdkmessage").and_then(|t| t.rows().find(|r| text(r, "name") == Some(name)).map(|r| r.id));
        let message_id = match existing {
            Some(id) => id,
            None => {
                let id = stable_id("sdkmessage", name);
                write::create_with(tx, w, &message_def, Some(id), EntityInput::default(), vec![("name".to_string(), Value::String(name.to_string()))])?;
                id
            }
        };
        let (Binding::Table(table) | Binding::TableSet(table)) = api.message.binding else { continue };
        let filtered = tx.state().table("sdkmessagefilter").is_some_and(|t| {
            t.rows().any(|r| text(r, "primaryobjecttypecode") == Some(table) && matches!(r.get("sdkmessageid"), Value::Lookup(l) if l.id == message_id))
        });
        if !filtered {
            let extra = vec![
                ("primaryobjecttypecode".to_string(), Value::String(table.to_string())),
                ("sdkmessageid".to_string(), Value::Lookup(EntityRef { logical_name: "sdkmessage".into(), id: message_id })),
            ];
            write::create_with(tx, w, &filter_def, Some(stable_id("sdkmessagefilter", &format!("{name}:{table}"))), EntityInput::default(), extra)?;
        }
    }
    Ok(())
}

/// Whether any enabled webhook step is registered on `message` (so a call of it is worth
/// recording: a Custom API call that fires nothing takes no write lock).
pub fn registered(state: &State, message: &str) -> bool {
    super::registration::steps(state).iter().any(|s| s.message.eq_ignore_ascii_case(message))
}

/// The [`Invocation`] a call of `api` makes: bound to `record` of `api`'s table (for a
/// record-bound call), by `caller`, with the call's parameters `args`.
pub fn invocation(api: &CustomApi, metadata: &Metadata, caller: Uuid, record: Option<Uuid>, args: &Map<String, Json>) -> Invocation {
    let entity = match api.message.binding {
        Binding::Table(t) | Binding::TableSet(t) => Some(t.to_string()),
        _ => None,
    };
    let mut input = Vec::new();
    if let (Some(table), Some(id)) = (&entity, record) {
        input.push(("Target".to_string(), context::reference(table, id)));
    }
    for (name, kind) in &api.request_kinds {
        if let Some(v) = args.get(*name).filter(|v| !v.is_null()) {
            input.push((name.to_string(), parameter(kind, v, metadata)));
        }
    }
    let output = api
        .response_kinds
        .iter()
        .filter_map(|(name, kind)| api.response.get(*name).map(|v| (name.to_string(), parameter(kind, v, metadata))))
        .collect();
    Invocation { message: api.message.name, entity, record, user: caller, input, output }
}

/// A Custom API parameter or response property (given as the Web API takes it) in its
/// DataContract form: `Money` and `OptionSetValue` typed, dates as `/Date(ms)/`, records
/// as `EntityReference`, `Entity` or `EntityCollection`.
fn parameter(kind: &str, v: &Json, metadata: &Metadata) -> Json {
    match kind {
        "Money" => typed("Money", vec![("Value", v.clone())]),
        "Picklist" => v.as_i64().map_or_else(|| v.clone(), |n| context::option(n as i32)),
        "DateTime" => v.as_str().and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok()).map_or_else(|| v.clone(), context::date),
        "EntityReference" => record_of(v, metadata).map_or_else(|| v.clone(), |r| context::reference(&r.table, r.id)),
        "Entity" => record_of(v, metadata).map_or_else(|| v.clone(), RecordValue::entity),
        "EntityCollection" => {
            let rows: Vec<RecordValue> = v.as_array().into_iter().flatten().filter_map(|r| record_of(r, metadata)).collect();
            let name = rows.first().map_or(Json::Null, |r| json!(r.table));
            let entities = rows.into_iter().map(RecordValue::entity).collect();
            typed(
                "EntityCollection",
                vec![
                    ("Entities", Json::Array(entities)),
                    ("EntityName", name),
                    ("MinActiveRowVersion", Json::Null),
                    ("MoreRecords", json!(false)),
                    ("PagingCookie", Json::Null),
                    ("TotalRecordCount", json!(-1)),
                    ("TotalRecordCountLimitExceeded", json!(false)),
                ],
            )
        }
        _ => v.clone(),
    }
}

/// A record given as a parameter value.
struct RecordValue {
    table: String,
    /// Nil when the value has none (a record to create).
    id: Uuid,
    /// The other properties, as given.
    attrs: Vec<(String, Json)>,
}

impl RecordValue {
    /// An `Entity` with the properties as given.
    fn entity(self) -> Json {
        typed(
            "Entity",
            vec![
                ("Attributes", Json::Array(self.attrs.into_iter().map(|(k, v)| json!({"key": k, "value": v})).collect())),
                ("EntityState", Json::Null),
                ("FormattedValues", json!([])),
                ("Id", json!(self.id)),
                ("KeyAttributes", json!([])),
                ("LogicalName", json!(self.table)),
                ("RelatedEntities", json!([])),
                ("RowVersion", Json::Null),
            ],
        )
    }
}

/// A Web API record value (`{"@odata.type": "Microsoft.Dynamics.CRM.account",
/// "accountid": …, …}`): its table, its id and its other properties.
fn record_of(v: &Json, metadata: &Metadata) -> Option<RecordValue> {
    let object = v.as_object()?;
    let table = object.get("@odata.type")?.as_str()?.trim_start_matches('#').trim_start_matches(crate::operation::message::NAMESPACE).to_string();
    let primary_id = metadata.entity(&table).map_or_else(|| format!("{table}id"), |e| e.primary_id.clone());
    let id = object.get(&primary_id).and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok()).unwrap_or_default();
    let attrs = object.iter().filter(|(k, _)| !k.contains('@') && **k != primary_id).map(|(k, v)| (k.clone(), v.clone())).collect();
    Some(RecordValue { table, id, attrs })
}

/// The context a Custom API call sends `step`: PrimaryEntityName is the bound table (`none`
/// when unbound), PrimaryEntityId the bound record (empty otherwise); the response
/// properties are only known after the main operation, so only post-operation steps get
/// them as OutputParameters.
pub(super) fn deliver(org: &Org, origin: &Origin, step: &Step, call: &Invocation) -> Delivery {
    let output = if step.stage == 40 { call.output.clone() } else { Vec::new() };
    let envelope = Envelope {
        message: call.message,
        entity: call.entity.as_deref().unwrap_or("none"),
        secondary: "none",
        id: call.record.unwrap_or_default(),
        user: call.user,
        input: call.input.clone(),
        output,
        pre: Vec::new(),
        post: Vec::new(),
        parent: None,
    };
    envelope.deliver(org, origin, step)
}
