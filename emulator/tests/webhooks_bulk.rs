//! Webhooks and the bulk paths (issue 11: "through any path … bulk message"): CreateMultiple
//! fires the Create steps once per row, and a BulkDelete system job's deletes fire the
//! Delete steps when the job runs (on a later request to the org, like every system job).

use crate::common;
use crate::webhook_receiver;

use common::*;
use http::StatusCode;
use serde_json::{json, Value};
use webhook_receiver::*;

#[tokio::test]
async fn create_multiple_fires_the_create_steps_once_per_row() {
    let s = Server::start().await;
    let rx = Receiver::start(&[]).await;
    let se = endpoint(&s, &rx.url, 4, "k").await;
    step(&s, &se, CREATE, ACCOUNT_CREATE, 40, 0, None).await;
    let items: Vec<Value> = ["Bulk-1", "Bulk-2"].iter().map(|n| json!({"@odata.type": "Microsoft.Dynamics.CRM.account", "name": n})).collect();
    let r = s.post("accounts/Microsoft.Dynamics.CRM.CreateMultiple", &json!({ "Targets": items }).to_string()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let ids = r.json["Ids"].as_array().expect("Ids").clone();
    let got = rx.received();
    let seen: Vec<(Value, Value)> = got.iter().map(|d| (d.json["MessageName"].clone(), d.json["PrimaryEntityId"].clone())).collect();
    assert_eq!(seen, [(json!("Create"), ids[0].clone()), (json!("Create"), ids[1].clone())]);
    assert_eq!(got[0].json["CorrelationId"], got[1].json["CorrelationId"], "one request, one correlation");
    // UpdateMultiple likewise fires Update steps per row, with the row's changes as Target.
    step(&s, &se, UPDATE, ACCOUNT_UPDATE, 40, 0, None).await;
    let items: Vec<Value> = ids.iter().map(|id| json!({"@odata.type": "Microsoft.Dynamics.CRM.account", "accountid": id, "telephone1": "555"})).collect();
    let r = s.post("accounts/Microsoft.Dynamics.CRM.UpdateMultiple", &json!({ "Targets": items }).to_string()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let got = rx.received();
    assert_eq!(got.len(), 4);
    for (d, id) in got[2..].iter().zip(&ids) {
        assert_eq!(d.json["MessageName"], "Update");
        assert_eq!(d.json["PrimaryEntityId"], *id);
        assert_eq!(pair(&pair(&d.json["InputParameters"], "Target")["Attributes"], "telephone1"), "555");
    }
}

#[tokio::test]
async fn a_failing_synchronous_step_rolls_back_the_whole_create_multiple() {
    let s = Server::start().await;
    let rx = Receiver::start(&[200, 500]).await;
    let se = endpoint(&s, &rx.url, 4, "k").await;
    step(&s, &se, CREATE, ACCOUNT_CREATE, 40, 0, None).await;
    let items: Vec<Value> = ["Gone-1", "Gone-2"].iter().map(|n| json!({"@odata.type": "Microsoft.Dynamics.CRM.account", "name": n})).collect();
    let r = s.post("accounts/Microsoft.Dynamics.CRM.CreateMultiple", &json!({ "Targets": items }).to_string()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.json["error"]["code"], "0x80040265", "{}", r.text);
    let left = s.get("accounts?$select=name&$filter=startswith(name,'Gone-')").await.checked();
    assert_eq!(left.json["value"], json!([]), "neither row stays");
}

#[tokio::test]
async fn a_bulk_delete_job_fires_the_delete_steps_when_it_runs() {
    let s = Server::start().await;
    let rx = Receiver::start(&[]).await;
    let se = endpoint(&s, &rx.url, 4, "k").await;
    let id = s.create("accounts", r#"{"name":"Doomed"}"#).await;
    step(&s, &se, DELETE, ACCOUNT_DELETE, 40, 1, None).await;
    let body = json!({
        "JobName": "hooked", "SendEmailNotification": false, "ToRecipients": [], "CCRecipients": [],
        "RecurrencePattern": "", "StartDateTime": "2026-11-23T09:30:15Z",
        "QuerySet": [{
            "@odata.type": "Microsoft.Dynamics.CRM.QueryExpression", "EntityName": "account",
            "ColumnSet": {"AllColumns": false, "Columns": []},
            "Criteria": {"@odata.type": "Microsoft.Dynamics.CRM.FilterExpression", "FilterOperator": "And",
                "Conditions": [{"AttributeName": "accountid", "Operator": "Equal", "Values": [{"Value": id, "Type": "System.Guid"}]}]}
        }]
    });
    let r = s.post("BulkDelete", &body.to_string()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let job = r.json["JobId"].as_str().unwrap().to_string();
    // Two later requests run the job (In Progress, then the deletes and Succeeded).
    for _ in 0..2 {
        s.get(&format!("asyncoperations({job})?$select=statecode")).await.checked();
    }
    s.get(&format!("accounts({id})")).await.assert_error(404, "0x80040217");
    let got = rx.wait_for(1).await;
    assert_eq!(got[0].json["MessageName"], "Delete");
    assert_eq!(got[0].json["PrimaryEntityId"], json!(id));
}
