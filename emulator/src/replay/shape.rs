//! The normalised shape of a recorded request, so that exchanges can be grouped and
//! compared by what they ask rather than by the values in them: ids become `{id}`,
//! literals in query options become `{string}` / `{number}`, query options are sorted.
//!
//! `GET accounts(a0000000-…)?$select=name&$filter=revenue gt 5 and name eq 'A'` →
//! `GET accounts({id})?$filter=revenue gt {number} and name eq {string}&$select=name`.

use std::sync::OnceLock;

use regex::Regex;

/// The shape of `method path` (path relative to the Web API root, query included).
pub fn query_shape(method: &str, path: &str) -> String {
    static PATTERNS: OnceLock<[Regex; 3]> = OnceLock::new();
    let [guid, string, number] = PATTERNS.get_or_init(|| {
        [
            Regex::new(r"(?i)\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?").expect("guid regex"),
            Regex::new(r"'(?:[^']|'')*'").expect("string regex"),
            Regex::new(r"(?:^|[\s(,=])(-?\d+(?:\.\d+)?)(?:$|[\s),&])").expect("number regex"),
        ]
    });
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy().replace('+', " ");
    let (resource, query) = decoded.split_once('?').map_or((decoded.as_str(), None), |(r, q)| (r, Some(q)));
    let resource = guid.replace_all(resource, "{id}");
    let resource = string.replace_all(&resource, "{string}");
    let mut options: Vec<String> = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter(|o| !o.is_empty())
        .map(|o| {
            let o = guid.replace_all(o, "{id}");
            let o = string.replace_all(&o, "{string}");
            // `$top=3`, `$filter=revenue gt 5`: numbers after `=`, a space, `(` or `,`.
            number.replace_all(&o, |c: &regex::Captures| c[0].replace(&c[1], "{number}")).into_owned()
        })
        .collect();
    options.sort();
    if options.is_empty() {
        format!("{method} {resource}")
    } else {
        format!("{method} {resource}?{}", options.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::query_shape;

    #[test]
    fn ids_literals_and_option_order_are_normalised() {
        assert_eq!(
            query_shape("GET", "accounts(a0000000-0000-4000-8000-000000000001)?$select=name&$filter=revenue%20gt%205%20and%20name%20eq%20'O''Neil'&$top=3"),
            "GET accounts({id})?$filter=revenue gt {number} and name eq {string}&$select=name&$top={number}"
        );
        assert_eq!(query_shape("POST", "contacts"), "POST contacts");
        assert_eq!(query_shape("GET", "accounts(accountnumber='AC-1')"), "GET accounts(accountnumber={string})");
        assert_eq!(query_shape("GET", "contacts(${created1})"), "GET contacts(${created1})");
    }
}
