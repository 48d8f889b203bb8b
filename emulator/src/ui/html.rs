//! HTML building blocks: escaping and the page layout every dashboard page shares.
//!
//! Records hold user text, so every value that reaches a page goes through [`esc`] (or,
//! inside a `<script type="application/json">` block, through [`json_block`]). Pages carry
//! no inline script or style: the Content-Security-Policy only allows the embedded assets.

use std::fmt::Write;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Characters left as they are in a query-string value.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Escapes text for HTML element content and quoted attribute values.
pub use crate::wire::html::escape as esc;

/// Percent-encodes a query-string value.
pub fn enc(s: &str) -> String {
    utf8_percent_encode(s, QUERY_VALUE).to_string()
}

/// JSON for a `<script type="application/json">` block: `<` is escaped so no value can
/// close the element.
pub fn json_block(id: &str, value: &serde_json::Value) -> String {
    let text = serde_json::to_string(value).unwrap_or_default().replace('<', "\\u003c");
    format!("<script type=\"application/json\" id=\"{}\">{text}</script>", esc(id))
}

/// Where the dashboard lives.
pub const UI: &str = "/_emulator/ui";

/// A link to a dashboard page: `page` plus `(name, value)` query parameters (escaped for
/// an attribute).
pub fn href(page: &str, params: &[(&str, &str)]) -> String {
    let mut url = format!("{UI}/{page}");
    for (i, (name, value)) in params.iter().enumerate() {
        let _ = write!(url, "{}{name}={}", if i == 0 { '?' } else { '&' }, enc(value));
    }
    esc(&url)
}

/// What a page is made of.
pub struct Page<'a> {
    /// The `<title>` and heading.
    pub title: String,
    /// The org the page shows (names the Web API root its scripts call).
    pub org: Option<&'a str>,
    /// Extra scripts (asset names) after `common.js`.
    pub scripts: &'a [&'a str],
    /// The body, already escaped.
    pub body: String,
}

impl Page<'_> {
    /// The whole document.
    pub fn render(&self) -> String {
        let org = self.org.unwrap_or("");
        let with_org: Vec<(&str, &str)> = self.org.map(|o| vec![("org", o)]).unwrap_or_default();
        let mut nav = format!("<a class=\"brand\" href=\"{}\">Dataverse emulator</a>", href("", &[]));
        if self.org.is_some() {
            let _ = write!(nav, "<span class=\"org\">org <b>{}</b></span>", esc(org));
            for (page, label) in [("tables", "Tables"), ("metadata", "Metadata")] {
                let _ = write!(nav, "<a href=\"{}\">{label}</a>", href(page, &with_org));
            }
        }
        for (page, label) in [("journal", "Request journal"), ("webhooks", "Webhooks &amp; faults")] {
            let _ = write!(nav, "<a href=\"{}\">{label}</a>", href(page, &with_org));
        }
        let api = if org.is_empty() { String::new() } else { format!("/org/{org}/api/data/v9.2/") };
        let mut scripts = format!("<script src=\"{UI}/assets/common.js\"></script>");
        for s in self.scripts {
            let _ = write!(scripts, "<script src=\"{UI}/assets/{}\"></script>", esc(s));
        }
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title} · Dataverse emulator</title><link rel=\"stylesheet\" href=\"{UI}/assets/ui.css\"></head>\
             <body data-org=\"{org}\" data-api=\"{api}\" data-ui=\"{UI}/\"><nav>{nav}</nav><main><h1>{title}</h1>{body}</main>{scripts}</body></html>\n",
            title = esc(&self.title),
            org = esc(org),
            api = esc(&api),
            body = self.body,
        )
    }
}

/// A table: header labels and rows of cells that are already HTML.
pub fn table(class: &str, headers: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut out = format!("<table class=\"{class}\"><thead><tr>");
    for h in headers {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(esc(r#"<b a='1'>"&"</b>"#), "&lt;b a=&#39;1&#39;&gt;&quot;&amp;&quot;&lt;/b&gt;");
    }

    #[test]
    fn json_blocks_cannot_close_the_script_element() {
        let block = json_block("m", &serde_json::json!({ "x": "</script><script>alert(1)</script>" }));
        assert!(!block[..block.len() - "</script>".len()].contains("</script>"), "{block}");
    }

    #[test]
    fn links_encode_and_escape_parameters() {
        assert_eq!(href("grid", &[("org", "a&b"), ("etn", "x y")]), "/_emulator/ui/grid?org=a%26b&amp;etn=x%20y");
    }
}
