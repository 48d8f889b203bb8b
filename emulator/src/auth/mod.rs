//! Identity: a fake Microsoft Entra token service served by the same process, and the
//! bearer-token check in front of the Web API.
//!
//! - [`service`]: the per-request view of the token service, and its dispatch.
//! - [`authorize`]: `GET /{tenant}/oauth2/v2.0/authorize`, which signs a user in at once
//!   and redirects back with a one-time code.
//! - [`token`]: `POST /{tenant}/oauth2/v2.0/token`: client authentication and the
//!   client-credentials grant; [`code_grant`]: the authorization-code (PKCE) and
//!   refresh-token grants; [`grants`]: the codes and refresh tokens issued.
//! - [`jwt`]: app and user access tokens (v1 claims) and id_tokens (v2 claims).
//! - [`scope`]: parsing requested scopes; [`directory`]: the tenant's users.
//! - [`discovery`]: OpenID configuration, JWKS and MSAL's instance discovery.
//! - [`keys`]: the RS256 signing key, loaded from PEM or generated on first use.
//! - [`errors`]: AADSTS error responses, redirects and pages.
//!
//! In `--auth any` (the default) a request with no token, or a token the emulator didn't
//! issue, acts as the org's default user; a valid emulator token still identifies its
//! caller. In `--auth strict` every Web API request needs a valid token, as on a real org.
//! An app token's caller is its application user (`systemuser.applicationid`); a user
//! token's is the system user whose `azureactivedirectoryobjectid` is its `oid`.

pub mod authorize;
pub mod code_grant;
pub mod directory;
pub mod discovery;
pub mod errors;
pub mod grants;
pub mod jwt;
pub mod keys;
pub mod scope;
pub mod service;
pub mod token;

use http::{HeaderMap, StatusCode};
use serde_json::Value as Json;
use uuid::Uuid;

use directory::user_by;

use crate::error::{Code, Error};
use crate::org::Org;
use crate::wire::response::Reply;

/// How strictly the Web API checks tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// Zero-setup: any token or none; emulator tokens still identify their caller.
    #[default]
    Any,
    /// Like a real org: 401 without a valid token, 403 for a token with no user.
    Strict,
}

/// A token-service endpoint, from the request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `/{tenant}/oauth2/v2.0/token`.
    Token(String),
    /// The v1 `/{tenant}/oauth2/token`, which takes `resource=` instead of a scope.
    TokenV1(String),
    /// `/{tenant}/oauth2/v2.0/authorize`.
    Authorize(String),
    /// The v1 `/{tenant}/oauth2/authorize`, which the Web API's 401 challenge names.
    AuthorizeV1(String),
    /// `/{tenant}/v2.0/.well-known/openid-configuration`.
    OpenIdConfiguration(String),
    /// `/{tenant}/.well-known/openid-configuration` (the v1 endpoints).
    OpenIdConfigurationV1(String),
    /// `/{tenant}/discovery/v2.0/keys` (and `/discovery/keys`).
    Keys(String),
    /// `/common/discovery/instance`
    Instance,
}

/// Recognises token-service paths.
pub fn endpoint(path: &str) -> Option<Endpoint> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    Some(match segs.as_slice() {
        ["common", "discovery", "instance"] => Endpoint::Instance,
        [tenant, "oauth2", "v2.0", "token"] => Endpoint::Token(tenant.to_string()),
        [tenant, "oauth2", "token"] => Endpoint::TokenV1(tenant.to_string()),
        [tenant, "oauth2", "v2.0", "authorize"] => Endpoint::Authorize(tenant.to_string()),
        [tenant, "oauth2", "authorize"] => Endpoint::AuthorizeV1(tenant.to_string()),
        [tenant, "v2.0", ".well-known", "openid-configuration"] => Endpoint::OpenIdConfiguration(tenant.to_string()),
        [tenant, ".well-known", "openid-configuration"] => Endpoint::OpenIdConfigurationV1(tenant.to_string()),
        [tenant, "discovery", "v2.0", "keys"] | [tenant, "discovery", "keys"] => Endpoint::Keys(tenant.to_string()),
        _ => return None,
    })
}

/// The 401 a real org sends, whose challenge tells clients where to get a token.
fn unauthorized(origin: &str, tenant: Uuid) -> Reply {
    Reply::empty(StatusCode::UNAUTHORIZED).header(
        "www-authenticate",
        format!("Bearer authorization_uri={origin}/{tenant}/oauth2/authorize, resource_id={origin}/"),
    )
}

/// Verifies an emulator-issued token: signature, expiry against the org clock, audience
/// against the org URL the request came to. Returns the claims.
fn verify(org: &Org, key: &keys::SigningKey, token: &str, origin: &str) -> Option<Json> {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Json>(token, &key.decoding, &validation).ok()?;
    let claims = data.claims;
    let exp = claims.get("exp")?.as_i64()?;
    if exp <= org.clock.now().unix_timestamp() {
        return None;
    }
    let aud = claims.get("aud")?.as_str()?.trim_end_matches('/');
    aud.eq_ignore_ascii_case(origin.trim_end_matches('/')).then_some(claims)
}

/// The caller of a Web API request: from its token (and impersonation headers), or the
/// org's default user where the auth mode allows.
pub fn caller(org: &Org, headers: &HeaderMap, mode: AuthMode, key: Option<&keys::SigningKey>, origin: &str) -> Result<Uuid, Reply> {
    let tenant = org.settings.tenant_id;
    let bearer = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    let claims = match (bearer, key) {
        (Some(t), Some(k)) => verify(org, k, t, origin),
        _ => None,
    };
    let from_token = match &claims {
        Some(c) => {
            // A user token (it has `scp`) acts as its user; an app token as its application user.
            let oid = || c.get("oid").and_then(Json::as_str).and_then(|o| user_by(org, "azureactivedirectoryobjectid", o));
            let user = if c.get("scp").is_some() {
                oid()
            } else {
                c.get("appid").and_then(Json::as_str).and_then(|a| user_by(org, "applicationid", a)).or_else(oid)
            };
            match user {
                Some(u) => Some(u),
                None if mode == AuthMode::Strict => {
                    return Err(Reply::from(Error::new(
                        Code::UserNotInOrg,
                        "The user is not a member of the organization.",
                    )))
                }
                None => None,
            }
        }
        None if mode == AuthMode::Strict => return Err(unauthorized(origin, tenant)),
        None => None,
    };
    let caller = from_token.unwrap_or(org.settings.caller_id);
    impersonated(org, headers).map(|u| u.unwrap_or(caller))
}

/// `MSCRMCallerID: <systemuserid>` or `CallerObjectId: <Entra object id>`.
fn impersonated(org: &Org, headers: &HeaderMap) -> Result<Option<Uuid>, Reply> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty());
    let not_found = |what: &str| Reply::from(Error::new(Code::ObjectDoesNotExist, format!("The impersonated user ({what}) does not exist in the organization.")));
    if let Some(id) = header("mscrmcallerid") {
        let uuid = Uuid::parse_str(id.trim_matches(|c| c == '{' || c == '}')).map_err(|_| not_found(id))?;
        return match org.store.read().get("systemuser", uuid) {
            Some(_) => Ok(Some(uuid)),
            None => Err(not_found(id)),
        };
    }
    if let Some(oid) = header("callerobjectid") {
        return user_by(org, "azureactivedirectoryobjectid", oid).map(Some).ok_or_else(|| not_found(oid));
    }
    Ok(None)
}
