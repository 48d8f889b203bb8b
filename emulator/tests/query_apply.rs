//! `$apply`: `groupby`, `aggregate` (sum/average/max/min/countdistinct/$count), `filter`
//! transformations, grouping through a lookup, combination with `$filter`, group order,
//! the response shape, and the refusals including the 50,000-row limit (§2.7).

use crate::common;

use std::sync::Arc;

use common::*;
use http::StatusCode;
use serde_json::{json, Value};

/// `GET accounts?$apply=<apply>` (plus `extra` query options), asserting 200, the JSON
/// content type and the bare-set context.
async fn apply(s: &Server, apply: &str, extra: &str) -> Resp {
    let r = s.get_ok(&format!("accounts?$apply={}{extra}", enc(apply)), &[]).await;
    assert_eq!(r.json["@odata.context"], format!("{}$metadata#accounts", s.base), "{}", r.text);
    let keys: Vec<&str> = r.json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["@odata.context", "value"], "{}", r.text);
    r
}

/// Creates one account per body, each with `address1_city` set to `city`.
async fn accounts_in(s: &Server, city: &str, bodies: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for body in bodies {
        let inner = body.trim_start_matches('{').trim_end_matches('}');
        let sep = if inner.is_empty() { "" } else { "," };
        ids.push(s.create("accounts", &format!(r#"{{"address1_city":"{city}"{sep}{inner}}}"#)).await);
    }
    ids
}

#[tokio::test]
async fn groupby_statuscode_with_count() {
    let s = Server::start().await;
    let ids = accounts_in(&s, "QA-Status", &[r#"{"name":"QA-S1"}"#, r#"{"name":"QA-S2"}"#, r#"{"name":"QA-S3"}"#]).await;
    let r = s.patch(&format!("accounts({})", ids[2]), &[], r#"{"statecode":1,"statuscode":2}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);

    let r = apply(&s, "filter(address1_city eq 'QA-Status')/groupby((statuscode),aggregate($count as count))", "").await;
    assert_eq!(r.json["value"], json!([{"statuscode":1,"count":2},{"statuscode":2,"count":1}]));

    // Over the whole table: the three seed accounts are active too.
    let r = apply(&s, "groupby((statuscode),aggregate($count as count))", "").await;
    assert_eq!(r.json["value"], json!([{"statuscode":1,"count":5},{"statuscode":2,"count":1}]));
}

#[tokio::test]
async fn sum_average_max_min_with_nine_decimal_places() {
    let s = Server::start().await;
    accounts_in(&s, "QA-Money", &[r#"{"name":"QA-M1","revenue":100000}"#, r#"{"name":"QA-M2","revenue":140000}"#, r#"{"name":"QA-M3","revenue":200000}"#, r#"{"name":"QA-M4"}"#])
        .await;
    let agg = "aggregate(revenue with sum as total, revenue with average as avg, revenue with max as max, revenue with min as min)";
    let r = apply(&s, agg, &format!("&$filter={}", enc("address1_city eq 'QA-Money'"))).await;
    let rows = r.json["value"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{}", r.text);
    let keys: Vec<&str> = rows[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["total", "avg", "max", "min"]);
    // Nulls are ignored: the average is over three rows.
    assert!(r.text.contains(r#""total":440000.000000000"#), "{}", r.text);
    assert!(r.text.contains(r#""avg":146666.666666667"#), "{}", r.text);
    assert_eq!(rows[0]["max"].as_f64(), Some(200000.0), "{}", r.text);
    assert_eq!(rows[0]["min"].as_f64(), Some(100000.0), "{}", r.text);

    // Integer columns sum with nine places too.
    accounts_in(&s, "QA-Int", &[r#"{"name":"QA-I1","numberofemployees":7}"#, r#"{"name":"QA-I2","numberofemployees":8}"#]).await;
    let r = apply(&s, "filter(address1_city eq 'QA-Int')/aggregate(numberofemployees with sum as n, numberofemployees with average as a)", "").await;
    assert!(r.text.contains(r#""n":15.000000000"#), "{}", r.text);
    assert!(r.text.contains(r#""a":7.500000000"#), "{}", r.text);
}

#[tokio::test]
async fn countdistinct_ignores_nulls() {
    let s = Server::start().await;
    accounts_in(&s, "QA-Distinct", &[r#"{"industrycode":1}"#, r#"{"industrycode":1}"#, r#"{"industrycode":7}"#, "{}"]).await;
    let r = apply(&s, "filter(address1_city eq 'QA-Distinct')/aggregate(industrycode with countdistinct as n, $count as count)", "").await;
    assert_eq!(r.json["value"], json!([{"n":2,"count":4}]));
}

/// Contacts "QA Amy" and "QA Zed"; in QA-Lookup two accounts point at Zed, one at Amy and
/// one at nobody; one more account elsewhere points at Amy.
async fn lookup_seed(s: &Server) {
    let amy = s.create("contacts", r#"{"firstname":"QA","lastname":"Amy"}"#).await;
    let zed = s.create("contacts", r#"{"firstname":"QA","lastname":"Zed"}"#).await;
    let bind = |c: &str| format!(r#"{{"primarycontactid@odata.bind":"/contacts({c})"}}"#);
    accounts_in(s, "QA-Lookup", &[&bind(&zed), &bind(&amy), "{}", &bind(&zed)]).await;
    accounts_in(s, "QA-Elsewhere", &[&bind(&amy)]).await;
}

#[tokio::test]
async fn groupby_through_a_lookup_is_named_table_column() {
    let s = Server::start().await;
    lookup_seed(&s).await;
    let r = apply(&s, "filter(address1_city eq 'QA-Lookup')/groupby((primarycontactid/fullname),aggregate($count as count))", "").await;
    let rows = r.json["value"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{}", r.text);
    // The null group comes first.
    assert_eq!(rows[0]["contact_fullname"], Value::Null, "{}", r.text);
    assert_eq!(rows[0]["count"], 1, "{}", r.text);
    assert_eq!(rows[1], json!({"contact_fullname":"QA Amy","count":1}));
    assert_eq!(rows[2], json!({"contact_fullname":"QA Zed","count":2}));
}

#[tokio::test]
async fn groupby_without_aggregate() {
    let s = Server::start().await;
    lookup_seed(&s).await;
    let r = apply(&s, "filter(address1_city eq 'QA-Lookup')/groupby((primarycontactid/fullname))", "").await;
    let rows = r.json["value"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{}", r.text);
    assert_eq!(rows[0]["contact_fullname"], Value::Null, "{}", r.text);
    assert_eq!(rows[1], json!({"contact_fullname":"QA Amy"}));
    assert_eq!(rows[2], json!({"contact_fullname":"QA Zed"}));

    // Two group-by columns.
    let r = apply(&s, "filter(startswith(address1_city,'QA-'))/groupby((address1_city,primarycontactid/fullname),aggregate($count as n))", "").await;
    let got: Vec<(Value, Value, Value)> =
        r.json["value"].as_array().unwrap().iter().map(|g| (g["address1_city"].clone(), g["contact_fullname"].clone(), g["n"].clone())).collect();
    assert_eq!(
        got,
        [
            (json!("QA-Elsewhere"), json!("QA Amy"), json!(1)),
            (json!("QA-Lookup"), Value::Null, json!(1)),
            (json!("QA-Lookup"), json!("QA Amy"), json!(1)),
            (json!("QA-Lookup"), json!("QA Zed"), json!(2)),
        ]
    );
}

#[tokio::test]
async fn groups_are_ordered_by_value_with_nulls_first() {
    let s = Server::start().await;
    accounts_in(&s, "QA-Order", &[r#"{"industrycode":12}"#, r#"{"industrycode":1}"#, "{}", r#"{"industrycode":7}"#, r#"{"industrycode":1}"#]).await;
    let r = apply(&s, "filter(address1_city eq 'QA-Order')/groupby((industrycode),aggregate($count as count))", "").await;
    let got: Vec<(Value, Value)> = r.json["value"].as_array().unwrap().iter().map(|g| (g["industrycode"].clone(), g["count"].clone())).collect();
    assert_eq!(got, [(Value::Null, json!(1)), (json!(1), json!(2)), (json!(7), json!(1)), (json!(12), json!(1))]);

    // Text groups sort case-insensitively.
    for (name, city) in [("QA-T1", "qa-beta"), ("QA-T2", "QA-Alpha"), ("QA-T3", "qa-Gamma")] {
        s.create("accounts", &format!(r#"{{"name":"{name}","address1_city":"{city}"}}"#)).await;
    }
    let r = apply(&s, "filter(startswith(name,'QA-T'))/groupby((address1_city))", "").await;
    assert_eq!(r.json["value"], json!([{"address1_city":"QA-Alpha"},{"address1_city":"qa-beta"},{"address1_city":"qa-Gamma"}]));
}

#[tokio::test]
async fn filter_query_option_combines_with_apply() {
    let s = Server::start().await;
    accounts_in(&s, "QA-Both", &[r#"{"revenue":100000}"#, r#"{"revenue":200000}"#, r#"{"revenue":300000}"#]).await;
    accounts_in(&s, "QA-Other", &[r#"{"revenue":900000}"#]).await;
    let only_city = format!("&$filter={}", enc("address1_city eq 'QA-Both'"));
    let r = apply(&s, "aggregate($count as count)", &only_city).await;
    assert_eq!(r.json["value"], json!([{"count":3}]));
    let r = apply(&s, "filter(revenue gt 150000)/aggregate($count as count, revenue with sum as total)", &only_city).await;
    assert_eq!(r.json["value"][0]["count"], 2, "{}", r.text);
    assert!(r.text.contains(r#""total":500000.000000000"#), "{}", r.text);
    // Two filter transformations in a row.
    let r = apply(&s, "filter(startswith(address1_city,'QA-'))/filter(revenue lt 250000)/aggregate($count as count)", "").await;
    assert_eq!(r.json["value"], json!([{"count":2}]));
}

#[tokio::test]
async fn unknown_columns_are_refused() {
    let s = Server::start().await;
    for text in ["groupby((nope),aggregate($count as count))", "aggregate(nope with sum as total)", "filter(nope eq 1)/aggregate($count as count)"] {
        let r = s.get(&format!("accounts?$apply={}", enc(text))).await;
        assert_eq!(r.assert_error(400, "0x80060888"), "Could not find a property named 'nope' on type 'Microsoft.Dynamics.CRM.account'.", "{text}");
    }
    let r = s.get(&format!("accounts?$apply={}", enc("groupby((primarycontactid/nope))"))).await;
    assert_eq!(r.assert_error(400, "0x80060888"), "Could not find a property named 'nope' on type 'Microsoft.Dynamics.CRM.contact'.");
}

#[tokio::test]
async fn sum_and_average_need_a_numeric_column() {
    let s = Server::start().await;
    for text in ["aggregate(name with sum as total)", "aggregate(address1_city with average as avg)", "aggregate(createdon with sum as total)"] {
        let r = s.get(&format!("accounts?$apply={}", enc(text))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{text}: {}", r.text);
        assert_eq!(r.header("content-type"), Some(JSON_MINIMAL));
        assert!(r.json["error"]["code"].is_string() && r.json["error"]["message"].is_string(), "{}", r.text);
    }
    // max/min and countdistinct work on text.
    let r = apply(&s, "filter(accountid eq a0000000-0000-4000-8000-000000000001)/aggregate(name with max as hi, name with countdistinct as n)", "").await;
    assert_eq!(r.json["value"], json!([{"hi":"Fabrikam, Inc.","n":1}]));
}

#[tokio::test]
async fn orderby_on_an_aggregate_alias_is_refused() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts?$apply={}&$orderby={}", enc("groupby((statuscode),aggregate($count as count))"), enc("count desc"))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.header("content-type"), Some(JSON_MINIMAL));
    assert_eq!(r.json["error"]["message"], "The query node SingleValueOpenPropertyAccess is not supported", "{}", r.text);
}

/// Creates `n` accounts named `{prefix}-<worker>-<i>` over a few concurrent connections.
async fn bulk_accounts(s: &Arc<Server>, prefix: &'static str, n: usize) {
    const WORKERS: usize = 8;
    let mut set = tokio::task::JoinSet::new();
    for w in 0..WORKERS {
        let s = Arc::clone(s);
        let count = n / WORKERS + usize::from(w < n % WORKERS);
        set.spawn(async move {
            for i in 0..count {
                let r = s.post("accounts", &format!(r#"{{"name":"{prefix}-{w}-{i}"}}"#)).await;
                assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
            }
        });
    }
    while let Some(done) = set.join_next().await {
        done.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_fifty_thousand_source_rows() {
    let s = Arc::new(Server::start().await);
    // With the three seed accounts: exactly 50,000.
    bulk_accounts(&s, "QA-Bulk", 49_997).await;
    let r = apply(&s, "aggregate($count as count)", "").await;
    assert_eq!(r.json["value"], json!([{"count":50000}]));

    bulk_accounts(&s, "QA-Last", 1).await;
    let r = s.get(&format!("accounts?$apply={}", enc("aggregate($count as count)"))).await;
    assert_eq!(r.assert_error(400, "0x8004E023"), "The maximum record limit is exceeded. Reduce the number of records.");
    let r = s.get(&format!("accounts?$apply={}", enc("groupby((statuscode),aggregate($count as count))"))).await;
    r.assert_error(400, "0x8004E023");

    // The limit counts the rows left after filtering.
    let r = apply(&s, "filter(startswith(name,'QA-Bulk-0-'))/aggregate($count as count)", "").await;
    assert_eq!(r.json["value"], json!([{"count":6250}]));
    let r = apply(&s, "aggregate($count as count)", &format!("&$filter={}", enc("accountid ne a0000000-0000-4000-8000-000000000001"))).await;
    assert_eq!(r.json["value"], json!([{"count":50000}]));
}
