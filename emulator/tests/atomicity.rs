//! Writes are all-or-nothing, and concurrent requests neither fail nor show torn state.

use crate::common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::*;
use http::StatusCode;

#[tokio::test]
async fn failed_deep_insert_child_leaves_no_parent() {
    let s = Server::start().await;
    let (accounts, contacts) = (s.count("accounts").await, s.count("contacts").await);
    let body = r#"{
        "name": "Parent That Must Not Exist",
        "accountnumber": "ATOMIC-1",
        "primarycontactid": {"firstname": "Fine", "lastname": "Primary"},
        "contact_customer_accounts": [
            {"firstname": "Fine", "lastname": "Child"},
            {"firstname": "Bad", "lastname": "Child", "numberofchildren": -5}
        ]
    }"#;
    let r = s.post("accounts", body).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "body: {}", r.text);
    assert_eq!(r.header("content-type"), Some(JSON_MINIMAL));
    assert_eq!(s.count("accounts").await, accounts);
    assert_eq!(s.count("contacts").await, contacts);
    s.get("accounts(accountnumber='ATOMIC-1')").await.assert_error(404, "0x80040217");
    // The key is free: the same body without the bad child succeeds.
    let ok = body.replace(r#", "numberofchildren": -5"#, "");
    s.create("accounts", &ok).await;
    assert_eq!(s.count("contacts").await, contacts + 3);
}

#[tokio::test]
async fn failed_deep_insert_with_a_payload_error_in_the_child_leaves_nothing() {
    let s = Server::start().await;
    let (accounts, contacts) = (s.count("accounts").await, s.count("contacts").await);
    let body = r#"{"name":"P","contact_customer_accounts":[{"lastname":"ok"},{"lastname":"bad","birthdate":"not a date"}]}"#;
    s.post("accounts", body).await.assert_error(400, "0x80048d19");
    assert_eq!(s.count("accounts").await, accounts);
    assert_eq!(s.count("contacts").await, contacts);
}

#[tokio::test]
async fn failed_deep_insert_with_a_duplicate_key_leaves_nothing() {
    let s = Server::start().await;
    let (accounts, contacts) = (s.count("accounts").await, s.count("contacts").await);
    // The parent is fine; a nested account in a deep insert reuses a taken key.
    let body = r#"{"lastname":"Top","parentcustomerid_account":{"name":"Nested","accountnumber":"ACC-0001"}}"#;
    s.post("contacts", body).await.assert_error(412, "0x80060892");
    assert_eq!(s.count("accounts").await, accounts);
    assert_eq!(s.count("contacts").await, contacts);
}

#[tokio::test]
async fn concurrent_patches_all_succeed_and_readers_never_see_a_failure() {
    let s = Arc::new(Server::start().await);
    let path = format!("accounts({FABRIKAM})");
    let initial = s.get(&path).await.etag_version();
    let done = Arc::new(AtomicBool::new(false));

    let reader = {
        let (s, path, done) = (s.clone(), path.clone(), done.clone());
        tokio::spawn(async move {
            let mut last = 0;
            let mut reads = 0;
            while !done.load(Ordering::SeqCst) || reads == 0 {
                let r = s.get(&format!("{path}?$select=name,description")).await;
                assert_eq!(r.status, StatusCode::OK, "reader saw {}: {}", r.status, r.text);
                let v = r.etag_version();
                assert!(v >= last, "versions never go backwards ({last} then {v})");
                // name and description are written together: never half of a write.
                let name = r.json["name"].as_str().unwrap().to_string();
                if let Some(n) = name.strip_prefix("Writer ") {
                    assert_eq!(r.json["description"], format!("by writer {n}"), "torn read: {}", r.text);
                }
                last = v;
                reads += 1;
            }
            reads
        })
    };

    let writers: Vec<_> = (0..50)
        .map(|i| {
            let (s, path) = (s.clone(), path.clone());
            tokio::spawn(async move {
                let body = format!(r#"{{"name":"Writer {i}","description":"by writer {i}"}}"#);
                let r = s.patch(&path, &[], &body).await;
                assert_eq!(r.status, StatusCode::NO_CONTENT, "writer {i}: {}", r.text);
                assert_eq!(r.header("odata-entityid"), Some(format!("{}{path}", s.base).as_str()));
            })
        })
        .collect();
    for w in writers {
        w.await.expect("writer task");
    }
    done.store(true, Ordering::SeqCst);
    let reads = reader.await.expect("reader task");
    assert!(reads > 0);

    let fin = s.get(&path).await;
    assert_eq!(fin.status, StatusCode::OK);
    assert!(fin.etag_version() >= initial + 50, "initial {initial}, final {}", fin.etag_version());
    let name = fin.json["name"].as_str().unwrap();
    let n = name.strip_prefix("Writer ").expect("a writer's name");
    assert_eq!(fin.json["description"], format!("by writer {n}"));
}

#[tokio::test]
async fn concurrent_creates_with_one_alternate_key_let_exactly_one_win() {
    let s = Arc::new(Server::start().await);
    let before = s.count("accounts").await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move { s.post("accounts", &format!(r#"{{"name":"Racer {i}","accountnumber":"RACE-1"}}"#)).await })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        let r = t.await.unwrap();
        if r.status == StatusCode::NO_CONTENT {
            wins += 1;
        } else {
            r.assert_error(412, "0x80060892");
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(s.count("accounts").await, before + 1);
}

#[tokio::test]
async fn concurrent_creates_with_one_primary_key_let_exactly_one_win() {
    let s = Arc::new(Server::start().await);
    let id = "7a7a7a7a-0000-4000-8000-000000000001";
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move { s.post("contacts", &format!(r#"{{"contactid":"{id}","lastname":"Racer {i}"}}"#)).await })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        let r = t.await.unwrap();
        if r.status == StatusCode::NO_CONTENT {
            wins += 1;
            assert_eq!(r.entity_id(), id);
        } else {
            r.assert_error(412, "0x80040237");
        }
    }
    assert_eq!(wins, 1);
}

#[tokio::test]
async fn concurrent_upserts_of_one_new_id_create_once_then_update() {
    let s = Arc::new(Server::start().await);
    let id = "7a7a7a7a-0000-4000-8000-000000000002";
    let before = s.count("accounts").await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                s.patch(&format!("accounts({id})?$select=name"), &[("Prefer", "return=representation")], &format!(r#"{{"name":"Upserter {i}"}}"#))
                    .await
            })
        })
        .collect();
    let (mut created, mut updated) = (0, 0);
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            StatusCode::CREATED => created += 1,
            StatusCode::OK => updated += 1,
            other => panic!("unexpected {other}: {}", r.text),
        }
        assert_eq!(r.json["accountid"], id);
    }
    assert_eq!((created, updated), (1, 19));
    assert_eq!(s.count("accounts").await, before + 1);
}
