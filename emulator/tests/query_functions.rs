//! Every `Microsoft.Dynamics.CRM.*` query function (§2.2), against rows whose date-time
//! columns the tests set. The clock is fixed at 2026-11-23T09:30:15Z, a Monday; weeks
//! start on Sunday and the fiscal year is the calendar year in quarters.

use crate::common;

use common::*;

/// `lastonholdtime` of the rows `FN-01`..`FN-14` (account, DateAndTime, writable on create).
const ROWS: [(&str, Option<&str>); 14] = [
    ("01", Some("2026-11-23T08:30:15Z")), // today, an hour ago
    ("02", Some("2026-11-23T10:30:15Z")), // today, in an hour
    ("03", Some("2026-11-22T12:00:00Z")), // yesterday (Sunday, this week)
    ("04", Some("2026-11-24T12:00:00Z")), // tomorrow
    ("05", Some("2026-11-18T12:00:00Z")), // last week (Wednesday)
    ("06", Some("2026-11-28T12:00:00Z")), // Saturday of this week
    ("07", Some("2026-12-01T12:00:00Z")), // next week, next month
    ("08", Some("2026-11-03T12:00:00Z")), // earlier this month
    ("09", Some("2026-10-15T12:00:00Z")), // last month, this quarter
    ("10", Some("2026-08-15T12:00:00Z")), // last quarter
    ("11", Some("2025-06-15T12:00:00Z")), // last year
    ("12", Some("2027-02-15T12:00:00Z")), // next year, next quarter
    ("13", Some("2020-01-10T00:00:00Z")), // long ago
    ("14", None),
];

/// (function, extra parameters, expected rows).
const DATE_CASES: &[(&str, &str, &[&str])] = &[
    ("Today", "", &["01", "02"]),
    ("Yesterday", "", &["03"]),
    ("Tomorrow", "", &["04"]),
    ("Last7Days", "", &["01", "03", "05"]),
    ("Next7Days", "", &["02", "04", "06"]),
    ("LastWeek", "", &["05"]),
    ("ThisWeek", "", &["01", "02", "03", "04", "06"]),
    ("NextWeek", "", &["07"]),
    ("LastMonth", "", &["09"]),
    ("ThisMonth", "", &["01", "02", "03", "04", "05", "06", "08"]),
    ("NextMonth", "", &["07"]),
    ("LastYear", "", &["11"]),
    ("ThisYear", "", &["01", "02", "03", "04", "05", "06", "07", "08", "09", "10"]),
    ("NextYear", "", &["12"]),
    ("LastXHours", ",PropertyValue=2", &["01"]),
    ("NextXHours", ",PropertyValue=2", &["02"]),
    ("LastXDays", ",PropertyValue=3", &["01", "03"]),
    ("NextXDays", ",PropertyValue=3", &["02", "04"]),
    ("LastXWeeks", ",PropertyValue=1", &["01", "03", "05"]),
    ("NextXWeeks", ",PropertyValue=1", &["02", "04", "06"]),
    ("LastXMonths", ",PropertyValue=1", &["01", "03", "05", "08"]),
    ("NextXMonths", ",PropertyValue=1", &["02", "04", "06", "07"]),
    ("LastXYears", ",PropertyValue=1", &["01", "03", "05", "08", "09", "10"]),
    ("NextXYears", ",PropertyValue=1", &["02", "04", "06", "07", "12"]),
    ("OlderThanXMinutes", ",PropertyValue=30", &["01", "03", "05", "08", "09", "10", "11", "13"]),
    ("OlderThanXHours", ",PropertyValue=2", &["03", "05", "08", "09", "10", "11", "13"]),
    ("OlderThanXDays", ",PropertyValue=3", &["05", "08", "09", "10", "11", "13"]),
    ("OlderThanXWeeks", ",PropertyValue=2", &["08", "09", "10", "11", "13"]),
    ("OlderThanXMonths", ",PropertyValue=2", &["10", "11", "13"]),
    ("OlderThanXYears", ",PropertyValue=1", &["11", "13"]),
    ("On", ",PropertyValue='2026-11-22'", &["03"]),
    ("OnOrAfter", ",PropertyValue='2026-11-28'", &["06", "07", "12"]),
    ("OnOrBefore", ",PropertyValue='2026-10-15'", &["09", "10", "11", "13"]),
    ("ThisFiscalYear", "", &["01", "02", "03", "04", "05", "06", "07", "08", "09", "10"]),
    ("LastFiscalYear", "", &["11"]),
    ("NextFiscalYear", "", &["12"]),
    ("ThisFiscalPeriod", "", &["01", "02", "03", "04", "05", "06", "07", "08", "09"]),
    ("LastFiscalPeriod", "", &["10"]),
    ("NextFiscalPeriod", "", &["12"]),
    ("LastXFiscalYears", ",PropertyValue=2", &["11"]),
    ("NextXFiscalYears", ",PropertyValue=1", &["12"]),
    ("LastXFiscalPeriods", ",PropertyValue=2", &["10"]),
    ("NextXFiscalPeriods", ",PropertyValue=2", &["12"]),
    ("InFiscalYear", ",PropertyValue=2025", &["11"]),
    ("InFiscalPeriod", ",PropertyValue=3", &["10"]),
    ("InFiscalPeriodAndYear", ",PropertyValue1=4,PropertyValue2=2026", &["01", "02", "03", "04", "05", "06", "07", "08", "09"]),
    ("InOrAfterFiscalPeriodAndYear", ",PropertyValue1=4,PropertyValue2=2026", &["01", "02", "03", "04", "05", "06", "07", "08", "09", "12"]),
    ("InOrBeforeFiscalPeriodAndYear", ",PropertyValue1=3,PropertyValue2=2026", &["10", "11", "13"]),
];

fn call(function: &str, property: &str, extra: &str) -> String {
    format!("Microsoft.Dynamics.CRM.{function}(PropertyName='{property}'{extra})")
}

/// Names of accounts starting with `prefix` that satisfy `condition`, by name.
async fn with_prefix(s: &Server, prefix: &str, condition: &str) -> Vec<String> {
    s.pluck("accounts", "name", &format!("startswith(name,'{prefix}') and {condition}")).await
}

#[track_caller]
fn report(bad: Vec<String>) {
    assert!(bad.is_empty(), "{} mismatches:\n{}", bad.len(), bad.join("\n"));
}

#[tokio::test]
async fn every_date_function_on_a_date_time_column() {
    let s = Server::start().await;
    for (n, at) in ROWS {
        let body = match at {
            Some(t) => format!(r#"{{"name":"FN-{n}","lastonholdtime":"{t}"}}"#),
            None => format!(r#"{{"name":"FN-{n}"}}"#),
        };
        s.create("accounts", &body).await;
    }
    let mut bad = Vec::new();
    for (function, extra, want) in DATE_CASES {
        let got = with_prefix(&s, "FN-", &call(function, "lastonholdtime", extra)).await;
        let want: Vec<String> = want.iter().map(|n| format!("FN-{n}")).collect();
        if got != want {
            bad.push(format!("{function}{extra}: got {got:?}, want {want:?}"));
        }
    }
    report(bad);
}

#[tokio::test]
async fn parameters_can_be_aliases() {
    let s = Server::start().await;
    s.create("accounts", r#"{"name":"FA-1","lastonholdtime":"2026-11-21T00:00:00Z"}"#).await;
    s.create("accounts", r#"{"name":"FA-2","lastonholdtime":"2026-11-01T00:00:00Z"}"#).await;
    let filter = enc("startswith(name,'FA-') and Microsoft.Dynamics.CRM.LastXDays(PropertyName=@p1,PropertyValue=@p2)");
    let r = s.get_ok(&format!("accounts?$select=name&$filter={filter}&@p1='lastonholdtime'&@p2=7"), &[]).await;
    assert_eq!(column_of(&r, "name"), ["FA-1"]);
}

#[tokio::test]
async fn created_on_follows_overridden_created_on_and_the_clock() {
    let s = Server::start().await;
    s.create("accounts", r#"{"name":"FC-Old","overriddencreatedon":"2025-03-01T00:00:00Z"}"#).await;
    s.create("accounts", r#"{"name":"FC-New"}"#).await;
    assert_eq!(with_prefix(&s, "FC-", &call("Today", "createdon", "")).await, ["FC-New"]);
    assert_eq!(with_prefix(&s, "FC-", &call("LastYear", "createdon", "")).await, ["FC-Old"]);
    assert_eq!(with_prefix(&s, "FC-", &call("LastXHours", "createdon", ",PropertyValue=1")).await, Vec::<String>::new());
    assert_eq!(with_prefix(&s, "FC-", &call("OlderThanXMonths", "createdon", ",PropertyValue=6")).await, ["FC-Old"]);
    assert_eq!(with_prefix(&s, "FC-", &call("On", "createdon", ",PropertyValue='2026-11-23'")).await, ["FC-New"]);
}

#[tokio::test]
async fn date_only_columns() {
    let s = Server::start().await;
    // lastusedincampaign can only be set on update.
    let a = s.create("accounts", r#"{"name":"FD-1"}"#).await;
    s.create("accounts", r#"{"name":"FD-2"}"#).await;
    let r = s.patch(&format!("accounts({a})"), &[], r#"{"lastusedincampaign":"2026-11-20T00:00:00Z"}"#).await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.text);
    assert_eq!(with_prefix(&s, "FD-", &call("On", "lastusedincampaign", ",PropertyValue='2026-11-20'")).await, ["FD-1"]);
    assert_eq!(with_prefix(&s, "FD-", &call("LastXDays", "lastusedincampaign", ",PropertyValue=7")).await, ["FD-1"]);
    assert_eq!(with_prefix(&s, "FD-", &call("ThisWeek", "lastusedincampaign", "")).await, Vec::<String>::new());
    // contact birthdate has the DateOnly behaviour.
    s.create("contacts", r#"{"lastname":"FDB-1","birthdate":"1990-05-01"}"#).await;
    s.create("contacts", r#"{"lastname":"FDB-2","birthdate":"1990-11-30"}"#).await;
    s.create("contacts", r#"{"lastname":"FDB-3"}"#).await;
    let q = |c: String| {
        let s = &s;
        async move { s.pluck("contacts", "lastname", &format!("startswith(lastname,'FDB-') and {c}")).await }
    };
    assert_eq!(q(call("On", "birthdate", ",PropertyValue='1990-05-01'")).await, ["FDB-1"]);
    assert_eq!(q(call("OnOrAfter", "birthdate", ",PropertyValue='1990-05-02'")).await, ["FDB-2"]);
    assert_eq!(q(call("InFiscalYear", "birthdate", ",PropertyValue=1990")).await, ["FDB-1", "FDB-2"]);
    assert_eq!(q(call("InFiscalPeriodAndYear", "birthdate", ",PropertyValue1=4,PropertyValue2=1990")).await, ["FDB-2"]);
    assert_eq!(q(call("OlderThanXYears", "birthdate", ",PropertyValue=30")).await, ["FDB-1", "FDB-2"]);
}

/// The user, business unit and team functions over owner lookups; `lookup` names a lookup
/// column for PropertyName (`ownerid` → `ownerid` or `_ownerid_value`). With `join`, the
/// caller is also made an explicit member of [`TEAM`] (it is one anyway: the default team
/// of the caller's business unit).
async fn user_functions(lookup: fn(&str) -> String, join: bool) {
    let s = Server::start().await;
    if join {
        let r = s.post(&format!("teams({TEAM})/teammembership_association/$ref"), &format!(r#"{{"@odata.id":"{}systemusers({CALLER})"}}"#, s.base)).await;
        assert_eq!(r.status.as_u16(), 204, "{}", r.text);
    }
    s.create("accounts", r#"{"name":"FU-1","numberofemployees":1033}"#).await;
    s.create("accounts", &format!(r#"{{"name":"FU-2","numberofemployees":1036,"ownerid@odata.bind":"/systemusers({AGENT})"}}"#)).await;
    s.create("accounts", &format!(r#"{{"name":"FU-3","ownerid@odata.bind":"/teams({TEAM})"}}"#)).await;
    let cases: [(&str, String, &[&str]); 11] = [
        ("EqualUserId", lookup("ownerid"), &["FU-1"]),
        ("NotEqualUserId", lookup("ownerid"), &["FU-2", "FU-3"]),
        ("EqualUserId", lookup("owninguser"), &["FU-1"]),
        ("EqualBusinessId", lookup("owningbusinessunit"), &["FU-1", "FU-2", "FU-3"]),
        ("NotEqualBusinessId", lookup("owningbusinessunit"), &[]),
        // The caller belongs to its business unit's default team.
        ("EqualUserTeams", lookup("ownerid"), &["FU-3"]),
        ("EqualUserOrUserTeams", lookup("ownerid"), &["FU-1", "FU-3"]),
        ("EqualUserOrUserHierarchy", lookup("ownerid"), &["FU-1"]),
        ("EqualUserOrUserHierarchyAndTeams", lookup("ownerid"), &["FU-1", "FU-3"]),
        ("EqualUserLanguage", "numberofemployees".to_string(), &["FU-1"]),
        ("EqualUserId", lookup("createdby"), &["FU-1", "FU-2", "FU-3"]),
    ];
    let mut bad = Vec::new();
    for (function, column, want) in cases {
        let got = with_prefix(&s, "FU-", &call(function, &column, "")).await;
        if got != want {
            bad.push(format!("{function}({column}): got {got:?}, want {want:?}"));
        }
    }
    report(bad);
    // Once the agent reports to the caller, the hierarchy includes the agent's rows.
    let r = s.patch(&format!("systemusers({AGENT})"), &[], &format!(r#"{{"parentsystemuserid@odata.bind":"/systemusers({CALLER})"}}"#)).await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.text);
    let owner = lookup("ownerid");
    assert_eq!(with_prefix(&s, "FU-", &call("EqualUserOrUserHierarchy", &owner, "")).await, ["FU-1", "FU-2"]);
    assert_eq!(with_prefix(&s, "FU-", &call("EqualUserOrUserHierarchyAndTeams", &owner, "")).await, ["FU-1", "FU-2", "FU-3"]);
}

#[tokio::test]
async fn user_functions_on_lookup_value_properties() {
    user_functions(|c| format!("_{c}_value"), true).await;
}

#[tokio::test]
async fn the_business_unit_default_team_counts_as_the_callers() {
    let s = Server::start().await;
    assert_eq!(s.fetch(&format!("teams({TEAM})?$select=isdefault")).await["isdefault"], true, "seed teams.json says isdefault: true");
    drop(s);
    user_functions(|c| format!("_{c}_value"), false).await;
}

#[tokio::test]
async fn user_functions_on_lookup_logical_names() {
    user_functions(str::to_string, true).await;
}

#[tokio::test]
async fn hierarchy_functions_follow_parentaccountid() {
    let s = Server::start().await;
    let h1 = s.create("accounts", r#"{"name":"FH-1"}"#).await;
    let h2 = s.create("accounts", &format!(r#"{{"name":"FH-2","parentaccountid@odata.bind":"/accounts({h1})"}}"#)).await;
    let h3 = s.create("accounts", &format!(r#"{{"name":"FH-3","parentaccountid@odata.bind":"/accounts({h2})"}}"#)).await;
    s.create("accounts", r#"{"name":"FH-4"}"#).await;
    let cases: [(&str, &String, &[&str]); 10] = [
        ("Under", &h1, &["FH-2", "FH-3"]),
        ("Under", &h2, &["FH-3"]),
        ("Under", &h3, &[]),
        ("UnderOrEqual", &h1, &["FH-1", "FH-2", "FH-3"]),
        ("Above", &h3, &["FH-1", "FH-2"]),
        ("Above", &h1, &[]),
        ("AboveOrEqual", &h3, &["FH-1", "FH-2", "FH-3"]),
        ("AboveOrEqual", &h2, &["FH-1", "FH-2"]),
        ("NotUnder", &h1, &["FH-4"]),
        ("NotUnder", &h2, &["FH-1", "FH-4"]),
    ];
    let mut bad = Vec::new();
    for (function, anchor, want) in cases {
        let got = with_prefix(&s, "FH-", &call(function, "accountid", &format!(",PropertyValue='{anchor}'"))).await;
        if got != want {
            bad.push(format!("{function}({anchor}): got {got:?}, want {want:?}"));
        }
    }
    report(bad);
    // Contacts have no hierarchical relationship.
    let r = s.get(&format!("contacts?$filter={}", enc(&call("Under", "contactid", &format!(",PropertyValue='{YVONNE}'"))))).await;
    r.assert_error(400, "0x80060888");
}

#[tokio::test]
async fn set_and_range_functions() {
    let s = Server::start().await;
    // The documentation's examples, over the seed accounts.
    let all = |c: String| {
        let s = &s;
        async move { s.pluck("accounts", "name", &c).await }
    };
    let cases: [(String, &[&str]); 8] = [
        (call("In", "address1_city", r#",PropertyValues=["Redmond","Seattle"]"#), &["Contoso Ltd", "Fabrikam, Inc."]),
        (call("In", "address1_city", r#",PropertyValues=['redmond']"#), &["Fabrikam, Inc."]),
        (call("NotIn", "address1_city", r#",PropertyValues=["Redmond","Seattle"]"#), &["A. Datum Corporation"]),
        (call("Between", "revenue", r#",PropertyValues=["1000","2000000"]"#), &["A. Datum Corporation", "Fabrikam, Inc."]),
        (call("Between", "revenue", r#",PropertyValues=["480000","1500000"]"#), &["A. Datum Corporation", "Fabrikam, Inc."]),
        (call("NotBetween", "revenue", r#",PropertyValues=["1000","2000000"]"#), &["Contoso Ltd"]),
        (call("In", "industrycode", r#",PropertyValues=["7","12"]"#), &["Contoso Ltd", "Fabrikam, Inc."]),
        (call("In", "accountnumber", r#",PropertyValues=["ACC-0003","ACC-0404"]"#), &["A. Datum Corporation"]),
    ];
    let mut bad = Vec::new();
    for (filter, want) in cases {
        let got = all(filter.clone()).await;
        if got != want {
            bad.push(format!("{filter}: got {got:?}, want {want:?}"));
        }
    }
    report(bad);
    // Nulls are neither in nor between anything.
    s.create("accounts", r#"{"name":"FS-Null"}"#).await;
    s.create("accounts", r#"{"name":"FS-Ten","numberofemployees":10}"#).await;
    assert_eq!(with_prefix(&s, "FS-", &call("NotIn", "numberofemployees", r#",PropertyValues=["5"]"#)).await, ["FS-Ten"]);
    assert_eq!(with_prefix(&s, "FS-", &call("NotBetween", "numberofemployees", r#",PropertyValues=["20","30"]"#)).await, ["FS-Ten"]);
    assert_eq!(with_prefix(&s, "FS-", &call("Between", "numberofemployees", r#",PropertyValues=["5","2000"]"#)).await, ["FS-Ten"]);
}

#[tokio::test]
async fn refusals() {
    let s = Server::start().await;
    let get = |f: String| {
        let s = &s;
        async move { s.get(&format!("accounts?$filter={}", enc(&f))).await }
    };
    // No multi-select choice column exists in the default org.
    get(call("ContainValues", "industrycode", r#",PropertyValues=["1","2"]"#)).await.assert_error(400, "0x80060888");
    get(call("DoesNotContainValues", "industrycode", r#",PropertyValues=["1"]"#)).await.assert_error(400, "0x80060888");
    let r = get(call("In", "address1_city", r#",PropertyValues=["Redmond" "Seattle"]"#)).await;
    assert!(r.assert_error(400, "0x80060888").starts_with("Invalid JSON."), "{}", r.text);
    let r = get(call("Today", "foo", "")).await;
    assert_eq!(r.assert_error(400, "0x80060888"), "Could not find a property named 'foo' on type 'Microsoft.Dynamics.CRM.account'.");
    get(call("NoSuchFunction", "name", "")).await.assert_error(400, "0x80060888");
    get(call("LastXDays", "createdon", "")).await.assert_error(400, "0x80060888");
    get(call("InFiscalPeriod", "createdon", ",PropertyValue=5")).await.assert_error(400, "0x80060888");
}
