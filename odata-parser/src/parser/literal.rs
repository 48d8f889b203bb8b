//! Literals: `primitiveLiteral`, `parameterAlias` and `arrayOrObject` in the OData ABNF,
//! producing [`Literal`]. Shared by key predicates, function parameters and `$filter`.
//!
//! Each literal kind is recognised by its first characters and then committed to, so
//! `accounts(00000000-0000-0000-0000-00000000001)` is an invalid GUID, not a number
//! followed by garbage.

use nom::character::complete::{char, digit1, one_of};
use nom::combinator::{cut, opt, recognize};
use nom::sequence::{pair, tuple};
use uuid::Uuid;

use super::lexical::{
    is_identifier_char, is_identifier_start, parse_identifier, parse_qualified_name, token_len,
};
use super::json::parse_array_or_object;
use super::{advance, error, expect, failure, IResult};
use crate::ast::Literal;
use crate::error::ErrorKind;
use crate::span::Span;

/// literal = primitiveLiteral / parameterAlias / arrayOrObject
///
/// Returns a recoverable error when the input does not start like any literal (so
/// `$filter` can try a member path instead).
pub(crate) fn parse_literal(input: Span<'_>) -> IResult<'_, Literal> {
    let text = *input.fragment();
    let Some(first) = text.chars().next() else {
        return error(input, 0, ErrorKind::Expected("a literal"));
    };
    match first {
        '\'' => parse_string(input).map(|(rest, s)| (rest, Literal::String(s))),
        '@' => parse_alias(input),
        '{' if is_guid_start(&text[1..]) => parse_guid(input),
        '[' | '{' => parse_array_or_object(input),
        c if c.is_ascii_alphanumeric() && is_guid_start(text) => parse_guid(input),
        c if c.is_ascii_digit() && is_date_start(text) => parse_date_or_date_time(input),
        c if c.is_ascii_digit() || c == '-' || c == '+' => parse_number(input),
        c if is_identifier_start(c) => parse_named_literal(input),
        _ => error(input, 0, ErrorKind::Expected("a literal")),
    }
}

/// string = SQUOTE *( SQUOTE-in-string / pchar-no-SQUOTE ) SQUOTE
/// SQUOTE-in-string = SQUOTE SQUOTE   ; an escaped single quote
///
/// An unterminated string is a failure spanning from the quote to the end of the input.
pub(crate) fn parse_string(input: Span<'_>) -> IResult<'_, String> {
    let text = *input.fragment();
    if !text.starts_with('\'') {
        return error(input, 0, ErrorKind::Expected("'"));
    }
    let mut value = String::new();
    let mut from = 1;
    while let Some(found) = text[from..].find('\'') {
        let quote = from + found;
        value.push_str(&text[from..quote]);
        if text[quote + 1..].starts_with('\'') {
            value.push('\'');
            from = quote + 2;
        } else {
            return Ok((advance(input, quote + 1).0, value));
        }
    }
    failure(input, text.len(), ErrorKind::UnterminatedString)
}

/// parameterAlias = AT odataIdentifier
fn parse_alias(input: Span<'_>) -> IResult<'_, Literal> {
    let (rest, _) = expect("'@'", char('@'))(input)?;
    let (rest, name) = cut(parse_identifier)(rest)?;
    Ok((rest, Literal::Alias(name.fragment().to_string())))
}

/// `8( ALPHA / DIGIT ) "-"`: the point where a literal commits to being a GUID, so
/// that `0000000g-…` is reported as a bad GUID rather than a bad number. Nothing else
/// in a key or `$filter` can look like this.
fn is_guid_start(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 9 && b[..8].iter().all(u8::is_ascii_alphanumeric) && b[8] == b'-'
}

/// guidValue = [ "{" ] 8HEXDIG "-" 4HEXDIG "-" 4HEXDIG "-" 4HEXDIG "-" 12HEXDIG [ "}" ]
///
/// Braces are not OData, but clients write `{guid}` (dynamics-web-api strips them).
fn parse_guid(input: Span<'_>) -> IResult<'_, Literal> {
    let text = *input.fragment();
    let braced = text.starts_with('{');
    let body = &text[usize::from(braced)..];
    let run = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or(body.len());
    let closed = braced && body[run..].starts_with('}');
    let mut len = usize::from(braced) + run + usize::from(closed);
    // A GUID glued to identifier characters (`…0001x`) is one bad token.
    let glued = text[len..]
        .find(|c: char| !is_identifier_char(c))
        .unwrap_or(text.len() - len);
    len += glued;
    let well_formed = run == 36 && braced == closed && glued == 0 && is_hyphenated(&body[..run]);
    match well_formed
        .then(|| Uuid::parse_str(&body[..run]).ok())
        .flatten()
    {
        Some(id) => Ok((advance(input, len).0, Literal::Guid(id))),
        None => failure(input, len, ErrorKind::InvalidGuid),
    }
}

/// `8-4-4-4-12` hex digits.
fn is_hyphenated(text: &str) -> bool {
    text.len() == 36
        && text.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// `4DIGIT "-"`: the point where a literal commits to being a date.
fn is_date_start(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 5 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

/// dateValue = year "-" month "-" day
/// dateTimeOffsetValue = dateValue "T" hour ":" minute [ ":" second [ "." fractionalSeconds ] ]
///                       ( "Z" / SIGN hour ":" minute )
fn parse_date_or_date_time(input: Span<'_>) -> IResult<'_, Literal> {
    let text = *input.fragment();
    let is_date_time = text.as_bytes().get(10) == Some(&b'T');
    let scanned = scan_date_time(text.as_bytes()).filter(|&len| {
        !text[len..]
            .starts_with(|c: char| is_identifier_char(c) || matches!(c, '.' | ':' | '+' | '-'))
    });
    match scanned {
        Some(len) if is_date_time => Ok((
            advance(input, len).0,
            Literal::DateTimeOffset(text[..len].to_owned()),
        )),
        Some(len) => Ok((advance(input, len).0, Literal::Date(text[..len].to_owned()))),
        None => {
            let edm_type = if is_date_time {
                "Edm.DateTimeOffset"
            } else {
                "Edm.Date"
            };
            failure(
                input,
                token_len(text),
                ErrorKind::InvalidLiteral { edm_type },
            )
        }
    }
}

/// Length of the well-formed date or date-time at the start of `b` (year already checked).
fn scan_date_time(b: &[u8]) -> Option<usize> {
    let byte = |at: usize, want: u8| (b.get(at) == Some(&want)).then_some(());
    let num = |at: usize, range: std::ops::RangeInclusive<u8>| {
        let (hi, lo) = (*b.get(at)?, *b.get(at + 1)?);
        let value =
            (hi.is_ascii_digit() && lo.is_ascii_digit()).then(|| (hi - b'0') * 10 + lo - b'0')?;
        range.contains(&value).then_some(())
    };
    byte(4, b'-')?;
    num(5, 1..=12)?;
    byte(7, b'-')?;
    num(8, 1..=31)?;
    if b.get(10) != Some(&b'T') {
        return Some(10);
    }
    num(11, 0..=23)?;
    byte(13, b':')?;
    num(14, 0..=59)?;
    let mut at = 16;
    if b.get(at) == Some(&b':') {
        num(at + 1, 0..=59)?;
        at += 3;
        if b.get(at) == Some(&b'.') {
            let digits = b[at + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            (1..=12).contains(&digits).then_some(())?;
            at += 1 + digits;
        }
    }
    match b.get(at) {
        Some(b'Z') => Some(at + 1),
        Some(b'+' | b'-') => {
            num(at + 1, 0..=23)?;
            byte(at + 3, b':')?;
            num(at + 4, 0..=59)?;
            Some(at + 6)
        }
        _ => None,
    }
}

/// decimalValue = [ SIGN ] 1*DIGIT [ "." 1*DIGIT ] [ "e" [ SIGN ] 1*DIGIT ] [ suffix ]
/// int64Value   = [ SIGN ] 1*DIGIT [ "L" ]
/// suffix       = "M" / "m" / "D" / "d" / "F" / "f" / "L" / "l"   ; legacy, accepted by ODL
///
/// An integer too large for `i64` becomes `Decimal`, as ODL widens to Edm.Decimal.
fn parse_number(input: Span<'_>) -> IResult<'_, Literal> {
    let (rest, text) = expect(
        "a number",
        recognize(tuple((
            opt(one_of("+-")),
            digit1,
            opt(pair(char('.'), digit1)),
            opt(tuple((one_of("eE"), opt(one_of("+-")), digit1))),
        ))),
    )(input)?;
    let (rest, suffix) = opt(one_of("mMdDfFlL"))(rest)?;
    let text = *text.fragment();
    let is_decimal =
        text.contains(['.', 'e', 'E']) || suffix.is_some_and(|s| !matches!(s, 'l' | 'L'));
    // `1.`, `1e`, `12abc`: glued characters make the whole token invalid.
    if rest.starts_with(|c: char| is_identifier_char(c) || c == '.') {
        let edm_type = if is_decimal {
            "Edm.Decimal"
        } else {
            "Edm.Int32"
        };
        return failure(
            input,
            token_len(&input),
            ErrorKind::InvalidLiteral { edm_type },
        );
    }
    let literal = match text.parse::<i64>() {
        Ok(n) if !is_decimal => Literal::Integer(n),
        _ => Literal::Decimal(text.to_owned()),
    };
    Ok((rest, literal))
}

/// nullValue = "null" ; booleanValue = "true" / "false"
/// enum      = qualifiedEnumTypeName SQUOTE enumValue SQUOTE
///
/// Any name directly followed by a quote is an enum (`Microsoft.Dynamics.CRM.EntityFilters'All'`);
/// the emulator checks the type. Other names are not literals (recoverable error).
fn parse_named_literal(input: Span<'_>) -> IResult<'_, Literal> {
    let (rest, name) = parse_qualified_name(input)?;
    if rest.starts_with('\'') {
        let (rest, value) = parse_string(rest)?;
        let type_name = name.fragment().to_string();
        return Ok((rest, Literal::Enum { type_name, value }));
    }
    let literal = match *name.fragment() {
        "null" => Literal::Null,
        "true" => Literal::Boolean(true),
        "false" => Literal::Boolean(false),
        _ => return error(input, 0, ErrorKind::Expected("a literal")),
    };
    Ok((rest, literal))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_render;
    use crate::span::new_span;

    /// `sexpr`, `sexpr | rest` or `Kind@offset`.
    #[track_caller]
    fn r(s: &str) -> String {
        test_render(parse_literal(new_span(s)), Literal::to_sexpr)
    }

    const G: &str = "00000000-0000-0000-0000-000000000001";
    const GS: &str = "(guid 00000000-0000-0000-0000-000000000001)";

    #[test]
    fn string() {
        assert_eq!(r("'abc'"), "'abc'");
        assert_eq!(r("''"), "''");
        assert_eq!(r("'a''b'"), "'a''b'");
        assert_eq!(r("''''"), "''''");
        assert_eq!(r("'a'b"), "'a' | b");
        assert_eq!(r("'a)b/c'"), "'a)b/c'");
        assert_eq!(r("'abc"), "UnterminatedString@0");
        assert_eq!(r("'a''"), "UnterminatedString@0");
    }

    #[test]
    fn guid() {
        assert_eq!(r(G), GS);
        assert_eq!(r(&format!("{{{G}}}")), GS);
        assert_eq!(r(&G.to_uppercase()), GS);
        assert_eq!(r(&format!("{G})")), format!("{GS} | )"));
        assert_eq!(r(&format!("{G}}}")), format!("{GS} | }}"));
        assert_eq!(r(&G[..35]), "InvalidGuid@0");
        assert_eq!(r(&format!("{G}1")), "InvalidGuid@0");
        assert_eq!(r(&format!("{G}x")), "InvalidGuid@0");
        assert_eq!(r(&format!("{{{G}")), "InvalidGuid@0");
        assert_eq!(r("00000000-0000-0000-0000-00000000000g"), "InvalidGuid@0");
        assert_eq!(r("00000000-00000-000-0000-000000000001"), "InvalidGuid@0");
        assert_eq!(r("0000000g-0000-0000-0000-000000000001)"), "InvalidGuid@0");
        assert_eq!(r("deadbeef-"), "InvalidGuid@0");
    }

    #[test]
    fn number() {
        assert_eq!(r("42"), "42");
        assert_eq!(r("-7"), "-7");
        assert_eq!(r("+7"), "7");
        assert_eq!(r("7L"), "7");
        assert_eq!(r("1.5"), "(decimal 1.5)");
        assert_eq!(r("2E3"), "(decimal 2E3)");
        assert_eq!(r("1.0e-5"), "(decimal 1.0e-5)");
        assert_eq!(r("1.0M"), "(decimal 1.0)");
        assert_eq!(r("3d"), "(decimal 3)");
        assert_eq!(r("99999999999999999999"), "(decimal 99999999999999999999)");
        assert_eq!(r("1,2"), "1 | ,2");
        assert_eq!(r("1."), "InvalidLiteral { edm_type: \"Edm.Int32\" }@0");
        assert_eq!(r("12abc"), "InvalidLiteral { edm_type: \"Edm.Int32\" }@0");
        assert_eq!(r("1.5x"), "InvalidLiteral { edm_type: \"Edm.Decimal\" }@0");
        assert_eq!(r("-"), "Expected(\"a number\")@0");
    }

    #[test]
    fn date_and_date_time() {
        assert_eq!(r("2024-05-01"), "(date 2024-05-01)");
        assert_eq!(r("2024-05-01T10:20:30Z"), "(datetimeoffset 2024-05-01T10:20:30Z)");
        assert_eq!(r("2024-05-01T10:20Z"), "(datetimeoffset 2024-05-01T10:20Z)");
        assert_eq!(r("2024-05-01T10:20:30.1234567+02:00"), "(datetimeoffset 2024-05-01T10:20:30.1234567+02:00)");
        assert_eq!(r("2024-05-01T00:00:00-08:00"), "(datetimeoffset 2024-05-01T00:00:00-08:00)");
        let date = "InvalidLiteral { edm_type: \"Edm.Date\" }@0";
        let date_time = "InvalidLiteral { edm_type: \"Edm.DateTimeOffset\" }@0";
        assert_eq!(r("2024-13-01"), date);
        assert_eq!(r("2024-05-00"), date);
        assert_eq!(r("2024-05-1"), date);
        assert_eq!(r("2024-05-01x"), date);
        assert_eq!(r("2024-05-01T10:20:30"), date_time);
        assert_eq!(r("2024-05-01T24:00:00Z"), date_time);
        assert_eq!(r("2024-05-01T10:20:30.Z"), date_time);
    }

    #[test]
    fn named_literal_and_alias() {
        assert_eq!(r("null"), "null");
        assert_eq!(r("true"), "true");
        assert_eq!(r("false)"), "false | )");
        assert_eq!(r("nullx"), "Expected(\"a literal\")@0");
        assert_eq!(r("True"), "Expected(\"a literal\")@0");
        assert_eq!(r("@p1"), "@p1");
        assert_eq!(r("@1"), "Expected(\"an identifier\")@1");
        assert_eq!(r("NS.EntityFilters'All'"), "(enum NS.EntityFilters All)");
        assert_eq!(r("NS.E'Read,Write'"), "(enum NS.E Read,Write)");
        assert_eq!(r("NS.E'All"), "UnterminatedString@4");
    }

    #[test]
    fn not_a_literal() {
        assert_eq!(r(""), "Expected(\"a literal\")@0");
        assert_eq!(r(")"), "Expected(\"a literal\")@0");
        assert_eq!(r("name"), "Expected(\"a literal\")@0");
    }
}
