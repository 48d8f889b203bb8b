//! The dashboard's stylesheet and scripts, embedded in the binary (no build step, no
//! network at runtime).

use bytes::Bytes;
use http::StatusCode;

use crate::wire::response::Reply;

/// Asset name → media type and contents.
const ASSETS: &[(&str, &str, &str)] = &[
    ("ui.css", "text/css; charset=utf-8", include_str!("assets/ui.css")),
    ("common.js", "text/javascript; charset=utf-8", include_str!("assets/common.js")),
    ("grid.js", "text/javascript; charset=utf-8", include_str!("assets/grid.js")),
    ("record.js", "text/javascript; charset=utf-8", include_str!("assets/record.js")),
    ("journal.js", "text/javascript; charset=utf-8", include_str!("assets/journal.js")),
    ("webhooks.js", "text/javascript; charset=utf-8", include_str!("assets/webhooks.js")),
];

/// `/_emulator/ui/assets/<name>`.
pub fn serve(name: &str) -> Reply {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, media_type, text)) => Reply::empty(StatusCode::OK)
            .with_body((*media_type).to_string(), Bytes::from_static(text.as_bytes()))
            .header("x-content-type-options", "nosniff")
            .header("cache-control", "no-cache"),
        None => super::html_reply(
            StatusCode::NOT_FOUND,
            super::html::Page { title: "Not found".into(), org: None, scripts: &[], body: format!("<p class=\"error\" id=\"problem\">There is no asset '{}'.</p>", super::html::esc(name)) }.render(),
        ),
    }
}
