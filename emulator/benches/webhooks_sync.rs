//! What webhook steps add to a create, driven through `App::handle` (no socket on the
//! emulator side) against a bare hyper receiver on 127.0.0.1 that answers 200 at once.
//!
//! Run with `cargo bench -p dataverse-emulator --bench webhooks_sync`
//! (env: `BENCH_ITERS`, default 1000 creates per scenario). Without `--bench` (as under
//! `cargo test --benches`) it is a smoke test of 5 iterations.
//!
//! Scenarios, each on its own org so the steps of one don't fire in another:
//! - **create, no steps** — the baseline.
//! - **create, async step** — the step is planned and its `asyncoperation` job created in
//!   the transaction; the POST itself happens after the request (not timed here).
//! - **create, sync step** — the receiver is called inside the operation, before commit:
//!   one POST on its own connection per create.
//! - **…, N rows** — the same sync step on an org holding `BENCH_ROWS` more accounts
//!   (default 10,000), then with a receiver that calls back before answering: one
//!   `GET accounts(<id>)` with the correlation id it was sent, served from the org as
//!   committed before the create (which the waiting write builds on that first call back:
//!   a copy of every table's row map, so it grows with the org).

/// The same allocator as the `dataverse-emulator` binary, so the figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use common::{env_or, machine, percentile, request};
use std::time::{Duration, Instant};

use dataverse_emulator::{App, Clock, Org};
use http::{Method, StatusCode};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

/// A seeded account of the default org.
const FABRIKAM: &str = "a0000000-0000-4000-8000-000000000001";

/// Creates a row through the org's Web API and returns its id.
fn create(app: &App, org: &str, set: &str, body: &str) -> String {
    let r = app.handle(request(Method::POST, &format!("/org/{org}/api/data/v9.2/{set}"), body));
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let location = r.headers().get("odata-entityid").and_then(|v| v.to_str().ok()).expect("OData-EntityId").to_string();
    location.rsplit_once('(').and_then(|(_, id)| id.strip_suffix(')')).expect("an id").to_string()
}

/// Registers a webhook step on account Create in `mode` (None: no step) in org `name`.
fn add_step(app: &App, name: &str, url: &str, mode: Option<i32>) {
    let Some(mode) = mode else { return };
    let endpoint = create(app, name, "serviceendpoints", &format!(r#"{{"name":"hook","contract":8,"authtype":4,"authvalue":"k","messageformat":2,"url":"{url}"}}"#));
    let step = format!(
        r#"{{"name":"step","stage":40,"mode":{mode},"rank":1,
        "eventhandler_serviceendpoint@odata.bind":"/serviceendpoints({endpoint})",
        "sdkmessageid@odata.bind":"/sdkmessages(5b3d8c1e-2f4a-4e6b-9c7d-000000000500)",
        "sdkmessagefilterid@odata.bind":"/sdkmessagefilters(5b3d8c1e-2f4a-4e6b-9c7d-000000000600)"}}"#
    );
    create(app, name, "sdkmessageprocessingsteps", &step);
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    println!(
        "{name:<32} n={:<5} mean {:>8.3} ms  p50 {:>8.3} ms  p99 {:>8.3} ms",
        times.len(),
        mean.as_secs_f64() * 1e3,
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
    );
}

/// A receiver answering 200 with no body, on its own runtime thread. With `call_back`,
/// it first reads Fabrikam from the org through `App::handle` with the context's
/// correlation id (and checks the answer).
fn receiver(call_back: Option<(App, String)>) -> String {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        runtime.block_on(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let call_back = call_back.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let call_back = call_back.clone();
                        async move {
                            if let Some((app, org)) = call_back {
                                let body = http_body_util::BodyExt::collect(req.into_body()).await.expect("context").to_bytes();
                                let context: serde_json::Value = serde_json::from_slice(&body).expect("context JSON");
                                let correlation = context["CorrelationId"].as_str().expect("CorrelationId").to_string();
                                let mut back = request(Method::GET, &format!("/org/{org}/api/data/v9.2/accounts({FABRIKAM})?$select=name"), "");
                                back.headers_mut().insert("x-ms-correlation-request-id", correlation.parse().expect("header"));
                                let status = tokio::task::spawn_blocking(move || app.handle(back).status()).await.expect("call back");
                                assert_eq!(status, StatusCode::OK, "the call back reads the org");
                            }
                            Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(bytes::Bytes::new())))
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
    });
    url
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let iters: usize = if measuring { env_or("BENCH_ITERS", 1000) } else { 5 };
    let rows: usize = if measuring { env_or("BENCH_ROWS", 10_000) } else { 20 };
    println!("webhooks_sync on {}{}", machine(), if measuring { "" } else { " (smoke test: not a measurement)" });
    let url = receiver(None);
    let app = App::with_org(Org::default_org(Clock::system()).expect("default org loads"));
    let calling_back = receiver(Some((app.clone(), "bench-back".to_string())));
    let large = format!("create, sync step, {rows} rows");
    let scenarios = [
        ("create, no steps", "bench-none", &url, None, 0),
        ("create, async step", "bench-1", &url, Some(1), 0),
        ("create, sync step", "bench-0", &url, Some(0), 0),
        (large.as_str(), "bench-large", &url, Some(0), rows),
        ("  + receiver calls back", "bench-back", &calling_back, Some(0), rows),
    ];
    for (name, org, receiver_url, mode, rows) in scenarios {
        let r = app.handle(request(Method::POST, "/_emulator/orgs", &format!(r#"{{"name":"{org}"}}"#)));
        assert_eq!(r.status(), StatusCode::CREATED);
        for i in 0..rows {
            create(&app, org, "accounts", &format!(r#"{{"name":"Row {i}"}}"#));
        }
        add_step(&app, org, receiver_url, mode);
        let times: Vec<Duration> = (0..iters)
            .map(|i| {
                let t = Instant::now();
                create(&app, org, "accounts", &format!(r#"{{"name":"Bench {i}"}}"#));
                t.elapsed()
            })
            .collect();
        if mode == Some(0) {
            let sent = app.webhooks().list(Some(receiver_url))["value"].as_array().map_or(0, Vec::len);
            assert!(sent >= iters, "every synchronous create called the receiver ({sent} of {iters})");
        }
        report(name, times);
    }
}
