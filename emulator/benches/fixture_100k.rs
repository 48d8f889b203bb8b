//! Loading a large fixture layer: 100,000 records over the default org, the way
//! `serve --fixtures DIR` does it (`Org::from_layers`), from JSON text to a sealed org that
//! orgs can be made from.
//!
//! Run with `cargo bench -p dataverse-emulator --bench fixture_100k`
//! (env: `BENCH_RECORDS`, default 100000; `BENCH_ITERS`, default 5). Without `--bench` (as
//! under `cargo test --benches`) it is a smoke test with 1000 records.
//!
//! The layer is what a hand-written fixture looks like, scaled up: a fifth of the records
//! are accounts (`name`, `accountnumber` — the alternate key —, `address1_city`, `revenue`,
//! each with an `@ref`), the rest contacts (`firstname`, `lastname`, `emailaddress1`) whose
//! `parentcustomerid_account@odata.bind` names an account by `@ref`. Every record goes
//! through the write pipeline (decoding, validation, system columns, the key index).

/// The same allocator as the `dataverse-emulator` binary, so the figures match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use common::{env_or, machine};
use std::time::{Duration, Instant};

use dataverse_emulator::fixture::FixtureFiles;
use dataverse_emulator::org::IdGenerator;
use dataverse_emulator::{Clock, Org};
use serde_json::json;

/// The layer's files: `fixture.json` naming two data files.
fn layer(records: usize) -> FixtureFiles {
    let accounts = records / 5;
    let account_rows: Vec<_> = (0..accounts)
        .map(|i| json!({ "@ref": format!("a{i}"), "name": format!("Account {i}"), "accountnumber": format!("B-{i:06}"), "address1_city": "Redmond", "revenue": 1000 + i }))
        .collect();
    let contact_rows: Vec<_> = (0..records - accounts)
        .map(|i| json!({ "firstname": "Pat", "lastname": format!("Contact {i}"), "emailaddress1": format!("c{i}@example.com"), "parentcustomerid_account@odata.bind": format!("@a{}", i % accounts.max(1)) }))
        .collect();
    FixtureFiles {
        source: "bench".into(),
        files: vec![
            ("fixture.json".into(), json!({ "formatVersion": 1, "data": ["data/accounts.json", "data/contacts.json"] }).to_string()),
            ("data/accounts.json".into(), json!({ "table": "account", "records": account_rows }).to_string()),
            ("data/contacts.json".into(), json!({ "table": "contact", "records": contact_rows }).to_string()),
        ],
    }
}

/// Resident memory in MB (Linux; 0 elsewhere).
fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok());
    kb.unwrap_or(0.0) / 1024.0
}

/// CPU time this process has used (user + system), in ms (Linux, 10 ms ticks; 0 elsewhere).
/// On a shared machine it says what a load costs when wall time says mostly how busy the
/// other processes were.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) * 10.0
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let records: usize = if measuring { env_or("BENCH_RECORDS", 100_000) } else { 1000 };
    let iters: usize = if measuring { env_or("BENCH_ITERS", 5) } else { 1 };
    println!("fixture_100k on {}{}", machine(), if measuring { "" } else { " (smoke test: not a measurement)" });
    let files = layer(records);
    let bytes: usize = files.files.iter().map(|(_, t)| t.len()).sum();
    println!("layer: {records} records, {:.1} MB of JSON", bytes as f64 / 1e6);
    let base_rows = Org::default_org(Clock::system()).expect("default org").store.read().row_count();
    let mut times: Vec<Duration> = Vec::with_capacity(iters);
    let mut cpu: Vec<f64> = Vec::with_capacity(iters);
    for i in 0..iters {
        let before = rss_mb();
        let (started, cpu_before) = (Instant::now(), cpu_ms());
        let org = Org::from_layers(std::slice::from_ref(&files), Clock::system(), IdGenerator::random(), None).unwrap_or_else(|e| panic!("{e}"));
        times.push(started.elapsed());
        cpu.push(cpu_ms() - cpu_before);
        if i == 0 {
            println!("resident memory: {before:.0} MB before the first load, {:.0} MB with the loaded org", rss_mb());
        }
        assert_eq!(org.store.read().row_count(), base_rows + records, "every record loaded");
    }
    times.sort();
    cpu.sort_by(f64::total_cmp);
    println!(
        "load {records} records      n={iters}  min {:>8.1} ms  median {:>8.1} ms  max {:>8.1} ms  ({:.0} records/s at the median)",
        times[0].as_secs_f64() * 1e3,
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
        records as f64 / times[times.len() / 2].as_secs_f64()
    );
    println!("CPU time of a load (user + system): min {:.0} ms, median {:.0} ms", cpu[0], cpu[cpu.len() / 2]);
}
