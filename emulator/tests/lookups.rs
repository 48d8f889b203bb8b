//! Lookups: `@odata.bind` in every URL form, `_x_value` and its annotations (§1.1, §1.6).

use crate::common;

use common::*;
use http::StatusCode;
use serde_json::Value;

const ALL: (&str, &str) = ("Prefer", "odata.include-annotations=\"*\"");
const FV: &str = "OData.Community.Display.V1.FormattedValue";
const NAV: &str = "Microsoft.Dynamics.CRM.associatednavigationproperty";
const LLN: &str = "Microsoft.Dynamics.CRM.lookuplogicalname";

async fn primary_contact_of(s: &Server, account: &str) -> Value {
    s.fetch(&format!("accounts({account})?$select=_primarycontactid_value")).await["_primarycontactid_value"].clone()
}

#[tokio::test]
async fn bind_with_leading_slash() {
    let s = Server::start().await;
    let id = s.create("accounts", &format!(r#"{{"name":"A","primarycontactid@odata.bind":"/contacts({SUSANNA})"}}"#)).await;
    assert_eq!(primary_contact_of(&s, &id).await, SUSANNA);
}

#[tokio::test]
async fn bind_without_leading_slash() {
    let s = Server::start().await;
    let id = s.create("accounts", &format!(r#"{{"name":"B","primarycontactid@odata.bind":"contacts({SUSANNA})"}}"#)).await;
    assert_eq!(primary_contact_of(&s, &id).await, SUSANNA);
}

#[tokio::test]
async fn bind_with_absolute_url() {
    let s = Server::start().await;
    let url = format!("{}contacts({NANCY})", s.base);
    let id = s.create("accounts", &format!(r#"{{"name":"C","primarycontactid@odata.bind":"{url}"}}"#)).await;
    assert_eq!(primary_contact_of(&s, &id).await, NANCY);
}

#[tokio::test]
async fn all_annotations_come_before_the_lookup_property() {
    let s = Server::start().await;
    let r = s.get_with(&format!("accounts({FABRIKAM})?$select=name,_primarycontactid_value"), &[ALL]).await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    assert_eq!(r.header("preference-applied"), Some("odata.include-annotations=\"*\""));
    let p = "_primarycontactid_value";
    assert_eq!(r.json[format!("{p}@{FV}")], "Yvonne McKay");
    assert_eq!(r.json[format!("{p}@{NAV}")], "primarycontactid");
    assert_eq!(r.json[format!("{p}@{LLN}")], "contact");
    assert_eq!(r.json[p], YVONNE);
    let value_at = r.pos(&format!("\"{p}\":"));
    for term in [FV, NAV, LLN] {
        assert!(r.pos(&format!("\"{p}@{term}\"")) < value_at, "{term} must precede the property: {}", r.text);
    }
}

#[tokio::test]
async fn a_named_annotation_only_includes_that_one() {
    let s = Server::start().await;
    let prefer = format!("odata.include-annotations=\"{LLN}\"");
    let r = s.get_with(&format!("accounts({FABRIKAM})?$select=_primarycontactid_value"), &[("Prefer", &prefer)]).await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    assert_eq!(r.header("preference-applied"), Some(prefer.as_str()));
    let p = "_primarycontactid_value";
    assert_eq!(r.json[format!("{p}@{LLN}")], "contact");
    let obj = r.json.as_object().unwrap();
    assert!(!obj.contains_key(&format!("{p}@{FV}")), "{}", r.text);
    assert!(!obj.contains_key(&format!("{p}@{NAV}")), "{}", r.text);
    assert!(r.pos(&format!("\"{p}@{LLN}\"")) < r.pos(&format!("\"{p}\":")));
}

#[tokio::test]
async fn without_prefer_no_annotations_appear() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts({FABRIKAM})?$select=_primarycontactid_value,industrycode")).await;
    assert_eq!(r.header("preference-applied"), None);
    assert!(!r.text.contains("@OData.Community") && !r.text.contains("@Microsoft.Dynamics"), "{}", r.text);
}

async fn customer_annotations(s: &Server, contact: &str) -> Value {
    let r = s.get_with(&format!("contacts({contact})?$select=_parentcustomerid_value"), &[ALL]).await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    r.json
}

#[tokio::test]
async fn polymorphic_customer_bound_to_an_account() {
    let s = Server::start().await;
    let id = s.create("contacts", &format!(r#"{{"lastname":"P","parentcustomerid_account@odata.bind":"/accounts({CONTOSO})"}}"#)).await;
    let j = customer_annotations(&s, &id).await;
    let p = "_parentcustomerid_value";
    assert_eq!(j[p], CONTOSO);
    assert_eq!(j[format!("{p}@{LLN}")], "account");
    assert_eq!(j[format!("{p}@{NAV}")], "parentcustomerid_account");
    assert_eq!(j[format!("{p}@{FV}")], "Contoso Ltd");
}

#[tokio::test]
async fn polymorphic_customer_bound_to_a_contact() {
    let s = Server::start().await;
    let id = s.create("contacts", &format!(r#"{{"lastname":"Q","parentcustomerid_contact@odata.bind":"/contacts({YVONNE})"}}"#)).await;
    let j = customer_annotations(&s, &id).await;
    let p = "_parentcustomerid_value";
    assert_eq!(j[p], YVONNE);
    assert_eq!(j[format!("{p}@{LLN}")], "contact");
    assert_eq!(j[format!("{p}@{NAV}")], "parentcustomerid_contact");
    assert_eq!(j[format!("{p}@{FV}")], "Yvonne McKay");
}

#[tokio::test]
async fn owner_bound_to_a_system_user() {
    let s = Server::start().await;
    let id = s.create("accounts", &format!(r#"{{"name":"Owned","ownerid@odata.bind":"/systemusers({AGENT})"}}"#)).await;
    let r = s.get_with(&format!("accounts({id})?$select=_ownerid_value,_owninguser_value,_owningteam_value"), &[ALL]).await;
    assert_eq!(r.json["_ownerid_value"], AGENT);
    assert_eq!(r.json[format!("_ownerid_value@{LLN}")], "systemuser");
    assert_eq!(r.json[format!("_ownerid_value@{NAV}")], "ownerid");
    assert_eq!(r.json[format!("_ownerid_value@{FV}")], "Priya Agent");
    assert_eq!(r.json["_owninguser_value"], AGENT);
    assert_eq!(r.json["_owningteam_value"], Value::Null);
}

#[tokio::test]
async fn owner_bound_to_a_team() {
    let s = Server::start().await;
    let id = s.create("accounts", &format!(r#"{{"name":"Team Owned","ownerid@odata.bind":"/teams({TEAM})"}}"#)).await;
    let r = s.get_with(&format!("accounts({id})?$select=_ownerid_value,_owninguser_value,_owningteam_value"), &[ALL]).await;
    assert_eq!(r.json["_ownerid_value"], TEAM);
    assert_eq!(r.json[format!("_ownerid_value@{LLN}")], "team");
    assert_eq!(r.json[format!("_ownerid_value@{NAV}")], "ownerid");
    assert_eq!(r.json["_owningteam_value"], TEAM);
    assert_eq!(r.json["_owninguser_value"], Value::Null);
}

#[tokio::test]
async fn reassigning_the_owner_on_update() {
    let s = Server::start().await;
    let r = s.patch(&format!("accounts({FABRIKAM})"), &[], &format!(r#"{{"ownerid@odata.bind":"/teams({TEAM})"}}"#)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    let rec = s.fetch(&format!("accounts({FABRIKAM})?$select=_ownerid_value,_owningteam_value,_owninguser_value")).await;
    assert_eq!(rec["_ownerid_value"], TEAM);
    assert_eq!(rec["_owningteam_value"], TEAM);
    assert_eq!(rec["_owninguser_value"], Value::Null);
}

#[tokio::test]
async fn regarding_bound_to_an_account() {
    let s = Server::start().await;
    let id = s
        .create("phonecalls", &format!(r#"{{"subject":"Call","regardingobjectid_account_phonecall@odata.bind":"/accounts({ADATUM})"}}"#))
        .await;
    let r = s.get_with(&format!("phonecalls({id})?$select=_regardingobjectid_value"), &[ALL]).await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    let p = "_regardingobjectid_value";
    assert_eq!(r.json[p], ADATUM);
    assert_eq!(r.json[format!("{p}@{LLN}")], "account");
    assert_eq!(r.json[format!("{p}@{NAV}")], "regardingobjectid_account_phonecall");
    assert_eq!(r.json[format!("{p}@{FV}")], "A. Datum Corporation");
}

#[tokio::test]
async fn binding_to_a_missing_record_is_404_and_creates_nothing() {
    let s = Server::start().await;
    let before = s.count("accounts").await;
    let r = s.post("accounts", &format!(r#"{{"name":"Dangling","primarycontactid@odata.bind":"/contacts({MISSING})"}}"#)).await;
    assert_eq!(r.assert_error(404, "0x80040217"), format!("Entity 'contact' With Id = {MISSING} Does Not Exist"));
    assert_eq!(s.count("accounts").await, before);
}

#[tokio::test]
async fn binding_the_lookup_column_name_is_400() {
    // Polymorphic lookups are bound through per-target navigation properties only.
    let s = Server::start().await;
    let before = s.count("contacts").await;
    let r = s.post("contacts", &format!(r#"{{"lastname":"Bad","parentcustomerid@odata.bind":"/accounts({CONTOSO})"}}"#)).await;
    r.assert_error(400, "0x80048d19");
    assert_eq!(s.count("contacts").await, before);
}

#[tokio::test]
async fn clearing_a_lookup_with_null_bind() {
    let s = Server::start().await;
    let r = s.patch(&format!("accounts({FABRIKAM})"), &[], r#"{"primarycontactid@odata.bind":null}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(primary_contact_of(&s, FABRIKAM).await, Value::Null);
}

#[tokio::test]
async fn clearing_a_lookup_with_null_navigation_property() {
    let s = Server::start().await;
    let r = s.patch(&format!("accounts({CONTOSO})"), &[], r#"{"primarycontactid":null}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(primary_contact_of(&s, CONTOSO).await, Value::Null);
}

#[tokio::test]
async fn rebinding_a_lookup_on_update() {
    let s = Server::start().await;
    let r = s.patch(&format!("accounts({FABRIKAM})"), &[], &format!(r#"{{"primarycontactid@odata.bind":"/contacts({NANCY})"}}"#)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(primary_contact_of(&s, FABRIKAM).await, NANCY);
}
