//! Seed records that point at each other, and N:N associations a recording read: both
//! become fixture updates (`"@update"`) loaded after every seed record exists, so the
//! replayed emulator holds every link the real org returned.

use std::path::PathBuf;

use bytes::Bytes;
use conformance_runner::http::Client;
use conformance_runner::target::Target;
use dataverse_emulator::replay::play::{replay, SCENARIO_FILE, SEED_FILE};
use dataverse_emulator::replay::proxy::Recorder;
use dataverse_emulator::Emulator;
use http::Method;
use serde_json::{json, Value};

const ACCOUNT: &str = "a1000000-0000-4000-8000-0000000000c1";
const CONTACT: &str = "c1000000-0000-4000-8000-0000000000c1";

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dve-replay-{name}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn read(dir: &std::path::Path, file: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))).unwrap()
}

/// An account whose primary contact works for it: each lookup points at the other record.
#[tokio::test]
async fn records_that_point_at_each_other_keep_both_lookups() {
    let dir = temp_dir("cycle");
    let seed = json!({ "sets": {
        "accounts": [ {
            "accountid": ACCOUNT, "name": "Cycle Ltd",
            "_primarycontactid_value": CONTACT,
            "_primarycontactid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "contact"
        } ],
        "contacts": [ {
            "contactid": CONTACT, "lastname": "Cyclist",
            "_parentcustomerid_value": ACCOUNT,
            "_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "account"
        } ]
    } });
    std::fs::write(dir.join(SEED_FILE), seed.to_string()).unwrap();
    std::fs::write(dir.join(SCENARIO_FILE), json!({ "name": "cycle", "steps": [
        { "request": { "method": "GET", "path": format!("accounts({ACCOUNT})?$select=name,_primarycontactid_value") },
          "expect": { "status": 200, "json": { "name": "Cycle Ltd", "_primarycontactid_value": CONTACT } } },
        { "request": { "method": "GET", "path": format!("contacts({CONTACT})?$select=lastname,_parentcustomerid_value") },
          "expect": { "status": 200, "json": { "lastname": "Cyclist", "_parentcustomerid_value": ACCOUNT } } }
    ] }).to_string()).unwrap();
    let (result, notes) = replay(&dir, None).await.unwrap();
    assert!(notes.is_empty(), "no lookup is left out: {notes:?}");
    assert!(result.failures.is_empty(), "{:#?}", result.failures);
    assert_eq!(result.steps[0].json.as_ref().unwrap()["_primarycontactid_value"], CONTACT);
    assert_eq!(result.steps[1].json.as_ref().unwrap()["_parentcustomerid_value"], ACCOUNT);

    // One of the two lookups is bound on create, the other by an update loaded last.
    let org = read(&dir, "fixture/org.json");
    let data: Vec<&str> = org["data"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    let last = *data.last().unwrap();
    assert!(last.starts_with("seed-updates-"), "{data:?}");
    let updates = read(&dir, &format!("fixture/data/{last}"));
    let update = &updates["records"][0];
    assert_eq!(updates["records"].as_array().unwrap().len(), 1, "{updates}");
    let (set, id, nav) = if last == "seed-updates-accounts.json" { ("accounts", ACCOUNT, "primarycontactid") } else { ("contacts", CONTACT, "parentcustomerid_account") };
    assert_eq!(update["@update"], format!("/{set}({id})"), "{updates}");
    assert!(update.get(format!("{nav}@odata.bind")).is_some(), "{updates}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// "Priya Agent", a user of the default org (so of the replay's base fixture too).
const PRIYA: &str = "5b3d8c1e-2f4a-4e6b-9c7d-000000000018";

/// Team memberships read two ways, through the user's navigation property and by
/// `$expand` from the team: the teams are seeded and the pairs associated, each once.
#[tokio::test]
async fn n_to_n_pairs_read_through_a_navigation_or_an_expand_are_associated() {
    let dir = temp_dir("n-to-n");
    let live = Emulator::builder().start().await;
    let client = Client::new(None).unwrap();
    let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    let direct = live.web_api_url();
    let mut teams = Vec::new();
    for name in ["Sales", "Support"] {
        let body = format!(r#"{{"name":"{name}","teamtype":0,"businessunitid@odata.bind":"/businessunits(5b3d8c1e-2f4a-4e6b-9c7d-000000000010)"}}"#);
        let created = client.send(Method::POST, &format!("{direct}teams"), &headers, Bytes::from(body)).await.unwrap();
        assert_eq!(created.status.as_u16(), 204, "{}", created.text());
        let url = created.headers.get("odata-entityid").unwrap().to_str().unwrap().to_string();
        let id = url[url.len() - 37..url.len() - 1].to_string();
        let link = json!({ "@odata.id": format!("{direct}systemusers({PRIYA})") }).to_string();
        let associated = client.send(Method::POST, &format!("{direct}teams({id})/teammembership_association/$ref"), &headers, Bytes::from(link)).await.unwrap();
        assert_eq!(associated.status.as_u16(), 204, "{}", associated.text());
        teams.push(id);
    }

    let target = Target::new("org", live.url(), Client::new(None).unwrap(), None).unwrap();
    let recorder = Recorder::start(target, &dir, 0).await.unwrap();
    let api = format!("{}/api/data/v9.2/", recorder.url());
    let via_nav = client.send(Method::GET, &format!("{api}systemusers({PRIYA})/teammembership_association?$select=name&$orderby=name"), &headers, Bytes::new()).await.unwrap();
    assert_eq!(via_nav.status.as_u16(), 200, "{}", via_nav.text());
    let via_expand = client.send(Method::GET, &format!("{api}teams({})?$select=name&$expand=teammembership_association($select=fullname)", teams[0]), &headers, Bytes::new()).await.unwrap();
    assert_eq!(via_expand.status.as_u16(), 200, "{}", via_expand.text());
    drop(recorder);

    let seed = read(&dir, SEED_FILE);
    assert_eq!(seed["navigated"][0]["nav"], "teammembership_association", "{seed}");
    let (result, notes) = replay(&dir, None).await.unwrap();
    assert!(notes.is_empty(), "{notes:?}");
    assert!(result.failures.is_empty(), "the replayed emulator holds both memberships: {:#?}", result.failures);
    let names: Vec<&str> = result.steps[0].json.as_ref().unwrap()["value"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Sales", "Support"]);
    // Sales-Priya was read both ways but is associated once (twice would not load).
    let mut binds = 0;
    for file in ["seed-updates-teams.json", "seed-updates-systemusers.json"] {
        let updates = read(&dir, &format!("fixture/data/{file}"));
        for r in updates["records"].as_array().unwrap() {
            binds += r["teammembership_association@odata.bind"].as_array().unwrap().len();
        }
    }
    assert_eq!(binds, 2, "one bind per membership");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A pair whose other record the fixture does not have is left out with a note.
#[tokio::test]
async fn an_n_to_n_pair_outside_the_fixture_is_left_out_with_a_note() {
    let dir = temp_dir("n-to-n-missing");
    let team = "7e000000-0000-4000-8000-0000000000c1";
    let seed = json!({
        "sets": { "teams": [ { "teamid": team, "name": "Ghost team", "teamtype": 0 } ] },
        "navigated": [ { "set": "systemusers", "id": "5b3d8c1e-2f4a-4e6b-9c7d-0000000000ff", "nav": "teammembership_association", "related_set": "teams", "related": [0] } ]
    });
    std::fs::write(dir.join(SEED_FILE), seed.to_string()).unwrap();
    std::fs::write(dir.join(SCENARIO_FILE), json!({ "name": "ghost", "steps": [
        { "request": { "method": "GET", "path": format!("teams({team})?$select=name") }, "expect": { "status": 200, "json": { "name": "Ghost team" } } }
    ] }).to_string()).unwrap();
    let (result, notes) = replay(&dir, None).await.unwrap();
    assert!(result.failures.is_empty(), "{:#?}", result.failures);
    assert_eq!(notes, ["systemuser.teammembership_association: 1 N:N association(s) left out (a record of the pair is not in the fixture)"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Contacts read through an account's one-to-many navigation property, without their
/// lookup column: the URL says whose they are, so the seed links them.
#[tokio::test]
async fn children_read_through_a_one_to_many_navigation_get_the_parent_lookup() {
    let dir = temp_dir("one-to-many");
    let fabrikam = "a0000000-0000-4000-8000-000000000001";
    let seed = json!({
        "sets": { "contacts": [ { "contactid": CONTACT, "lastname": "Child" } ] },
        "navigated": [ { "set": "accounts", "id": fabrikam, "nav": "contact_customer_accounts", "related_set": "contacts", "related": [0] } ]
    });
    std::fs::write(dir.join(SEED_FILE), seed.to_string()).unwrap();
    std::fs::write(dir.join(SCENARIO_FILE), json!({ "name": "child", "steps": [
        { "request": { "method": "GET", "path": format!("contacts({CONTACT})?$select=lastname,_parentcustomerid_value") },
          "expect": { "status": 200, "json": { "lastname": "Child", "_parentcustomerid_value": fabrikam } } }
    ] }).to_string()).unwrap();
    let (result, notes) = replay(&dir, None).await.unwrap();
    assert!(notes.is_empty(), "{notes:?}");
    assert!(result.failures.is_empty(), "{:#?}", result.failures);
    assert_eq!(result.steps[0].json.as_ref().unwrap()["_parentcustomerid_value"], fabrikam);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A pair the base fixture's data associates already is not associated again (a second
/// association of one pair is a duplicate key, and the fixture would not load).
#[tokio::test]
async fn a_pair_the_base_fixture_associates_already_is_not_bound_twice() {
    let dir = temp_dir("n-to-n-base");
    let team = "7e000000-0000-4000-8000-0000000000b1";
    // The default org, with a team whose creation associates Priya.
    let base = dir.join("base");
    for (path, text) in fixtures::DEFAULT_ORG {
        let mut text = text.to_string();
        if *path == "data/teams.json" {
            let mut doc: Value = serde_json::from_str(&text).unwrap();
            doc["records"].as_array_mut().unwrap().push(json!({
                "teamid": team, "name": "Base team", "teamtype": 0,
                "businessunitid@odata.bind": "/businessunits(5b3d8c1e-2f4a-4e6b-9c7d-000000000010)",
                "teammembership_association@odata.bind": [format!("/systemusers({PRIYA})")]
            }));
            text = doc.to_string();
        }
        let file = base.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    let seed = json!({
        "sets": { "teams": [ { "teamid": team, "name": "Base team", "teamtype": 0 } ] },
        "navigated": [ { "set": "systemusers", "id": PRIYA, "nav": "teammembership_association", "related_set": "teams", "related": [0] } ]
    });
    std::fs::write(dir.join(SEED_FILE), seed.to_string()).unwrap();
    std::fs::write(dir.join(SCENARIO_FILE), json!({ "name": "base pair", "steps": [
        { "request": { "method": "GET", "path": format!("systemusers({PRIYA})/teammembership_association?$select=name") },
          "expect": { "status": 200, "json": { "value": [ { "name": "Base team" } ] } } }
    ] }).to_string()).unwrap();
    let (result, notes) = replay(&dir, Some(&base)).await.unwrap();
    assert!(notes.is_empty(), "{notes:?}");
    assert!(result.failures.is_empty(), "{:#?}", result.failures);
    assert!(!dir.join("fixture/data/seed-updates-systemusers.json").exists(), "no update for a pair the base binds");
    let _ = std::fs::remove_dir_all(&dir);
}
