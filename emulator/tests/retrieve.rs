//! Retrieve: `GET /{entityset}(key)` (wire reference §1.2, §1.4), and absolute URLs built
//! from the request's Host header and version segment.

use crate::common;

use common::*;
use http::{Method, StatusCode};
use serde_json::Value;

#[tokio::test]
async fn select_shapes_the_body_and_context() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts({FABRIKAM})?$select=name,revenue")).await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    assert_eq!(r.header("content-type"), Some(JSON_MINIMAL));
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#accounts(name,revenue)/$entity", s.base));
    assert_eq!(r.json["name"], "Fabrikam, Inc.");
    assert!(r.text.contains(r#""revenue":1500000.0000"#), "{}", r.text);
    // Money brings the currency along; the primary key is always there.
    assert_eq!(r.json["_transactioncurrencyid_value"], BASE_CURRENCY);
    assert_eq!(r.json["accountid"], FABRIKAM);
    let keys: Vec<&str> = r.json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["@odata.context", "@odata.etag", "name", "revenue", "_transactioncurrencyid_value", "accountid"]);
}

#[tokio::test]
async fn etag_annotation_equals_the_etag_header() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts({FABRIKAM})?$select=name")).await;
    assert_eq!(r.status, StatusCode::OK);
    let header = r.header("etag").expect("ETag header on a single-record GET");
    assert!(header.starts_with("W/\"") && header.ends_with('"'), "{header}");
    assert_eq!(r.json["@odata.etag"], header);
    assert!(r.etag_version() > 0);
}

#[tokio::test]
async fn without_select_every_column_is_returned_and_nulls_are_present() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts({ADATUM})")).await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#accounts/$entity", s.base));
    let obj = r.json.as_object().unwrap();
    assert_eq!(obj["accountid"], ADATUM);
    assert_eq!(obj["name"], "A. Datum Corporation");
    assert_eq!(obj.get("description"), Some(&Value::Null));
    assert_eq!(obj.get("industrycode"), Some(&Value::Null), "A. Datum has no industry");
    assert_eq!(obj.get("_parentaccountid_value"), Some(&Value::Null));
    // Lookups are `_x_value`, never the bare column or the navigation property.
    assert!(obj.contains_key("_primarycontactid_value"));
    assert!(!obj.contains_key("primarycontactid"));
}

#[tokio::test]
async fn primary_key_is_returned_even_when_not_selected() {
    let s = Server::start().await;
    let r = s.get(&format!("contacts({YVONNE})?$select=emailaddress1")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["contactid"], YVONNE);
    assert_eq!(r.json["emailaddress1"], "yvonne@fabrikam.example");
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#contacts(emailaddress1)/$entity", s.base));
}

#[tokio::test]
async fn missing_record_is_404_object_does_not_exist() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts({MISSING})")).await;
    let msg = r.assert_error(404, "0x80040217");
    assert_eq!(msg, format!("Entity 'account' With Id = {MISSING} Does Not Exist"));
    assert_eq!(r.header("etag"), None);
}

#[tokio::test]
async fn if_none_match_current_version_is_304() {
    let s = Server::start().await;
    let path = format!("accounts({FABRIKAM})?$select=name");
    let first = s.get(&path).await;
    let etag = first.header("etag").unwrap().to_string();
    let r = s.get_with(&path, &[("If-None-Match", &etag)]).await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert_eq!(r.text, "");
}

#[tokio::test]
async fn if_none_match_with_include_annotations_is_200() {
    let s = Server::start().await;
    let path = format!("accounts({FABRIKAM})?$select=name");
    let etag = s.get(&path).await.header("etag").unwrap().to_string();
    let r = s.get_with(&path, &[("If-None-Match", &etag), ("Prefer", "odata.include-annotations=\"*\"")]).await;
    assert_eq!(r.status, StatusCode::OK, "annotations are not covered by the version");
    assert_eq!(r.json["name"], "Fabrikam, Inc.");
    assert_eq!(r.header("etag"), Some(etag.as_str()));
}

#[tokio::test]
async fn if_none_match_stale_version_or_null_is_200() {
    let s = Server::start().await;
    let path = format!("accounts({FABRIKAM})?$select=name");
    let old = s.get(&path).await.header("etag").unwrap().to_string();
    let p = s.patch(&format!("accounts({FABRIKAM})"), &[], r#"{"name":"Fabrikam Renamed"}"#).await;
    assert_eq!(p.status, StatusCode::NO_CONTENT);
    let r = s.get_with(&path, &[("If-None-Match", &old)]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["name"], "Fabrikam Renamed");
    assert!(r.etag_version() > parse_etag(&old));
    // `If-None-Match: null`, which the docs tell every client to send, is a no-op.
    let r = s.get_with(&path, &[("If-None-Match", "null")]).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn quoted_string_key_is_400() {
    let s = Server::start().await;
    let r = s.get("accounts('abc')").await;
    let msg = r.assert_error(400, "0x80060888");
    assert!(msg.starts_with("Unrecognized 'Edm.String' literal"), "{msg}");
}

#[tokio::test]
async fn urls_are_built_from_the_host_header() {
    let s = Server::start().await;
    let host = [("Host", "localhost:1234")];
    let root = Server::root_for("localhost:1234");
    let r = s.get_with(&format!("accounts({FABRIKAM})?$select=name"), &host).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["@odata.context"], format!("{root}$metadata#accounts(name)/$entity"));

    let r = s.send(Method::POST, "accounts", &host, Some(r#"{"name":"Via Host"}"#)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let id = r.entity_id();
    assert_eq!(r.header("odata-entityid"), Some(format!("{root}accounts({id})").as_str()));

    let r = s.send(Method::PATCH, &format!("accounts({id})"), &host, Some(r#"{"name":"Via Host 2"}"#)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(r.header("odata-entityid"), Some(format!("{root}accounts({id})").as_str()));
}

#[tokio::test]
async fn older_versions_echo_their_version_segment() {
    let s = Server::start().await;
    for v in ["v9.0", "v9.1"] {
        let root = format!("http://{}/api/data/{v}/", s.addr);
        let r = s.get(&format!("/api/data/{v}/accounts({FABRIKAM})?$select=name")).await;
        assert_eq!(r.status, StatusCode::OK, "{v}: {}", r.text);
        assert_eq!(r.json["@odata.context"], format!("{root}$metadata#accounts(name)/$entity"));

        let r = s.post(&format!("/api/data/{v}/contacts"), r#"{"lastname":"Versioned"}"#).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{v}: {}", r.text);
        let id = r.entity_id();
        assert_eq!(r.header("odata-entityid"), Some(format!("{root}contacts({id})").as_str()));
    }
}

#[tokio::test]
async fn unknown_version_is_not_found() {
    let s = Server::start().await;
    let r = s.get(&format!("/api/data/v8.2/accounts({FABRIKAM})")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "body: {}", r.text);
    assert_eq!(r.header("content-type"), Some(JSON_MINIMAL));
    assert!(r.json["error"]["code"].is_string());
}

#[tokio::test]
async fn return_representation_is_not_applied_to_a_get() {
    let s = Server::start().await;
    let r = s.get_with(&format!("accounts({FABRIKAM})?$select=name"), &[("Prefer", "return=representation")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("preference-applied"), None);
}

#[tokio::test]
async fn entity_set_count_is_a_bare_number() {
    let s = Server::start().await;
    let r = s.get("accounts/$count").await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("text/plain")), "{:?}", r.header("content-type"));
    assert_eq!(r.text, "3", "three seed accounts");
    s.create("accounts", r#"{"name":"Fourth"}"#).await;
    assert_eq!(s.get("accounts/$count").await.text, "4");
}
