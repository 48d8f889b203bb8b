//! Matching a response against a scenario's expectations.
//!
//! An expected JSON value is compared with the actual one:
//! * a string, number, boolean or null must be equal (strings after `${var}` expansion;
//!   numbers by value, so `5000000` equals `5000000.0000`);
//! * an array must have the same length and each element must match;
//! * an object must have every expected key (extra keys are allowed unless `"$only": true`;
//!   `"$order": [k1, k2]` requires those keys in that relative order);
//! * an object with a `$`-keyword is a matcher: `$match` (a kind, see [`kind_matches`]),
//!   `$regex`, `$contains` (substrings in order), `$length`, `$min_length`, `$each`,
//!   `$some`, and `$capture` (stores the value, or the regex's first group, as a variable).

use regex::Regex;
use serde_json::Value;

use crate::template::Vars;

const MATCHER_KEYS: [&str; 8] = ["$match", "$regex", "$capture", "$each", "$some", "$length", "$min_length", "$contains"];

/// True when `v` is a matcher object rather than a shape.
pub fn is_matcher(v: &Value) -> bool {
    v.as_object().is_some_and(|m| m.keys().any(|k| MATCHER_KEYS.contains(&k.as_str())))
}

/// Compares `actual` (None = absent) with `expected`; failures are pushed with their JSON path.
pub fn match_value(expected: &Value, actual: Option<&Value>, path: &str, vars: &mut Vars, failures: &mut Vec<String>) {
    if is_matcher(expected) {
        return match_matcher(expected, actual, path, vars, failures);
    }
    let Some(actual) = actual else {
        failures.push(format!("{}: missing, expected {}", show(path), short(expected)));
        return;
    };
    match expected {
        Value::String(s) => match vars.expand(s) {
            Ok(want) if actual.as_str() == Some(want.as_str()) => {}
            Ok(want) => failures.push(format!("{}: expected {:?}, got {}", show(path), want, short(actual))),
            Err(e) => failures.push(format!("{}: {e}", show(path))),
        },
        Value::Number(n) => {
            let same = match (n.as_f64(), actual.as_f64()) {
                (Some(a), Some(b)) => a == b,
                _ => false,
            };
            if !same {
                failures.push(format!("{}: expected {n}, got {}", show(path), short(actual)));
            }
        }
        Value::Bool(_) | Value::Null => {
            if expected != actual {
                failures.push(format!("{}: expected {expected}, got {}", show(path), short(actual)));
            }
        }
        Value::Array(items) => {
            let Some(got) = actual.as_array() else {
                return failures.push(format!("{}: expected an array, got {}", show(path), short(actual)));
            };
            if got.len() != items.len() {
                failures.push(format!("{}: expected {} items, got {}", show(path), items.len(), got.len()));
                return;
            }
            for (i, (e, a)) in items.iter().zip(got).enumerate() {
                match_value(e, Some(a), &format!("{path}/{i}"), vars, failures);
            }
        }
        Value::Object(map) => {
            let Some(got) = actual.as_object() else {
                return failures.push(format!("{}: expected an object, got {}", show(path), short(actual)));
            };
            let mut keys = Vec::new();
            for (k, e) in map {
                if k == "$only" || k == "$order" {
                    continue;
                }
                let key = match vars.expand(k) {
                    Ok(key) => key,
                    Err(err) => {
                        failures.push(format!("{}: {err}", show(path)));
                        continue;
                    }
                };
                match_value(e, got.get(&key), &format!("{path}/{}", escape_pointer(&key)), vars, failures);
                keys.push(key);
            }
            if map.get("$only") == Some(&Value::Bool(true)) {
                let extra: Vec<&String> = got.keys().filter(|k| !keys.contains(k)).collect();
                if !extra.is_empty() {
                    failures.push(format!("{}: unexpected keys {extra:?}", show(path)));
                }
            }
            if let Some(order) = map.get("$order").and_then(Value::as_array) {
                let wanted: Vec<&str> = order.iter().filter_map(Value::as_str).collect();
                let seen: Vec<&str> = got.keys().map(String::as_str).filter(|k| wanted.contains(k)).collect();
                if seen != wanted {
                    failures.push(format!("{}: keys in order {seen:?}, expected {wanted:?}", show(path)));
                }
            }
        }
    }
}

fn match_matcher(m: &Value, actual: Option<&Value>, path: &str, vars: &mut Vars, failures: &mut Vec<String>) {
    let kind = m.get("$match").and_then(Value::as_str);
    if kind == Some("absent") {
        if let Some(a) = actual {
            failures.push(format!("{}: expected absent, got {}", show(path), short(a)));
        }
        return;
    }
    let Some(actual) = actual else {
        failures.push(format!("{}: missing, expected {}", show(path), short(m)));
        return;
    };
    if let Some(kind) = kind {
        if !kind_matches(kind, actual) {
            failures.push(format!("{}: expected {kind}, got {}", show(path), short(actual)));
        }
    }
    let text = match actual {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut captured: Option<String> = None;
    let mut regex_failed = false;
    if let Some(pattern) = m.get("$regex").and_then(Value::as_str) {
        match vars.expand_with(pattern, regex::escape).map_err(|e| e.to_string()).and_then(|p| Regex::new(&p).map_err(|e| e.to_string())) {
            Ok(re) => match re.captures(&text) {
                Some(c) => captured = c.get(1).map(|g| g.as_str().to_string()),
                None => {
                    regex_failed = true;
                    failures.push(format!("{}: {} does not match /{pattern}/", show(path), short(actual)));
                }
            },
            Err(e) => {
                regex_failed = true;
                failures.push(format!("{}: bad $regex: {e}", show(path)));
            }
        }
    }
    if let Some(parts) = m.get("$contains").and_then(Value::as_array) {
        let mut from = 0;
        for part in parts.iter().filter_map(Value::as_str) {
            let want = match vars.expand(part) {
                Ok(w) => w,
                Err(e) => {
                    failures.push(format!("{}: {e}", show(path)));
                    continue;
                }
            };
            match text[from..].find(&want) {
                Some(at) => from += at + want.len(),
                None => {
                    failures.push(format!("{}: {want:?} not found (in order) after byte {from} of {}", show(path), short(actual)));
                    break;
                }
            }
        }
    }
    let len = match actual {
        Value::Array(a) => Some(a.len()),
        Value::String(s) => Some(s.chars().count()),
        _ => None,
    };
    if let Some(n) = m.get("$length").and_then(Value::as_u64) {
        if len != Some(n as usize) {
            failures.push(format!("{}: expected length {n}, got {len:?}", show(path)));
        }
    }
    if let Some(n) = m.get("$min_length").and_then(Value::as_u64) {
        if !matches!(len, Some(l) if l >= n as usize) {
            failures.push(format!("{}: expected length >= {n}, got {len:?}", show(path)));
        }
    }
    if let Some(each) = m.get("$each") {
        match actual.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    match_value(each, Some(item), &format!("{path}/{i}"), vars, failures);
                }
            }
            None => failures.push(format!("{}: $each needs an array, got {}", show(path), short(actual))),
        }
    }
    if let Some(some) = m.get("$some") {
        let wanted: Vec<&Value> = match some {
            Value::Array(list) => list.iter().collect(),
            one => vec![one],
        };
        match actual.as_array() {
            Some(items) => {
                for want in wanted {
                    // Try each element on a copy of the variables, keeping the first match's captures.
                    let hit = items.iter().find_map(|item| {
                        let mut trial = vars.clone();
                        let mut f = Vec::new();
                        match_value(want, Some(item), path, &mut trial, &mut f);
                        f.is_empty().then_some(trial)
                    });
                    match hit {
                        Some(trial) => *vars = trial,
                        None => failures.push(format!("{}: no element matches {}", show(path), short(want))),
                    }
                }
            }
            None => failures.push(format!("{}: $some needs an array, got {}", show(path), short(actual))),
        }
    }
    // Captured even when another check failed (so cleanup can still find the record),
    // but not from a regex that didn't match.
    if let Some(name) = m.get("$capture").and_then(Value::as_str) {
        if !regex_failed {
            vars.set(name, captured.as_deref().unwrap_or(&text));
        }
    }
}

/// The `$match` kinds.
pub fn kind_matches(kind: &str, v: &Value) -> bool {
    let s = v.as_str();
    let re = |p: &str| s.is_some_and(|s| Regex::new(p).is_ok_and(|r| r.is_match(s)));
    match kind {
        "any" | "present" => true,
        "null" => v.is_null(),
        "string" => v.is_string(),
        "nonempty-string" => s.is_some_and(|s| !s.is_empty()),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "guid" => re(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
        "timestamp" => re(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"),
        "date" => re(r"^\d{4}-\d{2}-\d{2}$"),
        "etag" => re(r#"^W/"\d+"$"#),
        "error-code" => re(r"^0x[0-9A-Fa-f]{8}$"),
        "paging-cookie" => s.is_some_and(is_paging_link),
        _ => false,
    }
}

/// A nextLink whose `$skiptoken` is Dataverse's paging cookie: once decoded
/// `<cookie pagenumber="N" pagingcookie="…" istracking="False" />`, the inner cookie
/// URL-encoded twice and decoding to `<cookie page="N-1">…</cookie>` (wire reference §2.4).
pub fn is_paging_link(link: &str) -> bool {
    let Some(at) = link.find("$skiptoken=") else { return false };
    let token = link[at + "$skiptoken=".len()..].split('&').next().unwrap_or_default();
    let outer = percent_encoding::percent_decode_str(token).decode_utf8_lossy().into_owned();
    let Some(c) = Regex::new(r#"^<cookie pagenumber="(\d+)" pagingcookie="([^"]*)" istracking="(True|False)" />$"#).ok().and_then(|r| r.captures(&outer).map(|c| (c[1].to_string(), c[2].to_string()))) else {
        return false;
    };
    let (page, inner) = c;
    let once = percent_encoding::percent_decode_str(&inner).decode_utf8_lossy().into_owned();
    let twice = percent_encoding::percent_decode_str(&once).decode_utf8_lossy().into_owned();
    let prev = page.parse::<u64>().unwrap_or(0).saturating_sub(1);
    twice.starts_with(&format!("<cookie page=\"{prev}\">")) && twice.ends_with("</cookie>")
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn show(path: &str) -> &str {
    if path.is_empty() {
        "/"
    } else {
        path
    }
}

/// A value shortened for failure messages.
pub fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 160 {
        format!("{}…", s.chars().take(160).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(expected: Value, actual: Value) -> (Vec<String>, Vars) {
        let mut vars = Vars::new("r", "http://h/api/data/v9.2/", "http://h");
        let mut f = Vec::new();
        match_value(&expected, Some(&actual), "", &mut vars, &mut f);
        (f, vars)
    }

    #[test]
    fn shapes_matchers_and_captures() {
        let (f, vars) = check(
            json!({"id": {"$match": "guid", "$capture": "id"}, "n": 5, "tag": {"$match": "etag"}, "gone": {"$match": "absent"}, "$order": ["tag", "n"]}),
            json!({"tag": "W/\"12\"", "id": "2b4c1f8e-0d3a-4c57-9a43-5f4e2d1c0b9a", "n": 5.0}),
        );
        assert!(f.is_empty(), "{f:?}");
        assert_eq!(vars.get("id"), Some("2b4c1f8e-0d3a-4c57-9a43-5f4e2d1c0b9a"));

        let (f, _) = check(json!({"a": 1, "$only": true}), json!({"a": 2, "b": 3}));
        assert_eq!(f.len(), 2, "{f:?}");
        let (f, _) = check(json!({"v": {"$some": {"k": 2}, "$length": 2}}), json!({"v": [{"k": 1}, {"k": 2}]}));
        assert!(f.is_empty(), "{f:?}");
        let (f, vars) = check(json!({"$regex": "\\((.*)\\)$", "$capture": "x"}), json!("accounts(abc)"));
        assert!(f.is_empty(), "{f:?}");
        assert_eq!(vars.get("x"), Some("abc"));
        let (f, _) = check(json!({"$contains": ["a", "c"]}), json!("abc"));
        assert!(f.is_empty());
        let (f, _) = check(json!({"$contains": ["c", "a"]}), json!("abc"));
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn paging_cookie_from_the_reference() {
        let link = "https://o/api/data/v9.2/contacts?$select=fullname&$skiptoken=%3Ccookie%20pagenumber=%222%22%20pagingcookie=%22%253ccookie%2520page%253d%25221%2522%253e%253ccontactid%2520last%253d%2522%257bD5026A4D-D01C-ED11-B83E-000D3A572421%257d%2522%2520first%253d%2522%257b49B0BE2E-D01C-ED11-B83E-000D3A572421%257d%2522%2520%252f%253e%253c%252fcookie%253e%22%20istracking=%22False%22%20/%3E";
        assert!(is_paging_link(link));
        assert!(!is_paging_link("https://o/api/data/v9.2/contacts?$skiptoken=2"));
    }
}
