//! `$filter`: comparison operators per column type, null semantics, logic and precedence,
//! string functions with SQL wildcards, column-to-column and lookup-path comparisons,
//! any/all lambdas, parameter aliases, and the refusals (§2.1, §2.2).

use crate::common;

use common::*;
use http::StatusCode;

/// Four accounts named `QF-A`..`QF-D`; QF-D leaves every optional column empty.
async fn seed(s: &Server) -> Vec<String> {
    let mut ids = Vec::new();
    for body in [
        r#"{"name":"QF-A","accountnumber":"N-1","numberofemployees":10,"revenue":100.5,"industrycode":1,"creditonhold":true,"donotemail":false,"address1_city":"Redmond","lastonholdtime":"2026-11-20T08:00:00Z"}"#,
        r#"{"name":"QF-B","accountnumber":"N-2","numberofemployees":20,"revenue":2000,"industrycode":7,"creditonhold":false,"donotemail":true,"address1_city":"Seattle","telephone1":"555-0100","lastonholdtime":"2026-11-23T09:30:15Z"}"#,
        r#"{"name":"QF-C","accountnumber":"N-3","numberofemployees":30,"revenue":480000,"industrycode":12,"creditonhold":false,"donotemail":false,"telephone1":"555-0199","lastonholdtime":"2026-11-24T00:00:00Z"}"#,
        r#"{"name":"QF-D"}"#,
    ] {
        ids.push(s.create("accounts", body).await);
    }
    ids
}

/// Names of the `QF-` accounts matching `filter`, by name.
async fn qf(s: &Server, filter: &str) -> Vec<String> {
    s.pluck("accounts", "name", &format!("startswith(name,'QF-') and ({filter})")).await
}

#[track_caller]
fn check(cases: &[(String, Vec<String>, &[&str])]) {
    let bad: Vec<String> = cases
        .iter()
        .filter(|(_, got, want)| got != want)
        .map(|(f, got, want)| format!("{f}: got {got:?}, want {want:?}"))
        .collect();
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}

macro_rules! table {
    ($s:expr, [$(($f:expr, $want:expr)),* $(,)?]) => {{
        let mut cases = Vec::new();
        $( let f: String = ($f).to_string(); let got = qf($s, &f).await; cases.push((f, got, &$want[..])); )*
        check(&cases);
    }};
}

#[tokio::test]
async fn comparison_operators_on_string_integer_and_money() {
    let s = Server::start().await;
    seed(&s).await;
    table!(&s, [
        ("accountnumber eq 'N-2'", ["QF-B"]),
        ("accountnumber ne 'N-2'", ["QF-A", "QF-C"]),
        ("accountnumber gt 'N-1'", ["QF-B", "QF-C"]),
        ("accountnumber ge 'N-2'", ["QF-B", "QF-C"]),
        ("accountnumber lt 'N-2'", ["QF-A"]),
        ("accountnumber le 'N-2'", ["QF-A", "QF-B"]),
        ("numberofemployees eq 20", ["QF-B"]),
        ("numberofemployees ne 20", ["QF-A", "QF-C"]),
        ("numberofemployees gt 10", ["QF-B", "QF-C"]),
        ("numberofemployees ge 20", ["QF-B", "QF-C"]),
        ("numberofemployees lt 20", ["QF-A"]),
        ("numberofemployees le 20", ["QF-A", "QF-B"]),
        ("revenue eq 100.5", ["QF-A"]),
        ("revenue eq 2000", ["QF-B"]),
        ("revenue ne 2000", ["QF-A", "QF-C"]),
        ("revenue gt 2000", ["QF-C"]),
        ("revenue ge 2000.00", ["QF-B", "QF-C"]),
        ("revenue lt 2000", ["QF-A"]),
        ("revenue le 480000", ["QF-A", "QF-B", "QF-C"]),
    ]);
}

#[tokio::test]
async fn comparison_operators_on_choice_boolean_and_datetime() {
    let s = Server::start().await;
    seed(&s).await;
    table!(&s, [
        ("industrycode eq 7", ["QF-B"]),
        ("industrycode ne 7", ["QF-A", "QF-C"]),
        ("industrycode gt 1", ["QF-B", "QF-C"]),
        ("industrycode ge 7", ["QF-B", "QF-C"]),
        ("industrycode lt 12", ["QF-A", "QF-B"]),
        ("industrycode le 1", ["QF-A"]),
        ("creditonhold eq true", ["QF-A"]),
        ("creditonhold", ["QF-A"]),
        ("creditonhold ne true", ["QF-B", "QF-C", "QF-D"]),
        ("donotemail eq true", ["QF-B"]),
        ("donotemail eq false", ["QF-A", "QF-C", "QF-D"]),
        ("lastonholdtime eq 2026-11-23T09:30:15Z", ["QF-B"]),
        ("lastonholdtime ne 2026-11-23T09:30:15Z", ["QF-A", "QF-C"]),
        ("lastonholdtime gt 2026-11-23T09:30:15Z", ["QF-C"]),
        ("lastonholdtime ge 2026-11-23T09:30:15Z", ["QF-B", "QF-C"]),
        ("lastonholdtime lt 2026-11-23T09:30:15Z", ["QF-A"]),
        ("lastonholdtime le 2026-11-23T09:30:15Z", ["QF-A", "QF-B"]),
        // Every new row is created at the fixed clock.
        ("createdon eq 2026-11-23T09:30:15Z", ["QF-A", "QF-B", "QF-C", "QF-D"]),
        ("createdon lt 2026-11-23T09:30:15Z", []),
        ("createdon ge 2026-11-23T00:00:00Z and createdon lt 2026-11-24T00:00:00Z", ["QF-A", "QF-B", "QF-C", "QF-D"]),
    ]);
}

#[tokio::test]
async fn guid_key_and_lookup_value_comparisons() {
    let s = Server::start().await;
    let ids = seed(&s).await;
    let r = s.patch(&format!("accounts({})", ids[0]), &[], &format!(r#"{{"primarycontactid@odata.bind":"/contacts({NANCY})"}}"#)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let b = &ids[1];
    table!(&s, [
        (format!("accountid eq {b}"), ["QF-B"]),
        (format!("accountid ne {b}"), ["QF-A", "QF-C", "QF-D"]),
        (format!("_primarycontactid_value eq {NANCY}"), ["QF-A"]),
        (format!("_primarycontactid_value ne {NANCY}"), []),
        ("_primarycontactid_value eq null", ["QF-B", "QF-C", "QF-D"]),
    ]);
    // Upper-case GUIDs are the same key.
    assert_eq!(qf(&s, &format!("accountid eq {}", b.to_uppercase())).await, ["QF-B"]);
}

#[tokio::test]
async fn date_only_column_compares_by_date() {
    let s = Server::start().await;
    for (last, birth) in [("QFD-1", "1990-05-01"), ("QFD-2", "1985-12-31"), ("QFD-3", "2001-01-15")] {
        s.create("contacts", &format!(r#"{{"lastname":"{last}","birthdate":"{birth}"}}"#)).await;
    }
    s.create("contacts", r#"{"lastname":"QFD-4"}"#).await;
    let r = s.get_ok(&format!("contacts?$select=birthdate&$filter={}", enc("lastname eq 'QFD-1'")), &[]).await;
    assert_eq!(r.json["value"][0]["birthdate"], "1990-05-01", "DateOnly renders as a bare date: {}", r.text);
    let q = |f: String| {
        let s = &s;
        async move { s.pluck("contacts", "lastname", &format!("startswith(lastname,'QFD-') and ({f})")).await }
    };
    assert_eq!(q("birthdate eq 1990-05-01".into()).await, ["QFD-1"]);
    assert_eq!(q("birthdate ne 1990-05-01".into()).await, ["QFD-2", "QFD-3"]);
    assert_eq!(q("birthdate gt 1990-05-01".into()).await, ["QFD-3"]);
    assert_eq!(q("birthdate ge 1990-05-01".into()).await, ["QFD-1", "QFD-3"]);
    assert_eq!(q("birthdate lt 1990-05-01".into()).await, ["QFD-2"]);
    assert_eq!(q("birthdate le 1990-05-01".into()).await, ["QFD-1", "QFD-2"]);
    assert_eq!(q("birthdate eq null".into()).await, ["QFD-4"]);
}

#[tokio::test]
async fn logic_precedence_and_parentheses() {
    let s = Server::start().await;
    seed(&s).await;
    table!(&s, [
        // `and` binds tighter than `or`.
        ("numberofemployees eq 10 or numberofemployees eq 20 and industrycode eq 12", ["QF-A"]),
        ("(numberofemployees eq 10 or numberofemployees eq 20) and industrycode eq 7", ["QF-B"]),
        ("numberofemployees eq 30 or (numberofemployees eq 20 and industrycode eq 7)", ["QF-B", "QF-C"]),
        // `not` binds tighter than `and`.
        ("not (name eq 'QF-A')", ["QF-B", "QF-C", "QF-D"]),
        ("not (name eq 'QF-A') and industrycode eq 12", ["QF-C"]),
        ("not (name eq 'QF-A' or name eq 'QF-C')", ["QF-B", "QF-D"]),
        ("not (name eq 'QF-A' and numberofemployees eq 10) and not (name eq 'QF-C')", ["QF-B", "QF-D"]),
        ("true", ["QF-A", "QF-B", "QF-C", "QF-D"]),
        ("false", []),
    ]);
}

#[tokio::test]
async fn not_over_a_comparison_keeps_sql_null_semantics() {
    // Dataverse has no NOT node: it pushes `not` into the condition (eq → ne), so a null
    // column fails both `x eq v` and `not (x eq v)`.
    let s = Server::start().await;
    seed(&s).await;
    table!(&s, [
        ("industrycode ne 12", ["QF-A", "QF-B"]),
        ("not (industrycode eq 12)", ["QF-A", "QF-B"]),
        ("not (numberofemployees gt 15)", ["QF-A"]),
    ]);
}

#[tokio::test]
async fn null_semantics_and_case_insensitive_equality() {
    let s = Server::start().await;
    seed(&s).await;
    table!(&s, [
        ("telephone1 eq '555-0100'", ["QF-B"]),
        // `ne` never matches a null column.
        ("telephone1 ne '555-0100'", ["QF-C"]),
        ("telephone1 eq null", ["QF-A", "QF-D"]),
        ("telephone1 ne null", ["QF-B", "QF-C"]),
        ("null eq telephone1", ["QF-A", "QF-D"]),
        ("numberofemployees gt 0 or numberofemployees eq null", ["QF-A", "QF-B", "QF-C", "QF-D"]),
        ("industrycode ne 1", ["QF-B", "QF-C"]),
        ("name eq 'qf-b'", ["QF-B"]),
        ("address1_city eq 'SEATTLE'", ["QF-B"]),
        ("name ne 'Qf-B'", ["QF-A", "QF-C", "QF-D"]),
    ]);
}

#[tokio::test]
async fn string_functions_are_case_insensitive_with_sql_wildcards() {
    let s = Server::start().await;
    for n in ["QF-Wild axb", "QF-Wild a_b", "QF-Wild ayyb", "QF-Wild bzq", "QF-Wild dzq", "QF-Wild 100% Off"] {
        s.create("accounts", &format!(r#"{{"name":"{n}"}}"#)).await;
    }
    let all = |v: &[&str]| v.iter().map(|x| format!("QF-Wild {x}")).collect::<Vec<_>>();
    let cases = [
        ("contains(name,'AXB')", all(&["axb"])),
        ("startswith(name,'qf-wild A')", all(&["a_b", "axb", "ayyb"])),
        ("endswith(name,'ZQ')", all(&["bzq", "dzq"])),
        ("contains(name,'a_b')", all(&["a_b", "axb"])),
        ("contains(name,'a[_]b')", all(&["a_b"])),
        ("contains(name,'a%b')", all(&["a_b", "axb", "ayyb"])),
        ("endswith(name,'[a-c]zq')", all(&["bzq"])),
        ("endswith(name,'[^a-c]zq')", all(&["dzq"])),
        ("contains(name,'100% o')", all(&["100% Off"])),
        ("contains(name,'0[%]')", all(&["100% Off"])),
        ("startswith(name,'Wild')", vec![]),
        ("endswith(name,'QF')", vec![]),
    ];
    let mut bad = Vec::new();
    for (f, want) in cases {
        let got = qf(&s, f).await;
        if got != want {
            bad.push(format!("{f}: got {got:?}, want {want:?}"));
        }
    }
    assert!(bad.is_empty(), "\n{}", bad.join("\n"));
}

#[tokio::test]
async fn comparing_two_columns() {
    let s = Server::start().await;
    for (first, last) in [("QFSame", "QFSame"), ("qfcase", "QFCASE"), ("QFOne", "QFTwo")] {
        s.create("contacts", &format!(r#"{{"firstname":"{first}","lastname":"{last}"}}"#)).await;
    }
    s.create("contacts", r#"{"lastname":"QFNull"}"#).await;
    let q = |f: &'static str| s.pluck("contacts", "lastname", f);
    assert_eq!(q("startswith(lastname,'QF') and firstname eq lastname").await, ["QFCASE", "QFSame"]);
    assert_eq!(q("startswith(lastname,'QF') and firstname ne lastname").await, ["QFTwo"]);
    assert_eq!(q("startswith(lastname,'QF') and firstname lt lastname").await, ["QFTwo"]);
}

#[tokio::test]
async fn path_through_a_lookup() {
    let s = Server::start().await;
    let pat = s.create("contacts", r#"{"firstname":"Pat","lastname":"QFPath"}"#).await;
    s.create("accounts", &format!(r#"{{"name":"QF-P1","primarycontactid@odata.bind":"/contacts({pat})"}}"#)).await;
    s.create("accounts", &format!(r#"{{"name":"QF-P2","primarycontactid@odata.bind":"/contacts({YVONNE})"}}"#)).await;
    s.create("accounts", r#"{"name":"QF-P3"}"#).await;
    assert_eq!(qf(&s, "primarycontactid/fullname eq 'Pat QFPath'").await, ["QF-P1"]);
    assert_eq!(qf(&s, "primarycontactid/lastname eq 'mckay'").await, ["QF-P2"]);
    assert_eq!(qf(&s, "startswith(primarycontactid/firstname,'p')").await, ["QF-P1"]);
    assert_eq!(qf(&s, "primarycontactid/fullname ne 'Pat QFPath'").await, ["QF-P2"]);
    // The seed data's own link, as in the documentation example.
    assert_eq!(s.pluck("accounts", "name", "primarycontactid/fullname eq 'Yvonne McKay'").await, ["Fabrikam, Inc.", "QF-P2"]);
}

#[tokio::test]
async fn any_and_all_over_a_collection() {
    let s = Server::start().await;
    let l1 = s.create("accounts", r#"{"name":"QF-L1"}"#).await;
    let l2 = s.create("accounts", r#"{"name":"QF-L2"}"#).await;
    s.create("accounts", r#"{"name":"QF-L3"}"#).await;
    for (acc, job) in [(&l1, "Buyer"), (&l1, "Seller"), (&l2, "Buyer")] {
        s.create("contacts", &format!(r#"{{"lastname":"QFL","jobtitle":"{job}","parentcustomerid_account@odata.bind":"/accounts({acc})"}}"#)).await;
    }
    table!(&s, [
        ("contact_customer_accounts/any(c:c/jobtitle eq 'Buyer')", ["QF-L1", "QF-L2"]),
        ("contact_customer_accounts/any(c:c/jobtitle eq 'seller')", ["QF-L1"]),
        ("contact_customer_accounts/any()", ["QF-L1", "QF-L2"]),
        ("not contact_customer_accounts/any()", ["QF-L3"]),
        // all() over no related rows is true.
        ("contact_customer_accounts/all(c:c/jobtitle eq 'Buyer')", ["QF-L2", "QF-L3"]),
        ("contact_customer_accounts/all(c:startswith(c/jobtitle,'b') or c/jobtitle eq 'Seller')", ["QF-L1", "QF-L2", "QF-L3"]),
        ("contact_customer_accounts/any(c:c/jobtitle eq 'Buyer') and contact_customer_accounts/any(c:c/jobtitle eq 'Seller')", ["QF-L1"]),
    ]);
}

#[tokio::test]
async fn parameter_aliases() {
    let s = Server::start().await;
    seed(&s).await;
    let r = s.get_ok(&format!("accounts?$select=name&$filter={}&@p1={}", enc("name eq @p1"), enc("'QF-C'")), &[]).await;
    assert_eq!(column_of(&r, "name"), ["QF-C"]);
    let r = s.get_ok(&format!("accounts?$select=name&$filter={}&@p1=name&$orderby=name", enc("contains(@p1,'qf-b') or contains(@p1,'QF-d')")), &[]).await;
    assert_eq!(column_of(&r, "name"), ["QF-B", "QF-D"]);
    let r = s.get_ok(&format!("accounts?$select=name&$filter={}&@p1=numberofemployees&@p2=15", enc("startswith(name,'QF-') and @p1 gt @p2")), &[]).await;
    let mut got = column_of(&r, "name");
    got.sort();
    assert_eq!(got, ["QF-B", "QF-C"]);
}

#[tokio::test]
async fn unknown_column_in_filter_is_400() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts?$filter={}", enc("foo eq 1"))).await;
    assert_eq!(r.assert_error(400, "0x80060888"), "Could not find a property named 'foo' on type 'Microsoft.Dynamics.CRM.account'.");
    let r = s.get(&format!("accounts?$filter={}", enc("primarycontactid/foo eq 'x'"))).await;
    assert_eq!(r.assert_error(400, "0x80060888"), "Could not find a property named 'foo' on type 'Microsoft.Dynamics.CRM.contact'.");
}

#[tokio::test]
async fn type_mismatch_is_400() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts?$filter={}", enc("name eq 1"))).await;
    assert_eq!(
        r.assert_error(400, "0x80060888"),
        "A binary operator with incompatible types was detected. Found operand types 'Edm.String' and 'Edm.Int32' for operator kind 'Equal'."
    );
    let r = s.get(&format!("accounts?$filter={}", enc("revenue eq 'lots'"))).await;
    r.assert_error(400, "0x80060888");
    let r = s.get(&format!("accounts?$filter={}", enc("creditonhold eq 1"))).await;
    r.assert_error(400, "0x80060888");
}

#[tokio::test]
async fn type_mismatch_names_the_operator_kind() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts?$filter={}", enc("name gt 1"))).await;
    assert_eq!(
        r.assert_error(400, "0x80060888"),
        "A binary operator with incompatible types was detected. Found operand types 'Edm.String' and 'Edm.Int32' for operator kind 'GreaterThan'."
    );
}

#[tokio::test]
async fn unterminated_literal_is_400() {
    let s = Server::start().await;
    let r = s.get(&format!("contacts?$filter={}", enc("lastname eq 'O'Bryan'"))).await;
    assert_eq!(r.assert_error(400, "0x80060888"), "There is an unterminated literal at position 21 in 'lastname eq 'O'Bryan''.");
    let r = s.get(&format!("accounts?$filter={}", enc("name eq 'abc"))).await;
    assert!(r.assert_error(400, "0x80060888").starts_with("There is an unterminated literal at position"), "{}", r.text);
    // A doubled quote escapes one.
    let id = s.create("contacts", r#"{"lastname":"O'Bryan"}"#).await;
    let r = s.get_ok(&format!("contacts?$select=lastname&$filter={}", enc("lastname eq 'O''Bryan'")), &[]).await;
    assert_eq!(r.json["value"][0]["contactid"], id.as_str(), "{}", r.text);
}

#[tokio::test]
async fn not_around_a_query_function_is_400() {
    let s = Server::start().await;
    let r = s.get(&format!("accounts?$filter={}", enc("not Microsoft.Dynamics.CRM.Today(PropertyName='createdon')"))).await;
    assert_eq!(r.assert_error(400, "0x80060888"), "Not operator along with the Custom Named Condition operators is not allowed");
}

#[tokio::test]
async fn skip_and_wrongly_cased_options_are_400() {
    let s = Server::start().await;
    let r = s.get("accounts?$skip=1").await;
    assert_eq!(r.assert_error(400, "0x80060888"), "Skip Clause is not supported in CRM");
    let r = s.get("accounts?$SELECT=name").await;
    let message = r.assert_error(400, "0x80060888").to_string();
    assert!(message.contains("$SELECT"), "{message}");
    let r = s.get("accounts?$Filter=name%20eq%20'x'").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
}
