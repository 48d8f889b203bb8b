//! Seed records that point at each other, and N:N associations a recording read: both
//! become fixture updates (`"@update"`) loaded after every seed record exists, so the
//! replayed emulator holds every link the real org returned.

use std::path::PathBuf;

use dataverse_emulator::replay::play::{replay, SCENARIO_FILE, SEED_FILE};
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
