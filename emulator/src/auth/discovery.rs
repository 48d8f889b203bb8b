//! OpenID discovery for the emulated tenant: the v2 and v1 configuration documents, the
//! JWKS, and MSAL's instance discovery, all pointing at this emulator's own endpoints.
//! Endpoint URLs keep the tenant as the client wrote it (GUID, domain or `common`);
//! issuers use the tenant id, as Entra's do.

use http::StatusCode;
use serde_json::json;

use super::keys::SigningKey;
use crate::wire::response::Reply;

/// The grant types the token endpoint takes.
const GRANT_TYPES: [&str; 3] = ["authorization_code", "refresh_token", "client_credentials"];

fn document(body: &serde_json::Value) -> Reply {
    Reply::json_with_type(StatusCode::OK, body, "application/json; charset=utf-8")
        .header("cache-control", "max-age=86400, private")
        .header("access-control-allow-origin", "*")
}

/// `/{tenant}/v2.0/.well-known/openid-configuration`
pub fn openid_configuration(authority: &str, tenant: &str, tid: &str) -> Reply {
    let base = format!("{authority}/{tenant}");
    document(&json!({
        "token_endpoint": format!("{base}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "jwks_uri": format!("{base}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code"],
        "grant_types_supported": GRANT_TYPES,
        "code_challenge_methods_supported": ["S256", "plain"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{authority}/{tid}/v2.0"),
        "request_uri_parameter_supported": false,
        "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "preferred_username", "name", "tid", "ver", "oid"],
        "tenant_region_scope": "WW",
        "cloud_instance_name": "microsoftonline.com",
    }))
}

/// `/{tenant}/.well-known/openid-configuration`: the v1 endpoints, whose tokens are
/// issued by `https://sts.windows.net/<tid>/`.
pub fn openid_configuration_v1(authority: &str, tenant: &str, tid: &str) -> Reply {
    let base = format!("{authority}/{tenant}");
    document(&json!({
        "token_endpoint": format!("{base}/oauth2/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "jwks_uri": format!("{base}/discovery/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code"],
        "grant_types_supported": GRANT_TYPES,
        "code_challenge_methods_supported": ["S256", "plain"],
        "scopes_supported": ["openid"],
        "issuer": format!("https://sts.windows.net/{tid}/"),
        "authorization_endpoint": format!("{base}/oauth2/authorize"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name", "tid", "ver", "oid", "upn", "unique_name"],
        "tenant_region_scope": "WW",
        "cloud_instance_name": "microsoftonline.com",
    }))
}

/// `/{tenant}/discovery/v2.0/keys`
pub fn jwks(key: &SigningKey, authority: &str, tid: &str) -> Reply {
    let body = json!({ "keys": [key.jwk(&format!("{authority}/{tid}/v2.0"))] });
    Reply::json_with_type(StatusCode::OK, &body, "application/json; charset=utf-8")
}

/// `/common/discovery/instance`, which MSAL calls before anything else.
pub fn instance(authority: &str, host: &str) -> Reply {
    let body = json!({
        "tenant_discovery_endpoint": format!("{authority}/{{tenant}}/v2.0/.well-known/openid-configuration"),
        "api-version": "1.1",
        "metadata": [{ "preferred_network": host, "preferred_cache": host, "aliases": [host] }],
    });
    Reply::json_with_type(StatusCode::OK, &body, "application/json; charset=utf-8")
}
