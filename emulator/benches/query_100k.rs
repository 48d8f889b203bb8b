//! Query engine at 100k rows: RetrieveMultiple, key lookups and paging over a large
//! `account` table, driven through `App::handle` without sockets.
//!
//! Run with `cargo bench -p dataverse-emulator --bench query_100k`
//! (env: `BENCH_ROWS`, default 100000 accounts; `BENCH_ITERS`, default 50 measured runs
//! per scenario; `BENCH_SECONDS`, default 1: each scenario also runs at least this long;
//! `BENCH_PAGING_PASSES`, default 3 full paging passes per paging scenario;
//! `BENCH_SMALL_ROWS`, default 1000: the comparison org, 0 to skip it, e.g. when profiling).
//! Arguments after `--` that are not flags keep only the scenarios whose name contains one
//! of them (e.g. `-- orderby` to profile one scenario; `-- none` skips them all, leaving
//! only the load). Without `--bench` (as under `cargo test --benches`) it is only a smoke
//! test over 2000 rows.
//!
//! Why this shape:
//! - The org is the embedded default org plus N generated accounts, created through the
//!   real write pipeline (`wire::input::decode_object` + `operation::write::create`) in one
//!   `store.write` transaction, so records have the same system columns, defaults and
//!   alternate-key index entries as records created over HTTP.
//! - Requests are `http::Request<Bytes>` given to `App::handle`, the function the server
//!   calls once it has read a request, so the figures are the core's (URL parsing, routing,
//!   planning, execution, rendering, JSON serialisation) without TCP or hyper.
//! - Only `App::handle` is timed. Building the request and checking the answer (status,
//!   row counts, order) happen outside the clock; every answer is checked, so a figure is
//!   never the speed of answering errors.
//! - The same scenarios also run against a second org with 1000 generated accounts: a key
//!   lookup or an alternate-key filter that does not scan the table takes the same time at
//!   both sizes.


/// The same allocator as the `dataverse-emulator` binary, so the figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use common::{env_or, machine};
use std::collections::HashSet;
use std::time::{Duration, Instant};

use bytes::Bytes;
use dataverse_emulator::operation::write::{self, WriteContext};
use dataverse_emulator::wire::input;
use dataverse_emulator::{App, Clock, Org};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Map, Value as Json};
use uuid::Uuid;

/// The root every request URL starts with.
const ROOT: &str = "http://localhost/api/data/v9.2/";

/// Cities generated accounts live in (none of them a seeded account's city).
const CITIES: [&str; 50] = [
    "Amsterdam", "Athens", "Auckland", "Bangkok", "Barcelona", "Berlin", "Bogota", "Boston", "Brussels", "Budapest",
    "Buenos Aires", "Cairo", "Cape Town", "Chicago", "Copenhagen", "Dallas", "Denver", "Dubai", "Dublin", "Edinburgh",
    "Helsinki", "Hong Kong", "Istanbul", "Jakarta", "Lagos", "Lima", "Lisbon", "London", "Madrid", "Manila",
    "Melbourne", "Mexico City", "Miami", "Milan", "Montreal", "Mumbai", "Munich", "Nairobi", "Oslo", "Paris",
    "Prague", "Rome", "Santiago", "Seoul", "Singapore", "Stockholm", "Sydney", "Tokyo", "Toronto", "Vienna",
];

/// The city the `$filter` scenarios select (one in 50, about 2% of the rows).
const CITY: &str = "Lisbon";

/// A deterministic 64-bit mix (splitmix64), so every run builds the same data.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The generated account `i`: a random-looking but reproducible id, a city, a revenue.
fn account_id(i: usize) -> Uuid {
    let (a, b) = (mix(i as u64 * 2), mix(i as u64 * 2 + 1));
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_le_bytes());
    bytes[8..].copy_from_slice(&b.to_le_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

fn city_of(i: usize) -> &'static str {
    CITIES[(mix(i as u64 ^ 0xC17) % CITIES.len() as u64) as usize]
}

/// Revenue in cents, 0 to 100 million (with two decimals on the wire).
fn revenue_cents(i: usize) -> u64 {
    mix(i as u64 ^ 0x5EED) % 10_000_000_000
}

/// The alternate key of account `i`.
fn account_number(i: usize) -> String {
    format!("N-{i}")
}

/// A Web API create body for account `i`.
fn account_body(i: usize) -> Map<String, Json> {
    let cents = revenue_cents(i);
    let revenue: serde_json::Number = format!("{}.{:02}", cents / 100, cents % 100).parse().expect("a JSON number");
    let mut m = Map::new();
    m.insert("accountid".into(), Json::String(account_id(i).to_string()));
    m.insert("name".into(), Json::String(format!("Bench account {i:06}")));
    m.insert("accountnumber".into(), Json::String(account_number(i)));
    m.insert("address1_city".into(), Json::String(city_of(i).into()));
    m.insert("revenue".into(), Json::Number(revenue));
    m
}

/// An app over the default org plus `n` generated accounts, and facts about the data.
struct Loaded {
    app: App,
    /// Generated accounts.
    n: usize,
    /// All accounts, seeded ones included.
    total: usize,
    /// Accounts in [`CITY`].
    in_city: usize,
    load: Duration,
}

fn load(n: usize) -> Loaded {
    let org = Org::default_org(Clock::system()).expect("default org loads");
    let metadata = org.metadata();
    let entity = metadata.entity("account").expect("account table").clone();
    // As a Web API create (`seeding: false`): only columns clients may set are taken.
    let w = WriteContext { org: &org, metadata: &metadata, caller: org.settings.caller_id, now: org.clock.now(), seeding: false };
    let seeded = org.store.read().table("account").map_or(0, |t| t.len());
    let t0 = Instant::now();
    org.store
        .write(|tx| {
            for i in 0..n {
                let body = input::decode_object(&metadata, &entity, account_body(i))?;
                write::create(tx, &w, &entity, None, body)?;
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("loading {n} accounts failed: {}", e.message()));
    let load = t0.elapsed();
    let state = org.store.read();
    let table = state.table("account").expect("account rows");
    let total = table.len();
    let in_city = table.rows().filter(|r| matches!(r.get("address1_city"), dataverse_emulator::store::Value::String(s) if s == CITY)).count();
    drop(state);
    assert_eq!(total, seeded + n, "every generated account was stored");
    Loaded { app: App::with_org(org), n, total, in_city, load }
}

/// Resident memory of this process, from /proc (Linux only).
fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// One answer: status, body, and how long `App::handle` took.
struct Answer {
    status: StatusCode,
    body: Bytes,
    elapsed: Duration,
}

impl Answer {
    fn json(&self, what: &str) -> Json {
        if self.status != StatusCode::OK {
            panic!("{what}: expected 200, got {}: {}", self.status, String::from_utf8_lossy(&self.body));
        }
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{what}: body is not JSON: {e}"))
    }
}

/// Sends one GET for `url` (absolute, under [`ROOT`]) to the core, timing only `handle`.
fn get(rt: &tokio::runtime::Runtime, app: &App, url: &str, prefer: Option<&str>) -> Answer {
    let mut req = Request::get(url).header(http::header::HOST, "localhost");
    if let Some(p) = prefer {
        req = req.header("prefer", p);
    }
    let req = req.body(Bytes::new()).unwrap_or_else(|e| panic!("bad request URL {url}: {e}"));
    let t0 = Instant::now();
    let res = app.handle(req);
    let elapsed = t0.elapsed();
    let status = res.status();
    // `Full` yields its one buffer at once; the runtime only drives that poll.
    let body = rt.block_on(res.into_body().collect()).expect("response body").to_bytes();
    Answer { status, body, elapsed }
}

/// `'text'` as an OData string literal, percent-encoded for a URL.
fn quoted(text: &str) -> String {
    format!("%27{}%27", text.replace('\'', "''").replace(' ', "%20"))
}

/// A measured request: its URL (relative to the root), and a check of the answer.
struct Scenario {
    name: &'static str,
    path: String,
    check: Box<dyn Fn(&Json)>,
}

fn rows(body: &Json) -> &Vec<Json> {
    body["value"].as_array().expect("a value array")
}

/// The scenarios against one loaded org.
fn scenarios(d: &Loaded) -> Vec<Scenario> {
    let city = quoted(CITY);
    let in_city = d.in_city;
    // The same alternate key at both sizes where possible: N-12345, or the last account.
    let k = 12_345.min(d.n - 1);
    let (key_id, key_number) = (account_id(k), account_number(k));
    let key_lit = quoted(&key_number);
    let filter_orderby_top = Scenario {
        name: "filter city eq X, orderby revenue desc, top 50",
        path: format!("accounts?$filter=address1_city%20eq%20{city}&$orderby=revenue%20desc&$top=50"),
        check: Box::new(move |b| {
            let v = rows(b);
            assert_eq!(v.len(), in_city.min(50), "rows");
            assert!(v.iter().all(|r| r["address1_city"] == CITY), "only the city's rows");
            let revenue: Vec<f64> = v.iter().map(|r| r["revenue"].as_f64().expect("revenue")).collect();
            assert!(revenue.windows(2).all(|w| w[0] >= w[1]), "revenue descending");
            assert!(b.get("@odata.nextLink").is_none(), "$top: no next link");
        }),
    };
    let filter_count = Scenario {
        name: "filter city eq X, count=true, top 50",
        path: format!("accounts?$filter=address1_city%20eq%20{city}&$count=true&$top=50"),
        check: Box::new(move |b| {
            assert_eq!(rows(b).len(), in_city.min(50), "rows");
            assert_eq!(b["@odata.count"].as_u64(), Some(in_city.min(5000) as u64), "@odata.count");
        }),
    };
    let key_lookup = Scenario {
        name: "key lookup accounts(id)",
        path: format!("accounts({key_id})"),
        check: Box::new(move |b| assert_eq!(b["accountid"].as_str(), Some(key_id.to_string().as_str()), "accountid")),
    };
    let n1 = key_number.clone();
    let alt_filter = Scenario {
        name: "filter accountnumber eq N-k (alternate key)",
        path: format!("accounts?$filter=accountnumber%20eq%20{key_lit}"),
        check: Box::new(move |b| {
            let v = rows(b);
            assert_eq!(v.len(), 1, "rows");
            assert_eq!(v[0]["accountnumber"].as_str(), Some(n1.as_str()), "accountnumber");
        }),
    };
    let n2 = key_number;
    let alt_url = Scenario {
        name: "alternate key URL accounts(accountnumber='N-k')",
        path: format!("accounts(accountnumber={key_lit})"),
        check: Box::new(move |b| assert_eq!(b["accountnumber"].as_str(), Some(n2.as_str()), "accountnumber")),
    };
    vec![filter_orderby_top, filter_count, key_lookup, alt_filter, alt_url]
}

/// Timings of one scenario.
struct Stats {
    p50_ms: f64,
    p99_ms: f64,
    iterations: usize,
    body_bytes: usize,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Warms up, then runs `s` at least `iters` times and for at least `min_time`.
fn measure(rt: &tokio::runtime::Runtime, d: &Loaded, s: &Scenario, iters: usize, min_time: Duration) -> Stats {
    let url = format!("{ROOT}{}", s.path);
    let warmup = (iters / 10).max(2);
    let mut body_bytes = 0;
    for _ in 0..warmup {
        let a = get(rt, &d.app, &url, None);
        (s.check)(&a.json(s.name));
        body_bytes = a.body.len();
    }
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < iters || (start.elapsed() < min_time && times.len() < 1_000_000) {
        let a = get(rt, &d.app, &url, None);
        (s.check)(&a.json(s.name));
        times.push(a.elapsed.as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Stats { p50_ms: percentile(&times, 0.5), p99_ms: percentile(&times, 0.99), iterations: times.len(), body_bytes }
}

/// One full pass over the table, page by page: each page's `handle` time in ms.
fn paging_pass(rt: &tokio::runtime::Runtime, d: &Loaded, select: Option<&str>, page_size: usize) -> Vec<f64> {
    let prefer = format!("odata.maxpagesize={page_size}");
    let mut url = match select {
        Some(s) => format!("{ROOT}accounts?$select={s}"),
        None => format!("{ROOT}accounts"),
    };
    let mut seen = HashSet::with_capacity(d.total);
    let mut times = Vec::new();
    loop {
        let a = get(rt, &d.app, &url, Some(&prefer));
        let body = a.json("paging");
        times.push(a.elapsed.as_secs_f64() * 1e3);
        let page = rows(&body);
        let next = body.get("@odata.nextLink").and_then(Json::as_str);
        let expected = if next.is_some() { page_size } else { d.total - seen.len() };
        assert_eq!(page.len(), expected, "page {} size", times.len());
        for r in page {
            let id = r["accountid"].as_str().expect("accountid");
            assert!(seen.insert(id.to_string()), "page {}: {id} seen before", times.len());
        }
        match next {
            Some(link) => {
                assert!(link.starts_with(ROOT), "next link {link} is under the service root");
                url = link.to_string();
            }
            None => break,
        }
        assert!(times.len() <= d.total / page_size + 1, "paging does not end");
    }
    assert_eq!(seen.len(), d.total, "every account exactly once");
    times
}

/// Per-page times of a paging scenario: the median of each page over the passes.
struct Paging {
    name: String,
    pages: Vec<f64>,
    pass_totals: Vec<f64>,
}

fn paging(rt: &tokio::runtime::Runtime, d: &Loaded, select: Option<&str>, passes: usize, page_size: usize) -> Paging {
    let name = match select {
        Some(s) => format!("page through accounts?$select={s}, maxpagesize={page_size}"),
        None => format!("page through accounts (all columns), maxpagesize={page_size}"),
    };
    eprintln!("running: {name}");
    paging_pass(rt, d, select, page_size); // warm-up
    let runs: Vec<Vec<f64>> = (0..passes).map(|_| paging_pass(rt, d, select, page_size)).collect();
    let pages = (0..runs[0].len())
        .map(|i| {
            let mut t: Vec<f64> = runs.iter().map(|r| r[i]).collect();
            t.sort_by(f64::total_cmp);
            percentile(&t, 0.5)
        })
        .collect();
    Paging { name, pages, pass_totals: runs.iter().map(|r| r.iter().sum()).collect() }
}



fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then just smoke-test.
    let measuring = std::env::args().any(|a| a == "--bench");
    let big: usize = env_or("BENCH_ROWS", if measuring { 100_000 } else { 2_000 });
    let small: usize = env_or("BENCH_SMALL_ROWS", 1_000).min(big);
    let iters: usize = env_or("BENCH_ITERS", if measuring { 50 } else { 3 });
    let seconds: f64 = env_or("BENCH_SECONDS", if measuring { 1.0 } else { 0.0 });
    let passes: usize = env_or("BENCH_PAGING_PASSES", if measuring { 3 } else { 1 });
    let page_size: usize = if measuring { 5000 } else { 500 };
    assert!(big >= 2 && iters > 0 && passes > 0 && seconds >= 0.0, "BENCH_ROWS >= 2, BENCH_ITERS and BENCH_PAGING_PASSES > 0");
    if !measuring {
        println!("smoke test (run without --bench): the figures below are not measurements");
    }
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let wanted = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("tokio runtime");
    let min_time = Duration::from_secs_f64(seconds);

    println!("machine: {}", machine());
    let rss0 = rss_mib();
    let small_org = (small >= 2).then(|| load(small));
    let large = load(big);
    println!(
        "load: {} accounts in {:.2} s ({:.0} creates/s, one transaction); {}; resident memory {}",
        large.n,
        large.load.as_secs_f64(),
        large.n as f64 / large.load.as_secs_f64(),
        small_org.as_ref().map_or("no comparison org".into(), |s| format!("{} accounts in {:.3} s", s.n, s.load.as_secs_f64())),
        match (rss0, rss_mib()) {
            (Some(a), Some(b)) => format!("{a:.0} MiB before, {b:.0} MiB after loading"),
            _ => "unknown".into(),
        }
    );
    println!(
        "data: {} + {} seeded accounts (large), {} (small); '{CITY}' holds {} (large) and {} (small); {iters}+ runs and >= {seconds} s per scenario, timing App::handle only",
        large.n,
        large.total - large.n,
        small_org.as_ref().map_or(0, |s| s.n),
        large.in_city,
        small_org.as_ref().map_or(0, |s| s.in_city)
    );

    let mut table = Vec::new();
    let small_scenarios = small_org.as_ref().map(scenarios);
    for (i, s_large) in scenarios(&large).into_iter().enumerate() {
        if !wanted(s_large.name) {
            continue;
        }
        eprintln!("running: {}", s_large.name);
        let a = small_org.as_ref().zip(small_scenarios.as_ref()).map(|(d, s)| measure(&rt, d, &s[i], iters, min_time));
        let b = measure(&rt, &large, &s_large, iters, min_time);
        table.push((s_large.name, a, b));
    }
    let mut pagings = Vec::new();
    for select in [None, Some("name,accountnumber")] {
        let name = if select.is_some() { "page through accounts?$select" } else { "page through accounts (all columns)" };
        if wanted(name) {
            pagings.push(paging(&rt, &large, select, passes, page_size));
        }
    }

    println!();
    let sn = small_org.as_ref().map_or(0, |s| s.n);
    println!("| scenario | N={sn} p50 ms | N={sn} p99 ms | N={} p50 ms | N={} p99 ms | p50 ratio | runs at N={} | body bytes |", large.n, large.n, large.n);
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let ms = |x: Option<f64>| x.map_or("–".to_string(), |v| format!("{v:.3}"));
    for (name, a, b) in &table {
        println!(
            "| {name} | {} | {} | {:.3} | {:.3} | {} | {} | {} |",
            ms(a.as_ref().map(|a| a.p50_ms)),
            ms(a.as_ref().map(|a| a.p99_ms)),
            b.p50_ms,
            b.p99_ms,
            a.as_ref().map_or("–".to_string(), |a| format!("{:.1}×", b.p50_ms / a.p50_ms)),
            b.iterations,
            b.body_bytes
        );
    }
    for p in &pagings {
        let mut sorted = p.pages.clone();
        sorted.sort_by(f64::total_cmp);
        println!();
        println!("{} (N={}, {} pages, median of {passes} passes after one warm-up pass):", p.name, large.total, p.pages.len());
        // With N + seeded rows the last page is usually a short one; name the last full page too.
        let last_rows = large.total - (p.pages.len() - 1) * page_size;
        let last_full = if last_rows == page_size { p.pages.len() - 1 } else { p.pages.len().saturating_sub(2) };
        println!(
            "- first page {:.1} ms, median page {:.1} ms, last full page (#{}) {:.1} ms, last page (#{}, {} rows) {:.1} ms, slowest {:.1} ms; whole pass {} ms",
            p.pages[0],
            percentile(&sorted, 0.5),
            last_full + 1,
            p.pages[last_full],
            p.pages.len(),
            last_rows,
            p.pages[p.pages.len() - 1],
            sorted[sorted.len() - 1],
            p.pass_totals.iter().map(|t| format!("{t:.0}")).collect::<Vec<_>>().join(" / ")
        );
        println!("- per page (ms): {}", p.pages.iter().map(|t| format!("{t:.1}")).collect::<Vec<_>>().join(", "));
    }
}
