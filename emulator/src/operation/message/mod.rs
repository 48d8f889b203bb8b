//! Dataverse functions and actions ("messages"): one registry that routing, parameter
//! validation and `$metadata` all read, so adding a message is one file with one
//! [`Message`] descriptor listed in [`MESSAGES`].
//!
//! Calling conventions (wire reference §7.1): functions are `GET`, with parameters in the
//! path (`Name(P=@p1)?@p1=…`, or inline literals); actions are `POST` with a JSON object of
//! parameters. Unbound messages sit at the service root; bound ones follow a record
//! (`accounts(id)/Microsoft.Dynamics.CRM.Name`) or an entity set
//! (`accounts/Microsoft.Dynamics.CRM.CreateMultiple`). Both kinds of parameters become one
//! JSON map, checked against the descriptor before the message runs.

mod bulk;
mod bulk_delete;
pub mod custom_api;
mod entity_param;
mod initialize_from;
pub mod jobs;
mod merge;
mod qualify_lead;
mod option_values;
mod query_expression;
mod retrieve_current_organization;
mod retrieve_metadata_changes;
mod retrieve_total_record_count;
mod send_email;
mod sharing;
mod team_members;
pub mod types;
mod who_am_i;

use std::sync::Arc;

use http::{Method, StatusCode};
use odata_parser::ast::{Literal, Parens};
use serde_json::{Map, Value as Json};

use super::Ctx;
use crate::error::{Code, Error, Result};
use crate::metadata::{EntityDef, Metadata};
use crate::route::RecordPath;
use crate::wire::response::Reply;

/// The namespace bound messages are addressed with.
pub const NAMESPACE: &str = "Microsoft.Dynamics.CRM.";

/// Function (`GET`, no side effects) or action (`POST`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Called with `GET`.
    Function,
    /// Called with `POST`.
    Action,
}

/// What a message is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// Called at the service root.
    Unbound,
    /// Called on one record of any table (`crmbaseentity`).
    Entity,
    /// Called on an entity set (`Collection(crmbaseentity)`).
    Collection,
    /// Called on one record of one table (`leads(id)/Microsoft.Dynamics.CRM.QualifyLead`).
    Table(&'static str),
    /// Called on one table's entity set (a custom API bound to an entity collection).
    TableSet(&'static str),
}

impl Binding {
    /// Whether a call on `target` can be this binding.
    fn accepts(self, target: &Target) -> bool {
        match (self, target) {
            (Binding::Unbound, Target::None) | (Binding::Entity, Target::Record(_)) | (Binding::Collection, Target::Set(_)) => true,
            (Binding::Table(t), Target::Record(r)) => r.entity.logical_name == t,
            (Binding::TableSet(t), Target::Set(e)) => e.logical_name == t,
            _ => false,
        }
    }
}

/// A declared parameter.
#[derive(Debug)]
pub struct Param {
    /// Name as sent.
    pub name: &'static str,
    /// CSDL type (`Edm.String`, `Collection(mscrm.crmbaseentity)`, `mscrm.TargetFieldType`…).
    pub ty: &'static str,
    /// Whether a call must give it (CSDL `Nullable="false"`).
    pub required: bool,
}

/// One function or action.
#[derive(Debug)]
pub struct Message {
    /// The message name.
    pub name: &'static str,
    /// Function or action.
    pub kind: Kind,
    /// Unbound, or bound to a record or a set.
    pub binding: Binding,
    /// Parameters, in declaration order (the binding parameter excluded).
    pub params: &'static [Param],
    /// CSDL return type; `None` for actions that answer 204.
    pub returns: Option<&'static str>,
    /// Runs the message once its parameters are checked.
    pub run: fn(&Ctx<'_, '_>, &Call) -> Result<Reply>,
}

/// Every message the emulator answers. `$metadata` declares exactly these.
pub static MESSAGES: &[&Message] = &[
    &who_am_i::WHO_AM_I,
    &who_am_i::RETRIEVE_VERSION,
    &retrieve_current_organization::MESSAGE,
    &retrieve_total_record_count::MESSAGE,
    &initialize_from::MESSAGE,
    &bulk::CREATE_MULTIPLE,
    &bulk::UPDATE_MULTIPLE,
    &bulk::UPSERT_MULTIPLE,
    &bulk::DELETE_MULTIPLE,
    &bulk_delete::MESSAGE,
    &merge::MESSAGE,
    &sharing::GRANT_ACCESS,
    &sharing::MODIFY_ACCESS,
    &sharing::REVOKE_ACCESS,
    &sharing::RETRIEVE_PRINCIPAL_ACCESS_USER,
    &sharing::RETRIEVE_PRINCIPAL_ACCESS_TEAM,
    &sharing::RETRIEVE_SHARED_PRINCIPALS_AND_ACCESS,
    &team_members::ADD_MEMBERS_TEAM,
    &team_members::REMOVE_MEMBERS_TEAM,
    &send_email::SEND_EMAIL,
    &send_email::SEND_EMAIL_FROM_TEMPLATE,
    &qualify_lead::MESSAGE,
    &retrieve_metadata_changes::MESSAGE,
    &option_values::INSERT,
    &option_values::UPDATE,
    &option_values::DELETE,
    &option_values::ORDER,
];

/// Well-known Dataverse messages the emulator doesn't implement yet: a clear 501 instead
/// of "Resource not found", so a client fails fast and says why.
const UNEMULATED: &[&str] = &[
    "ExecuteFetch",
    "RetrieveUserPrivileges",
    "WinOpportunity",
    "LoseOpportunity",
    "CloseIncident",
];

/// The record or set a bound message is called on.
#[derive(Debug)]
pub enum Target {
    /// An unbound call.
    None,
    /// `accounts(id)/Microsoft.Dynamics.CRM.Name`
    Record(RecordPath),
    /// `accounts/Microsoft.Dynamics.CRM.Name`
    Set(Arc<EntityDef>),
}

/// A checked call: the target and the parameters by name.
pub struct Call {
    /// The message called.
    pub message: &'static Message,
    /// What it is bound to.
    pub target: Target,
    /// Parameters, as JSON whichever way they were sent.
    pub args: Map<String, Json>,
}

impl Call {
    /// A parameter, if given and not null.
    pub fn arg(&self, name: &str) -> Option<&Json> {
        self.args.get(name).filter(|v| !v.is_null())
    }

    /// A string parameter (checked as such already).
    pub fn str_arg(&self, name: &str) -> Option<&str> {
        self.arg(name).and_then(Json::as_str)
    }

    /// The record a record-bound call is bound to, read from `state` (a transaction's view
    /// when writing).
    pub fn bound_record(&self, state: &crate::store::State) -> Result<Arc<crate::store::Record>> {
        match &self.target {
            Target::Record(r) => crate::operation::existing(state, r),
            _ => Err(Error::internal(format!("{} called without its record", self.message.name))),
        }
    }

    /// The table of a set-bound call.
    pub fn set(&self) -> Result<&Arc<EntityDef>> {
        match &self.target {
            Target::Set(e) => Ok(e),
            Target::Record(r) => Ok(&r.entity),
            Target::None => Err(Error::internal(format!("{} called without its entity set", self.message.name))),
        }
    }
}

/// The built-in messages and the org's custom APIs.
pub fn all(metadata: &Metadata) -> impl Iterator<Item = &'static Message> + '_ {
    MESSAGES.iter().copied().chain(metadata.custom_apis().iter().map(|c| {
        let c: &'static custom_api::CustomApi = c;
        &c.message
    }))
}

fn find(metadata: &Metadata, name: &str, target: &Target) -> Option<&'static Message> {
    all(metadata).find(|m| m.name == name && m.binding.accepts(target))
}

fn no_resource(url: &str) -> Error {
    Error::new(Code::ResourceNotFound, format!("No HTTP resource was found that matches the request URI '{url}'."))
}

fn not_emulated(name: &str) -> Error {
    Error::new(Code::NotSupported, format!("The message '{name}' is not emulated yet."))
}

/// Whether `name` is an unbound message the router should hand to [`route_unbound`].
pub fn is_unbound(metadata: &Metadata, name: &str) -> bool {
    find(metadata, name, &Target::None).is_some() || UNEMULATED.contains(&name)
}

/// Checks the method of a call to `message` and builds the operation.
fn operation(method: &Method, message: &'static Message, target: Target, parens: Option<Parens>, url: &str) -> Result<super::Operation> {
    let allowed = match message.kind {
        Kind::Function => *method == Method::GET,
        Kind::Action => *method == Method::POST,
    };
    if !allowed {
        return Err(no_resource(url));
    }
    if message.kind == Kind::Action && matches!(parens, Some(Parens::Single(_) | Parens::Named(_))) {
        return Err(Error::segment_not_found(message.name));
    }
    Ok(super::Operation::Message { message, target, parens })
}

/// `GET /Name(…)` or `POST /Name`.
pub fn route_unbound(metadata: &Metadata, method: &Method, name: &str, parens: Option<&Parens>, url: &str) -> Result<super::Operation> {
    match find(metadata, name, &Target::None) {
        Some(m) => operation(method, m, Target::None, parens.cloned(), url),
        None => Err(not_emulated(name)),
    }
}

/// `…/Microsoft.Dynamics.CRM.Name(…)` after a record or a set. Unknown names get the
/// service's unknown-segment error, and so do messages bound to another table; known but
/// unemulated ones a 501.
pub fn route_bound(metadata: &Metadata, method: &Method, segment: &str, parens: Option<&Parens>, target: Target, url: &str) -> Result<super::Operation> {
    let name = segment.strip_prefix(NAMESPACE).unwrap_or(segment);
    let table_bound = |m: &Message| matches!(m.binding, Binding::Table(_) | Binding::TableSet(_));
    match find(metadata, name, &target) {
        Some(m) => operation(method, m, target, parens.cloned(), url),
        None if UNEMULATED.contains(&name) => Err(not_emulated(segment)),
        None if all(metadata).any(|m| m.name == name && table_bound(m)) => Err(Error::segment_not_found(segment)),
        None if all(metadata).any(|m| m.name == name) => Err(not_emulated(segment)),
        None => Err(Error::segment_not_found(segment)),
    }
}

/// Runs a routed call: gathers and checks its parameters, then runs it.
pub fn invoke(ctx: &Ctx<'_, '_>, message: &'static Message, target: Target, parens: Option<Parens>) -> Result<Reply> {
    let args = match message.kind {
        Kind::Function => function_args(ctx, message, parens)?,
        Kind::Action => action_args(ctx, message)?,
    };
    check(message, &args)?;
    (message.run)(ctx, &Call { message, target, args })
}

/// Function parameters from the path, aliases resolved from the query string.
fn function_args(ctx: &Ctx<'_, '_>, message: &Message, parens: Option<Parens>) -> Result<Map<String, Json>> {
    let mut args = Map::new();
    let pairs = match parens {
        None | Some(Parens::Empty) => return Ok(args),
        Some(Parens::Named(pairs)) => pairs,
        Some(Parens::Single(_)) => return Err(Error::segment_not_found(message.name)),
    };
    for (name, literal) in pairs {
        let literal = match literal {
            Literal::Alias(alias) => {
                let text = ctx.query.aliases.iter().find(|(n, _)| *n == alias).map(|(_, v)| v.as_str()).ok_or_else(|| {
                    Error::new(Code::BadRequest, format!("The parameter alias '@{alias}' has no value in the query string."))
                })?;
                odata_parser::parse_literal(text)?
            }
            other => other,
        };
        args.insert(name, literal_json(&literal)?);
    }
    Ok(args)
}

/// A URL literal as the JSON value an action body would carry.
fn literal_json(literal: &Literal) -> Result<Json> {
    Ok(match literal {
        Literal::Null => Json::Null,
        Literal::Boolean(b) => Json::Bool(*b),
        Literal::Integer(i) => Json::from(*i),
        Literal::Decimal(d) => serde_json::from_str(d).unwrap_or_else(|_| Json::String(d.clone())),
        Literal::String(s) | Literal::DateTimeOffset(s) | Literal::Date(s) => Json::String(s.clone()),
        Literal::Guid(g) => Json::String(g.to_string()),
        Literal::Enum { value, .. } => Json::String(value.clone()),
        // `["contact"]`, or `{'@odata.id':'contacts(…)'}` as the docs write entity references.
        Literal::Json(text) => serde_json::from_str(text)
            .or_else(|_| serde_json::from_str(&text.replace('\'', "\"")))
            .map_err(|_| Error::new(Code::BadRequest, format!("The parameter value '{text}' is not valid JSON.")))?,
        Literal::Alias(a) => return Err(Error::new(Code::BadRequest, format!("The parameter alias '@{a}' refers to another alias."))),
    })
}

/// Action parameters from the JSON body (an empty body is no parameters).
fn action_args(ctx: &Ctx<'_, '_>, message: &Message) -> Result<Map<String, Json>> {
    if ctx.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Json>(ctx.body) {
        Ok(Json::Object(map)) => Ok(map),
        _ => Err(payload_error(message, "Microsoft.OData.ODataException: Invalid JSON. A token was not recognized in the JSON content.")),
    }
}

fn payload_error(message: &Message, inner: impl std::fmt::Display) -> Error {
    let code = match message.kind {
        Kind::Action => Code::PayloadError,
        Kind::Function => Code::BadRequest,
    };
    Error::new(code, inner.to_string())
}

/// Checks names, presence and types against the descriptor, with the OData library's
/// messages (the service validates operation parameters with it before running them).
fn check(message: &Message, args: &Map<String, Json>) -> Result<()> {
    for name in args.keys() {
        if name.starts_with('@') {
            continue;
        }
        if !message.params.iter().any(|p| p.name == name) {
            return Err(payload_error(
                message,
                format!("The parameter '{name}' in the request payload is not a valid parameter for the operation '{}'.", message.name),
            ));
        }
    }
    let missing: Vec<&str> = message.params.iter().filter(|p| p.required && args.get(p.name).is_none_or(Json::is_null)).map(|p| p.name).collect();
    if !missing.is_empty() {
        return Err(payload_error(
            message,
            format!(
                "One or more parameters of the operation '{}' are missing from the request payload. The missing parameters are: {}.",
                message.name,
                missing.join(", ")
            ),
        ));
    }
    for p in message.params {
        if let Some(value) = args.get(p.name).filter(|v| !v.is_null()) {
            if !types::fits(p.ty, value) {
                let shown = match value {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                };
                return Err(payload_error(message, format!("Cannot convert the literal '{shown}' to the expected type '{}'.", types::full_name(p.ty))));
            }
        }
    }
    Ok(())
}

/// A 200 response with the message's `…Response` context and `fields` at the top level.
pub fn response(ctx: &Ctx<'_, '_>, message: &Message, fields: Map<String, Json>) -> Reply {
    let mut body = Map::with_capacity(fields.len() + 1);
    body.insert("@odata.context".into(), Json::String(format!("{}$metadata#Microsoft.Dynamics.CRM.{}Response", ctx.root, message.name)));
    body.extend(fields);
    Reply::json(StatusCode::OK, &Json::Object(body))
}
