//! `POST accounts/Microsoft.Dynamics.CRM.CreateMultiple` with 1000 targets, driven through
//! `App::handle` without sockets. Target: under 30 ms per call.
//!
//! Run with `cargo bench -p dataverse-emulator --bench create_multiple_1000`
//! (env: `BENCH_ITERS`, default 30 measured calls after `BENCH_WARMUP`, default 3).
//! Without `--bench` (as under `cargo test --benches`) it is only a smoke test of 20 targets.
//!
//! The org is the embedded default org in an `App` with the default `Config`, as the binary
//! serves it. Each target is the Python SDK's shape (`records.create("account", [...])`):
//! the columns plus `"@odata.type": "Microsoft.Dynamics.CRM.account"`, with names and
//! account numbers (an alternate key) no earlier call used, so every call creates 1000
//! new rows in one transaction. Only `App::handle` is timed; building the body and checking
//! the answer (200 and 1000 distinct ids) happen outside the clock.

/// The same allocator as the `dataverse-emulator` binary, so the figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use common::{env_or, machine};
use std::collections::HashSet;
use std::time::{Duration, Instant};

use bytes::Bytes;
use dataverse_emulator::{App, Clock, Config, Org, Orgs};
use http::{Request, StatusCode};
use http_body_util::BodyExt;

const URL: &str = "http://localhost/api/data/v9.2/accounts/Microsoft.Dynamics.CRM.CreateMultiple";
const CITIES: [&str; 8] = ["Lisbon", "Oslo", "Vienna", "Lima", "Seoul", "Dublin", "Cairo", "Prague"];

fn body(run: usize, n: usize) -> String {
    let targets: Vec<String> = (0..n)
        .map(|i| {
            let city = CITIES[i % CITIES.len()];
            let revenue = (run * 7919 + i * 104_729) % 10_000_000;
            format!(
                r#"{{"name":"Bulk account {run}-{i:04}","accountnumber":"CM{run}-{i}","address1_city":"{city}","revenue":{revenue}.50,"numberofemployees":{},"@odata.type":"Microsoft.Dynamics.CRM.account"}}"#,
                i % 500
            )
        })
        .collect();
    format!(r#"{{"Targets":[{}]}}"#, targets.join(","))
}

fn call(rt: &tokio::runtime::Runtime, app: &App, run: usize, n: usize) -> Duration {
    let req = Request::post(URL)
        .header(http::header::HOST, "localhost")
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Bytes::from(body(run, n)))
        .expect("request");
    let t0 = Instant::now();
    let res = app.handle(req);
    let elapsed = t0.elapsed();
    let status = res.status();
    let bytes = rt.block_on(res.into_body().collect()).expect("body").to_bytes();
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
    let json: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
    let ids: HashSet<&str> = json["Ids"].as_array().expect("Ids").iter().filter_map(|v| v.as_str()).collect();
    assert_eq!(ids.len(), n, "one distinct id per target");
    elapsed
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let (n, warmup, iters) = if measuring { (1000, env_or("BENCH_WARMUP", 3), env_or("BENCH_ITERS", 30)) } else { (20, 1, 3) };
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let org = Org::default_org(Clock::system()).expect("default org");
    let app = App::new(Orgs::single(org), Config::default());
    for run in 0..warmup {
        call(&rt, &app, run, n);
    }
    let mut times: Vec<Duration> = (warmup..warmup + iters).map(|run| call(&rt, &app, run, n)).collect();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!("CreateMultiple of {n} accounts through App::handle ({})", machine());
    println!("  {iters} calls after {warmup} warm-up: min {:.2} ms, p50 {:.2} ms, p90 {:.2} ms, max {:.2} ms", ms(times[0]), ms(p(0.5)), ms(p(0.9)), ms(times[times.len() - 1]));
    if !measuring {
        println!("  (smoke test of {n} targets: not a measurement; run with `cargo bench`)");
    }
}
