//! OpenID discovery for the emulated tenant: the configuration document, the JWKS, and
//! MSAL's instance discovery, all pointing at this emulator's own endpoints.

use http::StatusCode;
use serde_json::json;

use super::keys::SigningKey;
use crate::wire::response::Reply;

/// `/{tenant}/v2.0/.well-known/openid-configuration`
pub fn openid_configuration(authority: &str, tenant: &str) -> Reply {
    let base = format!("{authority}/{tenant}");
    let body = json!({
        "token_endpoint": format!("{base}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{base}/v2.0"),
        "request_uri_parameter_supported": false,
        "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/oauth2/v2.0/devicecode"),
        "end_session_endpoint": format!("{base}/oauth2/v2.0/logout"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "tenant_region_scope": "WW",
        "cloud_instance_name": "microsoftonline.com",
    });
    Reply::json_with_type(StatusCode::OK, &body, "application/json; charset=utf-8").header("cache-control", "max-age=86400, private")
}

/// `/{tenant}/discovery/v2.0/keys`
pub fn jwks(key: &SigningKey, authority: &str, tenant: &str) -> Reply {
    let body = json!({ "keys": [key.jwk(&format!("{authority}/{tenant}/v2.0"))] });
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
