//! Paging with `Prefer: odata.maxpagesize`: the `@odata.nextLink`, its `$skiptoken`
//! paging cookie in Dataverse's exact format, stability under concurrent writes, and
//! refusal of a tampered token (§2.4).

use crate::common;

use common::*;
use percent_encoding::percent_decode_str;

const PAGE3: (&str, &str) = ("Prefer", "odata.maxpagesize=3");

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8().expect("UTF-8").into_owned()
}

/// `{ID}` as the paging cookie writes it.
fn braced(id: &str) -> String {
    format!("{{{}}}", id.to_uppercase())
}

/// Creates `QP-1`..`QP-7` with 70, 60, … 10 employees; returns their ids in that order.
async fn seven(s: &Server) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 1..=7 {
        ids.push(s.create("accounts", &format!(r#"{{"name":"QP-{i}","numberofemployees":{}}}"#, 80 - 10 * i)).await);
    }
    ids
}

/// The nextLink of a page, after checking that it is the body's last member.
#[track_caller]
fn next_link(r: &Resp) -> Option<String> {
    let link = r.json.get("@odata.nextLink")?.as_str().expect("nextLink is a string").to_string();
    let tail = format!("\"@odata.nextLink\":{}}}", serde_json::to_string(&link).unwrap());
    assert!(r.text.ends_with(&tail), "nextLink must come last: {}", r.text);
    assert!(r.pos("\"value\":") < r.pos("\"@odata.nextLink\""));
    Some(link)
}

/// The `$skiptoken` of a link, percent-decoded once.
#[track_caller]
fn skiptoken(link: &str) -> String {
    let raw = link.split("$skiptoken=").nth(1).unwrap_or_else(|| panic!("no $skiptoken in {link}"));
    assert!(!raw.contains('&'), "$skiptoken comes last: {link}");
    decode(raw)
}

/// Splits `<cookie pagenumber="n" pagingcookie="…" istracking="False" />` into the page
/// number and the paging cookie, percent-decoded.
#[track_caller]
fn cookie_parts(token: &str) -> (String, String) {
    let rest = token.strip_prefix("<cookie pagenumber=\"").unwrap_or_else(|| panic!("token: {token}"));
    let (page, rest) = rest.split_once("\" pagingcookie=\"").unwrap_or_else(|| panic!("token: {token}"));
    let inner = rest.strip_suffix("\" istracking=\"False\" />").unwrap_or_else(|| panic!("token: {token}"));
    (page.to_string(), decode(inner))
}

/// Follows `link` from the server's root with the same page-size preference.
async fn follow(s: &Server, link: &str, prefer: (&str, &str)) -> Resp {
    let path = link.strip_prefix(&s.base).unwrap_or_else(|| panic!("nextLink {link} must start with {}", s.base));
    s.get_ok(path, &[prefer]).await
}

#[tokio::test]
async fn first_page_link_and_cookie_format() {
    let s = Server::start().await;
    let ids = seven(&s).await;
    let filter = enc("startswith(name,'QP-')");
    let path = format!("accounts?$select=name,numberofemployees&$filter={filter}&$orderby=numberofemployees%20desc&$count=true");
    let r = s.get_ok(&path, &[PAGE3]).await;
    assert_eq!(r.header("preference-applied"), Some("odata.maxpagesize=3"));
    assert_eq!(r.json["@odata.count"], 7, "the count covers every match, not the page");
    assert_eq!(column_of(&r, "name"), ["QP-1", "QP-2", "QP-3"]);
    let link = next_link(&r).expect("a next link");
    let kept = format!("{}accounts?$select=name,numberofemployees&$filter={filter}&$orderby=numberofemployees%20desc&$skiptoken=", s.base);
    assert!(link.starts_with(&kept), "link {link}\nshould start with {kept}");
    assert!(!link.contains("$count"), "{link}");
    // The outer layer is encoded once, the inner cookie twice in lower-case hex.
    assert!(link.contains("$skiptoken=%3Ccookie%20pagenumber=%222%22%20pagingcookie=%22%253ccookie%2520page%253d%25221%2522%253e%253cnumberofemployees%2520last%253d%252250%2522"), "{link}");
    let (page, inner) = cookie_parts(&skiptoken(&link));
    assert_eq!(page, "2");
    assert_eq!(
        inner,
        format!("<cookie page=\"1\"><numberofemployees last=\"50\" first=\"70\" /><accountid last=\"{}\" first=\"{}\" /></cookie>", braced(&ids[2]), braced(&ids[0]))
    );
}

#[tokio::test]
async fn following_links_returns_every_row_once() {
    let s = Server::start().await;
    let ids = seven(&s).await;
    let filter = enc("startswith(name,'QP-')");
    let mut r = s.get_ok(&format!("accounts?$select=name&$filter={filter}&$orderby=numberofemployees%20desc&$count=true"), &[PAGE3]).await;
    let mut pages = vec![column_of(&r, "name")];
    let mut tokens = Vec::new();
    while let Some(link) = next_link(&r) {
        tokens.push(cookie_parts(&skiptoken(&link)));
        r = follow(&s, &link, PAGE3).await;
        assert_eq!(r.header("preference-applied"), Some("odata.maxpagesize=3"));
        assert!(r.json.get("@odata.count").is_none(), "$count is not carried over: {}", r.text);
        pages.push(column_of(&r, "name"));
        assert!(pages.len() <= 3, "too many pages: {pages:?}");
    }
    assert_eq!(pages, [vec!["QP-1", "QP-2", "QP-3"], vec!["QP-4", "QP-5", "QP-6"], vec!["QP-7"]]);
    let second = &tokens[1];
    assert_eq!(second.0, "3");
    assert_eq!(
        second.1,
        format!("<cookie page=\"2\"><numberofemployees last=\"20\" first=\"40\" /><accountid last=\"{}\" first=\"{}\" /></cookie>", braced(&ids[5]), braced(&ids[3]))
    );
}

#[tokio::test]
async fn default_order_pages_by_primary_key() {
    let s = Server::start().await;
    let mut ids = seven(&s).await;
    ids.sort();
    let r = s.get_ok(&format!("accounts?$select=name&$filter={}", enc("startswith(name,'QP-')")), &[PAGE3]).await;
    let got: Vec<String> = r.json["value"].as_array().unwrap().iter().map(|v| v["accountid"].as_str().unwrap().to_string()).collect();
    assert_eq!(got, ids[..3]);
    let (_, inner) = cookie_parts(&skiptoken(&next_link(&r).unwrap()));
    assert_eq!(inner, format!("<cookie page=\"1\"><accountid last=\"{}\" first=\"{}\" /></cookie>", braced(&ids[2]), braced(&ids[0])));
}

#[tokio::test]
async fn writes_between_pages_never_repeat_or_skip_a_surviving_row() {
    let s = Server::start().await;
    let mut by_name = std::collections::HashMap::new();
    for i in 1..=7 {
        by_name.insert(format!("QM-0{i}"), s.create("accounts", &format!(r#"{{"name":"QM-0{i}"}}"#)).await);
    }
    let filter = enc("startswith(name,'QM-')");
    let r = s.get_ok(&format!("accounts?$select=name&$filter={filter}&$orderby=name"), &[PAGE3]).await;
    let mut seen = column_of(&r, "name");
    assert_eq!(seen, ["QM-01", "QM-02", "QM-03"]);
    let link = next_link(&r).unwrap();
    // Delete a row already returned and one not yet returned; insert before and after the cursor.
    for gone in ["QM-02", "QM-05"] {
        assert_eq!(s.delete(&format!("accounts({})", by_name[gone])).await.status.as_u16(), 204);
    }
    s.create("accounts", r#"{"name":"QM-00"}"#).await;
    s.create("accounts", r#"{"name":"QM-035"}"#).await;
    let r = follow(&s, &link, PAGE3).await;
    assert_eq!(column_of(&r, "name"), ["QM-035", "QM-04", "QM-06"]);
    seen.extend(column_of(&r, "name"));
    let link = next_link(&r).unwrap();
    s.create("accounts", r#"{"name":"QM-08"}"#).await;
    let r = follow(&s, &link, PAGE3).await;
    seen.extend(column_of(&r, "name"));
    assert!(next_link(&r).is_none(), "{}", r.text);
    for survivor in ["QM-01", "QM-03", "QM-04", "QM-06", "QM-07"] {
        assert_eq!(seen.iter().filter(|n| *n == survivor).count(), 1, "{survivor} in {seen:?}");
    }
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique, seen, "no duplicates");
    assert_eq!(seen, ["QM-01", "QM-02", "QM-03", "QM-035", "QM-04", "QM-06", "QM-07", "QM-08"]);
}

#[tokio::test]
async fn writes_between_pages_in_primary_key_order() {
    // Without $orderby rows page by id, so new rows land anywhere relative to the cursor.
    let s = Server::start().await;
    let ids = seven(&s).await;
    let names: Vec<String> = (1..=7).map(|i| format!("QP-{i}")).collect();
    let r = s.get_ok(&format!("accounts?$select=name&$filter={}", enc("startswith(name,'QP-')")), &[PAGE3]).await;
    let mut seen = column_of(&r, "name");
    let mut deleted = Vec::new();
    let mut link = next_link(&r);
    let mut round = 0;
    while let Some(l) = link {
        round += 1;
        assert!(round < 10, "runaway paging: {seen:?}");
        // Each round deletes one row not returned yet and inserts a new one.
        if let Some(i) = (0..7).find(|&i| !seen.contains(&names[i]) && !deleted.contains(&names[i])) {
            assert_eq!(s.delete(&format!("accounts({})", ids[i])).await.status.as_u16(), 204);
            deleted.push(names[i].clone());
        }
        for k in 0..3 {
            s.create("accounts", &format!(r#"{{"name":"QP-new{round}{k}"}}"#)).await;
        }
        let r = follow(&s, &l, PAGE3).await;
        seen.extend(column_of(&r, "name"));
        link = next_link(&r);
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no duplicates: {seen:?}");
    for n in &names {
        let times = seen.iter().filter(|x| *x == n).count();
        let want = usize::from(!deleted.contains(n));
        assert_eq!(times, want, "{n} (deleted: {deleted:?}) in {seen:?}");
    }
}

#[tokio::test]
async fn tampered_or_foreign_skiptokens_are_400() {
    let s = Server::start().await;
    seven(&s).await;
    let filter = enc("startswith(name,'QP-')");
    let r = s.get_ok(&format!("accounts?$select=name&$filter={filter}&$orderby=numberofemployees%20desc"), &[PAGE3]).await;
    let link = next_link(&r).unwrap();
    let token = link.split("$skiptoken=").nth(1).unwrap().to_string();
    let bad = [
        "garbage".to_string(),
        "%3Ccookie%20pagenumber=%222%22%20/%3E".to_string(),
        token.replace("pagingcookie=%22%253c", "pagingcookie=%22%253x"),
        token.replace("%257b", "%257bZZ"),
    ];
    for t in &bad {
        let r = s.get_with(&format!("accounts?$select=name&$filter={filter}&$orderby=numberofemployees%20desc&$skiptoken={t}"), &[PAGE3]).await;
        r.assert_error(400, "0x8004112A");
    }
    // A cookie without the query's sort column belongs to another query.
    let r = s.get_with(&format!("accounts?$select=name&$filter={filter}&$orderby=name&$skiptoken={token}"), &[PAGE3]).await;
    r.assert_error(400, "0x8004112A");
}

#[tokio::test]
async fn with_maxpagesize_top_is_ignored() {
    let s = Server::start().await;
    seven(&s).await;
    let r = s.get_ok(&format!("accounts?$select=name&$filter={}&$orderby=name&$top=2", enc("startswith(name,'QP-')")), &[PAGE3]).await;
    assert_eq!(r.header("preference-applied"), Some("odata.maxpagesize=3"));
    assert_eq!(column_of(&r, "name"), ["QP-1", "QP-2", "QP-3"]);
    assert!(next_link(&r).is_some(), "{}", r.text);
}

#[tokio::test]
async fn last_page_and_exact_fit_have_no_next_link() {
    let s = Server::start().await;
    seven(&s).await;
    let filter = enc("startswith(name,'QP-') and numberofemployees le 30");
    let r = s.get_ok(&format!("accounts?$select=name&$filter={filter}&$orderby=name"), &[PAGE3]).await;
    assert_eq!(column_of(&r, "name"), ["QP-5", "QP-6", "QP-7"]);
    assert!(r.json.get("@odata.nextLink").is_none(), "{}", r.text);
}

#[tokio::test]
async fn next_link_uses_the_request_host() {
    let s = Server::start().await;
    seven(&s).await;
    let root = Server::root_for("localhost:1234");
    let r = s.get_ok(&format!("accounts?$select=name&$filter={}", enc("startswith(name,'QP-')")), &[PAGE3, ("Host", "localhost:1234")]).await;
    let link = next_link(&r).unwrap();
    assert!(link.starts_with(&format!("{root}accounts?$select=name&$filter=")), "{link}");
}
