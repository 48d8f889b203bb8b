//! State and status reason through PATCH: each status reason belongs to one state, a
//! state set alone takes its default status reason, and a completed or canceled activity
//! is read-only until it is reopened.

use crate::common;

use common::{Server, FABRIKAM};
use http::StatusCode;
use serde_json::json;

async fn state_of(s: &Server, path: &str) -> (serde_json::Value, serde_json::Value) {
    let r = s.get(&format!("{path}?$select=statecode,statuscode")).await;
    (r.json["statecode"].clone(), r.json["statuscode"].clone())
}

#[tokio::test]
async fn setting_only_the_state_picks_its_default_status_reason() {
    let s = Server::start().await;
    let account = format!("accounts({FABRIKAM})");
    assert_eq!(s.patch(&account, &[], r#"{"statecode":1}"#).await.status, StatusCode::NO_CONTENT);
    assert_eq!(state_of(&s, &account).await, (json!(1), json!(2)));
    assert_eq!(s.patch(&account, &[], r#"{"statecode":0,"statuscode":1}"#).await.status, StatusCode::NO_CONTENT);
    assert_eq!(state_of(&s, &account).await, (json!(0), json!(1)));

    // Within a state too: a task "In Progress" set to Open again is "Not Started".
    let task = format!("tasks({})", s.create("tasks", r#"{"subject":"Call back"}"#).await);
    assert_eq!(state_of(&s, &task).await, (json!(0), json!(2)));
    assert_eq!(s.patch(&task, &[], r#"{"statuscode":3}"#).await.status, StatusCode::NO_CONTENT);
    assert_eq!(state_of(&s, &task).await, (json!(0), json!(3)));
    assert_eq!(s.patch(&task, &[], r#"{"statecode":0}"#).await.status, StatusCode::NO_CONTENT);
    assert_eq!(state_of(&s, &task).await, (json!(0), json!(2)));
}

#[tokio::test]
async fn a_status_reason_of_another_state_is_refused() {
    let s = Server::start().await;
    let account = format!("accounts({FABRIKAM})");
    let r = s.patch(&account, &[], r#"{"statecode":1,"statuscode":1}"#).await;
    let message = r.assert_error(400, "0x80048408");
    assert_eq!(message, format!("1 is not a valid status code for state code AccountState.Inactive on account with Id {FABRIKAM}."));
    assert_eq!(state_of(&s, &account).await, (json!(0), json!(1)), "nothing changed");

    // A status reason alone must belong to the current state.
    let r = s.patch(&account, &[], r#"{"statuscode":2}"#).await;
    assert_eq!(r.assert_error(400, "0x80048408"), format!("2 is not a valid status code for state code AccountState.Active on account with Id {FABRIKAM}."));

    // On create the state is always the first one, so an inactive status reason fails there too.
    let before = s.count("accounts").await;
    let r = s.post("accounts", r#"{"name":"Born inactive","statecode":1,"statuscode":2}"#).await;
    assert!(r.assert_error(400, "0x80048408").starts_with("2 is not a valid status code for state code AccountState.Active on account with Id "));
    assert_eq!(s.count("accounts").await, before);

    // A value no state has is an option-set error.
    s.patch(&account, &[], r#"{"statuscode":99}"#).await.assert_error(400, "0x8004431a");
    let task = format!("tasks({})", s.create("tasks", r#"{"subject":"t"}"#).await);
    let r = s.patch(&task, &[], r#"{"statecode":1,"statuscode":6}"#).await;
    assert!(r.assert_error(400, "0x80048408").starts_with("6 is not a valid status code for state code TaskState.Completed on task with Id "));
}

#[tokio::test]
async fn a_closed_activity_is_read_only_until_reopened() {
    let s = Server::start().await;
    let task = format!("tasks({})", s.create("tasks", r#"{"subject":"Send the quote"}"#).await);
    assert_eq!(s.patch(&task, &[], r#"{"statecode":1,"statuscode":5}"#).await.status, StatusCode::NO_CONTENT);

    let r = s.patch(&task, &[], r#"{"subject":"Changed after completion"}"#).await;
    assert_eq!(r.assert_error(400, "0x8004022e"), "The object cannot be updated because it is read-only.");
    s.patch(&task, &[], r#"{"statecode":2,"statuscode":6}"#).await.assert_error(400, "0x8004022e");
    s.put(&format!("{task}/subject"), r#"{"value":"x"}"#).await.assert_error(400, "0x8004022e");
    assert_eq!(s.get(&format!("{task}?$select=subject")).await.json["subject"], "Send the quote");

    // Reopening is allowed, with other changes in the same request, and then anything is.
    let r = s.patch(&task, &[], r#"{"statecode":0,"subject":"Reopened"}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(state_of(&s, &task).await, (json!(0), json!(2)));
    assert_eq!(s.patch(&task, &[], r#"{"subject":"Edited"}"#).await.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn closed_phone_calls_are_read_only_to_every_update_but_can_be_deleted() {
    let s = Server::start().await;
    let body = json!({ "subject": "Missed call", "regardingobjectid_account_phonecall@odata.bind": format!("/accounts({FABRIKAM})") });
    let call = format!("phonecalls({})", s.create("phonecalls", &body.to_string()).await);
    assert_eq!(s.patch(&call, &[], r#"{"statecode":2}"#).await.status, StatusCode::NO_CONTENT);
    assert_eq!(state_of(&s, &call).await, (json!(2), json!(3)));
    s.patch(&call, &[], r#"{"description":"late note"}"#).await.assert_error(400, "0x8004022e");
    let items = json!({ "Targets": [{ "@odata.type": "Microsoft.Dynamics.CRM.phonecall", "activityid": call[11..47], "subject": "bulk" }] });
    let r = s.post("phonecalls/Microsoft.Dynamics.CRM.UpdateMultiple", &items.to_string()).await;
    assert_eq!(r.json["error"]["code"], "0x8004022e", "{}", r.text);

    // The platform's own changes aren't refused: deleting the account a closed call is
    // regarding cascades to the call.
    let other = s.create("accounts", r#"{"name":"Short-lived"}"#).await;
    let body = json!({ "subject": "Done", "regardingobjectid_account_phonecall@odata.bind": format!("/accounts({other})") });
    let done = format!("phonecalls({})", s.create("phonecalls", &body.to_string()).await);
    assert_eq!(s.patch(&done, &[], r#"{"statecode":1,"statuscode":2}"#).await.status, StatusCode::NO_CONTENT);
    assert_eq!(s.delete(&format!("accounts({other})")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(s.get(&done).await.status, StatusCode::NOT_FOUND);

    assert_eq!(s.delete(&call).await.status, StatusCode::NO_CONTENT);
}
