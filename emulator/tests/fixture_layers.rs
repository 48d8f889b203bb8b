//! Fixture layers (`fixture.json`): schema additions and records with `@ref` names laid
//! over a base org, loaded at start (`--fixtures`, repeatable) and over the admin API;
//! errors that point at the file, record and field; the shipped small-CRM example;
//! deterministic ids and independent clocks for orgs made from one fixture.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bytes::Bytes;
use common::{Resp, Server, FABRIKAM};
use dataverse_emulator::fixture::FixtureFiles;
use dataverse_emulator::org::IdGenerator;
use dataverse_emulator::{App, Clock, Config, Org, Orgs};
use http::{Method, Request, StatusCode};
use http_body_util::Full;
use serde_json::{json, Value};

const ANNOTATIONS: (&str, &str) = ("Prefer", "odata.include-annotations=\"*\"");

/// The shipped example, relative to this crate.
fn small_crm() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/examples/small-crm")
}

/// A fresh directory under the system temp dir holding `files` (`(relative path, JSON)`).
fn fixture_dir(name: &str, files: &[(&str, Value)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dve-fixture-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, value) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, serde_json::to_string_pretty(value).unwrap()).unwrap();
    }
    dir
}

fn clock() -> Clock {
    Clock::fixed(time::macros::datetime!(2026-11-23 09:30:15 UTC))
}

/// Serves the org the fixture directories make, layered in order.
async fn serve(dirs: &[PathBuf]) -> Server {
    let layers: Vec<FixtureFiles> = dirs.iter().map(|d| FixtureFiles::read_dir(d).unwrap()).collect();
    let org = Org::from_layers(&layers, clock(), IdGenerator::random(), None).unwrap_or_else(|e| panic!("{e}"));
    Server::start_app(App::new(Orgs::single(org), Config::default())).await
}

/// The error `Org::from_layers` gives for these directories.
fn load_error(dirs: &[PathBuf]) -> String {
    let layers: Vec<FixtureFiles> = dirs.iter().map(|d| FixtureFiles::read_dir(d).unwrap()).collect();
    Org::from_layers(&layers, clock(), IdGenerator::random(), None).map(|_| ()).expect_err("the fixture must not load").to_string()
}

/// An admin API call (not a Web API one: no OData-Version to check).
async fn admin(server: &Server, method: Method, path: &str, body: Option<&Value>) -> Resp {
    let req = Request::builder()
        .method(method)
        .uri(format!("http://{}{path}", server.addr))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.map(Value::to_string).unwrap_or_default())))
        .unwrap();
    server.exchange(req).await
}

/// A layer adding a table with a lookup to account, a column and a key on account, and
/// records that bind by `@ref` and by alternate key.
fn projects_layer() -> Value {
    json!({
        "formatVersion": 1,
        "schema": {
            "tables": [{
                "SchemaName": "new_Project", "DisplayName": "Project", "DisplayCollectionName": "Projects",
                "Attributes": [
                    { "@odata.type": "StringAttributeMetadata", "SchemaName": "new_Name", "IsPrimaryName": true, "MaxLength": 100 },
                    { "@odata.type": "IntegerAttributeMetadata", "SchemaName": "new_Budget", "MinValue": 0, "MaxValue": 1000000 }
                ]
            }],
            "columns": { "account": [{ "@odata.type": "StringAttributeMetadata", "SchemaName": "new_Code", "MaxLength": 20 }] },
            "relationships": [{
                "@odata.type": "OneToManyRelationshipMetadata", "SchemaName": "new_account_project",
                "ReferencedEntity": "account", "ReferencingEntity": "new_project", "Lookup": { "SchemaName": "new_AccountId" }
            }],
            "keys": { "account": [{ "SchemaName": "new_account_code", "KeyAttributes": ["new_code"] }] }
        },
        "data": [
            { "table": "accounts", "records": [
                { "@ref": "acme", "name": "Acme", "new_code": "ACME" },
                { "@ref": "globex", "name": "Globex", "new_code": "GLOBEX", "parentaccountid@odata.bind": "@acme" }
            ]},
            { "table": "new_project", "records": [
                { "new_name": "Rocket skates", "new_budget": 5000, "new_AccountId@odata.bind": "@acme" },
                { "new_name": "Earthquake pills", "new_AccountId@odata.bind": "accounts(new_code='GLOBEX')" }
            ]}
        ]
    })
}

#[tokio::test]
async fn a_layer_adds_schema_and_records_over_the_default_org() {
    let dir = fixture_dir("projects", &[("fixture.json", projects_layer())]);
    let s = serve(&[dir]).await;
    // The default org is still there underneath.
    assert_eq!(s.get(&format!("accounts({FABRIKAM})?$select=name")).await.json["name"], "Fabrikam, Inc.");
    // The new table, its lookup (bound by @ref and by the new alternate key), and the key.
    let r = s.get("new_projects?$select=new_name,new_budget&$expand=new_AccountId($select=name)&$orderby=new_name").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let rows = r.json["value"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["new_name"], "Earthquake pills");
    assert_eq!(rows[0]["new_AccountId"]["name"], "Globex");
    assert_eq!(rows[1]["new_AccountId"]["name"], "Acme");
    assert_eq!(rows[1]["new_budget"], 5000);
    let globex = s.get("accounts(new_code='GLOBEX')?$select=name&$expand=parentaccountid($select=new_code)").await;
    assert_eq!(globex.status, StatusCode::OK, "{}", globex.text);
    assert_eq!(globex.json["parentaccountid"]["new_code"], "ACME");
    // The key is enforced like any other.
    let dup = s.post("accounts", r#"{"name":"Acme again","new_code":"ACME"}"#).await;
    assert_eq!(dup.status.as_u16(), 412, "{}", dup.text);
}

#[tokio::test]
async fn layers_apply_in_order_and_a_later_one_builds_on_an_earlier_one() {
    let first = fixture_dir("order-1", &[("fixture.json", projects_layer())]);
    let second = fixture_dir(
        "order-2",
        &[
            ("fixture.json", json!({ "formatVersion": 1, "name": "projects-plus", "data": ["data/more.json"] })),
            ("data/more.json", json!({ "table": "new_project", "records": [{ "new_name": "Anvils", "new_AccountId@odata.bind": "accounts(new_code='ACME')" }] })),
        ],
    );
    let s = serve(&[first.clone(), second.clone()]).await;
    let r = s.get("accounts(new_code='ACME')?$select=name&$expand=new_account_project($select=new_name;$orderby=new_name)").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let names: Vec<&str> = r.json["new_account_project"].as_array().unwrap().iter().map(|p| p["new_name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Anvils", "Rocket skates"]);
    // The layer's name names the org.
    let orgs = admin(&s, Method::GET, "/_emulator/orgs", None).await;
    assert_eq!(orgs.json["value"][0]["name"], "projects-plus", "{}", orgs.text);
    // The other way round the second layer's records have no table to go to.
    let e = load_error(&[second, first]);
    assert!(e.contains("more.json") && e.contains("unknown table 'new_project'"), "{e}");
}

#[tokio::test]
async fn a_later_layer_binds_to_records_an_earlier_load_named() {
    // On the command line: the second layer binds to `@acme` from the first.
    let first = fixture_dir("names-1", &[("fixture.json", projects_layer())]);
    let second = fixture_dir(
        "names-2",
        &[("fixture.json", json!({ "formatVersion": 1, "data": [{ "table": "new_project", "records": [{ "@ref": "anvils", "new_name": "Anvils", "new_AccountId@odata.bind": "@acme" }] }] }))],
    );
    let s = serve(&[first, second]).await;
    let r = s.get("new_projects?$filter=new_name%20eq%20'Anvils'&$select=_new_accountid_value").await;
    let acme = s.get("accounts(new_code='ACME')?$select=accountid").await.json["accountid"].clone();
    assert_eq!(r.json["value"][0]["_new_accountid_value"], acme, "{}", r.text);

    // Over the admin API, into an org made from that fixture: names of both layers bind,
    // `@update` addresses one, and a load may give a name again (its own record wins).
    assert_eq!(admin(&s, Method::POST, "/_emulator/orgs", Some(&json!({ "name": "later" }))).await.status, StatusCode::CREATED);
    let later = json!({ "formatVersion": 1, "data": [
        { "table": "accounts", "records": [{ "@ref": "acme", "name": "Acme (test copy)", "new_code": "ACME2" }] },
        { "table": "new_project", "records": [
            { "new_name": "Dynamite", "new_AccountId@odata.bind": "@globex" },
            { "new_name": "Magnets", "new_AccountId@odata.bind": "@acme" },
            { "@update": "@anvils", "new_budget": 42 }
        ]}
    ]});
    let r = admin(&s, Method::POST, "/_emulator/orgs/later/fixture", Some(&later)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let api = "/org/later/api/data/v9.2/";
    let owner = |name: &str| format!("{api}new_projects?$filter=new_name%20eq%20'{name}'&$select=new_budget&$expand=new_AccountId($select=new_code)");
    assert_eq!(s.get(&owner("Dynamite")).await.json["value"][0]["new_AccountId"]["new_code"], "GLOBEX");
    assert_eq!(s.get(&owner("Magnets")).await.json["value"][0]["new_AccountId"]["new_code"], "ACME2");
    assert_eq!(s.get(&owner("Anvils")).await.json["value"][0]["new_budget"], 42);
    // The org the fixture was loaded into is unchanged.
    assert_eq!(s.count("new_projects").await, 3);

    // A failed load gives no names: a name only it gave is unknown to the next load.
    let failing = json!({ "formatVersion": 1, "data": [{ "table": "accounts", "records": [
        { "@ref": "initech", "name": "Initech" },
        { "name": "Broken", "parentaccountid@odata.bind": "@nobody" }
    ]}]});
    let r = admin(&s, Method::POST, "/_emulator/orgs/later/fixture", Some(&failing)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let message = r.json["error"]["message"].as_str().unwrap();
    assert!(message.contains("no record with \"@ref\": \"nobody\"") && message.contains("or of an earlier load into this org"), "{message}");
    let next = json!({ "formatVersion": 1, "data": [{ "table": "accounts", "records": [{ "name": "Sub", "parentaccountid@odata.bind": "@initech" }] }] });
    let r = admin(&s, Method::POST, "/_emulator/orgs/later/fixture", Some(&next)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.json["error"]["message"].as_str().unwrap().contains("no record with \"@ref\": \"initech\""), "{}", r.text);
}

#[tokio::test]
async fn errors_point_at_the_file_the_record_and_the_field() {
    let layer = |data: Value| json!({ "formatVersion": 1, "data": [data] });
    let cases = [
        (
            layer(json!("data/contacts.json")),
            Some(json!({ "table": "contact", "records": [{ "@ref": "a", "lastname": "A" }, { "@ref": "b", "lastname": "B", "numberofchildren": "many" }] })),
            vec!["data/contacts.json", "record 1 (@ref \"b\")", "field 'numberofchildren'", "Cannot convert the literal 'many'"],
        ),
        (
            layer(json!({ "table": "contact", "records": [{ "lastname": "A", "parentcustomerid_account@odata.bind": "@nobody" }] })),
            None,
            vec!["fixture.json, data[0], record 0", "field 'parentcustomerid_account@odata.bind'", "no record with \"@ref\": \"nobody\""],
        ),
        (
            layer(json!({ "table": "account", "records": [{ "@ref": "x", "name": "A" }, { "@ref": "x", "name": "B" }] })),
            None,
            vec!["record 1 (@ref \"x\")", "field '@ref'", "already used by fixture.json, data[0], record 0 (@ref \"x\")"],
        ),
        (
            layer(json!({ "table": "account", "records": [{ "name": "A", "primarycontactid@odata.bind": "contacts(00000000-0000-0000-0000-00000000abcd)" }] })),
            None,
            vec!["record 0", "field 'primarycontactid@odata.bind'", "Does Not Exist"],
        ),
        (
            layer(json!({ "table": "phonecall", "records": [{ "subject": "s", "phonecall_activity_parties": [{ "participationtypemask": 1, "partyid_contact@odata.bind": "@ghost" }] }] })),
            None,
            vec!["field 'phonecall_activity_parties[0].partyid_contact@odata.bind'", "\"ghost\""],
        ),
        (layer(json!({ "table": "nosuchtable", "records": [] })), None, vec!["data[0], table", "unknown table 'nosuchtable'"]),
        (layer(json!("data/missing.json")), None, vec!["data/missing.json", "missing"]),
        (json!({ "formatVersion": 2 }), None, vec!["fixture.json, formatVersion", "format version 2 is not supported", "reads version 1"]),
        (json!({ "data": [] }), None, vec!["formatVersion: missing"]),
        (json!({ "formatVersion": 1, "records": [] }), None, vec!["unknown field `records`"]),
        (
            json!({ "formatVersion": 1, "schema": { "columns": { "account": [{ "@odata.type": "StringAttributeMetadata", "SchemaName": "Code" }] } } }),
            None,
            vec!["schema.columns.account[0] (Code)", "customization prefix"],
        ),
    ];
    for (i, (doc, data, expected)) in cases.into_iter().enumerate() {
        let mut files = vec![("fixture.json", doc)];
        if let Some(d) = data {
            files.push(("data/contacts.json", d));
        }
        let dir = fixture_dir(&format!("errors-{i}"), &files);
        let e = load_error(std::slice::from_ref(&dir));
        assert!(e.starts_with(&format!("fixture {}/", dir.display())), "case {i}: {e}");
        for part in expected {
            assert!(e.contains(part), "case {i}: expected {part:?} in: {e}");
        }
    }
    // A whole org can only come first.
    let layer_dir = fixture_dir("errors-order", &[("fixture.json", json!({ "formatVersion": 1 }))]);
    let org_dir = fixture_dir("errors-org", &[("org.json", json!({ "formatVersion": 1 }))]);
    assert!(load_error(&[layer_dir, org_dir]).contains("only the first fixture may be one"));
}

#[tokio::test]
async fn the_cli_reports_fixture_errors_and_progress_on_stderr() {
    let records: Vec<Value> = (0..10_000).map(|i| json!({ "name": format!("Account {i}") })).chain([json!({ "@ref": "last", "name": "Bad", "numberofemployees": "lots" })]).collect();
    let dir = fixture_dir("cli", &[("fixture.json", json!({ "formatVersion": 1, "data": [{ "table": "account", "records": records }] }))]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dataverse-emulator")).args(["serve", "--port", "0", "--fixtures"]).arg(&dir).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("loading fixture: 5000/10001 records"), "{stderr}");
    assert!(stderr.contains("fixture.json, data[0], record 10000 (@ref \"last\"), field 'numberofemployees'"), "{stderr}");
}

#[test]
fn large_loads_report_progress() {
    let records: Vec<Value> = (0..20_000).map(|i| json!({ "lastname": format!("Contact {i}") })).collect();
    let dir = fixture_dir("progress", &[("fixture.json", json!({ "formatVersion": 1, "data": [{ "table": "contact", "records": records }] }))]);
    let seen = Mutex::new(Vec::new());
    let report = |done: usize, total: usize| seen.lock().unwrap().push((done, total));
    let org = Org::from_layers(&[FixtureFiles::read_dir(&dir).unwrap()], clock(), IdGenerator::random(), Some(&report)).unwrap();
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.len(), 10);
    assert_eq!(seen[0], (2000, 20_000));
    assert_eq!(seen[9], (20_000, 20_000));
    assert_eq!(org.store.read().row_count() - Org::default_org(clock()).unwrap().store.read().row_count(), 20_000);
}

#[tokio::test]
async fn the_small_crm_example_loads_and_can_be_queried_across_tables() {
    let s = serve(&[small_crm()]).await;
    let r = s
        .get_with(
            "accounts(accountnumber='CRM-0001')?$select=name,new_tier&$expand=contact_customer_accounts($select=fullname;$orderby=lastname),opportunity_customer_accounts($select=name),incident_customer_accounts($select=title),new_account_supportcontract($select=new_name,new_hours)",
            &[ANNOTATIONS],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let a = &r.json;
    assert_eq!(a["name"], "Northwind Traders");
    assert_eq!(a["new_tier@OData.Community.Display.V1.FormattedValue"], "Gold");
    let contacts: Vec<&str> = a["contact_customer_accounts"].as_array().unwrap().iter().map(|c| c["fullname"].as_str().unwrap()).collect();
    assert_eq!(contacts, ["Maria Anders", "Ana Trujillo"]);
    assert_eq!(a["opportunity_customer_accounts"][0]["name"], "Northwind renewal 2027");
    assert_eq!(a["incident_customer_accounts"][0]["title"], "Order 10248 arrived late");
    assert_eq!(a["new_account_supportcontract"][0]["new_hours"], 200);
    // The phone call about the case, with its parties bound by @ref and by alternate key.
    let maria = s.get("contacts(emailaddress1='maria@northwind.example')?$select=contactid").await.json["contactid"].as_str().unwrap().to_string();
    let calls = s
        .get("phonecalls?$filter=subject%20eq%20'Called%20about%20the%20late%20order'&$select=subject&$expand=regardingobjectid_incident_phonecall($select=title),phonecall_activity_parties($select=participationtypemask,_partyid_value;$orderby=participationtypemask)")
        .await;
    assert_eq!(calls.status, StatusCode::OK, "{}", calls.text);
    let call = &calls.json["value"][0];
    assert_eq!(call["regardingobjectid_incident_phonecall"]["title"], "Order 10248 arrived late");
    assert_eq!(call["phonecall_activity_parties"][0]["_partyid_value"], maria.as_str());
    assert_eq!(call["phonecall_activity_parties"][1]["participationtypemask"], 2);
    // A support contract bound by alternate key, and the second phone call's contact by the new key.
    let tailspin = s.get("accounts(accountnumber='CRM-0002')?$select=name&$expand=new_account_supportcontract($select=new_name)").await;
    assert_eq!(tailspin.json["new_account_supportcontract"][0]["new_name"], "Tailspin basic support");
    let renewal = s.get("phonecalls?$filter=subject%20eq%20'Renewal%20terms'&$select=subject&$expand=phonecall_activity_parties($select=_partyid_value;$filter=participationtypemask%20eq%202)").await;
    let ana = s.get("contacts(emailaddress1='ana@northwind.example')?$select=contactid").await.json["contactid"].clone();
    assert_eq!(renewal.json["value"][0]["phonecall_activity_parties"][0]["_partyid_value"], ana);
}

#[tokio::test]
async fn an_uploaded_fixture_makes_an_org_that_resets_to_it() {
    let s = Server::start().await;
    let r = admin(&s, Method::POST, "/_emulator/orgs", Some(&json!({ "name": "proj", "fixture": projects_layer() }))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let api = "/org/proj/api/data/v9.2/";
    assert_eq!(s.count(&format!("{api}new_projects")).await, 2);
    // The default org didn't get the table.
    s.get("new_projects").await.assert_error(404, "0x80060888");
    // Writes, then reset: back to the uploaded fixture's state, not to the bare default org.
    let created = s.post(&format!("{api}new_projects"), r#"{"new_name":"Extra"}"#).await;
    assert_eq!(created.status, StatusCode::NO_CONTENT, "{}", created.text);
    assert_eq!(s.count(&format!("{api}new_projects")).await, 3);
    let reset = admin(&s, Method::POST, "/_emulator/orgs/proj/reset", None).await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.text);
    assert_eq!(s.count(&format!("{api}new_projects")).await, 2);
    // A bad upload is a 400 naming the record and field, and makes no org.
    let mut bad = projects_layer();
    bad["data"][1]["records"][1]["new_budget"] = json!(-1);
    let r = admin(&s, Method::POST, "/_emulator/orgs", Some(&json!({ "name": "bad", "fixture": bad }))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let message = r.json["error"]["message"].as_str().unwrap();
    assert!(message.contains("fixture.json, data[1], record 1, field 'new_budget'"), "{message}");
    assert_eq!(admin(&s, Method::GET, "/_emulator/orgs/bad", None).await.status, StatusCode::NOT_FOUND);
    let r = admin(&s, Method::POST, "/_emulator/orgs", Some(&json!({ "name": "bad", "fixture": { "formatVersion": 9 } }))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("format version 9 is not supported"), "{}", r.text);
    let r = admin(&s, Method::POST, "/_emulator/orgs", Some(&json!({ "name": "bad", "fixture": { "formatVersion": 1, "data": ["data/a.json"] } }))).await;
    assert!(r.status == StatusCode::BAD_REQUEST && r.text.contains("write the records inline"), "{}", r.text);
    let r = admin(&s, Method::POST, "/_emulator/orgs", Some(&json!({ "name": "bad", "fixture": "x" }))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
}

#[tokio::test]
async fn a_fixture_loads_into_an_existing_org_all_or_nothing() {
    let s = Server::start().await;
    assert_eq!(admin(&s, Method::POST, "/_emulator/orgs", Some(&json!({ "name": "t1" }))).await.status, StatusCode::CREATED);
    let api = "/org/t1/api/data/v9.2/";
    let before = s.count(&format!("{api}accounts")).await;
    // The last record fails: neither the schema nor the earlier records stay.
    let mut bad = projects_layer();
    bad["data"][1]["records"][1]["new_AccountId@odata.bind"] = json!("@nobody");
    let r = admin(&s, Method::POST, "/_emulator/orgs/t1/fixture", Some(&bad)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("record 1, field 'new_AccountId@odata.bind'"), "{}", r.text);
    assert_eq!(s.count(&format!("{api}accounts")).await, before);
    s.get(&format!("{api}new_projects")).await.assert_error(404, "0x80060888");
    // A good one stays, and becomes what reset returns to.
    let r = admin(&s, Method::POST, "/_emulator/orgs/t1/fixture", Some(&projects_layer())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(s.count(&format!("{api}accounts")).await, before + 2);
    s.post(&format!("{api}accounts"), r#"{"name":"Scratch"}"#).await;
    admin(&s, Method::POST, "/_emulator/orgs/t1/reset", None).await;
    assert_eq!(s.count(&format!("{api}accounts")).await, before + 2);
    assert_eq!(s.count(&format!("{api}new_projects")).await, 2);
    let r = admin(&s, Method::GET, "/_emulator/orgs/t1/fixture", None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{}", r.text);
    let r = admin(&s, Method::POST, "/_emulator/orgs/nope/fixture", Some(&projects_layer())).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
}

/// A deterministic emulator: seeded ids, frozen clock.
async fn deterministic() -> Server {
    let org = Org::default_org_with(Clock::frozen_at(time::macros::datetime!(2026-01-01 00:00:00 UTC)), IdGenerator::seeded(42)).unwrap();
    Server::start_app(App::new(Orgs::single(org), Config { deterministic: true, ..Config::default() })).await
}

/// Makes the org `name` over the admin API and creates an account in it; returns its id.
async fn account_in_new_org(s: &Server, name: &str) -> String {
    let r = admin(s, Method::POST, "/_emulator/orgs", Some(&json!({ "name": name }))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let created = s.post(&format!("/org/{name}/api/data/v9.2/accounts"), r#"{"name":"Det"}"#).await;
    assert_eq!(created.status, StatusCode::NO_CONTENT, "{}", created.text);
    created.entity_id()
}

#[tokio::test]
async fn orgs_made_from_a_deterministic_fixture_get_repeatable_ids_whatever_the_order() {
    let (one, two) = (deterministic().await, deterministic().await);
    let a1 = account_in_new_org(&one, "alpha").await;
    let b1 = account_in_new_org(&one, "beta").await;
    // The other emulator makes them in the other order.
    let b2 = account_in_new_org(&two, "beta").await;
    let a2 = account_in_new_org(&two, "alpha").await;
    assert_eq!(a1, a2);
    assert_eq!(b1, b2);
    assert_ne!(a1, b1);
    // Not deterministic: random ids.
    let s = Server::start().await;
    assert_ne!(account_in_new_org(&s, "alpha").await, a1);
}

/// The org clock the admin API reports for the org a host name picks.
async fn clock_of(s: &Server, host: &str, body: Option<&str>) -> Value {
    let (method, body) = body.map_or(("GET", ""), |b| ("POST", b));
    let raw = s
        .raw(&format!("{method} /_emulator/clock HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()))
        .await;
    let json = &raw[raw.find("\r\n\r\n").unwrap() + 4..];
    serde_json::from_str(json.trim()).unwrap_or_else(|e| panic!("{e}: {raw}"))
}

#[tokio::test]
async fn orgs_made_from_one_fixture_have_their_own_clocks() {
    let s = deterministic().await;
    for name in ["c1", "c2"] {
        assert_eq!(admin(&s, Method::POST, "/_emulator/orgs", Some(&json!({ "name": name }))).await.status, StatusCode::CREATED);
    }
    let moved = clock_of(&s, "c1.localhost", Some(r#"{"advance":"P1D"}"#)).await;
    assert_eq!(moved["org"], "c1");
    assert_eq!(moved["now"], "2026-01-02T00:00:00Z");
    assert_eq!(clock_of(&s, "c2.localhost", None).await["now"], "2026-01-01T00:00:00Z");
    assert_eq!(clock_of(&s, "localhost", None).await["now"], "2026-01-01T00:00:00Z");
    // Moving the default org's clock doesn't move orgs made from its fixture later, either.
    clock_of(&s, "localhost", Some(r#"{"advance":"P7D"}"#)).await;
    assert_eq!(admin(&s, Method::POST, "/_emulator/orgs", Some(&json!({ "name": "c3" }))).await.status, StatusCode::CREATED);
    assert_eq!(clock_of(&s, "c3.localhost", None).await["now"], "2026-01-01T00:00:00Z");
}

#[tokio::test]
async fn an_update_record_closes_a_lookup_cycle_and_associates_n_to_n_records() {
    // The contact points at the account when created; the account's primary contact (the
    // lookup that closes the cycle) and a team membership (N:N) come as updates afterwards.
    let layer = json!({ "formatVersion": 1, "data": [
        { "table": "account", "records": [{ "@ref": "cycle", "name": "Cycle Ltd", "accountnumber": "CYC-1" }] },
        { "table": "contact", "records": [{ "@ref": "ada", "lastname": "Cycle", "parentcustomerid_account@odata.bind": "@cycle" }] },
        { "table": "account", "records": [{ "@update": "@cycle", "primarycontactid@odata.bind": "@ada", "telephone1": "555" }] },
        { "table": "team", "records": [{ "@ref": "sales", "teamid": "7e000000-0000-4000-8000-000000000001", "name": "Sales", "teamtype": 0, "businessunitid@odata.bind": "/businessunits(5b3d8c1e-2f4a-4e6b-9c7d-000000000010)" }] },
        { "table": "systemuser", "records": [{ "@update": "/systemusers(5b3d8c1e-2f4a-4e6b-9c7d-000000000018)", "teammembership_association@odata.bind": ["@sales"] }] },
        { "table": "account", "records": [{ "@update": "accounts(accountnumber='CYC-1')", "description": "by key" }] }
    ] });
    let dir = fixture_dir("update-cycle", &[("fixture.json", layer)]);
    let s = serve(&[dir]).await;
    let r = s.get("accounts(accountnumber='CYC-1')?$select=name,telephone1,description&$expand=primarycontactid($select=lastname;$expand=parentcustomerid_account($select=name))").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["telephone1"], "555");
    assert_eq!(r.json["description"], "by key");
    assert_eq!(r.json["primarycontactid"]["lastname"], "Cycle");
    assert_eq!(r.json["primarycontactid"]["parentcustomerid_account"]["name"], "Cycle Ltd");
    // An update creates nothing.
    let n = s.get("accounts?$filter=name%20eq%20'Cycle%20Ltd'&$select=name").await;
    assert_eq!(n.json["value"].as_array().unwrap().len(), 1, "{}", n.text);
    let teams = s.get("systemusers(5b3d8c1e-2f4a-4e6b-9c7d-000000000018)/teammembership_association?$select=teamid").await;
    assert_eq!(teams.status, StatusCode::OK, "{}", teams.text);
    let ids: Vec<&str> = teams.json["value"].as_array().unwrap().iter().map(|t| t["teamid"].as_str().unwrap()).collect();
    assert_eq!(ids, ["7e000000-0000-4000-8000-000000000001"], "{}", teams.text);
}

#[tokio::test]
async fn update_records_that_address_nothing_or_the_wrong_table_are_refused() {
    let layer = |records: Value| json!({ "formatVersion": 1, "data": [{ "table": "account", "records": [{ "@ref": "a", "name": "A" }] }, { "table": "account", "records": records }] });
    let cases = [
        (json!([{ "@update": "/accounts(00000000-0000-0000-0000-00000000abcd)", "name": "B" }]), vec!["data[1], record 0", "field '@update'", "Does Not Exist"]),
        (json!([{ "@update": "@nobody", "name": "B" }]), vec!["field '@update'", "no record with \"@ref\": \"nobody\""]),
        (json!([{ "@update": format!("/contacts({})", "c0000000-0000-4000-8000-000000000001"), "name": "B" }]), vec!["field '@update'", "a record of contact, not of this block's table (account)"]),
        (json!([{ "@update": "not a url", "name": "B" }]), vec!["field '@update'", "not a valid reference"]),
        (json!([{ "@update": 5 }]), vec!["record 0", "\"@update\" must be the URL of an existing record"]),
        (json!([{ "@update": "@a", "@ref": "b", "name": "B" }]), vec!["field '@ref'", "cannot name a record"]),
        (json!([{ "@update": "@a", "numberofemployees": "many" }]), vec!["field 'numberofemployees'"]),
    ];
    for (i, (records, expected)) in cases.into_iter().enumerate() {
        let dir = fixture_dir(&format!("update-errors-{i}"), &[("fixture.json", layer(records))]);
        let e = load_error(std::slice::from_ref(&dir));
        for part in expected {
            assert!(e.contains(part), "case {i}: expected {part:?} in: {e}");
        }
    }
}
