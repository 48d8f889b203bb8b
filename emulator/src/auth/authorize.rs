//! `GET /{tenant}/oauth2/v2.0/authorize` (and the v1 `/{tenant}/oauth2/authorize`): the
//! sign-in page, without the page. The user is signed in at once (the `login_hint`, or
//! the app's default user) and the browser is sent straight back to the app with a
//! one-time code: a 302 (`response_mode=query` or `fragment`) or an auto-submitting form
//! (`form_post`). As in Entra, a request naming an unknown app or an unregistered
//! redirect URI gets an error page instead, since redirecting there would be unsafe;
//! every other error goes back to the app as `error` / `error_description`.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::StatusCode;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::directory;
use super::errors::{self, html_escape, Aadsts};
use super::grants::{ChallengeMethod, Code, Session, CODE_LIFETIME_SECS};
use super::scope;
use super::service::TokenService;
use super::token::{find_app, form, is_sign_in_tenant, unknown_app_detail};
use crate::wire::response::Reply;

/// The prompt values Entra accepts; with no UI they all sign the user straight in.
const PROMPTS: [&str; 5] = ["login", "none", "consent", "select_account", "create"];

/// What `application/x-www-form-urlencoded` leaves unescaped.
const FORM: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// How the result goes back to the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Query,
    Fragment,
    FormPost,
}

/// Where and how to answer, once the redirect URI is trusted.
struct Return<'a> {
    redirect_uri: String,
    mode: Mode,
    state: Option<&'a str>,
    /// Sent after `state` on success, as Entra does.
    session_state: Option<String>,
}

impl Return<'_> {
    /// Sends `params` (plus `state`) back to the app.
    fn send(&self, mut params: Vec<(&'static str, String)>) -> Reply {
        if let Some(s) = self.state {
            params.push(("state", s.to_string()));
        }
        if let Some(s) = &self.session_state {
            params.push(("session_state", s.clone()));
        }
        match self.mode {
            Mode::FormPost => form_post(&self.redirect_uri, &params),
            Mode::Query | Mode::Fragment => {
                let encoded: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, FORM))).collect();
                let sep = match self.mode {
                    Mode::Fragment => '#',
                    _ if self.redirect_uri.contains('?') => '&',
                    _ => '?',
                };
                Reply::empty(StatusCode::FOUND).header("location", format!("{}{sep}{}", self.redirect_uri, encoded.join("&"))).header("cache-control", "no-store, no-cache")
            }
        }
    }

    fn error(&self, svc: &TokenService, kind: Aadsts, detail: &str) -> Reply {
        self.send(errors::redirect_params(kind, detail, svc.now()))
    }
}

/// The page Entra answers `response_mode=form_post` with: a form that posts itself.
fn form_post(action: &str, params: &[(&'static str, String)]) -> Reply {
    let inputs: String = params.iter().map(|(k, v)| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\" />", html_escape(v))).collect();
    let html = format!(
        "<html><head><title>Working...</title></head><body><form method=\"POST\" name=\"hiddenform\" action=\"{}\">{inputs}<noscript><p>Script is disabled. Click Submit to continue.</p><input type=\"submit\" value=\"Submit\" /></noscript></form><script language=\"javascript\">document.forms[0].submit();</script></body></html>",
        html_escape(action)
    );
    Reply::empty(StatusCode::OK).with_body("text/html; charset=utf-8".to_string(), html.into()).header("cache-control", "no-store, no-cache")
}

/// Whether `requested` matches a registered redirect URI: exactly, except that for
/// `http://localhost` and `http://127.0.0.1` the port may differ (Entra's loopback rule).
pub fn redirect_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let loopback = |uri: &str| -> Option<(String, String)> {
        let rest = uri.strip_prefix("http://")?;
        let (authority, path) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
        let host = authority.rsplit_once(':').map_or(authority, |(h, port)| if port.chars().all(|c| c.is_ascii_digit()) { h } else { authority });
        let host = host.to_ascii_lowercase();
        (host == "localhost" || host == "127.0.0.1").then(|| (host, if path.is_empty() { "/".to_string() } else { path.to_string() }))
    };
    matches!((loopback(registered), loopback(requested)), (Some(a), Some(b)) if a == b)
}

fn param<'p>(params: &'p HashMap<String, String>, name: &str) -> Option<&'p str> {
    params.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

/// Handles an authorize request; `query` is the raw query string.
pub fn handle(svc: &TokenService, tenant: &str, query: &str, v1: bool) -> Reply {
    let now = svc.now();
    let settings = &svc.org.settings;
    if !is_sign_in_tenant(settings, tenant) {
        return errors::page(Aadsts::UnknownTenant, &format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."), now);
    }
    let params = form(query.as_bytes());
    // Until the app and its redirect URI are known to be good, errors stay on the page.
    let Some(client_id) = param(&params, "client_id") else {
        return errors::page(Aadsts::MissingParameter, "The request body must contain the following parameter: 'client_id'.", now);
    };
    let Some(app) = find_app(settings, client_id) else {
        return errors::page(Aadsts::UnknownApplication, &unknown_app_detail(client_id, tenant), now);
    };
    let redirect_uri = match param(&params, "redirect_uri") {
        Some(uri) if app.redirect_uris.iter().any(|r| redirect_matches(r, uri)) => uri.to_string(),
        Some(uri) => {
            return errors::page(
                Aadsts::RedirectUriMismatch,
                &format!("The redirect URI '{uri}' specified in the request does not match the redirect URIs configured for the application '{client_id}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this."),
                now,
            )
        }
        None => match app.redirect_uris.first() {
            Some(uri) => uri.clone(),
            None => return errors::page(Aadsts::NoReplyAddress, &format!("No reply address is registered for the application '{client_id}'."), now),
        },
    };
    let mode = match param(&params, "response_mode") {
        Some("form_post") => Mode::FormPost,
        Some("fragment") => Mode::Fragment,
        _ => Mode::Query,
    };
    let back = Return { redirect_uri: redirect_uri.clone(), mode, state: param(&params, "state"), session_state: None };
    if let Some(m) = param(&params, "response_mode").filter(|m| !["query", "fragment", "form_post"].contains(m)) {
        return back.error(svc, Aadsts::MalformedRequest, &format!("The provided value for the input parameter 'response_mode' is not valid: '{m}'."));
    }
    match param(&params, "response_type") {
        None => return back.error(svc, Aadsts::MissingParameter, "The request body must contain the following parameter: 'response_type'."),
        Some("code") => {}
        Some(other) => return back.error(svc, Aadsts::UnsupportedResponseType, &format!("The provided value for the input parameter 'response_type' is not allowed for this request: '{other}'. This emulator issues authorization codes only.")),
    }
    let raw_scope = param(&params, "scope").unwrap_or("");
    let requested = if v1 {
        let Some(resource) = param(&params, "resource") else {
            return back.error(svc, Aadsts::MissingParameter, "The request body must contain the following parameter: 'resource'.");
        };
        scope::v1(resource, raw_scope)
    } else {
        if raw_scope.is_empty() {
            return back.error(svc, Aadsts::MissingParameter, "The request body must contain the following parameter: 'scope'.");
        }
        scope::delegated(raw_scope)
    };
    let Some(requested) = requested else {
        return back.error(svc, Aadsts::InvalidScope, &format!("The provided value for the input parameter 'scope' is not valid. The scope {raw_scope} is not valid."));
    };
    let challenge = match (param(&params, "code_challenge"), param(&params, "code_challenge_method")) {
        (None, _) => None,
        (Some(c), None | Some("plain")) => Some((c.to_string(), ChallengeMethod::Plain)),
        (Some(c), Some("S256")) => Some((c.to_string(), ChallengeMethod::S256)),
        (Some(_), Some(m)) => return back.error(svc, Aadsts::MalformedRequest, &format!("The provided value for the input parameter 'code_challenge_method' is not valid: '{m}'. Expected 'S256' or 'plain'.")),
    };
    if let Some(p) = param(&params, "prompt").filter(|p| !PROMPTS.contains(p)) {
        return back.error(svc, Aadsts::MalformedRequest, &format!("Invalid value specified for the 'prompt' parameter: '{p}'."));
    }
    let hint = param(&params, "login_hint").map(str::to_string).or_else(|| directory::default_hint(svc.org, app)).unwrap_or_default();
    let Some(user) = directory::find(svc.org, &hint) else {
        let directory = settings.tenant_domain.clone().unwrap_or_else(|| settings.tenant_id.to_string());
        return back.error(svc, Aadsts::UserNotFound, &format!("User account '{hint}' from identity provider 'live.com' does not exist in tenant '{directory}' and cannot access the application '{client_id}' in that tenant."));
    };
    let mut reply = vec![];
    let code = Code {
        session: Session { client_id: app.client_id, user: user.clone(), scope: requested },
        redirect_uri,
        challenge,
        nonce: param(&params, "nonce").map(str::to_string),
        expires: now.unix_timestamp() + CODE_LIFETIME_SECS,
        redeemed: false,
    };
    reply.push(("code", svc.grants.issue_code(code, now.unix_timestamp())));
    if param(&params, "client_info") == Some("1") {
        let info = serde_json::json!({ "uid": user.object_id, "utid": settings.tenant_id }).to_string();
        reply.push(("client_info", URL_SAFE_NO_PAD.encode(info)));
    }
    Return { session_state: Some(uuid::Uuid::new_v4().to_string()), ..back }.send(reply)
}

#[cfg(test)]
mod tests {
    use super::redirect_matches;

    #[test]
    fn loopback_redirects_ignore_the_port_only() {
        assert!(redirect_matches("http://localhost/callback", "http://localhost:53123/callback"));
        assert!(redirect_matches("http://localhost", "http://localhost:8400"));
        assert!(redirect_matches("http://127.0.0.1/cb", "http://127.0.0.1:9/cb"));
        assert!(!redirect_matches("http://localhost/callback", "http://localhost:53123/other"));
        assert!(!redirect_matches("https://app.example/cb", "https://app.example:444/cb"));
        assert!(!redirect_matches("http://localhost/callback", "https://localhost/callback"));
    }
}
