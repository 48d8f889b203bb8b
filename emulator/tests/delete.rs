//! Delete: `DELETE /{entityset}(key)`, concurrency, and relationship cascades (§1.3).

use crate::common;

use common::*;
use http::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn delete_is_204_then_404() {
    let s = Server::start().await;
    let id = s.create("accounts", r#"{"name":"Short Lived"}"#).await;
    let before = s.count("accounts").await;
    let r = s.delete(&format!("accounts({id})")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(r.text, "");
    assert_eq!(r.header("odata-entityid"), None);
    assert_eq!(s.count("accounts").await, before - 1);

    let msg = s.get(&format!("accounts({id})")).await.assert_error(404, "0x80040217").to_string();
    assert_eq!(msg, format!("Entity 'account' With Id = {id} Does Not Exist"));
    let msg = s.delete(&format!("accounts({id})")).await.assert_error(404, "0x80040217").to_string();
    assert_eq!(msg, format!("Entity 'account' With Id = {id} Does Not Exist"));
}

#[tokio::test]
async fn delete_missing_record_is_404() {
    let s = Server::start().await;
    let r = s.delete(&format!("contacts({MISSING})")).await;
    assert_eq!(r.assert_error(404, "0x80040217"), format!("Entity 'contact' With Id = {MISSING} Does Not Exist"));
}

#[tokio::test]
async fn delete_with_stale_if_match_is_412_and_keeps_the_record() {
    let s = Server::start().await;
    let path = format!("accounts({ADATUM})");
    let old = s.get(&path).await.header("etag").unwrap().to_string();
    assert_eq!(s.patch(&path, &[], r#"{"telephone1":"555-0111"}"#).await.status, StatusCode::NO_CONTENT);
    let r = s.delete_with(&path, &[("If-Match", &old)]).await;
    let msg = r.assert_error(412, "0x80060882");
    assert_eq!(msg, "The version of the existing record doesn't match the RowVersion property provided.");
    assert_eq!(s.get(&path).await.status, StatusCode::OK);
}

#[tokio::test]
async fn delete_with_current_if_match_deletes() {
    let s = Server::start().await;
    let path = format!("accounts({ADATUM})");
    let etag = s.get(&path).await.header("etag").unwrap().to_string();
    let r = s.delete_with(&path, &[("If-Match", &etag)]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    s.get(&path).await.assert_error(404, "0x80040217");
}

#[tokio::test]
async fn deleting_a_phonecall_removes_its_activity_parties() {
    let s = Server::start().await;
    let parties = s.fetch(&format!("phonecalls({PHONECALL})/phonecall_activity_parties")).await;
    let ids: Vec<String> = parties["value"].as_array().unwrap().iter().map(|p| p["activitypartyid"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 2, "seed phonecall has two parties: {parties}");
    let before = s.count("activityparties").await;

    let r = s.delete(&format!("phonecalls({PHONECALL})")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(s.count("activityparties").await, before - 2);
    for id in &ids {
        s.get(&format!("activityparties({id})")).await.assert_error(404, "0x80040217");
    }
    // The parties' targets survive.
    assert_eq!(s.get(&format!("contacts({YVONNE})")).await.status, StatusCode::OK);
    assert_eq!(s.get(&format!("systemusers({AGENT})")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn deleting_an_account_removes_the_link_from_child_accounts() {
    // account_parent_account is RemoveLink: the child stays, its lookup is cleared.
    let s = Server::start().await;
    let parent = s.create("accounts", r#"{"name":"Parent"}"#).await;
    let child = s.create("accounts", &format!(r#"{{"name":"Child","parentaccountid@odata.bind":"/accounts({parent})"}}"#)).await;
    assert_eq!(s.fetch(&format!("accounts({child})?$select=_parentaccountid_value")).await["_parentaccountid_value"], parent.as_str());

    assert_eq!(s.delete(&format!("accounts({parent})")).await.status, StatusCode::NO_CONTENT);
    let rec = s.fetch(&format!("accounts({child})?$select=name,_parentaccountid_value")).await;
    assert_eq!(rec["name"], "Child");
    assert_eq!(rec["_parentaccountid_value"], Value::Null);
}

#[tokio::test]
async fn deleting_an_account_cascades_to_its_contacts_and_regarding_phonecalls() {
    // contact_customer_accounts and Account_Phonecalls are Cascade.
    let s = Server::start().await;
    let contact = s.create("contacts", &format!(r#"{{"lastname":"Dependent","parentcustomerid_account@odata.bind":"/accounts({FABRIKAM})"}}"#)).await;
    let parties_before = s.count("activityparties").await;

    let r = s.delete(&format!("accounts({FABRIKAM})")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    s.get(&format!("contacts({contact})")).await.assert_error(404, "0x80040217");
    // The seed phonecall is regarding Fabrikam: it goes, and its parties with it.
    s.get(&format!("phonecalls({PHONECALL})")).await.assert_error(404, "0x80040217");
    assert_eq!(s.count("activityparties").await, parties_before - 2);
    // Fabrikam's primary contact is referenced by the account, not a child of it.
    assert_eq!(s.get(&format!("contacts({YVONNE})")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn deleting_a_contact_clears_the_accounts_primary_contact() {
    // account_primary_contact is RemoveLink.
    let s = Server::start().await;
    let r = s.delete(&format!("contacts({SUSANNA})")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    let rec = s.fetch(&format!("accounts({CONTOSO})?$select=name,_primarycontactid_value")).await;
    assert_eq!(rec["name"], "Contoso Ltd");
    assert_eq!(rec["_primarycontactid_value"], Value::Null);
}

#[tokio::test]
async fn delete_with_if_match_on_a_missing_record_is_404() {
    let s = Server::start().await;
    let r = s.delete_with(&format!("accounts({MISSING})"), &[("If-Match", "W/\"1\"")]).await;
    r.assert_error(404, "0x80040217");
}
