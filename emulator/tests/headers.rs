//! Response headers as bytes on the wire: Dataverse's exact spelling on HTTP/1.1 (§0.1).

use crate::common;

use common::*;

/// Splits a raw response into head and body.
fn split(raw: &str) -> (&str, &str) {
    raw.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no blank line in response: {raw:?}"))
}

fn request(s: &Server, method: &str, path: &str, extra: &[&str], body: Option<&str>) -> String {
    let mut req = format!("{method} /api/data/v9.2/{path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\nConnection: close\r\n", s.addr);
    for h in extra {
        req.push_str(h);
        req.push_str("\r\n");
    }
    if let Some(b) = body {
        req.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", b.len()));
    }
    req.push_str("\r\n");
    req.push_str(body.unwrap_or(""));
    req
}

#[track_caller]
fn assert_has(head: &str, line: &str) {
    assert!(head.contains(line), "{line:?} not in head:\n{head}");
}

#[tokio::test]
async fn create_head_has_odata_version_and_entity_id_spelled_exactly() {
    let s = Server::start().await;
    let raw = s.raw(&request(&s, "POST", "accounts", &[], Some(r#"{"name":"Raw"}"#))).await;
    let (head, body) = split(&raw);
    assert!(head.starts_with("HTTP/1.1 204"), "{head}");
    assert_has(head, "\r\nOData-Version: 4.0\r\n");
    assert_has(head, &format!("\r\nOData-EntityId: {}accounts(", s.base));
    assert!(!head.contains("\r\nOdata-"), "no Title-Case leftovers: {head}");
    assert_eq!(body, "");
}

#[tokio::test]
async fn retrieve_head_has_etag_spelled_exactly() {
    let s = Server::start().await;
    let raw = s.raw(&request(&s, "GET", &format!("accounts({FABRIKAM})?$select=name"), &[], None)).await;
    let (head, body) = split(&raw);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_has(head, "\r\nOData-Version: 4.0\r\n");
    assert_has(head, "\r\nETag: W/\"");
    assert_has(head, "\r\nContent-Type: application/json; odata.metadata=minimal\r\n");
    assert!(!head.contains("\r\nEtag:"), "{head}");
    let json: serde_json::Value = serde_json::from_str(body).expect("JSON body");
    let etag_line = head.lines().find(|l| l.starts_with("ETag: ")).unwrap();
    assert_eq!(json["@odata.etag"], etag_line.trim_start_matches("ETag: "));
}

#[tokio::test]
async fn preference_applied_is_spelled_exactly() {
    let s = Server::start().await;
    let raw = s
        .raw(&request(&s, "POST", "accounts?$select=name", &["Prefer: return=representation"], Some(r#"{"name":"Raw Rep"}"#)))
        .await;
    let (head, _) = split(&raw);
    assert!(head.starts_with("HTTP/1.1 201"), "{head}");
    assert_has(head, "\r\nPreference-Applied: return=representation\r\n");
    assert_has(head, "\r\nOData-Version: 4.0\r\n");

    let raw = s
        .raw(&request(&s, "GET", &format!("accounts({FABRIKAM})?$select=name"), &["Prefer: odata.include-annotations=\"*\""], None))
        .await;
    let (head, _) = split(&raw);
    assert_has(head, "\r\nPreference-Applied: odata.include-annotations=\"*\"\r\n");
}

#[tokio::test]
async fn error_heads_carry_odata_version_and_request_id() {
    let s = Server::start().await;
    let raw = s.raw(&request(&s, "GET", &format!("accounts({MISSING})"), &[], None)).await;
    let (head, body) = split(&raw);
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    assert_has(head, "\r\nOData-Version: 4.0\r\n");
    assert_has(head, "\r\nREQ_ID: ");
    assert_has(head, "\r\nContent-Type: application/json; odata.metadata=minimal\r\n");
    let json: serde_json::Value = serde_json::from_str(body).expect("JSON error body");
    assert_eq!(json["error"]["code"], "0x80040217");
}

#[tokio::test]
async fn entity_id_follows_the_host_header_on_the_wire() {
    let s = Server::start().await;
    let body = r#"{"lastname":"Raw"}"#;
    let req = format!(
        "POST /api/data/v9.2/contacts HTTP/1.1\r\nHost: localhost:1234\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let raw = s.raw(&req).await;
    let (head, _) = split(&raw);
    assert!(head.starts_with("HTTP/1.1 204"), "{head}");
    assert_has(head, "\r\nOData-EntityId: http://localhost:1234/api/data/v9.2/contacts(");
}

#[tokio::test]
async fn update_head_has_entity_id_but_property_put_does_not() {
    let s = Server::start().await;
    let raw = s.raw(&request(&s, "PATCH", &format!("accounts({FABRIKAM})"), &[], Some(r#"{"name":"P"}"#))).await;
    let (head, _) = split(&raw);
    assert!(head.starts_with("HTTP/1.1 204"), "{head}");
    assert_has(head, &format!("\r\nOData-EntityId: {}accounts({FABRIKAM})\r\n", s.base));

    let raw = s.raw(&request(&s, "PUT", &format!("accounts({FABRIKAM})/name"), &[], Some(r#"{"value":"Q"}"#))).await;
    let (head, _) = split(&raw);
    assert!(head.starts_with("HTTP/1.1 204"), "{head}");
    assert_has(head, "\r\nOData-Version: 4.0\r\n");
    assert!(!head.contains("OData-EntityId"), "{head}");
}

#[tokio::test]
async fn keep_alive_serves_several_requests_on_one_connection() {
    let s = Server::start().await;
    let first = format!("GET /api/data/v9.2/accounts({FABRIKAM})/name HTTP/1.1\r\nHost: {}\r\n\r\n", s.addr);
    let second = request(&s, "GET", &format!("accounts({CONTOSO})/name"), &[], None);
    let raw = s.raw(&format!("{first}{second}")).await;
    assert_eq!(raw.matches("HTTP/1.1 200").count(), 2, "{raw}");
    assert!(raw.contains("Fabrikam, Inc.") && raw.contains("Contoso Ltd"), "{raw}");
    assert_eq!(raw.matches("\r\nOData-Version: 4.0\r\n").count(), 2, "{raw}");
}
