//! Entra errors: `error`, an `error_description` that starts with `AADSTS<n>:` and ends
//! with the trace lines, `error_codes`, `timestamp`, `trace_id`, `correlation_id` and
//! `error_uri`, as the v2 token endpoint writes them; the same error as redirect
//! parameters for the authorize endpoint, or as the sign-in error page it shows when it
//! must not redirect.

use http::StatusCode;
use serde_json::json;
use time::OffsetDateTime;

use crate::wire::response::Reply;

/// One AADSTS error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aadsts {
    /// 7000215: invalid client secret.
    InvalidClientSecret,
    /// 7000218: a confidential client sent no secret.
    MissingClientSecret,
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
    /// 9002313: the request is malformed (a bad parameter value).
    MalformedRequest,
    /// 70008: the authorization code (or refresh token) is unknown or expired.
    CodeExpired,
    /// 54005: the authorization code was already redeemed.
    CodeRedeemed,
    /// 50148: the PKCE code_verifier does not match the code_challenge.
    PkceMismatch,
    /// 700082: the refresh token expired from inactivity.
    RefreshTokenExpired,
    /// 70000: the grant is not valid for this request (redirect URI, client).
    InvalidGrant,
    /// 50011: the redirect URI is not registered for the app (never redirected).
    RedirectUriMismatch,
    /// 500113: the app has no redirect URI and the request named none.
    NoReplyAddress,
    /// 50034: the user named by `login_hint` is not in the directory.
    UserNotFound,
    /// 700054: a response_type other than `code`.
    UnsupportedResponseType,
}

impl Aadsts {
    fn parts(self) -> (StatusCode, &'static str, u32) {
        match self {
            Aadsts::InvalidClientSecret => (StatusCode::UNAUTHORIZED, "invalid_client", 7000215),
            Aadsts::MissingClientSecret => (StatusCode::UNAUTHORIZED, "invalid_client", 7000218),
            Aadsts::UnknownApplication => (StatusCode::BAD_REQUEST, "unauthorized_client", 700016),
            Aadsts::UnknownTenant => (StatusCode::BAD_REQUEST, "invalid_request", 90002),
            Aadsts::InvalidScope => (StatusCode::BAD_REQUEST, "invalid_scope", 70011),
            Aadsts::UnsupportedGrantType => (StatusCode::BAD_REQUEST, "unsupported_grant_type", 70003),
            Aadsts::MissingParameter => (StatusCode::BAD_REQUEST, "invalid_request", 900144),
            Aadsts::MalformedRequest => (StatusCode::BAD_REQUEST, "invalid_request", 9002313),
            Aadsts::CodeExpired => (StatusCode::BAD_REQUEST, "invalid_grant", 70008),
            Aadsts::CodeRedeemed => (StatusCode::BAD_REQUEST, "invalid_grant", 54005),
            Aadsts::PkceMismatch => (StatusCode::BAD_REQUEST, "invalid_grant", 50148),
            Aadsts::RefreshTokenExpired => (StatusCode::BAD_REQUEST, "invalid_grant", 700082),
            Aadsts::InvalidGrant => (StatusCode::BAD_REQUEST, "invalid_grant", 70000),
            Aadsts::RedirectUriMismatch => (StatusCode::BAD_REQUEST, "invalid_request", 50011),
            Aadsts::NoReplyAddress => (StatusCode::BAD_REQUEST, "invalid_request", 500113),
            Aadsts::UserNotFound => (StatusCode::BAD_REQUEST, "invalid_request", 50034),
            Aadsts::UnsupportedResponseType => (StatusCode::BAD_REQUEST, "unsupported_response_type", 700054),
        }
    }
}

/// One error occurrence: the fields every rendering shares.
struct Occurrence {
    status: StatusCode,
    error: &'static str,
    code: u32,
    description: String,
    timestamp: String,
    trace: uuid::Uuid,
    correlation: uuid::Uuid,
}

fn occurrence(kind: Aadsts, detail: &str, now: OffsetDateTime) -> Occurrence {
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
    let description = format!("AADSTS{code}: {detail}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {timestamp}");
    Occurrence { status, error, code, description, timestamp, trace, correlation }
}

/// The token endpoint's error response for `kind`, with a description of what was wrong.
pub fn reply(kind: Aadsts, detail: &str, now: OffsetDateTime) -> Reply {
    let o = occurrence(kind, detail, now);
    let body = json!({
        "error": o.error,
        "error_description": o.description,
        "error_codes": [o.code],
        "timestamp": o.timestamp,
        "trace_id": o.trace,
        "correlation_id": o.correlation,
        "error_uri": format!("https://login.microsoftonline.com/error?code={}", o.code),
    });
    Reply::json_with_type(o.status, &body, "application/json; charset=utf-8").header("cache-control", "no-store, no-cache").header("pragma", "no-cache")
}

/// The parameters the authorize endpoint sends back to the app's redirect URI.
pub fn redirect_params(kind: Aadsts, detail: &str, now: OffsetDateTime) -> Vec<(&'static str, String)> {
    let o = occurrence(kind, detail, now);
    vec![("error", o.error.to_string()), ("error_description", o.description), ("error_uri", format!("https://login.microsoftonline.com/error?code={}", o.code))]
}

/// The sign-in error page, for errors where redirecting would be unsafe (an unknown app or
/// an unregistered redirect URI): 400 and HTML, never a redirect.
pub fn page(kind: Aadsts, detail: &str, now: OffsetDateTime) -> Reply {
    let o = occurrence(kind, detail, now);
    let html = format!(
        "<!DOCTYPE html>\n<html><head><title>Sign in to your account</title></head><body>\n<h1>Sign in</h1>\n<p>Sorry, but we\u{2019}re having trouble signing you in.</p>\n<p id=\"error\">AADSTS{}: {}</p>\n<p>Request Id: {}<br>Correlation Id: {}<br>Timestamp: {}</p>\n</body></html>\n",
        o.code,
        html_escape(detail),
        o.trace,
        o.correlation,
        o.timestamp
    );
    Reply::empty(StatusCode::BAD_REQUEST).with_body("text/html; charset=utf-8".to_string(), html.into()).header("cache-control", "no-store, no-cache")
}

/// Escapes text for HTML content and attribute values (one escaper for every page served).
pub use crate::wire::html::escape as html_escape;
