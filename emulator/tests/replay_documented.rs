//! A hand-made "real org" recording: the documented exchanges of the wire reference
//! (`tests/recordings/documented-org.json`), answered by a stand-in server, recorded
//! through the proxy as a live org would be, then replayed against the emulator. The
//! replay must reproduce every documented response; an injected difference is reported.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use conformance_runner::http::Client;
use conformance_runner::target::Target;
use dataverse_emulator::replay::play::{replay, SCENARIO_FILE};
use dataverse_emulator::replay::proxy::Recorder;
use http::Method;
use http_body_util::Full;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;

const DOCUMENTED: &str = include_str!("recordings/documented-org.json");

/// Serves the documented responses in order; a request that is not the next documented
/// one gets a 500 naming what was expected, so the test fails loudly.
async fn stand_in_org(exchanges: Vec<Value>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let origin = format!("http://{addr}");
    let next = Arc::new(Mutex::new(0usize));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let (exchanges, next, origin) = (exchanges.clone(), next.clone(), origin.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let mut n = next.lock().unwrap();
                    let x = exchanges.get(*n).cloned();
                    *n += 1;
                    let origin = origin.clone();
                    async move {
                        let Some(x) = x else { return Ok::<_, std::convert::Infallible>(hyper::Response::builder().status(500).body(Full::new(Bytes::from("no more exchanges"))).unwrap()) };
                        let want = format!("{} /api/data/v9.2/{}", x["request"]["method"].as_str().unwrap(), x["request"]["path"].as_str().unwrap());
                        let got = format!("{} {}", req.method(), req.uri().path_and_query().unwrap());
                        if got != want {
                            return Ok(hyper::Response::builder().status(500).body(Full::new(Bytes::from(format!("expected {want}, got {got}")))).unwrap());
                        }
                        let mut resp = hyper::Response::builder().status(x["response"]["status"].as_u64().unwrap() as u16);
                        for (k, v) in x["response"]["headers"].as_object().unwrap() {
                            resp = resp.header(k, v.as_str().unwrap().replace("[Org]", &origin));
                        }
                        let body = x["response"].get("body").map(|b| b.to_string().replace("[Org]", &origin)).unwrap_or_default();
                        Ok(resp.body(Full::new(Bytes::from(body))).unwrap())
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new()).serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    addr
}

/// Records the documented session through the proxy into a new directory.
async fn record_documented_session() -> std::path::PathBuf {
    let doc: Value = serde_json::from_str(DOCUMENTED).unwrap();
    let exchanges = doc["exchanges"].as_array().unwrap().clone();
    let org = stand_in_org(exchanges.clone()).await;
    let dir = std::env::temp_dir().join(format!("dve-documented-{}", uuid::Uuid::new_v4().simple()));
    let target = Target::new("org", &format!("http://{org}"), Client::new(None).unwrap(), None).unwrap();
    let recorder = Recorder::start(target, &dir, 0).await.unwrap();
    let client = Client::new(None).unwrap();
    for x in &exchanges {
        let method = Method::from_bytes(x["request"]["method"].as_str().unwrap().as_bytes()).unwrap();
        let url = format!("{}/api/data/v9.2/{}", recorder.url(), x["request"]["path"].as_str().unwrap());
        let body = x["request"].get("json").map(|j| Bytes::from(j.to_string())).unwrap_or_default();
        let headers = vec![("Content-Type".to_string(), "application/json".to_string())];
        let resp = client.send(method, &url, &headers, body).await.unwrap();
        assert_eq!(u64::from(resp.status.as_u16()), x["response"]["status"].as_u64().unwrap(), "{}: {}", x["source"], resp.text());
    }
    assert_eq!(recorder.count(), exchanges.len());
    dir
}

#[tokio::test]
async fn the_documented_org_session_replays_against_the_emulator() {
    let dir = record_documented_session().await;
    let scenario: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(SCENARIO_FILE)).unwrap()).unwrap();
    assert_eq!(scenario["steps"][3]["request"]["path"], "accounts(${created1})?$select=name,creditonhold", "the created id is a capture");
    let (result, notes) = replay(&dir, None).await.unwrap();
    // The documented account's currency is the real org's, which the fixture does not have.
    assert_eq!(notes, ["account.transactioncurrencyid: 1 lookup value(s) left out (the record they point at is not in the fixture)"]);
    assert!(result.failures.is_empty(), "every documented response is reproduced: {:#?}", result.failures);
    assert_eq!(result.steps.len(), 7);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_difference_injected_into_the_documented_recording_is_reported() {
    let dir = record_documented_session().await;
    let path = dir.join(SCENARIO_FILE);
    let mut scenario: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // As if the real org had answered the unknown column with another error code.
    scenario["steps"][5]["expect"]["json"]["error"]["code"] = Value::String("0x80041103".into());
    // And as if the created record had come back under another name.
    scenario["steps"][3]["expect"]["json"]["name"] = Value::String("Contoso Limited".into());
    std::fs::write(&path, scenario.to_string()).unwrap();
    let (result, _) = replay(&dir, None).await.unwrap();
    assert_eq!(result.failures.len(), 2, "both differences, the replay going on after the first: {:#?}", result.failures);
    assert!(result.failures[0].starts_with("4: GET accounts(${created1})") && result.failures[0].contains("Contoso Limited"), "{}", result.failures[0]);
    assert!(result.failures[1].starts_with("6: GET accounts?$select=foo"), "{}", result.failures[1]);
    assert!(result.failures[1].contains("0x80041103") && result.failures[1].contains("0x80060888"), "{}", result.failures[1]);
    let _ = std::fs::remove_dir_all(&dir);
}
