//! The pass/fail table, the JSON report, and the diff table.

use serde_json::{json, Value};

use crate::diff::ScenarioDiff;
use crate::run::{Outcome, ScenarioResult};

/// Name of this part in the combined report.
pub const CLIENT: &str = "raw-http scenarios";

/// Prints one line per scenario, the failures under it, and a count line.
pub fn print_table(target: &str, results: &[ScenarioResult]) {
    println!("{CLIENT} against {target}");
    let width = results.iter().map(|r| r.name.len()).max().unwrap_or(10);
    for r in results {
        let (tag, note) = match &r.outcome {
            Outcome::Pass => ("pass", String::new()),
            Outcome::Fail => ("FAIL", String::new()),
            Outcome::ExpectedUnsupported(why) => ("expected-unsupported", why.clone()),
        };
        println!("  {:<width$}  {tag}{}", r.name, if note.is_empty() { String::new() } else { format!(" ({note})") });
        if r.outcome == Outcome::Fail {
            for f in &r.failures {
                println!("      - {f}");
            }
        }
    }
    let (p, f, x) = counts(results);
    println!("{CLIENT}: {p} passed, {f} failed, {x} expected-unsupported");
}

/// (passed, failed, expected-unsupported).
pub fn counts(results: &[ScenarioResult]) -> (usize, usize, usize) {
    let p = results.iter().filter(|r| r.outcome == Outcome::Pass).count();
    let f = results.iter().filter(|r| r.outcome == Outcome::Fail).count();
    (p, f, results.len() - p - f)
}

/// The machine-readable form: one entry per scenario (the "operation").
pub fn json_report(target: &str, results: &[ScenarioResult]) -> Value {
    let ops: Vec<Value> = results
        .iter()
        .map(|r| {
            let (status, reason) = match &r.outcome {
                Outcome::Pass => ("pass", Value::Null),
                Outcome::Fail => ("fail", Value::Null),
                Outcome::ExpectedUnsupported(why) => ("expected-unsupported", Value::String(why.clone())),
            };
            let mut o = json!({"operation": r.name, "file": r.file, "status": status});
            if !reason.is_null() {
                o["reason"] = reason;
            }
            if status == "fail" {
                o["failures"] = json!(r.failures);
            }
            o
        })
        .collect();
    json!({"client": CLIENT, "target": target, "operations": ops})
}

/// Prints the agree/disagree table of a two-target run.
pub fn print_diff(a: &str, b: &str, diffs: &[ScenarioDiff]) {
    println!("diff: {a} vs {b} (status / headers / body shape)");
    let width = diffs.iter().map(|d| d.scenario.len()).max().unwrap_or(10);
    let yn = |x: bool| if x { "agree" } else { "DIFFER" };
    for d in diffs {
        println!("  {:<width$}  {:<6} {:<6} {:<6}", d.scenario, yn(d.status_agree), yn(d.headers_agree), yn(d.body_agree));
        for s in &d.steps {
            if s.status != "agree" {
                println!("      {}: status {}", s.step, s.status);
            }
            for h in s.headers.iter().chain(&s.body) {
                println!("      {}: {h}", s.step);
            }
        }
    }
    let agree = diffs.iter().filter(|d| d.agree).count();
    println!("diff: {agree} agree, {} differ", diffs.len() - agree);
}
