//! Webhooks (§9): a service endpoint and a step registered through the Web API, and the
//! `RemoteExecutionContext` POSTed to a real local receiver after the write commits.

use crate::common;

use crate::webhook_receiver;

use common::*;
use http::StatusCode;
use serde_json::{json, Value};
use webhook_receiver::*;

#[tokio::test]
async fn the_seeded_messages_and_filters_are_there_to_register_against() {
    let s = Server::start().await;
    let r = s.get("sdkmessages?$filter=name%20eq%20'Update'&$select=name").await.checked();
    assert_eq!(r.json["value"][0]["sdkmessageid"], UPDATE, "{}", r.text);
    let r = s.get(&format!("sdkmessagefilters?$filter=primaryobjecttypecode%20eq%20'account'%20and%20_sdkmessageid_value%20eq%20{CREATE}")).await.checked();
    assert_eq!(r.json["value"][0]["sdkmessagefilterid"], ACCOUNT_CREATE, "{}", r.text);
}

#[tokio::test]
async fn authvalue_is_write_only() {
    let s = Server::start().await;
    let id = endpoint(&s, "http://127.0.0.1:9/x", 4, "secret").await;
    let r = s.get(&format!("serviceendpoints({id})")).await.checked();
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["url"], "http://127.0.0.1:9/x");
    assert!(r.json.get("authvalue").is_none(), "{}", r.text);
    assert!(!r.text.contains("secret"));
}

#[tokio::test]
async fn a_create_posts_the_remote_execution_context_with_the_webhook_key() {
    let s = Server::start().await;
    let rx = Receiver::start(&[]).await;
    let se = endpoint(&s, &rx.url, 4, "k3y/+").await;
    let st = step(&s, &se, CREATE, ACCOUNT_CREATE, 40, 0, None).await;
    image(&s, &st, 1, "PostImage", "name,accountid").await;
    let id = s.create("accounts", r#"{"name":"Contoso Ltd","revenue":100.5,"industrycode":1}"#).await;
    // Synchronous: delivered before the response came back.
    let got = rx.received();
    assert_eq!(got.len(), 1, "{got:?}");
    let d = &got[0];
    assert_eq!(d.uri, "/api/hook?code=k3y%2F%2B");
    assert_eq!(d.header("content-type"), Some("application/json"));
    assert_eq!(d.header("x-ms-dynamics-organization"), Some("127.0.0.1"));
    assert_eq!(d.header("x-ms-dynamics-entity-name"), Some("account"));
    assert_eq!(d.header("x-ms-dynamics-request-name"), Some("Create"));
    let correlation = d.header("x-ms-correlation-request-id").expect("correlation header");
    assert!(d.text.contains(r#""__type":"Entity:http:\/\/schemas.microsoft.com\/xrm\/2011\/Contracts""#), "slashes escaped: {}", d.text);
    let b = &d.json;
    let members: Vec<&str> = b.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        members,
        [
            "BusinessUnitId", "CorrelationId", "Depth", "InitiatingUserId", "InputParameters", "IsExecutingOffline", "IsInTransaction",
            "IsOfflinePlayback", "IsolationMode", "MessageName", "Mode", "OperationCreatedOn", "OperationId", "OrganizationId",
            "OrganizationName", "OutputParameters", "OwningExtension", "ParentContext", "PostEntityImages", "PreEntityImages",
            "PrimaryEntityId", "PrimaryEntityName", "RequestId", "SecondaryEntityName", "SharedVariables", "Stage", "UserId"
        ]
    );
    assert_eq!(b["MessageName"], "Create");
    assert_eq!(b["PrimaryEntityName"], "account");
    assert_eq!(b["PrimaryEntityId"], id.as_str());
    assert_eq!(b["Stage"], 40);
    assert_eq!(b["Mode"], 0);
    assert_eq!(b["Depth"], 1);
    assert_eq!(b["CorrelationId"], correlation);
    assert_eq!(b["InitiatingUserId"], CALLER);
    assert_eq!(b["UserId"], CALLER);
    assert_eq!(b["BusinessUnitId"], "5b3d8c1e-2f4a-4e6b-9c7d-000000000010");
    assert!(b["OrganizationId"].as_str().is_some_and(|o| o.len() == 36));
    assert_eq!(b["SecondaryEntityName"], "none");
    assert_eq!(b["OperationCreatedOn"], "/Date(1795426215000)/");
    assert_eq!(b["OwningExtension"], json!({"Id": st, "KeyAttributes": [], "LogicalName": "sdkmessageprocessingstep", "Name": null, "RowVersion": null}));
    assert_eq!(b["OutputParameters"], json!([{"key": "id", "value": id}]));
    let target = pair(&b["InputParameters"], "Target");
    assert_eq!(target["__type"], ENTITY_TYPE);
    assert_eq!(target.as_object().unwrap().keys().next().map(String::as_str), Some("__type"), "the type marker comes first");
    assert_eq!(target["LogicalName"], "account");
    assert_eq!(target["Id"], id.as_str());
    assert_eq!(pair(&target["Attributes"], "name"), "Contoso Ltd");
    assert_eq!(pair(&target["Attributes"], "accountid"), id.as_str());
    assert_eq!(pair(&target["Attributes"], "createdon"), "/Date(1795426215000)/");
    assert_eq!(pair(&target["Attributes"], "industrycode"), &json!({"__type": "OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts", "Value": 1}));
    assert_eq!(pair(&target["Attributes"], "revenue"), &json!({"__type": "Money:http://schemas.microsoft.com/xrm/2011/Contracts", "Value": 100.5}));
    let owner = pair(&target["Attributes"], "ownerid");
    assert_eq!(owner["__type"], "EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts");
    assert_eq!(owner["Id"], CALLER);
    assert_eq!(owner["LogicalName"], "systemuser");
    // The post image carries only its listed columns.
    let post = pair(&b["PostEntityImages"], "PostImage");
    let cols: Vec<&str> = post["Attributes"].as_array().unwrap().iter().map(|p| p["key"].as_str().unwrap()).collect();
    assert_eq!(cols, ["accountid", "name"]);
    assert_eq!(b["PreEntityImages"], json!([]));
    // The journal shows it.
    let j = s.get(&format!("/_emulator/webhooks/deliveries?url={}", rx.url)).await;
    assert_eq!(j.json["value"].as_array().map(Vec::len), Some(1), "{}", j.text);
    assert_eq!(j.json["value"][0]["status"], 200);
    assert_eq!(j.json["value"][0]["succeeded"], true);
}

#[tokio::test]
async fn update_fires_only_for_its_filtering_attributes_with_pre_and_post_images() {
    let s = Server::start().await;
    let rx = Receiver::start(&[]).await;
    let se = endpoint(&s, &rx.url, 5, r#"<settings><setting name="x-api-key" value="h3ader" /></settings>"#).await;
    let st = step(&s, &se, UPDATE, ACCOUNT_UPDATE, 40, 0, Some("name,telephone1")).await;
    image(&s, &st, 2, "Image", "name").await;
    let id = s.create("accounts", r#"{"name":"Before","websiteurl":"a.example"}"#).await;
    s.patch(&format!("accounts({id})"), &[], r#"{"websiteurl":"b.example"}"#).await;
    assert!(rx.received().is_empty(), "websiteurl is not a filtering attribute");
    let r = s.patch(&format!("accounts({id})"), &[], r#"{"name":"After"}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let got = rx.received();
    assert_eq!(got.len(), 1);
    let d = &got[0];
    assert_eq!(d.uri, "/api/hook", "HttpHeader auth leaves the URL alone");
    assert_eq!(d.header("x-api-key"), Some("h3ader"));
    assert_eq!(d.header("x-ms-dynamics-request-name"), Some("Update"));
    let b = &d.json;
    assert_eq!(b["MessageName"], "Update");
    let target = pair(&b["InputParameters"], "Target");
    assert_eq!(pair(&target["Attributes"], "name"), "After");
    assert_eq!(pair(&target["Attributes"], "websiteurl"), &Value::Null, "only the changed columns are in the target");
    let pre = pair(&b["PreEntityImages"], "Image");
    let post = pair(&b["PostEntityImages"], "Image");
    assert_eq!(pre["Attributes"], json!([{"key": "name", "value": "Before"}]));
    assert_eq!(post["Attributes"], json!([{"key": "name", "value": "After"}]));
    assert_eq!(b["OutputParameters"], json!([]));
}

#[tokio::test]
async fn delete_sends_a_reference_target_and_the_query_string_auth() {
    let s = Server::start().await;
    let rx = Receiver::start(&[]).await;
    let se = endpoint(&s, &rx.url, 6, r#"<settings><setting name="k1" value="v 1" /><setting name="k2" value="v2" /></settings>"#).await;
    let st = step(&s, &se, DELETE, ACCOUNT_DELETE, 40, 0, None).await;
    image(&s, &st, 0, "Pre", "").await;
    let id = s.create("accounts", r#"{"name":"Doomed"}"#).await;
    assert_eq!(s.delete(&format!("accounts({id})")).await.status, StatusCode::NO_CONTENT);
    let got = rx.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].uri, "/api/hook?k1=v%201&k2=v2");
    let b = &got[0].json;
    let target = pair(&b["InputParameters"], "Target");
    assert_eq!(target, &json!({"__type": "EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts", "Id": id, "KeyAttributes": [], "LogicalName": "account", "Name": null, "RowVersion": null}));
    let pre = pair(&b["PreEntityImages"], "Pre");
    assert_eq!(pair(&pre["Attributes"], "name"), "Doomed", "an image with no column list carries every column");
    assert_eq!(b["PostEntityImages"], json!([]));
}

#[tokio::test]
async fn a_rolled_back_changeset_delivers_nothing_and_a_committed_one_delivers_after_commit() {
    let s = Server::start().await;
    let rx = Receiver::start(&[]).await;
    let se = endpoint(&s, &rx.url, 4, "k").await;
    step(&s, &se, CREATE, ACCOUNT_CREATE, 40, 0, None).await;
    let post = |id: &str, body: &str| http_part(Some(id), "POST", "accounts", &[], Some(body));
    let failed = [post("1", r#"{"name":"Lost-1"}"#), post("2", r#"{"name":"Lost-2","numberofemployees":"many"}"#)];
    let r = s.batch(&[], &[changeset("cs_fail", &failed)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(rx.received().is_empty(), "a rolled-back changeset notifies no one");
    let ok = [post("1", r#"{"name":"Kept-1"}"#), post("2", r#"{"name":"Kept-2"}"#)];
    let r = s.batch(&[], &[changeset("cs_ok", &ok)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let names: Vec<Value> = rx.received().iter().map(|d| pair(&pair(&d.json["InputParameters"], "Target")["Attributes"], "name").clone()).collect();
    assert_eq!(names, [json!("Kept-1"), json!("Kept-2")]);
    // Both deliveries of one request share its correlation id.
    let got = rx.received();
    assert_eq!(got[0].json["CorrelationId"], got[1].json["CorrelationId"]);
}

#[tokio::test]
async fn asynchronous_steps_retry_once_on_503() {
    let s = Server::start().await;
    let rx = Receiver::start(&[503]).await;
    let se = endpoint(&s, &rx.url, 4, "k").await;
    step(&s, &se, CREATE, ACCOUNT_CREATE, 40, 1, None).await;
    s.create("accounts", r#"{"name":"Async"}"#).await;
    let got = rx.wait_for(2).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].json["Mode"], 1);
    assert_eq!(got[0].text, got[1].text, "the retry sends the same context");
    // Run after the operation, it names the operation's main stage as its parent.
    let parent = &got[0].json["ParentContext"];
    assert_eq!((&parent["MessageName"], &parent["Stage"], &parent["Mode"]), (&json!("Create"), &json!(30), &json!(0)), "{parent}");
    assert_eq!(parent["CorrelationId"], got[0].json["CorrelationId"]);
    assert_eq!(pair(&pair(&parent["InputParameters"], "Target")["Attributes"], "name"), "Async");
    // The journal records both attempts (the second is recorded once the receiver answers).
    let mut journal;
    loop {
        journal = s.get("/_emulator/webhooks/deliveries").await.json;
        if journal["value"].as_array().is_some_and(|v| v.len() == 2) {
            break;
        }
        tokio::task::yield_now().await;
    }
    let outcomes: Vec<(Value, Value, Value)> =
        journal["value"].as_array().unwrap().iter().map(|a| (a["attempt"].clone(), a["status"].clone(), a["retryinms"].clone())).collect();
    assert_eq!(outcomes, [(json!(1), json!(503), json!(500)), (json!(2), json!(200), Value::Null)]);
    // The delivery's system job ends Succeeded after one retry.
    let job = journal["value"][0]["asyncoperationid"].as_str().expect("an asyncoperation per asynchronous delivery").to_string();
    assert_eq!(journal["value"][1]["asyncoperationid"], job.as_str());
    let row = job_when_completed(&s, &job).await;
    assert_eq!((&row["statecode"], &row["statuscode"], &row["retrycount"]), (&json!(3), &json!(30), &json!(1)), "{row}");
    assert_eq!((&row["operationtype"], &row["messagename"], &row["primaryentitytype"]), (&json!(1), &json!("Create"), &json!("account")));
    assert_eq!(row["depth"], 1);
    assert_eq!(row["correlationid"], got[0].json["CorrelationId"]);
    assert_eq!(s.delete("/_emulator/webhooks/deliveries").await.status, StatusCode::NO_CONTENT);
    assert_eq!(s.get("/_emulator/webhooks/deliveries").await.json["value"], json!([]));
}

#[tokio::test]
async fn a_failing_synchronous_receiver_is_not_retried_on_other_statuses_and_is_journaled() {
    let s = Server::start().await;
    let rx = Receiver::start(&[500]).await;
    let se = endpoint(&s, &rx.url, 4, "k").await;
    step(&s, &se, CREATE, ACCOUNT_CREATE, 40, 0, None).await;
    let r = s.post("accounts", r#"{"name":"Fails"}"#).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(rx.received().len(), 1, "a 500 is not retried");
    let j = s.get("/_emulator/webhooks/deliveries").await.json;
    assert_eq!(j["value"][0]["status"], 500);
    assert_eq!(j["value"][0]["succeeded"], false);
    // Steps on another table, or disabled ones, don't fire.
    s.create("contacts", r#"{"lastname":"Elsewhere"}"#).await;
    assert_eq!(rx.received().len(), 1);
}

/// The `asyncoperation` row once its job completed (the delivery task moves it there just
/// after journaling the last attempt).
async fn job_when_completed(s: &Server, id: &str) -> Value {
    loop {
        let r = s.get(&format!("asyncoperations({id})")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        if r.json["statecode"] == 3 {
            return r.json;
        }
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn a_failing_asynchronous_receiver_fails_its_system_job_and_not_the_operation() {
    let s = Server::start().await;
    let rx = Receiver::start(&[500]).await;
    let se = endpoint(&s, &rx.url, 4, "k3y").await;
    step(&s, &se, CREATE, ACCOUNT_CREATE, 40, 1, None).await;
    let id = s.create("accounts", r#"{"name":"Async failure"}"#).await;
    let r = s.get(&format!("/_emulator/webhooks/wait?url={}&count=1&timeout=10000", rx.url)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let job = r.json["value"][0]["asyncoperationid"].as_str().unwrap().to_string();
    let row = job_when_completed(&s, &job).await;
    assert_eq!((&row["statecode"], &row["statuscode"], &row["retrycount"]), (&json!(3), &json!(31), &json!(0)), "{row}");
    let message = row["message"].as_str().unwrap();
    assert!(message.contains("HTTP status 500") && !message.contains("k3y"), "{message}");
    assert_eq!(row["_regardingobjectid_value"], id.as_str());
    assert_eq!(row["_owningextensionid_value"], r.json["value"][0]["step"]);
    assert_eq!(rx.received().len(), 1, "a 500 is not retried");
}
