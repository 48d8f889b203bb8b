//! Server-rendered pages read through the Web API itself (the same routing, query plan
//! and JSON rendering a client gets, formatted values included), never around it: what the
//! dashboard shows is what a client would read. Reads only; edits are made by the page's
//! script with real Web API requests, so the journal and webhooks see them.

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use serde_json::Value;

use crate::operation::access::Access;
use crate::org::Org;

/// The Web API version the dashboard speaks.
pub const VERSION: &str = "v9.2";

/// A Web API error, as the service answered it.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The error message.
    pub message: String,
}

/// `GET <org>/api/data/v9.2/<rel>` with every annotation (`rel` is already URL-encoded),
/// as the org's default caller.
pub fn get(org: &Org, host: &str, rel: &str) -> Result<Value, ApiError> {
    let uri = format!("/org/{}/api/data/{VERSION}/{rel}", org.settings.name);
    let req = Request::builder()
        .method(Method::GET)
        .uri(&uri)
        .header(http::header::HOST, host)
        .header("prefer", "odata.include-annotations=\"*\"")
        .body(Bytes::new())
        .map_err(|e| ApiError { status: StatusCode::BAD_REQUEST, message: format!("The address '{uri}' is not valid: {e}") })?;
    let reply = crate::app::execute(org, &req, Access::Store(&org.store), org.settings.caller_id).unwrap_or_else(Into::into);
    let (status, _, body) = reply.parts();
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if status.is_success() {
        Ok(json)
    } else {
        let message = json["error"]["message"].as_str().unwrap_or("The Web API answered with an error.").to_string();
        Err(ApiError { status, message })
    }
}

/// A metadata label's text (`DisplayName.UserLocalizedLabel.Label`), if any.
pub fn label(v: &Value) -> Option<&str> {
    v["UserLocalizedLabel"]["Label"].as_str().filter(|s| !s.is_empty())
}
