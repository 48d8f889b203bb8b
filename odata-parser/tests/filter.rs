//! `parse_filter`, one case per line: `$filter` text → S-expression, or → error.
//! Every success is also checked to round-trip through `Display`.

use odata_parser::{parse_filter, ErrorKind};

/// Parses `input`, checks the canonical print parses back equal, returns the S-expression.
#[track_caller]
fn f(input: &str) -> String {
    let expr = parse_filter(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
    let printed = expr.to_string();
    assert_eq!(parse_filter(&printed).as_ref(), Ok(&expr), "printed: {printed:?}");
    expr.to_sexpr()
}

/// Asserts that `input` fails with `kind` at byte `offset`.
#[track_caller]
fn err(input: &str, kind: ErrorKind, offset: usize) {
    let e = parse_filter(input).expect_err(input);
    assert_eq!((e.kind(), e.offset()), (&kind, offset), "input: {input:?}, message: {e}");
}

/// Asserts the rendered message.
#[track_caller]
fn msg(input: &str, message: &str) {
    assert_eq!(parse_filter(input).expect_err(input).to_string(), message);
}

#[test]
fn comparisons_and_logic() {
    assert_eq!(f("name eq 'x' and revenue gt 10"), "(and (eq name 'x') (gt revenue 10))");
    assert_eq!(f("a eq 1 or b eq 2 and c eq 3"), "(or (eq a 1) (and (eq b 2) (eq c 3)))");
    assert_eq!(f("(a eq 1 or b eq 2) and c eq 3"), "(and (or (eq a 1) (eq b 2)) (eq c 3))");
    assert_eq!(f("a ne null"), "(ne a null)");
    assert_eq!(f("a ge 1.5 and a le 2E3 and a lt -1"), "(and (and (ge a (decimal 1.5)) (le a (decimal 2E3))) (lt a -1))");
    assert_eq!(f("not (a eq 1)"), "(not (eq a 1))");
    assert_eq!(f("not contains(name,'x')"), "(not (contains name 'x'))");
    assert_eq!(f("a eq b"), "(eq a b)");
    assert_eq!(f("isactive eq true"), "(eq isactive true)");
    assert_eq!(f("  a eq 1  "), "(eq a 1)");
}

#[test]
fn operands() {
    assert_eq!(f("primarycontactid/fullname eq 'Joe'"), "(eq primarycontactid/fullname 'Joe')");
    assert_eq!(f("_primarycontactid_value eq 00000000-0000-0000-0000-000000000001"), "(eq _primarycontactid_value (guid 00000000-0000-0000-0000-000000000001))");
    assert_eq!(f("createdon gt 2024-05-01"), "(gt createdon (date 2024-05-01))");
    assert_eq!(f("lastname eq 'O''Bryan'"), "(eq lastname 'O''Bryan')");
    assert_eq!(f("contains(@p1,'Contoso')"), "(contains @p1 'Contoso')");
    assert_eq!(f("statuscode eq Microsoft.Dynamics.CRM.Status'Active'"), "(eq statuscode (enum Microsoft.Dynamics.CRM.Status Active))");
}

#[test]
fn functions() {
    assert_eq!(f("contains(name,'con')"), "(contains name 'con')");
    assert_eq!(f("startswith(name,'a') or endswith(name,'z')"), "(or (startswith name 'a') (endswith name 'z'))");
    assert_eq!(f("Microsoft.Dynamics.CRM.LastXDays(PropertyName='createdon',PropertyValue=3)"), "(Microsoft.Dynamics.CRM.LastXDays PropertyName='createdon' PropertyValue=3)");
    assert_eq!(f("Microsoft.Dynamics.CRM.In(PropertyName='name',PropertyValues=[\"a\",\"b\"])"), "(Microsoft.Dynamics.CRM.In PropertyName='name' PropertyValues=(json [\"a\",\"b\"]))");
    assert_eq!(f("Microsoft.Dynamics.CRM.Today(PropertyName = 'createdon')"), "(Microsoft.Dynamics.CRM.Today PropertyName='createdon')");
    assert_eq!(f("now()"), "(now)");
}

#[test]
fn lambdas() {
    assert_eq!(f("contact_customer_accounts/any(c: c/fullname eq 'x')"), "(any contact_customer_accounts c (eq c/fullname 'x'))");
    assert_eq!(f("Account_Tasks/all(t:t/statecode eq 1)"), "(all Account_Tasks t (eq t/statecode 1))");
    assert_eq!(f("Account_Tasks/any()"), "(any Account_Tasks)");
    assert_eq!(f("a/any(x:x/b/any(y:y/c eq x/d))"), "(any a x (any x/b y (eq y/c x/d)))");
}

#[test]
fn errors() {
    err("", ErrorKind::Expected("an expression"), 0);
    err("name eq", ErrorKind::Expected("an expression"), 7);
    err("name eq 'x' and", ErrorKind::Expected("an expression"), 15);
    err("(name eq 'x'", ErrorKind::Expected("')' or an operator"), 12);
    err("contains(name,'x'", ErrorKind::Expected("')' or ','"), 17);
    err("name eq 'x' foo", ErrorKind::Expected("an operator or the end of the expression"), 12);
    err("name eq 'x", ErrorKind::UnterminatedString, 8);
    err("lastname eq 'O'Bryan'", ErrorKind::UnterminatedString, 20);
    err("a/all()", ErrorKind::Expected("a lambda variable"), 6);
    err("a eq 0000000g-0000-0000-0000-000000000001", ErrorKind::InvalidGuid, 5);
    err("a eq 2024-02-30T00:00:00", ErrorKind::InvalidLiteral { edm_type: "Edm.DateTimeOffset" }, 5);
    err(&format!("{}a{}", "(".repeat(100), ")".repeat(100)), ErrorKind::DepthLimit, 65);
}

#[test]
fn messages() {
    msg("lastname eq 'O'Bryan'", "There is an unterminated literal at position 21 in 'lastname eq 'O'Bryan''.");
    msg("name eq", "Expression expected at position 7 in 'name eq'.");
    msg("(name eq 'x'", "')' or operator expected at position 12 in '(name eq 'x''.");
    msg("contains(name,'x'", "')' or ',' expected at position 17 in 'contains(name,'x''.");
    msg("name eq 'x' foo", "Syntax error at position 12 in 'name eq 'x' foo': expected an operator or the end of the expression, found 'foo'.");
}
