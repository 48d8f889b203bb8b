//! Background operations: a Custom API called with `Prefer: respond-async` (Microsoft Learn,
//! "Background operations"), its status monitor (`/api/backgroundoperation/<id>`) and
//! cancellation.

use crate::common;

use common::*;
use http::{Method, StatusCode};
use serde_json::json;

const ASYNC: (&str, &str) = ("Prefer", "respond-async");

/// The status monitor path of a 202's `Location`, relative to this server.
fn monitor(s: &Server, r: &Resp) -> String {
    let location = r.header("location").unwrap_or_else(|| panic!("no Location: {}", r.text));
    let origin = s.base.trim_end_matches("api/data/v9.2/").trim_end_matches('/');
    let path = location.strip_prefix(origin).unwrap_or_else(|| panic!("{location} is not under {origin}")).to_string();
    assert!(path.starts_with("/api/backgroundoperation/"), "{path}");
    path
}

#[tokio::test]
async fn a_custom_api_sent_with_respond_async_runs_later_and_reports_its_outputs() {
    let s = Server::start().await;
    let r = s.send(Method::POST, "sample_CalculateDiscount", &[ASYNC, ("Content-Type", "application/json")], Some(r#"{"Amount":100.5,"CustomerTier":"Gold"}"#)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    assert_eq!(r.header("preference-applied"), Some("respond-async"));
    let id = r.header("x-ms-dyn-backgroundoperationid").expect("x-ms-dyn-backgroundoperationid").to_string();
    let path = monitor(&s, &r);
    assert!(path.ends_with(&id));
    // The status monitor: completed and succeeded, with the response properties.
    let status = s.send(Method::GET, &path, &[], None).await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.text);
    assert_eq!(status.json, json!({"backgroundOperationStateCode": 3, "backgroundOperationStatusCode": 30, "Discount": 12.5, "Reason": "Loyal customer"}));
    // Finished: it can't be canceled.
    let cancel = s.send(Method::DELETE, &path, &[], None).await;
    assert_eq!(cancel.status, StatusCode::BAD_REQUEST, "{}", cancel.text);
    assert_eq!(cancel.json["error"]["message"], "Canceling background operation is not allowed after it is in terminal state.");

    // A failing call fails in the background, with the Dataverse code as an integer.
    let r = s.send(Method::POST, "sample_CalculateDiscount", &[ASYNC, ("Content-Type", "application/json")], Some("{}")).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let failed = s.send(Method::GET, &monitor(&s, &r), &[], None).await;
    assert_eq!((failed.json["backgroundOperationStateCode"].as_i64(), failed.json["backgroundOperationStatusCode"].as_i64()), (Some(3), Some(31)), "{}", failed.text);
    assert_eq!(failed.json["backgroundOperationErrorCode"], i64::from(0x80048d19_u32 as i32));
    assert!(failed.json["backgroundOperationErrorMessage"].as_str().unwrap().contains("Amount"), "{}", failed.text);
}

#[tokio::test]
async fn a_waiting_operation_can_be_canceled_and_other_requests_ignore_the_preference() {
    let s = Server::start().await;
    let r = s.send(Method::POST, "sample_Ping", &[("Prefer", "respond-async,odata.include-annotations=\"*\"")], Some("")).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let path = monitor(&s, &r);
    let cancel = s.send(Method::DELETE, &path, &[], None).await;
    assert_eq!(cancel.status, StatusCode::OK, "{}", cancel.text);
    assert_eq!(cancel.json, json!({"backgroundOperationStateCode": 2, "backgroundOperationStatusCode": 22}));
    let status = s.send(Method::GET, &path, &[], None).await;
    assert_eq!(status.json, json!({"backgroundOperationStateCode": 3, "backgroundOperationStatusCode": 32}), "canceled, never run");

    // Unknown ids: the monitor's not-found answer.
    let missing = s.send(Method::GET, "/api/backgroundoperation/00000000-0000-0000-0000-000000000042", &[], None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.text);
    assert_eq!(missing.json["error"]["message"], "Could not find item '00000000-0000-0000-0000-000000000042'.");
    // Only Custom APIs run in the background: a create with the preference runs at once.
    let r = s.send(Method::POST, "accounts", &[ASYNC, ("Content-Type", "application/json")], Some(r#"{"name":"Not in the background"}"#)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
}
