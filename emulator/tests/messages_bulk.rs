//! CreateMultiple, UpdateMultiple, UpsertMultiple and DeleteMultiple (wire reference §7.5):
//! results, atomic failure naming the item, `@odata.type` with and without `#`.

use crate::common;

use common::*;
use http::StatusCode;
use serde_json::{json, Value};

fn targets(items: &[Value]) -> String {
    json!({ "Targets": items }).to_string()
}

async fn names_with(s: &Server, prefix: &str) -> Vec<String> {
    let r = s.get(&format!("accounts?$select=name&$filter=startswith(name,'{prefix}')&$orderby=name")).await;
    column_of(&r, "name")
}

#[tokio::test]
async fn create_multiple_returns_ids_in_target_order() {
    let s = Server::start().await;
    let items: Vec<Value> = (0..3)
        .map(|i| json!({"name": format!("CM-{i}"), "revenue": 10 * i, "@odata.type": if i == 1 { "#Microsoft.Dynamics.CRM.account" } else { "Microsoft.Dynamics.CRM.account" }}))
        .collect();
    let r = s.post("accounts/Microsoft.Dynamics.CRM.CreateMultiple", &targets(&items)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.header("content-type"), Some(JSON_MINIMAL));
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#Microsoft.Dynamics.CRM.CreateMultipleResponse", s.base));
    let ids = r.json["Ids"].as_array().expect("Ids");
    assert_eq!(ids.len(), 3);
    for (i, id) in ids.iter().enumerate() {
        let got = s.get(&format!("accounts({})?$select=name", id.as_str().unwrap())).await;
        assert_eq!(got.json["name"], format!("CM-{i}"));
    }
}

#[tokio::test]
async fn create_multiple_is_atomic_and_names_the_failing_item() {
    let s = Server::start().await;
    let before = s.count("accounts").await;
    let items = vec![
        json!({"name": "AT-0", "@odata.type": "Microsoft.Dynamics.CRM.account"}),
        json!({"name": "AT-1", "@odata.type": "Microsoft.Dynamics.CRM.account"}),
        json!({"name": "x".repeat(200), "@odata.type": "Microsoft.Dynamics.CRM.account"}),
    ];
    let r = s.post("accounts/Microsoft.Dynamics.CRM.CreateMultiple", &targets(&items)).await;
    let msg = r.assert_error(400, "0x80044331");
    assert!(msg.contains("'name'") && msg.ends_with("(Targets[2])"), "{msg}");
    assert_eq!(s.count("accounts").await, before, "nothing of a failed call stays");
    assert!(names_with(&s, "AT-").await.is_empty());
    // A duplicate alternate key inside the call fails it whole too.
    let items = vec![
        json!({"name": "DK-0", "accountnumber": "DK-1", "@odata.type": "Microsoft.Dynamics.CRM.account"}),
        json!({"name": "DK-1", "accountnumber": "DK-1", "@odata.type": "Microsoft.Dynamics.CRM.account"}),
    ];
    let r = s.post("accounts/Microsoft.Dynamics.CRM.CreateMultiple", &targets(&items)).await;
    assert!(r.assert_error(412, "0x80060892").ends_with("(Targets[1])"));
    assert_eq!(s.count("accounts").await, before);
}

#[tokio::test]
async fn targets_must_name_the_bound_table() {
    let s = Server::start().await;
    let r = s.post("accounts/Microsoft.Dynamics.CRM.CreateMultiple", &targets(&[json!({"name": "T-0"})])).await;
    assert!(r.assert_error(400, "0x80048d19").contains("@odata.type"));
    let r = s.post("accounts/Microsoft.Dynamics.CRM.CreateMultiple", &targets(&[json!({"fullname": "T-1", "@odata.type": "Microsoft.Dynamics.CRM.contact"})])).await;
    assert!(r.assert_error(400, "0x80048d19").contains("Microsoft.Dynamics.CRM.contact"));
    let r = s.post("accounts/Microsoft.Dynamics.CRM.CreateMultiple", &targets(&[json!({"nosuchcolumn": 1, "@odata.type": "Microsoft.Dynamics.CRM.account"})])).await;
    assert!(r.assert_error(400, "0x80048d19").contains("nosuchcolumn"));
    // Missing and mistyped Targets get the OData library's parameter errors.
    let r = s.post("accounts/Microsoft.Dynamics.CRM.CreateMultiple", "{}").await;
    assert!(r.assert_error(400, "0x80048d19").contains("The missing parameters are: Targets."));
    let r = s.post("accounts/Microsoft.Dynamics.CRM.CreateMultiple", r#"{"Targets":"x"}"#).await;
    assert!(r.assert_error(400, "0x80048d19").contains("Collection(Microsoft.Dynamics.CRM.crmbaseentity)"));
    let r = s.post("accounts/Microsoft.Dynamics.CRM.CreateMultiple", r#"{"Targets":[],"Extra":1}"#).await;
    assert!(r.assert_error(400, "0x80048d19").contains("'Extra'"));
    // The action is bound to a set: a GET, or a record, doesn't reach it.
    let r = s.get("accounts/Microsoft.Dynamics.CRM.CreateMultiple").await;
    r.assert_error(404, "0x80060888");
    let r = s.post("nosuchset/Microsoft.Dynamics.CRM.CreateMultiple", "{}").await;
    assert_eq!(r.assert_error(404, "0x80060888"), "Resource not found for the segment 'nosuchset'.");
}

#[tokio::test]
async fn update_multiple_updates_by_primary_key_and_is_atomic() {
    let s = Server::start().await;
    let a = s.create("accounts", r#"{"name":"UM-a"}"#).await;
    let b = s.create("accounts", r#"{"name":"UM-b"}"#).await;
    let items = vec![
        json!({"accountid": a, "telephone1": "555-1", "@odata.type": "Microsoft.Dynamics.CRM.account"}),
        json!({"accountid": b, "telephone1": "555-2", "@odata.type": "#Microsoft.Dynamics.CRM.account"}),
        // The same record again: only its first target applies.
        json!({"accountid": a, "telephone1": "555-3", "@odata.type": "Microsoft.Dynamics.CRM.account"}),
    ];
    let r = s.post("accounts/Microsoft.Dynamics.CRM.UpdateMultiple", &targets(&items)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(s.get(&format!("accounts({a})?$select=telephone1")).await.json["telephone1"], "555-1");
    assert_eq!(s.get(&format!("accounts({b})?$select=telephone1")).await.json["telephone1"], "555-2");
    // A missing record fails the whole call: the first item's change is undone.
    let items = vec![
        json!({"accountid": a, "telephone1": "555-9", "@odata.type": "Microsoft.Dynamics.CRM.account"}),
        json!({"accountid": MISSING, "telephone1": "555-9", "@odata.type": "Microsoft.Dynamics.CRM.account"}),
    ];
    let r = s.post("accounts/Microsoft.Dynamics.CRM.UpdateMultiple", &targets(&items)).await;
    assert_eq!(r.assert_error(404, "0x80040217"), format!("Entity 'account' With Id = {MISSING} Does Not Exist (Targets[1])"));
    assert_eq!(s.get(&format!("accounts({a})?$select=telephone1")).await.json["telephone1"], "555-1");
    let r = s.post("accounts/Microsoft.Dynamics.CRM.UpdateMultiple", &targets(&[json!({"name": "no id", "@odata.type": "Microsoft.Dynamics.CRM.account"})])).await;
    assert!(r.assert_error(400, "0x80040203").contains("Targets[0]"));
}

#[tokio::test]
async fn upsert_multiple_by_alternate_key_and_primary_key() {
    let s = Server::start().await;
    let existing = s.create("accounts", r#"{"name":"UP-old","accountnumber":"UP-1"}"#).await;
    let fresh = "b1000000-0000-4000-8000-0000000000aa";
    let items = vec![
        // Key only in @odata.id, as the Python SDK sends it.
        json!({"name": "UP-updated", "@odata.type": "Microsoft.Dynamics.CRM.account", "@odata.id": "accounts(accountnumber='UP-1')"}),
        json!({"name": "UP-created", "@odata.type": "Microsoft.Dynamics.CRM.account", "@odata.id": "accounts(accountnumber='UP-2')"}),
        json!({"name": "UP-by-id", "accountid": fresh, "@odata.type": "#Microsoft.Dynamics.CRM.account"}),
    ];
    let r = s.post("accounts/Microsoft.Dynamics.CRM.UpsertMultiple", &targets(&items)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(s.get(&format!("accounts({existing})?$select=name")).await.json["name"], "UP-updated");
    let created = s.get("accounts(accountnumber='UP-2')?$select=name,accountnumber").await;
    assert_eq!((created.json["name"].as_str(), created.json["accountnumber"].as_str()), (Some("UP-created"), Some("UP-2")));
    assert_eq!(s.get(&format!("accounts({fresh})?$select=name")).await.json["name"], "UP-by-id");
    // Atomic: a bad item leaves the others undone.
    let items = vec![
        json!({"name": "UP-3", "@odata.type": "Microsoft.Dynamics.CRM.account", "@odata.id": "accounts(accountnumber='UP-3')"}),
        json!({"name": "x".repeat(200), "@odata.type": "Microsoft.Dynamics.CRM.account", "@odata.id": "accounts(accountnumber='UP-4')"}),
    ];
    let r = s.post("accounts/Microsoft.Dynamics.CRM.UpsertMultiple", &targets(&items)).await;
    assert!(r.assert_error(400, "0x80044331").ends_with("(Targets[1])"));
    s.get("accounts(accountnumber='UP-3')").await.assert_error(404, "0x80040217");
}

#[tokio::test]
async fn delete_multiple_is_for_elastic_tables_only() {
    let s = Server::start().await;
    let items = vec![json!({"accountid": FABRIKAM, "@odata.type": "Microsoft.Dynamics.CRM.account"})];
    let r = s.post("accounts/Microsoft.Dynamics.CRM.DeleteMultiple", &targets(&items)).await;
    assert_eq!(
        r.assert_error(400, "0x80040800"),
        "The 'DeleteMultiple' method does not support entities of type 'account'. MessageProcessorCache returned MessageProcessor.Empty."
    );
    assert_eq!(s.get(&format!("accounts({FABRIKAM})?$select=name")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn bulk_calls_inside_a_changeset_roll_back_with_it() {
    let s = Server::start().await;
    let before = s.count("accounts").await;
    let create = targets(&[json!({"name": "CS-0", "@odata.type": "Microsoft.Dynamics.CRM.account"})]);
    let parts = vec![
        http_part(Some("1"), "POST", "accounts/Microsoft.Dynamics.CRM.CreateMultiple", &[], Some(&create)),
        http_part(Some("2"), "POST", "accounts", &[], Some(r#"{"nosuchcolumn":1}"#)),
    ];
    let r = s.batch(&[], &[changeset("changeset_c", &parts)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(s.count("accounts").await, before);
}
