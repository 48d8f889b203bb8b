//! The token service (client credentials, discovery, JWKS, AADSTS errors) and the Web API's
//! token checks: strict mode's 401 challenge, expiry, audience, the caller a token names,
//! and impersonation.

use crate::common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::*;
use dataverse_emulator::auth::AuthMode;
use dataverse_emulator::{Clock, Config};
use http::{Method, StatusCode};
use serde_json::Value;

const TENANT: &str = "5b3d8c1e-2f4a-4e6b-9c7d-0000000e0001";
const CLIENT_ID: &str = "5b3d8c1e-2f4a-4e6b-9c7d-0000000a0001";
const SECRET: &str = "emulator-client-secret";
const APP_USER: &str = "5b3d8c1e-2f4a-4e6b-9c7d-000000000028";
const APP_OBJECT_ID: &str = "5b3d8c1e-2f4a-4e6b-9c7d-0000000a0002";

fn strict() -> Config {
    Config { auth: AuthMode::Strict, ..Config::default() }
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The org URL the server answers on, as a token audience.
fn org_url(s: &Server) -> String {
    format!("http://{}", s.addr)
}

async fn token_request(s: &Server, tenant: &str, form: &str, headers: &[(&str, &str)]) -> Resp {
    let mut h = vec![("content-type", "application/x-www-form-urlencoded")];
    h.extend_from_slice(headers);
    s.send_raw_body(Method::POST, &format!("/{tenant}/oauth2/v2.0/token"), &h, form).await
}

async fn token(s: &Server) -> String {
    let form = format!("grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={SECRET}&scope={}", enc(&format!("{}/.default", org_url(s))));
    let r = token_request(s, TENANT, &form, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["access_token"].as_str().unwrap().to_string()
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn client_credentials_issue_a_dataverse_shaped_app_token() {
    let s = Server::start_with(strict()).await;
    let form = format!("grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={SECRET}&scope={}", enc(&format!("{}/.default", org_url(&s))));
    let r = token_request(&s, TENANT, &form, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(r.header("cache-control"), Some("no-store, no-cache"));
    let keys: Vec<&str> = r.json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["token_type", "expires_in", "ext_expires_in", "access_token"]);
    assert_eq!(r.json["token_type"], "Bearer");
    assert_eq!(r.json["expires_in"], 3599);
    let token = r.json["access_token"].as_str().unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"], header["x5t"]);
    let c = claims(token);
    assert_eq!(c["aud"], org_url(&s));
    assert_eq!(c["iss"], format!("https://sts.windows.net/{TENANT}/"));
    assert_eq!(c["tid"], TENANT);
    assert_eq!(c["appid"], CLIENT_ID);
    assert_eq!(c["oid"], APP_OBJECT_ID);
    assert_eq!(c["idtyp"], "app");
    assert_eq!(c["ver"], "1.0");
    assert!(c.get("scp").is_none(), "app tokens carry no scp");
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 3599);

    // The token names its application user, which WhoAmI and createdby see.
    let auth = format!("Bearer {token}");
    let me = s.get_with("WhoAmI", &[("authorization", &auth)]).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json["UserId"], APP_USER);
    let created = s.send(Method::POST, "accounts?$select=_createdby_value", &[("authorization", &auth), ("prefer", "return=representation")], Some(r#"{"name":"By the app"}"#)).await;
    assert_eq!(created.json["_createdby_value"], APP_USER);
}

#[tokio::test]
async fn http_basic_client_authentication_and_the_domain_tenant() {
    let s = Server::start_with(strict()).await;
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{SECRET}")));
    let form = format!("grant_type=client_credentials&scope={}", enc(&format!("{}/.default", org_url(&s))));
    let r = token_request(&s, "emulatedorg.onmicrosoft.com", &form, &[("authorization", &basic)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json["access_token"].is_string());
}

#[tokio::test]
async fn token_errors_are_entra_errors() {
    let s = Server::start_with(strict()).await;
    let scope = enc(&format!("{}/.default", org_url(&s)));
    let cases = [
        (TENANT, format!("grant_type=client_credentials&client_id={CLIENT_ID}&client_secret=wrong&scope={scope}"), 401, "invalid_client", 7000215),
        (TENANT, format!("grant_type=client_credentials&client_id=00000000-0000-0000-0000-00000000beef&client_secret={SECRET}&scope={scope}"), 400, "unauthorized_client", 700016),
        ("11111111-2222-3333-4444-555555555555", format!("grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={SECRET}&scope={scope}"), 400, "invalid_request", 90002),
        (TENANT, format!("grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={SECRET}&scope=user.read"), 400, "invalid_scope", 70011),
        (TENANT, format!("grant_type=password&client_id={CLIENT_ID}&scope={scope}"), 400, "unsupported_grant_type", 70003),
        (TENANT, format!("client_id={CLIENT_ID}&scope={scope}"), 400, "invalid_request", 900144),
    ];
    for (tenant, form, status, error, code) in cases {
        let r = token_request(&s, tenant, &form, &[]).await;
        assert_eq!(r.status.as_u16(), status, "{form}: {}", r.text);
        assert_eq!(r.json["error"], error, "{form}");
        assert_eq!(r.json["error_codes"], serde_json::json!([code]), "{form}");
        let description = r.json["error_description"].as_str().unwrap();
        assert!(description.starts_with(&format!("AADSTS{code}: ")), "{description}");
        assert!(description.contains("\r\nTrace ID: ") && description.contains("\r\nCorrelation ID: ") && description.contains("\r\nTimestamp: "));
        for field in ["timestamp", "trace_id", "correlation_id", "error_uri"] {
            assert!(r.json[field].is_string(), "{field} in {}", r.text);
        }
    }
}

#[tokio::test]
async fn strict_mode_challenges_missing_and_bad_tokens() {
    let s = Server::start_with(strict()).await;
    let challenge = format!("Bearer authorization_uri={}/{TENANT}/oauth2/authorize, resource_id={}/", org_url(&s), org_url(&s));
    let r = s.get("WhoAmI").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.header("www-authenticate"), Some(challenge.as_str()));
    assert!(r.text.is_empty());
    for bad in ["Bearer not-a-jwt", "Bearer eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4In0.", "Basic abc"] {
        let r = s.get_with("accounts?$top=1", &[("authorization", bad)]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{bad}");
        assert_eq!(r.header("www-authenticate"), Some(challenge.as_str()));
    }
    // A token for another org (audience) is refused too.
    let form = format!("grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={SECRET}&scope={}", enc("https://other.crm.dynamics.com/.default"));
    let other = token_request(&s, TENANT, &form, &[]).await.json["access_token"].as_str().unwrap().to_string();
    let r = s.get_with("WhoAmI", &[("authorization", &format!("Bearer {other}"))]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A tampered signature is refused.
    let good = token(&s).await;
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    parts[2] = parts[2].chars().rev().collect();
    let r = s.get_with("WhoAmI", &[("authorization", &format!("Bearer {}", parts.join(".")))]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn tokens_expire_after_their_configured_lifetime() {
    // Three seconds, not one: `iat` is whole seconds, so a one-second token issued late in a
    // second could expire before a loaded machine got the first request through.
    let config = Config { auth: AuthMode::Strict, token_lifetime_secs: 3, ..Config::default() };
    let s = Server::start_with_clock(config, Clock::system()).await;
    let t = token(&s).await;
    let auth = format!("Bearer {t}");
    assert_eq!(claims(&t)["exp"].as_i64().unwrap() - claims(&t)["iat"].as_i64().unwrap(), 3);
    assert_eq!(s.get_with("WhoAmI", &[("authorization", &auth)]).await.status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
    assert_eq!(s.get_with("WhoAmI", &[("authorization", &auth)]).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn any_mode_accepts_no_token_or_a_foreign_one_but_honours_its_own() {
    let s = Server::start().await;
    assert_eq!(s.get("WhoAmI").await.json["UserId"], CALLER);
    assert_eq!(s.get_with("WhoAmI", &[("authorization", "Bearer pasted-from-somewhere")]).await.json["UserId"], CALLER);
    let t = token(&s).await;
    assert_eq!(s.get_with("WhoAmI", &[("authorization", &format!("Bearer {t}"))]).await.json["UserId"], APP_USER);
}

#[tokio::test]
async fn impersonation_by_systemuserid_and_object_id() {
    let s = Server::start().await;
    let r = s.get_with("WhoAmI", &[("mscrmcallerid", AGENT)]).await;
    assert_eq!(r.json["UserId"], AGENT);
    let r = s.get_with("WhoAmI", &[("callerobjectid", APP_OBJECT_ID)]).await;
    assert_eq!(r.json["UserId"], APP_USER);
    let created = s.send(Method::POST, "accounts?$select=_createdby_value,_ownerid_value", &[("mscrmcallerid", AGENT), ("prefer", "return=representation")], Some(r#"{"name":"On behalf"}"#)).await;
    assert_eq!(created.json["_createdby_value"], AGENT);
    assert_eq!(created.json["_ownerid_value"], AGENT);
    let r = s.get_with("WhoAmI", &[("mscrmcallerid", "00000000-0000-0000-0000-00000000dead")]).await;
    r.assert_error(404, "0x80040217");
}

#[tokio::test]
async fn discovery_documents_and_a_jwks_that_verifies_issued_tokens() {
    let s = Server::start().await;
    let config = s.get(&format!("/{TENANT}/v2.0/.well-known/openid-configuration")).await;
    assert_eq!(config.status, StatusCode::OK);
    assert_eq!(config.json["token_endpoint"], format!("{}/{TENANT}/oauth2/v2.0/token", org_url(&s)));
    assert_eq!(config.json["jwks_uri"], format!("{}/{TENANT}/discovery/v2.0/keys", org_url(&s)));
    assert_eq!(config.json["issuer"], format!("{}/{TENANT}/v2.0", org_url(&s)));
    let instance = s.get("/common/discovery/instance?api-version=1.1").await;
    assert!(instance.json["tenant_discovery_endpoint"].as_str().unwrap().ends_with("/{tenant}/v2.0/.well-known/openid-configuration"));
    let jwks = s.get(&format!("/{TENANT}/discovery/v2.0/keys")).await;
    let key = &jwks.json["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["e"], "AQAB");
    let t = token(&s).await;
    let decoding = jsonwebtoken::DecodingKey::from_rsa_components(key["n"].as_str().unwrap(), key["e"].as_str().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[org_url(&s)]);
    validation.validate_exp = false;
    let verified = jsonwebtoken::decode::<Value>(&t, &decoding, &validation).expect("the JWKS key verifies the token");
    assert_eq!(verified.claims["appid"], CLIENT_ID);
}

#[tokio::test]
async fn the_v1_token_endpoint_takes_a_resource() {
    let s = Server::start_with(strict()).await;
    let form = format!("grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={SECRET}&resource={}", enc(&org_url(&s)));
    let r = s.send_raw_body(Method::POST, &format!("/{TENANT}/oauth2/token"), &[("content-type", "application/x-www-form-urlencoded")], &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["expires_in"], "3599", "v1 writes numbers as strings");
    assert_eq!(r.json["resource"], org_url(&s));
    let t = r.json["access_token"].as_str().unwrap();
    assert_eq!(claims(t)["aud"], org_url(&s));
    let me = s.get_with("WhoAmI", &[("authorization", &format!("Bearer {t}"))]).await;
    assert_eq!(me.json["UserId"], APP_USER);
    let missing = s.send_raw_body(Method::POST, &format!("/{TENANT}/oauth2/token"), &[("content-type", "application/x-www-form-urlencoded")], &format!("grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={SECRET}")).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.json["error"], "invalid_request");
}
