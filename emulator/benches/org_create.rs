//! Creating an isolated org from the default fixture (`POST /_emulator/orgs`), driven
//! through `App::handle` without sockets, plus the in-memory operations built on the same
//! copy-on-write snapshot: reset and snapshot save/restore.
//!
//! Run with `cargo bench -p dataverse-emulator --bench org_create`
//! (env: `BENCH_ITERS`, default 1000 orgs). Without `--bench` (as under
//! `cargo test --benches`) it is a smoke test of 5 iterations.
//!
//! Scenarios:
//! - **create org (HTTP)** — `POST /_emulator/orgs {"name":"bench-<i>"}` through the admin
//!   API, response rendered: what a test pays per org (target: under 10 ms). The orgs are
//!   kept, so later ones are created next to many live orgs.
//! - **create org (Orgs::create)** — the registry call alone.
//! - **reset** — `POST /_emulator/orgs/<name>/reset` after one write.
//! - **snapshot save + restore** — `Store::snapshot` then `Store::restore`.

/// The same allocator as the `dataverse-emulator` binary, so the figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use common::{env_or, machine, percentile, request};
use std::time::{Duration, Instant};

use dataverse_emulator::{App, Clock, Org};
use http::{Method, StatusCode};

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{name:<30} n={:<5} p50 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms",
        times.len(),
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
    );
}

fn timed(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let iters: usize = if measuring { env_or("BENCH_ITERS", 1000) } else { 5 };
    println!("org_create on {}{}", machine(), if measuring { "" } else { " (smoke test: not a measurement)" });
    let app = App::with_org(Org::default_org(Clock::system()).expect("default org loads"));
    let rows = app.orgs().default_org().expect("default org").store.read().row_count();
    println!("default fixture: {rows} rows");

    let http: Vec<Duration> = (0..iters)
        .map(|i| {
            timed(|| {
                let r = app.handle(request(Method::POST, "/_emulator/orgs", &format!(r#"{{"name":"bench-{i}"}}"#)));
                assert_eq!(r.status(), StatusCode::CREATED);
            })
        })
        .collect();
    report("create org (HTTP)", http);

    let direct: Vec<Duration> = (0..iters)
        .map(|i| {
            timed(|| {
                app.orgs().create(&format!("direct-{i}"), None).expect("created");
            })
        })
        .collect();
    report("create org (Orgs::create)", direct);

    let account = r#"{"name":"Bench"}"#;
    let reset: Vec<Duration> = (0..iters)
        .map(|i| {
            let org = format!("bench-{i}");
            let r = app.handle(request(Method::POST, &format!("/org/{org}/api/data/v9.2/accounts"), account));
            assert_eq!(r.status(), StatusCode::NO_CONTENT);
            timed(|| {
                let r = app.handle(request(Method::POST, &format!("/_emulator/orgs/{org}/reset"), ""));
                assert_eq!(r.status(), StatusCode::OK);
            })
        })
        .collect();
    report("reset (HTTP)", reset);

    let org = app.orgs().get("bench-0").expect("org");
    let snap: Vec<Duration> = (0..iters)
        .map(|_| {
            timed(|| {
                let s = org.store.snapshot();
                org.store.restore(&s);
            })
        })
        .collect();
    report("snapshot save + restore", snap);
}
