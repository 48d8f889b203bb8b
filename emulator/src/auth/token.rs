//! `POST /{tenant}/oauth2/v2.0/token`: the client-credentials grant, with the secret in
//! the form or in HTTP Basic, issuing Dataverse-shaped v1 access tokens.

use std::collections::HashMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::{HeaderMap, StatusCode};
use percent_encoding::percent_decode_str;
use serde_json::json;
use time::OffsetDateTime;

use super::errors::{self, Aadsts};
use super::keys::SigningKey;
use crate::org::{Application, OrgSettings};
use crate::wire::response::Reply;

/// `application/x-www-form-urlencoded` pairs (`+` is a space).
pub fn form(body: &[u8]) -> HashMap<String, String> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
            (decode(k), decode(v))
        })
        .collect()
}

/// `Authorization: Basic base64(id:secret)`.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    Some((decode(id), decode(secret)))
}

/// Whether `tenant` (a GUID or a domain in the URL) names the org's tenant.
pub fn is_tenant(settings: &OrgSettings, tenant: &str) -> bool {
    tenant.eq_ignore_ascii_case(&settings.tenant_id.to_string()) || settings.tenant_domain.as_deref().is_some_and(|d| d.eq_ignore_ascii_case(tenant))
}

/// The resource a `<resource>/.default` scope names, without a trailing slash.
fn resource_of(scope: &str) -> Option<String> {
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    let [only] = scopes.as_slice() else { return None };
    let resource = only.strip_suffix("/.default")?;
    (resource.starts_with("https://") || resource.starts_with("http://")).then(|| resource.trim_end_matches('/').to_string())
}

/// An app-only access token for `app`, valid for `lifetime` seconds.
pub fn app_token(key: &SigningKey, settings: &OrgSettings, app: &Application, audience: &str, now: OffsetDateTime, lifetime: i64) -> Result<String, String> {
    let tid = settings.tenant_id;
    let iat = now.unix_timestamp();
    let claims = json!({
        "aud": audience,
        "iss": format!("https://sts.windows.net/{tid}/"),
        "iat": iat,
        "nbf": iat,
        "exp": iat + lifetime,
        "appid": app.client_id,
        "appidacr": "1",
        "idp": format!("https://sts.windows.net/{tid}/"),
        "idtyp": "app",
        "oid": app.object_id,
        "sub": app.object_id,
        "tid": tid,
        "uti": uuid::Uuid::new_v4().simple().to_string(),
        "ver": "1.0",
    });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(key.kid.clone());
    header.x5t = Some(key.kid.clone());
    jsonwebtoken::encode(&header, &claims, &key.encoding).map_err(|e| e.to_string())
}

/// Handles a token request for `tenant`. `v1` is the `/oauth2/token` endpoint: the
/// audience comes from `resource=`, and the response carries v1's string-valued fields.
#[allow(clippy::too_many_arguments)]
pub fn handle(settings: &OrgSettings, key: &SigningKey, tenant: &str, headers: &HeaderMap, body: &[u8], now: OffsetDateTime, lifetime: i64, v1: bool) -> Reply {
    if !is_tenant(settings, tenant) {
        return errors::reply(Aadsts::UnknownTenant, &format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."), now);
    }
    let params = form(body);
    let grant = params.get("grant_type").map(String::as_str).unwrap_or("");
    if grant.is_empty() {
        return errors::reply(Aadsts::MissingParameter, "The request body must contain the following parameter: 'grant_type'.", now);
    }
    if grant != "client_credentials" {
        return errors::reply(Aadsts::UnsupportedGrantType, &format!("The provided value for the input parameter 'grant_type' is not valid: '{grant}' is not supported by this emulator yet."), now);
    }
    let (client_id, secret) = match (params.get("client_id"), params.get("client_secret"), basic_credentials(headers)) {
        (_, _, Some((id, secret))) => (id, Some(secret)),
        (Some(id), secret, None) => (id.clone(), secret.cloned()),
        (None, _, None) => return errors::reply(Aadsts::MissingParameter, "The request body must contain the following parameter: 'client_id'.", now),
    };
    let Some(app) = settings.applications.iter().find(|a| a.client_id.to_string().eq_ignore_ascii_case(&client_id)) else {
        return errors::reply(
            Aadsts::UnknownApplication,
            &format!("Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."),
            now,
        );
    };
    if secret.as_deref() != Some(app.client_secret.as_str()) {
        return errors::reply(Aadsts::InvalidClientSecret, &format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."), now);
    }
    let audience = if v1 {
        let resource = params.get("resource").map(String::as_str).unwrap_or("").trim_end_matches('/').to_string();
        if !(resource.starts_with("https://") || resource.starts_with("http://")) {
            return errors::reply(Aadsts::MissingParameter, "The request body must contain the following parameter: 'resource'.", now);
        }
        resource
    } else {
        let scope = params.get("scope").map(String::as_str).unwrap_or("");
        match resource_of(scope) {
            Some(a) => a,
            None => return errors::reply(Aadsts::InvalidScope, &format!("The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."), now),
        }
    };
    let body = |token: String| {
        if v1 {
            let iat = now.unix_timestamp();
            json!({
                "token_type": "Bearer", "expires_in": lifetime.to_string(), "ext_expires_in": lifetime.to_string(),
                "expires_on": (iat + lifetime).to_string(), "not_before": iat.to_string(), "resource": audience, "access_token": token,
            })
        } else {
            json!({ "token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token })
        }
    };
    match app_token(key, settings, app, &audience, now, lifetime) {
        Ok(token) => Reply::json_with_type(StatusCode::OK, &body(token), "application/json; charset=utf-8")
        .header("cache-control", "no-store, no-cache")
        .header("pragma", "no-cache"),
        Err(e) => Reply::from(crate::error::Error::internal(format!("signing a token: {e}"))),
    }
}
