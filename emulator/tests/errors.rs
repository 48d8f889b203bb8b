//! Bad input and unknown resources: each is a Dataverse error body (§5.1, §5.2).

use crate::common;

use common::*;
use dataverse_emulator::Config;
use http::{Method, StatusCode};

#[tokio::test]
async fn malformed_json_is_a_payload_error() {
    let s = Server::start().await;
    let before = s.count("accounts").await;
    let r = s.post("accounts", r#"{"name": "unterminated"#).await;
    let msg = r.assert_error(400, "0x80048d19");
    assert!(!msg.is_empty());
    assert_eq!(s.count("accounts").await, before);
    s.patch(&format!("accounts({FABRIKAM})"), &[], "not json").await.assert_error(400, "0x80048d19");
}

#[tokio::test]
async fn a_json_array_body_is_a_payload_error() {
    let s = Server::start().await;
    s.post("accounts", r#"[{"name":"x"}]"#).await.assert_error(400, "0x80048d19");
}

#[tokio::test]
async fn bad_guid_in_key_is_400() {
    let s = Server::start().await;
    s.get("accounts(not-a-guid)").await.assert_error(400, "0x80060888");
    s.patch("accounts(not-a-guid)", &[], r#"{"name":"x"}"#).await.assert_error(400, "0x80060888");
    s.delete("accounts(not-a-guid)").await.assert_error(400, "0x80060888");
}

#[tokio::test]
async fn unknown_entity_set_is_404() {
    let s = Server::start().await;
    let r = s.get("accountz").await;
    assert_eq!(r.assert_error(404, "0x80060888"), "Resource not found for the segment 'accountz'.");
    let r = s.post("accountz", r#"{"name":"x"}"#).await;
    assert_eq!(r.assert_error(404, "0x80060888"), "Resource not found for the segment 'accountz'.");
    // Entity set names are case-sensitive.
    let r = s.get("Accounts").await;
    assert_eq!(r.assert_error(404, "0x80060888"), "Resource not found for the segment 'Accounts'.");
}

#[tokio::test]
async fn unknown_select_column_is_400() {
    let s = Server::start().await;
    let r = s.get("accounts?$select=foo").await;
    assert_eq!(r.assert_error(400, "0x80060888"), "Could not find a property named 'foo' on type 'Microsoft.Dynamics.CRM.account'.");
    let r = s.get(&format!("accounts({FABRIKAM})?$select=name,foo")).await;
    assert_eq!(r.assert_error(400, "0x80060888"), "Could not find a property named 'foo' on type 'Microsoft.Dynamics.CRM.account'.");
    // A lookup must be selected as `_x_value`, not by its logical name.
    let r = s.get(&format!("accounts({FABRIKAM})?$select=primarycontactid")).await;
    r.assert_error(400, "0x80060888");
}

#[tokio::test]
async fn skip_is_not_supported() {
    let s = Server::start().await;
    let r = s.get("accounts?$skip=1").await;
    assert_eq!(r.assert_error(400, "0x80060888"), "Skip Clause is not supported in CRM");
}

#[tokio::test]
async fn post_who_am_i_is_404() {
    let s = Server::start().await;
    let r = s.post("WhoAmI", "{}").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "body: {}", r.text);
    assert_eq!(r.header("content-type"), Some(JSON_MINIMAL));
    assert!(r.json["error"]["code"].as_str().is_some_and(|c| c.starts_with("0x")), "{}", r.text);
    let msg = r.json["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("WhoAmI"), "{msg}");
    // GET is the right verb.
    let r = s.get("WhoAmI").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["UserId"], CALLER);
}

#[tokio::test]
async fn put_on_an_entity_set_is_405() {
    let s = Server::start().await;
    let r = s.put("accounts", r#"{"name":"x"}"#).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "body: {}", r.text);
    assert_eq!(r.header("content-type"), Some(JSON_MINIMAL));
    let code = r.json["error"]["code"].as_str().expect("error code");
    assert!(code.starts_with("0x") && code.len() == 10, "{code}");
    assert!(r.json["error"]["message"].as_str().is_some_and(|m| m.contains("PUT")), "{}", r.text);
    let r = s.send(Method::DELETE, "accounts", &[], None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = s.send(Method::POST, &format!("accounts({FABRIKAM})"), &[], Some("{}")).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn oversized_body_is_413_with_the_error_shape() {
    let s = Server::start_with(Config { max_body_bytes: 1024, ..Config::default() }).await;
    let before = s.count("accounts").await;
    let body = format!(r#"{{"name":"big","description":"{}"}}"#, "x".repeat(1500));
    let r = s.post("accounts", &body).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "body: {}", r.text);
    assert_eq!(r.header("content-type"), Some(JSON_MINIMAL));
    let code = r.json["error"]["code"].as_str().expect("error code");
    assert!(code.starts_with("0x") && code.len() == 10, "{code}");
    assert!(r.json["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", r.text);
    assert_eq!(s.count("accounts").await, before);
    // A body under the limit still works on the same server.
    s.create("accounts", r#"{"name":"small"}"#).await;
}

#[tokio::test]
async fn every_error_uses_the_json_error_media_type() {
    let s = Server::start().await;
    let cases: Vec<(Method, String, Option<&str>)> = vec![
        (Method::GET, format!("accounts({MISSING})"), None),
        (Method::GET, "accountz".into(), None),
        (Method::GET, "accounts?$skip=2".into(), None),
        (Method::POST, "accounts".into(), Some("{")),
        (Method::POST, "accounts".into(), Some(r#"{"industrycode":123456}"#)),
        (Method::POST, "accounts".into(), Some(r#"{"accountnumber":"ACC-0001"}"#)),
        (Method::PATCH, format!("accounts({FABRIKAM})"), Some(r#"{"bogus":1}"#)),
        (Method::PUT, "accounts".into(), Some("{}")),
        (Method::DELETE, format!("contacts({MISSING})"), None),
    ];
    for (method, path, body) in cases {
        let r = s.send(method.clone(), &path, &[], body).await;
        assert!(r.status.is_client_error(), "{method} {path}: {}", r.status);
        assert_eq!(r.header("content-type"), Some(JSON_MINIMAL), "{method} {path}");
        let obj = r.json.as_object().unwrap_or_else(|| panic!("{method} {path}: body {}", r.text));
        assert_eq!(obj.len(), 1, "only `error` at the top level: {}", r.text);
        let code = r.json["error"]["code"].as_str().unwrap_or_else(|| panic!("{method} {path}: {}", r.text));
        assert!(code.starts_with("0x") && code.len() == 10 && u32::from_str_radix(&code[2..], 16).is_ok(), "{code}");
        assert!(r.json["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{method} {path}: {}", r.text);
    }
}

#[tokio::test]
async fn errors_carry_request_ids() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts({MISSING})")).await;
    let req_id = r.header("req_id").expect("REQ_ID");
    assert_eq!(Some(req_id), r.header("x-ms-service-request-id"));
    uuid::Uuid::parse_str(req_id).expect("request id is a GUID");
}

#[tokio::test]
async fn unknown_navigation_segment_is_404() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts({FABRIKAM})/contact_customer_accountz")).await;
    assert_eq!(r.assert_error(404, "0x80060888"), "Resource not found for the segment 'contact_customer_accountz'.");
}

#[tokio::test]
async fn unemulated_messages_and_options_fail_fast_with_501() {
    let s = Server::start().await;
    let r = s.get(&format!("systemusers({CALLER})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges()")).await;
    assert!(r.assert_error(501, "0x80040315").contains("Microsoft.Dynamics.CRM.RetrieveUserPrivileges"));
    let r = s.post("WinOpportunity", "{}").await;
    assert!(r.assert_error(501, "0x80040315").contains("WinOpportunity"));
    let r = s.get("accounts?savedQuery=00000000-0000-0000-00aa-000010001001").await;
    assert!(r.assert_error(501, "0x80040315").contains("savedQuery"));
}

#[tokio::test]
async fn retrieve_version_reports_the_org_version() {
    let s = Server::start().await;
    let r = s.get("RetrieveVersion()").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["Version"], "9.2.25093.00168");
    assert!(r.json["@odata.context"].as_str().unwrap().ends_with("$metadata#Microsoft.Dynamics.CRM.RetrieveVersionResponse"));
}
