//! A target: a Web API root, the client to reach it, and the token to present.

use bytes::Bytes;
use http::Method;
use serde_json::Value;

use crate::http::{encode_url, Client, Response};

/// Client-credentials settings for the token endpoint (Entra ID or the emulator's own).
#[derive(Debug, Clone)]
pub struct Credentials {
    /// `https://login.microsoftonline.com` for a live org; the emulator's origin for it.
    pub authority: String,
    pub tenant: String,
    pub client_id: String,
    pub client_secret: String,
}

/// Where scenarios are played.
#[derive(Clone)]
pub struct Target {
    /// A label for reports (`emulator`, `org`, or the URL).
    pub label: String,
    /// The Web API root, ending in `/api/data/v9.2/`.
    pub base: String,
    /// Scheme and authority of `base`.
    pub origin: String,
    pub client: Client,
    /// The bearer token sent with each request (None: no `Authorization` header).
    pub token: Option<String>,
}

impl Target {
    /// `url` may be an org URL (`https://contoso.crm.dynamics.com`) or a Web API root.
    pub fn new(label: &str, url: &str, client: Client, token: Option<String>) -> Result<Target, String> {
        let trimmed = url.trim_end_matches('/');
        let base = if trimmed.contains("/api/data/") { format!("{trimmed}/") } else { format!("{trimmed}/api/data/v9.2/") };
        let uri: http::Uri = base.parse().map_err(|e| format!("bad target URL {url:?}: {e}"))?;
        let origin = format!("{}://{}", uri.scheme_str().unwrap_or("http"), uri.authority().map(|a| a.as_str()).unwrap_or_default());
        Ok(Target { label: label.to_string(), base, origin, client, token })
    }

    /// Resolves a scenario path: absolute URLs as they are, `/x` against the origin,
    /// anything else against the Web API root.
    pub fn url(&self, path: &str) -> String {
        let raw = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else if path.starts_with('/') {
            format!("{}{path}", self.origin)
        } else {
            format!("{}{path}", self.base)
        };
        encode_url(&raw)
    }

    pub async fn send(&self, method: Method, path: &str, headers: &[(String, String)], body: Bytes) -> Result<Response, String> {
        self.client.send(method, &self.url(path), headers, body).await
    }
}

/// Fetches an app token with the client-credentials grant (v2 endpoint, scope
/// `<org>/.default`), as the clients do (wire reference §8.1).
pub async fn client_credentials_token(client: &Client, creds: &Credentials, org_origin: &str) -> Result<String, String> {
    let url = format!("{}/{}/oauth2/v2.0/token", creds.authority.trim_end_matches('/'), creds.tenant);
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&scope={}",
        form_encode(&creds.client_id),
        form_encode(&creds.client_secret),
        form_encode(&format!("{org_origin}/.default"))
    );
    let headers = vec![("content-type".to_string(), "application/x-www-form-urlencoded".to_string()), ("accept".to_string(), "application/json".to_string())];
    let res = client.send(Method::POST, &url, &headers, Bytes::from(form)).await?;
    let json: Value = serde_json::from_slice(&res.body).unwrap_or(Value::Null);
    match json["access_token"].as_str() {
        Some(t) if res.status.is_success() => Ok(t.to_string()),
        _ => Err(format!("token request to {url} failed: {} {}", res.status, res.text())),
    }
}

fn form_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
