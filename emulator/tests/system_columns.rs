//! Columns the platform fills in: timestamps, users, owner, business unit, state and
//! status defaults, computed full names, and the transaction currency.

use crate::common;

use common::*;
use http::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn create_sets_timestamps_users_owner_and_business_unit() {
    let s = Server::start().await;
    let id = s.create("accounts", r#"{"name":"System"}"#).await;
    let rec = s
        .fetch(&format!(
            "accounts({id})?$select=createdon,modifiedon,_createdby_value,_modifiedby_value,_ownerid_value,_owninguser_value,_owningbusinessunit_value"
        ))
        .await;
    assert_eq!(rec["createdon"], NOW);
    assert_eq!(rec["modifiedon"], NOW);
    assert_eq!(rec["_createdby_value"], CALLER);
    assert_eq!(rec["_modifiedby_value"], CALLER);
    assert_eq!(rec["_ownerid_value"], CALLER);
    assert_eq!(rec["_owninguser_value"], CALLER);
    assert_eq!(rec["_owningbusinessunit_value"], BUSINESS_UNIT);
}

#[tokio::test]
async fn system_lookups_carry_annotations() {
    let s = Server::start().await;
    let id = s.create("accounts", r#"{"name":"Annotated"}"#).await;
    let r = s
        .get_with(&format!("accounts({id})?$select=_createdby_value,_ownerid_value"), &[("Prefer", "odata.include-annotations=\"*\"")])
        .await;
    assert_eq!(r.json["_createdby_value@Microsoft.Dynamics.CRM.lookuplogicalname"], "systemuser");
    assert_eq!(r.json["_createdby_value@Microsoft.Dynamics.CRM.associatednavigationproperty"], "createdby");
    assert_eq!(r.json["_createdby_value@OData.Community.Display.V1.FormattedValue"], "Emulator Admin");
    assert_eq!(r.json["_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"], "systemuser");
}

#[tokio::test]
async fn state_and_status_defaults_on_account() {
    let s = Server::start().await;
    let id = s.create("accounts", r#"{"name":"Active"}"#).await;
    let r = s.get_with(&format!("accounts({id})?$select=statecode,statuscode"), &[("Prefer", "odata.include-annotations=\"*\"")]).await;
    assert_eq!(r.json["statecode"], 0);
    assert_eq!(r.json["statuscode"], 1);
    assert_eq!(r.json["statecode@OData.Community.Display.V1.FormattedValue"], "Active");
    assert_eq!(r.json["statuscode@OData.Community.Display.V1.FormattedValue"], "Active");
}

#[tokio::test]
async fn boolean_defaults_apply_on_create() {
    let s = Server::start().await;
    let id = s.create("accounts", r#"{"name":"Defaults"}"#).await;
    let rec = s.fetch(&format!("accounts({id})?$select=creditonhold,donotemail")).await;
    assert_eq!(rec["creditonhold"], false);
    assert_eq!(rec["donotemail"], false);
}

#[tokio::test]
async fn client_values_for_read_only_system_columns_are_ignored() {
    let s = Server::start().await;
    let id = s.create("accounts", r#"{"name":"Sneaky","createdon":"2001-01-01T00:00:00Z","versionnumber":5}"#).await;
    let rec = s.fetch(&format!("accounts({id})?$select=createdon,versionnumber")).await;
    assert_eq!(rec["createdon"], NOW);
    assert_ne!(rec["versionnumber"], 5);
}

#[tokio::test]
async fn update_sets_modified_columns_but_keeps_created_ones() {
    let s = Server::start().await;
    let r = s.patch(&format!("accounts({FABRIKAM})"), &[], r#"{"telephone1":"555-0000"}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    let rec = s.fetch(&format!("accounts({FABRIKAM})?$select=modifiedon,_modifiedby_value,_createdby_value,_ownerid_value")).await;
    assert_eq!(rec["modifiedon"], NOW);
    assert_eq!(rec["_modifiedby_value"], CALLER);
    assert_eq!(rec["_createdby_value"], CALLER);
    assert_eq!(rec["_ownerid_value"], CALLER);
}

#[tokio::test]
async fn contact_fullname_is_computed_and_recomputed() {
    let s = Server::start().await;
    let id = s.create("contacts", r#"{"firstname":"Grace","lastname":"Hopper"}"#).await;
    assert_eq!(s.fetch(&format!("contacts({id})?$select=fullname")).await["fullname"], "Grace Hopper");

    let r = s.patch(&format!("contacts({id})"), &[], r#"{"lastname":"Murray"}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(s.fetch(&format!("contacts({id})?$select=fullname")).await["fullname"], "Grace Murray");

    let r = s.put(&format!("contacts({id})/firstname"), r#"{"value":"Amazing"}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(s.fetch(&format!("contacts({id})/fullname")).await["value"], "Amazing Murray");

    let only_last = s.create("contacts", r#"{"lastname":"Solo"}"#).await;
    assert_eq!(s.fetch(&format!("contacts({only_last})?$select=fullname")).await["fullname"], "Solo");
}

#[tokio::test]
async fn fullname_is_not_writable() {
    let s = Server::start().await;
    let id = s.create("contacts", r#"{"firstname":"Real","lastname":"Name","fullname":"Fake Name"}"#).await;
    assert_eq!(s.fetch(&format!("contacts({id})?$select=fullname")).await["fullname"], "Real Name");
}

#[tokio::test]
async fn revenue_brings_the_transaction_currency() {
    let s = Server::start().await;
    let with_money = s.create("accounts", r#"{"name":"Rich","revenue":1000}"#).await;
    let rec = s.fetch(&format!("accounts({with_money})?$select=revenue")).await;
    assert_eq!(rec["_transactioncurrencyid_value"], BASE_CURRENCY);
    let r = s.get(&format!("accounts({with_money})?$select=revenue_base,exchangerate")).await;
    assert!(r.text.contains(r#""revenue_base":1000.0000"#), "{}", r.text);
    assert_eq!(r.json["exchangerate"].as_f64(), Some(1.0));

    let without = s.create("accounts", r#"{"name":"Poor"}"#).await;
    let rec = s.fetch(&format!("accounts({without})?$select=name,_transactioncurrencyid_value")).await;
    assert_eq!(rec["_transactioncurrencyid_value"], Value::Null);
}

#[tokio::test]
async fn currency_is_set_when_money_arrives_on_update() {
    let s = Server::start().await;
    let id = s.create("accounts", r#"{"name":"Later Money"}"#).await;
    let r = s.patch(&format!("accounts({id})"), &[], r#"{"creditlimit":2500.5}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    let r = s.get(&format!("accounts({id})?$select=creditlimit")).await;
    assert!(r.text.contains(r#""creditlimit":2500.5000"#), "{}", r.text);
    assert_eq!(r.json["_transactioncurrencyid_value"], BASE_CURRENCY);
}

#[tokio::test]
async fn activities_get_their_type_code() {
    let s = Server::start().await;
    let id = s.create("phonecalls", r#"{"subject":"Typed"}"#).await;
    let rec = s.fetch(&format!("phonecalls({id})?$select=activitytypecode,createdon,_ownerid_value,statecode")).await;
    assert_eq!(rec["activitytypecode"], "phonecall");
    assert_eq!(rec["createdon"], NOW);
    assert_eq!(rec["_ownerid_value"], CALLER);
    assert_eq!(rec["statecode"], 0);
}

#[tokio::test]
async fn created_on_formatted_value_uses_the_fixed_clock() {
    let s = Server::start().await;
    let id = s.create("accounts", r#"{"name":"Clock"}"#).await;
    let r = s.get_with(&format!("accounts({id})?$select=createdon"), &[("Prefer", "odata.include-annotations=\"*\"")]).await;
    assert_eq!(r.json["createdon"], NOW);
    assert_eq!(r.json["createdon@OData.Community.Display.V1.FormattedValue"], "11/23/2026 9:30 AM");
}
