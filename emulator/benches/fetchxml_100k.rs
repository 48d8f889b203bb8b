//! FetchXML at 100k accounts and 200k contacts: a joined, filtered, ordered 50-row page,
//! and a count/groupby aggregate, driven through `App::handle` without sockets.
//!
//! Run with `cargo bench -p dataverse-emulator --bench fetchxml_100k`
//! (env: `BENCH_ACCOUNTS`, default 100000; `BENCH_CONTACTS`, default 200000;
//! `BENCH_ITERS`, default 100 measured runs per scenario; `BENCH_SECONDS`, default 2: each
//! scenario also runs at least this long). Arguments after `--` that are not flags keep only
//! the scenarios whose key contains one of them (`-- link` to profile the link-filter
//! scenarios; `-- none` runs only the load). Without `--bench` (as under
//! `cargo test --benches`) it is only a smoke test over 2000 accounts and 4000 contacts.
//!
//! Why this shape:
//! - The data is the embedded default org plus generated accounts and contacts, created
//!   through the real write pipeline (`wire::input::decode_object` +
//!   `operation::write::create`) in one `store.write` transaction per table, as
//!   `query_100k` does, so records carry the same system columns, defaults, computed
//!   `fullname` and resolved `parentcustomerid` lookups as records created over HTTP.
//!   Contacts are written with `seeding: true` so that one in ten can be created inactive
//!   (`statecode` is not valid for create over the Web API; seeding only lets such columns
//!   through, nothing else differs).
//! - Requests are `GET /api/data/v9.2/<set>?fetchXml=<percent-encoded XML>` given to
//!   `App::handle`, so the figures include URL parsing, FetchXML parsing and compiling,
//!   execution, rendering and JSON serialisation, without TCP or hyper.
//! - Only `App::handle` is timed. Every answer is checked outside the clock against sets
//!   computed by scanning the store directly (not through the query engine): status, row
//!   count, that every row is an expected one, the order, and each aggregate group's count.
//! - The first run of each scenario is reported apart ("cold"): it builds the column
//!   equality indexes the scenario uses (`store::index`), which later runs reuse.

/// The same allocator as the `dataverse-emulator` binary, so the figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use common::{env_or, machine};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use bytes::Bytes;
use dataverse_emulator::operation::write::{self, WriteContext};
use dataverse_emulator::store::Value;
use dataverse_emulator::wire::input;
use dataverse_emulator::{App, Clock, Org};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

/// The root every request URL starts with.
const ROOT: &str = "http://localhost/api/data/v9.2/";

/// Cities generated accounts live in (2% each).
const CITIES: [&str; 50] = [
    "Amsterdam", "Athens", "Auckland", "Bangkok", "Barcelona", "Berlin", "Bogota", "Boston", "Brussels", "Budapest",
    "Buenos Aires", "Cairo", "Cape Town", "Chicago", "Copenhagen", "Dallas", "Denver", "Dubai", "Dublin", "Edinburgh",
    "Helsinki", "Hong Kong", "Istanbul", "Jakarta", "Lagos", "Lima", "Lisbon", "London", "Madrid", "Manila",
    "Melbourne", "Mexico City", "Miami", "Milan", "Montreal", "Mumbai", "Munich", "Nairobi", "Oslo", "Paris",
    "Prague", "Rome", "Santiago", "Seattle", "Singapore", "Stockholm", "Sydney", "Tokyo", "Toronto", "Vienna",
];

/// Contact last names (2% each).
const LAST_NAMES: [&str; 50] = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
    "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
    "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
];

const FIRST_NAMES: [&str; 20] = [
    "Ada", "Ben", "Chloe", "Dan", "Eva", "Finn", "Grace", "Hugo", "Ines", "Jon", "Kim", "Leo", "Mia", "Nils", "Olga", "Paul", "Rosa", "Sam", "Tia", "Yan",
];

/// The city and the last name the scenarios select.
const CITY: &str = "Seattle";
const LAST_NAME: &str = "Smith";

/// Accounts with fewer employees than this are the aggregate's filtered subset (~40%).
const EMPLOYEES_BELOW: i64 = 4000;

/// A deterministic 64-bit mix (splitmix64), so every run builds the same data.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn random_id(i: u64, salt: u64) -> Uuid {
    let (a, b) = (mix((i * 2) ^ salt), mix((i * 2 + 1) ^ salt));
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_le_bytes());
    bytes[8..].copy_from_slice(&b.to_le_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

fn pick<T: Copy>(list: &[T], i: usize, salt: u64) -> T {
    list[(mix(i as u64 ^ salt) % list.len() as u64) as usize]
}

fn account_id(i: usize) -> Uuid {
    random_id(i as u64, 0)
}

fn contact_id(j: usize) -> Uuid {
    random_id(j as u64, 0xC0_47AC7)
}

/// A Web API create body for account `i`: city, industry (1–33, one in 20 left empty),
/// employees 0–9999.
fn account_body(i: usize) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("accountid".into(), Json::String(account_id(i).to_string()));
    m.insert("name".into(), Json::String(format!("Bench account {i:06}")));
    m.insert("accountnumber".into(), Json::String(format!("N-{i}")));
    m.insert("address1_city".into(), Json::String(pick(&CITIES, i, 0xC17).into()));
    if !mix(i as u64 ^ 0x1D5).is_multiple_of(20) {
        m.insert("industrycode".into(), Json::from(mix(i as u64 ^ 0x1D6) % 33 + 1));
    }
    m.insert("numberofemployees".into(), Json::from(mix(i as u64 ^ 0xE3B) % 10_000));
    m
}

/// A create body for contact `j`: a name, a parent account, one in ten inactive.
/// The generated account contact `j` belongs to.
fn parent_of(j: usize, accounts: usize) -> usize {
    (mix(j as u64 ^ 0x9A7E) % accounts as u64) as usize
}

/// One contact in ten is created inactive.
fn inactive(j: usize) -> bool {
    mix(j as u64 ^ 0x57A7E).is_multiple_of(10)
}

fn contact_body(j: usize, accounts: usize) -> Map<String, Json> {
    let parent = parent_of(j, accounts);
    let mut m = Map::new();
    m.insert("contactid".into(), Json::String(contact_id(j).to_string()));
    m.insert("firstname".into(), Json::String(pick(&FIRST_NAMES, j, 0xF1).into()));
    m.insert("lastname".into(), Json::String(pick(&LAST_NAMES, j, 0x1A57).into()));
    m.insert("emailaddress1".into(), Json::String(format!("c{j}@example.com")));
    m.insert("parentcustomerid_account@odata.bind".into(), Json::String(format!("/accounts({})", account_id(parent))));
    if inactive(j) {
        m.insert("statecode".into(), Json::from(1));
        m.insert("statuscode".into(), Json::from(2));
    }
    m
}

/// What a scan of the store says the queries must return.
#[derive(Default)]
struct Expected {
    /// Contacts: `LAST_NAME`, active, parent account in `CITY`.
    name_active_city: HashSet<String>,
    /// Contacts: active, parent in `CITY`, with their last names.
    active_city: HashMap<String, String>,
    /// Contacts: active, parent is the key account (one with an active contact).
    active_key: HashSet<String>,
    /// Accounts by industry code (`None`: empty).
    by_industry: BTreeMap<Option<i64>, usize>,
    /// The same, over accounts with fewer than `EMPLOYEES_BELOW` employees.
    by_industry_small: BTreeMap<Option<i64>, usize>,
}

struct Loaded {
    app: App,
    accounts: usize,
    contacts: usize,
    total_accounts: usize,
    total_contacts: usize,
    key_account: usize,
    expected: Expected,
    load_accounts: Duration,
    load_contacts: Duration,
}

fn text(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        _ => None,
    }
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) | Value::Choice(i) => Some(i64::from(*i)),
        _ => None,
    }
}

fn load(accounts: usize, contacts: usize) -> Loaded {
    let org = Org::default_org(Clock::system()).expect("default org loads");
    let metadata = org.metadata();
    let account = metadata.entity("account").expect("account table").clone();
    let contact = metadata.entity("contact").expect("contact table").clone();
    let w = WriteContext { org: &org, metadata: &metadata, caller: org.settings.caller_id, now: org.clock.now(), seeding: false };
    let t0 = Instant::now();
    org.store
        .write(|tx| {
            for i in 0..accounts {
                let body = input::decode_object(&metadata, &account, account_body(i))?;
                write::create(tx, &w, &account, None, body)?;
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("loading {accounts} accounts failed: {}", e.message()));
    let load_accounts = t0.elapsed();
    let seed = WriteContext { seeding: true, ..w };
    let t0 = Instant::now();
    org.store
        .write(|tx| {
            for j in 0..contacts {
                let body = input::decode_object(&metadata, &contact, contact_body(j, accounts))?;
                write::create(tx, &seed, &contact, None, body)?;
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("loading {contacts} contacts failed: {}", e.message()));
    let load_contacts = t0.elapsed();

    // The expected answers, from a plain scan of the store.
    // The account of the first active generated contact: it has at least one.
    let first_active = (0..contacts).find(|j| !inactive(*j)).unwrap_or(0);
    let key_account = parent_of(first_active, accounts);
    let key_id = account_id(key_account);
    let state = org.store.read();
    let account_rows = state.table("account").expect("accounts");
    let contact_rows = state.table("contact").expect("contacts");
    let mut e = Expected::default();
    for a in account_rows.rows() {
        let industry = match a.get("industrycode") {
            Value::Null => None,
            v => Some(int(v).unwrap_or_else(|| panic!("industrycode is stored as {v:?}"))),
        };
        *e.by_industry.entry(industry).or_default() += 1;
        if int(a.get("numberofemployees")).is_some_and(|n| n < EMPLOYEES_BELOW) {
            *e.by_industry_small.entry(industry).or_default() += 1;
        }
    }
    let mut generated_contacts = 0;
    for c in contact_rows.rows() {
        let Value::Lookup(parent) = c.get("parentcustomerid") else { continue };
        generated_contacts += 1;
        let active = int(c.get("statecode")) == Some(0);
        let parent_city = state.get("account", parent.id).and_then(|a| text(a.get("address1_city")));
        let last = text(c.get("lastname")).unwrap_or_default().to_string();
        let id = c.id.to_string();
        if active && parent_city == Some(CITY) {
            if last == LAST_NAME {
                e.name_active_city.insert(id.clone());
            }
            e.active_city.insert(id.clone(), last);
        }
        if active && parent.id == key_id {
            e.active_key.insert(id);
        }
    }
    assert_eq!(generated_contacts, contacts, "every generated contact has its parent account");
    let (total_accounts, total_contacts) = (account_rows.len(), contact_rows.len());
    drop(state);
    Loaded { app: App::with_org(org), accounts, contacts, total_accounts, total_contacts, key_account, expected: e, load_accounts, load_contacts }
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

/// Sends one GET to the core, timing only `handle`.
fn get(rt: &tokio::runtime::Runtime, app: &App, url: &str) -> Answer {
    let req = Request::get(url).header(http::header::HOST, "localhost").body(Bytes::new()).unwrap_or_else(|e| panic!("bad request URL {url}: {e}"));
    let t0 = Instant::now();
    let res = app.handle(req);
    let elapsed = t0.elapsed();
    let status = res.status();
    let body = rt.block_on(res.into_body().collect()).expect("response body").to_bytes();
    Answer { status, body, elapsed }
}

/// A measured request: the entity set, the query (FetchXML, or SQL for the `sql` option),
/// the expected status and a check.
struct Scenario {
    key: &'static str,
    name: String,
    set: &'static str,
    /// `fetchXml` or `sql`.
    option: &'static str,
    xml: String,
    status: StatusCode,
    check: Box<dyn Fn(&Json)>,
}

fn rows(body: &Json) -> &Vec<Json> {
    body["value"].as_array().expect("a value array")
}

/// The page scenarios' common shape: contacts' full names ordered by last name, 50 a
/// page, an inner join to the parent account (its name), the given filters.
fn page_xml(root_filter: &str, link_filter: &str) -> String {
    format!(
        r#"<fetch count="50" page="1"><entity name="contact"><attribute name="fullname"/><order attribute="lastname"/><filter>{root_filter}</filter><link-entity name="account" from="accountid" to="parentcustomerid" alias="a"><attribute name="name"/><filter>{link_filter}</filter></link-entity></entity></fetch>"#
    )
}

fn condition(attribute: &str, value: &str) -> String {
    format!(r#"<condition attribute="{attribute}" operator="eq" value="{value}"/>"#)
}

/// Checks a page: the right number of rows, each an expected contact with its account
/// name, ordered by last name.
fn check_page(body: &Json, expected: &HashMap<String, String>, what: &str) {
    let v = rows(body);
    assert_eq!(v.len(), expected.len().min(50), "{what}: rows");
    let mut last = String::new();
    for r in v {
        let id = r["contactid"].as_str().unwrap_or_else(|| panic!("{what}: contactid in {r}"));
        let lastname = expected.get(id).unwrap_or_else(|| panic!("{what}: contact {id} should not match"));
        assert!(r["fullname"].as_str().is_some_and(|f| f.ends_with(lastname.as_str())), "{what}: fullname of {id}");
        assert!(r["a_x002e_name"].as_str().is_some_and(|n| n.starts_with("Bench account")), "{what}: linked account name of {id}: {r}");
        let folded = lastname.to_lowercase();
        assert!(folded >= last, "{what}: ordered by lastname");
        last = folded;
    }
}

/// Checks an aggregate answer: one group per industry code, each with its count.
fn check_groups(body: &Json, expected: &BTreeMap<Option<i64>, usize>, what: &str) {
    let got: BTreeMap<Option<i64>, usize> = rows(body)
        .iter()
        .map(|g| (g["industry"].as_i64(), g["n"].as_u64().unwrap_or_else(|| panic!("{what}: count in {g}")) as usize))
        .collect();
    assert_eq!(rows(body).len(), expected.len(), "{what}: one row per group");
    assert_eq!(&got, expected, "{what}: group counts");
}

fn scenarios(d: &Loaded) -> Vec<Scenario> {
    let e = &d.expected;
    let smith: HashMap<String, String> = e.name_active_city.iter().map(|id| (id.clone(), LAST_NAME.to_string())).collect();
    let city = e.active_city.clone();
    let key: HashMap<String, String> = e.active_key.iter().map(|id| (id.clone(), String::new())).collect();
    let key_contacts = key.keys().cloned().collect::<HashSet<_>>();
    let active = condition("statecode", "0");
    let by_industry = e.by_industry.clone();
    let small = e.by_industry_small.clone();
    let (sql_city, sql_small) = (e.active_city.clone(), e.by_industry_small.clone());
    let total_accounts = d.total_accounts;
    let group_xml = |filter: &str| {
        format!(r#"<fetch aggregate="true"><entity name="account"><attribute name="industrycode" alias="industry" groupby="true"/><attribute name="accountid" alias="n" aggregate="count"/>{filter}</entity></fetch>"#)
    };
    vec![
        Scenario {
            key: "root-selective",
            name: format!("page 50: contacts lastname eq {LAST_NAME} + statecode eq 0, inner link account city eq {CITY}, order lastname"),
            set: "contacts",
            option: "fetchXml",
            xml: page_xml(&format!("{}{active}", condition("lastname", LAST_NAME)), &condition("address1_city", CITY)),
            status: StatusCode::OK,
            check: Box::new(move |b| check_page(b, &smith, "root-selective")),
        },
        Scenario {
            key: "link-city",
            name: format!("page 50: contacts statecode eq 0, inner link account city eq {CITY} (selective on the link), order lastname"),
            set: "contacts",
            option: "fetchXml",
            xml: page_xml(&active, &condition("address1_city", CITY)),
            status: StatusCode::OK,
            check: Box::new(move |b| check_page(b, &city, "link-city")),
        },
        Scenario {
            key: "link-key",
            name: format!("page 50: contacts statecode eq 0, inner link account accountnumber eq N-{} (one account), order lastname", d.key_account),
            set: "contacts",
            option: "fetchXml",
            xml: page_xml(&active, &condition("accountnumber", &format!("N-{}", d.key_account))),
            status: StatusCode::OK,
            check: Box::new(move |b| {
                let v = rows(b);
                assert_eq!(v.len(), key_contacts.len().min(50), "link-key: rows");
                assert!(v.iter().all(|r| r["contactid"].as_str().is_some_and(|id| key.contains_key(id))), "link-key: only the account's active contacts");
            }),
        },
        Scenario {
            key: "aggregate-all",
            name: format!("aggregate: count group by industrycode over all {total_accounts} accounts (over the 50,000-row aggregate limit)"),
            set: "accounts",
            option: "fetchXml",
            xml: group_xml(""),
            status: if total_accounts > 50_000 { StatusCode::BAD_REQUEST } else { StatusCode::OK },
            check: Box::new(move |b| {
                if total_accounts > 50_000 {
                    assert_eq!(b["error"]["code"], "0x8004E023", "aggregate-all: AggregateQueryRecordLimitExceeded");
                } else {
                    check_groups(b, &by_industry, "aggregate-all");
                }
            }),
        },
        Scenario {
            key: "aggregate-subset",
            name: format!("aggregate: count group by industrycode, numberofemployees lt {EMPLOYEES_BELOW} ({} accounts)", small.values().sum::<usize>()),
            set: "accounts",
            option: "fetchXml",
            xml: group_xml(&format!(r#"<filter><condition attribute="numberofemployees" operator="lt" value="{EMPLOYEES_BELOW}"/></filter>"#)),
            status: StatusCode::OK,
            check: Box::new(move |b| check_groups(b, &small, "aggregate-subset")),
        },
        // The same questions in SQL: read and turned into the FetchXML above's shape.
        Scenario {
            key: "sql-link-city",
            name: format!("sql: TOP 50 contacts statecode = 0 JOIN account city = {CITY}, ORDER BY lastname"),
            set: "contacts",
            option: "sql",
            xml: format!("SELECT TOP 50 c.fullname, a.name FROM contact AS c INNER JOIN account AS a ON c.parentcustomerid = a.accountid WHERE c.statecode = 0 AND a.address1_city = '{CITY}' ORDER BY c.lastname"),
            status: StatusCode::OK,
            check: Box::new(move |b| check_page(b, &sql_city, "sql-link-city")),
        },
        Scenario {
            key: "sql-aggregate-subset",
            name: format!("sql: COUNT(*) GROUP BY industrycode WHERE numberofemployees < {EMPLOYEES_BELOW}"),
            set: "accounts",
            option: "sql",
            xml: format!("SELECT industrycode AS industry, COUNT(*) AS n FROM account WHERE numberofemployees < {EMPLOYEES_BELOW} GROUP BY industrycode"),
            status: StatusCode::OK,
            check: Box::new(move |b| check_groups(b, &sql_small, "sql-aggregate-subset")),
        },
    ]
}

/// Timings of one scenario, in ms.
struct Stats {
    cold: f64,
    p50: f64,
    p90: f64,
    min: f64,
    max: f64,
    runs: usize,
    body_bytes: usize,
    rows: usize,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn run_once(rt: &tokio::runtime::Runtime, d: &Loaded, s: &Scenario, url: &str) -> (f64, usize, usize) {
    let a = get(rt, &d.app, url);
    if a.status != s.status {
        panic!("{}: expected {}, got {}: {}", s.key, s.status, a.status, String::from_utf8_lossy(&a.body));
    }
    let body: Json = serde_json::from_slice(&a.body).unwrap_or_else(|e| panic!("{}: body is not JSON: {e}", s.key));
    (s.check)(&body);
    let rows = body.get("value").and_then(Json::as_array).map_or(0, Vec::len);
    (a.elapsed.as_secs_f64() * 1e3, a.body.len(), rows)
}

/// One cold run, warm-up, then at least `iters` runs and at least `min_time`.
fn measure(rt: &tokio::runtime::Runtime, d: &Loaded, s: &Scenario, iters: usize, min_time: Duration) -> Stats {
    let url = format!("{ROOT}{}?{}={}", s.set, s.option, utf8_percent_encode(&s.xml, NON_ALPHANUMERIC));
    let (cold, body_bytes, rows) = run_once(rt, d, s, &url);
    for _ in 0..(iters / 10).max(2) {
        run_once(rt, d, s, &url);
    }
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < iters || (start.elapsed() < min_time && times.len() < 1_000_000) {
        times.push(run_once(rt, d, s, &url).0);
    }
    times.sort_by(f64::total_cmp);
    Stats { cold, p50: percentile(&times, 0.5), p90: percentile(&times, 0.9), min: times[0], max: times[times.len() - 1], runs: times.len(), body_bytes, rows }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then just smoke-test.
    let measuring = std::env::args().any(|a| a == "--bench");
    let accounts: usize = env_or("BENCH_ACCOUNTS", if measuring { 100_000 } else { 2_000 });
    let contacts: usize = env_or("BENCH_CONTACTS", if measuring { 200_000 } else { 4_000 });
    let iters: usize = env_or("BENCH_ITERS", if measuring { 100 } else { 3 });
    let seconds: f64 = env_or("BENCH_SECONDS", if measuring { 2.0 } else { 0.0 });
    assert!(accounts >= 1 && iters > 0 && seconds >= 0.0, "BENCH_ACCOUNTS >= 1, BENCH_ITERS > 0");
    if !measuring {
        println!("smoke test (run without --bench): the figures below are not measurements");
    }
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let wanted = |key: &str| filters.is_empty() || filters.iter().any(|f| key.contains(f.as_str()));
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("tokio runtime");

    println!("machine: {}", machine());
    let rss0 = rss_mib();
    let d = load(accounts, contacts);
    println!(
        "load: {} accounts in {:.2} s, {} contacts in {:.2} s ({:.0} creates/s overall, one transaction per table); resident memory {}",
        d.accounts,
        d.load_accounts.as_secs_f64(),
        d.contacts,
        d.load_contacts.as_secs_f64(),
        (d.accounts + d.contacts) as f64 / (d.load_accounts + d.load_contacts).as_secs_f64(),
        match (rss0, rss_mib()) {
            (Some(a), Some(b)) => format!("{a:.0} MiB before, {b:.0} MiB after loading"),
            _ => "unknown".into(),
        }
    );
    let e = &d.expected;
    println!(
        "data: {} accounts and {} contacts in all (seeded included); matching contacts: {} ({LAST_NAME}, active, parent in {CITY}), {} (active, parent in {CITY}), {} (active, parent N-{}); {iters}+ runs and >= {seconds} s per scenario, timing App::handle only",
        d.total_accounts,
        d.total_contacts,
        e.name_active_city.len(),
        e.active_city.len(),
        e.active_key.len(),
        d.key_account
    );

    let mut table = Vec::new();
    for s in scenarios(&d) {
        if !wanted(s.key) {
            continue;
        }
        eprintln!("running: {}", s.name);
        let stats = measure(&rt, &d, &s, iters, Duration::from_secs_f64(seconds));
        table.push((s, stats));
    }
    println!();
    println!("| scenario | status | rows | cold (1st run) ms | p50 ms | p90 ms | min ms | max ms | runs | body bytes |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (s, t) in &table {
        println!(
            "| {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {} | {} |",
            s.name,
            s.status.as_u16(),
            t.rows,
            t.cold,
            t.p50,
            t.p90,
            t.min,
            t.max,
            t.runs,
            t.body_bytes
        );
    }
}
