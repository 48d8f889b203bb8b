//! `$batch` with 1000 creates, driven through `App::handle` without sockets. Target: a
//! batch of 1000 creates in one changeset completes in under 50 ms.
//!
//! Run with `cargo bench -p dataverse-emulator --bench batch_1000`
//! (env: `BENCH_ITERS`, default 30 measured runs per scenario after `BENCH_WARMUP`,
//! default 3, warm-up runs; `BENCH_SHOW_RUNS=1` also prints every run's time in order).
//! Arguments after `--` that are not flags keep only the scenarios whose key
//! (`changeset`, `top-level`, `rollback`, `singles`) contains one of them (e.g.
//! `-- changeset` to profile one scenario).
//! Without `--bench` (as under `cargo test --benches`) it is only a smoke test over
//! batches of 20 creates.
//!
//! Scenarios:
//! - **changeset**: one changeset of 1000 `POST accounts` parts (Content-ID 1..1000): one
//!   store transaction, 200 with 1000 `HTTP/1.1 204 No Content` parts.
//! - **top-level**: the same 1000 creates as 1000 top-level parts (no changeset): each
//!   part is its own transaction, 200 with 1000 `204` parts.
//! - **rollback**: a changeset of 1000 creates whose last part fails (it repeats the
//!   first part's `accountnumber`, an alternate key, so it runs the whole create pipeline
//!   and fails in the store with 412): 400 with the one failing part, and the 999 creates
//!   before it undone.
//! - **singles** (reference): the same 1000 creates as 1000 separate `POST accounts`
//!   requests to `App::handle`, summed; what the batch costs compared with no batch.
//!
//! Why this shape:
//! - The org is the embedded default org (`Org::default_org`) in an `App` with the default
//!   `Config`, as the binary serves it. Requests are `http::Request<Bytes>` given to
//!   `App::handle`, the function the server calls once it has read a request, so the
//!   figures are the core's (multipart parsing, per-part request building, routing, the
//!   create pipeline, the store, response framing) without TCP or hyper.
//! - The body is framed exactly as dynamics-web-api's `convertToBatch` frames it: CRLF,
//!   `Content-Type: multipart/mixed;boundary=dwa_batch_…`, a nested
//!   `multipart/mixed;boundary=changeset_…`, absolute request URLs, JSON bodies.
//! - Every run creates accounts with names and account numbers no earlier run used, so
//!   no create collides with an earlier one; the table grows by 1000 accounts per
//!   committed run (the report prints its size before and after).
//! - Only `App::handle` (and, for singles, the sum of the 1000 calls) is timed. Building
//!   the body and checking the answer happen outside the clock; every answer is checked
//!   (status, number of parts and their status lines, and for the rollback that nothing
//!   stayed), so a figure is never the speed of answering errors.

/// The same allocator as the `dataverse-emulator` binary, so the figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use common::{env_or, machine};
use std::time::{Duration, Instant};

use bytes::Bytes;
use dataverse_emulator::{App, Clock, Config, Org, Orgs};
use http::{Request, StatusCode};
use http_body_util::BodyExt;

/// The service root every request URL starts with.
const ROOT: &str = "http://localhost/api/data/v9.2/";

/// The 204 status line of a successful create inside a batch response.
const NO_CONTENT: &str = "HTTP/1.1 204 No Content";

/// Cities the created accounts live in.
const CITIES: [&str; 8] = ["Lisbon", "Oslo", "Vienna", "Lima", "Seoul", "Dublin", "Cairo", "Prague"];

/// The kinds of measured run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    ChangeSet,
    TopLevel,
    Rollback,
    Singles,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::ChangeSet => "changeset: all creates in one changeset",
            Kind::TopLevel => "top-level: each create a top-level part (no changeset)",
            Kind::Rollback => "rollback: one changeset, the last create fails",
            Kind::Singles => "singles: separate POST requests (reference, summed)",
        }
    }
}

/// The account number of create `i` (0-based) of run `run`.
fn account_number(run: usize, i: usize) -> String {
    format!("B{run}-{i}")
}

/// The JSON body of create `i` of run `run`; the last create of a rollback run repeats
/// the first one's account number.
fn account_json(run: usize, i: usize, duplicate_of_first: bool) -> String {
    let number = account_number(run, if duplicate_of_first { 0 } else { i });
    let city = CITIES[i % CITIES.len()];
    let revenue = (run * 7919 + i * 104_729) % 10_000_000;
    format!(r#"{{"name":"Batch account {run}-{i:04}","accountnumber":"{number}","address1_city":"{city}","revenue":{revenue}.50,"numberofemployees":{}}}"#, i % 500)
}

/// A dynamics-web-api style `$batch` body: the lines of `convertToBatch` joined with
/// CRLF. Returns the boundary (for the Content-Type header) and the body.
fn batch_body(run: usize, n: usize, changeset: bool, fail_last: bool) -> (String, String) {
    let batch = format!("dwa_batch_{}", uuid::Uuid::new_v4());
    let cs = format!("changeset_{}", uuid::Uuid::new_v4());
    let mut lines: Vec<String> = Vec::with_capacity(n * 7 + 4);
    if changeset {
        lines.push(format!("\r\n--{batch}"));
        lines.push(format!("Content-Type: multipart/mixed;boundary={cs}"));
    }
    for i in 0..n {
        if changeset {
            lines.push(format!("\r\n--{cs}"));
        } else {
            lines.push(format!("\r\n--{batch}"));
        }
        lines.push("Content-Type: application/http".into());
        lines.push("Content-Transfer-Encoding: binary".into());
        if changeset {
            lines.push(format!("Content-ID: {}", i + 1));
        }
        lines.push(format!("\r\nPOST {ROOT}accounts HTTP/1.1"));
        lines.push("Content-Type: application/json".into());
        lines.push(format!("\r\n{}", account_json(run, i, fail_last && i + 1 == n)));
    }
    if changeset {
        lines.push(format!("\r\n--{cs}--"));
    }
    lines.push(format!("\r\n--{batch}--\r\n"));
    (batch, lines.join("\r\n"))
}

/// An answer: status, body, and how long `App::handle` took.
struct Answer {
    status: StatusCode,
    body: Bytes,
    elapsed: Duration,
}

fn send(rt: &tokio::runtime::Runtime, app: &App, req: Request<Bytes>) -> Answer {
    let t0 = Instant::now();
    let res = app.handle(req);
    let elapsed = t0.elapsed();
    let status = res.status();
    // `Full` yields its one buffer at once; the runtime only drives that poll.
    let body = rt.block_on(res.into_body().collect()).expect("response body").to_bytes();
    Answer { status, body, elapsed }
}

fn post_batch(rt: &tokio::runtime::Runtime, app: &App, boundary: &str, body: String) -> Answer {
    let req = Request::post(format!("{ROOT}$batch"))
        .header(http::header::HOST, "localhost")
        .header(http::header::CONTENT_TYPE, format!("multipart/mixed;boundary={boundary}"))
        .header("accept", "application/json")
        .header("odata-version", "4.0")
        .header("odata-maxversion", "4.0")
        .body(Bytes::from(body))
        .expect("batch request");
    send(rt, app, req)
}

fn get(rt: &tokio::runtime::Runtime, app: &App, path: &str) -> Answer {
    let req = Request::get(format!("{ROOT}{path}")).header(http::header::HOST, "localhost").body(Bytes::new()).expect("GET request");
    send(rt, app, req)
}

/// Whether the account with this account number exists (alternate-key lookup).
fn exists(rt: &tokio::runtime::Runtime, app: &App, number: &str) -> bool {
    let a = get(rt, app, &format!("accounts(accountnumber='{number}')?$select=accountnumber"));
    match a.status {
        StatusCode::OK => true,
        StatusCode::NOT_FOUND => false,
        s => panic!("lookup of {number}: unexpected {s}: {}", String::from_utf8_lossy(&a.body)),
    }
}

/// Accounts in the org, counted by paging through `accounts?$select=accountid`
/// (`@odata.count` stops at 5000).
fn account_count(rt: &tokio::runtime::Runtime, app: &App) -> usize {
    let mut url = format!("{ROOT}accounts?$select=accountid");
    let mut total = 0;
    loop {
        let req = Request::get(&url).header(http::header::HOST, "localhost").header("prefer", "odata.maxpagesize=5000").body(Bytes::new()).expect("GET request");
        let a = send(rt, app, req);
        assert_eq!(a.status, StatusCode::OK, "counting accounts: {}", String::from_utf8_lossy(&a.body));
        let json: serde_json::Value = serde_json::from_slice(&a.body).expect("JSON page");
        total += json["value"].as_array().expect("value array").len();
        match json.get("@odata.nextLink").and_then(|l| l.as_str()) {
            Some(next) => url = next.to_string(),
            None => return total,
        }
    }
}

/// Runs one measured batch (or, for singles, 1000 requests) for run `run` with `n`
/// creates, checks the answer, and returns the time `App::handle` took and the request
/// and response sizes.
fn run_once(rt: &tokio::runtime::Runtime, app: &App, kind: Kind, run: usize, n: usize) -> (Duration, usize, usize) {
    let what = kind.name();
    if kind == Kind::Singles {
        let mut total = Duration::ZERO;
        let (mut req_bytes, mut res_bytes) = (0, 0);
        for i in 0..n {
            let body = account_json(run, i, false);
            req_bytes += body.len();
            let req = Request::post(format!("{ROOT}accounts"))
                .header(http::header::HOST, "localhost")
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(Bytes::from(body))
                .expect("POST request");
            let a = send(rt, app, req);
            assert_eq!(a.status, StatusCode::NO_CONTENT, "{what}: create {i}: {}", String::from_utf8_lossy(&a.body));
            total += a.elapsed;
            res_bytes += a.body.len();
        }
        assert!(exists(rt, app, &account_number(run, n - 1)), "{what}: the last account was stored");
        return (total, req_bytes, res_bytes);
    }
    let changeset = kind != Kind::TopLevel;
    let fail_last = kind == Kind::Rollback;
    let (boundary, body) = batch_body(run, n, changeset, fail_last);
    let req_bytes = body.len();
    let a = post_batch(rt, app, &boundary, body);
    let text = std::str::from_utf8(&a.body).unwrap_or_else(|e| panic!("{what}: response is not UTF-8: {e}"));
    let ok_parts = text.matches(NO_CONTENT).count();
    let parts = text.matches("\r\nHTTP/1.1 ").count();
    if fail_last {
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{what}: status; body starts {}", &text[..text.len().min(600)]);
        assert_eq!(parts, 1, "{what}: one part, the failure");
        assert!(text.contains("HTTP/1.1 412 Precondition Failed"), "{what}: the duplicate key fails with 412: {text}");
        // Outside the clock: nothing of the changeset stayed.
        assert!(!exists(rt, app, &account_number(run, 0)), "{what}: the first create was rolled back");
        assert!(!exists(rt, app, &account_number(run, n - 2)), "{what}: the 999th create was rolled back");
    } else {
        assert_eq!(a.status, StatusCode::OK, "{what}: status; body starts {}", &text[..text.len().min(600)]);
        assert_eq!(ok_parts, n, "{what}: {n} parts with {NO_CONTENT}");
        assert_eq!(parts, n, "{what}: no other parts");
        if changeset {
            assert!(text.contains(&format!("Content-ID: {n}\r\n")), "{what}: Content-IDs are echoed");
        }
        assert!(exists(rt, app, &account_number(run, 0)) && exists(rt, app, &account_number(run, n - 1)), "{what}: the accounts were stored");
    }
    (a.elapsed, req_bytes, a.body.len())
}

/// Timings of one scenario.
struct Stats {
    kind: Kind,
    times_ms: Vec<f64>,
    req_bytes: usize,
    res_bytes: usize,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}


/// Resident memory of this process, from /proc (Linux only).
fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}


fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then just smoke-test.
    let measuring = std::env::args().any(|a| a == "--bench");
    let n: usize = if measuring { 1000 } else { 20 };
    let iters: usize = env_or("BENCH_ITERS", if measuring { 30 } else { 2 });
    let warmup: usize = env_or("BENCH_WARMUP", if measuring { 3 } else { 1 });
    let show_runs = env_or("BENCH_SHOW_RUNS", 0u8) != 0;
    assert!(iters > 0, "BENCH_ITERS > 0");
    if !measuring {
        println!("smoke test (run without --bench): batches of {n} creates; the figures below are not measurements");
    }
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    // Match the scenario's key (the part of its name before the colon).
    let wanted = |name: &str| filters.is_empty() || filters.iter().any(|f| name.split(':').next().unwrap_or(name).contains(f.as_str()));
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("tokio runtime");

    let org = Org::default_org(Clock::system()).expect("default org loads");
    let app = App::new(Orgs::single(org), Config::default());

    println!("machine: {}", machine());
    let before = account_count(&rt, &app);
    let rss_before = rss_mib();
    let mut run = 0;
    let mut results = Vec::new();
    for kind in [Kind::ChangeSet, Kind::TopLevel, Kind::Rollback, Kind::Singles] {
        if !wanted(kind.name()) {
            continue;
        }
        eprintln!("running: {}", kind.name());
        for _ in 0..warmup {
            run += 1;
            run_once(&rt, &app, kind, run, n);
        }
        let mut stats = Stats { kind, times_ms: Vec::with_capacity(iters), req_bytes: 0, res_bytes: 0 };
        for _ in 0..iters {
            run += 1;
            let (t, req, res) = run_once(&rt, &app, kind, run, n);
            stats.times_ms.push(t.as_secs_f64() * 1e3);
            (stats.req_bytes, stats.res_bytes) = (req, res);
        }
        results.push(stats);
    }
    let rss_after = rss_mib();
    let after = account_count(&rt, &app);
    let rss = match (rss_before, rss_after) {
        (Some(a), Some(b)) => format!("resident memory {a:.0} MiB before, {b:.0} MiB after"),
        _ => "resident memory unknown".into(),
    };
    println!("accounts in the org: {before} before, {after} after ({rss}); {warmup} warm-up + {iters} measured runs per scenario, timing App::handle only");
    println!();
    println!("| scenario ({n} creates) | p50 ms | p99 ms | min ms | max ms | µs per create (p50) | request bytes | response bytes |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for s in &results {
        let mut sorted = s.times_ms.clone();
        sorted.sort_by(f64::total_cmp);
        let p50 = percentile(&sorted, 0.5);
        println!(
            "| {} | {p50:.2} | {:.2} | {:.2} | {:.2} | {:.1} | {} | {} |",
            s.kind.name(),
            percentile(&sorted, 0.99),
            sorted[0],
            sorted[sorted.len() - 1],
            p50 * 1e3 / n as f64,
            s.req_bytes,
            s.res_bytes
        );
    }
    println!();
    for s in &results {
        // In run order, to see whether the growing table slows later runs.
        let k = s.times_ms.len().min(5);
        let mean = |t: &[f64]| t.iter().sum::<f64>() / t.len() as f64;
        println!("{}: mean of the first {k} measured runs {:.2} ms, of the last {k} {:.2} ms", s.kind.name(), mean(&s.times_ms[..k]), mean(&s.times_ms[s.times_ms.len() - k..]));
        if show_runs {
            println!("  runs (ms, in order): {}", s.times_ms.iter().map(|t| format!("{t:.1}")).collect::<Vec<_>>().join(", "));
        }
    }
    if let Some(cs) = results.iter().find(|s| s.kind == Kind::ChangeSet) {
        if measuring && n == 1000 {
            let mut sorted = cs.times_ms.clone();
            sorted.sort_by(f64::total_cmp);
            let p50 = percentile(&sorted, 0.5);
            println!();
            println!("target: changeset of 1000 creates under 50 ms: p50 {p50:.2} ms, p99 {:.2} ms: {}", percentile(&sorted, 0.99), if percentile(&sorted, 0.99) < 50.0 { "met" } else if p50 < 50.0 { "met at p50, not at p99" } else { "NOT met" });
        }
    }
}
