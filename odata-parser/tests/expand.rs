//! `parse_expand`, one case per line: `$expand` text → S-expressions, or → error.
//! Every success is also checked to round-trip through `Display`.

use odata_parser::ast::{ExpandItem, SelectItem};
use odata_parser::{parse_expand, ErrorKind};

/// Parses `input`, checks the canonical print parses back equal, returns the items'
/// S-expressions separated by spaces.
#[track_caller]
fn x(input: &str) -> String {
    let items = parse_expand(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
    let printed = items.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
    assert_eq!(parse_expand(&printed).as_ref(), Ok(&items), "printed: {printed:?}");
    items.iter().map(ExpandItem::to_sexpr).collect::<Vec<_>>().join(" ")
}

/// Asserts that `input` fails with `kind` at byte `offset`.
#[track_caller]
fn err(input: &str, kind: ErrorKind, offset: usize) {
    let e = parse_expand(input).expect_err(input);
    assert_eq!((e.kind(), e.offset()), (&kind, offset), "input: {input:?}, message: {e}");
}

/// Asserts the rendered message.
#[track_caller]
fn msg(input: &str, message: &str) {
    assert_eq!(parse_expand(input).expect_err(input).to_string(), message);
}

#[test]
fn dataverse_examples() {
    assert_eq!(x("primarycontactid($select=fullname),Account_Tasks($select=subject;$filter=statecode eq 0;$orderby=createdon desc;$top=5)"), "(primarycontactid (select fullname)) (Account_Tasks (select subject) (filter (eq statecode 0)) (orderby (desc createdon)) (top 5))");
    assert_eq!(x("primarycontactid/$ref"), "primarycontactid/$ref");
    assert_eq!(x("contact_customer_accounts($select=fullname;$expand=parentcustomerid_account($select=name))"), "(contact_customer_accounts (select fullname) (expand (parentcustomerid_account (select name))))");
    assert_eq!(x("Account_Tasks/$ref"), "Account_Tasks/$ref");
    assert_eq!(x("primarycontactid"), "primarycontactid");
    assert_eq!(x("primarycontactid($select=*)"), "(primarycontactid (select *))");
}

#[test]
fn separators_inside_values() {
    assert_eq!(x("a($filter=name eq 'x,y;z)'),b"), "(a (filter (eq name 'x,y;z)'))) b");
    assert_eq!(x("a($filter=(b eq 1 or c eq 2) and contains(d,'e')),f"), "(a (filter (and (or (eq b 1) (eq c 2)) (contains d 'e')))) f");
    assert_eq!(x("a($expand=b($select=c,d),e;$select=f),g"), "(a (select f) (expand (b (select c d)) e)) g");
    assert_eq!(x("a($filter=x/any(t:t/s eq 'a,b'))"), "(a (filter (any x t (eq t/s 'a,b'))))");
}

#[test]
fn whitespace() {
    assert_eq!(x(" a ,b( $select=c , d ; $top=2 ) "), "a (b (select c d) (top 2))");
    assert_eq!(x("a($filter=b eq 1 ;$top=1 )"), "(a (filter (eq b 1)) (top 1))");
}

#[test]
fn refused_options() {
    assert_eq!(x("a($skip=2)"), "(a (unsupported skip))");
    assert_eq!(x("a($count=true;$levels=max;$select=b)"), "(a (select b) (unsupported count levels))");
    assert_eq!(x("a($search=\"x;y\" OR (z);$top=1)"), "(a (top 1) (unsupported search))");
    assert_eq!(x("a($levels=)"), "(a (unsupported levels))");
}

#[test]
fn tree() {
    let items = parse_expand("a($select=b;$top=0),c/$ref").unwrap();
    assert_eq!(items[0].select, Some(vec![SelectItem::Property("b".into())]));
    assert_eq!((items[0].top, items[0].span.start, items[0].span.end), (Some(0), 0, 19));
    assert!(items[1].is_ref && !items[1].has_options());
    assert_eq!((items[1].span.start, items[1].span.end), (20, 26));
    assert_eq!(items[0].to_string(), "a($select=b;$top=0)");
}

#[test]
fn errors() {
    err("", ErrorKind::Expected("a navigation property"), 0);
    err("a,", ErrorKind::Expected("a navigation property"), 2);
    err("a b", ErrorKind::Expected("',' or the end of $expand"), 2);
    err("a/b", ErrorKind::Expected("'$ref'"), 2);
    err("primarycontactid/$ref($select=fullname)", ErrorKind::UnexpectedCharacter('('), 21);
    err("a()", ErrorKind::Expected("an expand option such as $select"), 2);
    err("a(select=b)", ErrorKind::Expected("an expand option such as $select"), 2);
    err("a($select=b;$select=c)", ErrorKind::DuplicateOption("$select".into()), 12);
    err("a($skip=1;$skip=2)", ErrorKind::DuplicateOption("$skip".into()), 10);
    err("a($b($top=1;$top=2))", ErrorKind::UnknownOption("$b".into()), 2);
    err("a($expand=b($top=1;$top=2))", ErrorKind::DuplicateOption("$top".into()), 19);
    err("a($SELECT=b)", ErrorKind::UnknownOption("$SELECT".into()), 2);
    err("a($format=json)", ErrorKind::UnknownOption("$format".into()), 2);
    err("a($select=b", ErrorKind::Expected("';' or ')'"), 11);
    err("a($select=b/c)", ErrorKind::InvalidSelect, 11);
    err("a($select=)", ErrorKind::InvalidSelect, 10);
    err("a($top=-1)", ErrorKind::InvalidTop, 7);
    err("a($top=99999999999999999999)", ErrorKind::InvalidTop, 7);
    err("a($filter=b eq)", ErrorKind::Expected("an expression"), 14);
    err("a($filter=lastname eq 'O'Bryan')", ErrorKind::UnterminatedString, 30);
    err("a($orderby=b c)", ErrorKind::Expected("'asc' or 'desc'"), 13);
    err("a($search='x)", ErrorKind::UnterminatedString, 10);
    err(&"a($expand=".repeat(70), ErrorKind::DepthLimit, 650);
}

#[test]
fn messages() {
    msg("a($top=1;$top=2)", "Query option '$top' was specified more than once, but it must be specified at most once.");
    msg("a($top=x;$select=b)", "Invalid value 'x' for $top query option found. The $top query option requires a non-negative integer value.");
    msg("a($xyz=1)", "The query parameter $xyz is not supported.");
    msg("a($select=b c)", "Syntax error at position 12 in 'a($select=b c)': expected a property name or '*', found 'c'.");
    msg("a/$ref($top=1)", "Syntax error: character '(' is not valid at position 6 in 'a/$ref($top=1)'.");
}
