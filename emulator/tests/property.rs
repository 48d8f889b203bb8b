//! Single properties: `GET …/name`, `GET …/name/$value`, `PUT …/name`, `DELETE …/description`.

use crate::common;

use common::*;
use http::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn get_a_single_property() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts({FABRIKAM})/name")).await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    assert_eq!(r.header("content-type"), Some(JSON_MINIMAL));
    assert_eq!(
        r.json,
        json!({"@odata.context": format!("{}$metadata#accounts({FABRIKAM})/name", s.base), "value": "Fabrikam, Inc."})
    );
    assert!(r.text.starts_with(r#"{"@odata.context":"#), "{}", r.text);
}

#[tokio::test]
async fn get_a_money_property_keeps_its_scale() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts({FABRIKAM})/revenue")).await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#accounts({FABRIKAM})/revenue", s.base));
    assert!(r.text.contains(r#""value":1500000.0000"#), "{}", r.text);
}

#[tokio::test]
async fn get_a_lookup_property_by_its_value_name() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts({FABRIKAM})/_primarycontactid_value")).await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#accounts({FABRIKAM})/_primarycontactid_value", s.base));
    assert_eq!(r.json["value"], YVONNE);
}

#[tokio::test]
async fn raw_value_is_text_plain() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts({FABRIKAM})/name/$value")).await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    let ct = r.header("content-type").unwrap_or_default();
    assert!(ct.starts_with("text/plain"), "content-type: {ct}");
    assert_eq!(r.text, "Fabrikam, Inc.");
}

#[tokio::test]
async fn put_a_single_property() {
    let s = Server::start().await;
    let before = s.get(&format!("accounts({FABRIKAM})")).await.etag_version();
    let r = s.put(&format!("accounts({FABRIKAM})/name"), r#"{"value":"x"}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(r.text, "");
    let after = s.get(&format!("accounts({FABRIKAM})")).await;
    assert_eq!(after.json["name"], "x");
    assert_eq!(after.json["accountnumber"], "ACC-0001", "other columns untouched");
    assert!(after.etag_version() > before);
    assert_eq!(s.fetch(&format!("accounts({FABRIKAM})/name")).await["value"], "x");
}

#[tokio::test]
async fn put_an_integer_property() {
    let s = Server::start().await;
    let r = s.put(&format!("accounts({FABRIKAM})/numberofemployees"), r#"{"value":250}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(s.fetch(&format!("accounts({FABRIKAM})/numberofemployees")).await["value"], 250);
}

#[tokio::test]
async fn delete_a_single_property_clears_it() {
    let s = Server::start().await;
    let path = format!("accounts({FABRIKAM})");
    assert_eq!(s.patch(&path, &[], r#"{"description":"temporary"}"#).await.status, StatusCode::NO_CONTENT);
    assert_eq!(s.fetch(&format!("{path}/description")).await["value"], "temporary");

    let r = s.delete(&format!("{path}/description")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(r.text, "");
    let rec = s.fetch(&format!("{path}?$select=description,name")).await;
    assert_eq!(rec["description"], Value::Null);
    assert_eq!(rec["name"], "Fabrikam, Inc.");
    // A null property reads as 204 No Content.
    let r = s.get(&format!("{path}/description")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(r.text, "");
}

#[tokio::test]
async fn put_with_the_wrong_type_is_400_and_changes_nothing() {
    let s = Server::start().await;
    let r = s.put(&format!("accounts({FABRIKAM})/numberofemployees"), r#"{"value":"lots"}"#).await;
    let msg = r.assert_error(400, "0x80048d19");
    assert!(msg.contains("Edm.Int32"), "{msg}");
    let r = s.put(&format!("accounts({FABRIKAM})/name"), r#"{"value":42}"#).await;
    r.assert_error(400, "0x80048d19");
    assert_eq!(s.fetch(&format!("accounts({FABRIKAM})/name")).await["value"], "Fabrikam, Inc.");
}

#[tokio::test]
async fn put_a_too_long_value_is_a_validation_error() {
    let s = Server::start().await;
    let r = s.put(&format!("accounts({FABRIKAM})/accountnumber"), r#"{"value":"ABCDEFGHIJKLMNOPQRSTUVWXYZ"}"#).await;
    let msg = r.assert_error(400, "0x80044331");
    assert!(msg.contains("accountnumber"), "{msg}");
}

#[tokio::test]
async fn property_of_a_missing_record_is_404() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts({MISSING})/name")).await;
    assert_eq!(r.assert_error(404, "0x80040217"), format!("Entity 'account' With Id = {MISSING} Does Not Exist"));
    s.put(&format!("accounts({MISSING})/name"), r#"{"value":"x"}"#).await.assert_error(404, "0x80040217");
}

#[tokio::test]
async fn unknown_property_segment_is_not_found() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts({FABRIKAM})/foo")).await;
    assert_eq!(r.assert_error(404, "0x80060888"), "Resource not found for the segment 'foo'.");
}

#[tokio::test]
async fn put_on_a_lookup_value_property_is_400() {
    let s = Server::start().await;
    let r = s.put(&format!("accounts({FABRIKAM})/_primarycontactid_value"), &format!(r#"{{"value":"{SUSANNA}"}}"#)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "body: {}", r.text);
    assert_eq!(s.fetch(&format!("accounts({FABRIKAM})/_primarycontactid_value")).await["value"], YVONNE);
}
