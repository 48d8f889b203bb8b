//! `POST /Merge`: the subordinate folds into the target, its children move, it is
//! deactivated and marked merged, all atomically; and the errors the service gives.

use crate::common;

use common::*;
use http::StatusCode;

fn merge_body(table: &str, target: &str, subordinate: &str, extra: &str) -> String {
    format!(
        r#"{{"Target":{{"@odata.type":"Microsoft.Dynamics.CRM.{table}","{table}id":"{target}"}},"Subordinate":{{"@odata.type":"Microsoft.Dynamics.CRM.{table}","{table}id":"{subordinate}"}},"PerformParentingChecks":false{extra}}}"#
    )
}

#[tokio::test]
async fn merging_accounts_moves_children_and_closes_the_subordinate() {
    let s = Server::start().await;
    let target = s.create("accounts", r#"{"name":"Contoso","telephone1":"111"}"#).await;
    let dup = s.create("accounts", r#"{"name":"Contoso Ltd","telephone1":"222"}"#).await;
    let contact = s.create("contacts", &format!(r#"{{"lastname":"Moved","parentcustomerid_account@odata.bind":"/accounts({dup})"}}"#)).await;
    let call = s.create("phonecalls", &format!(r#"{{"subject":"About dup","regardingobjectid_account_phonecall@odata.bind":"/accounts({dup})"}}"#)).await;
    let child = s.create("accounts", &format!(r#"{{"name":"Sub","parentaccountid@odata.bind":"/accounts({dup})"}}"#)).await;
    let update = r#","UpdateContent":{"@odata.type":"Microsoft.Dynamics.CRM.account","telephone1":"333"}"#;
    let r = s.post("Merge", &merge_body("account", &target, &dup, update)).await.checked();
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    let t = s.fetch(&format!("accounts({target})")).await;
    assert_eq!(t["telephone1"], "333");
    assert_eq!(t["name"], "Contoso");
    let d = s.fetch(&format!("accounts({dup})")).await;
    assert_eq!(d["statecode"], 1);
    assert_eq!(d["statuscode"], 2);
    assert_eq!(d["merged"], true);
    assert_eq!(d["_masterid_value"], target.as_str());
    assert_eq!(s.fetch(&format!("contacts({contact})")).await["_parentcustomerid_value"], target.as_str());
    assert_eq!(s.fetch(&format!("phonecalls({call})")).await["_regardingobjectid_value"], target.as_str());
    assert_eq!(s.fetch(&format!("accounts({child})")).await["_parentaccountid_value"], target.as_str());
}

#[tokio::test]
async fn merging_contacts_by_odata_id() {
    let s = Server::start().await;
    let target = s.create("contacts", r#"{"lastname":"Keep"}"#).await;
    let dup = s.create("contacts", r#"{"lastname":"Dup"}"#).await;
    let child = s.create("contacts", &format!(r#"{{"lastname":"Child","parentcustomerid_contact@odata.bind":"/contacts({dup})"}}"#)).await;
    let body = format!(r#"{{"Target":{{"@odata.id":"contacts({target})"}},"Subordinate":{{"@odata.id":"contacts({dup})"}},"PerformParentingChecks":false}}"#);
    let r = s.post("Merge", &body).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let d = s.fetch(&format!("contacts({dup})")).await;
    assert_eq!((d["statecode"].as_i64(), d["merged"].as_bool()), (Some(1), Some(true)));
    assert_eq!(d["_masterid_value"], target.as_str());
    assert_eq!(s.fetch(&format!("contacts({child})")).await["_parentcustomerid_value"], target.as_str());
}

#[tokio::test]
async fn merge_errors_and_atomicity() {
    let s = Server::start().await;
    let a = s.create("accounts", r#"{"name":"A"}"#).await;
    let b = s.create("accounts", r#"{"name":"B"}"#).await;
    let contact = s.create("contacts", &format!(r#"{{"lastname":"C","parentcustomerid_account@odata.bind":"/accounts({b})"}}"#)).await;

    // Same record twice.
    let m = s.post("Merge", &merge_body("account", &a, &a, "")).await.assert_error(400, "0x80040203").to_string();
    assert!(m.contains("identical"), "{m}");
    // Missing subordinate.
    let missing = "a0000000-0000-4000-8000-0000000000ff";
    s.post("Merge", &merge_body("account", &a, missing, "")).await.assert_error(404, "0x80040217");
    // Different types.
    let body = format!(
        r#"{{"Target":{{"@odata.id":"accounts({a})"}},"Subordinate":{{"@odata.id":"contacts({contact})"}},"PerformParentingChecks":false}}"#
    );
    s.post("Merge", &body).await.assert_error(400, "0x80040203");
    // A table Merge doesn't support.
    let body = format!(r#"{{"Target":{{"@odata.id":"phonecalls({missing})"}},"Subordinate":{{"@odata.id":"phonecalls({missing})"}},"PerformParentingChecks":false}}"#);
    s.post("Merge", &body).await.assert_error(400, "0x80040800");
    // Missing required parameter.
    let r = s.post("Merge", &format!(r#"{{"Target":{{"@odata.id":"accounts({a})"}},"Subordinate":{{"@odata.id":"accounts({b})"}}}}"#)).await;
    assert!(r.assert_error(400, "0x80048d19").contains("PerformParentingChecks"));
    // Parenting checks: different parents refuse the merge.
    let parent = s.create("accounts", r#"{"name":"P"}"#).await;
    let r = s.patch(&format!("accounts({b})"), &[], &format!(r#"{{"parentaccountid@odata.bind":"/accounts({parent})"}}"#)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let body = merge_body("account", &a, &b, "").replace("\"PerformParentingChecks\":false", "\"PerformParentingChecks\":true");
    assert!(s.post("Merge", &body).await.assert_error(400, "0x80040203").contains("differently parented"));
    // A bad UpdateContent column fails the whole merge: nothing moved, nothing closed.
    let bad = r#","UpdateContent":{"@odata.type":"Microsoft.Dynamics.CRM.account","name":"x","numberofemployees":-5}"#;
    let r = s.post("Merge", &merge_body("account", &a, &b, bad)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(s.fetch(&format!("contacts({contact})")).await["_parentcustomerid_value"], b.as_str());
    assert_eq!(s.fetch(&format!("accounts({b})")).await["statecode"], 0);
    assert_eq!(s.fetch(&format!("accounts({a})")).await["name"], "A");
    // A merged (inactive) record can't be merged again.
    assert_eq!(s.post("Merge", &merge_body("account", &a, &b, "")).await.status, StatusCode::NO_CONTENT);
    assert!(s.post("Merge", &merge_body("account", &a, &b, "")).await.assert_error(400, "0x80040203").contains("inactive"));
}
