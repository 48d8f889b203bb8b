//! Request headers that change what the service does: `Prefer`, `If-Match`, `If-None-Match`.

use http::HeaderMap;

use crate::error::{Code, Error, Result};

/// Which instance annotations the client asked for with `odata.include-annotations`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnnotationFilter {
    /// Patterns such as `*`, `OData.Community.Display.V1.FormattedValue`,
    /// `Microsoft.Dynamics.CRM.*`; a leading `-` excludes.
    patterns: Vec<String>,
}

impl AnnotationFilter {
    /// Whether the annotation `term` (without the leading `@`) should be emitted.
    pub fn wants(&self, term: &str) -> bool {
        let matches = |p: &str| p == "*" || p == term || p.strip_suffix('*').is_some_and(|prefix| term.starts_with(prefix));
        let excluded = self.patterns.iter().filter_map(|p| p.strip_prefix('-')).any(matches);
        !excluded && self.patterns.iter().filter(|p| !p.starts_with('-')).any(|p| matches(p))
    }
}

/// The parsed `Prefer` header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preferences {
    /// `return=representation`
    pub return_representation: bool,
    /// `odata.include-annotations="…"`, with the raw text kept for `Preference-Applied`.
    pub include_annotations: Option<(String, AnnotationFilter)>,
    /// `odata.maxpagesize=N`
    pub max_page_size: Option<u32>,
    /// `odata.continue-on-error`
    pub continue_on_error: bool,
    /// `odata.track-changes`: the collection answer ends with an `@odata.deltaLink`.
    pub track_changes: bool,
    /// `respond-async`: a Custom API call runs as a background operation.
    pub respond_async: bool,
}

/// The formatted-value annotation term.
pub const FORMATTED_VALUE: &str = "OData.Community.Display.V1.FormattedValue";
/// The annotation naming the column behind an aliased or link-entity property of a
/// FetchXML (or SQL) result.
pub const ATTRIBUTE_NAME: &str = "OData.Community.Display.V1.AttributeName";
/// The lookup target-table annotation term.
pub const LOOKUP_LOGICAL_NAME: &str = "Microsoft.Dynamics.CRM.lookuplogicalname";
/// The lookup navigation-property annotation term.
pub const ASSOCIATED_NAVIGATION_PROPERTY: &str = "Microsoft.Dynamics.CRM.associatednavigationproperty";

impl Preferences {
    /// Parses every `Prefer` header. Items are comma-separated; unknown items are ignored,
    /// as the real service ignores preferences it doesn't support.
    pub fn from_headers(headers: &HeaderMap) -> Preferences {
        let mut p = Preferences::default();
        for value in headers.get_all("prefer") {
            let Ok(text) = value.to_str() else { continue };
            for item in split_items(text) {
                let (name, val) = match item.split_once('=') {
                    Some((n, v)) => (n.trim(), Some(v.trim())),
                    None => (item.trim(), None),
                };
                match (name.to_ascii_lowercase().as_str(), val) {
                    ("return", Some(v)) if v.eq_ignore_ascii_case("representation") => p.return_representation = true,
                    ("odata.include-annotations", Some(v)) => {
                        let raw = v.trim_matches('"');
                        let patterns = raw.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
                        p.include_annotations = Some((raw.to_string(), AnnotationFilter { patterns }));
                    }
                    ("odata.maxpagesize", Some(v)) => p.max_page_size = v.trim_matches('"').parse().ok(),
                    ("odata.continue-on-error", _) => p.continue_on_error = true,
                    ("odata.track-changes", _) => p.track_changes = true,
                    ("respond-async", _) => p.respond_async = true,
                    _ => {}
                }
            }
        }
        p
    }

    /// The annotation filter, if any annotations were requested.
    pub fn annotations(&self) -> Option<&AnnotationFilter> {
        self.include_annotations.as_ref().map(|(_, f)| f)
    }

    /// The `Preference-Applied` items for the preferences this response honoured.
    pub fn applied(&self, representation_returned: bool) -> Option<String> {
        self.applied_with_paging(representation_returned, false)
    }

    /// [`Preferences::applied`] for a collection, which also honours `odata.maxpagesize`.
    pub fn applied_with_paging(&self, representation_returned: bool, paged: bool) -> Option<String> {
        let mut items = Vec::new();
        if self.return_representation && representation_returned {
            items.push("return=representation".to_string());
        }
        if let (true, Some(n)) = (paged, self.max_page_size) {
            items.push(format!("odata.maxpagesize={n}"));
        }
        if let Some((raw, _)) = &self.include_annotations {
            items.push(format!("odata.include-annotations=\"{raw}\""));
        }
        (!items.is_empty()).then(|| items.join(","))
    }
}

/// Splits a header value on commas that are not inside double quotes.
fn split_items(text: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                items.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&text[start..]);
    items.into_iter().filter(|s| !s.trim().is_empty()).collect()
}

/// An `If-Match` / `If-None-Match` condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// `*`
    Any,
    /// `W/"123"` (or a strong `"123"`).
    Version(u64),
}

/// Parses a conditional header. `If-None-Match: null`, which Microsoft's docs tell every
/// client to send to defeat intermediate caches, is treated as absent.
pub fn condition(headers: &HeaderMap, name: &str) -> Result<Option<Condition>> {
    let Some(v) = headers.get(name) else { return Ok(None) };
    let text = v.to_str().unwrap_or("").trim();
    if text.is_empty() || text.eq_ignore_ascii_case("null") {
        return Ok(None);
    }
    if text == "*" {
        return Ok(Some(Condition::Any));
    }
    let inner = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    inner
        .parse::<u64>()
        .map(|v| Some(Condition::Version(v)))
        .map_err(|_| Error::new(Code::BadRequest, format!("The value '{text}' of the {name} header is not a valid entity tag.")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn prefer(v: &str) -> Preferences {
        let mut h = HeaderMap::new();
        h.insert("prefer", HeaderValue::from_str(v).unwrap());
        Preferences::from_headers(&h)
    }

    #[test]
    fn parses_the_combined_form_clients_send() {
        let p = prefer(r#"return=representation,odata.include-annotations="*",odata.maxpagesize=50"#);
        assert!(p.return_representation);
        assert_eq!(p.max_page_size, Some(50));
        assert!(p.annotations().unwrap().wants(FORMATTED_VALUE));
        assert_eq!(p.applied(true).unwrap(), r#"return=representation,odata.include-annotations="*""#);
    }

    #[test]
    fn annotation_lists_and_wildcards() {
        let p = prefer(r#"odata.include-annotations="OData.Community.Display.V1.FormattedValue,Microsoft.Dynamics.CRM.lookuplogicalname""#);
        let f = p.annotations().unwrap();
        assert!(f.wants(FORMATTED_VALUE) && f.wants(LOOKUP_LOGICAL_NAME));
        assert!(!f.wants(ASSOCIATED_NAVIGATION_PROPERTY));
        let p = prefer(r#"odata.include-annotations="Microsoft.Dynamics.CRM.*""#);
        assert!(p.annotations().unwrap().wants(LOOKUP_LOGICAL_NAME));
        assert!(!p.annotations().unwrap().wants(FORMATTED_VALUE));
    }

    #[test]
    fn conditions() {
        let mut h = HeaderMap::new();
        h.insert("if-match", HeaderValue::from_static("W/\"42\""));
        h.insert("if-none-match", HeaderValue::from_static("null"));
        assert_eq!(condition(&h, "if-match").unwrap(), Some(Condition::Version(42)));
        assert_eq!(condition(&h, "if-none-match").unwrap(), None);
        h.insert("if-match", HeaderValue::from_static("W/\"x\""));
        assert!(condition(&h, "if-match").is_err());
    }
}
