//! The web dashboard (`/_emulator/ui/…`) and `main.aspx`, over HTTP: status, media type and
//! security headers, org routing, what each page shows, HTML escaping of record text, and
//! the 400/404/405 pages.

use crate::common;

use common::*;
use http::{Method, StatusCode};
use serde_json::json;

const PHONECALL: &str = "d0000000-0000-4000-8000-000000000001";

/// Asserts an HTML page with the dashboard's headers and the given status; returns its text.
#[track_caller]
fn html(r: &Resp, status: u16) -> &str {
    assert_eq!(r.status.as_u16(), status, "body: {}", r.text);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let csp = r.header("content-security-policy").expect("a Content-Security-Policy");
    assert!(csp.contains("frame-ancestors 'self' http://localhost:* http://127.0.0.1:*"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert!(r.text.starts_with("<!DOCTYPE html>"), "{}", r.text);
    &r.text
}

/// Every `<script>` on a page loads an embedded asset or is a JSON data block: the
/// Content-Security-Policy would block inline code.
#[track_caller]
fn no_inline_script(page: &str) {
    for (i, _) in page.match_indices("<script") {
        let tag = &page[i..page[i..].find('>').map_or(page.len(), |e| i + e)];
        assert!(tag.contains("src=\"/_emulator/ui/assets/") || tag.contains("type=\"application/json\""), "inline script: {tag}");
    }
}

async fn create_org(s: &Server, name: &str) {
    let r = s.send(Method::POST, "/_emulator/orgs", &[], Some(&json!({ "name": name }).to_string())).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
}

#[tokio::test]
async fn org_picker_lists_every_org() {
    let s = Server::start().await;
    create_org(&s, "sales").await;
    let r = s.get("/_emulator/ui/").await;
    let page = html(&r, 200);
    assert!(page.contains("href=\"/_emulator/ui/tables?org=default\""), "{page}");
    assert!(page.contains("href=\"/_emulator/ui/tables?org=sales\""), "{page}");
    assert!(page.contains("<code>/org/sales/api/data/v9.2/</code>"), "{page}");
    // Without the trailing slash too.
    html(&s.get("/_emulator/ui").await, 200);
}

#[tokio::test]
async fn table_list_counts_records_per_org() {
    let s = Server::start().await;
    create_org(&s, "sales").await;
    s.create("accounts", r#"{"name":"Only in default"}"#).await;
    let r = s.get("/_emulator/ui/tables?org=default").await;
    let page = html(&r, 200);
    assert!(page.contains("<span class=\"count\" data-table=\"account\">4</span>"), "{page}");
    assert!(page.contains("href=\"/_emulator/ui/grid?org=default&amp;etn=account\""), "{page}");
    let r = s.get("/_emulator/ui/tables?org=sales").await;
    assert!(html(&r, 200).contains("<span class=\"count\" data-table=\"account\">3</span>"));
    let r = s.get("/_emulator/ui/tables?org=nosuch").await;
    assert!(html(&r, 404).contains("No org named &#39;nosuch&#39;."));
}

#[tokio::test]
async fn grid_page_carries_the_tables_columns_for_its_script() {
    let s = Server::start().await;
    let r = s.get("/_emulator/ui/grid?org=default&etn=contact").await;
    let page = html(&r, 200);
    no_inline_script(page);
    assert!(page.contains("<script src=\"/_emulator/ui/assets/grid.js\"></script>"));
    assert!(page.contains("data-api=\"/org/default/api/data/v9.2/\""), "{page}");
    let start = page.find("<script type=\"application/json\" id=\"grid-meta\">").expect("grid meta") + "<script type=\"application/json\" id=\"grid-meta\">".len();
    let meta: serde_json::Value = serde_json::from_str(&page[start..start + page[start..].find("</script>").unwrap()]).unwrap();
    assert_eq!(meta["entitySet"], "contacts");
    assert_eq!(meta["primaryId"], "contactid");
    assert_eq!(meta["primaryName"], "fullname");
    assert_eq!(meta["defaults"][0], "fullname");
    let parent = meta["columns"].as_array().unwrap().iter().find(|c| c["name"] == "parentcustomerid").expect("the lookup column");
    assert_eq!(parent["property"], "_parentcustomerid_value");
    assert_eq!(parent["lookup"], true);

    assert!(html(&s.get("/_emulator/ui/grid?org=default&etn=nosuch").await, 404).contains("has no table &#39;nosuch&#39;"));
    assert!(html(&s.get("/_emulator/ui/grid?org=default").await, 400).contains("add etn="));
}

#[tokio::test]
async fn record_page_shows_formatted_values_lookups_and_activity_parties() {
    let s = Server::start().await;
    let r = s.get(&format!("/_emulator/ui/record?org=default&etn=phonecall&id={PHONECALL}")).await;
    let page = html(&r, 200);
    no_inline_script(page);
    assert!(page.contains("<h1>Follow-up on order status</h1>"), "{page}");
    // A two-option column shows its label, the raw value beside it.
    assert!(page.contains("<tr data-column=\"directioncode\"><th>Direction <code>directioncode</code></th><td class=\"value\" data-edit=\"boolean\""), "{page}");
    assert!(page.contains(">Incoming</td><td class=\"raw\"><code>false</code>"), "{page}");
    // Lookups link to their record, named by the formatted value.
    assert!(page.contains(&format!("<a class=\"lookup\" href=\"/_emulator/ui/record?org=default&amp;etn=systemuser&amp;id={CALLER}\">Emulator Admin</a>")), "{page}");
    // Parties, each linking to its party.
    let parties = &page[page.find("id=\"activity-parties\"").expect("the parties table")..];
    assert!(parties.matches("<tr><td>").count() >= 1, "{parties}");
    assert!(parties.contains("class=\"lookup\""), "{parties}");
    // The ETag the edit sends back, and the Web API address it patches.
    assert!(page.contains(&format!("data-set=\"phonecalls\" data-id=\"{PHONECALL}\" data-etag=\"W/&quot;")), "{page}");
}

#[tokio::test]
async fn record_text_is_escaped_everywhere_it_is_shown() {
    let s = Server::start().await;
    let evil = r#"<script>alert("x")</script>&'"#;
    let id = s.create("accounts", &json!({ "name": evil, "description": "<b>bold</b>" }).to_string()).await;
    let contact = s.create("contacts", &json!({ "lastname": "Doe", "parentcustomerid_account@odata.bind": format!("/accounts({id})") }).to_string()).await;
    let r = s.get(&format!("/_emulator/ui/record?org=default&etn=account&id={id}")).await;
    let page = html(&r, 200);
    let escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;";
    assert!(page.contains(&format!("<h1>{escaped}</h1>")), "{page}");
    assert!(page.contains(&format!("<title>{escaped} · Dataverse emulator</title>")), "{page}");
    assert!(page.contains("&lt;b&gt;bold&lt;/b&gt;"), "{page}");
    assert!(!page.contains("<script>alert") && !page.contains("<b>bold"), "{page}");
    // The lookup's formatted value on the contact's page.
    let r = s.get(&format!("/_emulator/ui/record?org=default&etn=contact&id={contact}")).await;
    let page = html(&r, 200);
    assert!(page.contains(&format!("&amp;etn=account&amp;id={id}\">{escaped}</a>")), "{page}");
    assert!(!page.contains("<script>alert"), "{page}");
}

#[tokio::test]
async fn main_aspx_opens_records_and_grids_in_the_routed_org() {
    let s = Server::start().await;
    let r = s.get(&format!("/main.aspx?appid=6f2c1a0e-0000-0000-0000-000000000001&pagetype=entityrecord&etn=phonecall&id=%7B{PHONECALL}%7D")).await;
    assert!(html(&r, 200).contains("<h1>Follow-up on order status</h1>"));
    let r = s.get("/main.aspx?pagetype=entitylist&etn=account").await;
    assert!(html(&r, 200).contains("\"entitySet\":\"accounts\""));
    let r = s.get("/main.aspx").await;
    assert!(html(&r, 200).contains("<h1>Tables</h1>"));

    // A record only one org has: the org comes from the path prefix or the host name.
    create_org(&s, "sales").await;
    let id = s.send(Method::POST, "/org/sales/api/data/v9.2/accounts", &[], Some(r#"{"name":"Sales only"}"#)).await.entity_id();
    let path = format!("main.aspx?pagetype=entityrecord&etn=account&id={id}");
    assert!(html(&s.get(&format!("/org/sales/{path}")).await, 200).contains("<h1>Sales only</h1>"));
    let host = format!("sales.localhost:{}", s.addr.port());
    assert!(html(&s.get_with(&format!("/{path}"), &[("Host", &host)]).await, 200).contains("<h1>Sales only</h1>"));
    let r = s.get(&format!("/{path}")).await;
    assert!(html(&r, 404).contains(id.as_str()), "the default org has no such record: {}", r.text);
    assert!(html(&s.get(&format!("/org/nosuch/{path}")).await, 404).contains("No org named &#39;nosuch&#39;."));
}

#[tokio::test]
async fn main_aspx_rejects_incomplete_addresses() {
    let s = Server::start().await;
    assert!(html(&s.get("/main.aspx?pagetype=entityrecord&etn=phonecall").await, 400).contains("add id=&lt;guid&gt;"));
    assert!(html(&s.get("/main.aspx?pagetype=entityrecord&etn=phonecall&id=not-a-guid").await, 400).contains("&#39;not-a-guid&#39; is not a record id"));
    assert!(html(&s.get("/main.aspx?pagetype=entityrecord&id=a0000000-0000-4000-8000-000000000001").await, 400).contains("add etn="));
    assert!(html(&s.get("/main.aspx?pagetype=webresource&etn=account").await, 400).contains("&#39;webresource&#39; is not supported"));
    assert!(html(&s.get("/main.aspx?pagetype=entityrecord&etn=nosuch&id=a0000000-0000-4000-8000-000000000001").await, 404).contains("no table &#39;nosuch&#39;"));
}

#[tokio::test]
async fn metadata_browser_shows_columns_option_sets_relationships_and_keys() {
    let s = Server::start().await;
    let r = s.get("/_emulator/ui/metadata?org=default").await;
    assert!(html(&r, 200).contains("href=\"/_emulator/ui/metadata?org=default&amp;etn=phonecall\""));
    let r = s.get("/_emulator/ui/metadata?org=default&etn=account").await;
    let page = html(&r, 200);
    for section in ["id=\"columns\"", "id=\"option-sets\"", "id=\"relationships\"", "id=\"keys\""] {
        assert!(page.contains(section), "{section}");
    }
    assert!(page.contains("<td><code>accountnumber</code></td><td>Account Number</td><td>String</td>"), "{page}");
    assert!(page.contains("1 Preferred Customer"), "{page}");
    assert!(page.contains("<code>contact_customer_accounts</code>"), "{page}");
    assert!(html(&s.get("/_emulator/ui/metadata?org=default&etn=nosuch").await, 404).contains("has no table &#39;nosuch&#39;"));
    assert!(html(&s.get("/_emulator/ui/metadata?org=default&etn=a%27b").await, 404).contains("has no table &#39;a&#39;b&#39;"));
}

#[tokio::test]
async fn journal_and_webhook_pages_load_their_scripts() {
    let s = Server::start().await;
    let page = html(&s.get("/_emulator/ui/journal").await, 200).to_string();
    no_inline_script(&page);
    assert!(page.contains("<script src=\"/_emulator/ui/assets/journal.js\"></script>"));
    let page = html(&s.get("/_emulator/ui/webhooks?org=default").await, 200).to_string();
    assert!(page.contains("<script src=\"/_emulator/ui/assets/webhooks.js\"></script>"));
    assert!(page.contains("id=\"faults\"") && page.contains("id=\"deliveries\""));
}

#[tokio::test]
async fn assets_are_embedded_with_their_media_types() {
    let s = Server::start().await;
    for (name, media_type) in [("ui.css", "text/css; charset=utf-8"), ("common.js", "text/javascript; charset=utf-8"), ("grid.js", "text/javascript; charset=utf-8")] {
        let r = s.get(&format!("/_emulator/ui/assets/{name}")).await;
        assert_eq!(r.status, StatusCode::OK, "{name}");
        assert_eq!(r.header("content-type"), Some(media_type), "{name}");
        assert!(!r.text.is_empty());
    }
    html(&s.get("/_emulator/ui/assets/nosuch.js").await, 404);
}

#[tokio::test]
async fn unknown_pages_and_other_methods_are_refused() {
    let s = Server::start().await;
    assert!(html(&s.get("/_emulator/ui/nosuch").await, 404).contains("no dashboard page &#39;nosuch&#39;"));
    let r = s.send(Method::POST, "/_emulator/ui/tables", &[], Some("{}")).await;
    html(&r, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    let r = s.send(Method::DELETE, "/main.aspx", &[], None).await;
    html(&r, 405);
    // A near miss is not the dashboard: the admin API answers it.
    let r = s.get("/_emulator/uix").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json["error"]["code"], "NotFound");
}

#[tokio::test]
async fn dashboard_requests_stay_out_of_the_journal() {
    let s = Server::start().await;
    html(&s.get(&format!("/_emulator/ui/record?org=default&etn=phonecall&id={PHONECALL}")).await, 200);
    html(&s.get("/main.aspx?pagetype=entitylist&etn=account").await, 200);
    let r = s.get("/_emulator/journal").await;
    assert_eq!(r.json["recorded"], 0, "{}", r.text);
}
