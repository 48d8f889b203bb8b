//! The request journal, live: `journal.js` polls `GET /_emulator/journal?since=<last id>`
//! and shows each request with its response, bodies included, a filter, and "copy as curl".
//! The parts of a `$batch` (entries whose `batch` names it) are listed under it.

use super::html::Page;

/// `/_emulator/ui/journal`.
pub fn page(org: Option<&str>) -> String {
    let body = "<form id=\"journal-filter\" class=\"filter\"><label for=\"journal-search\">Filter</label>\
        <input id=\"journal-search\" autocomplete=\"off\" spellcheck=\"false\" placeholder=\"PATCH accounts 4xx\">\
        <label><input type=\"checkbox\" id=\"journal-live\" checked> live</label>\
        <button type=\"button\" id=\"journal-clear\">Clear journal</button></form>\
        <div id=\"journal-status\" class=\"status\"></div>\
        <div class=\"split\"><table id=\"journal\" class=\"grid\"><thead><tr><th>#</th><th>Time</th><th>Org</th><th>Method</th><th>Path</th><th>Status</th><th>Operation</th><th>ms</th></tr></thead><tbody></tbody></table>\
        <section id=\"journal-detail\" class=\"detail\" hidden></section></div>"
        .to_string();
    Page { title: "Request journal".into(), org, scripts: &["journal.js"], body }.render()
}
