//! The request journal (`/_emulator/journal`) and verify with near-misses
//! (`/_emulator/journal/verify`), over HTTP.

use crate::common;

use common::*;
use dataverse_emulator::Config;
use http::StatusCode;
use serde_json::{json, Value};

async fn journal(s: &Server, query: &str) -> Value {
    let r = s.get(&format!("/_emulator/journal{query}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/json"));
    r.json
}

async fn verify(s: &Server, pattern: Value) -> Resp {
    s.post("/_emulator/journal/verify", &pattern.to_string()).await
}

fn entries(j: &Value) -> &Vec<Value> {
    j["entries"].as_array().expect("entries")
}

#[tokio::test]
async fn records_requests_with_route_status_error_and_caller() {
    let s = Server::start().await;
    let id = s.create("accounts", r#"{"name":"Journal Co"}"#).await;
    s.get_with(&format!("accounts({id})?$select=name"), &[("Prefer", "odata.include-annotations=\"*\"")]).await;
    s.get(&format!("contacts({MISSING})")).await.assert_error(404, "0x80040217");
    s.get("WhoAmI").await;

    let j = journal(&s, "").await;
    assert_eq!(j["size"], 1000);
    assert_eq!(j["recorded"], 4);
    let e = entries(&j);
    assert_eq!(e.len(), 4, "admin requests are not journaled: {j}");

    let create = &e[0];
    assert_eq!(create["method"], "POST");
    assert_eq!(create["path"], "accounts");
    assert_eq!(create["url"], "/api/data/v9.2/accounts");
    assert_eq!(create["operation"], "Create");
    assert_eq!(create["table"], "account");
    assert_eq!(create["entitySet"], "accounts");
    assert_eq!(create["status"], 204);
    assert_eq!(create["errorCode"], Value::Null);
    assert_eq!(create["unsupported"], false);
    assert_eq!(create["caller"], CALLER);
    assert_eq!(create["org"], "default");
    assert_eq!(create["timestamp"], NOW);
    assert_eq!(create["requestBody"], r#"{"name":"Journal Co"}"#);
    assert_eq!(create["requestHeaders"]["content-type"], "application/json");
    assert!(create["responseHeaders"]["odata-entityid"].as_str().unwrap().ends_with(&format!("accounts({id})")));
    assert!(create["durationMs"].as_f64().unwrap() >= 0.0);
    assert!(create["id"].as_u64().unwrap() < e[1]["id"].as_u64().unwrap(), "oldest first");

    let read = &e[1];
    assert_eq!(read["operation"], "Retrieve");
    assert_eq!(read["path"], format!("accounts({id})"));
    assert_eq!(read["query"], "$select=name");
    assert_eq!(read["requestHeaders"]["prefer"], "odata.include-annotations=\"*\"");
    assert!(read["responseBody"].as_str().unwrap().contains("Journal Co"));

    assert_eq!(e[2]["status"], 404);
    assert_eq!(e[2]["errorCode"], "0x80040217");
    assert_eq!(e[2]["table"], "contact");
    assert_eq!(e[3]["operation"], "WhoAmI");
    assert_eq!(e[3]["table"], Value::Null);
}

#[tokio::test]
async fn filters_by_method_path_table_operation_status_and_limit() {
    let s = Server::start().await;
    s.create("accounts", r#"{"name":"F1"}"#).await;
    s.create("contacts", r#"{"lastname":"F2"}"#).await;
    s.get("accounts?$top=1").await;
    s.get(&format!("accounts({MISSING})")).await;
    s.get("nosuchset").await;

    let paths = |j: &Value| entries(j).iter().map(|e| format!("{} {}", e["method"].as_str().unwrap(), e["path"].as_str().unwrap())).collect::<Vec<_>>();
    assert_eq!(paths(&journal(&s, "?method=post").await), ["POST accounts", "POST contacts"]);
    assert_eq!(paths(&journal(&s, "?path=accounts").await), ["POST accounts", "GET accounts", format!("GET accounts({MISSING})").as_str()]);
    assert_eq!(paths(&journal(&s, "?path=/api/data/v9.2/contacts").await), ["POST contacts"]);
    assert_eq!(paths(&journal(&s, "?table=contact").await), ["POST contacts"]);
    assert_eq!(paths(&journal(&s, "?table=accounts&method=GET").await).len(), 2, "entity set names work too");
    assert_eq!(paths(&journal(&s, "?operation=retrievemultiple").await), ["GET accounts"]);
    assert_eq!(paths(&journal(&s, "?status=404").await).len(), 2);
    assert_eq!(paths(&journal(&s, "?status=2xx").await).len(), 3);
    let limited = journal(&s, "?limit=2").await;
    assert_eq!(limited["matched"], 5);
    assert_eq!(paths(&limited), [format!("GET accounts({MISSING})").as_str(), "GET nosuchset"], "the newest, oldest first");
    let since = entries(&limited)[0]["id"].as_u64().unwrap();
    assert_eq!(paths(&journal(&s, &format!("?since={since}")).await), ["GET nosuchset"]);
    let no_bodies = journal(&s, "?bodies=false&limit=1").await;
    assert!(entries(&no_bodies)[0].get("responseBody").is_none());
    let cut = journal(&s, "?bodyLimit=5&method=POST&limit=1").await;
    assert_eq!(entries(&cut)[0]["requestBody"], r#"{"las"#);
    assert_eq!(entries(&cut)[0]["requestBodyTruncated"], true);

    let r = s.get("/_emulator/journal?colour=red").await;
    assert!(r.assert_error(400, "0x80060888").contains("Unknown journal filter 'colour'"));
    s.get("/_emulator/journal?status=4x").await.assert_error(400, "0x80060888");
    s.get("/_emulator/journal?limit=ten").await.assert_error(400, "0x80060888");
}

#[tokio::test]
async fn unknown_and_unimplemented_messages_are_marked_unsupported() {
    let s = Server::start().await;
    s.get("NoSuchFunction()").await.assert_error(404, "0x80060888");
    s.get("accounts?savedQuery=00000000-0000-0000-0000-000000000001").await.assert_error(501, "0x80040315");
    s.get("accounts?$top=1").await;
    let j = journal(&s, "?unsupported=true").await;
    let e = entries(&j);
    assert_eq!(e.len(), 2, "{j}");
    assert_eq!(e[0]["path"], "NoSuchFunction()");
    assert_eq!(e[0]["operation"], Value::Null);
    assert_eq!(e[1]["status"], 501);
    assert_eq!(e[1]["operation"], "RetrieveMultiple");
    assert_eq!(entries(&journal(&s, "?unsupported=false").await).len(), 1);
}

#[tokio::test]
async fn the_ring_keeps_the_newest_entries_and_clears() {
    let s = Server::start_with(Config { journal_size: 3, ..Config::default() }).await;
    for i in 0..5 {
        s.get(&format!("accounts?$top={}", i + 1)).await;
    }
    let j = journal(&s, "").await;
    assert_eq!((j["size"].as_u64(), j["recorded"].as_u64(), j["held"].as_u64()), (Some(3), Some(5), Some(3)));
    let tops: Vec<_> = entries(&j).iter().map(|e| e["query"].as_str().unwrap().to_string()).collect();
    assert_eq!(tops, ["$top=3", "$top=4", "$top=5"]);

    let r = s.delete("/_emulator/journal").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let j = journal(&s, "").await;
    assert_eq!(entries(&j).len(), 0);
    assert_eq!(j["recorded"], 5, "ids keep counting after a clear");
    s.get("WhoAmI").await;
    assert_eq!(entries(&journal(&s, "").await)[0]["id"], 6);
    assert_eq!(s.put("/_emulator/journal", "{}").await.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn a_zero_size_journal_records_nothing() {
    let s = Server::start_with(Config { journal_size: 0, ..Config::default() }).await;
    s.get("WhoAmI").await;
    let j = journal(&s, "").await;
    assert_eq!(entries(&j).len(), 0);
    assert_eq!(j["recorded"], 0);
}

#[tokio::test]
async fn verify_counts_matching_requests() {
    let s = Server::start().await;
    s.post_with("accounts", &[("Prefer", "return=representation")], r#"{"name":"Verify A","revenue":10}"#).await;
    s.create("accounts", r#"{"name":"Verify B"}"#).await;

    let r = verify(&s, json!({"method": "POST", "path": "accounts", "count": 2})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["ok"], true);
    assert_eq!(r.json["matched"], 2);
    assert_eq!(r.json["expected"], "exactly 2");

    let r = verify(&s, json!({"method": "POST", "bodyContains": "Verify A", "headers": {"Prefer": "return=representation"}, "body": {"revenue": 10}})).await;
    assert_eq!((r.status, r.json["matched"].as_u64()), (StatusCode::OK, Some(1)), "{}", r.text);
    let r = verify(&s, json!({"operation": "Create", "table": "account", "status": 201, "atMost": 1})).await;
    assert_eq!(r.json["ok"], true, "{}", r.text);
    let r = verify(&s, json!({"pathPattern": "acc.*", "atLeast": 2, "atMost": 5})).await;
    assert_eq!((r.json["ok"].as_bool(), r.json["expected"].as_str()), (Some(true), Some("between 2 and 5")));

    let r = verify(&s, json!({"method": "POST", "path": "accounts", "atMost": 1})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.json["ok"], false);
    assert_eq!(r.json["message"], "Expected at most 1 matching requests, found 2 matching requests.");
    assert_eq!(r.json["matches"].as_array().unwrap().len(), 2);
    let r = verify(&s, json!({"method": "DELETE", "count": 0})).await;
    assert_eq!(r.json["ok"], true);
}

#[tokio::test]
async fn verify_explains_near_misses() {
    let s = Server::start().await;
    s.create("contacts", r#"{"lastname":"Near"}"#).await;
    s.patch(&format!("accounts({FABRIKAM})"), &[], r#"{"name":"Fabrikam 2"}"#).await;
    s.get("WhoAmI").await;

    let r = verify(&s, json!({"method": "POST", "path": "accounts", "headers": {"Prefer": "return=representation"}, "body": {"name": "Fabrikam 2"}})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.json["ok"], false);
    assert_eq!(r.json["matched"], 0);
    assert_eq!(r.json["message"], "Expected at least 1 matching requests, found 0 matching requests.");
    let misses = r.json["nearMisses"].as_array().unwrap();
    assert_eq!(misses.len(), 2, "WhoAmI shares nothing with the pattern: {}", r.text);
    // Three differences each; the PATCH is more recent, so it comes first.
    assert_eq!(misses[0]["request"]["method"], "PATCH");
    assert_eq!(
        misses[0]["differences"],
        json!([
            "method differs: expected POST, got PATCH",
            format!("path differs by '({FABRIKAM})' after 'accounts': got 'accounts({FABRIKAM})'"),
            "missing header 'Prefer'",
        ])
    );
    assert_eq!(misses[1]["request"]["path"], "contacts");
    assert_eq!(
        misses[1]["differences"],
        json!(["path differs: expected 'accounts', got 'contacts'", "missing header 'Prefer'", "body lacks 'name'"])
    );

    let r = verify(&s, json!({"method": "PATCH", "path": format!("accounts({FABRIKAM})"), "body": {"name": "Fabrikam 3"}, "status": 200})).await;
    assert_eq!(
        r.json["nearMisses"][0]["differences"],
        json!(["status differs: expected 200, got 204", "body field 'name' differs: expected \"Fabrikam 3\", got \"Fabrikam 2\""])
    );
}

#[tokio::test]
async fn verify_rejects_patterns_it_cannot_use() {
    let s = Server::start().await;
    verify(&s, json!({"colour": "red"})).await.assert_error(400, "0x80060888");
    verify(&s, json!({"pathPattern": "(("})).await.assert_error(400, "0x80060888");
    verify(&s, json!({"count": 1, "atLeast": 1})).await.assert_error(400, "0x80060888");
    verify(&s, json!({"atLeast": 3, "atMost": 1})).await.assert_error(400, "0x80060888");
    verify(&s, json!({"method": 5})).await.assert_error(400, "0x80060888");
    s.post("/_emulator/journal/verify", "[1]").await.assert_error(400, "0x80060888");
    s.post("/_emulator/journal/verify", "{not json").await.assert_error(400, "0x80060888");
    assert_eq!(s.get("/_emulator/journal/verify").await.status, StatusCode::METHOD_NOT_ALLOWED);
    // An unknown admin path is the admin API's own 404 shape.
    let r = s.get("/_emulator/nothing-here").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json["error"]["code"], "NotFound", "{}", r.text);
}

#[tokio::test]
async fn batch_parts_are_journalled_after_their_batch_and_counted_by_verify() {
    let s = Server::start().await;
    let part = |headers: &str, line: &str, body: &str| {
        format!("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n{headers}\r\n{line} HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{body}\r\n")
    };
    let body = format!(
        "--batch_j\r\nContent-Type: multipart/mixed; boundary=changeset_j\r\n\r\n\
         --changeset_j\r\n{}--changeset_j\r\n{}--changeset_j--\r\n\
         --batch_j\r\n{}--batch_j\r\n{}--batch_j--\r\n",
        part("Content-ID: 1\r\n", "POST /api/data/v9.2/accounts", r#"{"name":"In batch"}"#),
        part("Content-ID: 2\r\n", "POST /api/data/v9.2/contacts", r#"{"lastname":"Batched","parentcustomerid_account@odata.bind":"$1"}"#),
        part("", "GET /api/data/v9.2/accounts?$select=name&$filter=name eq 'In batch'", ""),
        part("", &format!("GET /api/data/v9.2/contacts({MISSING})"), ""),
    );
    // The last part fails, so without continue-on-error the batch answers 400 (after it).
    let r = s.batch_raw("multipart/mixed; boundary=batch_j", &[], &body).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);

    let j = journal(&s, "").await;
    let e = entries(&j);
    assert_eq!(e.len(), 5, "the $batch and its four parts: {j}");
    let batch = &e[0];
    assert_eq!((batch["method"].as_str(), batch["path"].as_str(), batch["status"].as_u64(), batch["batch"].clone()), (Some("POST"), Some("$batch"), Some(400), Value::Null));
    let id = batch["id"].as_u64().unwrap();
    let parts: Vec<(&str, &str, u64, &str)> = e[1..]
        .iter()
        .map(|p| {
            assert_eq!(p["batch"], id, "each part points at its $batch: {p}");
            assert_eq!(p["caller"], CALLER);
            (p["method"].as_str().unwrap(), p["path"].as_str().unwrap(), p["status"].as_u64().unwrap(), p["operation"].as_str().unwrap_or(""))
        })
        .collect();
    assert_eq!(
        parts,
        [("POST", "accounts", 204, "Create"), ("POST", "contacts", 204, "Create"), ("GET", "accounts", 200, "RetrieveMultiple"), ("GET", &*format!("contacts({MISSING})"), 404, "Retrieve")]
    );
    // The `$1` reference is shown resolved, as the part ran.
    assert!(e[2]["requestBody"].as_str().unwrap().contains("/api/data/v9.2/accounts("), "{}", e[2]);
    assert_eq!(e[4]["errorCode"], "0x80040217");
    assert!(e[3]["responseBody"].as_str().unwrap().contains("In batch"));

    // Verify counts requests inside a batch like any other, and the filter finds them.
    let r = verify(&s, json!({"method": "POST", "path": "contacts", "count": 1})).await;
    assert_eq!((r.status, r.json["matched"].as_u64()), (StatusCode::OK, Some(1)), "{}", r.text);
    let j = journal(&s, "?table=account").await;
    assert_eq!(entries(&j).len(), 2, "{j}");
}
