//! A real webhook receiver on 127.0.0.1:0 and the registration helpers the webhook tests share.
#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::sync::Notify;

use crate::common::Server;

/// Seeded `sdkmessages` and the `account` filters (fixtures/default-org/data).
pub const CREATE: &str = "5b3d8c1e-2f4a-4e6b-9c7d-000000000500";
pub const UPDATE: &str = "5b3d8c1e-2f4a-4e6b-9c7d-000000000501";
pub const DELETE: &str = "5b3d8c1e-2f4a-4e6b-9c7d-000000000502";
pub const ASSIGN: &str = "5b3d8c1e-2f4a-4e6b-9c7d-000000000503";
pub const SET_STATE: &str = "5b3d8c1e-2f4a-4e6b-9c7d-000000000504";
pub const ASSOCIATE: &str = "5b3d8c1e-2f4a-4e6b-9c7d-000000000505";
pub const DISASSOCIATE: &str = "5b3d8c1e-2f4a-4e6b-9c7d-000000000506";
pub const ACCOUNT_CREATE: &str = "5b3d8c1e-2f4a-4e6b-9c7d-000000000600";
pub const ACCOUNT_UPDATE: &str = "5b3d8c1e-2f4a-4e6b-9c7d-000000000601";
pub const ACCOUNT_DELETE: &str = "5b3d8c1e-2f4a-4e6b-9c7d-000000000602";

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub uri: String,
    pub headers: http::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A tiny webhook receiver on 127.0.0.1:0: records every POST and answers with the next
/// scripted status (200 once the script is used up).
pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
    arrived: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start(script: &[u16]) -> Receiver {
        Self::serve(script, None).await
    }

    /// An HTTPS receiver presenting a certificate for localhost/127.0.0.1 from `tls`.
    pub async fn start_tls(script: &[u16], tls: tokio_rustls::TlsAcceptor) -> Receiver {
        Self::serve(script, Some(tls)).await
    }

    async fn serve(script: &[u16], tls: Option<tokio_rustls::TlsAcceptor>) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}/api/hook", listener.local_addr().unwrap());
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let arrived = Arc::new(Notify::new());
        let script = Arc::new(Mutex::new(script.iter().copied().collect::<VecDeque<u16>>()));
        let (g, a) = (got.clone(), arrived.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (g, a, script, tls) = (g.clone(), a.clone(), script.clone(), tls.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let (g, a, script) = (g.clone(), a.clone(), script.clone());
                        async move {
                            let (parts, body) = req.into_parts();
                            let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                            let text = String::from_utf8_lossy(&bytes).into_owned();
                            let json = serde_json::from_str(&text).unwrap_or(Value::Null);
                            g.lock().unwrap().push(Received { uri: parts.uri.to_string(), headers: parts.headers, text, json });
                            a.notify_waiters();
                            let status = script.lock().unwrap().pop_front().unwrap_or(200);
                            let resp = http::Response::builder().status(status).body(Full::new(Bytes::new())).unwrap();
                            Ok::<_, std::convert::Infallible>(resp)
                        }
                    });
                    match tls {
                        None => {
                            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                        }
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                            }
                        }
                    }
                });
            }
        });
        Receiver { url, got, arrived, task }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits (event-driven, no sleeps) until `n` requests have arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let wait = async {
            loop {
                let notified = self.arrived.notified();
                if self.got.lock().unwrap().len() >= n {
                    return;
                }
                notified.await;
            }
        };
        // A safety net only: a missing delivery fails the test instead of hanging it.
        tokio::time::timeout(std::time::Duration::from_secs(30), wait).await.expect("deliveries arrive");
        self.received()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Registers a webhook endpoint and returns its id.
pub async fn endpoint(s: &Server, url: &str, authtype: i32, authvalue: &str) -> String {
    let body = json!({"name": "hook", "contract": 8, "url": url, "authtype": authtype, "authvalue": authvalue, "messageformat": 2});
    s.create("serviceendpoints", &body.to_string()).await
}

/// Registers a step the way the Plugin Registration Tool does, returning its id.
pub async fn step(s: &Server, endpoint: &str, message: &str, filter: &str, stage: i32, mode: i32, filtering: Option<&str>) -> String {
    let mut body = json!({
        "name": "hook step",
        "stage": stage,
        "mode": mode,
        "rank": 1,
        "eventhandler_serviceendpoint@odata.bind": format!("/serviceendpoints({endpoint})"),
        "sdkmessageid@odata.bind": format!("/sdkmessages({message})"),
    });
    // No filter: the step fires for every table.
    if !filter.is_empty() {
        body["sdkmessagefilterid@odata.bind"] = json!(format!("/sdkmessagefilters({filter})"));
    }
    if let Some(f) = filtering {
        body["filteringattributes"] = json!(f);
    }
    s.create("sdkmessageprocessingsteps", &body.to_string()).await
}

pub async fn image(s: &Server, step: &str, imagetype: i32, alias: &str, attributes: &str) {
    let body = json!({
        "name": alias, "entityalias": alias, "imagetype": imagetype, "attributes": attributes, "messagepropertyname": "Target",
        "sdkmessageprocessingstepid@odata.bind": format!("/sdkmessageprocessingsteps({step})"),
    });
    s.create("sdkmessageprocessingstepimages", &body.to_string()).await;
}

/// The `value` of the pair with `key` in a DataContract key/value array.
pub fn pair<'a>(pairs: &'a Value, key: &str) -> &'a Value {
    pairs.as_array().and_then(|a| a.iter().find(|p| p["key"] == key)).map_or(&Value::Null, |p| &p["value"])
}

pub const ENTITY_TYPE: &str = "Entity:http://schemas.microsoft.com/xrm/2011/Contracts";

