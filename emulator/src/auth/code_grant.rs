//! The delegated grants of the token endpoint: `authorization_code` (with PKCE, S256 or
//! plain) and `refresh_token`. Both end in the same response: a user access token, a
//! refresh token when `offline_access` was asked for (always on v1), an id_token when
//! `openid` was, and the granted `scope`.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::HeaderMap;
use serde_json::{json, Map, Value as Json};
use sha2::{Digest, Sha256};

use super::errors::{self, Aadsts};
use super::grants::{ChallengeMethod, Refusal, Session};
use super::service::TokenService;
use super::token::{authenticate, success, Client};
use super::{jwt, scope};
use crate::wire::response::Reply;

/// Whether a PKCE `code_verifier` answers the authorize request's challenge.
pub fn pkce_matches(challenge: &str, method: ChallengeMethod, verifier: &str) -> bool {
    match method {
        ChallengeMethod::Plain => challenge == verifier,
        ChallengeMethod::S256 => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge,
    }
}

const CODE_EXPIRED: &str = "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.";

fn param<'p>(params: &'p HashMap<String, String>, name: &str) -> Option<&'p str> {
    params.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

fn missing(svc: &TokenService, name: &str) -> Reply {
    errors::reply(Aadsts::MissingParameter, &format!("The request body must contain the following parameter: '{name}'."), svc.now())
}

/// The scope a token request asks for, if it names one; a bad one is AADSTS70011.
fn requested_scope(svc: &TokenService, params: &HashMap<String, String>, v1: bool) -> Result<Option<scope::Requested>, Reply> {
    let bad = |s: &str| errors::reply(Aadsts::InvalidScope, &format!("The provided value for the input parameter 'scope' is not valid. The scope {s} is not valid."), svc.now());
    if v1 {
        return match param(params, "resource") {
            Some(r) => scope::v1(r, param(params, "scope").unwrap_or("")).map(Some).ok_or_else(|| bad(r)),
            None => Ok(None),
        };
    }
    match param(params, "scope") {
        Some(s) => scope::delegated(s).map(Some).ok_or_else(|| bad(s)),
        None => Ok(None),
    }
}

/// `grant_type=authorization_code`: redeems a one-time code from the authorize endpoint.
pub fn authorization_code(svc: &TokenService, tenant: &str, params: &HashMap<String, String>, headers: &HeaderMap, v1: bool) -> Reply {
    let now = svc.now();
    let client = match authenticate(svc, tenant, params, headers, false) {
        Ok(c) => c,
        Err(reply) => return reply,
    };
    let Some(value) = param(params, "code") else { return missing(svc, "code") };
    let Some(redirect_uri) = param(params, "redirect_uri") else { return missing(svc, "redirect_uri") };
    let requested = match requested_scope(svc, params, v1) {
        Ok(r) => r,
        Err(reply) => return reply,
    };
    let code = match svc.grants.redeem_code(value, now.unix_timestamp()) {
        Ok(c) => c,
        Err(Refusal::Redeemed) => {
            return errors::reply(Aadsts::CodeRedeemed, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.", now)
        }
        Err(_) => return errors::reply(Aadsts::CodeExpired, CODE_EXPIRED, now),
    };
    if code.session.client_id != client.app.client_id {
        return errors::reply(Aadsts::InvalidGrant, "The provided authorization code was issued to a different client.", now);
    }
    if code.redirect_uri != redirect_uri {
        return errors::reply(Aadsts::InvalidGrant, "The provided value for the 'redirect_uri' is not valid. The value must exactly match the redirect URI used to obtain the authorization code.", now);
    }
    if let Some((challenge, method)) = &code.challenge {
        let verified = param(params, "code_verifier").is_some_and(|v| pkce_matches(challenge, *method, v));
        if !verified {
            return errors::reply(Aadsts::PkceMismatch, "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.", now);
        }
    }
    let mut session = code.session;
    if let Some(r) = requested {
        session.scope = r;
    }
    issue(svc, &client, session, code.nonce.as_deref(), params, v1)
}

/// `grant_type=refresh_token`: a new access token (and a new refresh token) for the
/// sign-in a refresh token stands for, optionally for another resource.
pub fn refresh_token(svc: &TokenService, tenant: &str, params: &HashMap<String, String>, headers: &HeaderMap, v1: bool) -> Reply {
    let now = svc.now();
    let client = match authenticate(svc, tenant, params, headers, false) {
        Ok(c) => c,
        Err(reply) => return reply,
    };
    let Some(value) = param(params, "refresh_token") else { return missing(svc, "refresh_token") };
    let requested = match requested_scope(svc, params, v1) {
        Ok(r) => r,
        Err(reply) => return reply,
    };
    let mut session = match svc.grants.use_refresh(value, now.unix_timestamp()) {
        Ok(s) => s,
        Err(Refusal::Expired) => {
            return errors::reply(
                Aadsts::RefreshTokenExpired,
                &format!("The refresh token has expired due to inactivity. The token was inactive for longer than {} seconds.", svc.refresh_lifetime),
                now,
            )
        }
        Err(_) => return errors::reply(Aadsts::MalformedRequest, "Invalid request. Request is malformed or invalid.", now),
    };
    if session.client_id != client.app.client_id {
        return errors::reply(Aadsts::InvalidGrant, "The refresh token was issued to a different client.", now);
    }
    if let Some(mut r) = requested {
        // offline_access is implied once a refresh token exists.
        r.offline_access = true;
        session.scope = r;
    }
    issue(svc, &client, session, None, params, v1)
}

/// The token response for a delegated sign-in.
fn issue(svc: &TokenService, client: &Client, session: Session, nonce: Option<&str>, params: &HashMap<String, String>, v1: bool) -> Reply {
    let now = svc.now();
    let settings = &svc.org.settings;
    let lifetime = svc.access_lifetime;
    let resource = session.scope.resource.clone();
    let access = jwt::user_token(svc.key, settings, session.client_id, client.confidential, &session.user, &resource, now, lifetime);
    let id_token = session.scope.openid.then(|| jwt::id_token(svc.key, settings, &svc.issuer(), session.client_id, &session.user, nonce, now, lifetime));
    let (access, id_token) = match (access, id_token.transpose()) {
        (Ok(a), Ok(i)) => (a, i),
        (Err(e), _) | (_, Err(e)) => return Reply::from(crate::error::Error::internal(format!("signing a token: {e}"))),
    };
    let client_info = (param(params, "client_info") == Some("1"))
        .then(|| URL_SAFE_NO_PAD.encode(json!({ "uid": session.user.object_id, "utid": settings.tenant_id }).to_string()));
    let refresh = (v1 || session.scope.offline_access).then(|| svc.grants.issue_refresh(session.clone(), now.unix_timestamp(), svc.refresh_lifetime));
    let mut body = Map::new();
    body.insert("token_type".into(), json!("Bearer"));
    if v1 {
        let iat = now.unix_timestamp();
        body.insert("scope".into(), json!(scope::USER_IMPERSONATION));
        body.insert("expires_in".into(), json!(lifetime.to_string()));
        body.insert("ext_expires_in".into(), json!(lifetime.to_string()));
        body.insert("expires_on".into(), json!((iat + lifetime).to_string()));
        body.insert("not_before".into(), json!(iat.to_string()));
        body.insert("resource".into(), json!(resource));
    } else {
        body.insert("scope".into(), json!(session.scope.echo()));
        body.insert("expires_in".into(), json!(lifetime));
        body.insert("ext_expires_in".into(), json!(lifetime));
    }
    body.insert("access_token".into(), json!(access));
    if let Some(r) = refresh {
        body.insert("refresh_token".into(), json!(r));
    }
    if let Some(i) = id_token {
        body.insert("id_token".into(), json!(i));
    }
    if let Some(c) = client_info {
        body.insert("client_info".into(), json!(c));
    }
    success(&Json::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_is_rfc7636s_example() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(challenge, ChallengeMethod::S256, verifier));
        assert!(!pkce_matches(challenge, ChallengeMethod::S256, "something-else"));
        assert!(pkce_matches(verifier, ChallengeMethod::Plain, verifier));
        assert!(!pkce_matches(challenge, ChallengeMethod::Plain, verifier));
    }
}
