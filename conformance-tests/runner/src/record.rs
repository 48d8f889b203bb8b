//! `--record`: turns what a target answered into a scenario file's expectations.
//!
//! The draft scenario's requests are played; every expectation the draft leaves out is
//! filled in from the response (status, the headers clients read, the JSON body), with
//! values that change from run to run generalised into matchers and listed as volatile.
//! Expectations the draft already has (and so its captures) are kept as written.

use serde_json::{json, Map, Value};

use crate::normalize::covered_by;
use crate::run::{ScenarioResult, StepRecord};
use crate::scenario::{Expect, Scenario, Step};
use crate::target::Target;

/// Headers worth pinning in a recorded scenario.
const RECORDED_HEADERS: [&str; 8] = ["content-type", "odata-version", "preference-applied", "odata-entityid", "location", "etag", "www-authenticate", "retry-after"];

/// The draft with its missing expectations filled in from `result`.
pub fn record(draft: &Scenario, result: &ScenarioResult, target: &Target, run: &str) -> Scenario {
    let mut out = draft.clone();
    let mut volatile: Vec<String> = out.volatile.clone();
    let mut i = 0;
    for list in [&mut out.setup, &mut out.steps, &mut out.cleanup] {
        for step in list.iter_mut() {
            if let Some(rec) = result.steps.get(i) {
                fill(step, rec, target, run, &mut volatile);
            }
            i += 1;
        }
    }
    volatile.dedup();
    out.volatile = volatile;
    out
}

fn fill(step: &mut Step, rec: &StepRecord, target: &Target, run: &str, volatile: &mut Vec<String>) {
    let Some(status) = rec.status else { return };
    let expect = step.expect.get_or_insert_with(Expect::default);
    if expect.status.is_none() {
        expect.status = Some(json!(status));
    }
    if expect.headers.is_empty() {
        let mut headers = Map::new();
        for name in RECORDED_HEADERS {
            if let Some((k, v)) = rec.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
                headers.insert(canonical(k), generalise_string(v, "", target, run, &mut Vec::new()));
            }
        }
        expect.headers = headers;
    }
    if expect.json.is_none() && expect.body.is_none() {
        if let Some(j) = &rec.json {
            let mut paths = Vec::new();
            expect.json = Some(generalise(j, "", target, run, &mut paths));
            for p in paths {
                if !volatile.iter().any(|v| covered_by(&p, v)) {
                    volatile.push(p);
                }
            }
        }
    }
}

fn canonical(name: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "odata-version" => "OData-Version".into(),
        "odata-entityid" => "OData-EntityId".into(),
        "etag" => "ETag".into(),
        "www-authenticate" => "WWW-Authenticate".into(),
        other => other.split('-').map(|w| w[..1].to_ascii_uppercase() + &w[1..]).collect::<Vec<_>>().join("-"),
    }
}

/// Generalises a JSON value; `paths` collects the pointers of generalised values (with
/// array indices as `*`), which become the scenario's volatile list.
fn generalise(v: &Value, path: &str, target: &Target, run: &str, paths: &mut Vec<String>) -> Value {
    match v {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, child) in map {
                let p = format!("{path}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.insert(k.replace(run, "${run}"), generalise(child, &p, target, run, paths));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|c| generalise(c, &format!("{path}/*"), target, run, paths)).collect()),
        Value::String(s) => generalise_string(s, path, target, run, paths),
        other => other.clone(),
    }
}

fn generalise_string(s: &str, path: &str, target: &Target, run: &str, paths: &mut Vec<String>) -> Value {
    let v = Value::String(s.to_string());
    for kind in ["guid", "timestamp", "etag", "paging-cookie"] {
        if crate::matcher::kind_matches(kind, &v) {
            paths.push(path.to_string());
            return json!({ "$match": kind });
        }
    }
    let guid = regex::Regex::new(r"(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").expect("guid regex");
    if guid.is_match(s) {
        // A URL or text holding ids: a regex with the ids as patterns, URLs as variables.
        let mut pattern = String::from("^");
        let mut last = 0;
        for m in guid.find_iter(s) {
            pattern.push_str(&escape_with_vars(&s[last..m.start()], target, run));
            pattern.push_str("[0-9a-fA-F-]{36}");
            last = m.end();
        }
        pattern.push_str(&escape_with_vars(&s[last..], target, run));
        pattern.push('$');
        paths.push(path.to_string());
        return json!({ "$regex": pattern });
    }
    Value::String(s.replace(&target.base, "${base}").replace(&target.origin, "${origin}").replace(run, "${run}"))
}

/// Regex-escapes literal text, keeping the target's URLs and the run prefix as `${…}`.
fn escape_with_vars(text: &str, target: &Target, run: &str) -> String {
    let marked = text.replace(&target.base, "\u{1}").replace(&target.origin, "\u{2}").replace(run, "\u{3}");
    regex::escape(&marked).replace('\u{1}', "${base}").replace('\u{2}', "${origin}").replace('\u{3}', "${run}")
}
