//! `parse_query`, one case per line: raw query string → the options it fills, or an
//! error. Every success is also checked to round-trip through `Display`.

use odata_parser::ast::{QueryOptions, SelectItem};
use odata_parser::{parse_query, ErrorKind};

/// Parses `query` and checks that printing it gives a query that parses back equal.
#[track_caller]
fn q(query: &str) -> QueryOptions {
    let options = parse_query(query).unwrap_or_else(|e| panic!("{query:?}: {e}"));
    let printed = options.to_string();
    assert_eq!(parse_query(&printed).as_ref(), Ok(&options), "printed: {printed:?}");
    options
}

/// Asserts that `query` fails with `kind` at byte `offset` of `error.input()`.
#[track_caller]
fn err(query: &str, kind: ErrorKind, offset: usize) {
    let e = parse_query(query).expect_err(query);
    assert_eq!((e.kind(), e.offset()), (&kind, offset), "query: {query:?}, message: {e}");
}

/// Asserts the rendered message.
#[track_caller]
fn msg(query: &str, message: &str) {
    assert_eq!(parse_query(query).expect_err(query).to_string(), message);
}

fn props(names: &[&str]) -> Option<Vec<SelectItem>> {
    Some(names.iter().map(|n| if *n == "*" { SelectItem::Star } else { SelectItem::Property(n.to_string()) }).collect())
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[test]
fn system_options() {
    assert_eq!(q(""), QueryOptions::default());
    assert_eq!(q("$select=name,revenue").select, props(&["name", "revenue"]));
    assert_eq!(q("$select=*").select, props(&["*"]));
    assert_eq!(q("$select=%20name%20,%20_x_value%20").select, props(&["name", "_x_value"]));
    assert_eq!(q("$select=name%2Crevenue").select, props(&["name", "revenue"]));
    assert_eq!(q("$filter=name%20eq%20'x'").filter.as_deref(), Some("name eq 'x'"));
    assert_eq!(q("$filter=name%20eq%20%27a+b%27").filter.as_deref(), Some("name eq 'a b'"));
    assert_eq!(q("$filter=LogicalName+eq+%27account%27").filter.as_deref(), Some("LogicalName eq 'account'"));
    assert_eq!(q("$filter=name%20eq%20%27a%2Bb%27").filter.as_deref(), Some("name eq 'a+b'"));
    assert_eq!(q("$filter=").filter.as_deref(), Some(""));
    assert_eq!(q("$orderby=name%20desc,revenue").orderby.as_deref(), Some("name desc,revenue"));
    assert_eq!(q("$expand=primarycontactid($select=fullname)").expand.as_deref(), Some("primarycontactid($select=fullname)"));
    assert_eq!(q("$skiptoken=%3Ccookie%20page=%221%22/%3E").skiptoken.as_deref(), Some("<cookie page=\"1\"/>"));
    assert_eq!(q("$apply=groupby((name),aggregate($count%20as%20n))").apply.as_deref(), Some("groupby((name),aggregate($count as n))"));
    assert_eq!(q("$top=3").top, Some(3));
    assert_eq!(q("$top=0").top, Some(0));
    assert_eq!(q("$count=true").count, Some(true));
    assert_eq!(q("$count=false").count, Some(false));
    assert_eq!(q("%24select=name").select, props(&["name"]));
    assert_eq!(q("$select=name&&$top=1&").top, Some(1));
}

#[test]
fn refused_aliases_custom() {
    assert_eq!(q("$skip=10").unsupported, vec!["skip"]);
    assert_eq!(q("$search=x&$format=json&$levels=2&$compute=a").unsupported, vec!["search", "format", "levels", "compute"]);
    assert_eq!(q("$filter=contains(@p1,'C')&@p1=name").aliases, pairs(&[("p1", "name")]));
    assert_eq!(q("@p1='Pacific%20Standard%20Time'&@p2=1033").aliases, pairs(&[("p1", "'Pacific Standard Time'"), ("p2", "1033")]));
    assert_eq!(q("fetchXml=%3Cfetch%3E%3C/fetch%3E").custom, pairs(&[("fetchXml", "<fetch></fetch>")]));
    assert_eq!(q("tag=a&tag=b").custom, pairs(&[("tag", "a"), ("tag", "b")]));
    assert_eq!(q("savedQuery=1&x").custom, pairs(&[("savedQuery", "1"), ("x", "")]));
    assert_eq!(q("a=1=2").custom, pairs(&[("a", "1=2")]));
}

#[test]
fn option_errors() {
    err("$SELECT=name", ErrorKind::UnknownOption("$SELECT".into()), 0);
    err("$Top=1", ErrorKind::UnknownOption("$Top".into()), 0);
    err("$top=1&$xyz=1", ErrorKind::UnknownOption("$xyz".into()), 7);
    err("$=1", ErrorKind::UnknownOption("$".into()), 0);
    err("$top=1&$top=2", ErrorKind::DuplicateOption("$top".into()), 7);
    err("$filter=a&%24filter=b", ErrorKind::DuplicateOption("$filter".into()), 10);
    err("$skip=1&$skip=2", ErrorKind::DuplicateOption("$skip".into()), 8);
}

#[test]
fn value_errors() {
    err("$top=-1", ErrorKind::InvalidTop, 0);
    err("$top=abc", ErrorKind::InvalidTop, 0);
    err("$top=", ErrorKind::InvalidTop, 0);
    err("$top", ErrorKind::InvalidTop, 0);
    err("$top=1.5", ErrorKind::InvalidTop, 0);
    err("$top=99999999999999999999", ErrorKind::InvalidTop, 0);
    err("$count=True", ErrorKind::InvalidCount, 0);
    err("$count=1", ErrorKind::InvalidCount, 0);
    err("$count", ErrorKind::InvalidCount, 0);
    err("$select=", ErrorKind::InvalidSelect, 0);
    err("$select=a,,b", ErrorKind::InvalidSelect, 2);
    err("$select=a,", ErrorKind::InvalidSelect, 2);
    err("$select=a/b", ErrorKind::InvalidSelect, 1);
    err("$select=a%20b", ErrorKind::InvalidSelect, 2);
}

#[test]
fn encoding_errors() {
    err("$filter=%zz", ErrorKind::InvalidPercentEncoding, 8);
    err("$filter=a%2", ErrorKind::InvalidPercentEncoding, 9);
    err("$filter=%FF", ErrorKind::InvalidPercentEncoding, 8);
    err("a=%", ErrorKind::InvalidPercentEncoding, 2);
    err("%zz=1", ErrorKind::InvalidPercentEncoding, 0);
}

#[test]
fn messages() {
    msg("$top=abc", "Invalid value 'abc' for $top query option found. The $top query option requires a non-negative integer value.");
    msg("$count=True", "'True' is not a valid count option.");
    msg("$filter=1&$filter=2", "Query option '$filter' was specified more than once, but it must be specified at most once.");
    msg("$SELECT=name", "The query parameter $SELECT is not supported.");
    msg("$select=a,,b", "Syntax error at position 2 in 'a,,b': expected a property name or '*', found ','.");
    msg("$select=", "Syntax error at position 0 in '': expected a property name or '*', found the end of the input.");
    msg("$filter=%zz", "Syntax error at position 8 in '$filter=%zz': invalid percent-encoding '%zz'.");
}
