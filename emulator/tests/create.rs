//! Create: `POST /{entityset}` (wire reference §1.1).

use crate::common;

use common::*;
use http::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn create_returns_204_with_odata_entity_id_and_no_body() {
    let s = Server::start().await;
    let r = s.post("accounts", r#"{"name":"Northwind Traders"}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(r.text, "");
    assert_eq!(r.header("preference-applied"), None);
    let entity_id = r.header("odata-entityid").expect("OData-EntityId");
    let prefix = format!("{}accounts(", s.base);
    assert!(entity_id.starts_with(&prefix) && entity_id.ends_with(')'), "OData-EntityId: {entity_id}");
    let id = r.entity_id();
    uuid::Uuid::parse_str(&id).expect("the key is a GUID");
    assert_eq!(entity_id, format!("{}accounts({id})", s.base));

    let rec = s.fetch(&format!("accounts({id})")).await;
    assert_eq!(rec["name"], "Northwind Traders");
    assert_eq!(rec["accountid"], id.as_str());
}

#[tokio::test]
async fn create_with_return_representation_and_select() {
    let s = Server::start().await;
    let r = s
        .post_with("accounts?$select=name", &[("Prefer", "return=representation")], r#"{"name":"Litware, Inc.","telephone1":"555-0100"}"#)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "body: {}", r.text);
    assert_eq!(r.header("content-type"), Some(JSON_MINIMAL));
    assert_eq!(r.header("preference-applied"), Some("return=representation"));
    let id = r.json["accountid"].as_str().expect("primary key always returned").to_string();
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#accounts(name)/$entity", s.base));
    let etag = r.json["@odata.etag"].as_str().expect("@odata.etag");
    assert_eq!(Some(etag), r.header("etag"));
    parse_etag(etag);
    assert_eq!(r.json["name"], "Litware, Inc.");
    // $select shapes the body: telephone1 was written but not selected.
    let keys: Vec<&str> = r.json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["@odata.context", "@odata.etag", "name", "accountid"]);
    // The record was really stored.
    let rec = s.fetch(&format!("accounts({id})?$select=telephone1")).await;
    assert_eq!(rec["telephone1"], "555-0100");
}

#[tokio::test]
async fn create_with_return_representation_without_select_returns_every_column() {
    let s = Server::start().await;
    let r = s.post_with("accounts", &[("Prefer", "return=representation")], r#"{"name":"Full Record"}"#).await;
    assert_eq!(r.status, StatusCode::CREATED, "body: {}", r.text);
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#accounts/$entity", s.base));
    let obj = r.json.as_object().unwrap();
    assert_eq!(obj["name"], "Full Record");
    assert_eq!(obj.get("description"), Some(&Value::Null), "null columns are present as null");
    assert_eq!(obj.get("_primarycontactid_value"), Some(&Value::Null));
    assert!(obj.contains_key("accountid"));
    assert_eq!(obj["@odata.etag"].as_str(), r.header("etag"));
}

#[tokio::test]
async fn client_supplied_primary_key_is_honoured() {
    let s = Server::start().await;
    let id = "11111111-2222-4333-8444-555555555555";
    let r = s.post("accounts", &format!(r#"{{"accountid":"{id}","name":"Chosen Id"}}"#)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(r.header("odata-entityid"), Some(format!("{}accounts({id})", s.base).as_str()));
    let rec = s.fetch(&format!("accounts({id})")).await;
    assert_eq!(rec["accountid"], id);
    assert_eq!(rec["name"], "Chosen Id");
}

#[tokio::test]
async fn duplicate_primary_key_is_412_duplicate_record() {
    let s = Server::start().await;
    let before = s.count("accounts").await;
    let r = s.post("accounts", &format!(r#"{{"accountid":"{FABRIKAM}","name":"Impostor"}}"#)).await;
    r.assert_error(412, "0x80040237");
    assert_eq!(s.count("accounts").await, before);
    let rec = s.fetch(&format!("accounts({FABRIKAM})?$select=name")).await;
    assert_eq!(rec["name"], "Fabrikam, Inc.", "the existing record is untouched");
}

#[tokio::test]
async fn deep_insert_creates_single_and_collection_children() {
    let s = Server::start().await;
    let contacts_before = s.count("contacts").await;
    let body = r#"{
        "name": "Deep Account",
        "primarycontactid": {"firstname": "Ada", "lastname": "Primary"},
        "contact_customer_accounts": [
            {"firstname": "Ben", "lastname": "Child"},
            {"firstname": "Cleo", "lastname": "Child"}
        ]
    }"#;
    let r = s.post("accounts", body).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(r.text, "");
    let id = r.entity_id();
    assert_eq!(s.count("contacts").await, contacts_before + 3);

    // The single-valued child is the primary contact.
    let account = s.fetch(&format!("accounts({id})?$select=_primarycontactid_value")).await;
    let primary = account["_primarycontactid_value"].as_str().expect("primary contact set").to_string();
    let contact = s.fetch(&format!("contacts({primary})?$select=fullname,_parentcustomerid_value")).await;
    assert_eq!(contact["fullname"], "Ada Primary");
    assert_eq!(contact["_parentcustomerid_value"], Value::Null);

    // The collection children point back at the new account.
    let children = s.fetch(&format!("accounts({id})/contact_customer_accounts?$select=fullname,_parentcustomerid_value")).await;
    let rows = children["value"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{children}");
    let mut names: Vec<&str> = rows.iter().map(|c| c["fullname"].as_str().unwrap()).collect();
    names.sort_unstable();
    assert_eq!(names, ["Ben Child", "Cleo Child"]);
    for c in rows {
        assert_eq!(c["_parentcustomerid_value"], id.as_str());
    }
}

#[tokio::test]
async fn create_with_return_representation_of_a_contact_uses_its_own_set() {
    let s = Server::start().await;
    let r = s
        .post_with("contacts?$select=fullname", &[("Prefer", "return=representation")], r#"{"firstname":"Maria","lastname":"Campbell"}"#)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "body: {}", r.text);
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#contacts(fullname)/$entity", s.base));
    assert_eq!(r.json["fullname"], "Maria Campbell");
    assert!(r.json["contactid"].is_string());
    let id = r.json["contactid"].as_str().unwrap();
    assert_eq!(r.header("odata-entityid"), Some(format!("{}contacts({id})", s.base).as_str()));
}

#[tokio::test]
async fn create_ignores_if_none_match_null_and_applies_no_preference_unasked() {
    let s = Server::start().await;
    let r = s
        .post_with(
            "contacts",
            &[("If-None-Match", "null"), ("OData-MaxVersion", "4.0"), ("OData-Version", "4.0"), ("Accept", "application/json")],
            r#"{"lastname":"Headers"}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(r.header("preference-applied"), None);
    assert!(r.header("odata-entityid").is_some_and(|h| h.starts_with(&format!("{}contacts(", s.base))));
}
