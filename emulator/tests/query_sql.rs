//! `GET /<entityset>?sql=SELECT …`: Dataverse's SQL query option, answered through the
//! FetchXML path (Microsoft Learn, "Use SQL to query data by using the Dataverse Web API").

use crate::common;

use common::*;
use serde_json::{json, Value};

const ANNOTATIONS: (&str, &str) = ("Prefer", "odata.include-annotations=\"*\"");

/// `/accounts?sql=<query, percent-encoded>` (any other options appended as given).
fn sql(set: &str, query: &str) -> String {
    format!("{set}?sql={}", percent_encoding::utf8_percent_encode(query, percent_encoding::NON_ALPHANUMERIC))
}

/// Five accounts named `<prefix>-a` … `-e` with 10 … 50 employees, `-c` and `-e` in
/// Redmond, and two contacts of `-a`.
async fn five(s: &Server, prefix: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for (i, letter) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        let city = if i % 2 == 0 && i > 0 { json!("Redmond") } else { Value::Null };
        let body = json!({"name": format!("{prefix}-{letter}"), "numberofemployees": (i + 1) * 10, "address1_city": city});
        ids.push(s.create("accounts", &body.to_string()).await);
    }
    for last in ["Ames", "Baker"] {
        let body = json!({"lastname": last, "firstname": prefix, "parentcustomerid_account@odata.bind": format!("/accounts({})", ids[0])});
        s.create("contacts", &body.to_string()).await;
    }
    ids
}

fn names(r: &Resp) -> Vec<String> {
    r.json["value"].as_array().unwrap_or_else(|| panic!("{}", r.text)).iter().map(|v| v["name"].as_str().unwrap_or("").to_string()).collect()
}

#[tokio::test]
async fn selects_filters_and_orders_like_the_equivalent_odata_query() {
    let s = Server::start().await;
    let ids = five(&s, "SQL1").await;
    let r = s.get(&sql("accounts", "SELECT TOP 2 name, numberofemployees FROM account WHERE name LIKE 'SQL1-%' ORDER BY name DESC")).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("application/json; odata.metadata=minimal"));
    assert!(r.json["@odata.context"].as_str().unwrap().ends_with("$metadata#accounts(name,numberofemployees,accountid)"), "{}", r.text);
    assert_eq!(r.json["value"][0], json!({"@odata.etag": r.json["value"][0]["@odata.etag"], "name": "SQL1-e", "numberofemployees": 50, "accountid": ids[4]}));
    assert_eq!(names(&r), ["SQL1-e", "SQL1-d"]);

    let where_ = |cond: &str| sql("accounts", &format!("SELECT name FROM account AS a WHERE a.name LIKE 'SQL1%' AND ({cond}) ORDER BY a.name"));
    for (cond, expected) in [
        ("numberofemployees >= 30", vec!["c", "d", "e"]),
        ("numberofemployees <> 30 AND numberofemployees < 40", vec!["a", "b"]),
        ("numberofemployees != 10 AND NOT numberofemployees > 20", vec!["b"]),
        ("name IN ('SQL1-a', 'SQL1-d', NULL)", vec!["a", "d"]),
        ("name NOT IN ('SQL1-a', 'SQL1-d')", vec!["b", "c", "e"]),
        ("numberofemployees BETWEEN 20 AND 40", vec!["b", "c", "d"]),
        ("numberofemployees NOT BETWEEN 20 AND 40", vec!["a", "e"]),
        ("address1_city IS NULL", vec!["a", "b", "d"]),
        ("address1_city IS NOT NULL", vec!["c", "e"]),
        ("NOT (numberofemployees = 10 OR numberofemployees > 30)", vec!["b", "c"]),
        // SQL's three-valued logic: a null city is neither Redmond nor not Redmond.
        ("NOT (address1_city = 'Redmond' OR numberofemployees = 10)", vec![]),
        ("name LIKE '%-[ab]'", vec!["a", "b"]),
        ("name NOT LIKE '%c' AND name LIKE 'SQL1-_'", vec!["a", "b", "d", "e"]),
        // `= NULL` is never true: IS NULL is how to ask.
        ("address1_city = NULL", vec![]),
    ] {
        let r = s.get(&where_(cond)).await;
        assert_eq!(r.status.as_u16(), 200, "{cond}: {}", r.text);
        let got: Vec<String> = names(&r).iter().map(|n| n.trim_start_matches("SQL1-").to_string()).collect();
        assert_eq!(got, expected, "{cond}");
    }
}

#[tokio::test]
async fn aliases_joins_distinct_and_aggregates() {
    let s = Server::start().await;
    five(&s, "SQL2").await;
    // A column alias comes back under the alias, annotated with the column it reads.
    let r = s.get_with(&sql("accounts", "SELECT a.name AS account_name FROM account AS a WHERE a.name = 'SQL2-b'"), &[ANNOTATIONS]).await;
    assert_eq!(r.json["value"][0]["account_name"], "SQL2-b", "{}", r.text);
    assert_eq!(r.json["value"][0]["account_name@OData.Community.Display.V1.AttributeName"], "name");
    assert_eq!(r.json["@Microsoft.Dynamics.CRM.totalrecordcount"], -1);

    // INNER JOIN: only accounts with contacts, once per contact; LEFT JOIN: every account.
    let join = |kind: &str| sql("accounts", &format!("SELECT a.name, c.lastname AS who FROM account AS a {kind} JOIN contact AS c ON a.accountid = c.parentcustomerid WHERE a.name LIKE 'SQL2%' ORDER BY a.name, c.lastname"));
    let r = s.get(&join("INNER")).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let who: Vec<&str> = r.json["value"].as_array().unwrap().iter().map(|v| v["who"].as_str().unwrap()).collect();
    assert_eq!(who, ["Ames", "Baker"], "{}", r.text);
    assert_eq!(names(&s.get(&join("LEFT OUTER")).await), ["SQL2-a", "SQL2-a", "SQL2-b", "SQL2-c", "SQL2-d", "SQL2-e"]);
    // The join condition may name the new table on either side.
    let r = s.get(&sql("contacts", "SELECT c.lastname FROM contact c JOIN account a ON c.parentcustomerid = a.accountid WHERE a.name = 'SQL2-a' ORDER BY c.lastname")).await;
    assert_eq!(r.json["value"].as_array().map(Vec::len), Some(2), "{}", r.text);

    let r = s.get(&sql("accounts", "SELECT DISTINCT address1_city FROM account WHERE name LIKE 'SQL2%' AND address1_city IS NOT NULL")).await;
    assert_eq!(r.json["value"], json!([{"address1_city": "Redmond"}]), "{}", r.text);

    let r = s.get(&sql("accounts", "SELECT COUNT(*) AS n, SUM(numberofemployees) AS total, MIN(numberofemployees) AS least, MAX(numberofemployees) AS most FROM account WHERE name LIKE 'SQL2%'")).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let row = &r.json["value"][0];
    assert_eq!((row["n"].clone(), row["least"].clone(), row["most"].clone()), (json!(5), json!(10), json!(50)), "{}", r.text);
    assert_eq!(row["total"].as_f64(), Some(150.0));
    let r = s.get(&sql("accounts", "SELECT address1_city, COUNT(*) AS n FROM account WHERE name LIKE 'SQL2%' GROUP BY address1_city ORDER BY n DESC")).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    let groups: Vec<(Value, Value)> = r.json["value"].as_array().unwrap().iter().map(|g| (g["address1_city"].clone(), g["n"].clone())).collect();
    assert_eq!(groups, [(Value::Null, json!(3)), (json!("Redmond"), json!(2))]);
    let e = s.get(&sql("accounts", "SELECT name, COUNT(*) AS n FROM account GROUP BY address1_city")).await;
    assert!(e.assert_error(400, "0x80040203").contains("not contained in either an aggregate function or the GROUP BY clause"));
}

#[tokio::test]
async fn pages_through_odata_next_link() {
    let s = Server::start().await;
    five(&s, "SQL3").await;
    let query = "SELECT name FROM account WHERE name LIKE 'SQL3%' ORDER BY name";
    let mut url = sql("accounts", query);
    let mut pages = Vec::new();
    loop {
        let r = s.get_with(&url, &[("Prefer", "odata.maxpagesize=2")]).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.text);
        assert_eq!(r.header("preference-applied"), Some("odata.maxpagesize=2"));
        assert!(r.json.get("@Microsoft.Dynamics.CRM.fetchxmlpagingcookie").is_none());
        pages.push(names(&r).iter().map(|n| n.trim_start_matches("SQL3-").to_string()).collect::<Vec<_>>());
        let Some(next) = r.json["@odata.nextLink"].as_str() else { break };
        assert!(next.starts_with(&format!("{}accounts?sql=", s.base)), "{next}");
        assert!(next.contains("$skiptoken=%3Ccookie%20pagenumber=%22"), "{next}");
        url = next.trim_start_matches(s.base.as_str()).to_string();
        assert!(pages.len() < 5, "paging does not end");
    }
    assert_eq!(pages, [vec!["a", "b"], vec!["c", "d"], vec!["e"]]);
    // A token that isn't one: the paging cookie error.
    s.get(&format!("{}&$skiptoken=nonsense", sql("accounts", query))).await.assert_error(400, "0x8004112A");
}

#[tokio::test]
async fn what_the_service_does_not_take_is_a_400_that_says_why() {
    let s = Server::start().await;
    for (query, says) in [
        ("SELECT * FROM account", "SELECT * is not supported"),
        ("UPDATE account SET name = 'x'", "Only SELECT statements"),
        ("SELECT name FROM account; SELECT fullname FROM contact", "one SELECT statement"),
        ("SELECT name FROM account WHERE accountid IN (SELECT accountid FROM account)", "Subqueries"),
        ("SELECT a.name FROM account a CROSS JOIN contact c", "CROSS JOIN"),
        ("SELECT name FROM account WHERE name = 'unclosed", "Unclosed quotation mark"),
        ("SELECT name FROM account WHERE x.name = 'a'", "could not be bound"),
        ("SELECT nosuchcolumn FROM account", "nosuchcolumn"),
    ] {
        let r = s.get(&sql("accounts", query)).await;
        assert_eq!(r.status.as_u16(), 400, "{query}: {}", r.text);
        let message = r.json["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{query}: {message}");
    }
    let e = s.get(&sql("contacts", "SELECT name FROM account")).await;
    assert!(e.assert_error(400, "0x80060888").contains("doesn't match the entity set 'contacts'"));
    let e = s.get(&format!("{}&$filter=name%20eq%20'x'", sql("accounts", "SELECT name FROM account"))).await;
    assert!(e.assert_error(400, "0x80060888").contains("can't be combined"));
}
