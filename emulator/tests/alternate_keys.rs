//! Alternate keys in the URL and in `@odata.bind` (§1.5). account has the key `accountnumber`.

use crate::common;

use common::*;
use http::StatusCode;

const KEY_MESSAGE: &str = "The key in the request URI is not valid for resource 'Microsoft.Dynamics.CRM.account'";

#[tokio::test]
async fn get_by_alternate_key() {
    let s = Server::start().await;
    let r = s.get("accounts(accountnumber='ACC-0001')?$select=name,accountnumber").await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#accounts(name,accountnumber)/$entity", s.base));
    assert_eq!(r.json["accountid"], FABRIKAM);
    assert_eq!(r.json["name"], "Fabrikam, Inc.");
    assert_eq!(r.json["accountnumber"], "ACC-0001");
    assert_eq!(r.json["@odata.etag"].as_str(), r.header("etag"));
}

#[tokio::test]
async fn get_by_missing_alternate_key_is_404() {
    let s = Server::start().await;
    s.get("accounts(accountnumber='NOPE-404')").await.assert_error(404, "0x80040217");
}

#[tokio::test]
async fn patch_by_alternate_key_updates_the_existing_record() {
    let s = Server::start().await;
    let before = s.count("accounts").await;
    let r = s.patch("accounts(accountnumber='ACC-0002')", &[], r#"{"name":"Contoso by key"}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(r.header("odata-entityid"), Some(format!("{}accounts({CONTOSO})", s.base).as_str()));
    assert_eq!(s.count("accounts").await, before);
    assert_eq!(s.fetch(&format!("accounts({CONTOSO})?$select=name")).await["name"], "Contoso by key");
}

#[tokio::test]
async fn delete_by_alternate_key() {
    let s = Server::start().await;
    let r = s.delete("accounts(accountnumber='ACC-0003')").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    s.get(&format!("accounts({ADATUM})")).await.assert_error(404, "0x80040217");
    s.get("accounts(accountnumber='ACC-0003')").await.assert_error(404, "0x80040217");
}

#[tokio::test]
async fn patch_by_a_new_alternate_key_value_creates_a_record_with_it() {
    let s = Server::start().await;
    let before = s.count("accounts").await;
    let r = s.patch("accounts(accountnumber='NEW-0042')", &[], r#"{"name":"Keyed Upsert"}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    let id = r.entity_id();
    uuid::Uuid::parse_str(&id).expect("a new GUID");
    assert_eq!(s.count("accounts").await, before + 1);
    let rec = s.fetch(&format!("accounts({id})?$select=name,accountnumber")).await;
    assert_eq!(rec["accountnumber"], "NEW-0042");
    assert_eq!(rec["name"], "Keyed Upsert");
    let by_key = s.fetch("accounts(accountnumber='NEW-0042')?$select=name").await;
    assert_eq!(by_key["accountid"], id.as_str());
}

#[tokio::test]
async fn patch_by_alternate_key_with_if_match_star_does_not_create() {
    let s = Server::start().await;
    let before = s.count("accounts").await;
    let r = s.patch("accounts(accountnumber='NEW-0043')", &[("If-Match", "*")], r#"{"name":"No"}"#).await;
    r.assert_error(404, "0x80040217");
    assert_eq!(s.count("accounts").await, before);
}

#[tokio::test]
async fn alternate_key_inside_odata_bind() {
    let s = Server::start().await;
    let id = s
        .create("contacts", r#"{"lastname":"Keyed","parentcustomerid_account@odata.bind":"/accounts(accountnumber='ACC-0002')"}"#)
        .await;
    let rec = s.fetch(&format!("contacts({id})?$select=_parentcustomerid_value")).await;
    assert_eq!(rec["_parentcustomerid_value"], CONTOSO);
}

#[tokio::test]
async fn alternate_key_bind_to_a_missing_value_is_404_and_creates_nothing() {
    let s = Server::start().await;
    let before = s.count("contacts").await;
    let r = s.post("contacts", r#"{"lastname":"Orphan","parentcustomerid_account@odata.bind":"/accounts(accountnumber='NOPE')"}"#).await;
    r.assert_error(404, "0x80040217");
    assert_eq!(s.count("contacts").await, before);
}

#[tokio::test]
async fn wrong_key_name_is_400() {
    let s = Server::start().await;
    let r = s.get("accounts(name='Fabrikam')").await;
    let msg = r.assert_error(400, "0x80060888");
    assert!(msg.starts_with(KEY_MESSAGE), "{msg}");
    assert!(msg.contains("Ensure that the names and number of key properties match"), "{msg}");
}

#[tokio::test]
async fn wrong_number_of_key_parts_is_400() {
    let s = Server::start().await;
    let r = s.get("accounts(accountnumber='ACC-0001',name='Fabrikam')").await;
    let msg = r.assert_error(400, "0x80060888");
    assert!(msg.starts_with(KEY_MESSAGE), "{msg}");
}

#[tokio::test]
async fn duplicate_alternate_key_on_create_is_412_and_creates_nothing() {
    let s = Server::start().await;
    let before = s.count("accounts").await;
    let r = s.post("accounts", r#"{"name":"Copycat","accountnumber":"ACC-0001"}"#).await;
    let msg = r.assert_error(412, "0x80060892");
    assert!(msg.starts_with("Entity Key"), "{msg}");
    assert!(msg.contains("accountnumber"), "{msg}");
    assert_eq!(s.count("accounts").await, before);
}

#[tokio::test]
async fn duplicate_alternate_key_on_update_is_412_and_changes_nothing() {
    let s = Server::start().await;
    let r = s.patch(&format!("accounts({ADATUM})"), &[], r#"{"name":"Renamed","accountnumber":"ACC-0001"}"#).await;
    r.assert_error(412, "0x80060892");
    let rec = s.fetch(&format!("accounts({ADATUM})?$select=name,accountnumber")).await;
    assert_eq!(rec["accountnumber"], "ACC-0003");
    assert_eq!(rec["name"], "A. Datum Corporation");
    assert_eq!(s.fetch("accounts(accountnumber='ACC-0001')?$select=name").await["accountid"], FABRIKAM);
}

#[tokio::test]
async fn changing_the_key_value_moves_the_index() {
    let s = Server::start().await;
    let r = s.patch(&format!("accounts({ADATUM})"), &[], r#"{"accountnumber":"ACC-9999"}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    s.get("accounts(accountnumber='ACC-0003')").await.assert_error(404, "0x80040217");
    assert_eq!(s.fetch("accounts(accountnumber='ACC-9999')").await["accountid"], ADATUM);
    // The freed value can be used again.
    s.create("accounts", r#"{"name":"Reuse","accountnumber":"ACC-0003"}"#).await;
}

#[tokio::test]
async fn named_primary_key_works() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts(accountid={FABRIKAM})?$select=name")).await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    assert_eq!(r.json["accountid"], FABRIKAM);
    assert_eq!(r.json["name"], "Fabrikam, Inc.");
}

#[tokio::test]
async fn systemuser_rejects_the_named_primary_key_form() {
    let s = Server::start().await;
    let r = s.get(&format!("systemusers(systemuserid={AGENT})")).await;
    let msg = r.assert_error(400, "0x80060888");
    assert!(msg.starts_with("The key in the request URI is not valid for resource 'Microsoft.Dynamics.CRM.systemuser'"), "{msg}");
}

#[tokio::test]
async fn quotes_in_key_values_are_doubled() {
    let s = Server::start().await;
    let id = s.create("accounts", r#"{"name":"O'Brien & Sons","accountnumber":"O'BRIEN"}"#).await;
    let rec = s.fetch("accounts(accountnumber='O''BRIEN')?$select=name").await;
    assert_eq!(rec["accountid"], id.as_str());
    assert_eq!(rec["name"], "O'Brien & Sons");
}

#[tokio::test]
async fn alternate_key_values_match_case_insensitively() {
    // Dataverse's SQL collation is case-insensitive, so keys are too.
    let s = Server::start().await;
    let r = s.get("accounts(accountnumber='acc-0001')?$select=accountnumber").await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    assert_eq!(r.json["accountid"], FABRIKAM);
    assert_eq!(r.json["accountnumber"], "ACC-0001", "the stored spelling is kept");
    let before = s.count("accounts").await;
    s.post("accounts", r#"{"name":"Lower","accountnumber":"acc-0002"}"#).await.assert_error(412, "0x80060892");
    assert_eq!(s.count("accounts").await, before);
}
