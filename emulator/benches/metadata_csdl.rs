//! `GET $metadata` for the default org, driven through `App::handle` without sockets.
//!
//! Run with `cargo bench -p dataverse-emulator --bench metadata_csdl`
//! (env: `BENCH_ITERS`, default 200 measured requests per scenario). Without `--bench` (as
//! under `cargo test --benches`) it is a smoke test of 5 requests per scenario.
//!
//! Scenarios:
//! - **cached** — repeated `GET $metadata` with no schema change: the document is rendered
//!   once per schema generation and then shared, so this is the cost of a request that
//!   clones `Bytes` (target: under 5 ms).
//! - **after a schema change** — each measured request follows a metadata write (`PUT
//!   EntityDefinitions(…)` changing a label, outside the clock), so every `$metadata` renders
//!   the whole CSDL again: what the first request after a change pays.

/// The same allocator as the `dataverse-emulator` binary, so the figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use common::{env_or, machine, percentile};
use std::time::{Duration, Instant};

use bytes::Bytes;
use dataverse_emulator::{App, Clock, Org};
use http::{Method, Request, StatusCode};

fn request(method: Method, path: &str, body: &str) -> Request<Bytes> {
    Request::builder()
        .method(method)
        .uri(format!("http://localhost/api/data/v9.2/{path}"))
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("mscrm.mergelabels", "true")
        .body(Bytes::from(body.to_string()))
        .expect("request")
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{name:<24} n={:<4} p50 {:>9.3} ms  p99 {:>9.3} ms  min {:>9.3} ms",
        times.len(),
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
    );
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let iters: usize = if measuring { env_or("BENCH_ITERS", 200) } else { 5 };
    println!("metadata_csdl on {}{}", machine(), if measuring { "" } else { " (smoke test: not a measurement)" });
    let app = App::with_org(Org::default_org(Clock::system()).expect("default org loads"));
    let table = r#"{"@odata.type":"Microsoft.Dynamics.CRM.EntityMetadata","SchemaName":"new_Bench","OwnershipType":"UserOwned",
        "Attributes":[{"@odata.type":"Microsoft.Dynamics.CRM.StringAttributeMetadata","SchemaName":"new_Name","IsPrimaryName":true,"MaxLength":100}]}"#;
    assert_eq!(app.handle(request(Method::POST, "EntityDefinitions", table)).status(), StatusCode::NO_CONTENT);

    let get = |app: &App| {
        let t = Instant::now();
        let r = app.handle(request(Method::GET, "$metadata", ""));
        let elapsed = t.elapsed();
        assert_eq!(r.status(), StatusCode::OK);
        elapsed
    };
    get(&app);
    let cached: Vec<Duration> = (0..iters).map(|_| get(&app)).collect();
    report("cached", cached);

    let mut changed = Vec::with_capacity(iters);
    for i in 0..iters {
        let label = format!(r#"{{"DisplayName":{{"LocalizedLabels":[{{"Label":"Bench {i}","LanguageCode":1033}}]}}}}"#);
        let r = app.handle(request(Method::PUT, "EntityDefinitions(LogicalName='new_bench')", &label));
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        changed.push(get(&app));
    }
    report("after a schema change", changed);
}
