//! Rendering the dashboard's server-side pages, driven through `App::handle` without
//! sockets: what a person (or a browser test) waits for per page, before the browser's
//! own work. Each page reads through the Web API in-process, so this is mostly the cost of
//! those reads plus the HTML.
//!
//! Run with `cargo bench -p dataverse-emulator --bench ui_pages`
//! (env: `BENCH_ITERS`, default 500 per page). Without `--bench` (as under
//! `cargo test --benches`) it is a smoke test of 5 iterations.
//!
//! Scenarios (default org, its seed data):
//! - **tables** — `/_emulator/ui/tables`: every table with its record count.
//! - **grid shell** — `/_emulator/ui/grid?etn=account`: the page and its column metadata
//!   (the rows are fetched by the page's script, a Web API request like any other).
//! - **record (account)** — `/_emulator/ui/record?etn=account&id=…`: one retrieve with every
//!   annotation, every column rendered.
//! - **record via main.aspx (phonecall)** — the same plus the activity-party read.
//! - **metadata (account)** — `/_emulator/ui/metadata?etn=account`: `EntityDefinitions` with
//!   its columns, keys and relationships expanded, and four option-set casts.

/// The same allocator as the `dataverse-emulator` binary, so the figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use common::{env_or, machine, percentile};
use std::time::{Duration, Instant};

use bytes::Bytes;
use dataverse_emulator::{App, Clock, Org};
use http::{Method, Request, StatusCode};

fn get(path: &str) -> Request<Bytes> {
    Request::builder().method(Method::GET).uri(format!("http://localhost{path}")).header("host", "localhost").body(Bytes::new()).expect("request")
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let iters: usize = if measuring { env_or("BENCH_ITERS", 500) } else { 5 };
    println!("ui_pages on {}{}", machine(), if measuring { "" } else { " (smoke test: not a measurement)" });
    let app = App::with_org(Org::default_org(Clock::system()).expect("default org loads"));
    let pages = [
        ("tables", "/_emulator/ui/tables".to_string()),
        ("grid shell", "/_emulator/ui/grid?etn=account".to_string()),
        ("record (account)", "/_emulator/ui/record?etn=account&id=a0000000-0000-4000-8000-000000000001".to_string()),
        ("record via main.aspx (phonecall)", "/main.aspx?pagetype=entityrecord&etn=phonecall&id=d0000000-0000-4000-8000-000000000001".to_string()),
        ("metadata (account)", "/_emulator/ui/metadata?etn=account".to_string()),
    ];
    for (name, path) in pages {
        let mut bytes = 0;
        let mut times: Vec<Duration> = (0..iters)
            .map(|_| {
                let t = Instant::now();
                let r = app.handle(get(&path));
                let elapsed = t.elapsed();
                assert_eq!(r.status(), StatusCode::OK, "{path}");
                bytes = hyper::body::Body::size_hint(r.body()).exact().unwrap_or(0);
                elapsed
            })
            .collect();
        times.sort();
        println!(
            "{name:<34} {bytes:>7} bytes  n={:<5} p50 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms",
            times.len(),
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
            times[times.len() - 1].as_secs_f64() * 1e3,
        );
    }
}
