//! Custom APIs declared by an org's fixture (`custom-apis.json`), so that integrations
//! calling their own messages can be tested. Each becomes a [`Message`] like the built-in
//! ones: routed unbound, on a record or on an entity set of its table; its request
//! parameters checked; declared in `$metadata` (with a `<name>Response` complex type for its
//! response properties); and answered with the response the fixture gives.
//!
//! The format follows the `customapi`, `customapirequestparameter` and
//! `customapiresponseproperty` tables (type names are those tables' `Type` choices):
//!
//! ```json
//! {"customApis": [{
//!   "uniqueName": "new_Echo",            // the message name
//!   "bindingType": "Global",             // Global | Entity | EntityCollection
//!   "boundEntityLogicalName": null,      // the table, for Entity and EntityCollection
//!   "isFunction": false,                 // GET with parameters in the URL, else POST
//!   "requestParameters": [{"uniqueName": "Text", "type": "String", "isOptional": false}],
//!   "responseProperties": [{"uniqueName": "Echoed", "type": "String"}],
//!   "response": {"Echoed": "hello"}      // the canned answer: response properties only
//! }]}
//! ```
//!
//! A Custom API without response properties answers `204 No Content`. Messages live as long
//! as the process: definitions are interned, so loading the same fixture again (every test
//! org does) reuses them instead of allocating anew.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::{response, Binding, Call, Kind, Message, Param};
use crate::error::{Error, Result};
use crate::operation::Ctx;
use crate::wire::response::Reply;

/// One declared Custom API.
#[derive(Debug)]
pub struct CustomApi {
    /// The message the registry routes and checks.
    pub message: Message,
    /// The `<name>Response` complex type and its `(property, type)` pairs, when the API has
    /// response properties.
    pub response_type: Option<(String, Vec<(&'static str, &'static str)>)>,
    /// The canned response properties.
    pub response: Map<String, Json>,
    /// Each request parameter's Custom API type (`Money`, `EntityReference`, …), which
    /// its CSDL type alone doesn't tell, for the webhook context.
    pub request_kinds: Vec<(&'static str, String)>,
    /// Each response property's Custom API type.
    pub response_kinds: Vec<(&'static str, String)>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileJson {
    custom_apis: Vec<ApiJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiJson {
    unique_name: String,
    #[serde(default = "global")]
    binding_type: String,
    #[serde(default)]
    bound_entity_logical_name: Option<String>,
    #[serde(default)]
    is_function: bool,
    #[serde(default)]
    request_parameters: Vec<ParamJson>,
    #[serde(default)]
    response_properties: Vec<ParamJson>,
    #[serde(default)]
    response: Map<String, Json>,
}

fn global() -> String {
    "Global".into()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ParamJson {
    unique_name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    is_optional: bool,
}

/// A Custom API parameter type as its CSDL type.
fn edm_type(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "Boolean" => "Edm.Boolean",
        "DateTime" => "Edm.DateTimeOffset",
        "Decimal" | "Money" => "Edm.Decimal",
        "Entity" | "EntityReference" => "mscrm.crmbaseentity",
        "EntityCollection" => "Collection(mscrm.crmbaseentity)",
        "Float" => "Edm.Double",
        "Integer" | "Picklist" => "Edm.Int32",
        "String" => "Edm.String",
        "StringArray" => "Collection(Edm.String)",
        "Guid" => "Edm.Guid",
        _ => return None,
    })
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn build(api: ApiJson, known_table: &dyn Fn(&str) -> bool) -> std::result::Result<CustomApi, String> {
    let name = api.unique_name;
    let bad = |what: String| format!("custom API '{name}': {what}");
    let table = || {
        let t = api.bound_entity_logical_name.clone().ok_or_else(|| bad("a bound API needs boundEntityLogicalName".into()))?;
        if known_table(&t) {
            Ok(leak(t))
        } else {
            Err(bad(format!("unknown table '{t}'")))
        }
    };
    let binding = match api.binding_type.as_str() {
        "Global" => Binding::Unbound,
        "Entity" => Binding::Table(table()?),
        "EntityCollection" => Binding::TableSet(table()?),
        other => return Err(bad(format!("bindingType '{other}' is not Global, Entity or EntityCollection"))),
    };
    let mut params = Vec::with_capacity(api.request_parameters.len());
    let mut request_kinds = Vec::with_capacity(api.request_parameters.len());
    for p in api.request_parameters {
        let ty = edm_type(&p.kind).ok_or_else(|| bad(format!("parameter '{}' has unknown type '{}'", p.unique_name, p.kind)))?;
        let name = leak(p.unique_name);
        params.push(Param { name, ty, required: !p.is_optional });
        request_kinds.push((name, p.kind));
    }
    let mut properties = Vec::with_capacity(api.response_properties.len());
    let mut response_kinds = Vec::with_capacity(api.response_properties.len());
    for p in api.response_properties {
        let ty = edm_type(&p.kind).ok_or_else(|| bad(format!("response property '{}' has unknown type '{}'", p.unique_name, p.kind)))?;
        let name = leak(p.unique_name);
        properties.push((name, ty));
        response_kinds.push((name, p.kind));
    }
    if let Some(k) = api.response.keys().find(|k| !properties.iter().any(|(p, _)| p == k)) {
        return Err(bad(format!("the response gives '{k}', which is not a response property")));
    }
    let response_type = (!properties.is_empty()).then(|| (format!("{name}Response"), properties));
    let returns = response_type.as_ref().map(|(t, _)| leak(format!("mscrm.{t}")));
    let message = Message {
        name: leak(name),
        kind: if api.is_function { Kind::Function } else { Kind::Action },
        binding,
        params: Box::leak(params.into_boxed_slice()),
        returns,
        run,
    };
    Ok(CustomApi { message, response_type, response: api.response, request_kinds, response_kinds })
}

/// Reads `custom-apis.json`. `known_table` says whether a bound table exists. Errors name
/// the API and what is wrong with it.
pub fn load(text: &str, known_table: &dyn Fn(&str) -> bool) -> std::result::Result<Vec<&'static CustomApi>, String> {
    static INTERNED: OnceLock<Mutex<HashMap<String, Vec<&'static CustomApi>>>> = OnceLock::new();
    let mut interned = INTERNED.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    if let Some(apis) = interned.get(text) {
        return Ok(apis.clone());
    }
    let file: FileJson = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut apis: Vec<&'static CustomApi> = Vec::with_capacity(file.custom_apis.len());
    for api in file.custom_apis {
        if super::MESSAGES.iter().any(|m| m.name == api.unique_name) || apis.iter().any(|a| a.message.name == api.unique_name) {
            return Err(format!("custom API '{}': the name is taken", api.unique_name));
        }
        apis.push(Box::leak(Box::new(build(api, known_table)?)));
    }
    interned.insert(text.to_string(), apis.clone());
    Ok(apis)
}

/// Answers a call with the fixture's response, after recording the call for the webhook
/// steps registered on its message (which run when the call's transaction commits: a
/// failing synchronous one fails the call, or its whole changeset).
fn run(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let api = ctx
        .metadata
        .custom_apis()
        .iter()
        .find(|a| std::ptr::eq(&a.message, call.message))
        .ok_or_else(|| Error::internal(format!("custom API {} is not declared", call.message.name)))?;
    // A bound call names a record that must exist.
    let record = match call.target {
        super::Target::Record(_) => Some(call.bound_record(&ctx.access.read())?.id),
        _ => None,
    };
    let fires = crate::webhooks::custom_message::registered(&ctx.access.read(), call.message.name);
    if fires {
        let invocation = crate::webhooks::custom_message::invocation(api, &ctx.metadata, ctx.caller, record, &call.args);
        ctx.access.write(|tx| {
            tx.invoke(invocation);
            Ok(())
        })?;
    }
    match call.message.returns {
        Some(_) => Ok(response(ctx, call.message, api.response.clone())),
        None => Ok(Reply::empty(http::StatusCode::NO_CONTENT)),
    }
}
