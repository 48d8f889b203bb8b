//! The emulator's own API, under `/_emulator/…`: off the Web API path, so no Dataverse
//! client ever reaches it by accident, and never behind a token (it is a local test tool).
//!
//! The first path segment picks a handler from [`ROUTES`]; each handler gets the rest of
//! the segments and answers JSON. Every admin failure has one small shape,
//! `{"error":{"code":"NotFound","message":"…"}}` ([`AdminError`]), with a word for a code
//! instead of Dataverse's hex, so a test can tell the admin API's errors from the emulated
//! service's at a glance.

pub mod clock;
pub mod faults;
pub mod health;
pub mod journal;
pub mod orgs;
pub mod snapshots;
pub mod throttle;
pub mod verify;
pub mod wire;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use serde_json::{json, Value as Json};

use crate::app::App;
use crate::org::OrgError;
use crate::wire::response::Reply;

/// Where the admin API lives.
pub const PREFIX: &str = "/_emulator";

/// The admin media type (plain JSON: these are not OData resources).
const JSON: &str = "application/json; charset=utf-8";

/// What a handler returns.
pub type AdminResult = Result<Reply, AdminError>;

/// A handler: the app, the request, and the path segments after its own.
pub type Handler = fn(&App, &Request<Bytes>, &[&str]) -> AdminResult;

/// First path segment → handler. A new admin area is one more line here.
pub const ROUTES: &[(&str, Handler)] = &[
    ("health", health::handle),
    ("orgs", orgs::handle),
    ("journal", journal_routes),
    ("faults", faults_routes),
    ("clock", clock_routes),
    ("webhooks", crate::webhooks::deliveries::admin),
];

/// The journal, fault and clock handlers answer their own errors (Dataverse-shaped,
/// through [`wire`]); a path they don't serve is the admin API's 404.
fn unknown(req: &Request<Bytes>) -> AdminError {
    AdminError::not_found(format!("No admin endpoint at '{}'.", req.uri().path()))
}

/// `/_emulator/journal` (GET queries, DELETE clears) and `/_emulator/journal/verify` (POST).
fn journal_routes(app: &App, req: &Request<Bytes>, rest: &[&str]) -> AdminResult {
    let answer = match (rest, req.method().clone()) {
        ([], Method::GET) => journal::query(app.journal(), req),
        ([], Method::DELETE) => journal::clear(app.journal()),
        (["verify"], Method::POST) => verify::verify(app.journal(), req),
        ([] | ["verify"], _) => Err(wire::method_not_allowed(req)),
        _ => return Err(unknown(req)),
    };
    Ok(answer.unwrap_or_else(Reply::from))
}

/// `/_emulator/faults`: GET shows, POST configures, DELETE clears.
fn faults_routes(app: &App, req: &Request<Bytes>, rest: &[&str]) -> AdminResult {
    if !rest.is_empty() {
        return Err(unknown(req));
    }
    let answer = match req.method().clone() {
        Method::GET => Ok(app.faults().show()),
        Method::POST => app.faults().configure(req),
        Method::DELETE => Ok(app.faults().clear()),
        _ => Err(wire::method_not_allowed(req)),
    };
    Ok(answer.unwrap_or_else(Reply::from))
}

/// `/_emulator/clock`: the clock of the org the Host header names (or the default org).
fn clock_routes(app: &App, req: &Request<Bytes>, rest: &[&str]) -> AdminResult {
    if !rest.is_empty() {
        return Err(unknown(req));
    }
    let answer = app.org_for(req).and_then(|org| match req.method().clone() {
        Method::GET => clock::get(&org),
        Method::POST => clock::change(&org, req),
        Method::DELETE => clock::reset(&org),
        _ => Err(wire::method_not_allowed(req)),
    });
    Ok(answer.unwrap_or_else(Reply::from))
}

/// The part of `path` after [`PREFIX`], if it is an admin path.
pub fn path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(PREFIX)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// Answers an admin request; `rest` is the path after [`PREFIX`].
pub fn handle(app: &App, req: &Request<Bytes>, rest: &str) -> Reply {
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let result = match ROUTES.iter().find(|(name, _)| segments.first() == Some(name)) {
        Some((_, handler)) => handler(app, req, &segments[1..]),
        None => Err(AdminError::not_found(format!(
            "No admin endpoint at '{PREFIX}{rest}'. Endpoints: {}.",
            ROUTES.iter().map(|(n, _)| format!("{PREFIX}/{n}")).collect::<Vec<_>>().join(", ")
        ))),
    };
    result.unwrap_or_else(AdminError::reply)
}

/// A JSON response.
pub fn reply(status: StatusCode, body: &Json) -> Reply {
    Reply::json_with_type(status, body, JSON)
}

/// The request's JSON body (an empty body reads as `{}`).
pub fn body(req: &Request<Bytes>) -> Result<Json, AdminError> {
    if req.body().iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(req.body()).map_err(|e| AdminError::bad_request(format!("The request body is not valid JSON: {e}")))
}

/// `scheme://host` as the client addressed the emulator, for URLs in admin answers.
pub fn origin(req: &Request<Bytes>) -> String {
    let scheme = req.extensions().get::<crate::app::Scheme>().map_or("http", |s| s.0);
    format!("{scheme}://{}", crate::app::request_host(req))
}

/// A value from the query string (`?name=x`), not percent-decoded (admin names need none).
pub fn query_param<'r>(req: &'r Request<Bytes>, name: &str) -> Option<&'r str> {
    req.uri().query()?.split('&').find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
}

/// An admin API failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A word: `NotFound`, `BadRequest`, `Conflict`, `MethodNotAllowed`, `Internal`.
    pub code: &'static str,
    /// What went wrong, for a person.
    pub message: String,
    /// For 405: the methods the path takes (the `Allow` header).
    pub allow: Option<String>,
}

impl AdminError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> AdminError {
        AdminError { status, code, message: message.into(), allow: None }
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> AdminError {
        AdminError::new(StatusCode::NOT_FOUND, "NotFound", message)
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> AdminError {
        AdminError::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    /// 409.
    pub fn conflict(message: impl Into<String>) -> AdminError {
        AdminError::new(StatusCode::CONFLICT, "Conflict", message)
    }

    /// 500: the emulator failed (an export that can't be written, …).
    pub fn internal(message: impl Into<String>) -> AdminError {
        AdminError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal", message)
    }

    /// 405, naming the methods the path takes.
    pub fn method_not_allowed(req: &Request<Bytes>, allowed: &[Method]) -> AdminError {
        let allowed: Vec<&str> = allowed.iter().map(Method::as_str).collect();
        let mut e = AdminError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("{} is not allowed on {}; use {}.", req.method(), req.uri().path(), allowed.join(" or ")),
        );
        e.allow = Some(allowed.join(", "));
        e
    }

    /// The error as a response.
    pub fn reply(self) -> Reply {
        let r = reply(self.status, &json!({ "error": { "code": self.code, "message": self.message } }));
        r.header_opt("allow", self.allow)
    }
}

impl From<OrgError> for AdminError {
    fn from(e: OrgError) -> AdminError {
        match e {
            OrgError::NotFound(m) => AdminError::not_found(m),
            OrgError::Conflict(m) => AdminError::conflict(m),
            OrgError::Invalid(m) => AdminError::bad_request(m),
        }
    }
}
