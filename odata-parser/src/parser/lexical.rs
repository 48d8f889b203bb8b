//! Lexical rules shared by paths, options and `$filter`: identifiers, qualified names,
//! keywords.

use nom::bytes::complete::{tag, take_while};
use nom::character::complete::{char, satisfy};
use nom::combinator::{not, recognize};
use nom::multi::many0_count;
use nom::sequence::{pair, preceded, terminated};

use super::{expect, IResult};
use crate::span::Span;

/// identifierLeadingCharacter = ALPHA / "_"   (Unicode letters allowed, as in the ABNF)
pub(crate) fn is_identifier_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

/// identifierCharacter = ALPHA / "_" / DIGIT
pub(crate) fn is_identifier_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// odataIdentifier = identifierLeadingCharacter *identifierCharacter
pub(crate) fn parse_identifier(input: Span<'_>) -> IResult<'_, Span<'_>> {
    expect(
        "an identifier",
        recognize(pair(
            satisfy(is_identifier_start),
            take_while(is_identifier_char),
        )),
    )(input)
}

/// qualifiedName = odataIdentifier *( "." odataIdentifier )
///
/// Covers `namespaceIdentifier`, `qualifiedTypeName` and `qualifiedFunctionName`, e.g.
/// `Microsoft.Dynamics.CRM.PicklistAttributeMetadata`. A trailing `.` is left unparsed.
pub(crate) fn parse_qualified_name(input: Span<'_>) -> IResult<'_, Span<'_>> {
    recognize(pair(
        parse_identifier,
        many0_count(preceded(char('.'), parse_identifier)),
    ))(input)
}

/// keyword = <word> !identifierCharacter   (`eq`, `and`, `not`, `any`, …; case-sensitive)
pub(crate) fn parse_keyword<'a>(
    word: &'static str,
) -> impl FnMut(Span<'a>) -> IResult<'a, Span<'a>> {
    expect(
        word,
        terminated(tag(word), not(satisfy(is_identifier_char))),
    )
}

/// Length of the token starting at `text`: up to the next delimiter, at least one char.
/// Used to size error spans (`'12abc'` rather than just `'1'`).
pub(crate) fn token_len(text: &str) -> usize {
    let end = text
        .find([',', ';', '(', ')', '[', ']', '/', '&', ' ', '\t'])
        .unwrap_or(text.len());
    if end == 0 {
        text.chars().next().map_or(0, char::len_utf8)
    } else {
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::span::new_span;

    fn ident(s: &str) -> Result<(&str, &str), ErrorKind> {
        parse_qualified_name(new_span(s))
            .map(|(rest, name)| (*name.fragment(), *rest.fragment()))
            .map_err(|e| match e {
                nom::Err::Error(e) | nom::Err::Failure(e) => e.kind,
                nom::Err::Incomplete(_) => ErrorKind::Internal,
            })
    }

    #[test]
    fn identifier() {
        assert_eq!(ident("accounts(1)"), Ok(("accounts", "(1)")));
        assert_eq!(ident("_x_value rest"), Ok(("_x_value", " rest")));
        assert_eq!(ident("née"), Ok(("née", "")));
        assert_eq!(ident("1abc"), Err(ErrorKind::Expected("an identifier")));
        assert_eq!(ident(""), Err(ErrorKind::Expected("an identifier")));
    }

    #[test]
    fn qualified_name() {
        assert_eq!(
            ident("Microsoft.Dynamics.CRM.WhoAmI()"),
            Ok(("Microsoft.Dynamics.CRM.WhoAmI", "()"))
        );
        assert_eq!(ident("a.b."), Ok(("a.b", ".")));
        assert_eq!(ident("a..b"), Ok(("a", "..b")));
    }

    #[test]
    fn keyword_needs_a_word_boundary() {
        assert!(parse_keyword("eq")(new_span("eq 1")).is_ok());
        assert!(parse_keyword("eq")(new_span("eq(")).is_ok());
        assert!(parse_keyword("eq")(new_span("equals")).is_err());
        assert!(parse_keyword("eq")(new_span("EQ")).is_err());
    }

    #[test]
    fn token_length() {
        assert_eq!(token_len("12abc,x"), 5);
        assert_eq!(token_len(",x"), 1);
        assert_eq!(token_len("é)"), 2);
        assert_eq!(token_len(""), 0);
    }
}
