//! The org clock (`/_emulator/clock`): freeze, set, advance, and what follows it
//! (createdon/modifiedon, relative date filters in OData and FetchXML, token expiry);
//! and deterministic mode's byte-stable responses.

use crate::common;

use common::*;
use dataverse_emulator::{App, Clock, Config, IdGenerator, Org, Orgs};
use http::StatusCode;
use serde_json::json;

async fn clock(s: &Server, body: serde_json::Value) -> Resp {
    let r = s.post("/_emulator/clock", &body.to_string()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r
}

#[tokio::test]
async fn reads_sets_advances_freezes_and_resets() {
    let s = Server::start().await;
    let r = s.get("/_emulator/clock").await;
    assert_eq!(r.json, json!({"org": "default", "now": NOW, "frozen": false, "offsetSeconds": 0}));
    let r = clock(&s, json!({"advance": "PT1H30M"})).await;
    assert_eq!((r.json["now"].as_str(), r.json["offsetSeconds"].as_i64()), (Some("2026-11-23T11:00:15Z"), Some(5400)));
    let r = clock(&s, json!({"advance": -15})).await;
    assert_eq!(r.json["now"], "2026-11-23T11:00:00Z");
    let r = clock(&s, json!({"set": "2027-02-01T08:00:00Z", "freeze": true})).await;
    assert_eq!((r.json["now"].as_str(), r.json["frozen"].as_bool()), (Some("2027-02-01T08:00:00Z"), Some(true)));
    let r = clock(&s, json!({"advance": "P1D"})).await;
    assert_eq!(r.json["now"], "2027-02-02T08:00:00Z");
    let r = s.delete("/_emulator/clock").await;
    assert_eq!((r.json["now"].as_str(), r.json["frozen"].as_bool()), (Some(NOW), Some(false)));

    for bad in [json!({"advance": "1 hour"}), json!({"advance": "P1M"}), json!({"set": "tomorrow"}), json!({"freeze": "yes"}), json!({"rewind": 1})] {
        s.post("/_emulator/clock", &bad.to_string()).await.assert_error(400, "0x80060888");
    }
    assert_eq!(s.get("/_emulator/clock").await.json["now"], NOW, "a refused change changes nothing");
    assert_eq!(s.put("/_emulator/clock", "{}").await.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn system_columns_follow_the_clock() {
    let s = Server::start().await;
    clock(&s, json!({"set": "2030-06-01T12:00:00Z"})).await;
    let id = s.create("accounts", r#"{"name":"Clocked"}"#).await;
    clock(&s, json!({"advance": "PT2H"})).await;
    s.patch(&format!("accounts({id})"), &[], r#"{"name":"Clocked 2"}"#).await;
    let row = s.fetch(&format!("accounts({id})?$select=createdon,modifiedon")).await;
    assert_eq!(row["createdon"], "2030-06-01T12:00:00Z");
    assert_eq!(row["modifiedon"], "2030-06-01T14:00:00Z");
}

#[tokio::test]
async fn relative_date_filters_flip_when_the_clock_moves() {
    let s = Server::start().await;
    s.create("accounts", r#"{"name":"CLK-Today"}"#).await;
    let odata = |f: &str| format!("accounts?$select=name&$filter={}", enc(&format!("startswith(name,'CLK-') and Microsoft.Dynamics.CRM.{f}(PropertyName='createdon')")));
    let fetch_today = format!(
        "accounts?fetchXml={}",
        enc(r#"<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="name" operator="like" value="CLK-%"/><condition attribute="createdon" operator="today"/></filter></entity></fetch>"#)
    );
    assert_eq!(column_of(&s.get_ok(&odata("Today"), &[]).await, "name"), ["CLK-Today"]);
    assert_eq!(column_of(&s.get_ok(&fetch_today, &[]).await, "name"), ["CLK-Today"]);
    assert!(column_of(&s.get_ok(&odata("Yesterday"), &[]).await, "name").is_empty());

    clock(&s, json!({"advance": "P1D"})).await;
    assert!(column_of(&s.get_ok(&odata("Today"), &[]).await, "name").is_empty(), "no longer today");
    assert!(column_of(&s.get_ok(&fetch_today, &[]).await, "name").is_empty(), "FetchXML too");
    assert_eq!(column_of(&s.get_ok(&odata("Yesterday"), &[]).await, "name"), ["CLK-Today"]);
}

#[tokio::test]
async fn tokens_expire_on_the_org_clock() {
    let s = Server::start_with(Config { auth: dataverse_emulator::auth::AuthMode::Strict, ..Config::default() }).await;
    let scope = enc(&format!("http://{}/.default", s.addr));
    let form = format!("grant_type=client_credentials&client_id=5b3d8c1e-2f4a-4e6b-9c7d-0000000a0001&client_secret=emulator-client-secret&scope={scope}");
    let r = s
        .send_raw_body(http::Method::POST, "/5b3d8c1e-2f4a-4e6b-9c7d-0000000e0001/oauth2/v2.0/token", &[("content-type", "application/x-www-form-urlencoded")], &form)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let token = format!("Bearer {}", r.json["access_token"].as_str().unwrap());
    assert_eq!(s.get_with("WhoAmI", &[("Authorization", &token)]).await.status, StatusCode::OK);
    clock(&s, json!({"advance": "PT2H"})).await;
    assert_eq!(s.get_with("WhoAmI", &[("Authorization", &token)]).await.status, StatusCode::UNAUTHORIZED);
}

/// One deterministic run: a fresh seeded, frozen org; the same requests; the raw bytes.
async fn deterministic_run() -> Vec<String> {
    let org = Org::default_org_with(Clock::frozen_at(time::macros::datetime!(2026-01-01 00:00:00 UTC)), IdGenerator::seeded(7)).unwrap();
    let s = Server::start_app(App::new(Orgs::single(org), Config { deterministic: true, ..Config::default() })).await;
    let send = |method: &str, path: &str, headers: &str, body: &str| {
        format!("{method} /api/data/v9.2/{path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n{body}", body.len())
    };
    let json = "Content-Type: application/json\r\n";
    let mut out = Vec::new();
    out.push(s.raw(&send("POST", "accounts", &format!("{json}Prefer: return=representation\r\n"), r#"{"name":"Golden"}"#)).await);
    out.push(s.raw(&send("POST", "contacts", json, r#"{"lastname":"Golden","parentcustomerid_account@odata.bind":"accounts(a0000000-0000-4000-8000-000000000001)"}"#)).await);
    out.push(s.raw(&send("GET", "contacts?$filter=lastname%20eq%20'Golden'&$select=lastname,createdon", "", "")).await);
    out.push(s.raw(&send("GET", &format!("accounts({MISSING})"), "", "")).await);
    let part = http_part(Some("1"), "POST", "accounts", &[], Some(r#"{"name":"Golden batch"}"#));
    let body = batch_body(BATCH, &[changeset("changeset_1", &[part]), get_part("WhoAmI")]);
    out.push(s.raw(&send("POST", "$batch", &format!("Content-Type: multipart/mixed;boundary={BATCH}\r\n"), &body)).await);
    out
}

#[tokio::test]
async fn deterministic_mode_answers_byte_for_byte_the_same() {
    let (first, second) = (deterministic_run().await, deterministic_run().await);
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(a, b);
    }
    assert!(first[0].starts_with("HTTP/1.1 201 Created"), "{}", first[0]);
    assert!(first[0].contains("Date: Thu, 01 Jan 2026 00:00:00 GMT"), "{}", first[0]);
    assert!(first[0].contains("\"createdon\":\"2026-01-01T00:00:00Z\""), "{}", first[0]);
    assert!(first[2].contains("Golden"), "{}", first[2]);
    assert!(first[3].starts_with("HTTP/1.1 404"), "{}", first[3]);
    assert!(first[4].contains("batchresponse_") && first[4].contains("changesetresponse_"), "{}", first[4]);
}
