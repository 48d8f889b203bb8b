//! HTML escaping for the pages the emulator serves: the sign-in and consent pages of the
//! fake token endpoint and the web dashboard. Record data and request parameters reach
//! these pages, so every piece of text goes through [`escape`].

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
