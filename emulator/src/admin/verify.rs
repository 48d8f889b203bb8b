//! `POST /_emulator/journal/verify`: asserts that requests matching a pattern were made a
//! number of times, WireMock-style. When they weren't, the answer lists the closest
//! near-misses from the journal, each with what differs ("method differs: expected POST,
//! got PATCH", "missing header 'Prefer'", …).
//!
//! The pattern: `method`, `path` (exact, relative to the service root, or absolute when it
//! starts with `/`), `pathPattern` (a regular expression that must match the whole
//! relative path), `queryContains`, `table`, `operation`, `status`, `org`, `headers`
//! (`{"Prefer": "return=representation"}`; `true` only asks for presence),
//! `bodyContains` and `body` (a JSON object the request body must contain). The count:
//! `count` (exactly), `atLeast`, `atMost`; with none of them, at least once.
//! Answers 200 with `"ok": true`, or 409 with `"ok": false` (so `curl --fail` fails a CI
//! step), or 400 for a pattern that can't be used.

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, StatusCode};
use regex::Regex;
use serde_json::{json, Map, Value};

use super::journal::{Entry, Journal};
use super::wire;
use crate::error::Result;
use crate::wire::response::Reply;

/// How many near-misses a failed verification lists.
const NEAR_MISSES: usize = 3;

/// A request pattern.
#[derive(Debug, Default)]
struct Pattern {
    method: Option<String>,
    path: Option<String>,
    path_pattern: Option<Regex>,
    query_contains: Option<String>,
    table: Option<String>,
    operation: Option<String>,
    status: Option<u16>,
    org: Option<String>,
    headers: Vec<(String, Option<String>)>,
    body_contains: Option<String>,
    body: Option<Map<String, Value>>,
}

/// The expected number of matches.
#[derive(Debug, Clone, Copy)]
struct Count {
    at_least: u64,
    at_most: Option<u64>,
}

impl Count {
    fn holds(&self, n: u64) -> bool {
        n >= self.at_least && self.at_most.is_none_or(|m| n <= m)
    }

    fn describe(&self) -> String {
        match self.at_most {
            Some(m) if m == self.at_least => format!("exactly {m}"),
            Some(m) if self.at_least == 0 => format!("at most {m}"),
            Some(m) => format!("between {} and {m}", self.at_least),
            None => format!("at least {}", self.at_least),
        }
    }
}

fn text(map: &Map<String, Value>, name: &str) -> Result<Option<String>> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(wire::bad_request(format!("'{name}' must be a string, not {v}."))),
    }
}

fn number(map: &Map<String, Value>, name: &str) -> Result<Option<u64>> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| wire::bad_request(format!("'{name}' must be a whole number, not {v}."))),
    }
}

fn parse(map: &Map<String, Value>) -> Result<(Pattern, Count)> {
    const KNOWN: [&str; 14] =
        ["method", "path", "pathPattern", "queryContains", "table", "operation", "status", "org", "headers", "bodyContains", "body", "count", "atLeast", "atMost"];
    if let Some(k) = map.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(wire::bad_request(format!("Unknown verify field '{k}'. Use {}.", KNOWN.join(", "))));
    }
    let path_pattern = text(map, "pathPattern")?
        .map(|p| Regex::new(&format!("^(?:{p})$")).map_err(|e| wire::bad_request(format!("'pathPattern' is not a valid regular expression: {e}"))))
        .transpose()?;
    let headers = match map.get("headers") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(h)) => h
            .iter()
            .map(|(n, v)| match v {
                Value::String(s) => Ok((n.clone(), Some(s.clone()))),
                Value::Bool(true) => Ok((n.clone(), None)),
                other => Err(wire::bad_request(format!("Header '{n}' must be given a string value, or true for presence, not {other}."))),
            })
            .collect::<Result<_>>()?,
        Some(v) => return Err(wire::bad_request(format!("'headers' must be an object, not {v}."))),
    };
    let body = match map.get("body") {
        None | Some(Value::Null) => None,
        Some(Value::Object(b)) => Some(b.clone()),
        Some(v) => return Err(wire::bad_request(format!("'body' must be a JSON object the request body contains, not {v}."))),
    };
    let status = number(map, "status")?.map(|s| s as u16);
    let pattern = Pattern {
        method: text(map, "method")?,
        path: text(map, "path")?,
        path_pattern,
        query_contains: text(map, "queryContains")?,
        table: text(map, "table")?,
        operation: text(map, "operation")?,
        status,
        org: text(map, "org")?,
        headers,
        body_contains: text(map, "bodyContains")?,
        body,
    };
    let count = match (number(map, "count")?, number(map, "atLeast")?, number(map, "atMost")?) {
        (Some(n), None, None) => Count { at_least: n, at_most: Some(n) },
        (Some(_), _, _) => return Err(wire::bad_request("Give either 'count', or 'atLeast' and/or 'atMost'.")),
        (None, None, None) => Count { at_least: 1, at_most: None },
        (None, least, most) => Count { at_least: least.unwrap_or(0), at_most: most },
    };
    if count.at_most.is_some_and(|m| m < count.at_least) {
        return Err(wire::bad_request("'atMost' is smaller than 'atLeast'."));
    }
    Ok((pattern, count))
}

/// How the actual path differs from the expected one, in words.
fn path_difference(expected: &str, actual: &str) -> String {
    if expected.eq_ignore_ascii_case(actual) {
        format!("path differs only in letter case: expected '{expected}', got '{actual}'")
    } else if let Some(extra) = actual.strip_prefix(expected) {
        format!("path differs by '{extra}' after '{expected}': got '{actual}'")
    } else if let Some(missing) = expected.strip_prefix(actual) {
        format!("path lacks '{missing}': expected '{expected}', got '{actual}'")
    } else {
        format!("path differs: expected '{expected}', got '{actual}'")
    }
}

/// Where the request body fails to contain `expected` (dotted paths into nested objects).
fn body_differences(prefix: &str, expected: &Map<String, Value>, actual: &Value, out: &mut Vec<String>) {
    for (name, want) in expected {
        let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
        match (actual.get(name), want) {
            (None, _) => out.push(format!("body lacks '{path}'")),
            (Some(got @ Value::Object(_)), Value::Object(w)) => body_differences(&path, w, got, out),
            (Some(got), want) if got != want => out.push(format!("body field '{path}' differs: expected {want}, got {got}")),
            _ => {}
        }
    }
}

impl Pattern {
    /// Everything about `e` that the pattern doesn't allow; empty means a match. The
    /// second value counts how many criteria were checked.
    fn differences(&self, e: &Entry) -> (Vec<String>, usize) {
        let mut out = Vec::new();
        let mut checked = 0;
        let mut check = |ok: bool, why: &dyn Fn() -> String| {
            checked += 1;
            if !ok {
                out.push(why());
            }
        };
        if let Some(m) = &self.method {
            check(e.method.as_str().eq_ignore_ascii_case(m), &|| format!("method differs: expected {}, got {}", m.to_ascii_uppercase(), e.method));
        }
        if let Some(p) = &self.path {
            let actual = if p.starts_with('/') { e.uri.path().to_string() } else { e.path() };
            check(&actual == p, &|| path_difference(p, &actual));
        }
        if let Some(r) = &self.path_pattern {
            let actual = e.path();
            check(r.is_match(&actual), &|| format!("path '{actual}' does not match the pattern '{}'", r.as_str()));
        }
        if let Some(q) = &self.query_contains {
            let actual = e.query();
            check(actual.contains(q.as_str()), &|| format!("query does not contain '{q}': got '{actual}'"));
        }
        if let Some(t) = &self.table {
            let got = e.table.as_ref().map_or("none".to_string(), |t| t.logical_name.clone());
            check(e.is_table(t), &|| format!("table differs: expected {t}, got {got}"));
        }
        if let Some(o) = &self.operation {
            check(e.operation.is_some_and(|op| op.eq_ignore_ascii_case(o)), &|| format!("operation differs: expected {o}, got {}", e.operation.unwrap_or("none")));
        }
        if let Some(s) = self.status {
            check(e.status.as_u16() == s, &|| format!("status differs: expected {s}, got {}", e.status.as_u16()));
        }
        if let Some(o) = &self.org {
            check(e.org.as_ref().is_some_and(|x| x.eq_ignore_ascii_case(o)), &|| format!("org differs: expected {o}, got {}", e.org.as_deref().unwrap_or("none")));
        }
        for (name, want) in &self.headers {
            match (e.request_header(name), want) {
                (None, _) => check(false, &|| format!("missing header '{name}'")),
                (Some(got), Some(w)) => check(got == w, &|| format!("header '{name}' differs: expected '{w}', got '{got}'")),
                (Some(_), None) => check(true, &String::new),
            }
        }
        if let Some(c) = &self.body_contains {
            check(e.body_text().contains(c.as_str()), &|| format!("body does not contain '{c}'"));
        }
        if let Some(b) = &self.body {
            let mut diffs = Vec::new();
            match serde_json::from_slice::<Value>(&e.request_body) {
                Ok(actual) => body_differences("", b, &actual, &mut diffs),
                Err(_) => diffs.push("body is not JSON".to_string()),
            }
            checked += 1;
            out.extend(diffs);
        }
        (out, checked)
    }
}

/// `POST /_emulator/journal/verify`.
pub fn verify(journal: &Journal, req: &Request<Bytes>) -> Result<Reply> {
    let (pattern, count) = parse(&wire::object(req)?)?;
    let entries = journal.entries();
    let mut matched: Vec<&Arc<Entry>> = Vec::new();
    let mut misses: Vec<(usize, u64, Vec<String>, &Arc<Entry>)> = Vec::new();
    for e in &entries {
        let (diffs, checked) = pattern.differences(e);
        if diffs.is_empty() {
            matched.push(e);
        } else if diffs.len() < checked.max(1) || checked <= 1 {
            // A near-miss shares at least one criterion with the pattern (or the pattern has one).
            misses.push((diffs.len(), u64::MAX - e.id, diffs, e));
        }
    }
    let n = matched.len() as u64;
    let ok = count.holds(n);
    let mut body = json!({
        "ok": ok,
        "matched": n,
        "expected": count.describe(),
        "matches": matched.iter().map(|e| e.summary()).collect::<Vec<_>>(),
    });
    if !ok {
        let noun = if n == 1 { "request" } else { "requests" };
        body["message"] = json!(format!("Expected {} matching requests, found {n} matching {noun}.", count.describe()));
        if n < count.at_least {
            // Fewest differences first, then the most recent.
            misses.sort_by_key(|a| (a.0, a.1));
            body["nearMisses"] = json!(misses
                .iter()
                .take(NEAR_MISSES)
                .map(|(_, _, diffs, e)| json!({ "request": e.summary(), "differences": diffs }))
                .collect::<Vec<_>>());
        } else {
            body["nearMisses"] = json!([]);
        }
    }
    let status = if ok { StatusCode::OK } else { StatusCode::CONFLICT };
    Ok(wire::json(status, &body))
}

#[cfg(test)]
mod tests {
    use super::path_difference;

    #[test]
    fn explains_path_differences() {
        assert_eq!(path_difference("accounts", "Accounts"), "path differs only in letter case: expected 'accounts', got 'Accounts'");
        assert_eq!(path_difference("accounts", "accounts(1)"), "path differs by '(1)' after 'accounts': got 'accounts(1)'");
        assert_eq!(path_difference("accounts(1)", "accounts"), "path lacks '(1)': expected 'accounts(1)', got 'accounts'");
        assert_eq!(path_difference("accounts", "contacts"), "path differs: expected 'accounts', got 'contacts'");
    }
}
