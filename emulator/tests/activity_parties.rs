//! Activity parties: deep insert through `phonecall_activity_parties`, reading them back
//! through the collection navigation, and all-or-nothing deep inserts.

use crate::common;

use common::*;
use http::StatusCode;
use serde_json::Value;

fn rows(v: &Value) -> &Vec<Value> {
    v["value"].as_array().unwrap_or_else(|| panic!("no value array: {v}"))
}

fn party_with_mask(v: &Value, mask: i64) -> &Value {
    rows(v).iter().find(|p| p["participationtypemask"].as_i64() == Some(mask)).unwrap_or_else(|| panic!("no party with mask {mask}: {v}"))
}

#[tokio::test]
async fn deep_insert_phonecall_with_parties_and_read_them_back() {
    let s = Server::start().await;
    let parties_before = s.count("activityparties").await;
    let body = format!(
        r#"{{
            "subject": "Quarterly review",
            "phonenumber": "+1 425 555 0199",
            "phonecall_activity_parties": [
                {{"partyid_contact@odata.bind": "/contacts({NANCY})", "participationtypemask": 1}},
                {{"partyid_systemuser@odata.bind": "/systemusers({AGENT})", "participationtypemask": 2}}
            ]
        }}"#
    );
    let r = s.post("phonecalls", &body).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "body: {}", r.text);
    assert_eq!(r.text, "");
    let id = r.entity_id();
    assert_eq!(r.header("odata-entityid"), Some(format!("{}phonecalls({id})", s.base).as_str()));
    assert_eq!(s.count("activityparties").await, parties_before + 2);

    let r = s.get(&format!("phonecalls({id})/phonecall_activity_parties")).await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    assert_eq!(r.header("content-type"), Some(JSON_MINIMAL));
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#activityparties", s.base));
    assert_eq!(rows(&r.json).len(), 2, "{}", r.text);
    let from = party_with_mask(&r.json, 1);
    assert_eq!(from["_partyid_value"], NANCY);
    assert_eq!(from["_activityid_value"], id.as_str());
    let to = party_with_mask(&r.json, 2);
    assert_eq!(to["_partyid_value"], AGENT);
    assert_eq!(to["_activityid_value"], id.as_str());
    for p in rows(&r.json) {
        assert!(p["activitypartyid"].is_string());
        assert!(p["@odata.etag"].as_str().is_some_and(|e| e.starts_with("W/\"")), "{p}");
    }
}

#[tokio::test]
async fn party_annotations_name_the_party_table() {
    let s = Server::start().await;
    let r = s
        .get_with(&format!("phonecalls({PHONECALL})/phonecall_activity_parties"), &[("Prefer", "odata.include-annotations=\"*\"")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    assert_eq!(r.header("preference-applied"), Some("odata.include-annotations=\"*\""));
    let lln = "_partyid_value@Microsoft.Dynamics.CRM.lookuplogicalname";
    let fv = "_partyid_value@OData.Community.Display.V1.FormattedValue";
    let contact = party_with_mask(&r.json, 1);
    assert_eq!(contact["_partyid_value"], YVONNE);
    assert_eq!(contact[lln], "contact");
    assert_eq!(contact[fv], "Yvonne McKay");
    let user = party_with_mask(&r.json, 2);
    assert_eq!(user["_partyid_value"], AGENT);
    assert_eq!(user[lln], "systemuser");
    assert_eq!(user[fv], "Priya Agent");
}

#[tokio::test]
async fn seed_phonecall_regarding_and_parties() {
    let s = Server::start().await;
    let call = s.fetch(&format!("phonecalls({PHONECALL})?$select=subject,_regardingobjectid_value,directioncode,activitytypecode")).await;
    assert_eq!(call["subject"], "Follow-up on order status");
    assert_eq!(call["_regardingobjectid_value"], FABRIKAM);
    assert_eq!(call["directioncode"], false);
    assert_eq!(call["activitytypecode"], "phonecall");
    assert_eq!(call["activityid"], PHONECALL);
    let parties = s.fetch(&format!("phonecalls({PHONECALL})/phonecall_activity_parties")).await;
    assert_eq!(rows(&parties).len(), 2);
}

#[tokio::test]
async fn invalid_party_leaves_nothing_behind() {
    let s = Server::start().await;
    let (calls, parties) = (s.count("phonecalls").await, s.count("activityparties").await);
    let body = format!(
        r#"{{
            "subject": "Doomed",
            "phonecall_activity_parties": [
                {{"partyid_contact@odata.bind": "/contacts({NANCY})", "participationtypemask": 1}},
                {{"partyid_systemuser@odata.bind": "/systemusers({AGENT})", "participationtypemask": 99}}
            ]
        }}"#
    );
    let r = s.post("phonecalls", &body).await;
    let msg = r.assert_error(400, "0x8004431a");
    assert!(msg.contains("participationtypemask"), "{msg}");
    assert_eq!(s.count("phonecalls").await, calls);
    assert_eq!(s.count("activityparties").await, parties);
}

#[tokio::test]
async fn party_bound_to_a_missing_record_leaves_nothing_behind() {
    let s = Server::start().await;
    let (calls, parties) = (s.count("phonecalls").await, s.count("activityparties").await);
    let body = format!(
        r#"{{"subject":"Doomed too","phonecall_activity_parties":[
            {{"partyid_systemuser@odata.bind":"/systemusers({AGENT})","participationtypemask":2}},
            {{"partyid_contact@odata.bind":"/contacts({MISSING})","participationtypemask":1}}]}}"#
    );
    let r = s.post("phonecalls", &body).await;
    assert_eq!(r.assert_error(404, "0x80040217"), format!("Entity 'contact' With Id = {MISSING} Does Not Exist"));
    assert_eq!(s.count("phonecalls").await, calls);
    assert_eq!(s.count("activityparties").await, parties);
}

#[tokio::test]
async fn party_with_unknown_property_is_a_payload_error_and_leaves_nothing() {
    let s = Server::start().await;
    let (calls, parties) = (s.count("phonecalls").await, s.count("activityparties").await);
    let body = format!(
        r#"{{"subject":"Typo","phonecall_activity_parties":[{{"partyid_contact@odata.bind":"/contacts({NANCY})","participationtypemaks":1}}]}}"#
    );
    let r = s.post("phonecalls", &body).await;
    let msg = r.assert_error(400, "0x80048d19");
    assert!(msg.contains("Invalid property 'participationtypemaks' was found in entity 'Microsoft.Dynamics.CRM.activityparty'"), "{msg}");
    assert_eq!(s.count("phonecalls").await, calls);
    assert_eq!(s.count("activityparties").await, parties);
}

#[tokio::test]
async fn phonecall_without_parties_has_an_empty_party_collection() {
    let s = Server::start().await;
    let id = s.create("phonecalls", r#"{"subject":"Alone"}"#).await;
    let r = s.get(&format!("phonecalls({id})/phonecall_activity_parties")).await;
    assert_eq!(r.status, StatusCode::OK, "body: {}", r.text);
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#activityparties", s.base));
    assert_eq!(rows(&r.json).len(), 0);
}
