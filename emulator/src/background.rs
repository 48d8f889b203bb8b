//! Background operations (Microsoft Learn, "Background operations"): a Custom API called
//! with `Prefer: respond-async` is accepted with `202`, a `Location` status monitor
//! (`<org>/api/backgroundoperation/<id>`, outside the Web API) and
//! `x-ms-dyn-backgroundoperationid`, and runs later.
//!
//! "Later" is the org's next request: like the system jobs of [`crate::operation::message::jobs`],
//! waiting operations run at the start of the next request to their org, through the same
//! path a request takes ([`crate::app::execute_part`]), as the caller who sent them. A
//! `GET` of the status monitor is such a request, so a client polling it sees the outcome
//! on its first poll: `backgroundOperationStateCode` 3 (Completed) with status 30 (Succeeded)
//! and the Custom API's response properties, or 31 (Failed) with
//! `backgroundOperationErrorCode` (the Dataverse code as an integer) and
//! `backgroundOperationErrorMessage`. A `DELETE` of the status monitor is looked at before
//! anything runs: an operation still waiting is canceled (2/22, then 3/32 Canceled, never
//! run); a finished one can't be. Operations live in memory with their org (no
//! `backgroundoperations` table rows, no `odata.callback` POST).

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use serde_json::{json, Map, Value as Json};
use uuid::Uuid;

use crate::operation::access::Access;
use crate::org::Org;
use crate::wire::response::Reply;

/// The status monitor's path, after the org's prefix.
pub const MONITOR_PATH: &str = "/api/backgroundoperation/";

/// State and status codes (the `backgroundoperation` table's choices).
const READY: (i64, i64) = (0, 0);
const CANCELING: (i64, i64) = (2, 22);
const SUCCEEDED: (i64, i64) = (3, 30);
const FAILED: (i64, i64) = (3, 31);
const CANCELED: (i64, i64) = (3, 32);

/// One accepted request.
#[derive(Debug)]
struct Operation {
    /// The request to run, without its `respond-async` preference.
    request: Request<Bytes>,
    caller: Uuid,
    state: (i64, i64),
    /// Response properties, or (code, message) on failure.
    outcome: Option<std::result::Result<Map<String, Json>, (i64, String)>>,
}

/// An org's background operations.
#[derive(Debug, Default)]
pub struct Operations {
    all: Mutex<HashMap<Uuid, Operation>>,
    /// Operations waiting to run (checked without the lock's contention on every request).
    waiting: std::sync::atomic::AtomicUsize,
}

impl Operations {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Operation>> {
        self.all.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Whether `req` asks to run in the background and calls one of `org`'s Custom APIs (only
/// those run in the background; other requests ignore the preference, as they run at once).
pub fn wanted(org: &Org, req: &Request<Bytes>) -> bool {
    if !crate::wire::headers::Preferences::from_headers(req.headers()).respond_async {
        return false;
    }
    let last = req.uri().path().rsplit('/').next().unwrap_or("");
    let name = last.split('(').next().unwrap_or("").trim_start_matches("Microsoft.Dynamics.CRM.");
    org.metadata().custom_apis().iter().any(|api| api.message.name.eq_ignore_ascii_case(name))
}

/// Accepts `req` to run later; `origin` is the org's URL as the client addressed it.
pub fn accept(org: &Org, req: &Request<Bytes>, caller: Uuid, origin: &str) -> Reply {
    let id = org.ids.new_id();
    let mut request = req.clone();
    let kept: Vec<String> = request
        .headers()
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(str::trim).filter(|i| !i.eq_ignore_ascii_case("respond-async") && !i.to_ascii_lowercase().starts_with("odata.callback")).map(str::to_string).collect::<Vec<_>>())
        .collect();
    request.headers_mut().remove("prefer");
    if let Ok(v) = http::HeaderValue::from_str(&kept.join(",")) {
        if !kept.is_empty() {
            request.headers_mut().insert("prefer", v);
        }
    }
    org.background.lock().insert(id, Operation { request, caller, state: READY, outcome: None });
    org.background.waiting.fetch_add(1, std::sync::atomic::Ordering::Release);
    Reply::empty(StatusCode::ACCEPTED)
        .header("location", format!("{origin}{MONITOR_PATH}{id}"))
        .header("x-ms-dyn-backgroundoperationid", id.to_string())
        .header("preference-applied", "respond-async")
}

/// Runs the operations waiting in `org` (canceled ones end as Canceled, unrun).
pub fn step(org: &Org) {
    if org.background.waiting.swap(0, std::sync::atomic::Ordering::AcqRel) == 0 {
        return;
    }
    let due: Vec<(Uuid, Request<Bytes>, Uuid)> = {
        let mut all = org.background.lock();
        let mut due = Vec::new();
        for (id, op) in all.iter_mut() {
            match op.state {
                READY => {
                    op.state = (2, 20);
                    due.push((*id, op.request.clone(), op.caller));
                }
                CANCELING => op.state = CANCELED,
                _ => {}
            }
        }
        due
    };
    for (id, request, caller) in due {
        let (result, _, _) = crate::app::execute_part(org, &request, Access::Store(&org.store), caller);
        let outcome = match result {
            Ok(reply) => {
                let body: Json = serde_json::from_slice(reply.parts().2).unwrap_or(Json::Null);
                let outputs: Map<String, Json> = body.as_object().map(|m| m.iter().filter(|(k, _)| !k.starts_with('@')).map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
                Ok(outputs)
            }
            Err(e) => Err((code_number(e.code().hex()), e.message().to_string())),
        };
        if let Some(op) = org.background.lock().get_mut(&id) {
            op.state = if outcome.is_ok() { SUCCEEDED } else { FAILED };
            op.outcome = Some(outcome);
        }
    }
}

/// A Dataverse code (`0x80040217`) as the signed integer the status monitor reports.
fn code_number(hex: &str) -> i64 {
    u32::from_str_radix(hex.trim_start_matches("0x"), 16).map_or(0, |n| i64::from(n as i32))
}

/// `GET` or `DELETE <org>/api/backgroundoperation/<id>`.
pub fn monitor(org: &Org, method: &Method, id_text: &str) -> Reply {
    let not_found = || {
        let body = json!({"error": {"message": format!("Could not find item '{id_text}'."), "details": [{"message": "Resource Not Found."}]}});
        Reply::json(StatusCode::NOT_FOUND, &body)
    };
    let Ok(id) = Uuid::parse_str(id_text.trim_matches(|c| c == '{' || c == '}')) else { return not_found() };
    if *method == Method::DELETE {
        let mut all = org.background.lock();
        let Some(op) = all.get_mut(&id) else { return not_found() };
        if op.state.0 == 3 {
            let body = json!({"error": {"message": "Canceling background operation is not allowed after it is in terminal state."}});
            return Reply::json(StatusCode::BAD_REQUEST, &body);
        }
        op.state = CANCELING;
        org.background.waiting.fetch_add(1, std::sync::atomic::Ordering::Release);
        return Reply::json(StatusCode::OK, &json!({"backgroundOperationStateCode": CANCELING.0, "backgroundOperationStatusCode": CANCELING.1}));
    }
    if *method != Method::GET {
        return Reply::json(StatusCode::METHOD_NOT_ALLOWED, &json!({"error": {"message": format!("The status monitor supports GET and DELETE, not {method}.")}}));
    }
    step(org);
    let all = org.background.lock();
    let Some(op) = all.get(&id) else { return not_found() };
    let mut body = Map::new();
    body.insert("backgroundOperationStateCode".into(), json!(op.state.0));
    body.insert("backgroundOperationStatusCode".into(), json!(op.state.1));
    match &op.outcome {
        Some(Ok(outputs)) => body.extend(outputs.clone()),
        Some(Err((code, message))) => {
            body.insert("backgroundOperationErrorCode".into(), json!(code));
            body.insert("backgroundOperationErrorMessage".into(), json!(message));
        }
        None => {}
    }
    Reply::json(StatusCode::OK, &Json::Object(body))
}
