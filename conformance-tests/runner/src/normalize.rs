//! Shapes and normalised text: what two targets are compared on.
//!
//! GUIDs, ETag versions, timestamps and the targets' own URLs always differ between an
//! emulator and an org, so they are reduced to placeholders before comparing.

use regex::Regex;
use serde_json::Value;

fn guid_re() -> Regex {
    Regex::new(r"(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").expect("guid regex")
}

/// A string's kind for shape comparison. Error codes and short enum-like strings keep
/// their value, because the value is what clients branch on.
pub fn string_kind(s: &str) -> String {
    let v = Value::String(s.to_string());
    for kind in ["guid", "timestamp", "date", "etag", "paging-cookie"] {
        if crate::matcher::kind_matches(kind, &v) {
            return kind.to_string();
        }
    }
    if crate::matcher::kind_matches("error-code", &v) {
        return format!("error-code {}", s.to_ascii_lowercase());
    }
    if s.starts_with("http://") || s.starts_with("https://") {
        return "url".into();
    }
    "string".into()
}

/// Flattens a JSON value into `(pointer, descriptor)` pairs, object keys in order.
pub fn shape(v: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            out.push((path.to_string(), "object".into()));
            for (k, child) in map {
                shape(child, &format!("{path}/{}", k.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        Value::Array(items) => {
            out.push((path.to_string(), format!("array[{}]", items.len())));
            for (i, child) in items.iter().enumerate() {
                shape(child, &format!("{path}/{i}"), out);
            }
        }
        Value::String(s) => out.push((path.to_string(), string_kind(s))),
        Value::Number(_) => out.push((path.to_string(), "number".into())),
        Value::Bool(_) => out.push((path.to_string(), "boolean".into())),
        Value::Null => out.push((path.to_string(), "null".into())),
    }
}

/// True when `pointer` is `pattern` or lies under it; `*` in the pattern matches any one segment.
pub fn covered_by(pointer: &str, pattern: &str) -> bool {
    let p: Vec<&str> = pointer.split('/').collect();
    let q: Vec<&str> = pattern.split('/').collect();
    q.len() <= p.len() && q.iter().zip(&p).all(|(a, b)| *a == "*" || a == b)
}

/// Text with the target's URLs, GUIDs and ETag versions replaced by placeholders.
pub fn normalize_text(text: &str, base: &str, origin: &str) -> String {
    let t = text.replace(base, "{base}").replace(origin, "{origin}");
    let t = guid_re().replace_all(&t, "{guid}").into_owned();
    Regex::new(r#"W/(\\?)"\d+(\\?)""#).expect("etag regex").replace_all(&t, "W/$1\"{n}$2\"").into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volatile_patterns_and_text() {
        assert!(covered_by("/value/3/createdon", "/value/*/createdon"));
        assert!(covered_by("/value/3/createdon/x", "/value/*/createdon"));
        assert!(!covered_by("/value/3/name", "/value/*/createdon"));
        assert_eq!(
            normalize_text("http://h/api/data/v9.2/accounts(2b4c1f8e-0d3a-4c57-9a43-5f4e2d1c0b9a) W/\"12\"", "http://h/api/data/v9.2/", "http://h"),
            "{base}accounts({guid}) W/\"{n}\""
        );
    }
}
