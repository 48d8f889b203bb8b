//! `parse_resource_path`, one case per line: input → S-expression, or input → error.
//! Every success is also checked to round-trip through `Display`.

use odata_parser::{parse_resource_path, ErrorKind};

const G: &str = "00000000-0000-0000-0000-000000000001";

/// Asserts that `input` parses to `sexpr` and that its canonical print parses back equal.
#[track_caller]
fn ok(input: &str, sexpr: &str) {
    let path = parse_resource_path(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
    assert_eq!(path.to_sexpr(), sexpr, "input: {input:?}");
    let printed = path.to_string();
    assert_eq!(parse_resource_path(&printed).as_ref(), Ok(&path), "printed: {printed:?}");
}

/// Asserts that `input` fails with `kind` at byte `offset`.
#[track_caller]
fn err(input: &str, kind: ErrorKind, offset: usize) {
    let e = parse_resource_path(input).expect_err(input);
    assert_eq!((e.kind(), e.offset()), (&kind, offset), "input: {input:?}, message: {e}");
}

/// Asserts the rendered message.
#[track_caller]
fn msg(input: &str, message: &str) {
    assert_eq!(parse_resource_path(input).expect_err(input).to_string(), message);
}

fn g(s: &str) -> String {
    s.replace("<G>", G).replace("<g>", "(guid 00000000-0000-0000-0000-000000000001)")
}

#[test]
fn brief_examples() {
    ok(&g("accounts(<G>)/name/$value"), &g("(path (accounts <g>) name $value)"));
    ok("accounts(accountnumber='A-1')", "(path (accounts (accountnumber 'A-1')))");
    ok("contacts(firstname='Joe',emailaddress1='a''b@x.com')", "(path (contacts (firstname 'Joe') (emailaddress1 'a''b@x.com')))");
    ok(&g("accounts(_primarycontactid_value=<G>)"), &g("(path (accounts (_primarycontactid_value <g>)))"));
    ok(&g("accounts(accountid=<G>)"), &g("(path (accounts (accountid <g>)))"));
    ok("accounts/$count", "(path accounts $count)");
    ok("$metadata", "(path $metadata)");
    ok("$batch", "(path $batch)");
    ok("WhoAmI", "(path WhoAmI)");
    ok("WhoAmI()", "(path (WhoAmI))");
    ok(&g("accounts(<G>)/contact_customer_accounts(<G>)/$ref"), &g("(path (accounts <g>) (contact_customer_accounts <g>) $ref)"));
    ok("EntityDefinitions(LogicalName='account')/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata", "(path (EntityDefinitions (LogicalName 'account')) Attributes Microsoft.Dynamics.CRM.PicklistAttributeMetadata)");
    ok("RetrieveTotalRecordCount(EntityNames=@p1,Str=@p2)", "(path (RetrieveTotalRecordCount (EntityNames @p1) (Str @p2)))");
    ok(r#"GetX(Enum=Microsoft.Dynamics.CRM.EntityFilters'All',Arr=["contact"])"#, r#"(path (GetX (Enum (enum Microsoft.Dynamics.CRM.EntityFilters All)) (Arr (json ["contact"]))))"#);
    ok(&g("systemusers(<G>)/Microsoft.Dynamics.CRM.RetrieveUserPrivileges()"), &g("(path (systemusers <g>) (Microsoft.Dynamics.CRM.RetrieveUserPrivileges))"));
}

#[test]
fn service_document_and_slashes() {
    ok("", "(path)");
    ok("/", "(path)");
    ok("accounts/", "(path accounts)");
    ok(&g("accounts(<G>)/"), &g("(path (accounts <g>))"));
    err("/accounts", ErrorKind::EmptySegment, 0);
    err("accounts//name", ErrorKind::EmptySegment, 9);
    err("//", ErrorKind::EmptySegment, 0);
}

#[test]
fn keys() {
    ok("accounts(1)", "(path (accounts 1))");
    ok(&g("accounts({<G>})"), &g("(path (accounts <g>))"));
    ok(&g("accounts(<G>)").to_uppercase().replace("ACCOUNTS", "accounts"), &g("(path (accounts <g>))"));
    ok("accounts(accountnumber='0003')", "(path (accounts (accountnumber '0003')))");
    ok("accounts(name='a)b/c(')", "(path (accounts (name 'a)b/c(')))");
    ok("accounts(name='')", "(path (accounts (name '')))");
    ok(&g("accounts(<G>)/Account_Tasks/$count"), &g("(path (accounts <g>) Account_Tasks $count)"));
    ok(&g("annotations(<G>)/documentbody/$value"), &g("(path (annotations <g>) documentbody $value)"));
    ok(&g("accounts(<G>)/primarycontactid/$ref"), &g("(path (accounts <g>) primarycontactid $ref)"));
}

#[test]
fn function_parameters() {
    ok("GetTimeZoneCodeByLocalizedName(LocalizedStandardName=@p1,LocaleId=@p2)", "(path (GetTimeZoneCodeByLocalizedName (LocalizedStandardName @p1) (LocaleId @p2)))");
    ok(&g("F(tid={'@odata.id':'contacts(<G>)'})"), &g("(path (F (tid (json {'@odata.id':'contacts(<G>)'}))))"));
    ok("F(x=-1.5,y=1.0M,z=2E3)", "(path (F (x (decimal -1.5)) (y (decimal 1.0)) (z (decimal 2E3))))");
    ok("F(x=7M,y=99999999999999999999)", "(path (F (x (decimal 7)) (y (decimal 99999999999999999999))))");
    ok("F(a=null,b=true,c=false,d=-42)", "(path (F (a null) (b true) (c false) (d -42)))");
    ok("F(d=2024-05-01)", "(path (F (d (date 2024-05-01))))");
    ok("F(t=2024-05-01T10:20:30Z)", "(path (F (t (datetimeoffset 2024-05-01T10:20:30Z))))");
    ok("F(t=2024-05-01T10:20:30.1234567+02:00)", "(path (F (t (datetimeoffset 2024-05-01T10:20:30.1234567+02:00))))");
    ok("F(t=2024-05-01T10:20-08:00)", "(path (F (t (datetimeoffset 2024-05-01T10:20-08:00))))");
    ok("F(a=Microsoft.Dynamics.CRM.TargetFieldType'ValidForCreate')", "(path (F (a (enum Microsoft.Dynamics.CRM.TargetFieldType ValidForCreate))))");
    ok("F(a=[[1,{\"b\":\"]\"}],[]])", "(path (F (a (json [[1,{\"b\":\"]\"}],[]]))))");
    ok("F(@p1)", "(path (F @p1))");
    ok("F(a=1,a=2)", "(path (F (a 1) (a 2)))");
}

#[test]
fn syntax_errors() {
    err("accounts('abc)", ErrorKind::UnterminatedString, 9);
    err("accounts(1", ErrorKind::Expected("')'"), 10);
    err("accounts(1,2)", ErrorKind::Expected("')'"), 10);
    err("accounts()x", ErrorKind::Expected("'/' or the end of the path"), 10);
    err("accounts(1)(2)", ErrorKind::Expected("'/' or the end of the path"), 11);
    err("accounts x", ErrorKind::Expected("'(', '/' or the end of the path"), 8);
    err("accounts/$foo", ErrorKind::Expected("$ref, $value, $count, $metadata or $batch"), 9);
    err("accounts/$REF", ErrorKind::Expected("$ref, $value, $count, $metadata or $batch"), 9);
    err("accounts/1x", ErrorKind::Expected("a path segment"), 9);
    err("accounts(name)", ErrorKind::Expected("a key value"), 9);
    err("accounts( 1)", ErrorKind::Expected("a key value"), 9);
    err("accounts(", ErrorKind::Expected("a key value"), 9);
    err("F(a=1,)", ErrorKind::Expected("a parameter name"), 6);
    err("F(a=1", ErrorKind::Expected("',' or ')'"), 5);
    err("F(a=)", ErrorKind::Expected("a value"), 4);
    err("F(a=@)", ErrorKind::Expected("an identifier"), 5);
    err("F(a=[1,2)", ErrorKind::Expected("']'"), 9);
    err("F(a=[1})", ErrorKind::UnexpectedCharacter('}'), 6);
}

#[test]
fn literal_errors() {
    err(G, ErrorKind::Expected("a path segment"), 0);
    err(&format!("accounts({})", &G[..35]), ErrorKind::InvalidGuid, 9);
    err(&format!("accounts({G}0)"), ErrorKind::InvalidGuid, 9);
    err(&format!("accounts({{{G})"), ErrorKind::InvalidGuid, 9);
    err("accounts(0000000g-0000-0000-0000-000000000001)", ErrorKind::InvalidGuid, 9);
    err("accounts(2024-13-01)", ErrorKind::InvalidLiteral { edm_type: "Edm.Date" }, 9);
    err("F(t=2024-05-01T10:20:30)", ErrorKind::InvalidLiteral { edm_type: "Edm.DateTimeOffset" }, 4);
    err("F(x=12abc)", ErrorKind::InvalidLiteral { edm_type: "Edm.Int32" }, 4);
    err("F(x=1.)", ErrorKind::InvalidLiteral { edm_type: "Edm.Int32" }, 4);
    err("F(x=NS.E'a)", ErrorKind::UnterminatedString, 8);
}

#[test]
fn messages() {
    msg("accounts('abc)", "Unrecognized 'Edm.String' literal ''abc' at '9' in 'accounts('abc)'.");
    msg(&format!("accounts({})", &G[..35]), "Unrecognized 'Edm.Guid' literal '00000000-0000-0000-0000-00000000000' at '9' in 'accounts(00000000-0000-0000-0000-00000000000)'.");
    msg("accounts(2024-13-01)", "Unrecognized 'Edm.Date' literal '2024-13-01' at '9' in 'accounts(2024-13-01)'.");
    msg("accounts//x", "Syntax error at position 9 in 'accounts//x': empty path segment.");
    msg("accounts(1", "Syntax error at position 10 in 'accounts(1': expected ')', found the end of the input.");
    msg("accounts/$foo", "Syntax error at position 9 in 'accounts/$foo': expected $ref, $value, $count, $metadata or $batch, found '$foo'.");
    msg("F(a=[1})", "Syntax error: character '}' is not valid at position 6 in 'F(a=[1})'.");
}
