//! HTTP throughput on loopback: the emulator next to a bare hyper server, in one run.
//!
//! Run with `cargo bench -p dataverse-emulator --bench http_throughput`
//! (env: `BENCH_CONCURRENCY`, default 32 connections; `BENCH_SECONDS`, default 5).
//! Arguments after `--` that are not flags keep only the scenarios whose name contains one
//! of them, e.g. `-- POST` to profile a single scenario. Without `--bench` (as under
//! `cargo test --benches`) it is only a smoke test: every scenario runs for a moment.
//!
//! Why this shape:
//! - Absolute requests/s depend on the machine, so every emulator figure is printed next to
//!   a bare hyper server answering a fixed body, measured in the same process and run. The
//!   ratio is the number to watch; the absolute figures only say what this machine did.
//! - Everything (both servers and the load generator) shares one multi-threaded tokio
//!   runtime with default settings, so the load generator competes with the server for the
//!   same cores. That is unavoidable on a small machine; it affects both sides alike.
//! - The load generator is closed-loop: each of N workers owns one keep-alive HTTP/1.1
//!   connection (its own legacy `Client`) and sends the next request when the previous
//!   response body has been read. Requests/s therefore include the client's own cost.
//! - Each scenario warms up for 1 s (connections opened, caches and allocator warm), then
//!   counts only requests that start and end inside the measured window.
//! - Every response status is checked; an unexpected one aborts the bench, so a figure is
//!   never the speed of answering errors.
//! - The request journal's cost is measured twice: a journal-off twin of the `$select` GET
//!   over HTTP, and `App::handle` in process with the journal on and off (see [`journal_cost`]).


/// The same allocator as the `dataverse-emulator` binary, so the figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use common::{env_or, machine};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use dataverse_emulator::{App, Clock, Config, Org, Orgs};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A seeded account of the default org (Fabrikam).
const ACCOUNT_ID: &str = "a0000000-0000-4000-8000-000000000001";

/// The bare server's answer: about the size and shape of the emulator's
/// `accounts(<id>)?$select=name,revenue` response.
const FIXED_BODY: &str = r#"{"@odata.context":"http://127.0.0.1/api/data/v9.2/$metadata#accounts(name,revenue)/$entity","@odata.etag":"W/\"1000001\"","name":"Fabrikam, Inc.","revenue":1000000.0000,"_transactioncurrencyid_value":"a1000000-0000-4000-8000-000000000001","accountid":"a0000000-0000-4000-8000-000000000001"}"#;

/// A server running on its own task, stopped by [`Running::stop`].
struct Running {
    addr: SocketAddr,
    /// Connections accepted (counted by the bare server only; the emulator's is internal).
    accepted: Arc<AtomicU64>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(());
        self.task.await.expect("server task ends cleanly");
    }
}

/// The emulator, exactly as the CLI wires it: default org, system clock, default config
/// (request journal on, 1000 entries); `journal: false` turns the journal off, to measure
/// what recording costs.
async fn start_emulator(journal: bool) -> Running {
    let org = Org::default_org(Clock::system()).expect("default org loads");
    let config = if journal { Config::default() } else { Config { journal_size: 0, ..Config::default() } };
    let app = App::new(Orgs::single(org), config);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind emulator");
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let shutdown = async {
            let _ = rx.await;
        };
        dataverse_emulator::run(listener, app, shutdown).await.expect("emulator runs");
    });
    Running { addr, accepted: Arc::default(), stop, task }
}

/// A bare hyper 1 server: the same auto builder and HTTP/1 settings as the emulator's
/// server (keep-alive, title-case headers, TCP_NODELAY), but a handler that does nothing.
async fn start_bare() -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind bare server");
    let addr = listener.local_addr().unwrap();
    let (stop, mut rx) = oneshot::channel::<()>();
    let accepted = Arc::new(AtomicU64::new(0));
    let counter = accepted.clone();
    let task = tokio::spawn(async move {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder.http1().title_case_headers(true).keep_alive(true);
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    counter.fetch_add(1, Ordering::Relaxed);
                    let _ = stream.set_nodelay(true);
                    let service = service_fn(|_req: Request<Incoming>| async {
                        let res = Response::builder()
                            .header(http::header::CONTENT_TYPE, "application/json")
                            .body(Full::new(Bytes::from_static(FIXED_BODY.as_bytes())))
                            .unwrap();
                        Ok::<_, Infallible>(res)
                    });
                    let conn = builder.serve_connection(TokioIo::new(stream), service).into_owned();
                    let conn = graceful.watch(conn);
                    tokio::spawn(async move {
                        let _ = conn.await;
                    });
                }
                _ = &mut rx => break,
            }
        }
        drop(listener);
        let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
    });
    Running { addr, accepted, stop, task }
}

/// One load scenario: how to build each request and which status it must get.
struct Scenario {
    name: &'static str,
    method: Method,
    addr: SocketAddr,
    path: String,
    /// Builds the body of the n-th request (`None` for GET).
    body: Option<fn(u64) -> String>,
    expect: StatusCode,
}

impl Scenario {
    fn request(&self, n: u64) -> Request<Full<Bytes>> {
        let builder =
            Request::builder().method(self.method.clone()).uri(format!("http://{}{}", self.addr, self.path));
        match self.body {
            Some(make) => builder.header(http::header::CONTENT_TYPE, "application/json").body(Full::new(make(n).into())),
            None => builder.body(Full::default()),
        }
        .unwrap()
    }
}

/// What one scenario measured.
struct Outcome {
    name: &'static str,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    body_bytes: usize,
}

/// Sends one request and checks its status; panics (failing the bench) otherwise.
async fn send(client: &Client<HttpConnector, Full<Bytes>>, s: &Scenario, n: u64) -> usize {
    let res = client.request(s.request(n)).await.unwrap_or_else(|e| panic!("{}: request failed: {e}", s.name));
    let status = res.status();
    let body = res.into_body().collect().await.expect("response body").to_bytes();
    if status != s.expect {
        panic!("{}: expected {}, got {status}: {}", s.name, s.expect, String::from_utf8_lossy(&body));
    }
    body.len()
}

/// Runs `s` with `concurrency` closed-loop workers: `warmup` unrecorded, then `measure`.
async fn run_scenario(s: Scenario, concurrency: usize, warmup: Duration, measure: Duration) -> Outcome {
    let s = Arc::new(s);
    // A counter shared by all workers so that every POST gets a unique account number.
    let counter = Arc::new(AtomicU64::new(0));
    // One request first, outside the clock, for the response size and an early failure.
    let probe = Client::builder(TokioExecutor::new()).build_http();
    let body_bytes = send(&probe, &s, counter.fetch_add(1, Ordering::Relaxed)).await;
    drop(probe);

    let start = Instant::now() + warmup;
    let end = start + measure;
    let workers: Vec<JoinHandle<Vec<u64>>> = (0..concurrency)
        .map(|_| {
            let (s, counter) = (s.clone(), counter.clone());
            tokio::spawn(async move {
                // One client per worker: exactly one keep-alive connection each.
                let client = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(1).build_http();
                let mut timings = Vec::with_capacity(64 * 1024);
                loop {
                    let t0 = Instant::now();
                    if t0 >= end {
                        break;
                    }
                    send(&client, &s, counter.fetch_add(1, Ordering::Relaxed)).await;
                    let t1 = Instant::now();
                    if t0 >= start && t1 <= end {
                        timings.push((t1 - t0).as_nanos() as u64);
                    }
                }
                timings
            })
        })
        .collect();
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.expect("worker panicked (see above)"));
    }
    assert!(!all.is_empty(), "{}: no request completed inside the measured window", s.name);
    all.sort_unstable();
    let pct = |p: f64| all[((all.len() - 1) as f64 * p).round() as usize] as f64 / 1e6;
    Outcome {
        name: s.name,
        rps: all.len() as f64 / measure.as_secs_f64(),
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        body_bytes,
    }
}

/// Body of the n-th POST: a small account with a unique account number.
fn post_body(n: u64) -> String {
    format!(r#"{{"name":"Bench account {n}","accountnumber":"BENCH-{n:08}","revenue":12345.5}}"#)
}



fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then just smoke-test.
    let measuring = std::env::args().any(|a| a == "--bench");
    let concurrency: usize = env_or("BENCH_CONCURRENCY", if measuring { 32 } else { 4 });
    let seconds: f64 = env_or("BENCH_SECONDS", if measuring { 5.0 } else { 0.2 });
    assert!(concurrency > 0 && seconds > 0.0, "BENCH_CONCURRENCY and BENCH_SECONDS must be positive");
    let warmup = Duration::from_secs_f64(if measuring { 1.0 } else { 0.1 });
    if !measuring {
        println!("smoke test (run without --bench): the figures below are not measurements");
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    rt.block_on(bench(concurrency, warmup, Duration::from_secs_f64(seconds)));
    // Any straggling task (there should be none) is dropped here, so the process exits.
    rt.shutdown_timeout(Duration::from_secs(1));
}

/// What the request journal costs per request, without the network's noise: `App::handle`
/// for the GET-by-id request with the journal on and off, in alternating blocks on one
/// thread; the median block of each. HTTP adds its own fixed cost to every request, so
/// the share measured here is an upper bound on the journal's share of HTTP throughput.
fn journal_cost(blocks: usize, per_block: usize) -> (f64, f64) {
    let app = |journal_size| App::new(Orgs::single(Org::default_org(Clock::system()).expect("default org loads")), Config { journal_size, ..Config::default() });
    let (on, off) = (app(1000), app(0));
    let request = || {
        Request::builder()
            .uri(format!("http://127.0.0.1/api/data/v9.2/accounts({ACCOUNT_ID})?$select=name,revenue"))
            .body(Bytes::new())
            .unwrap()
    };
    let time = |app: &App| {
        let t0 = Instant::now();
        for _ in 0..per_block {
            let res = app.handle(request());
            assert_eq!(res.status(), StatusCode::OK);
        }
        t0.elapsed().as_nanos() as f64 / per_block as f64
    };
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for _ in 0..blocks {
        with.push(time(&on));
        without.push(time(&off));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(&mut with), median(&mut without))
}

async fn bench(concurrency: usize, warmup: Duration, measure: Duration) {
    let bare = start_bare().await;
    let emu = start_emulator(true).await;
    let quiet = start_emulator(false).await;
    let root = "/api/data/v9.2";
    let scenario = |name, method, addr, path: String, body, expect| Scenario { name, method, addr, path, body, expect };
    let scenarios = [
        scenario("bare hyper GET (fixed body)", Method::GET, bare.addr, "/".into(), None, StatusCode::OK),
        scenario(
            "emulator GET accounts(id)?$select=name,revenue",
            Method::GET,
            emu.addr,
            format!("{root}/accounts({ACCOUNT_ID})?$select=name,revenue"),
            None,
            StatusCode::OK,
        ),
        scenario(
            "emulator GET accounts(id)?$select=name,revenue, journal off",
            Method::GET,
            quiet.addr,
            format!("{root}/accounts({ACCOUNT_ID})?$select=name,revenue"),
            None,
            StatusCode::OK,
        ),
        scenario("emulator GET accounts(id) all columns", Method::GET, emu.addr, format!("{root}/accounts({ACCOUNT_ID})"), None, StatusCode::OK),
        scenario("emulator POST accounts", Method::POST, emu.addr, format!("{root}/accounts"), Some(post_body), StatusCode::NO_CONTENT),
    ];

    println!("machine: {}", machine());
    println!(
        "load: {concurrency} keep-alive HTTP/1.1 connections, {} s warm-up + {} s measured per scenario, client and servers share the machine",
        warmup.as_secs_f64(),
        measure.as_secs_f64()
    );
    // Arguments other than flags filter scenarios by name.
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let mut outcomes = Vec::new();
    for s in scenarios.into_iter().filter(|s| filters.is_empty() || filters.iter().any(|f| s.name.contains(f.as_str()))) {
        eprintln!("running: {}", s.name);
        outcomes.push(run_scenario(s, concurrency, warmup, measure).await);
    }

    let base = outcomes.iter().find(|o| o.name.starts_with("bare")).map(|o| o.rps);
    println!();
    println!("| scenario | requests/s | p50 ms | p99 ms | relative to bare hyper | response body bytes |");
    println!("|---|---:|---:|---:|---:|---:|");
    for o in &outcomes {
        println!(
            "| {} | {:.0} | {:.3} | {:.3} | {} | {} |",
            o.name,
            o.rps,
            o.p50_ms,
            o.p99_ms,
            base.map_or("n/a".to_string(), |b| format!("{:.2}", o.rps / b)),
            o.body_bytes
        );
    }

    let measuring = std::env::args().any(|a| a == "--bench");
    let (with, without) = tokio::task::block_in_place(|| if measuring { journal_cost(21, 20_000) } else { journal_cost(3, 200) });
    println!();
    println!(
        "request journal, in-process App::handle GET accounts(id)?$select=name,revenue (median of alternating blocks): {:.2} µs on, {:.2} µs off, {:+.1}%",
        with / 1e3,
        without / 1e3,
        (with / without - 1.0) * 100.0
    );

    // The probe opens one connection, each worker one more if keep-alive works as intended.
    println!();
    println!("bare server accepted {} connections for {concurrency} workers", bare.accepted.load(Ordering::Relaxed));
    bare.stop().await;
    emu.stop().await;
    quiet.stop().await;
}
