//! `parse_apply`, one case per line: `$apply` text → S-expressions, or → error.
//! Every success is also checked to round-trip through `Display`.

use odata_parser::ast::{AggregateMethod, AggregateSource, Transformation};
use odata_parser::{parse_apply, ErrorKind};

/// Parses `input`, checks the canonical print parses back equal, returns the steps'
/// S-expressions separated by spaces.
#[track_caller]
fn a(input: &str) -> String {
    let steps = parse_apply(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
    let printed = steps.iter().map(ToString::to_string).collect::<Vec<_>>().join("/");
    assert_eq!(parse_apply(&printed).as_ref(), Ok(&steps), "printed: {printed:?}");
    steps.iter().map(Transformation::to_sexpr).collect::<Vec<_>>().join(" ")
}

/// Asserts that `input` fails with `kind` at byte `offset`.
#[track_caller]
fn err(input: &str, kind: ErrorKind, offset: usize) {
    let e = parse_apply(input).expect_err(input);
    assert_eq!((e.kind(), e.offset()), (&kind, offset), "input: {input:?}, message: {e}");
}

/// Asserts the rendered message.
#[track_caller]
fn msg(input: &str, message: &str) {
    assert_eq!(parse_apply(input).expect_err(input).to_string(), message);
}

#[test]
fn dataverse_examples() {
    assert_eq!(a("groupby((statuscode),aggregate($count as count))"), "(groupby (statuscode) (aggregate ($count count)))");
    assert_eq!(a("aggregate(revenue with sum as total, revenue with average as avg, revenue with max as max, revenue with min as min)"), "(aggregate (sum revenue total) (average revenue avg) (max revenue max) (min revenue min))");
    assert_eq!(a("filter(address1_city eq 'Redmond')/groupby((primarycontactid/fullname),aggregate($count as count))"), "(filter (eq address1_city 'Redmond')) (groupby (primarycontactid/fullname) (aggregate ($count count)))");
    assert_eq!(a("groupby((primarycontactid/fullname))"), "(groupby (primarycontactid/fullname))");
    assert_eq!(a("aggregate(accountid with countdistinct as n)"), "(aggregate (countdistinct accountid n))");
}

#[test]
fn more_shapes() {
    assert_eq!(a("groupby((statuscode,statecode),aggregate(revenue with sum as total,$count as n))"), "(groupby (statuscode statecode) (aggregate (sum revenue total) ($count n)))");
    assert_eq!(a("filter(a eq 1)/filter(contains(name,'/'))/aggregate($count as n)"), "(filter (eq a 1)) (filter (contains name '/')) (aggregate ($count n))");
    assert_eq!(a(" groupby( ( a , b ) , aggregate( $count  as  n ) ) / filter( n gt 1 ) "), "(groupby (a b) (aggregate ($count n))) (filter (gt n 1))");
    assert_eq!(a("aggregate(as with sum as with)"), "(aggregate (sum as with))");
}

#[test]
fn tree() {
    let steps = parse_apply("aggregate(revenue with average as avg,$count as n)").unwrap();
    let Transformation::Aggregate(list) = &steps[0] else { panic!("{steps:?}") };
    assert_eq!((list[0].method, list[0].alias.as_str()), (Some(AggregateMethod::Average), "avg"));
    assert_eq!((list[0].span.start, list[0].span.end), (10, 37));
    assert_eq!((&list[1].source, list[1].method), (&AggregateSource::Count, None));
    assert_eq!(steps[0].to_string(), "aggregate(revenue with average as avg,$count as n)");
}

#[test]
fn errors() {
    err("", ErrorKind::Expected("'filter', 'groupby' or 'aggregate'"), 0);
    err("compute(a add b as c)", ErrorKind::Expected("'filter', 'groupby' or 'aggregate'"), 0);
    err("filter(a eq 1)/", ErrorKind::Expected("'filter', 'groupby' or 'aggregate'"), 15);
    err("filter(a eq 1)groupby((a))", ErrorKind::Expected("'/' or the end of $apply"), 14);
    err("filter()", ErrorKind::Expected("an expression"), 7);
    err("filter(a eq 1", ErrorKind::Expected("')' or an operator"), 13);
    err("filter(lastname eq 'O'Bryan')", ErrorKind::UnterminatedString, 27);
    err("groupby(statuscode)", ErrorKind::Expected("'('"), 8);
    err("groupby(())", ErrorKind::Expected("a property path"), 9);
    err("groupby((a,))", ErrorKind::Expected("a property path"), 11);
    err("groupby((a)", ErrorKind::Expected("')' or ','"), 11);
    err("groupby((a),filter(b))", ErrorKind::Expected("'aggregate'"), 12);
    err("groupby((a),aggregate($count as n),x)", ErrorKind::Expected("')'"), 34);
    err("aggregate()", ErrorKind::Expected("a property path or '$count'"), 10);
    err("aggregate(revenue)", ErrorKind::Expected("'with'"), 17);
    err("aggregate(revenue with median as m)", ErrorKind::Expected("'sum', 'min', 'max', 'average' or 'countdistinct'"), 23);
    err("aggregate(revenue with sum)", ErrorKind::Expected("'as'"), 26);
    err("aggregate(revenue with Sum as s)", ErrorKind::Expected("'sum', 'min', 'max', 'average' or 'countdistinct'"), 23);
    err("aggregate($count with sum as n)", ErrorKind::Expected("'as'"), 17);
    err("aggregate($count as)", ErrorKind::Expected("an alias"), 19);
    err("aggregate(revenue with sum as total", ErrorKind::Expected("')' or ','"), 35);
    err("aggregate(tolower(name) with max as m)", ErrorKind::UnexpectedCharacter('('), 17);
    err(&format!("filter({}a{})", "(".repeat(70), ")".repeat(70)), ErrorKind::DepthLimit, 71);
}

#[test]
fn messages() {
    msg("aggregate(revenue with median as m)", "Syntax error at position 23 in 'aggregate(revenue with median as m)': expected 'sum', 'min', 'max', 'average' or 'countdistinct', found 'median'.");
    msg("filter(a eq 1", "')' or operator expected at position 13 in 'filter(a eq 1'.");
    msg("groupby((a)", "')' or ',' expected at position 11 in 'groupby((a)'.");
}
