//! Entra token-endpoint errors: `error`, an `error_description` that starts with
//! `AADSTS<n>:` and ends with the trace lines, `error_codes`, `timestamp`, `trace_id`,
//! `correlation_id` and `error_uri`, as the v2 endpoint writes them.

use http::StatusCode;
use serde_json::json;
use time::OffsetDateTime;

use crate::wire::response::Reply;

/// One AADSTS error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aadsts {
    /// 7000215: invalid client secret.
    InvalidClientSecret,
    /// 700016: application not found in the tenant.
    UnknownApplication,
    /// 90002: tenant not found.
    UnknownTenant,
    /// 70011: invalid scope.
    InvalidScope,
    /// 70003 (unsupported_grant_type).
    UnsupportedGrantType,
    /// 900144: a required parameter is missing.
    MissingParameter,
}

impl Aadsts {
    fn parts(self) -> (StatusCode, &'static str, u32) {
        match self {
            Aadsts::InvalidClientSecret => (StatusCode::UNAUTHORIZED, "invalid_client", 7000215),
            Aadsts::UnknownApplication => (StatusCode::BAD_REQUEST, "unauthorized_client", 700016),
            Aadsts::UnknownTenant => (StatusCode::BAD_REQUEST, "invalid_request", 90002),
            Aadsts::InvalidScope => (StatusCode::BAD_REQUEST, "invalid_scope", 70011),
            Aadsts::UnsupportedGrantType => (StatusCode::BAD_REQUEST, "unsupported_grant_type", 70003),
            Aadsts::MissingParameter => (StatusCode::BAD_REQUEST, "invalid_request", 900144),
        }
    }
}

/// The error response for `kind`, with a description of what was wrong.
pub fn reply(kind: Aadsts, detail: &str, now: OffsetDateTime) -> Reply {
    let (status, error, code) = kind.parts();
    let trace = uuid::Uuid::new_v4();
    let correlation = uuid::Uuid::new_v4();
    let timestamp = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {detail}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}"),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    });
    Reply::json_with_type(status, &body, "application/json; charset=utf-8").header("cache-control", "no-store, no-cache").header("pragma", "no-cache")
}
