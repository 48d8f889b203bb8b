//! Webhooks and fixture loads over the admin API (issue 11: "admin load with delivery
//! enabled"): a fixture layer's rows fire the steps they match only with
//! `?deliverWebhooks=true`; a layer's Custom APIs get their messages like the org's own.

use crate::common;
use crate::webhook_receiver;

use common::*;
use http::StatusCode;
use serde_json::{json, Value};
use webhook_receiver::*;

/// The default org's name.
async fn default_org(s: &Server) -> String {
    let r = s.get("/_emulator/orgs").await;
    let orgs = r.json["value"].as_array().expect("orgs").clone();
    orgs.iter().find(|o| o["default"] == true).and_then(|o| o["name"].as_str()).expect("a default org").to_string()
}

/// A layer with accounts named `names`.
fn accounts(names: &[&str]) -> String {
    let records: Vec<Value> = names.iter().map(|n| json!({ "name": n })).collect();
    json!({ "formatVersion": 1, "data": [{ "table": "accounts", "records": records }] }).to_string()
}

async fn count(s: &Server, name: &str) -> usize {
    let r = s.get(&format!("accounts?$select=name&$filter=name%20eq%20'{name}'")).await.checked();
    r.json["value"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn a_fixture_load_fires_steps_only_when_asked_to() {
    let s = Server::start().await;
    let org = default_org(&s).await;
    let rx = Receiver::start(&[]).await;
    let se = endpoint(&s, &rx.url, 4, "k").await;
    step(&s, &se, CREATE, ACCOUNT_CREATE, 40, 1, None).await;
    let load = |query: &'static str| format!("/_emulator/orgs/{org}/fixture{query}");

    // By default the layer's rows are the scene, not events.
    let r = s.post(&load(""), &accounts(&["Quiet-1"])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = s.post(&load("?deliverWebhooks=false"), &accounts(&["Quiet-2"])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(count(&s, "Quiet-1").await + count(&s, "Quiet-2").await, 2);

    // A bad flag is refused before anything loads.
    let r = s.post(&load("?deliverWebhooks=yes"), &accounts(&["Never"])).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("deliverWebhooks"), "{}", r.text);
    assert_eq!(count(&s, "Never").await, 0);

    // Asked for, every created row fires the step after the admin request.
    let r = s.post(&load("?deliverWebhooks=true"), &accounts(&["Loud-1", "Loud-2"])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let w = s.get(&format!("/_emulator/webhooks/wait?url={}&count=2&timeout=10000", rx.url)).await;
    assert_eq!(w.status, StatusCode::OK, "{}", w.text);
    let mut names: Vec<Value> = rx.received().iter().map(|d| pair(&pair(&d.json["InputParameters"], "Target")["Attributes"], "name").clone()).collect();
    names.sort_by_key(Value::to_string);
    assert_eq!(names, [json!("Loud-1"), json!("Loud-2")], "only the asked-for load was delivered");
    let j = s.get("/_emulator/webhooks/deliveries").await.json;
    assert_eq!(j["value"].as_array().map(Vec::len), Some(2), "{j}");
}

#[tokio::test]
async fn a_new_org_from_a_layer_checks_the_flag_and_its_custom_apis_have_messages() {
    let s = Server::start().await;
    let layer = |name: &str| {
        json!({
            "name": name,
            "fixture": {
                "formatVersion": 1,
                "schema": { "customApis": [{ "uniqueName": "new_Notify", "bindingType": "Entity", "boundEntityLogicalName": "account",
                    "requestParameters": [{ "uniqueName": "Note", "type": "String" }] }] },
                "data": [{ "table": "accounts", "records": [{ "name": "Seeded" }] }]
            }
        })
        .to_string()
    };
    let r = s.post("/_emulator/orgs?deliverWebhooks=maybe", &layer("t0")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(s.get("/_emulator/orgs/t0").await.status, StatusCode::NOT_FOUND);
    let r = s.post("/_emulator/orgs", &layer("t1")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let api = "/org/t1/api/data/v9.2/";
    let r = s.get(&format!("{api}sdkmessages?$select=name&$filter=name%20eq%20'new_Notify'")).await.checked();
    let message = r.json["value"][0]["sdkmessageid"].as_str().expect("new_Notify has a message").to_string();
    let r = s.get(&format!("{api}sdkmessagefilters?$select=primaryobjecttypecode&$filter=_sdkmessageid_value%20eq%20{message}")).await.checked();
    assert_eq!(r.json["value"][0]["primaryobjecttypecode"], "account", "{}", r.text);
    // A step on it in that org delivers the call.
    let rx = Receiver::start(&[]).await;
    let se = s.create(&format!("{api}serviceendpoints"), &json!({"name": "hook", "contract": 8, "url": rx.url, "authtype": 4, "authvalue": "k", "messageformat": 2}).to_string()).await;
    let body = json!({ "name": "notify", "stage": 40, "mode": 0, "rank": 1,
        "eventhandler_serviceendpoint@odata.bind": format!("/serviceendpoints({se})"), "sdkmessageid@odata.bind": format!("/sdkmessages({message})") });
    s.create(&format!("{api}sdkmessageprocessingsteps"), &body.to_string()).await;
    let r = s.get(&format!("{api}accounts?$select=name&$filter=name%20eq%20'Seeded'")).await.checked();
    let id = r.json["value"][0]["accountid"].as_str().unwrap().to_string();
    let r = s.post(&format!("{api}accounts({id})/Microsoft.Dynamics.CRM.new_Notify"), r#"{"Note":"hi"}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let got = rx.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].json["MessageName"], "new_Notify");
    assert_eq!(pair(&got[0].json["InputParameters"], "Note"), "hi");
}

#[tokio::test]
async fn a_fixture_that_registers_a_step_does_not_fire_it_for_its_own_rows() {
    use dataverse_emulator::fixture::FixtureFiles;
    use dataverse_emulator::org::IdGenerator;
    use dataverse_emulator::{App, Clock, Config, Org, Orgs};
    let rx = Receiver::start(&[]).await;
    // The registration and the rows it would match, all in the fixture.
    let layer = json!({ "formatVersion": 1, "data": [
        { "table": "serviceendpoints", "records": [{ "@ref": "hook", "name": "hook", "contract": 8, "url": rx.url, "authtype": 4, "authvalue": "k", "messageformat": 2 }] },
        { "table": "sdkmessageprocessingsteps", "records": [{ "name": "on create", "stage": 40, "mode": 0, "rank": 1,
            "eventhandler_serviceendpoint@odata.bind": "@hook",
            "sdkmessageid@odata.bind": format!("sdkmessages({CREATE})"),
            "sdkmessagefilterid@odata.bind": format!("sdkmessagefilters({ACCOUNT_CREATE})") }] },
        { "table": "accounts", "records": [{ "name": "Seeded-1" }, { "name": "Seeded-2" }] }
    ]});
    let org = Org::from_layers(&[FixtureFiles::document(&layer)], Clock::system(), IdGenerator::random(), None).unwrap_or_else(|e| panic!("{e}"));
    let s = Server::start_app(App::new(Orgs::single(org), Config::default())).await;
    assert_eq!(count(&s, "Seeded-1").await, 1);
    // The step is live: a create through the Web API is delivered (synchronously, so it is
    // journaled before the answer), and it is the only delivery there ever was.
    s.create("accounts", r#"{"name":"Live"}"#).await;
    let got = rx.received();
    let names: Vec<Value> = got.iter().map(|d| pair(&pair(&d.json["InputParameters"], "Target")["Attributes"], "name").clone()).collect();
    assert_eq!(names, [json!("Live")], "the fixture's own rows fired nothing");
}
