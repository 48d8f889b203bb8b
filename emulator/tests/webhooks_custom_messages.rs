//! Webhook steps on Custom API messages (issue 11): every Custom API the org declares has
//! an `sdkmessage` row (and a bound one a filter on its table); a step on it receives the
//! call's RemoteExecutionContext with the request parameters as InputParameters and the
//! response properties as OutputParameters; a failing synchronous step fails the call.
//! The default org declares sample_CalculateDiscount (unbound action), sample_AccountHealth
//! (function bound to account) and sample_Ping (unbound, no response).

use crate::common;
use crate::webhook_receiver;

use common::*;
use http::StatusCode;
use serde_json::{json, Value};
use webhook_receiver::*;

const MONEY_TYPE: &str = "Money:http://schemas.microsoft.com/xrm/2011/Contracts";

/// The id of the `sdkmessage` row named `name`.
async fn message_id(s: &Server, name: &str) -> String {
    let r = s.get(&format!("sdkmessages?$select=sdkmessageid,name&$filter=name%20eq%20'{name}'")).await.checked();
    let rows = r.json["value"].as_array().expect("a value array");
    assert_eq!(rows.len(), 1, "one sdkmessage named {name}: {}", r.text);
    rows[0]["sdkmessageid"].as_str().unwrap().to_string()
}

/// The filters of message `id`, as (table, filter id).
async fn filters(s: &Server, id: &str) -> Vec<(Value, String)> {
    let r = s.get(&format!("sdkmessagefilters?$select=primaryobjecttypecode&$filter=_sdkmessageid_value%20eq%20{id}")).await.checked();
    r.json["value"].as_array().unwrap().iter().map(|f| (f["primaryobjecttypecode"].clone(), f["sdkmessagefilterid"].as_str().unwrap().to_string())).collect()
}

#[tokio::test]
async fn every_custom_api_has_a_message_and_a_bound_one_a_filter_on_its_table() {
    let s = Server::start().await;
    let discount = message_id(&s, "sample_CalculateDiscount").await;
    let health = message_id(&s, "sample_AccountHealth").await;
    message_id(&s, "sample_Ping").await;
    assert_eq!(filters(&s, &discount).await, [], "an unbound API has no table filter");
    let bound = filters(&s, &health).await;
    assert_eq!(bound.len(), 1, "{bound:?}");
    assert_eq!(bound[0].0, "account");
    // The ids are derived from the name: another org made from the fixture has the same.
    let other = Server::start().await;
    assert_eq!(message_id(&other, "sample_AccountHealth").await, health);
}

#[tokio::test]
async fn a_post_operation_step_on_an_unbound_custom_api_gets_its_parameters_and_response() {
    let s = Server::start().await;
    let rx = Receiver::start(&[]).await;
    let se = endpoint(&s, &rx.url, 4, "k").await;
    let message = message_id(&s, "sample_CalculateDiscount").await;
    let step_id = step(&s, &se, &message, "", 40, 0, None).await;
    let r = s.post("sample_CalculateDiscount", r#"{"Amount": 100.5, "CustomerTier": "Gold"}"#).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["Reason"], "Loyal customer");
    let got = rx.received();
    assert_eq!(got.len(), 1, "a synchronous step is called before the answer");
    let d = &got[0];
    assert_eq!(d.header("x-ms-dynamics-request-name"), Some("sample_CalculateDiscount"));
    assert_eq!(d.header("x-ms-dynamics-entity-name"), Some("none"));
    assert_eq!(d.json["MessageName"], "sample_CalculateDiscount");
    assert_eq!(d.json["PrimaryEntityName"], "none");
    assert_eq!(d.json["PrimaryEntityId"], "00000000-0000-0000-0000-000000000000");
    assert_eq!(d.json["Stage"], 40);
    assert_eq!(d.json["OwningExtension"]["Id"], json!(step_id));
    let input = &d.json["InputParameters"];
    assert_eq!(pair(input, "Amount"), &json!({"__type": MONEY_TYPE, "Value": 100.5}));
    assert_eq!(pair(input, "CustomerTier"), "Gold");
    assert_eq!(input.as_array().unwrap().len(), 2, "only the parameters given: {input}");
    let output = &d.json["OutputParameters"];
    assert_eq!(pair(output, "Discount"), &json!({"__type": MONEY_TYPE, "Value": 12.5}));
    assert_eq!(pair(output, "Reason"), "Loyal customer");
    // The body keeps the DataContract escaping.
    assert!(d.text.contains(r"http:\/\/schemas.microsoft.com\/xrm\/2011\/Contracts"), "{}", d.text);
}

#[tokio::test]
async fn a_pre_operation_step_on_a_bound_function_gets_the_target_and_no_output() {
    let s = Server::start().await;
    let rx = Receiver::start(&[]).await;
    let se = endpoint(&s, &rx.url, 4, "k").await;
    let message = message_id(&s, "sample_AccountHealth").await;
    let (_, filter) = filters(&s, &message).await.remove(0);
    step(&s, &se, &message, &filter, 20, 0, None).await;
    let id = s.create("accounts", r#"{"name":"Healthy"}"#).await;
    let r = s.get(&format!("accounts({id})/Microsoft.Dynamics.CRM.sample_AccountHealth(IncludeHistory=true)")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let got = rx.received();
    assert_eq!(got.len(), 1, "only the custom API's step fires, not a Create: {got:?}");
    let d = &got[0].json;
    assert_eq!(d["MessageName"], "sample_AccountHealth");
    assert_eq!(d["PrimaryEntityName"], "account");
    assert_eq!(d["PrimaryEntityId"], json!(id));
    let target = pair(&d["InputParameters"], "Target");
    assert_eq!(target["LogicalName"], "account");
    assert_eq!(target["Id"], json!(id));
    assert_eq!(pair(&d["InputParameters"], "IncludeHistory"), true);
    assert_eq!(d["OutputParameters"], json!([]), "the response is not known before the main operation");
    // The bound record must exist; a missing one fires nothing.
    let missing = "00000000-0000-0000-0000-0000000000aa";
    let r = s.get(&format!("accounts({missing})/Microsoft.Dynamics.CRM.sample_AccountHealth()")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(rx.received().len(), 1);
}

#[tokio::test]
async fn a_failing_synchronous_step_fails_the_custom_api_call() {
    let s = Server::start().await;
    let rx = Receiver::start(&[500]).await;
    let se = endpoint(&s, &rx.url, 4, "k").await;
    let message = message_id(&s, "sample_Ping").await;
    step(&s, &se, &message, "", 10, 0, None).await;
    let r = s.post("sample_Ping", "{}").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.json["error"]["code"], "0x80040265", "{}", r.text);
    assert!(r.json["error"]["message"].as_str().unwrap().contains("HTTP status 500"), "{}", r.text);
    // The script is used up: the next call's step answers 200 and the call succeeds.
    let r = s.post("sample_Ping", "{}").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(rx.received().len(), 2);
}

#[tokio::test]
async fn an_asynchronous_step_is_queued_after_the_call_and_never_for_a_rolled_back_changeset() {
    let s = Server::start().await;
    let rx = Receiver::start(&[]).await;
    let failing = Receiver::start(&[500]).await;
    let se = endpoint(&s, &rx.url, 4, "k").await;
    let message = message_id(&s, "sample_Ping").await;
    step(&s, &se, &message, "", 40, 1, None).await;
    let r = s.post("sample_Ping", "{}").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let got = rx.wait_for(1).await;
    assert_eq!(got[0].json["Mode"], 1);
    assert_eq!(got[0].json["ParentContext"]["MessageName"], "sample_Ping", "{}", got[0].text);
    // A changeset whose account create fails its synchronous step rolls back the Ping too.
    let bad = endpoint(&s, &failing.url, 4, "k").await;
    step(&s, &bad, CREATE, ACCOUNT_CREATE, 40, 0, None).await;
    let parts = [http_part(Some("1"), "POST", "sample_Ping", &[], Some("{}")), http_part(Some("2"), "POST", "accounts", &[], Some(r#"{"name":"x"}"#))];
    let r = s.batch(&[], &[changeset("cs_ping", &parts)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    // Wait for the journal to have both earlier attempts, then check no other Ping came.
    for url in [&failing.url, &rx.url] {
        let w = s.get(&format!("/_emulator/webhooks/wait?url={url}&count=1&timeout=5000")).await;
        assert_eq!(w.status, StatusCode::OK, "{}", w.text);
    }
    let j = s.get("/_emulator/webhooks/deliveries").await.json;
    let pings = j["value"].as_array().unwrap().iter().filter(|d| d["message"] == "sample_Ping").count();
    assert_eq!(pings, 1, "only the first call's delivery: {j}");
}

#[tokio::test]
async fn typed_parameters_reach_the_context_in_their_data_contract_form() {
    let s = Server::start().await;
    let param = |name: &str, kind: &str| json!({ "uniqueName": name, "type": kind, "isOptional": true });
    let org = json!({ "name": "typed", "fixture": { "formatVersion": 1, "schema": { "customApis": [{
        "uniqueName": "new_Typed",
        "requestParameters": [param("When", "DateTime"), param("Tier", "Picklist"), param("Who", "EntityReference"),
            param("Draft", "Entity"), param("Many", "EntityCollection"), param("Tags", "StringArray"), param("Rate", "Float")],
        "responseProperties": [{ "uniqueName": "Next", "type": "DateTime" }],
        "response": { "Next": "2026-01-02T03:04:05Z" }
    }] } } });
    let r = s.post("/_emulator/orgs", &org.to_string()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let api = "/org/typed/api/data/v9.2/";
    let rx = Receiver::start(&[]).await;
    let se = s.create(&format!("{api}serviceendpoints"), &json!({"name": "hook", "contract": 8, "url": rx.url, "authtype": 4, "authvalue": "k", "messageformat": 2}).to_string()).await;
    let found = s.get(&format!("{api}sdkmessages?$select=name&$filter=name%20eq%20'new_Typed'")).await.checked();
    let message = found.json["value"][0]["sdkmessageid"].as_str().expect("new_Typed has a message").to_string();
    let body = json!({ "name": "typed", "stage": 40, "mode": 0, "rank": 1,
        "eventhandler_serviceendpoint@odata.bind": format!("/serviceendpoints({se})"), "sdkmessageid@odata.bind": format!("/sdkmessages({message})") });
    s.create(&format!("{api}sdkmessageprocessingsteps"), &body.to_string()).await;
    let who = "6e0b3c7a-1111-4a4a-9c9c-000000000001";
    let call = json!({
        "When": "2026-01-01T00:00:01Z",
        "Tier": 2,
        "Who": { "@odata.type": "Microsoft.Dynamics.CRM.contact", "contactid": who },
        "Draft": { "@odata.type": "Microsoft.Dynamics.CRM.account", "name": "Draft" },
        "Many": [{ "@odata.type": "Microsoft.Dynamics.CRM.contact", "contactid": who, "firstname": "Ann" }],
        "Tags": ["a", "b"],
        "Rate": 0.5
    });
    let r = s.post(&format!("{api}new_Typed"), &call.to_string()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let got = rx.received();
    assert_eq!(got.len(), 1, "{}", r.text);
    let input = &got[0].json["InputParameters"];
    assert_eq!(pair(input, "When"), "/Date(1767225601000)/");
    assert!(got[0].text.contains(r#""value":"\/Date(1767225601000)\/""#), "{}", got[0].text);
    assert_eq!(pair(input, "Tier"), &json!({"__type": "OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts", "Value": 2}));
    let who_ref = pair(input, "Who");
    assert_eq!((&who_ref["__type"], &who_ref["LogicalName"], &who_ref["Id"]), (&json!("EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts"), &json!("contact"), &json!(who)));
    let draft = pair(input, "Draft");
    assert_eq!(draft["__type"], ENTITY_TYPE);
    assert_eq!(draft["LogicalName"], "account");
    assert_eq!(draft["Id"], "00000000-0000-0000-0000-000000000000");
    assert_eq!(pair(&draft["Attributes"], "name"), "Draft");
    let many = pair(input, "Many");
    assert_eq!(many["__type"], "EntityCollection:http://schemas.microsoft.com/xrm/2011/Contracts");
    assert_eq!(many["EntityName"], "contact");
    assert_eq!(many["Entities"][0]["Id"], json!(who));
    assert_eq!(pair(&many["Entities"][0]["Attributes"], "firstname"), "Ann");
    assert_eq!(pair(input, "Tags"), &json!(["a", "b"]));
    assert_eq!(pair(input, "Rate"), 0.5);
    assert_eq!(pair(&got[0].json["OutputParameters"], "Next"), "/Date(1767323045000)/");
}
