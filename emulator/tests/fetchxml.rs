//! FetchXML through the Web API (§3): every condition operator and every link type over
//! one small fixture with expected row sets, column naming, aggregates, the paging cookie
//! (its exact format and its absence on the last page), and the errors.

use crate::common;

use std::collections::BTreeMap;

use common::*;
use percent_encoding::percent_decode_str;
use serde_json::Value;

const ALL: (&str, &str) = ("Prefer", "odata.include-annotations=\"*\"");
const PAGING: (&str, &str) = ("Prefer", "odata.include-annotations=\"Microsoft.Dynamics.CRM.fetchxmlpagingcookie,Microsoft.Dynamics.CRM.morerecords\"");

async fn fetch(s: &Server, set: &str, xml: &str, headers: &[(&str, &str)]) -> Resp {
    s.get_with(&format!("{set}?fetchXml={}", enc(xml)), headers).await.checked()
}

#[track_caller]
fn ok(r: &Resp) -> &Vec<Value> {
    assert_eq!(r.status.as_u16(), 200, "{}", r.text);
    r.json["value"].as_array().expect("value array")
}

/// The fixture: five accounts (a hierarchy under Alpha), three contacts under Alpha and
/// Beta, and primary contacts on Alpha and Beta. Returns ids by short name.
async fn fixture(s: &Server) -> BTreeMap<&'static str, String> {
    let mut ids = BTreeMap::new();
    let alpha = s
        .create(
            "accounts",
            r#"{"name":"FX-Alpha","numberofemployees":10,"revenue":100,"industrycode":1,"lastonholdtime":"2026-11-22T10:00:00Z","creditonhold":true,"address1_city":"Seattle","address2_city":"Tacoma"}"#,
        )
        .await;
    let beta = s
        .create(
            "accounts",
            &format!(r#"{{"name":"FX-Beta","numberofemployees":20,"revenue":200,"industrycode":2,"lastonholdtime":"2026-11-23T08:00:00Z","creditonhold":false,"address1_city":"Redmond","parentaccountid@odata.bind":"/accounts({alpha})"}}"#),
        )
        .await;
    let gamma = s
        .create("accounts", &format!(r#"{{"name":"FX-Gamma","numberofemployees":30,"lastonholdtime":"2026-11-24T09:00:00Z","parentaccountid@odata.bind":"/accounts({beta})"}}"#))
        .await;
    let delta = s
        .create(
            "accounts",
            &format!(r#"{{"name":"FX-Delta_1","numberofemployees":40,"revenue":400,"industrycode":1,"lastonholdtime":"2026-10-01T12:00:00Z","address1_city":"Seattle","parentaccountid@odata.bind":"/accounts({alpha})"}}"#),
        )
        .await;
    let epsilon = s
        .create("accounts", r#"{"name":"FX-Epsilon","revenue":500,"lastonholdtime":"2025-06-01T12:00:00Z","address1_city":"Bellevue","address2_city":"Bellevue"}"#)
        .await;
    let one = s.create("contacts", &format!(r#"{{"firstname":"FX","lastname":"One","parentcustomerid_account@odata.bind":"/accounts({alpha})"}}"#)).await;
    let two = s.create("contacts", &format!(r#"{{"firstname":"FX","lastname":"Two","parentcustomerid_account@odata.bind":"/accounts({alpha})"}}"#)).await;
    let three = s.create("contacts", &format!(r#"{{"firstname":"FX","lastname":"Three","parentcustomerid_account@odata.bind":"/accounts({beta})"}}"#)).await;
    for (account, contact) in [(&alpha, &one), (&beta, &three)] {
        let r = s.patch(&format!("accounts({account})"), &[], &format!(r#"{{"primarycontactid@odata.bind":"/contacts({contact})"}}"#)).await;
        assert_eq!(r.status.as_u16(), 204, "{}", r.text);
    }
    for (k, v) in [("alpha", alpha), ("beta", beta), ("gamma", gamma), ("delta", delta), ("epsilon", epsilon), ("one", one), ("two", two), ("three", three)] {
        ids.insert(k, v);
    }
    ids
}

/// Names of the FX accounts matching `condition`, sorted.
async fn names_where(s: &Server, condition: &str) -> Vec<String> {
    names_where_links(s, &format!("<filter>{condition}</filter>")).await
}

#[tokio::test]
async fn every_operator_selects_the_documented_rows() {
    let s = Server::start().await;
    let ids = fixture(&s).await;
    let (alpha, gamma) = (&ids["alpha"], &ids["gamma"]);
    let cases: Vec<(String, &[&str])> = vec![
        (r#"<condition attribute="name" operator="eq" value="fx-alpha"/>"#.into(), &["Alpha"]),
        (r#"<condition attribute="numberofemployees" operator="ne" value="10"/>"#.into(), &["Beta", "Delta_1", "Gamma"]),
        (r#"<condition attribute="numberofemployees" operator="neq" value="10"/>"#.into(), &["Beta", "Delta_1", "Gamma"]),
        (r#"<condition attribute="numberofemployees" operator="gt" value="20"/>"#.into(), &["Delta_1", "Gamma"]),
        (r#"<condition attribute="numberofemployees" operator="ge" value="20"/>"#.into(), &["Beta", "Delta_1", "Gamma"]),
        (r#"<condition attribute="numberofemployees" operator="lt" value="20"/>"#.into(), &["Alpha"]),
        (r#"<condition attribute="numberofemployees" operator="le" value="20"/>"#.into(), &["Alpha", "Beta"]),
        (r#"<condition attribute="name" operator="like" value="FX-%ta%"/>"#.into(), &["Beta", "Delta_1"]),
        (r#"<condition attribute="name" operator="like" value="FX-[AB]%"/>"#.into(), &["Alpha", "Beta"]),
        (r#"<condition attribute="name" operator="not-like" value="%ta%"/>"#.into(), &["Alpha", "Epsilon", "Gamma"]),
        (r#"<condition attribute="name" operator="begins-with" value="FX-Del"/>"#.into(), &["Delta_1"]),
        (r#"<condition attribute="name" operator="not-begin-with" value="FX-A"/>"#.into(), &["Beta", "Delta_1", "Epsilon", "Gamma"]),
        (r#"<condition attribute="name" operator="ends-with" value="_1"/>"#.into(), &["Delta_1"]),
        (r#"<condition attribute="name" operator="ends-with" value="%1"/>"#.into(), &[]),
        (r#"<condition attribute="name" operator="not-end-with" value="a"/>"#.into(), &["Delta_1", "Epsilon"]),
        (r#"<condition attribute="numberofemployees" operator="in"><value>10</value><value>30</value></condition>"#.into(), &["Alpha", "Gamma"]),
        (r#"<condition attribute="numberofemployees" operator="not-in"><value>10</value><value>30</value></condition>"#.into(), &["Beta", "Delta_1"]),
        (r#"<condition attribute="numberofemployees" operator="between"><value>15</value><value>35</value></condition>"#.into(), &["Beta", "Gamma"]),
        (r#"<condition attribute="numberofemployees" operator="not-between"><value>15</value><value>35</value></condition>"#.into(), &["Alpha", "Delta_1"]),
        (r#"<condition attribute="address1_city" operator="null"/>"#.into(), &["Gamma"]),
        (r#"<condition attribute="address1_city" operator="not-null"/>"#.into(), &["Alpha", "Beta", "Delta_1", "Epsilon"]),
        (r#"<condition attribute="creditonhold" operator="eq" value="1"/>"#.into(), &["Alpha"]),
        // Boolean columns default to false on create.
        (r#"<condition attribute="creditonhold" operator="eq" value="false"/>"#.into(), &["Beta", "Delta_1", "Epsilon", "Gamma"]),
        (r#"<condition attribute="industrycode" operator="eq" value="1"/>"#.into(), &["Alpha", "Delta_1"]),
        (format!(r#"<condition attribute="parentaccountid" operator="eq" value="{{{}}}"/>"#, alpha.to_uppercase()), &["Beta", "Delta_1"]),
        (r#"<condition attribute="address1_city" operator="eq" valueof="address2_city"/>"#.into(), &["Epsilon"]),
        (r#"<condition attribute="lastonholdtime" operator="yesterday"/>"#.into(), &["Alpha"]),
        (r#"<condition attribute="lastonholdtime" operator="today"/>"#.into(), &["Beta"]),
        (r#"<condition attribute="lastonholdtime" operator="tomorrow"/>"#.into(), &["Gamma"]),
        (r#"<condition attribute="lastonholdtime" operator="next-seven-days"/>"#.into(), &["Gamma"]),
        (r#"<condition attribute="lastonholdtime" operator="last-month"/>"#.into(), &["Delta_1"]),
        (r#"<condition attribute="lastonholdtime" operator="this-month"/>"#.into(), &["Alpha", "Beta", "Gamma"]),
        (r#"<condition attribute="lastonholdtime" operator="last-year"/>"#.into(), &["Epsilon"]),
        (r#"<condition attribute="lastonholdtime" operator="this-year"/>"#.into(), &["Alpha", "Beta", "Delta_1", "Gamma"]),
        (r#"<condition attribute="lastonholdtime" operator="on" value="2026-11-23"/>"#.into(), &["Beta"]),
        (r#"<condition attribute="lastonholdtime" operator="on-or-after" value="2026-11-23"/>"#.into(), &["Beta", "Gamma"]),
        (r#"<condition attribute="lastonholdtime" operator="on-or-before" value="2026-11-22"/>"#.into(), &["Alpha", "Delta_1", "Epsilon"]),
        (r#"<condition attribute="lastonholdtime" operator="olderthan-x-months" value="12"/>"#.into(), &["Epsilon"]),
        (r#"<condition attribute="lastonholdtime" operator="next-x-days" value="2"/>"#.into(), &["Gamma"]),
        (r#"<condition attribute="lastonholdtime" operator="in-fiscal-year" value="2025"/>"#.into(), &["Epsilon"]),
        (r#"<condition attribute="ownerid" operator="eq-userid"/>"#.into(), &["Alpha", "Beta", "Delta_1", "Epsilon", "Gamma"]),
        (r#"<condition attribute="ownerid" operator="ne-userid"/>"#.into(), &[]),
        (r#"<condition attribute="owningbusinessunit" operator="eq-businessid"/>"#.into(), &["Alpha", "Beta", "Delta_1", "Epsilon", "Gamma"]),
        (format!(r#"<condition attribute="accountid" operator="under" value="{alpha}"/>"#), &["Beta", "Delta_1", "Gamma"]),
        (format!(r#"<condition attribute="accountid" operator="eq-or-under" value="{alpha}"/>"#), &["Alpha", "Beta", "Delta_1", "Gamma"]),
        (format!(r#"<condition attribute="accountid" operator="not-under" value="{alpha}"/>"#), &["Epsilon"]),
        (format!(r#"<condition attribute="accountid" operator="above" value="{gamma}"/>"#), &["Alpha", "Beta"]),
        (format!(r#"<condition attribute="accountid" operator="eq-or-above" value="{gamma}"/>"#), &["Alpha", "Beta", "Gamma"]),
        (
            r#"<filter type="or"><condition attribute="numberofemployees" operator="eq" value="10"/><condition attribute="revenue" operator="ge" value="500"/></filter>"#.into(),
            &["Alpha", "Epsilon"],
        ),
    ];
    for (condition, expected) in cases {
        assert_eq!(names_where(&s, &condition).await, expected.to_vec(), "{condition}");
    }
}

#[tokio::test]
async fn every_link_type_joins_or_filters_as_documented() {
    let s = Server::start().await;
    fixture(&s).await;
    let link = |kind: &str, filter: &str| {
        format!(r#"<link-entity name="contact" from="parentcustomerid" to="accountid" link-type="{kind}">{filter}</link-entity>"#)
    };
    let one = r#"<filter><condition attribute="lastname" operator="eq" value="One"/></filter>"#;
    let cases: Vec<(String, &[&str])> = vec![
        (format!("<filter>{}</filter>", link("any", "")), &["Alpha", "Beta"]),
        (format!("<filter>{}</filter>", link("not any", "")), &["Delta_1", "Epsilon", "Gamma"]),
        (format!("<filter>{}</filter>", link("any", one)), &["Alpha"]),
        (format!("<filter>{}</filter>", link("not any", one)), &["Beta", "Delta_1", "Epsilon", "Gamma"]),
        // `all`: matching rows exist and none passes the (inverted) filter.
        (format!("<filter>{}</filter>", link("all", one)), &["Beta"]),
        // `not all` is documented as equivalent to `any`.
        (format!("<filter>{}</filter>", link("not all", one)), &["Alpha"]),
        (link("exists", ""), &["Alpha", "Beta"]),
        (link("in", one), &["Alpha"]),
        (link("matchfirstrowusingcrossapply", ""), &["Alpha", "Beta"]),
        (link("inner", ""), &["Alpha", "Alpha", "Beta"]),
        (link("inner", one), &["Alpha"]),
        (link("outer", ""), &["Alpha", "Alpha", "Beta", "Delta_1", "Epsilon", "Gamma"]),
        (link("outer", one), &["Alpha", "Beta", "Delta_1", "Epsilon", "Gamma"]),
        (
            r#"<link-entity name="contact" from="parentcustomerid" to="accountid" link-type="outer" alias="c"/><filter><condition entityname="c" attribute="contactid" operator="null"/></filter>"#.into(),
            &["Delta_1", "Epsilon", "Gamma"],
        ),
        (
            r#"<link-entity name="contact" from="contactid" to="primarycontactid" alias="pc"><filter><condition attribute="lastname" operator="eq" value="Three"/></filter></link-entity>"#.into(),
            &["Beta"],
        ),
    ];
    for (xml, expected) in cases {
        assert_eq!(names_where_links(&s, &xml).await, expected.to_vec(), "{xml}");
    }
}

/// Names of the FX accounts, with `inner` (filters, link-entities) added to the entity, sorted.
async fn names_where_links(s: &Server, inner: &str) -> Vec<String> {
    let xml = format!(
        r#"<fetch><entity name="account"><attribute name="name"/><filter><condition attribute="name" operator="begins-with" value="FX-"/></filter>{inner}</entity></fetch>"#
    );
    let r = fetch(s, "accounts", &xml, &[]).await;
    let mut names: Vec<String> = ok(&r).iter().map(|row| row["name"].as_str().unwrap().trim_start_matches("FX-").to_string()).collect();
    names.sort();
    names
}

#[tokio::test]
async fn columns_are_named_as_dataverse_names_them() {
    let s = Server::start().await;
    let ids = fixture(&s).await;
    let xml = r#"<fetch><entity name="account">
        <attribute name="name"/><attribute name="primarycontactid"/><attribute name="revenue" alias="money"/><attribute name="address1_city"/><attribute name="industrycode"/>
        <filter><condition attribute="name" operator="eq" value="FX-Alpha"/></filter>
        <link-entity name="contact" from="contactid" to="primarycontactid" alias="pc"><attribute name="fullname"/><attribute name="parentcustomerid"/></link-entity>
        <link-entity name="contact" from="parentcustomerid" to="accountid"><attribute name="lastname"/><order attribute="lastname"/></link-entity>
      </entity></fetch>"#;
    let r = fetch(&s, "accounts", xml, &[ALL]).await;
    let rows = ok(&r);
    assert_eq!(rows.len(), 2, "{}", r.text);
    let row = &rows[0];
    assert_eq!(row["name"], "FX-Alpha");
    assert_eq!(row["accountid"], ids["alpha"].as_str());
    assert!(row["@odata.etag"].as_str().unwrap().starts_with("W/\""));
    assert_eq!(row["_primarycontactid_value"], ids["one"].as_str());
    assert_eq!(row["_primarycontactid_value@Microsoft.Dynamics.CRM.lookuplogicalname"], "contact");
    assert_eq!(row["_primarycontactid_value@OData.Community.Display.V1.FormattedValue"], "FX One");
    assert!(r.text.contains("\"money\":100.0000"), "money keeps its scale: {}", r.text);
    assert_eq!(row["address1_city"], "Seattle");
    assert_eq!(row["industrycode"], 1);
    assert!(row["industrycode@OData.Community.Display.V1.FormattedValue"].is_string());
    assert_eq!(row["pc_x002e_fullname"], "FX One");
    assert_eq!(row["pc_x002e_parentcustomerid"], ids["alpha"].as_str());
    assert_eq!(row["pc_x002e_parentcustomerid@Microsoft.Dynamics.CRM.lookuplogicalname"], "account");
    assert_eq!(row["pc_x002e_parentcustomerid@OData.Community.Display.V1.FormattedValue"], "FX-Alpha");
    // An unaliased link-entity is named after its table and position.
    assert_eq!(row["contact2_x002e_lastname"], "One");
    assert_eq!(rows[1]["contact2_x002e_lastname"], "Two");
    // Null columns are left out.
    let gamma = fetch(&s, "accounts", r#"<fetch><entity name="account"><attribute name="name"/><attribute name="revenue"/><filter><condition attribute="name" operator="eq" value="FX-Gamma"/></filter></entity></fetch>"#, &[]).await;
    let g = &ok(&gamma)[0];
    assert!(g.get("revenue").is_none(), "{}", gamma.text);
    assert!(gamma.json["@odata.context"].as_str().unwrap().ends_with("$metadata#accounts(name,revenue,accountid)"), "{}", gamma.text);
}

#[tokio::test]
async fn many_to_many_through_the_intersect_table() {
    let s = Server::start().await;
    let team = s.create("teams", r#"{"name":"FX Team","teamtype":0}"#).await;
    let who = s.get("WhoAmI").await.json["UserId"].as_str().unwrap().to_string();
    let r = s.post(&format!("teams({team})/teammembership_association/$ref"), &format!(r#"{{"@odata.id":"{}systemusers({who})"}}"#, s.base)).await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.text);
    let xml = r#"<fetch><entity name="systemuser"><attribute name="fullname"/>
        <link-entity name="teammembership" from="systemuserid" to="systemuserid" intersect="true">
          <link-entity name="team" from="teamid" to="teamid" alias="t"><attribute name="name"/>
            <filter><condition attribute="name" operator="eq" value="FX Team"/></filter></link-entity>
        </link-entity></entity></fetch>"#;
    let r = fetch(&s, "systemusers", xml, &[]).await;
    let rows = ok(&r);
    assert_eq!(rows.len(), 1, "{}", r.text);
    assert_eq!(rows[0]["systemuserid"], who.as_str());
    assert_eq!(rows[0]["t_x002e_name"], "FX Team");
}

#[tokio::test]
async fn aggregates_group_and_measure() {
    let s = Server::start().await;
    fixture(&s).await;
    let xml = r#"<fetch aggregate="true"><entity name="account">
        <attribute name="accountid" alias="n" aggregate="count"/>
        <attribute name="revenue" alias="total" aggregate="sum"/>
        <attribute name="revenue" alias="mean" aggregate="avg"/>
        <attribute name="numberofemployees" alias="least" aggregate="min"/>
        <attribute name="numberofemployees" alias="most" aggregate="max"/>
        <attribute name="address1_city" alias="cities" aggregate="countcolumn" distinct="true"/>
        <attribute name="numberofemployees" alias="staffed" aggregate="countcolumn"/>
        <filter><condition attribute="name" operator="begins-with" value="FX-"/></filter>
      </entity></fetch>"#;
    let r = fetch(&s, "accounts", xml, &[]).await;
    let rows = ok(&r);
    assert_eq!(rows.len(), 1, "{}", r.text);
    let t = &rows[0];
    assert_eq!(t["n"], 5);
    assert!(r.text.contains("\"total\":1200.000000000"), "{}", r.text);
    assert!(r.text.contains("\"mean\":300.000000000"), "{}", r.text);
    assert_eq!((t["least"].clone(), t["most"].clone()), (serde_json::json!(10), serde_json::json!(40)));
    assert_eq!(t["cities"], 3);
    assert_eq!(t["staffed"], 4);
    assert!(t.get("@odata.etag").is_none());

    let grouped = r#"<fetch aggregate="true"><entity name="account">
        <attribute name="industrycode" alias="industry" groupby="true"/>
        <attribute name="lastonholdtime" alias="year" groupby="true" dategrouping="year"/>
        <attribute name="accountid" alias="n" aggregate="count"/>
        <filter><condition attribute="name" operator="begins-with" value="FX-"/></filter>
        <order alias="n" descending="true"/>
      </entity></fetch>"#;
    let r = fetch(&s, "accounts", grouped, &[ALL]).await;
    let rows = ok(&r);
    let got: Vec<(Value, Value, Value)> = rows.iter().map(|r| (r["industry"].clone(), r["year"].clone(), r["n"].clone())).collect();
    use serde_json::json;
    assert_eq!(got[0], (json!(1), json!(2026), json!(2)), "{}", r.text);
    assert_eq!(got.len(), 4, "{}", r.text);
    assert!(rows[0]["industry@OData.Community.Display.V1.FormattedValue"].is_string(), "{}", r.text);

    let limited = r#"<fetch aggregate="true" aggregatelimit="2"><entity name="account"><attribute name="accountid" alias="n" aggregate="count"/>
        <filter><condition attribute="name" operator="begins-with" value="FX-"/></filter></entity></fetch>"#;
    fetch(&s, "accounts", limited, &[]).await.assert_error(400, "0x8004E023");
    let no_alias = r#"<fetch aggregate="true"><entity name="account"><attribute name="accountid" aggregate="count"/></entity></fetch>"#;
    fetch(&s, "accounts", no_alias, &[]).await.assert_error(400, "0x80040203");
}

/// `<cookie pagenumber="N" pagingcookie="…" istracking="False" />` → (N, inner cookie decoded twice).
#[track_caller]
fn cookie(r: &Resp) -> (String, String) {
    let c = r.json["@Microsoft.Dynamics.CRM.fetchxmlpagingcookie"].as_str().unwrap_or_else(|| panic!("no cookie: {}", r.text));
    let rest = c.strip_prefix("<cookie pagenumber=\"").unwrap_or_else(|| panic!("{c}"));
    let (page, rest) = rest.split_once("\" pagingcookie=\"").unwrap();
    let inner = rest.strip_suffix("\" istracking=\"False\" />").unwrap_or_else(|| panic!("{c}"));
    assert!(inner.contains("%25"), "the inner cookie is percent-encoded twice: {inner}");
    let once = percent_decode_str(inner).decode_utf8().unwrap().into_owned();
    (page.to_string(), percent_decode_str(&once).decode_utf8().unwrap().into_owned())
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[tokio::test]
async fn paging_cookies_round_trip_and_vanish_on_the_last_page() {
    let s = Server::start().await;
    let mut ids = Vec::new();
    for i in 1..=7 {
        ids.push(s.create("accounts", &format!(r#"{{"name":"FXP-{i}","numberofemployees":{}}}"#, 10 * i)).await);
    }
    let page = |n: u32, cookie: Option<&str>| {
        let cookie = cookie.map(|c| format!(" paging-cookie=\"{}\"", xml_escape(c))).unwrap_or_default();
        format!(
            r#"<fetch count="3" page="{n}"{cookie} returntotalrecordcount="true"><entity name="account"><attribute name="name"/><order attribute="numberofemployees" descending="true"/><filter><condition attribute="name" operator="begins-with" value="FXP-"/></filter></entity></fetch>"#
        )
    };
    let r1 = fetch(&s, "accounts", &page(1, None), &[ALL]).await;
    assert_eq!(column_of(&r1, "name"), ["FXP-7", "FXP-6", "FXP-5"]);
    assert_eq!(r1.json["@Microsoft.Dynamics.CRM.morerecords"], true);
    assert_eq!(r1.json["@odata.count"], 7);
    assert_eq!(r1.json["@Microsoft.Dynamics.CRM.totalrecordcount"], 7);
    assert_eq!(r1.json["@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"], false);
    assert!(r1.pos("fetchxmlpagingcookie") < r1.pos("\"value\""));
    let (n, inner) = cookie(&r1);
    assert_eq!(n, "2");
    assert_eq!(
        inner,
        format!(
            r#"<cookie page="1"><numberofemployees last="50" first="70" /><accountid last="{{{}}}" first="{{{}}}" /></cookie>"#,
            ids[4].to_uppercase(),
            ids[6].to_uppercase()
        )
    );
    // Rows on an earlier page changing doesn't move the next page.
    let r = s.delete(&format!("accounts({})", ids[6])).await;
    assert_eq!(r.status.as_u16(), 204);
    let r2 = fetch(&s, "accounts", &page(2, Some(&inner)), &[PAGING]).await;
    assert_eq!(column_of(&r2, "name"), ["FXP-4", "FXP-3", "FXP-2"]);
    assert_eq!(r2.header("preference-applied"), Some(PAGING.1));
    let (n, inner2) = cookie(&r2);
    assert_eq!(n, "3");
    let r3 = fetch(&s, "accounts", &page(3, Some(&inner2)), &[PAGING]).await;
    assert_eq!(column_of(&r3, "name"), ["FXP-1"]);
    assert!(r3.json.get("@Microsoft.Dynamics.CRM.fetchxmlpagingcookie").is_none(), "no cookie on the last page: {}", r3.text);
    assert!(r3.json.get("@Microsoft.Dynamics.CRM.morerecords").is_none(), "{}", r3.text);
    // Page numbers alone work too (an offset over the current rows).
    let by_number = fetch(&s, "accounts", &page(2, None), &[]).await;
    assert_eq!(column_of(&by_number, "name"), ["FXP-3", "FXP-2", "FXP-1"]);
    assert!(by_number.json.get("@Microsoft.Dynamics.CRM.fetchxmlpagingcookie").is_none(), "annotations only when asked for");
    // A cookie from another query is refused.
    let wrong = page(2, Some("<cookie page=\"1\"><name last=\"x\" first=\"y\" /></cookie>"));
    fetch(&s, "accounts", &wrong, &[]).await.assert_error(400, "0x8004112A");
    // Joined queries page by number; the cookie comes back empty.
    let joined = r#"<fetch count="1" page="1"><entity name="account"><attribute name="name"/><filter><condition attribute="name" operator="begins-with" value="FXP-"/></filter><link-entity name="systemuser" from="systemuserid" to="ownerid" alias="o"/></entity></fetch>"#;
    let r = fetch(&s, "accounts", joined, &[PAGING]).await;
    assert_eq!(r.json["@Microsoft.Dynamics.CRM.fetchxmlpagingcookie"], "<cookie pagenumber=\"2\" pagingcookie=\"\" istracking=\"False\" />", "{}", r.text);
}

#[tokio::test]
async fn top_distinct_and_batch() {
    let s = Server::start().await;
    fixture(&s).await;
    let top = r#"<fetch top="2"><entity name="account"><attribute name="name"/><order attribute="name"/><filter><condition attribute="name" operator="begins-with" value="FX-"/></filter></entity></fetch>"#;
    let r = fetch(&s, "accounts", top, &[PAGING]).await;
    assert_eq!(column_of(&r, "name"), ["FX-Alpha", "FX-Beta"]);
    assert!(r.json.get("@Microsoft.Dynamics.CRM.fetchxmlpagingcookie").is_none());
    let distinct = r#"<fetch distinct="true"><entity name="account"><attribute name="address1_city"/><order attribute="address1_city"/><filter><condition attribute="name" operator="begins-with" value="FX-"/><condition attribute="address1_city" operator="not-null"/></filter></entity></fetch>"#;
    let r = fetch(&s, "accounts", distinct, &[]).await;
    assert_eq!(column_of(&r, "address1_city"), ["Bellevue", "Redmond", "Seattle"]);
    let part = get_part(&format!("accounts?fetchXml={}", enc(top)));
    let b = s.batch(&[], &[part]).await;
    assert_eq!(b.status.as_u16(), 200, "{}", b.text);
    assert!(b.text.contains("FX-Beta"), "{}", b.text);
}

#[tokio::test]
async fn bad_fetchxml_gets_dataverse_errors() {
    let s = Server::start().await;
    let cases = [
        ("<fetch><entity name='nosuch'/></fetch>", 400, "0x80041102"),
        ("<fetch><entity name='account'><attribute name='nosuch'/></entity></fetch>", 400, "0x80041103"),
        ("<fetch><entity name='account'><filter><condition attribute='nosuch' operator='eq' value='1'/></filter></entity></fetch>", 400, "0x80041103"),
        ("<fetch><entity name='account'><link-entity name='contact' from='nosuch' to='accountid'/></entity></fetch>", 400, "0x80041103"),
        ("<fetch><entity name='account'><link-entity name='contact' from='contactid' to='primarycontactid' alias='a'/><link-entity name='contact' from='contactid' to='primarycontactid' alias='a'/></entity></fetch>", 400, "0x80041130"),
        ("<fetch><entity name='account'>", 400, "0x80040203"),
        ("<fetch><entity name='account'><filter><condition attribute='name' operator='sounds-like' value='x'/></filter></entity></fetch>", 400, "0x80040203"),
        ("<fetch><entity name='account'><filter><condition attribute='numberofemployees' operator='eq' value='many'/></filter></entity></fetch>", 400, "0x80040203"),
        ("<fetch top='5' page='1'><entity name='account'/></fetch>", 400, "0x80040203"),
        ("<fetch count='5001'><entity name='account'/></fetch>", 400, "0x80040203"),
        ("<fetch><entity name='contact'/></fetch>", 400, "0x80060888"),
        ("<!DOCTYPE x [<!ENTITY a 'b'>]><fetch><entity name='account'/></fetch>", 400, "0x80040203"),
    ];
    for (xml, status, code) in cases {
        let r = fetch(&s, "accounts", xml, &[]).await;
        r.assert_error(status, code);
    }
    let sixteen: String = (0..16).map(|i| format!("<link-entity name='contact' from='contactid' to='primarycontactid' alias='l{i}' link-type='outer'/>")).collect();
    let r = fetch(&s, "accounts", &format!("<fetch><entity name='account'>{sixteen}</entity></fetch>"), &[]).await;
    r.assert_error(400, "0x8004430D");
}
