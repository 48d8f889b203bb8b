//! Fault injection (`/_emulator/faults`) as a client sees it: service-protection 429s with
//! `Retry-After` and `x-ms-ratelimit-*`, latency, injected errors, dropped connections.

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use http::StatusCode;
use serde_json::{json, Value};

async fn configure(s: &Server, settings: Value) -> Resp {
    let r = s.post("/_emulator/faults", &settings.to_string()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r
}

#[tokio::test]
async fn throttle_next_answers_the_real_429() {
    let s = Server::start().await;
    configure(&s, json!({"throttleNext": {"count": 2, "retryAfter": 7}})).await;
    for _ in 0..2 {
        let r = s.get("WhoAmI").await;
        let message = r.assert_error(429, "0x80072322");
        assert_eq!(message, "Number of requests exceeded the limit of 6000 over time window of 300 seconds.");
        assert_eq!(r.header("retry-after"), Some("7"));
    }
    assert_eq!(s.get("WhoAmI").await.status, StatusCode::OK);
    let state = s.get("/_emulator/faults").await;
    assert_eq!(state.json["throttleNext"]["count"], 0);
    assert_eq!(state.json["active"], false);

    configure(&s, json!({"throttleNext": {"count": 1, "limit": "executionTime"}})).await;
    let r = s.get("WhoAmI").await;
    assert_eq!(
        r.assert_error(429, "0x80072321"),
        "Combined execution time of incoming requests exceeded limit of 1,200,000 milliseconds over time window of 300 seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later."
    );
    assert_eq!(r.header("retry-after"), Some("5"));
    configure(&s, json!({"throttleNext": {"count": 1, "limit": "concurrency"}})).await;
    assert_eq!(s.get("WhoAmI").await.assert_error(429, "0x80072326"), "Number of concurrent requests exceeded the limit of 52.");

    let j = s.get("/_emulator/journal?status=429").await;
    let faults: Vec<_> = j.json["entries"].as_array().unwrap().iter().map(|e| e["fault"].clone()).collect();
    assert_eq!(faults, vec![json!("throttle"); 4]);
}

#[tokio::test]
async fn service_protection_counts_requests_per_user_over_the_window() {
    let s = Server::start().await;
    configure(&s, json!({"serviceProtection": {"requests": 3}})).await;
    for left in ["2", "1", "0"] {
        let r = s.get("WhoAmI").await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.header("x-ms-ratelimit-burst-remaining-xrm-requests"), Some(left));
        let time_left = r.header("x-ms-ratelimit-time-remaining-xrm-requests").expect("time remaining header");
        assert!(time_left.starts_with("1,19") || time_left == "1,200.00", "{time_left}");
    }
    let r = s.get("WhoAmI").await;
    assert_eq!(r.assert_error(429, "0x80072322"), "Number of requests exceeded the limit of 3 over time window of 300 seconds.");
    assert_eq!(r.header("retry-after"), Some("300"), "the clock is fixed: the first request leaves the window in 300 s");
    // Another user has their own budget.
    let other = s.get_with("WhoAmI", &[("MSCRMCallerID", AGENT)]).await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.text);
    let usage = s.get("/_emulator/faults").await.json["usage"].clone();
    assert_eq!(usage.as_array().unwrap().len(), 2, "{usage}");

    // The window runs on the org clock: moving it past the window lifts the throttle.
    s.post("/_emulator/clock", r#"{"advance":"PT5M"}"#).await;
    assert_eq!(s.get("WhoAmI").await.status, StatusCode::OK);

    // Clearing faults removes the limit and the headers.
    assert_eq!(s.delete("/_emulator/faults").await.status, StatusCode::NO_CONTENT);
    let r = s.get("WhoAmI").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("x-ms-ratelimit-burst-remaining-xrm-requests"), None);
}

#[tokio::test]
async fn concurrent_requests_over_the_limit_get_0x80072326() {
    let s = std::sync::Arc::new(Server::start().await);
    configure(&s, json!({"serviceProtection": {"concurrent": 1}, "latency": {"fixedMs": 3000, "path": "WhoAmI"}})).await;
    let slow = {
        let s = s.clone();
        tokio::spawn(async move { s.get("WhoAmI").await.status })
    };
    // The slow request is journaled once it has run, and then holds its slot while it waits.
    for _ in 0..200 {
        if s.get("/_emulator/journal?path=WhoAmI").await.json["matched"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let r = s.get("accounts?$top=1").await;
    assert_eq!(r.assert_error(429, "0x80072326"), "Number of concurrent requests exceeded the limit of 1.");
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(slow.await.unwrap(), StatusCode::OK);
    assert_eq!(s.get("accounts?$top=1").await.status, StatusCode::OK, "the slot is free again");
}

#[tokio::test]
async fn latency_delays_matching_responses() {
    let s = Server::start().await;
    configure(&s, json!({"latency": {"fixedMs": 250, "method": "GET", "path": "^/api/data/v9\\.2/WhoAmI$"}})).await;
    let t = Instant::now();
    assert_eq!(s.get("WhoAmI").await.status, StatusCode::OK);
    assert!(t.elapsed() >= Duration::from_millis(250), "{:?}", t.elapsed());
    let j = s.get("/_emulator/journal?path=WhoAmI").await;
    assert_eq!(j.json["entries"][0]["fault"], "latency");
    assert!(j.json["entries"][0]["durationMs"].as_f64().unwrap() >= 250.0);

    configure(&s, json!({"latency": {"minMs": 100, "maxMs": 150}})).await;
    let t = Instant::now();
    s.get("accounts?$top=1").await;
    assert!(t.elapsed() >= Duration::from_millis(100), "{:?}", t.elapsed());

    for bad in [json!({"latency": {"minMs": 200, "maxMs": 100}}), json!({"latency": {"fixedMs": 1, "minMs": 1}}), json!({"latency": {"fixedMs": 400000}})] {
        s.post("/_emulator/faults", &bad.to_string()).await.assert_error(400, "0x80060888");
    }
    configure(&s, json!({"latency": null})).await;
    assert_eq!(s.get("/_emulator/faults").await.json["active"], false);
}

#[tokio::test]
async fn injected_errors_replace_the_operation() {
    let s = Server::start().await;
    let before = s.count("accounts").await;
    configure(
        &s,
        json!({"errors": [{"method": "POST", "path": "accounts$", "status": 503, "code": "0x80044150", "message": "Generic SQL error.", "times": 1, "retryAfter": 2}]}),
    )
    .await;
    let r = s.post("accounts", r#"{"name":"Never"}"#).await;
    assert_eq!(r.assert_error(503, "0x80044150"), "Generic SQL error.");
    assert_eq!(r.header("retry-after"), Some("2"));
    assert_eq!(s.count("accounts").await, before, "the failed create left nothing behind");
    s.create("accounts", r#"{"name":"Second try"}"#).await;
    assert_eq!(s.get("/_emulator/faults").await.json["errors"][0]["times"], 0);

    // By message and table, with the default code and message.
    configure(&s, json!({"errors": [{"operation": "WhoAmI", "status": 500}, {"table": "contact", "operation": "Retrieve", "status": 404, "code": "0x80040217", "message": "gone"}]})).await;
    assert_eq!(s.get("WhoAmI").await.assert_error(500, "0x80040216"), "An unexpected error occurred.");
    s.get(&format!("contacts({YVONNE})")).await.assert_error(404, "0x80040217");
    assert_eq!(s.get(&format!("accounts({FABRIKAM})")).await.status, StatusCode::OK);
    let j = s.get("/_emulator/journal?status=5xx").await;
    assert_eq!(j.json["entries"].as_array().unwrap().iter().filter(|e| e["fault"] == "error").count(), 2);

    for bad in [
        json!({"errors": [{"status": 200}]}),
        json!({"errors": [{"status": 500, "probability": 2}]}),
        json!({"errors": [{"status": 500, "path": "(("}]}),
        json!({"errors": [{"status": 500, "colour": "red"}]}),
        json!({"drops": [{"operation": "Create"}]}),
        json!({"colour": "red"}),
    ] {
        s.post("/_emulator/faults", &bad.to_string()).await.assert_error(400, "0x80060888");
    }
}

/// The outcome (failed or not) of `n` WhoAmI calls.
async fn outcomes(s: &Server, n: usize) -> Vec<bool> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(s.get("WhoAmI").await.status == StatusCode::INTERNAL_SERVER_ERROR);
    }
    out
}

#[tokio::test]
async fn error_probability_is_repeatable_with_a_seed() {
    let s = Server::start().await;
    let rule = json!({"seed": 42, "errors": [{"path": "WhoAmI", "probability": 0.5, "status": 500}]});
    configure(&s, rule.clone()).await;
    let first = outcomes(&s, 24).await;
    configure(&s, rule).await;
    let second = outcomes(&s, 24).await;
    assert_eq!(first, second);
    assert!(first.contains(&true) && first.contains(&false), "{first:?}");
}

#[tokio::test]
async fn dropped_connections_close_without_a_response() {
    let s = Server::start().await;
    configure(&s, json!({"drops": [{"path": "WhoAmI", "times": 1}]})).await;
    let raw = s.raw("GET /api/data/v9.2/WhoAmI HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    assert_eq!(raw, "", "no response at all");
    let raw = s.raw("GET /api/data/v9.2/WhoAmI HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await;
    assert!(raw.starts_with("HTTP/1.1 200 OK"), "{raw}");
    let j = s.get("/_emulator/journal?path=WhoAmI").await;
    assert_eq!(j.json["entries"][0]["fault"], "drop");
    assert_eq!(j.json["entries"][0]["status"], Value::Null);

    // After processing: the write happens, the client never hears of it.
    configure(&s, json!({"drops": [{"method": "POST", "path": "accounts", "afterProcessing": true}]})).await;
    let body = r#"{"name":"Dropped but saved"}"#;
    let raw = s.raw(&format!("POST /api/data/v9.2/accounts HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len())).await;
    assert_eq!(raw, "");
    let found = s.get_ok(&format!("accounts?$select=name&$filter={}", enc("name eq 'Dropped but saved'")), &[]).await;
    assert_eq!(found.json["value"].as_array().unwrap().len(), 1);
    let j = s.get("/_emulator/journal?method=POST").await;
    assert_eq!(j.json["entries"][0]["fault"], "dropAfterProcessing");
    assert_eq!(j.json["entries"][0]["status"], 204);
}

#[tokio::test]
async fn settings_show_merge_and_clear() {
    let s = Server::start().await;
    let r = s.get("/_emulator/faults").await;
    assert_eq!(r.json["active"], false);
    assert_eq!(r.json["serviceProtection"], Value::Null);
    let r = configure(&s, json!({"serviceProtection": {}, "seed": 1})).await;
    assert_eq!(r.json["serviceProtection"], json!({"requests": 6000, "executionTimeMs": 1200000, "concurrent": 52, "windowSeconds": 300}));
    let r = configure(&s, json!({"drops": [{"path": "x", "probability": 0.1}]})).await;
    assert_eq!(r.json["seed"], 1, "parts not named are kept");
    assert_eq!(r.json["drops"][0], json!({"path": "x", "probability": 0.1, "afterProcessing": false}));
    assert_eq!(r.json["active"], true);
    s.post("/_emulator/faults", r#"{"serviceProtection": {"windowSeconds": 0}}"#).await.assert_error(400, "0x80060888");
    assert_eq!(s.delete("/_emulator/faults").await.status, StatusCode::NO_CONTENT);
    let r = s.get("/_emulator/faults").await;
    assert_eq!((r.json["active"].as_bool(), r.json["drops"].as_array().map(Vec::len)), (Some(false), Some(0)));
    assert_eq!(s.put("/_emulator/faults", "{}").await.status, StatusCode::METHOD_NOT_ALLOWED);
}
