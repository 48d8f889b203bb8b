//! `$batch` changesets (§4.1, §4.4): all-or-nothing, `$n` references, per-part headers,
//! continue-on-error, and isolation from concurrent readers.

use crate::common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::*;
use http::StatusCode;

const CS: &str = "changeset_51a0";

fn post(id: &str, target: &str, body: &str) -> String {
    http_part(Some(id), "POST", target, &[], Some(body))
}

/// The lastnames of contacts whose lastname starts with `prefix`, sorted.
async fn lastnames(s: &Server, prefix: &str) -> Vec<String> {
    s.pluck("contacts", "lastname", &format!("startswith(lastname,'{prefix}')")).await
}

/// Asserts a failed batch: outer 400, multipart, and the last part is the error `status`.
#[track_caller]
fn failed_at(r: &Resp, status: u16) -> Vec<PartResp> {
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let parts = batch_parts(r);
    let last = parts.last().unwrap_or_else(|| panic!("no parts: {}", r.text));
    assert_eq!(last.status, status, "{last:?}");
    assert!(last.json["error"]["message"].is_string(), "{last:?}");
    parts
}

#[tokio::test]
async fn a_changeset_whose_third_create_fails_leaves_none_of_them() {
    let s = Server::start().await;
    let before = s.count("contacts").await;
    let parts = [
        post("1", "contacts", r#"{"lastname":"Atomic-1"}"#),
        post("2", "contacts", r#"{"lastname":"Atomic-2"}"#),
        post("3", "contacts", r#"{"lastname":"Atomic-3","numberofchildren":-5}"#),
    ];
    let r = s.batch(&[], &[changeset(CS, &parts)]).await;
    let parts = failed_at(&r, 400);
    assert_eq!(parts.len(), 1, "one error part for the whole changeset: {}", r.text);
    assert_eq!(parts[0].changeset, Some(0), "the error part sits inside a changesetresponse");
    assert_eq!(parts[0].content_id.as_deref(), Some("3"));
    let standalone = s.post("contacts", r#"{"lastname":"Atomic-3","numberofchildren":-5}"#).await;
    assert_eq!(parts[0].assert_error(400, "0x80044331"), standalone.assert_error(400, "0x80044331"));
    assert_eq!(lastnames(&s, "Atomic-").await, Vec::<String>::new());
    assert_eq!(s.count("contacts").await, before);
}

#[tokio::test]
async fn a_failed_changeset_undoes_its_updates_deletes_and_associations() {
    let s = Server::start().await;
    let victim = s.create("contacts", r#"{"lastname":"Victim"}"#).await;
    let fabrikam = s.fetch(&format!("accounts({FABRIKAM})?$select=name,_primarycontactid_value")).await;
    let parts = [
        http_part(Some("1"), "PATCH", &format!("accounts({FABRIKAM})"), &[("If-Match", "*")], Some(r#"{"name":"Renamed"}"#)),
        http_part(Some("2"), "DELETE", &format!("contacts({victim})"), &[], None),
        http_part(Some("3"), "PUT", &format!("accounts({FABRIKAM})/primarycontactid/$ref"), &[], Some(&format!(r#"{{"@odata.id":"contacts({NANCY})"}}"#))),
        http_part(Some("4"), "PATCH", &format!("contacts({MISSING})"), &[("If-Match", "*")], Some(r#"{"lastname":"Nobody"}"#)),
    ];
    let r = s.batch(&[], &[changeset(CS, &parts)]).await;
    assert_eq!(failed_at(&r, 404)[0].content_id.as_deref(), Some("4"));
    assert_eq!(s.fetch(&format!("accounts({FABRIKAM})?$select=name,_primarycontactid_value")).await, fabrikam);
    assert_eq!(s.fetch(&format!("contacts({victim})?$select=lastname")).await["lastname"], "Victim");
}

#[tokio::test]
async fn earlier_changesets_stay_committed_when_a_later_one_fails() {
    let s = Server::start().await;
    let r = s
        .batch(&[], &[
            changeset("cs_a", &[post("1", "contacts", r#"{"lastname":"Kept-A"}"#)]),
            changeset("cs_b", &[post("1", "contacts", r#"{"lastname":"Lost-B"}"#), post("2", "contacts", r#"{"birthdate":"not a date"}"#)]),
            changeset("cs_c", &[post("1", "contacts", r#"{"lastname":"Never-C"}"#)]),
        ])
        .await;
    let parts = failed_at(&r, 400);
    let shape: Vec<_> = parts.iter().map(|p| (p.changeset, p.status)).collect();
    assert_eq!(shape, [(Some(0), 204), (Some(1), 400)]);
    assert_eq!(lastnames(&s, "Kept-").await, ["Kept-A"]);
    assert_eq!(lastnames(&s, "Lost-").await, Vec::<String>::new());
    assert_eq!(lastnames(&s, "Never-").await, Vec::<String>::new());
}

#[tokio::test]
async fn content_id_references_in_urls_binds_and_odata_id_bodies() {
    let s = Server::start().await;
    let parts = [
        post("1", "contacts", r#"{"firstname":"Ref","lastname":"Ref-1"}"#),
        http_part(Some("2"), "PATCH", "$1", &[("If-Match", "*")], Some(r#"{"firstname":"Patched"}"#)),
        http_part(Some("3"), "PUT", "$1/lastname", &[], Some(r#"{"value":"Ref-1b"}"#)),
        post("4", "accounts", r#"{"name":"Ref account","primarycontactid@odata.bind":"$1"}"#),
        post("5", "contacts", r#"{"lastname":"Ref-5","parentcustomerid_account@odata.bind":"$4"}"#),
        post("6", "$4/contact_customer_accounts/$ref", r#"{"@odata.id":"$1"}"#),
        http_part(Some("7"), "PUT", "$4/primarycontactid/$ref", &[], Some(r#"{"@odata.id":"$5"}"#)),
        post("8", &format!("accounts({CONTOSO})/contact_customer_accounts/$ref"), r#"{"@odata.id":"$5"}"#),
    ];
    let r = s.batch(&[], &[changeset(CS, &parts)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let p = batch_parts(&r);
    assert_eq!(p.iter().map(|p| p.status).collect::<Vec<_>>(), [204; 8], "{}", r.text);
    assert_eq!(p.iter().map(|p| p.content_id.clone().unwrap()).collect::<Vec<_>>(), ["1", "2", "3", "4", "5", "6", "7", "8"]);
    // Parts that create nothing answer a bare 204 (§4.3); creates carry Location too.
    for i in [2, 5, 6, 7] {
        assert_eq!(p[i].headers, [("OData-Version".to_string(), "4.0".to_string())], "part {}", i + 1);
    }
    for i in [0, 3, 4] {
        assert_eq!(p[i].header("Location"), p[i].header("OData-EntityId"), "part {}", i + 1);
    }
    assert_eq!(p[1].header("Location"), None, "an update is not a create");
    let (c1, a4, c5) = (p[0].entity_id(), p[3].entity_id(), p[4].entity_id());
    let contact = s.fetch(&format!("contacts({c1})?$select=firstname,lastname,_parentcustomerid_value")).await;
    assert_eq!((contact["firstname"].as_str(), contact["lastname"].as_str()), (Some("Patched"), Some("Ref-1b")));
    assert_eq!(contact["_parentcustomerid_value"], a4.as_str());
    assert_eq!(s.fetch(&format!("accounts({a4})?$select=_primarycontactid_value")).await["_primarycontactid_value"], c5.as_str());
    assert_eq!(s.fetch(&format!("contacts({c5})?$select=_parentcustomerid_value")).await["_parentcustomerid_value"], CONTOSO);
}

#[tokio::test]
async fn an_unknown_content_id_reference_fails_the_changeset() {
    let s = Server::start().await;
    let create = || post("1", "contacts", r#"{"lastname":"Unref"}"#);
    let cases = [
        ("$9", vec![create(), http_part(Some("2"), "PATCH", "$9", &[("If-Match", "*")], Some(r#"{"firstname":"X"}"#))]),
        ("$9", vec![create(), post("2", "accounts", r#"{"name":"Unref","primarycontactid@odata.bind":"$9"}"#)]),
        ("$9", vec![create(), post("2", &format!("accounts({FABRIKAM})/contact_customer_accounts/$ref"), r#"{"@odata.id":"$9"}"#)]),
        ("$9", vec![create(), http_part(Some("2"), "PUT", "$9/lastname", &[], Some(r#"{"value":"X"}"#))]),
        // A reference to a part that comes later.
        ("$2", vec![http_part(Some("1"), "PATCH", "$2", &[("If-Match", "*")], Some(r#"{"firstname":"X"}"#)), post("2", "contacts", r#"{"lastname":"Unref"}"#)]),
    ];
    for (name, parts) in cases {
        let r = s.batch(&[], &[changeset(CS, &parts)]).await;
        let p = failed_at(&r, 400);
        assert_eq!(p.len(), 1, "{}", r.text);
        assert_eq!(p[0].json["error"]["message"], format!("Content-ID Reference: '{name}' does not exist in the batch context."));
        assert_eq!(lastnames(&s, "Unref").await, Vec::<String>::new(), "{}", r.text);
    }
    // References don't reach into another changeset.
    let r = s
        .batch(&[], &[changeset("cs_a", &[create()]), changeset("cs_b", &[http_part(Some("2"), "PATCH", "$1", &[("If-Match", "*")], Some("{}"))])])
        .await;
    let p = failed_at(&r, 400);
    assert_eq!(p[1].json["error"]["message"], "Content-ID Reference: '$1' does not exist in the batch context.");
    assert_eq!(lastnames(&s, "Unref").await, ["Unref"], "the first changeset committed");
}

#[tokio::test]
async fn a_get_inside_a_changeset_is_refused() {
    let s = Server::start().await;
    let parts = [post("1", "contacts", r#"{"lastname":"Before-GET"}"#), http_part(Some("2"), "GET", &format!("accounts({FABRIKAM})"), &[], None)];
    let r = s.batch(&[], &[changeset(CS, &parts)]).await;
    let p = failed_at(&r, 400);
    assert_eq!((p.len(), p[0].changeset), (1, Some(0)));
    assert_eq!(lastnames(&s, "Before-GET").await, Vec::<String>::new());
}

#[tokio::test]
async fn per_part_prefer_and_if_match() {
    let s = Server::start().await;
    let etag = s.get(&format!("accounts({FABRIKAM})")).await.header("etag").unwrap().to_string();
    let repr = [("Prefer", "return=representation")];
    let parts = [
        http_part(Some("1"), "POST", "contacts?$select=firstname,lastname", &repr, Some(r#"{"firstname":"Rita","lastname":"Repr"}"#)),
        http_part(Some("2"), "PATCH", "$1?$select=lastname", &[repr[0], ("If-Match", "*")], Some(r#"{"lastname":"Repr-2"}"#)),
        http_part(Some("3"), "PATCH", &format!("accounts({FABRIKAM})"), &[("If-Match", &etag)], Some(r#"{"name":"Matched"}"#)),
    ];
    let r = s.batch(&[], &[changeset(CS, &parts)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let p = batch_parts(&r);
    assert_eq!(p[0].status_line, "HTTP/1.1 201 Created");
    assert!(p[0].header("Content-Type").is_some_and(|t| t.starts_with(JSON_MINIMAL)), "{:?}", p[0]);
    assert_eq!(p[0].header("Preference-Applied"), Some("return=representation"));
    let keys: Vec<&str> = p[0].json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["@odata.context", "@odata.etag", "firstname", "lastname", "contactid"], "{}", p[0].body);
    assert_eq!(p[0].json["lastname"], "Repr");
    assert_eq!((p[1].status, p[1].json["lastname"].as_str()), (200, Some("Repr-2")), "{:?}", p[1]);
    assert_eq!(p[2].status, 204);
    assert_eq!(s.fetch(&format!("accounts({FABRIKAM})?$select=name")).await["name"], "Matched");

    // The same ETag is stale now: 412 inside the batch, as it would be alone.
    let stale = |id| http_part(id, "PATCH", &format!("accounts({FABRIKAM})"), &[("If-Match", &etag)], Some(r#"{"name":"Stale"}"#));
    let alone = s.patch(&format!("accounts({FABRIKAM})"), &[("If-Match", &etag)], r#"{"name":"Stale"}"#).await;
    let r = s.batch(&[], &[stale(None)]).await;
    assert_eq!(failed_at(&r, 412)[0].json, alone.json);
    let rename = http_part(Some("1"), "PATCH", &format!("accounts({FABRIKAM})"), &[("If-Match", "*")], Some(r#"{"name":"Undone"}"#));
    let r = s.batch(&[], &[changeset(CS, &[rename, stale(Some("2"))])]).await;
    assert_eq!(failed_at(&r, 412)[0].assert_error(412, "0x80060882"), alone.json["error"]["message"].as_str().unwrap());
    assert_eq!(s.fetch(&format!("accounts({FABRIKAM})?$select=name")).await["name"], "Matched");
}

/// Top-level parts: a create, a failing update, another create, a GET.
fn three_and_a_failure() -> Vec<String> {
    vec![
        http_part(None, "POST", "contacts", &[], Some(r#"{"lastname":"Coe-A"}"#)),
        http_part(None, "PATCH", &format!("contacts({MISSING})"), &[("If-Match", "*")], Some(r#"{"lastname":"Coe-X"}"#)),
        http_part(None, "POST", "contacts", &[], Some(r#"{"lastname":"Coe-B"}"#)),
        get_part(&format!("accounts({FABRIKAM})?$select=name")),
    ]
}

#[tokio::test]
async fn without_continue_on_error_the_first_failure_ends_the_batch() {
    let s = Server::start().await;
    let r = s.batch(&[], &three_and_a_failure()).await;
    let p = failed_at(&r, 404);
    p.last().unwrap().assert_error(404, "0x80040217");
    assert!(p.len() <= 2 && p[..p.len() - 1].iter().all(|p| p.status == 204), "nothing after the failure: {}", r.text);
    assert_eq!(lastnames(&s, "Coe-").await, ["Coe-A"], "parts before the failure stay applied, later ones never run");
}

#[tokio::test]
async fn with_continue_on_error_later_parts_run() {
    let s = Server::start().await;
    for prefer in ["odata.continue-on-error", "odata.include-annotations=\"*\",odata.continue-on-error"] {
        let r = s.batch(&[("Prefer", prefer)], &three_and_a_failure()).await;
        assert_eq!(r.status, StatusCode::OK, "{prefer}: {}", r.text);
        let p = batch_parts(&r);
        assert_eq!(p.iter().map(|p| p.status).collect::<Vec<_>>(), [204, 404, 204, 200], "{prefer}");
        p[1].assert_error(404, "0x80040217");
        assert_eq!(p[3].json["name"], "Fabrikam, Inc.");
    }
    assert_eq!(lastnames(&s, "Coe-").await, ["Coe-A", "Coe-A", "Coe-B", "Coe-B"]);

    // A failing changeset still rolls back whole; the parts after it run.
    let bad = changeset(CS, &[post("1", "contacts", r#"{"lastname":"Coe-C"}"#), post("2", "contacts", r#"{"numberofchildren":-1}"#)]);
    let after = http_part(None, "POST", "contacts", &[], Some(r#"{"lastname":"Coe-D"}"#));
    let r = s.batch(&[("Prefer", "odata.continue-on-error")], &[bad, after]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let p = batch_parts(&r);
    assert_eq!(p.iter().map(|p| (p.changeset, p.status)).collect::<Vec<_>>(), [(Some(0), 400), (None, 204)]);
    assert_eq!(lastnames(&s, "Coe-C").await, Vec::<String>::new());
    assert_eq!(lastnames(&s, "Coe-D").await, ["Coe-D"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_concurrent_reader_never_sees_part_of_a_changeset() {
    const N: u64 = 20;
    const BATCHES: u64 = 15;
    let s = Arc::new(Server::start().await);
    let done = Arc::new(AtomicBool::new(false));
    let query = "accounts?$select=name&$filter=startswith(name,'P-')&$count=true";
    let reader = |through_batch: bool| {
        let (s, done) = (s.clone(), done.clone());
        tokio::spawn(async move {
            let mut seen = Vec::new();
            while !done.load(Ordering::SeqCst) || seen.is_empty() {
                let json = if through_batch {
                    let r = s.batch(&[], &[get_part(query)]).await;
                    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
                    batch_parts(&r).remove(0).json
                } else {
                    s.get_ok(query, &[]).await.json
                };
                let count = json["@odata.count"].as_u64().unwrap_or_else(|| panic!("{json}"));
                assert_eq!(json["value"].as_array().map(|v| v.len() as u64), Some(count));
                assert_eq!(count % N, 0, "a reader saw {count} rows: part of a changeset");
                seen.push(count);
            }
            seen
        })
    };
    let readers = [reader(false), reader(true)];
    for b in 0..BATCHES {
        let creates: Vec<String> = (0..N).map(|i| post(&i.to_string(), "accounts", &format!(r#"{{"name":"P-{b}-{i}"}}"#))).collect();
        let r = s.batch(&[], &[changeset(CS, &creates)]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    done.store(true, Ordering::SeqCst);
    for reader in readers {
        let seen = reader.await.expect("reader task");
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "counts never go down: {seen:?}");
    }
    assert_eq!(s.get_ok(query, &[]).await.json["@odata.count"], N * BATCHES);
}
