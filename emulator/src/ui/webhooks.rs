//! Webhook deliveries and the active fault-injection rules: `webhooks.js` reads
//! `/_emulator/webhooks/deliveries` and `/_emulator/faults`, and switches single rules off
//! and on again by posting the fault settings back without (or with) them.

use super::html::Page;

/// `/_emulator/ui/webhooks`.
pub fn page(org: Option<&str>) -> String {
    let body = "<h2>Fault injection</h2><div id=\"faults-status\" class=\"status\"></div>\
        <table id=\"faults\" class=\"grid\"><thead><tr><th>On</th><th>Rule</th><th>Settings</th></tr></thead><tbody></tbody></table>\
        <pre id=\"faults-error\" class=\"error\" hidden></pre>\
        <h2>Webhook deliveries</h2><p><button type=\"button\" id=\"deliveries-refresh\">Refresh</button> <button type=\"button\" id=\"deliveries-clear\">Clear</button></p>\
        <table id=\"deliveries\" class=\"grid\"><thead><tr><th>#</th><th>Org</th><th>Message</th><th>Table</th><th>Mode</th><th>URL</th><th>Attempt</th><th>Result</th></tr></thead><tbody></tbody></table>\
        <section id=\"delivery-detail\" class=\"detail\" hidden></section>"
        .to_string();
    Page { title: "Webhooks & faults".into(), org, scripts: &["webhooks.js"], body }.render()
}
