//! Resource paths (`resourcePath` in the OData ABNF, generalised): produces
//! [`ResourcePath`]. The parser does not know which names are entity sets, properties or
//! functions; see [`crate::ast::path`].

use nom::bytes::complete::take_while;
use nom::character::complete::char;
use nom::combinator::{opt, peek};
use nom::sequence::{pair, terminated};

use super::lexical::{is_identifier_char, parse_identifier, parse_qualified_name};
use super::literal::parse_literal;
use super::{advance, cut_expect, expect, failure, sym, IResult};
use crate::ast::{Parens, ResourcePath, Segment};
use crate::error::{Context, ErrorKind, ParseError};
use crate::span::Span;

/// Parses a percent-decoded resource path; see [`crate::parse_resource_path`].
pub(crate) fn resource_path(text: &str) -> Result<ResourcePath, ParseError> {
    super::run(text, Context::Path, "'/' or the end of the path", parse_resource_path).map_err(
        |mut e| {
            if *e.kind() == ErrorKind::UnterminatedString {
                e = key_literal_error(e, text);
            }
            e
        },
    )
}

/// ODL splits a segment into name and `(…)` text before reading the key, so the bad
/// literal it reports runs to the segment's closing parenthesis, not to the end of
/// the input: `accounts('abc)` reports `'abc`.
fn key_literal_error(e: ParseError, text: &str) -> ParseError {
    let start = e.offset();
    let segment_end = text[start..].find('/').map_or(text.len(), |i| start + i);
    let end = if text[..segment_end].ends_with(')') && segment_end > start + 1 {
        segment_end - 1
    } else {
        segment_end
    };
    ParseError::new(ErrorKind::UnterminatedString, start, end - start, text, Context::Path)
}

/// resourcePath = [ "/" ] / segment *( "/" segment ) [ "/" ]
///
/// The empty path (and a lone `/`) is the service document.
pub(crate) fn parse_resource_path(input: Span<'_>) -> IResult<'_, ResourcePath> {
    if *input.fragment() == "/" {
        return Ok((advance(input, 1).0, ResourcePath { segments: Vec::new() }));
    }
    let mut segments = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let (after, segment) = parse_segment(rest)?;
        let takes_parens = matches!(segment, Segment::Identifier { parens: None, .. });
        segments.push(segment);
        rest = after;
        if rest.is_empty() {
            break;
        }
        let what = if takes_parens {
            "'(', '/' or the end of the path"
        } else {
            "'/' or the end of the path"
        };
        rest = cut_expect(what, char('/'))(rest)?.0;
    }
    Ok((rest, ResourcePath { segments }))
}

/// segment = "$metadata" / "$batch" / "$count" / "$ref" / "$value"
///         / qualifiedName [ parens ]
///   ; entitySetName, navigationPropertyName, qualifiedTypeName (cast),
///   ; function/action import or bound operation, with key or parameters
fn parse_segment(input: Span<'_>) -> IResult<'_, Segment> {
    if input.starts_with('/') {
        return failure(input, 0, ErrorKind::EmptySegment);
    }
    if input.starts_with('$') {
        return parse_dollar_segment(input);
    }
    let (rest, name) = cut_expect("a path segment", parse_qualified_name)(input)?;
    let (rest, parens) = opt(parse_parens)(rest)?;
    let name = name.fragment().to_string();
    Ok((rest, Segment::Identifier { name, parens }))
}

/// dollarSegment = "$" ( "metadata" / "batch" / "count" / "ref" / "value" )   ; case-sensitive
fn parse_dollar_segment(input: Span<'_>) -> IResult<'_, Segment> {
    let len = 1 + input[1..]
        .find(|c: char| !is_identifier_char(c))
        .unwrap_or(input.len() - 1);
    let segment = match &input[..len] {
        "$metadata" => Segment::Metadata,
        "$batch" => Segment::Batch,
        "$count" => Segment::Count,
        "$ref" => Segment::Ref,
        "$value" => Segment::Value,
        _ => {
            let what = "$ref, $value, $count, $metadata or $batch";
            return failure(input, len, ErrorKind::Expected(what));
        }
    };
    Ok((advance(input, len).0, segment))
}

/// parens      = "(" [ namedValues / value ] ")"
/// namedValues = namedValue *( "," namedValue )
///   ; keyPredicate (simpleKey, compoundKey, alternate key) or functionParameters
fn parse_parens(input: Span<'_>) -> IResult<'_, Parens> {
    let (rest, _) = expect("'('", char('('))(input)?;
    if let Ok((rest, _)) = sym(')')(rest) {
        return Ok((rest, Parens::Empty));
    }
    let is_named = peek(pair(parse_identifier, sym('=')))(rest).is_ok();
    if !is_named {
        let (rest, value) = cut_expect("a key value", parse_literal)(rest)?;
        let (rest, _) = cut_expect("')'", char(')'))(rest)?;
        return Ok((rest, Parens::Single(value)));
    }
    let mut named = Vec::new();
    let mut rest = rest;
    loop {
        let (after, pair) = parse_named_value(rest)?;
        named.push(pair);
        let (after, separator) = cut_expect("',' or ')'", nom::character::complete::one_of(",)"))(after)?;
        rest = after;
        if separator == ')' {
            return Ok((rest, Parens::Named(named)));
        }
    }
}

/// namedValue = odataIdentifier "=" value   ; value = literal (incl. alias, array, object)
fn parse_named_value(input: Span<'_>) -> IResult<'_, (String, crate::ast::Literal)> {
    let (rest, name) = cut_expect("a parameter name", terminated(parse_identifier, char('=')))(input)?;
    let (rest, _) = take_while(|c| c == ' ')(rest)?;
    let (rest, value) = cut_expect("a value", parse_literal)(rest)?;
    Ok((rest, (name.fragment().to_string(), value)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::Literal;

    fn segs(s: &str) -> Vec<Segment> {
        resource_path(s).unwrap_or_else(|e| panic!("{s:?}: {e}")).segments
    }

    fn err(s: &str) -> (ErrorKind, usize) {
        let e = resource_path(s).expect_err(s);
        (e.kind().clone(), e.offset())
    }

    fn ident(name: &str, parens: Option<Parens>) -> Segment {
        Segment::Identifier { name: name.into(), parens }
    }

    #[test]
    fn resource_path_service_document_and_trailing_slash() {
        assert!(segs("").is_empty());
        assert!(segs("/").is_empty());
        assert_eq!(segs("accounts/"), segs("accounts"));
        assert_eq!(err("/accounts"), (ErrorKind::EmptySegment, 0));
        assert_eq!(err("accounts//name"), (ErrorKind::EmptySegment, 9));
        assert_eq!(err("accounts//"), (ErrorKind::EmptySegment, 9));
    }

    #[test]
    fn segment_dollar() {
        assert_eq!(segs("$metadata"), vec![Segment::Metadata]);
        assert_eq!(segs("a/$count/"), vec![ident("a", None), Segment::Count]);
        assert_eq!(segs("a/$ref"), vec![ident("a", None), Segment::Ref]);
        assert_eq!(segs("$batch"), vec![Segment::Batch]);
        let e = resource_path("a/$Value").unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Expected(_)));
        assert_eq!(e.span(), 2..8);
        assert!(matches!(err("$").0, ErrorKind::Expected(_)));
    }

    #[test]
    fn segment_identifier() {
        assert_eq!(segs("WhoAmI"), vec![ident("WhoAmI", None)]);
        assert_eq!(
            segs("a/Microsoft.Dynamics.CRM.X"),
            vec![ident("a", None), ident("Microsoft.Dynamics.CRM.X", None)]
        );
        assert_eq!(err("a/1b"), (ErrorKind::Expected("a path segment"), 2));
        assert_eq!(err("a b"), (ErrorKind::Expected("'(', '/' or the end of the path"), 1));
        assert_eq!(err("a()x"), (ErrorKind::Expected("'/' or the end of the path"), 3));
    }

    #[test]
    fn parens() {
        assert_eq!(segs("WhoAmI()"), vec![ident("WhoAmI", Some(Parens::Empty))]);
        assert_eq!(segs("a(1)"), vec![ident("a", Some(Parens::Single(Literal::Integer(1))))]);
        assert_eq!(err("a(1"), (ErrorKind::Expected("')'"), 3));
        assert_eq!(err("a(1,2)"), (ErrorKind::Expected("')'"), 3));
        assert_eq!(err("a(name)"), (ErrorKind::Expected("a key value"), 2));
        assert_eq!(err("a("), (ErrorKind::Expected("a key value"), 2));
    }

    #[test]
    fn named_value() {
        let named = |v: Vec<(&str, Literal)>| {
            Some(Parens::Named(v.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
        };
        assert_eq!(
            segs("f(a=1,b='x')"),
            vec![ident("f", named(vec![("a", Literal::Integer(1)), ("b", Literal::String("x".into()))]))]
        );
        assert_eq!(segs("f(a=@p1)"), vec![ident("f", named(vec![("a", Literal::Alias("p1".into()))]))]);
        assert_eq!(err("f(a=1,)"), (ErrorKind::Expected("a parameter name"), 6));
        assert_eq!(err("f(a=1"), (ErrorKind::Expected("',' or ')'"), 5));
        assert_eq!(err("f(a=)"), (ErrorKind::Expected("a value"), 4));
        assert_eq!(err("f(a=1;b=2)"), (ErrorKind::Expected("',' or ')'"), 5));
    }

    #[test]
    fn unterminated_key_literal_is_reported_like_odl() {
        let e = resource_path("accounts('abc)").unwrap_err();
        assert_eq!((e.kind(), e.span()), (&ErrorKind::UnterminatedString, 9..13));
        let e = resource_path("accounts('abc)/name").unwrap_err();
        assert_eq!(e.span(), 9..13);
        let e = resource_path("f(a='x").unwrap_err();
        assert_eq!(e.span(), 4..6);
    }
}
