//! Associate and disassociate with `$ref`, and navigation-property reads (§1.2, §1.7).

use crate::common;

use common::*;
use http::{Method, StatusCode};
use serde_json::{json, Value};

async fn customer_of(s: &Server, contact: &str) -> Value {
    s.fetch(&format!("contacts({contact})?$select=_parentcustomerid_value")).await["_parentcustomerid_value"].clone()
}

#[tokio::test]
async fn post_collection_ref_with_absolute_url() {
    let s = Server::start().await;
    let body = json!({ "@odata.id": format!("{}contacts({NANCY})", s.base) }).to_string();
    let r = s.post(&format!("accounts({CONTOSO})/contact_customer_accounts/$ref"), &body).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(r.text, "");
    assert_eq!(r.header("odata-entityid"), None);
    assert_eq!(customer_of(&s, NANCY).await, CONTOSO);
}

#[tokio::test]
async fn get_collection_refs() {
    let s = Server::start().await;
    for c in [YVONNE, NANCY] {
        let body = json!({ "@odata.id": format!("{}contacts({c})", s.base) }).to_string();
        assert_eq!(s.post(&format!("accounts({ADATUM})/contact_customer_accounts/$ref"), &body).await.status, StatusCode::NO_CONTENT);
    }
    let r = s.get(&format!("accounts({ADATUM})/contact_customer_accounts/$ref")).await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    assert_eq!(r.header("content-type"), Some(JSON_MINIMAL));
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#Collection($ref)", s.base));
    let mut ids: Vec<&str> = r.json["value"].as_array().unwrap().iter().map(|v| v["@odata.id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    let mut expected = vec![format!("{}contacts({YVONNE})", s.base), format!("{}contacts({NANCY})", s.base)];
    expected.sort();
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn put_single_valued_ref_with_relative_url() {
    let s = Server::start().await;
    let r = s.put(&format!("contacts({NANCY})/parentcustomerid_account/$ref"), &format!(r#"{{"@odata.id":"accounts({FABRIKAM})"}}"#)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(r.text, "");
    assert_eq!(customer_of(&s, NANCY).await, FABRIKAM);
}

#[tokio::test]
async fn get_single_valued_ref() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts({FABRIKAM})/primarycontactid/$ref")).await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    assert_eq!(
        r.json,
        json!({"@odata.context": format!("{}$metadata#$ref", s.base), "@odata.id": format!("{}contacts({YVONNE})", s.base)})
    );

    let id = s.create("contacts", &format!(r#"{{"lastname":"Ref","parentcustomerid_account@odata.bind":"/accounts({CONTOSO})"}}"#)).await;
    let r = s.get(&format!("contacts({id})/parentcustomerid_account/$ref")).await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#$ref", s.base));
    assert_eq!(r.json["@odata.id"], format!("{}accounts({CONTOSO})", s.base));
}

#[tokio::test]
async fn delete_collection_ref_by_key() {
    let s = Server::start().await;
    let id = s.create("contacts", &format!(r#"{{"lastname":"Leaving","parentcustomerid_account@odata.bind":"/accounts({CONTOSO})"}}"#)).await;
    let r = s.delete(&format!("accounts({CONTOSO})/contact_customer_accounts({id})/$ref")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(r.text, "");
    assert_eq!(customer_of(&s, &id).await, Value::Null);
    assert_eq!(s.get(&format!("contacts({id})")).await.status, StatusCode::OK, "disassociate does not delete");
}

#[tokio::test]
async fn delete_collection_ref_by_id_query_option() {
    let s = Server::start().await;
    let id = s.create("contacts", &format!(r#"{{"lastname":"Leaving","parentcustomerid_account@odata.bind":"/accounts({CONTOSO})"}}"#)).await;
    let r = s.delete(&format!("accounts({CONTOSO})/contact_customer_accounts/$ref?$id={}contacts({id})", s.base)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(customer_of(&s, &id).await, Value::Null);
}

#[tokio::test]
async fn delete_single_valued_ref() {
    let s = Server::start().await;
    let id = s.create("contacts", &format!(r#"{{"lastname":"Leaving","parentcustomerid_account@odata.bind":"/accounts({CONTOSO})"}}"#)).await;
    let r = s.delete(&format!("contacts({id})/parentcustomerid_account/$ref")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(customer_of(&s, &id).await, Value::Null);
    let r = s.delete(&format!("accounts({FABRIKAM})/primarycontactid/$ref")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    let rec = s.fetch(&format!("accounts({FABRIKAM})?$select=_primarycontactid_value")).await;
    assert_eq!(rec["_primarycontactid_value"], Value::Null);
}

#[tokio::test]
async fn collection_navigation_returns_the_related_records() {
    let s = Server::start().await;
    let a = s.create("contacts", &format!(r#"{{"firstname":"Kid","lastname":"One","parentcustomerid_account@odata.bind":"/accounts({ADATUM})"}}"#)).await;
    let b = s.create("contacts", &format!(r#"{{"firstname":"Kid","lastname":"Two","parentcustomerid_account@odata.bind":"/accounts({ADATUM})"}}"#)).await;
    let r = s.get(&format!("accounts({ADATUM})/contact_customer_accounts?$select=fullname")).await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    assert_eq!(r.header("etag"), None, "collections carry no ETag header");
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#contacts(fullname)", s.base));
    let value = r.json["value"].as_array().unwrap();
    let mut got: Vec<(&str, &str)> = value.iter().map(|c| (c["contactid"].as_str().unwrap(), c["fullname"].as_str().unwrap())).collect();
    got.sort_unstable();
    let mut want = vec![(a.as_str(), "Kid One"), (b.as_str(), "Kid Two")];
    want.sort_unstable();
    assert_eq!(got, want);
    for c in value {
        assert!(c["@odata.etag"].is_string());
    }
}

#[tokio::test]
async fn single_navigation_returns_the_related_entity() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts({FABRIKAM})/primarycontactid")).await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#contacts/$entity", s.base));
    assert_eq!(r.json["contactid"], YVONNE);
    assert_eq!(r.json["fullname"], "Yvonne McKay");
    assert_eq!(r.json["@odata.etag"].as_str(), r.header("etag"));

    let r = s.get(&format!("accounts({FABRIKAM})/primarycontactid?$select=fullname")).await;
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#contacts(fullname)/$entity", s.base));
    let keys: Vec<&str> = r.json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["@odata.context", "@odata.etag", "fullname", "contactid"]);
}

#[tokio::test]
async fn associating_a_missing_record_is_404() {
    let s = Server::start().await;
    let body = json!({ "@odata.id": format!("{}contacts({MISSING})", s.base) }).to_string();
    let r = s.post(&format!("accounts({CONTOSO})/contact_customer_accounts/$ref"), &body).await;
    assert_eq!(r.assert_error(404, "0x80040217"), format!("Entity 'contact' With Id = {MISSING} Does Not Exist"));
    let r = s.post(&format!("accounts({MISSING})/contact_customer_accounts/$ref"), &json!({"@odata.id": format!("contacts({NANCY})")}).to_string()).await;
    assert_eq!(r.assert_error(404, "0x80040217"), format!("Entity 'account' With Id = {MISSING} Does Not Exist"));
}

#[tokio::test]
async fn put_on_a_collection_ref_is_405() {
    let s = Server::start().await;
    let body = json!({ "@odata.id": format!("contacts({NANCY})") }).to_string();
    let r = s.send(Method::PUT, &format!("accounts({CONTOSO})/contact_customer_accounts/$ref"), &[], Some(&body)).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "body: {}", r.text);
    assert_eq!(r.header("content-type"), Some(JSON_MINIMAL));
    assert_eq!(customer_of(&s, NANCY).await, Value::Null);
}

#[tokio::test]
async fn collection_navigation_count_is_a_bare_number() {
    let s = Server::start().await;
    s.create("contacts", &format!(r#"{{"lastname":"Counted","parentcustomerid_account@odata.bind":"/accounts({ADATUM})"}}"#)).await;
    let r = s.get(&format!("accounts({ADATUM})/contact_customer_accounts/$count")).await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("text/plain")), "{:?}", r.header("content-type"));
    assert_eq!(r.text.trim_start_matches('\u{feff}'), "1");
}
