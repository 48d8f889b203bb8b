//! `POST /{tenant}/oauth2/v2.0/token` and the v1 `/{tenant}/oauth2/token`: parses the
//! form, authenticates the client (secret in the form or in HTTP Basic; public clients
//! may send none on the delegated grants), and runs the grant: `client_credentials` here,
//! `authorization_code` and `refresh_token` in [`super::code_grant`].

use std::collections::HashMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use http::{HeaderMap, StatusCode};
use percent_encoding::percent_decode_str;
use serde_json::{json, Value as Json};

use super::errors::{self, Aadsts};
use super::service::TokenService;
use super::{code_grant, jwt, scope};
use crate::org::{Application, OrgSettings};
use crate::wire::response::Reply;

/// `application/x-www-form-urlencoded` pairs (`+` is a space); also query strings.
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

/// Whether `tenant` is one a user can sign in through: the org's, or the multi-tenant
/// aliases `common` and `organizations` (which resolve to the user's home tenant).
pub fn is_sign_in_tenant(settings: &OrgSettings, tenant: &str) -> bool {
    is_tenant(settings, tenant) || tenant.eq_ignore_ascii_case("common") || tenant.eq_ignore_ascii_case("organizations")
}

/// The AADSTS90002 reply for a tenant this emulator doesn't host.
pub fn unknown_tenant(svc: &TokenService, tenant: &str) -> Reply {
    errors::reply(Aadsts::UnknownTenant, &format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."), svc.now())
}

/// The AADSTS700016 description for an unknown client id.
pub fn unknown_app_detail(client_id: &str, tenant: &str) -> String {
    format!("Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.")
}

/// The app registration with this client id.
pub fn find_app<'a>(settings: &'a OrgSettings, client_id: &str) -> Option<&'a Application> {
    settings.applications.iter().find(|a| a.client_id.to_string().eq_ignore_ascii_case(client_id.trim()))
}

/// An authenticated client.
pub struct Client<'a> {
    /// Its registration.
    pub app: &'a Application,
    /// It proved itself with its secret (`appidacr` "1"), rather than as a public client.
    pub confidential: bool,
}

/// Authenticates the client. `secret_required`: the grant is for confidential clients
/// only (client credentials); otherwise an app that allows public client flows may
/// send no secret.
pub fn authenticate<'a>(svc: &TokenService<'a>, tenant: &str, params: &HashMap<String, String>, headers: &HeaderMap, secret_required: bool) -> Result<Client<'a>, Reply> {
    let now = svc.now();
    let (client_id, secret) = match (params.get("client_id"), params.get("client_secret"), basic_credentials(headers)) {
        (_, _, Some((id, secret))) => (id, Some(secret)),
        (Some(id), secret, None) => (id.clone(), secret.cloned()),
        (None, _, None) => return Err(errors::reply(Aadsts::MissingParameter, "The request body must contain the following parameter: 'client_id'.", now)),
    };
    let Some(app) = find_app(&svc.org.settings, &client_id) else {
        return Err(errors::reply(Aadsts::UnknownApplication, &unknown_app_detail(&client_id, tenant), now));
    };
    match secret {
        Some(s) if s == app.client_secret => Ok(Client { app, confidential: true }),
        Some(_) => Err(errors::reply(
            Aadsts::InvalidClientSecret,
            &format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."),
            now,
        )),
        None if !secret_required && app.allow_public_client => Ok(Client { app, confidential: false }),
        None => Err(errors::reply(Aadsts::MissingClientSecret, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.", now)),
    }
}

/// A successful token response, never cached.
pub fn success(body: &Json) -> Reply {
    Reply::json_with_type(StatusCode::OK, body, "application/json; charset=utf-8").header("cache-control", "no-store, no-cache").header("pragma", "no-cache")
}

/// Handles a token request for `tenant`. `v1` is the `/oauth2/token` endpoint: the
/// audience comes from `resource=`, and the response carries v1's string-valued fields.
pub fn handle(svc: &TokenService, tenant: &str, headers: &HeaderMap, body: &[u8], v1: bool) -> Reply {
    let now = svc.now();
    let params = form(body);
    let grant = params.get("grant_type").map(String::as_str).unwrap_or("");
    let settings = &svc.org.settings;
    let known = if grant == "client_credentials" { is_tenant(settings, tenant) } else { is_sign_in_tenant(settings, tenant) };
    if !known {
        return unknown_tenant(svc, tenant);
    }
    match grant {
        "" => errors::reply(Aadsts::MissingParameter, "The request body must contain the following parameter: 'grant_type'.", now),
        "client_credentials" => client_credentials(svc, tenant, &params, headers, v1),
        "authorization_code" => code_grant::authorization_code(svc, tenant, &params, headers, v1),
        "refresh_token" => code_grant::refresh_token(svc, tenant, &params, headers, v1),
        other => errors::reply(Aadsts::UnsupportedGrantType, &format!("The provided value for the input parameter 'grant_type' is not valid: '{other}' is not supported by this emulator."), now),
    }
}

/// The client-credentials grant: an app-only token for the app's application user.
fn client_credentials(svc: &TokenService, tenant: &str, params: &HashMap<String, String>, headers: &HeaderMap, v1: bool) -> Reply {
    let now = svc.now();
    let client = match authenticate(svc, tenant, params, headers, true) {
        Ok(c) => c,
        Err(reply) => return reply,
    };
    let audience = if v1 {
        let resource = params.get("resource").map(String::as_str).unwrap_or("").trim_end_matches('/').to_string();
        if !(resource.starts_with("https://") || resource.starts_with("http://")) {
            return errors::reply(Aadsts::MissingParameter, "The request body must contain the following parameter: 'resource'.", now);
        }
        resource
    } else {
        let scope = params.get("scope").map(String::as_str).unwrap_or("");
        match scope::app_resource(scope) {
            Some(a) => a,
            None => return errors::reply(Aadsts::InvalidScope, &format!("The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."), now),
        }
    };
    let lifetime = svc.access_lifetime;
    let token = match jwt::app_token(svc.key, &svc.org.settings, client.app, &audience, now, lifetime) {
        Ok(t) => t,
        Err(e) => return Reply::from(crate::error::Error::internal(format!("signing a token: {e}"))),
    };
    let body = if v1 {
        let iat = now.unix_timestamp();
        json!({
            "token_type": "Bearer", "expires_in": lifetime.to_string(), "ext_expires_in": lifetime.to_string(),
            "expires_on": (iat + lifetime).to_string(), "not_before": iat.to_string(), "resource": audience, "access_token": token,
        })
    } else {
        json!({ "token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token })
    };
    success(&body)
}
