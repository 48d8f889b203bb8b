//! Delegated sign-in through the token service: the authorize endpoint (query, fragment
//! and form_post responses, login_hint, the errors it shows or redirects), the
//! authorization-code grant with PKCE (S256 and plain), one-time codes, refresh tokens
//! (rotation and expiry on a controllable clock), id_tokens verified against the JWKS, a
//! signing key loaded from PEM, and the Web API caller a delegated token names.

use crate::common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::*;
use dataverse_emulator::auth::keys::SigningKey;
use dataverse_emulator::auth::AuthMode;
use dataverse_emulator::{Clock, Config};
use http::{Method, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

const TENANT: &str = "5b3d8c1e-2f4a-4e6b-9c7d-0000000e0001";
const CLIENT_ID: &str = "5b3d8c1e-2f4a-4e6b-9c7d-0000000a0001";
const SECRET: &str = "emulator-client-secret";
const ADMIN_OID: &str = "5b3d8c1e-2f4a-4e6b-9c7d-0000000aad01";
const PRIYA_OID: &str = "5b3d8c1e-2f4a-4e6b-9c7d-0000000aad02";
const REDIRECT: &str = "http://localhost/callback";
const VERIFIER: &str = "ThisIsntRandomButItNeedsToBe43CharactersLong";

/// A clock the test moves by hand.
#[derive(Clone)]
struct Hands(Arc<Mutex<OffsetDateTime>>);

impl Hands {
    fn new() -> (Hands, Clock) {
        let hands = Hands(Arc::new(Mutex::new(time::macros::datetime!(2026-11-23 09:30:15 UTC))));
        let read = hands.clone();
        (hands, Clock::from_fn(move || *read.0.lock().unwrap()))
    }

    fn advance(&self, secs: i64) {
        *self.0.lock().unwrap() += time::Duration::seconds(secs);
    }
}

fn strict() -> Config {
    Config { auth: AuthMode::Strict, ..Config::default() }
}

/// Percent-encodes everything but unreserved characters (form and query values).
fn e(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn org_url(s: &Server) -> String {
    format!("http://{}", s.addr)
}

fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn claims(token: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').nth(1).unwrap()).unwrap()).unwrap()
}

fn query(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}={}", e(v))).collect::<Vec<_>>().join("&")
}

/// `GET /{tenant}/oauth2/v2.0/authorize?…`
async fn authorize(s: &Server, pairs: &[(&str, &str)]) -> Resp {
    s.get(&format!("/{TENANT}/oauth2/v2.0/authorize?{}", query(pairs))).await
}

/// The parameters in a redirect's query or fragment.
#[track_caller]
fn redirect_params(r: &Resp, prefix: &str) -> HashMap<String, String> {
    assert_eq!(r.status, StatusCode::FOUND, "{}", r.text);
    let location = r.header("location").expect("Location");
    let rest = location.strip_prefix(prefix).unwrap_or_else(|| panic!("{location} does not start with {prefix}"));
    dataverse_emulator::auth::token::form(rest.as_bytes())
}

/// The usual authorize request: the org's user_impersonation, offline_access and openid,
/// with an S256 challenge.
fn sign_in(scope: &str) -> Vec<(&str, &str)> {
    vec![
        ("client_id", CLIENT_ID),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", scope),
        ("state", "12345"),
        ("nonce", "n-0S6_WzA2Mj"),
        ("code_challenge_method", "S256"),
    ]
}

fn full_scope(s: &Server) -> String {
    format!("{}/user_impersonation offline_access openid", org_url(s))
}

/// Signs in with an S256 challenge for VERIFIER and returns the code.
async fn code(s: &Server, extra: &[(&str, &str)]) -> String {
    let scope = full_scope(s);
    let challenge = s256(VERIFIER);
    let mut pairs = sign_in(&scope);
    pairs.push(("code_challenge", &challenge));
    pairs.extend_from_slice(extra);
    let r = authorize(s, &pairs).await;
    redirect_params(&r, &format!("{REDIRECT}?"))["code"].clone()
}

async fn token_request(s: &Server, form: &str) -> Resp {
    s.send_raw_body(Method::POST, &format!("/{TENANT}/oauth2/v2.0/token"), &[("content-type", "application/x-www-form-urlencoded")], form).await
}

async fn redeem(s: &Server, code: &str, verifier: &str) -> Resp {
    let form = query(&[
        ("grant_type", "authorization_code"),
        ("client_id", CLIENT_ID),
        ("client_secret", SECRET),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
        ("scope", &full_scope(s)),
    ]);
    token_request(s, &form).await
}

async fn refresh(s: &Server, refresh_token: &str) -> Resp {
    let form = query(&[("grant_type", "refresh_token"), ("client_id", CLIENT_ID), ("client_secret", SECRET), ("refresh_token", refresh_token)]);
    token_request(s, &form).await
}

#[track_caller]
fn assert_aadsts(r: &Resp, status: u16, error: &str, code: u32) {
    assert_eq!(r.status.as_u16(), status, "{}", r.text);
    assert_eq!(r.json["error"], error, "{}", r.text);
    assert_eq!(r.json["error_codes"], serde_json::json!([code]), "{}", r.text);
    assert!(r.json["error_description"].as_str().unwrap().starts_with(&format!("AADSTS{code}: ")), "{}", r.text);
    for field in ["timestamp", "trace_id", "correlation_id"] {
        assert!(r.json[field].is_string(), "{field}: {}", r.text);
    }
}

async fn who_am_i(s: &Server, token: &str) -> Resp {
    s.get_with("WhoAmI", &[("authorization", &format!("Bearer {token}"))]).await
}

#[tokio::test]
async fn authorization_code_with_pkce_s256_issues_a_delegated_token_refresh_token_and_id_token() {
    let s = Server::start_with(strict()).await;
    let scope = full_scope(&s);
    let challenge = s256(VERIFIER);
    let mut pairs = sign_in(&scope);
    pairs.push(("code_challenge", &challenge));
    let r = authorize(&s, &pairs).await;
    let params = redirect_params(&r, &format!("{REDIRECT}?"));
    let keys: Vec<&str> = r.header("location").unwrap().split('?').nth(1).unwrap().split('&').map(|p| p.split('=').next().unwrap()).collect();
    assert_eq!(keys, ["code", "state", "session_state"]);
    assert_eq!(params["state"], "12345");

    let r = redeem(&s, &params["code"], VERIFIER).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(r.header("cache-control"), Some("no-store, no-cache"));
    let keys: Vec<&str> = r.json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["token_type", "scope", "expires_in", "ext_expires_in", "access_token", "refresh_token", "id_token"]);
    assert_eq!(r.json["token_type"], "Bearer");
    assert_eq!(r.json["scope"], format!("{}/user_impersonation", org_url(&s)), "only the resource's scope is echoed");
    assert_eq!(r.json["expires_in"], 3599);

    let access = r.json["access_token"].as_str().unwrap();
    let c = claims(access);
    assert_eq!(c["aud"], org_url(&s));
    assert_eq!(c["iss"], format!("https://sts.windows.net/{TENANT}/"));
    assert_eq!(c["ver"], "1.0");
    assert_eq!(c["scp"], "user_impersonation");
    assert_eq!(c["oid"], ADMIN_OID);
    assert_eq!(c["tid"], TENANT);
    assert_eq!(c["appid"], CLIENT_ID);
    assert_eq!(c["appidacr"], "1", "the client sent its secret");
    assert_eq!(c["upn"], "admin@emulatedorg.onmicrosoft.com");
    assert_eq!(c["given_name"], "Emulator");
    assert!(c.get("idtyp").is_none(), "user tokens are not idtyp=app");
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 3599);

    // WhoAmI and createdby see the signed-in user, not the app's application user.
    let me = who_am_i(&s, access).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.json["UserId"], CALLER);
    let auth = format!("Bearer {access}");
    let created = s.send(Method::POST, "accounts?$select=_createdby_value", &[("authorization", &auth), ("prefer", "return=representation")], Some(r#"{"name":"Delegated"}"#)).await;
    assert_eq!(created.json["_createdby_value"], CALLER);

    // The id_token verifies against the published JWKS, for the discovery issuer.
    let config = s.get(&format!("/{TENANT}/v2.0/.well-known/openid-configuration")).await;
    let jwks = s.get(&format!("/{TENANT}/discovery/v2.0/keys")).await;
    let jwk = &jwks.json["keys"][0];
    let id_token = r.json["id_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    assert_eq!(header.kid.as_deref(), jwk["kid"].as_str());
    let key = jsonwebtoken::DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[CLIENT_ID]);
    validation.set_issuer(&[config.json["issuer"].as_str().unwrap()]);
    validation.validate_exp = false;
    let id = jsonwebtoken::decode::<Value>(id_token, &key, &validation).expect("id_token verifies").claims;
    assert_eq!(id["ver"], "2.0");
    assert_eq!(id["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(id["oid"], ADMIN_OID);
    assert_eq!(id["tid"], TENANT);
    assert_eq!(id["preferred_username"], "admin@emulatedorg.onmicrosoft.com");
    assert_eq!(id["name"], "Emulator Admin");
    assert!(id["sub"].as_str().is_some_and(|s| s.len() == 43));
}

#[tokio::test]
async fn pkce_plain_for_a_public_client_without_a_secret() {
    let s = Server::start_with(strict()).await;
    let scope = format!("{}/.default", org_url(&s));
    let r = authorize(
        &s,
        &[("client_id", CLIENT_ID), ("response_type", "code"), ("redirect_uri", REDIRECT), ("scope", &scope), ("code_challenge", VERIFIER), ("code_challenge_method", "plain")],
    )
    .await;
    let code = redirect_params(&r, &format!("{REDIRECT}?"))["code"].clone();
    let form = query(&[("grant_type", "authorization_code"), ("client_id", CLIENT_ID), ("code", &code), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER)]);
    let r = token_request(&s, &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let keys: Vec<&str> = r.json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["token_type", "scope", "expires_in", "ext_expires_in", "access_token"], "no offline_access, no openid");
    assert_eq!(r.json["scope"], format!("{}/user_impersonation", org_url(&s)));
    let c = claims(r.json["access_token"].as_str().unwrap());
    assert_eq!(c["appidacr"], "0", "a public client");
    assert_eq!(who_am_i(&s, r.json["access_token"].as_str().unwrap()).await.json["UserId"], CALLER);
}

#[tokio::test]
async fn codes_are_one_time_and_expire() {
    let (hands, clock) = Hands::new();
    let s = Server::start_with_clock(strict(), clock).await;
    let c = code(&s, &[]).await;
    assert_eq!(redeem(&s, &c, VERIFIER).await.status, StatusCode::OK);
    assert_aadsts(&redeem(&s, &c, VERIFIER).await, 400, "invalid_grant", 54005);
    assert_aadsts(&redeem(&s, "0.AnotACode", VERIFIER).await, 400, "invalid_grant", 70008);
    let late = code(&s, &[]).await;
    hands.advance(601);
    assert_aadsts(&redeem(&s, &late, VERIFIER).await, 400, "invalid_grant", 70008);
}

#[tokio::test]
async fn pkce_redirect_uri_client_and_scope_checks_at_the_token_endpoint() {
    let s = Server::start_with(strict()).await;
    // A wrong verifier, or none, fails PKCE (and burns the code).
    let c = code(&s, &[]).await;
    assert_aadsts(&redeem(&s, &c, "a-different-verifier-that-is-43-characters-x").await, 400, "invalid_grant", 50148);
    assert_aadsts(&redeem(&s, &c, VERIFIER).await, 400, "invalid_grant", 54005);
    let c = code(&s, &[]).await;
    let no_verifier = query(&[("grant_type", "authorization_code"), ("client_id", CLIENT_ID), ("client_secret", SECRET), ("code", &c), ("redirect_uri", REDIRECT)]);
    assert_aadsts(&token_request(&s, &no_verifier).await, 400, "invalid_grant", 50148);
    // The redirect URI must be the one the code was sent to.
    let c = code(&s, &[]).await;
    let other = query(&[("grant_type", "authorization_code"), ("client_id", CLIENT_ID), ("client_secret", SECRET), ("code", &c), ("redirect_uri", "http://localhost"), ("code_verifier", VERIFIER)]);
    assert_aadsts(&token_request(&s, &other).await, 400, "invalid_grant", 70000);
    // A bad scope, a bad secret, an unknown app, a missing code.
    let c = code(&s, &[]).await;
    let bad_scope = query(&[("grant_type", "authorization_code"), ("client_id", CLIENT_ID), ("client_secret", SECRET), ("code", &c), ("redirect_uri", REDIRECT), ("code_verifier", VERIFIER), ("scope", "User.Read")]);
    assert_aadsts(&token_request(&s, &bad_scope).await, 400, "invalid_scope", 70011);
    let bad_secret = query(&[("grant_type", "authorization_code"), ("client_id", CLIENT_ID), ("client_secret", "wrong"), ("code", &c), ("redirect_uri", REDIRECT)]);
    assert_aadsts(&token_request(&s, &bad_secret).await, 401, "invalid_client", 7000215);
    let unknown_app = query(&[("grant_type", "authorization_code"), ("client_id", "00000000-0000-0000-0000-00000000beef"), ("code", &c), ("redirect_uri", REDIRECT)]);
    assert_aadsts(&token_request(&s, &unknown_app).await, 400, "unauthorized_client", 700016);
    let no_code = query(&[("grant_type", "authorization_code"), ("client_id", CLIENT_ID), ("client_secret", SECRET), ("redirect_uri", REDIRECT)]);
    assert_aadsts(&token_request(&s, &no_code).await, 400, "invalid_request", 900144);
    // An unknown tenant.
    let r = s.send_raw_body(Method::POST, "/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token", &[("content-type", "application/x-www-form-urlencoded")], &no_code).await;
    assert_aadsts(&r, 400, "invalid_request", 90002);
    // Client credentials need the secret even for an app that allows public client flows.
    let no_secret = query(&[("grant_type", "client_credentials"), ("client_id", CLIENT_ID), ("scope", &format!("{}/.default", org_url(&s)))]);
    assert_aadsts(&token_request(&s, &no_secret).await, 401, "invalid_client", 7000218);
}

#[tokio::test]
async fn refresh_tokens_rotate_and_expire_after_their_lifetime() {
    let (hands, clock) = Hands::new();
    let config = Config { refresh_token_lifetime_secs: 100, token_lifetime_secs: 60, ..strict() };
    let s = Server::start_with_clock(config, clock).await;
    let first = redeem(&s, &code(&s, &[]).await, VERIFIER).await;
    let rt1 = first.json["refresh_token"].as_str().unwrap().to_string();

    hands.advance(61);
    assert_eq!(who_am_i(&s, first.json["access_token"].as_str().unwrap()).await.status, StatusCode::UNAUTHORIZED, "the access token expired");
    let second = refresh(&s, &rt1).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let keys: Vec<&str> = second.json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["token_type", "scope", "expires_in", "ext_expires_in", "access_token", "refresh_token", "id_token"]);
    let rt2 = second.json["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rt1, rt2, "each refresh issues a new refresh token");
    let access = second.json["access_token"].as_str().unwrap();
    assert_eq!(claims(access)["oid"], ADMIN_OID);
    assert_eq!(claims(second.json["id_token"].as_str().unwrap()).get("nonce"), None, "no nonce outside the code flow");
    assert_eq!(who_am_i(&s, access).await.json["UserId"], CALLER);

    // rt1 was issued at t0 and lives 100 s; rt2 at t0+61 lives until t0+161.
    hands.advance(50);
    assert_aadsts(&refresh(&s, &rt1).await, 400, "invalid_grant", 700082);
    let third = refresh(&s, &rt2).await;
    assert_eq!(third.status, StatusCode::OK, "{}", third.text);
    // A refresh that names another resource gets a token for it; a bad scope is refused.
    let rt3 = third.json["refresh_token"].as_str().unwrap();
    let form = query(&[("grant_type", "refresh_token"), ("client_id", CLIENT_ID), ("client_secret", SECRET), ("refresh_token", rt3), ("scope", "https://other.crm.dynamics.com/.default")]);
    let other = token_request(&s, &form).await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.text);
    assert_eq!(claims(other.json["access_token"].as_str().unwrap())["aud"], "https://other.crm.dynamics.com");
    let form = query(&[("grant_type", "refresh_token"), ("client_id", CLIENT_ID), ("client_secret", SECRET), ("refresh_token", rt3), ("scope", "Mail.Read")]);
    assert_aadsts(&token_request(&s, &form).await, 400, "invalid_scope", 70011);
    hands.advance(101);
    assert_aadsts(&refresh(&s, &rt2).await, 400, "invalid_grant", 700082);
    assert_aadsts(&refresh(&s, "0.AgarbageToken").await, 400, "invalid_request", 9002313);
}

#[tokio::test]
async fn form_post_answers_with_an_auto_submitting_form() {
    let s = Server::start_with(strict()).await;
    let scope = full_scope(&s);
    let mut pairs = sign_in(&scope);
    pairs.retain(|(k, _)| *k != "code_challenge_method");
    pairs.push(("response_mode", "form_post"));
    pairs.push(("state", "a<b&\"c\""));
    pairs.retain(|p| *p != ("state", "12345"));
    let r = authorize(&s, &pairs).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(r.header("location").is_none());
    assert!(r.text.contains(&format!("<form method=\"POST\" name=\"hiddenform\" action=\"{REDIRECT}\">")), "{}", r.text);
    assert!(r.text.contains("<input type=\"hidden\" name=\"state\" value=\"a&lt;b&amp;&quot;c&quot;\" />"), "{}", r.text);
    assert!(r.text.contains("document.forms[0].submit();"));
    let start = r.text.find("name=\"code\" value=\"").unwrap() + "name=\"code\" value=\"".len();
    let code = &r.text[start..start + r.text[start..].find('"').unwrap()];
    let form = query(&[("grant_type", "authorization_code"), ("client_id", CLIENT_ID), ("client_secret", SECRET), ("code", code), ("redirect_uri", REDIRECT)]);
    assert_eq!(token_request(&s, &form).await.status, StatusCode::OK, "no PKCE was asked for, so none is needed");

    // response_mode=fragment puts the answer after '#'.
    let mut pairs = sign_in(&scope);
    pairs.retain(|(k, _)| *k != "code_challenge_method");
    pairs.push(("response_mode", "fragment"));
    let r = authorize(&s, &pairs).await;
    assert!(redirect_params(&r, &format!("{REDIRECT}#")).contains_key("code"));
}

#[tokio::test]
async fn login_hint_chooses_the_user_and_loopback_redirects_may_change_port() {
    let s = Server::start_with(strict()).await;
    let scope = format!("{}/user_impersonation", org_url(&s));
    let redirect = "http://localhost:53123/callback";
    let r = authorize(&s, &[("client_id", CLIENT_ID), ("response_type", "code"), ("redirect_uri", redirect), ("scope", &scope), ("login_hint", "PRIYA@emulatedorg.onmicrosoft.com"), ("prompt", "select_account"), ("client_info", "1")]).await;
    let params = redirect_params(&r, &format!("{redirect}?"));
    let info: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&params["client_info"]).unwrap()).unwrap();
    assert_eq!(info["uid"], PRIYA_OID);
    let form = query(&[("grant_type", "authorization_code"), ("client_id", CLIENT_ID), ("client_secret", SECRET), ("code", &params["code"]), ("redirect_uri", redirect)]);
    let r = token_request(&s, &form).await;
    let access = r.json["access_token"].as_str().unwrap();
    assert_eq!(claims(access)["oid"], PRIYA_OID);
    assert_eq!(who_am_i(&s, access).await.json["UserId"], AGENT);
    // Impersonation still applies on top of a delegated token.
    let r = s.get_with("WhoAmI", &[("authorization", &format!("Bearer {access}")), ("mscrmcallerid", CALLER)]).await;
    assert_eq!(r.json["UserId"], CALLER);
}

#[tokio::test]
async fn a_tenant_user_who_is_not_in_the_org_gets_403() {
    let s = Server::start_with(strict()).await;
    let scope = format!("{}/user_impersonation", org_url(&s));
    let r = authorize(&s, &[("client_id", CLIENT_ID), ("response_type", "code"), ("redirect_uri", REDIRECT), ("scope", &scope), ("login_hint", "guest@emulatedorg.onmicrosoft.com")]).await;
    let code = redirect_params(&r, &format!("{REDIRECT}?"))["code"].clone();
    let form = query(&[("grant_type", "authorization_code"), ("client_id", CLIENT_ID), ("client_secret", SECRET), ("code", &code), ("redirect_uri", REDIRECT)]);
    let r = token_request(&s, &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    who_am_i(&s, r.json["access_token"].as_str().unwrap()).await.assert_error(403, "0x80072560");
}

#[tokio::test]
async fn authorize_errors_show_a_page_for_unsafe_redirects_and_redirect_otherwise() {
    let s = Server::start_with(strict()).await;
    let scope = full_scope(&s);
    // Unknown app, unregistered redirect URI, unknown tenant: a 400 page, never a redirect.
    let mut unknown_app = sign_in(&scope);
    unknown_app[0] = ("client_id", "00000000-0000-0000-0000-00000000beef");
    let mut bad_redirect = sign_in(&scope);
    bad_redirect[2] = ("redirect_uri", "https://evil.example/callback");
    for (path, pairs, code) in [
        (format!("/{TENANT}/oauth2/v2.0/authorize"), unknown_app, 700016),
        (format!("/{TENANT}/oauth2/v2.0/authorize"), bad_redirect, 50011),
        ("/11111111-2222-3333-4444-555555555555/oauth2/v2.0/authorize".to_string(), sign_in(&scope), 90002),
    ] {
        let r = s.get(&format!("{path}?{}", query(&pairs))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{code}: {}", r.text);
        assert!(r.header("location").is_none());
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        assert!(r.text.contains(&format!("AADSTS{code}: ")), "{}", r.text);
    }
    // Everything else goes back to the app with error, error_description and state.
    let cases: [(&str, &str, &str, u32); 6] = [
        ("scope", "User.Read", "invalid_scope", 70011),
        ("response_type", "token", "unsupported_response_type", 700054),
        ("code_challenge_method", "S512", "invalid_request", 9002313),
        ("login_hint", "nobody@emulatedorg.onmicrosoft.com", "invalid_request", 50034),
        ("prompt", "sometimes", "invalid_request", 9002313),
        ("response_type", "", "invalid_request", 900144),
    ];
    for (name, value, error, code) in cases {
        let mut pairs = sign_in(&scope);
        pairs.retain(|(k, _)| *k != name);
        pairs.push((name, value));
        pairs.push(("code_challenge", "abc"));
        let r = authorize(&s, &pairs).await;
        let params = redirect_params(&r, &format!("{REDIRECT}?"));
        assert_eq!(params["error"], error, "{name}={value}");
        assert!(params["error_description"].starts_with(&format!("AADSTS{code}: ")), "{name}={value}: {}", params["error_description"]);
        assert_eq!(params["state"], "12345");
        assert!(!params.contains_key("code"));
    }
}

#[tokio::test]
async fn the_challenge_leads_to_the_v1_authorize_and_token_endpoints() {
    let s = Server::start_with(strict()).await;
    let r = s.get("WhoAmI").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let challenge = r.header("www-authenticate").unwrap().to_string();
    assert_eq!(challenge, format!("Bearer authorization_uri={0}/{TENANT}/oauth2/authorize, resource_id={0}/", org_url(&s)));
    let authorization_uri = challenge.split("authorization_uri=").nth(1).unwrap().split(',').next().unwrap();
    let resource_id = challenge.split("resource_id=").nth(1).unwrap();
    let path = authorization_uri.strip_prefix(&org_url(&s)).unwrap();
    let r = s.get(&format!("{path}?{}", query(&[("client_id", CLIENT_ID), ("response_type", "code"), ("redirect_uri", REDIRECT), ("resource", resource_id)]))).await;
    let code = redirect_params(&r, &format!("{REDIRECT}?"))["code"].clone();
    let form = query(&[("grant_type", "authorization_code"), ("client_id", CLIENT_ID), ("client_secret", SECRET), ("code", &code), ("redirect_uri", REDIRECT)]);
    let r = s.send_raw_body(Method::POST, &format!("/{TENANT}/oauth2/token"), &[("content-type", "application/x-www-form-urlencoded")], &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["scope"], "user_impersonation");
    assert_eq!(r.json["expires_in"], "3599", "v1 writes numbers as strings");
    assert_eq!(r.json["resource"], org_url(&s));
    assert!(r.json["refresh_token"].is_string(), "v1 always returns a refresh token");
    assert_eq!(who_am_i(&s, r.json["access_token"].as_str().unwrap()).await.json["UserId"], CALLER);
}

#[tokio::test]
async fn discovery_lists_the_authorize_endpoint_grants_and_response_modes() {
    let s = Server::start().await;
    let base = format!("{}/{TENANT}", org_url(&s));
    let v2 = s.get(&format!("/{TENANT}/v2.0/.well-known/openid-configuration")).await;
    assert_eq!(v2.json["authorization_endpoint"], format!("{base}/oauth2/v2.0/authorize"));
    assert_eq!(v2.json["grant_types_supported"], serde_json::json!(["authorization_code", "refresh_token", "client_credentials"]));
    assert_eq!(v2.json["response_modes_supported"], serde_json::json!(["query", "fragment", "form_post"]));
    assert_eq!(v2.json["code_challenge_methods_supported"], serde_json::json!(["S256", "plain"]));
    // By domain, the endpoints keep the domain and the issuer names the tenant id.
    let by_domain = s.get("/emulatedorg.onmicrosoft.com/v2.0/.well-known/openid-configuration").await;
    assert_eq!(by_domain.json["issuer"], format!("{base}/v2.0"));
    assert_eq!(by_domain.json["token_endpoint"], format!("{}/emulatedorg.onmicrosoft.com/oauth2/v2.0/token", org_url(&s)));
    let v1 = s.get(&format!("/{TENANT}/.well-known/openid-configuration")).await;
    assert_eq!(v1.json["authorization_endpoint"], format!("{base}/oauth2/authorize"));
    assert_eq!(v1.json["token_endpoint"], format!("{base}/oauth2/token"));
    assert_eq!(v1.json["issuer"], format!("https://sts.windows.net/{TENANT}/"));
    let unknown = s.get("/11111111-2222-3333-4444-555555555555/v2.0/.well-known/openid-configuration").await;
    assert_aadsts(&unknown, 400, "invalid_request", 90002);
}

#[tokio::test]
async fn a_signing_key_loaded_from_pem_signs_tokens_and_is_published() {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::pkcs8::EncodePrivateKey;
    let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    let pkcs8 = private.to_pkcs8_pem(rsa::pkcs8::LineEnding::LF).unwrap();
    let pkcs1 = private.to_pkcs1_pem(rsa::pkcs1::LineEnding::LF).unwrap();
    let key = SigningKey::from_pem(&pkcs8).expect("PKCS#8 PEM");
    assert_eq!(SigningKey::from_pem(&pkcs1).expect("PKCS#1 PEM").kid, key.kid, "the kid follows the key, so it survives restarts");
    assert!(SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n").is_err());
    let kid = key.kid.clone();
    let s = Server::start_with(Config { signing_key: Some(Arc::new(key)), ..strict() }).await;
    let jwks = s.get(&format!("/{TENANT}/discovery/v2.0/keys")).await;
    assert_eq!(jwks.json["keys"][0]["kid"], kid);
    let r = redeem(&s, &code(&s, &[]).await, VERIFIER).await;
    let access = r.json["access_token"].as_str().unwrap();
    assert_eq!(jsonwebtoken::decode_header(access).unwrap().kid.as_deref(), Some(kid.as_str()));
    assert_eq!(who_am_i(&s, access).await.status, StatusCode::OK);
}

/// Key rotation: an emulator restarted with a new signing key publishes the new key only,
/// and refuses tokens signed with the old one (401), as an org does once Entra rotates.
#[tokio::test]
async fn rotating_the_signing_key_retires_tokens_signed_with_the_old_one() {
    let old = SigningKey::generate().expect("key");
    let new = SigningKey::generate().expect("key");
    assert_ne!(old.kid, new.kid);
    let before = Server::start_with(Config { signing_key: Some(Arc::new(old)), ..strict() }).await;
    let token = redeem(&before, &code(&before, &[]).await, VERIFIER).await.json["access_token"].as_str().unwrap().to_string();
    assert_eq!(who_am_i(&before, &token).await.status, StatusCode::OK);
    let after = Server::start_with(Config { signing_key: Some(Arc::new(new)), ..strict() }).await;
    let jwks = after.get(&format!("/{TENANT}/discovery/v2.0/keys")).await;
    let kids: Vec<&str> = jwks.json["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids.len(), 1);
    assert_ne!(Some(kids[0]), jsonwebtoken::decode_header(&token).unwrap().kid.as_deref());
    let r = who_am_i(&after, &token).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert!(r.header("www-authenticate").is_some_and(|h| h.starts_with("Bearer authorization_uri=")));
}
