//! Change tracking: `Prefer: odata.track-changes`, `@odata.deltaLink` and `$deltatoken`
//! (Microsoft Learn, "Use change tracking to synchronize data with external systems").

use crate::common;

use common::*;
use serde_json::{json, Value};

const TRACK: (&str, &str) = ("Prefer", "odata.track-changes");

/// The delta link as a path this server's client takes.
fn local(s: &Server, link: &str) -> String {
    link.strip_prefix(s.base.as_str()).unwrap_or_else(|| panic!("{link} is not under {}", s.base)).to_string()
}

#[tokio::test]
async fn a_delta_link_answers_what_was_created_updated_and_deleted_since() {
    let s = Server::start().await;
    let kept = s.create("accounts", r#"{"name":"CT kept","telephone1":"555-0100"}"#).await;
    let doomed = s.create("accounts", r#"{"name":"CT doomed"}"#).await;
    let r = s.get_with("accounts?$select=name,telephone1", &[TRACK]).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.header("preference-applied"), Some("odata.track-changes"));
    let link = r.json["@odata.deltaLink"].as_str().unwrap_or_else(|| panic!("no delta link: {}", r.text)).to_string();
    assert!(link.starts_with(&format!("{}accounts?$select=name,telephone1&$deltatoken=", s.base)), "{link}");
    assert!(regex_like(&link), "the token is <version>!<MM/dd/yyyy HH:mm:ss>, encoded: {link}");

    // Nothing yet: an empty delta with a new link.
    let r = s.get(&local(&s, &link)).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.json["value"], json!([]));
    assert!(r.json["@odata.context"].as_str().unwrap().ends_with("$metadata#accounts(name,telephone1)/$delta"), "{}", r.text);

    // A create, an update, a delete, and a row created and deleted in between.
    let created = s.create("accounts", r#"{"name":"CT created"}"#).await;
    assert_eq!(s.patch(&format!("accounts({kept})"), &[], r#"{"telephone1":"555-0199"}"#).await.status.as_u16(), 204);
    assert_eq!(s.delete(&format!("accounts({doomed})")).await.status.as_u16(), 204);
    let fleeting = s.create("accounts", r#"{"name":"CT fleeting"}"#).await;
    s.delete(&format!("accounts({fleeting})")).await;

    let r = s.get(&local(&s, &link)).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let value = r.json["value"].as_array().unwrap();
    let changed: Vec<(&str, &Value)> = value.iter().filter(|v| v.get("accountid").is_some()).map(|v| (v["accountid"].as_str().unwrap(), &v["telephone1"])).collect();
    assert_eq!(changed, [(created.as_str(), &Value::Null), (kept.as_str(), &json!("555-0199"))], "new or updated rows first, oldest change first: {}", r.text);
    assert!(value[0]["@odata.etag"].is_string());
    assert!(value[0].get("revenue").is_none(), "only the selected columns");
    let deleted_context = format!("{}$metadata#accounts/$deletedEntity", s.base);
    assert_eq!(&value[2..], [json!({"@odata.context": deleted_context, "id": doomed, "reason": "deleted"}), json!({"@odata.context": deleted_context, "id": fleeting, "reason": "deleted"})]);
    let count = s.get(&local(&s, &link).replacen("accounts?", "accounts/$count?", 1)).await;
    assert_eq!(count.text, "4", "$count of the delta");

    // The new link starts after these changes.
    let next = r.json["@odata.deltaLink"].as_str().unwrap().to_string();
    assert_ne!(next, link);
    assert_eq!(s.get(&local(&s, &next)).await.json["value"], json!([]));
}

/// `%21` between the version and an `MM%2fdd%2fyyyy%20HH%3amm%3ass` stamp.
fn regex_like(link: &str) -> bool {
    let token = link.rsplit("$deltatoken=").next().unwrap_or("");
    let Some((version, stamp)) = token.split_once("%21") else { return false };
    version.chars().all(|c| c.is_ascii_digit()) && stamp.len() == "08%2f22%2f2017%2008%3a10%3a44".len() && stamp.contains("%2f") && stamp.contains("%3a")
}

#[tokio::test]
async fn tracking_pages_first_and_refuses_the_options_the_service_refuses() {
    let s = Server::start().await;
    for i in 0..3 {
        s.create("contacts", &json!({"lastname": format!("CT page {i}")}).to_string()).await;
    }
    // Paged: next links until the last page, which has the delta link.
    let mut url = "contacts?$select=lastname".to_string();
    let mut pages = 0;
    let link = loop {
        let r = s.get_with(&url, &[("Prefer", "odata.track-changes,odata.maxpagesize=3")]).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        assert_eq!(r.header("preference-applied"), Some("odata.maxpagesize=3,odata.track-changes"));
        pages += 1;
        match (r.json["@odata.nextLink"].as_str(), r.json["@odata.deltaLink"].as_str()) {
            (Some(next), None) => url = local(&s, next),
            (None, Some(delta)) => break delta.to_string(),
            other => panic!("a page has a next link or (last) a delta link, not {other:?}"),
        }
        assert!(pages < 20);
    };
    assert!(pages > 1);
    assert!(!link.contains("$skiptoken"), "{link}");

    for (option, name) in [("$filter=statecode%20eq%200", "filter"), ("$orderby=lastname", "orderby"), ("$expand=parentcustomerid_account($select=name)", "expand"), ("$top=2", "top")] {
        let r = s.get_with(&format!("contacts?{option}"), &[TRACK]).await;
        let message = r.assert_error(400, "0x80060888");
        assert_eq!(message, format!("The \"${name}\" query parameter isn't supported when Change Tracking is enabled."));
    }
    s.get("contacts?$deltatoken=not-a-token").await.assert_error(400, "0x80060888");
    // Without the preference nothing changes.
    let r = s.get("contacts?$select=lastname&$top=1").await;
    assert!(r.json.get("@odata.deltaLink").is_none() && r.header("preference-applied").is_none(), "{}", r.text);
}
