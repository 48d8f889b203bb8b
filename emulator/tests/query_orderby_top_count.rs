//! `$orderby`, `$top`, `$count`, `/$count`, the total-record-count annotations, and query
//! options on collection-valued navigation (§2.3, §2.5).

use crate::common;

use common::*;
use http::StatusCode;

const TOTALS: &str = "odata.include-annotations=\"Microsoft.Dynamics.CRM.totalrecordcount,Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded\"";

/// Five `QO-` accounts. QO-4 leaves city, employees and both choices empty.
async fn seed(s: &Server) {
    for body in [
        r#"{"name":"QO-1","address1_city":"Bellevue","numberofemployees":10,"industrycode":12,"customertypecode":4}"#,
        r#"{"name":"QO-2","address1_city":"Bellevue","numberofemployees":30,"industrycode":1,"customertypecode":6}"#,
        r#"{"name":"QO-3","address1_city":"redmond","numberofemployees":20,"industrycode":7,"customertypecode":12}"#,
        r#"{"name":"QO-4"}"#,
        r#"{"name":"QO-5","address1_city":"Redmond","numberofemployees":40,"industrycode":30,"customertypecode":1}"#,
    ] {
        s.create("accounts", body).await;
    }
}

/// Names of the `QO-` accounts in the order `$orderby` gives.
async fn ordered(s: &Server, orderby: &str) -> Vec<String> {
    let r = s.get_ok(&format!("accounts?$select=name&$filter={}&$orderby={}", enc("startswith(name,'QO-')"), enc(orderby)), &[]).await;
    column_of(&r, "name")
}

#[tokio::test]
async fn several_keys_with_nulls_first_ascending_and_last_descending() {
    let s = Server::start().await;
    seed(&s).await;
    let cases: [(&str, [&str; 5]); 7] = [
        ("numberofemployees", ["QO-4", "QO-1", "QO-3", "QO-2", "QO-5"]),
        ("numberofemployees asc", ["QO-4", "QO-1", "QO-3", "QO-2", "QO-5"]),
        ("numberofemployees desc", ["QO-5", "QO-2", "QO-3", "QO-1", "QO-4"]),
        // City compares case-insensitively, so 'redmond' and 'Redmond' tie on the first key.
        ("address1_city asc,numberofemployees desc", ["QO-4", "QO-2", "QO-1", "QO-5", "QO-3"]),
        ("address1_city desc,numberofemployees asc", ["QO-3", "QO-5", "QO-1", "QO-2", "QO-4"]),
        ("address1_city desc, name desc", ["QO-5", "QO-3", "QO-2", "QO-1", "QO-4"]),
        ("name desc", ["QO-5", "QO-4", "QO-3", "QO-2", "QO-1"]),
    ];
    for (orderby, want) in cases {
        assert_eq!(ordered(&s, orderby).await, want, "$orderby={orderby}");
    }
}

#[tokio::test]
async fn choice_columns_sort_by_label() {
    let s = Server::start().await;
    seed(&s).await;
    // industrycode: 1 Accounting, 7 Consulting, 12 Durable Manufacturing, 30 Transportation.
    assert_eq!(ordered(&s, "industrycode").await, ["QO-4", "QO-2", "QO-3", "QO-1", "QO-5"]);
    assert_eq!(ordered(&s, "industrycode desc").await, ["QO-5", "QO-1", "QO-3", "QO-2", "QO-4"]);
    // customertypecode labels are not in value order:
    // 1 Competitor < 6 Influencer < 4 Investor < 12 Other.
    assert_eq!(ordered(&s, "customertypecode").await, ["QO-4", "QO-5", "QO-2", "QO-1", "QO-3"]);
    assert_eq!(ordered(&s, "customertypecode desc").await, ["QO-3", "QO-1", "QO-2", "QO-5", "QO-4"]);
}

#[tokio::test]
async fn lookups_sort_by_the_referenced_primary_name() {
    let s = Server::start().await;
    // By fullname: Nancy Anderson < Susanna Stubberod < Yvonne McKay; by id it's the reverse.
    for (name, contact) in [("QL-1", Some(YVONNE)), ("QL-2", Some(SUSANNA)), ("QL-3", Some(NANCY)), ("QL-4", None)] {
        let body = match contact {
            Some(c) => format!(r#"{{"name":"{name}","primarycontactid@odata.bind":"/contacts({c})"}}"#),
            None => format!(r#"{{"name":"{name}"}}"#),
        };
        s.create("accounts", &body).await;
    }
    let filter = enc("startswith(name,'QL-')");
    let r = s.get_ok(&format!("accounts?$select=name&$filter={filter}&$orderby=_primarycontactid_value"), &[]).await;
    assert_eq!(column_of(&r, "name"), ["QL-4", "QL-3", "QL-2", "QL-1"]);
    let r = s.get_ok(&format!("accounts?$select=name&$filter={filter}&$orderby=_primarycontactid_value%20desc"), &[]).await;
    assert_eq!(column_of(&r, "name"), ["QL-1", "QL-2", "QL-3", "QL-4"]);
}

#[tokio::test]
async fn unknown_or_malformed_orderby_is_400() {
    let s = Server::start().await;
    let r = s.get("accounts?$orderby=foo").await;
    assert_eq!(r.assert_error(400, "0x80060888"), "Could not find a property named 'foo' on type 'Microsoft.Dynamics.CRM.account'.");
    let r = s.get("accounts?$orderby=name%20sideways").await;
    r.assert_error(400, "0x80060888");
}

#[tokio::test]
async fn top_limits_the_rows_without_a_next_link() {
    let s = Server::start().await;
    seed(&s).await;
    let r = s.get_ok(&format!("accounts?$select=name&$filter={}&$orderby=name%20desc&$top=2", enc("startswith(name,'QO-')")), &[]).await;
    assert_eq!(column_of(&r, "name"), ["QO-5", "QO-4"]);
    assert!(r.json.get("@odata.nextLink").is_none(), "{}", r.text);
    assert_eq!(r.header("preference-applied"), None);
    let r = s.get_ok("accounts?$select=name&$top=0", &[]).await;
    assert_eq!(r.json["value"], serde_json::json!([]));
    let r = s.get("accounts?$top=-1").await;
    r.assert_error(400, "0x80060888");
}

#[tokio::test]
async fn count_true_counts_every_match_before_value() {
    let s = Server::start().await;
    seed(&s).await;
    let path = format!("accounts?$select=name&$filter={}&$orderby=name&$count=true&$top=2", enc("startswith(name,'QO-')"));
    let r = s.get_ok(&path, &[]).await;
    assert_eq!(r.json["@odata.count"], 5, "{}", r.text);
    assert_eq!(column_of(&r, "name"), ["QO-1", "QO-2"]);
    assert!(r.pos("\"@odata.context\"") < r.pos("\"@odata.count\":5"));
    assert!(r.pos("\"@odata.count\":5") < r.pos("\"value\":"), "{}", r.text);
    // $count=false adds nothing.
    let r = s.get_ok("accounts?$select=name&$count=false", &[]).await;
    assert!(r.json.get("@odata.count").is_none(), "{}", r.text);
    // With no match the count is 0.
    let r = s.get_ok(&format!("accounts?$select=name&$count=true&$filter={}", enc("name eq 'nobody'")), &[]).await;
    assert_eq!(r.json["@odata.count"], 0);
    assert_eq!(r.json["value"], serde_json::json!([]));
}

#[tokio::test]
async fn count_segment_is_plain_text() {
    let s = Server::start().await;
    let r = s.get("accounts/$count").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").unwrap_or("").starts_with("text/plain"), "{:?}", r.headers);
    assert_eq!(r.text.trim_start_matches('\u{feff}'), "3");
    seed(&s).await;
    assert_eq!(s.count("accounts").await, 8);
    let r = s.get(&format!("accounts/$count?$filter={}", enc("startswith(name,'QO-') and numberofemployees gt 15"))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.header("content-type").unwrap_or("").starts_with("text/plain"));
    assert_eq!(r.text.trim_start_matches('\u{feff}'), "3");
    let r = s.get(&format!("accounts/$count?$filter={}", enc("foo eq 1"))).await;
    r.assert_error(400, "0x80060888");
}

#[tokio::test]
async fn total_record_count_annotations() {
    let s = Server::start().await;
    seed(&s).await;
    let filter = enc("startswith(name,'QO-')");
    let r = s.get_ok(&format!("accounts?$select=name&$filter={filter}&$count=true&$top=1"), &[("Prefer", TOTALS)]).await;
    assert_eq!(r.header("preference-applied"), Some(TOTALS));
    assert_eq!(r.json["@odata.count"], 5);
    assert_eq!(r.json["@Microsoft.Dynamics.CRM.totalrecordcount"], 5, "{}", r.text);
    assert_eq!(r.json["@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"], false);
    let value_at = r.pos("\"value\":");
    assert!(r.pos("\"@odata.count\"") < r.pos("\"@Microsoft.Dynamics.CRM.totalrecordcount\""));
    assert!(r.pos("\"@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded\"") < value_at, "{}", r.text);
    // Without $count the total is -1.
    let r = s.get_ok(&format!("accounts?$select=name&$filter={filter}"), &[("Prefer", TOTALS)]).await;
    assert_eq!(r.json["@Microsoft.Dynamics.CRM.totalrecordcount"], -1, "{}", r.text);
    assert_eq!(r.json["@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"], false);
    assert!(r.json.get("@odata.count").is_none());
    // Asking for everything includes them too.
    let r = s.get_ok(&format!("accounts?$select=name&$filter={filter}&$count=true"), &[("Prefer", "odata.include-annotations=\"*\"")]).await;
    assert_eq!(r.json["@Microsoft.Dynamics.CRM.totalrecordcount"], 5, "{}", r.text);
    // Without the preference there are no annotations.
    let r = s.get_ok(&format!("accounts?$select=name&$filter={filter}&$count=true"), &[]).await;
    assert!(!r.text.contains("totalrecordcount"), "{}", r.text);
}

#[tokio::test]
async fn collection_navigation_takes_query_options() {
    let s = Server::start().await;
    let acc = s.create("accounts", r#"{"name":"QN-Parent"}"#).await;
    let other = s.create("accounts", r#"{"name":"QN-Other"}"#).await;
    for (first, last, job, parent) in [("Ann", "Zimmer", "Buyer", &acc), ("Bob", "Young", "Buyer", &acc), ("Cy", "Xu", "Clerk", &acc), ("Di", "Wolf", "Buyer", &other)] {
        s.create("contacts", &format!(r#"{{"firstname":"{first}","lastname":"{last}","jobtitle":"{job}","parentcustomerid_account@odata.bind":"/accounts({parent})"}}"#)).await;
    }
    let path = format!("accounts({acc})/contact_customer_accounts?$select=fullname&$filter={}&$orderby=lastname", enc("jobtitle eq 'Buyer'"));
    let r = s.get_ok(&path, &[]).await;
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#contacts(fullname)", s.base));
    assert_eq!(column_of(&r, "fullname"), ["Bob Young", "Ann Zimmer"]);
    let row = r.json["value"][0].as_object().unwrap();
    let mut keys: Vec<&str> = row.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["@odata.etag", "contactid", "fullname"]);
    // $count and $top apply within the related rows.
    let r = s.get_ok(&format!("accounts({acc})/contact_customer_accounts?$select=fullname&$orderby=fullname%20desc&$top=1&$count=true"), &[]).await;
    assert_eq!(r.json["@odata.count"], 3);
    assert_eq!(column_of(&r, "fullname"), ["Cy Xu"]);
    let r = s.get(&format!("accounts({acc})/contact_customer_accounts/$count")).await;
    assert_eq!(r.text.trim_start_matches('\u{feff}'), "3");
    let r = s.get(&format!("accounts({acc})/contact_customer_accounts?$filter={}", enc("foo eq 1"))).await;
    assert_eq!(r.assert_error(400, "0x80060888"), "Could not find a property named 'foo' on type 'Microsoft.Dynamics.CRM.contact'.");
}
