//! Webhooks inside the operation (§9.3): synchronous steps run before the write commits and
//! a failing receiver rolls it back (a whole changeset too); Depth follows the correlation
//! id a receiver calls back with, up to the loop guard; Assign and SetState fire from an
//! Update; the admin API's wait endpoint; the 256 KB limit.

use crate::common;
use crate::webhook_receiver;

use common::*;
use http::StatusCode;
use serde_json::{json, Value};
use webhook_receiver::*;

/// The account's name, or `None` when there is no such account.
async fn account_name(s: &Server, id: &str) -> Option<Value> {
    let r = s.get(&format!("accounts({id})?$select=name")).await;
    (r.status == StatusCode::OK).then(|| r.json["name"].clone())
}

async fn account_count(s: &Server, name: &str) -> usize {
    let r = s.get(&format!("accounts?$select=name&$filter=name%20eq%20'{name}'")).await.checked();
    r.json["value"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn a_synchronous_receiver_failing_rolls_the_create_back_with_the_pipeline_error() {
    let s = Server::start().await;
    let rx = Receiver::start(&[500]).await;
    let se = endpoint(&s, &rx.url, 4, "secret-key").await;
    step(&s, &se, CREATE, ACCOUNT_CREATE, 40, 0, None).await;
    let r = s.post("accounts", r#"{"name":"Rolled back"}"#).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.json["error"]["code"], "0x80040265", "{}", r.text);
    let message = r.json["error"]["message"].as_str().unwrap();
    assert!(message.contains("HTTP status 500"), "{message}");
    assert!(!message.contains("secret-key"), "the webhook key stays secret: {message}");
    assert_eq!(rx.received().len(), 1);
    // The receiver saw the row inside the transaction; nobody else ever will.
    assert_eq!(rx.received()[0].json["IsInTransaction"], true);
    assert_eq!(account_count(&s, "Rolled%20back").await, 0);
    // The next create goes through (the script is used up: 200).
    s.create("accounts", r#"{"name":"Kept"}"#).await;
    assert_eq!(account_count(&s, "Kept").await, 1);
}

#[tokio::test]
async fn an_unreachable_synchronous_receiver_fails_the_update_and_leaves_the_row_alone() {
    let s = Server::start().await;
    // A port nothing listens on: bind, note it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let se = endpoint(&s, &format!("http://127.0.0.1:{port}/hook"), 4, "k").await;
    let id = s.create("accounts", r#"{"name":"Before"}"#).await;
    step(&s, &se, UPDATE, ACCOUNT_UPDATE, 20, 0, None).await;
    let r = s.patch(&format!("accounts({id})"), &[], r#"{"name":"After"}"#).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.json["error"]["code"], "0x80040265");
    assert!(r.json["error"]["message"].as_str().unwrap().contains("could not be reached"), "{}", r.text);
    assert_eq!(account_name(&s, &id).await, Some(json!("Before")));
    let j = s.get("/_emulator/webhooks/deliveries").await.json;
    assert_eq!(j["value"][0]["succeeded"], false);
    assert!(j["value"][0]["error"].is_string(), "{j}");
}

#[tokio::test]
async fn pre_operation_steps_run_before_post_operation_ones_with_their_own_context() {
    let s = Server::start().await;
    let rx = Receiver::start(&[]).await;
    let se = endpoint(&s, &rx.url, 4, "k").await;
    // Registered post-operation first: the order comes from the stage, not the registration.
    let post = step(&s, &se, CREATE, ACCOUNT_CREATE, 40, 0, None).await;
    let pre = step(&s, &se, CREATE, ACCOUNT_CREATE, 20, 0, None).await;
    let validation = step(&s, &se, CREATE, ACCOUNT_CREATE, 10, 0, None).await;
    let id = s.create("accounts", r#"{"name":"Staged"}"#).await;
    let got = rx.received();
    let stages: Vec<(Value, Value)> = got.iter().map(|d| (d.json["Stage"].clone(), d.json["OwningExtension"]["Id"].clone())).collect();
    assert_eq!(stages, [(json!(10), json!(validation)), (json!(20), json!(pre)), (json!(40), json!(post))]);
    assert_eq!(got[0].json["IsInTransaction"], false, "pre-validation runs before the transaction");
    assert_eq!(got[1].json["IsInTransaction"], true);
    assert_eq!(got[1].json["OutputParameters"], json!([]), "no id before the main operation");
    assert_eq!(got[2].json["OutputParameters"], json!([{"key": "id", "value": id}]));
    assert!(got.iter().all(|d| d.json["CorrelationId"] == got[0].json["CorrelationId"]));
}

#[tokio::test]
async fn a_synchronous_failure_inside_a_changeset_rolls_the_whole_changeset_back() {
    let s = Server::start().await;
    // The first create's call succeeds, the second's fails.
    let rx = Receiver::start(&[200, 500]).await;
    let se = endpoint(&s, &rx.url, 4, "k").await;
    step(&s, &se, CREATE, ACCOUNT_CREATE, 40, 0, None).await;
    let part = |id: &str, body: &str| http_part(Some(id), "POST", "accounts", &[], Some(body));
    let parts = [part("1", r#"{"name":"Changeset-1"}"#), part("2", r#"{"name":"Changeset-2"}"#)];
    let r = s.batch(&[], &[changeset("cs_hook", &parts)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.text.contains("0x80040265"), "{}", r.text);
    assert_eq!(rx.received().len(), 2, "both creates were called before the commit");
    assert_eq!(account_count(&s, "Changeset-1").await, 0, "the first create rolled back with the second");
    assert_eq!(account_count(&s, "Changeset-2").await, 0);
}

#[tokio::test]
async fn a_failed_synchronous_step_queues_no_asynchronous_delivery() {
    let s = Server::start().await;
    let sync_rx = Receiver::start(&[503, 503]).await;
    let async_rx = Receiver::start(&[]).await;
    let sync_se = endpoint(&s, &sync_rx.url, 4, "k").await;
    let async_se = endpoint(&s, &async_rx.url, 4, "k").await;
    step(&s, &async_se, CREATE, ACCOUNT_CREATE, 40, 1, None).await;
    step(&s, &sync_se, CREATE, ACCOUNT_CREATE, 40, 0, None).await;
    let r = s.post("accounts", r#"{"name":"Never"}"#).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(sync_rx.received().len(), 2, "a 503 is retried once, synchronously too");
    // A later successful create reaches the asynchronous receiver; the failed one never did.
    s.create("accounts", r#"{"name":"Later"}"#).await;
    let got = async_rx.wait_for(1).await;
    let target = pair(&got[0].json["InputParameters"], "Target");
    assert_eq!(pair(&target["Attributes"], "name"), "Later");
    let r = s.get(&format!("/_emulator/webhooks/wait?url={}&count=1&timeout=5000", async_rx.url)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["value"].as_array().map(Vec::len), Some(1), "{}", r.text);
}

#[tokio::test]
async fn depth_follows_the_correlation_a_receiver_calls_back_with_up_to_the_loop_guard() {
    let s = Server::start().await;
    let rx = Receiver::start(&[]).await;
    let se = endpoint(&s, &rx.url, 4, "k").await;
    let id = s.create("accounts", r#"{"name":"v0"}"#).await;
    step(&s, &se, UPDATE, ACCOUNT_UPDATE, 40, 1, None).await;
    s.patch(&format!("accounts({id})"), &[], r#"{"name":"v1"}"#).await;
    // The test plays the receiver's logic: each context it gets, it answers by updating
    // the row again with the correlation id it was sent, as a plug-in's call would.
    let mut correlation = String::new();
    for depth in 1..=8 {
        let got = rx.wait_for(depth).await;
        let context = &got[depth - 1].json;
        assert_eq!(context["Depth"], depth, "{context}");
        correlation = context["CorrelationId"].as_str().unwrap().to_string();
        assert_eq!(got[depth - 1].header("x-ms-correlation-request-id"), Some(correlation.as_str()));
        let body = json!({"name": format!("v{}", depth + 1)}).to_string();
        let r = s.patch(&format!("accounts({id})"), &[("x-ms-correlation-request-id", &correlation)], &body).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    }
    // The ninth context is refused by the loop guard: journaled, never sent.
    let r = s.get(&format!("/_emulator/webhooks/wait?url={}&count=9&timeout=10000", rx.url)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let refused = &r.json["value"][8];
    assert_eq!(refused["depth"], 9);
    assert_eq!(refused["attempt"], 0);
    assert!(refused["error"].as_str().unwrap().contains("infinite loop"), "{refused}");
    assert_eq!(rx.received().len(), 8);
    // A synchronous step at that depth fails the operation itself with the guard's error.
    step(&s, &se, UPDATE, ACCOUNT_UPDATE, 40, 0, None).await;
    let r = s.patch(&format!("accounts({id})"), &[("x-ms-correlation-request-id", &correlation)], r#"{"name":"too deep"}"#).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.json["error"]["code"], "0x80044182", "{}", r.text);
    assert_eq!(account_name(&s, &id).await, Some(json!("v9")));
}

#[tokio::test]
async fn a_correlation_id_the_emulator_never_sent_starts_afresh_at_depth_one() {
    let s = Server::start().await;
    let rx = Receiver::start(&[]).await;
    let se = endpoint(&s, &rx.url, 4, "k").await;
    step(&s, &se, CREATE, ACCOUNT_CREATE, 40, 0, None).await;
    // A client that tags every request with its own tracing id never accumulates depth.
    let own = "0e0e0e0e-1111-4222-8333-444444444444";
    for i in 0..10 {
        let r = s.post_with("accounts", &[("x-ms-correlation-request-id", own)], &json!({"name": format!("Traced {i}")}).to_string()).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    }
    let got = rx.received();
    assert_eq!(got.len(), 10);
    assert!(got.iter().all(|d| d.json["Depth"] == 1 && d.json["CorrelationId"] != own), "{:?}", got.iter().map(|d| &d.json["Depth"]).collect::<Vec<_>>());
}

#[tokio::test]
async fn updating_the_owner_and_the_state_fires_assign_and_set_state_with_the_update_as_parent() {
    let s = Server::start().await;
    let rx = Receiver::start(&[]).await;
    let se = endpoint(&s, &rx.url, 4, "k").await;
    let id = s.create("accounts", r#"{"name":"Moving"}"#).await;
    step(&s, &se, ASSIGN, "", 40, 0, None).await;
    step(&s, &se, SET_STATE, "", 40, 0, None).await;
    s.patch(&format!("accounts({id})"), &[], r#"{"name":"Renamed"}"#).await;
    assert!(rx.received().is_empty(), "a plain update is neither an Assign nor a SetState");
    let body = json!({"ownerid@odata.bind": format!("/systemusers({AGENT})")}).to_string();
    assert_eq!(s.patch(&format!("accounts({id})"), &[], &body).await.status, StatusCode::NO_CONTENT);
    let got = rx.received();
    assert_eq!(got.len(), 1);
    let assign = &got[0].json;
    assert_eq!(got[0].header("x-ms-dynamics-request-name"), Some("Assign"));
    assert_eq!(assign["MessageName"], "Assign");
    assert_eq!(pair(&assign["InputParameters"], "Target")["Id"], id.as_str());
    let assignee = pair(&assign["InputParameters"], "Assignee");
    assert_eq!((&assignee["LogicalName"], &assignee["Id"]), (&json!("systemuser"), &json!(AGENT)));
    let parent = &assign["ParentContext"];
    assert_eq!((&parent["MessageName"], &parent["Stage"]), (&json!("Update"), &json!(30)), "{assign}");
    assert_eq!(parent["ParentContext"], Value::Null);
    assert_eq!(pair(&pair(&parent["InputParameters"], "Target")["Attributes"], "ownerid")["Id"], AGENT);
    let r = s.patch(&format!("accounts({id})"), &[], r#"{"statecode":1,"statuscode":2}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let got = rx.received();
    assert_eq!(got.len(), 2);
    let set_state = &got[1].json;
    assert_eq!(set_state["MessageName"], "SetState");
    assert_eq!(pair(&set_state["InputParameters"], "EntityMoniker")["Id"], id.as_str());
    assert_eq!(pair(&set_state["InputParameters"], "State"), &json!({"__type": "OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts", "Value": 1}));
    assert_eq!(pair(&set_state["InputParameters"], "Status")["Value"], 2);
}

#[tokio::test]
async fn the_wait_endpoint_times_out_with_a_count_and_rejects_bad_parameters() {
    let s = Server::start().await;
    let rx = Receiver::start(&[]).await;
    let r = s.get(&format!("/_emulator/webhooks/wait?url={}&count=1&timeout=50", rx.url)).await;
    assert_eq!(r.status, StatusCode::REQUEST_TIMEOUT, "{}", r.text);
    assert_eq!(r.json["error"]["code"], "Timeout");
    assert!(r.json["error"]["message"].as_str().unwrap().starts_with("0 of 1"), "{}", r.text);
    let r = s.get("/_emulator/webhooks/wait?count=1").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let r = s.get(&format!("/_emulator/webhooks/wait?url={}&count=many", rx.url)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let r = s.get(&format!("/_emulator/webhooks/wait?url={}&timeout=9999999", rx.url)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let r = s.send(http::Method::POST, "/_emulator/webhooks/wait", &[], Some("{}")).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{}", r.text);
    // Zero deliveries are there at once.
    let r = s.get(&format!("/_emulator/webhooks/wait?url={}&count=0", rx.url)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["value"], json!([]));
}

#[tokio::test]
async fn a_context_over_256_kb_drops_its_large_members_and_says_so() {
    let s = Server::start().await;
    let rx = Receiver::start(&[]).await;
    let se = endpoint(&s, &rx.url, 4, "k").await;
    // Email descriptions are unbounded; a step with no filter fires for every table.
    step(&s, &se, CREATE, "", 40, 0, None).await;
    let big = "x".repeat(300 * 1024);
    let id = s.create("emails", &json!({"subject": "Big", "description": big}).to_string()).await;
    let got = rx.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].header("x-ms-dynamics-msg-size-exceeded"), Some("true"));
    let b = &got[0].json;
    assert_eq!(b["InputParameters"], json!([]));
    assert_eq!((&b["PreEntityImages"], &b["PostEntityImages"], &b["ParentContext"]), (&json!([]), &json!([]), &Value::Null));
    assert_eq!(b["PrimaryEntityId"], id.as_str(), "the small members stay");
    assert!(got[0].text.len() < 256 * 1024);
    // A small one is sent whole, without the header.
    s.create("emails", r#"{"subject":"Small"}"#).await;
    let got = rx.received();
    assert_eq!(got[1].header("x-ms-dynamics-msg-size-exceeded"), None);
    assert_eq!(pair(&got[1].json["InputParameters"], "Target")["LogicalName"], "email");
}

#[tokio::test]
async fn associating_and_disassociating_fire_their_steps_with_the_relationship() {
    let s = Server::start().await;
    let rx = Receiver::start(&[]).await;
    let se = endpoint(&s, &rx.url, 4, "k").await;
    let filter = |message: &str| format!("sdkmessagefilters?$select=sdkmessagefilterid&$filter=primaryobjecttypecode%20eq%20'account'%20and%20_sdkmessageid_value%20eq%20{message}");
    let associate_filter = s.get(&filter(ASSOCIATE)).await.json["value"][0]["sdkmessagefilterid"].as_str().expect("an account Associate filter").to_string();
    step(&s, &se, ASSOCIATE, &associate_filter, 40, 0, None).await;
    step(&s, &se, DISASSOCIATE, "", 40, 0, None).await;
    let account = s.create("accounts", r#"{"name":"Linked"}"#).await;
    let lead = s.create("leads", r#"{"lastname":"Prospect"}"#).await;
    let link = json!({"@odata.id": format!("{}leads({lead})", s.base)}).to_string();
    let r = s.post(&format!("accounts({account})/accountleads_association/$ref"), &link).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let got = rx.received();
    assert_eq!(got.len(), 1);
    let b = &got[0].json;
    assert_eq!(got[0].header("x-ms-dynamics-request-name"), Some("Associate"));
    assert_eq!((&b["MessageName"], &b["PrimaryEntityName"], &b["SecondaryEntityName"]), (&json!("Associate"), &json!("account"), &json!("lead")));
    assert_eq!(pair(&b["InputParameters"], "Target")["Id"], account.as_str());
    assert_eq!(pair(&b["InputParameters"], "Relationship"), &json!({"__type": "Relationship:http://schemas.microsoft.com/xrm/2011/Contracts", "PrimaryEntityRole": null, "SchemaName": "accountleads_association"}));
    let related = pair(&b["InputParameters"], "RelatedEntities");
    assert_eq!((&related[0]["LogicalName"], &related[0]["Id"]), (&json!("lead"), &json!(lead)));
    let r = s.delete(&format!("accounts({account})/accountleads_association({lead})/$ref")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let got = rx.received();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].json["MessageName"], "Disassociate");
}

#[tokio::test]
async fn every_table_has_filters_for_the_messages_it_supports() {
    let s = Server::start().await;
    let count = |table: &str, message: &str| {
        format!("sdkmessagefilters?$select=sdkmessagefilterid&$filter=primaryobjecttypecode%20eq%20'{table}'%20and%20_sdkmessageid_value%20eq%20{message}")
    };
    for table in ["account", "contact", "lead", "incident", "task", "email", "annotation", "team"] {
        for message in [CREATE, UPDATE, DELETE, ASSOCIATE, DISASSOCIATE] {
            let r = s.get(&count(table, message)).await.checked();
            assert_eq!(r.json["value"].as_array().map(Vec::len), Some(1), "{table} {message}: {}", r.text);
        }
    }
    // Assign only where rows have owners, SetState only where they have a state.
    let r = s.get(&count("account", ASSIGN)).await.checked();
    assert_eq!(r.json["value"].as_array().map(Vec::len), Some(1), "{}", r.text);
    let r = s.get(&count("transactioncurrency", ASSIGN)).await.checked();
    assert_eq!(r.json["value"], json!([]), "currencies are organization-owned");
    let r = s.get(&count("task", SET_STATE)).await.checked();
    assert_eq!(r.json["value"].as_array().map(Vec::len), Some(1), "{}", r.text);
}

#[tokio::test]
async fn an_https_receiver_with_a_certificate_from_a_trusted_ca_is_reached_and_an_untrusted_one_is_not() {
    let dir = std::env::temp_dir().join(format!("dv-webhook-tls-{}-{}", std::process::id(), uuid::Uuid::new_v4()));
    let tls = dataverse_emulator::server::tls::generated(&dir).expect("a local CA and a localhost certificate");
    let ca = tls.ca_file.clone().expect("the CA file");
    let rx = Receiver::start_tls(&[], tls.acceptor).await;
    assert!(rx.url.starts_with("https://127.0.0.1:"));
    // Without the CA the handshake fails, and so does the synchronous operation.
    let s = Server::start().await;
    let se = endpoint(&s, &rx.url, 4, "k").await;
    step(&s, &se, CREATE, ACCOUNT_CREATE, 40, 0, None).await;
    let r = s.post("accounts", r#"{"name":"Untrusted"}"#).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(r.json["error"]["message"].as_str().unwrap().contains("TLS handshake"), "{}", r.text);
    assert!(rx.received().is_empty());
    // Trusting it (as the emulator does with its own CA when it serves HTTPS), it works.
    let org = dataverse_emulator::Org::default_org(dataverse_emulator::Clock::system()).unwrap();
    let app = dataverse_emulator::App::with_org(org);
    app.webhooks().trust_ca_file(&ca).unwrap();
    let s = Server::start_app(app).await;
    let se = endpoint(&s, &rx.url, 4, "k3y").await;
    step(&s, &se, CREATE, ACCOUNT_CREATE, 40, 0, None).await;
    let id = s.create("accounts", r#"{"name":"Trusted"}"#).await;
    let got = rx.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].uri, "/api/hook?code=k3y");
    assert_eq!(got[0].json["PrimaryEntityId"], id.as_str());
    let _ = std::fs::remove_dir_all(&dir);
}

/// What a synchronous receiver saw calling back: (method, path, status, body).
type CallBack = (&'static str, String, u16, Value);

/// A receiver that, before answering 200, calls the org back with the correlation id it
/// was sent: reads the row the operation is writing, reads Fabrikam, and tries to write
/// Fabrikam. Returns its URL and what it saw.
async fn calling_back_receiver(base: String) -> (String, std::sync::Arc<std::sync::Mutex<Vec<CallBack>>>, tokio::task::JoinHandle<()>) {
    use http_body_util::{BodyExt, Full};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let seen: std::sync::Arc<std::sync::Mutex<Vec<CallBack>>> = Default::default();
    let log = seen.clone();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (log, base) = (log.clone(), base.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let (log, base) = (log.clone(), base.clone());
                    async move {
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        let context: Value = serde_json::from_slice(&body).unwrap();
                        let correlation = context["CorrelationId"].as_str().unwrap().to_string();
                        let target = context["PrimaryEntityId"].as_str().unwrap().to_string();
                        let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http::<Full<bytes::Bytes>>();
                        let calls = [
                            ("GET", format!("accounts({target})?$select=name"), ""),
                            ("GET", format!("accounts({FABRIKAM})?$select=name"), ""),
                            ("PATCH", format!("accounts({FABRIKAM})"), r#"{"name":"Written back"}"#),
                        ];
                        for (method, path, body) in calls {
                            let back = http::Request::builder()
                                .method(method)
                                .uri(format!("{base}{path}"))
                                .header("x-ms-correlation-request-id", &correlation)
                                .header("content-type", "application/json")
                                .body(Full::new(bytes::Bytes::from(body)))
                                .unwrap();
                            let resp = client.request(back).await.unwrap();
                            let status = resp.status().as_u16();
                            let text = resp.into_body().collect().await.unwrap().to_bytes();
                            log.lock().unwrap().push((method, path, status, serde_json::from_slice(&text).unwrap_or(Value::Null)));
                        }
                        Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(bytes::Bytes::new())))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new().serve_connection(hyper_util::rt::TokioIo::new(stream), service).await;
            });
        }
    });
    (url, seen, task)
}

#[tokio::test]
async fn a_synchronous_receiver_calling_back_reads_the_org_as_committed_before_the_write() {
    let s = Server::start().await;
    let (url, seen, task) = calling_back_receiver(s.base.clone()).await;
    let se = endpoint(&s, &url, 4, "k").await;

    // Post-operation Create: the new row is not committed yet, so reading it back finds
    // nothing; other rows read as usual; writing is refused at once, not after a timeout.
    let create = step(&s, &se, CREATE, ACCOUNT_CREATE, 40, 0, None).await;
    let id = s.create("accounts", r#"{"name":"Calls back"}"#).await;
    let calls = std::mem::take(&mut *seen.lock().unwrap());
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert_eq!((calls[0].1.as_str(), calls[0].2), (format!("accounts({id})?$select=name").as_str(), 404), "{calls:?}");
    assert_eq!(calls[0].3["error"]["code"], "0x80040217");
    assert_eq!(calls[1].2, 200, "{calls:?}");
    assert_eq!(calls[1].3["name"], "Fabrikam, Inc.");
    assert_eq!(calls[2].2, 501, "{calls:?}");
    assert_eq!(calls[2].3["error"]["code"], "0x80040315");
    assert!(calls[2].3["error"]["message"].as_str().unwrap().contains("cannot write"), "{calls:?}");
    // The create itself went through, and the refused write left Fabrikam alone.
    assert_eq!(s.get(&format!("accounts({id})?$select=name")).await.json["name"], "Calls back");
    assert_eq!(s.get(&format!("accounts({FABRIKAM})?$select=name")).await.json["name"], "Fabrikam, Inc.");
    s.delete(&format!("sdkmessageprocessingsteps({create})")).await;

    // Pre-operation Update: the receiver reads the row as it was before the update.
    step(&s, &se, UPDATE, ACCOUNT_UPDATE, 20, 0, None).await;
    let r = s.patch(&format!("accounts({id})"), &[], r#"{"name":"Renamed"}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let calls = seen.lock().unwrap().clone();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert_eq!(calls[0].2, 200, "{calls:?}");
    assert_eq!(calls[0].3["name"], "Calls back");
    assert_eq!(s.get(&format!("accounts({id})?$select=name")).await.json["name"], "Renamed");
    task.abort();
}

#[tokio::test]
async fn asynchronous_jobs_move_along_while_a_synchronous_step_holds_the_org() {
    // One current-thread runtime serves the emulator, both receivers and this test: the
    // asynchronous job's updates must wait for the org's lock off that thread.
    let s = Server::start().await;
    let async_rx = Receiver::start(&[]).await;
    let sync_rx = Receiver::start(&[]).await;
    let async_se = endpoint(&s, &async_rx.url, 4, "k").await;
    let sync_se = endpoint(&s, &sync_rx.url, 4, "k").await;
    step(&s, &async_se, CREATE, ACCOUNT_CREATE, 40, 1, None).await;
    step(&s, &sync_se, UPDATE, ACCOUNT_UPDATE, 20, 0, None).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let id = s.create("accounts", &json!({"name": format!("Both {i}")}).to_string()).await;
        let r = s.patch(&format!("accounts({id})"), &[], r#"{"name":"Updated"}"#).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
        ids.push(id);
    }
    assert_eq!(sync_rx.received().len(), 5);
    let r = s.get(&format!("/_emulator/webhooks/wait?url={}&count=5&timeout=10000", async_rx.url)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for attempt in r.json["value"].as_array().unwrap() {
        let job = attempt["asyncoperationid"].as_str().unwrap();
        loop {
            let row = s.get(&format!("asyncoperations({job})?$select=statuscode")).await.json;
            if row["statuscode"] == 30 {
                break;
            }
            tokio::task::yield_now().await;
        }
    }
}
