//! BulkDelete: the QueryExpression, the JobId, and the `asyncoperation` row moving from
//! Ready through In Progress to Succeeded while its rows go. Jobs step once per later
//! request (no timers), so the progress is deterministic.

use crate::common;

use common::*;
use http::StatusCode;
use serde_json::json;

fn bulk_delete(entity: &str, conditions: serde_json::Value) -> String {
    json!({
        "JobName": "Bulk delete test",
        "SendEmailNotification": false,
        "ToRecipients": [],
        "CCRecipients": [],
        "RecurrencePattern": "",
        "StartDateTime": "2026-11-23T09:30:15Z",
        "QuerySet": [{
            "@odata.type": "Microsoft.Dynamics.CRM.QueryExpression",
            "EntityName": entity,
            "ColumnSet": {"AllColumns": false, "Columns": []},
            "Criteria": {"@odata.type": "Microsoft.Dynamics.CRM.FilterExpression", "FilterOperator": "And", "Conditions": conditions}
        }]
    })
    .to_string()
}

#[tokio::test]
async fn the_job_moves_through_its_states_and_deletes_the_rows() {
    let s = Server::start().await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(s.create("accounts", &format!(r#"{{"name":"BD-{i}"}}"#)).await);
    }
    let values: Vec<_> = ids[..2].iter().map(|id| json!({"Value": id, "Type": "System.Guid"})).collect();
    let body = bulk_delete("account", json!([{"AttributeName": "accountid", "Operator": "In", "Values": values}]));
    let r = s.post("BulkDelete", &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#Microsoft.Dynamics.CRM.BulkDeleteResponse", s.base));
    let job = r.json["JobId"].as_str().expect("JobId").to_string();
    let path = format!("asyncoperations({job})?$select=name,operationtype,statecode,statuscode,startedon,completedon,messagename");
    // Each later request moves the job one step.
    let first = s.get(&path).await;
    assert_eq!((first.json["statecode"].as_i64(), first.json["statuscode"].as_i64()), (Some(2), Some(20)), "{}", first.text);
    assert_eq!(first.json["name"], "Bulk delete test");
    assert_eq!(first.json["operationtype"], 13);
    assert_eq!(first.json["messagename"], "BulkDelete");
    assert_eq!(first.json["startedon"], NOW);
    assert!(first.json["completedon"].is_null());
    let done = s.get(&path).await;
    assert_eq!((done.json["statecode"].as_i64(), done.json["statuscode"].as_i64()), (Some(3), Some(30)), "{}", done.text);
    assert_eq!(done.json["completedon"], NOW);
    s.get(&format!("accounts({})", ids[0])).await.assert_error(404, "0x80040217");
    s.get(&format!("accounts({})", ids[1])).await.assert_error(404, "0x80040217");
    assert_eq!(s.get(&format!("accounts({})?$select=name", ids[2])).await.json["name"], "BD-2");
    // Completed jobs stay completed.
    assert_eq!(s.get(&path).await.json["statecode"], 3);
}

#[tokio::test]
async fn a_batch_steps_jobs_once_not_per_part() {
    let s = Server::start().await;
    let body = bulk_delete("contact", json!([{"AttributeName": "lastname", "Operator": "BeginsWith", "Values": [{"Value": "nobody-", "Type": "System.String"}]}]));
    let job = s.post("BulkDelete", &body).await.json["JobId"].as_str().unwrap().to_string();
    // The batch request steps the job once (to In Progress); its parts don't step it again.
    let get = get_part(&format!("asyncoperations({job})?$select=statecode,statuscode"));
    let r = s.batch(&[], &[get.clone(), get]).await;
    let parts = batch_parts(&r);
    for p in &parts {
        assert!(p.body.contains(r#""statecode":2,"statuscode":20"#), "{}", p.body);
    }
}

#[tokio::test]
async fn conditions_use_the_query_engine() {
    let s = Server::start().await;
    for (name, n) in [("BQ-a", 5), ("BQ-b", 50), ("BQ-c", 500)] {
        s.create("accounts", &format!(r#"{{"name":"{name}","numberofemployees":{n}}}"#)).await;
    }
    let body = bulk_delete(
        "account",
        json!([
            {"AttributeName": "name", "Operator": "BeginsWith", "Values": [{"Value": "BQ-", "Type": "System.String"}]},
            {"AttributeName": "numberofemployees", "Operator": "GreaterThan", "Values": [{"Value": "10", "Type": "System.Int32"}]}
        ]),
    );
    assert_eq!(s.post("BulkDelete", &body).await.status, StatusCode::OK);
    s.get("WhoAmI").await;
    s.get("WhoAmI").await;
    let r = s.get("accounts?$select=name&$filter=startswith(name,'BQ-')").await;
    assert_eq!(column_of(&r, "name"), vec!["BQ-a"]);
}

#[tokio::test]
async fn bad_queries_fail_the_call_and_start_no_job() {
    let s = Server::start().await;
    let jobs = s.count("asyncoperations").await;
    let r = s.post("BulkDelete", &bulk_delete("nosuchtable", json!([]))).await;
    assert!(r.assert_error(400, "0x80040203").contains("nosuchtable"));
    let r = s.post("BulkDelete", &bulk_delete("account", json!([{"AttributeName": "nosuchcolumn", "Operator": "Equal", "Values": [1]}]))).await;
    assert!(r.assert_error(400, "0x80060888").contains("nosuchcolumn"));
    let r = s.post("BulkDelete", &bulk_delete("account", json!([{"AttributeName": "name", "Operator": "Equal", "Values": []}]))).await;
    r.assert_error(400, "0x80040203");
    let r = s.post("BulkDelete", &bulk_delete("account", json!([{"AttributeName": "numberofemployees", "Operator": "Equal", "Values": [{"Value": "abc", "Type": "System.Int32"}]}]))).await;
    r.assert_error(400, "0x80060888");
    assert_eq!(s.count("asyncoperations").await, jobs);
}
