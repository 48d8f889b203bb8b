//! `parse_orderby`, one case per line: `$orderby` text → S-expressions, or → error.
//! Every success is also checked to round-trip through `Display`.

use odata_parser::ast::{OrderByExpr, OrderByItem};
use odata_parser::{parse_orderby, ErrorKind};

/// Parses `input`, checks the canonical print parses back equal, returns the items'
/// S-expressions separated by spaces.
#[track_caller]
fn o(input: &str) -> String {
    let items = parse_orderby(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
    let printed = items.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
    assert_eq!(parse_orderby(&printed).as_ref(), Ok(&items), "printed: {printed:?}");
    items.iter().map(OrderByItem::to_sexpr).collect::<Vec<_>>().join(" ")
}

/// Asserts that `input` fails with `kind` at byte `offset`.
#[track_caller]
fn err(input: &str, kind: ErrorKind, offset: usize) {
    let e = parse_orderby(input).expect_err(input);
    assert_eq!((e.kind(), e.offset()), (&kind, offset), "input: {input:?}, message: {e}");
}

/// Asserts the rendered message.
#[track_caller]
fn msg(input: &str, message: &str) {
    assert_eq!(parse_orderby(input).expect_err(input).to_string(), message);
}

#[test]
fn dataverse_examples() {
    assert_eq!(o("name asc,revenue desc"), "(asc name) (desc revenue)");
    assert_eq!(o("_primarycontactid_value"), "(asc _primarycontactid_value)");
    assert_eq!(o("primarycontactid/fullname desc"), "(desc primarycontactid/fullname)");
    assert_eq!(o("createdon desc"), "(desc createdon)");
    assert_eq!(o("@p1 desc,name"), "(desc @p1) (asc name)");
}

#[test]
fn whitespace_and_directions() {
    assert_eq!(o("  name  ,  revenue  desc  "), "(asc name) (desc revenue)");
    assert_eq!(o("name\tdesc"), "(desc name)");
    assert_eq!(o("asc desc"), "(desc asc)");
    assert_eq!(o("desc"), "(asc desc)");
    assert_eq!(o("Microsoft.Dynamics.CRM.x/y"), "(asc Microsoft.Dynamics.CRM.x/y)");
}

#[test]
fn tree() {
    let items = parse_orderby("primarycontactid/fullname desc,@p1").unwrap();
    let OrderByExpr::Member(path) = &items[0].expr else { panic!("{items:?}") };
    assert_eq!(path.segments, ["primarycontactid", "fullname"]);
    assert_eq!((items[0].descending, items[0].span.start, items[0].span.end), (true, 0, 30));
    assert_eq!(items[1].expr, OrderByExpr::Alias("p1".into()));
    assert_eq!((items[1].span.start, items[1].span.end), (31, 34));
}

#[test]
fn errors() {
    err("", ErrorKind::Expected("a property path or parameter alias"), 0);
    err("name,", ErrorKind::Expected("a property path or parameter alias"), 5);
    err(",name", ErrorKind::Expected("a property path or parameter alias"), 0);
    err("name,,revenue", ErrorKind::Expected("a property path or parameter alias"), 5);
    err("name ascending", ErrorKind::Expected("'asc' or 'desc'"), 5);
    err("name DESC", ErrorKind::Expected("'asc' or 'desc'"), 5);
    err("name desc asc", ErrorKind::Expected("',' or the end of $orderby"), 10);
    err("name;revenue", ErrorKind::Expected("',' or the end of $orderby"), 4);
    err("primarycontactid/", ErrorKind::Expected("a property name"), 17);
    err("tolower(name)", ErrorKind::UnexpectedCharacter('('), 7);
    err("'name'", ErrorKind::Expected("a property path or parameter alias"), 0);
    err("@", ErrorKind::Expected("an identifier"), 1);
}

#[test]
fn messages() {
    msg("name ascending", "Syntax error at position 5 in 'name ascending': expected 'asc' or 'desc', found 'ascending'.");
    msg("name,", "Syntax error at position 5 in 'name,': expected a property path or parameter alias, found the end of the input.");
}
