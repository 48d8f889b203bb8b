//! Resource paths (`resourcePath` in the OData ABNF, generalised): produces
//! [`ResourcePath`]. The parser does not know which names are entity sets, properties or
//! functions; see [`crate::ast::path`].

use nom::character::complete::char;
use nom::combinator::{opt, peek};
use nom::sequence::pair;

use super::lexical::{is_identifier_char, parse_identifier, parse_qualified_name};
use super::literal::parse_literal;
use super::{advance, cut_expect, expect, failure, sym, IResult};
use crate::ast::{Parens, ResourcePath, Segment};
use crate::error::{Context, ErrorKind, ParseError};
use crate::span::Span;

/// Parses a percent-decoded resource path; see [`crate::parse_resource_path`].
pub(crate) fn resource_path(text: &str) -> Result<ResourcePath, ParseError> {
    super::run(
        text,
        Context::Path,
        "'/' or the end of the path",
        parse_resource_path,
    )
    .map_err(|mut e| {
        if *e.kind() == ErrorKind::UnterminatedString {
            e = key_literal_error(e, text);
        }
        e
    })
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
    ParseError::new(
        ErrorKind::UnterminatedString,
        start,
        end - start,
        text,
        Context::Path,
    )
}

/// resourcePath = [ "/" ] / segment *( "/" segment ) [ "/" ]
///
/// The empty path (and a lone `/`) is the service document.
pub(crate) fn parse_resource_path(input: Span<'_>) -> IResult<'_, ResourcePath> {
    if *input.fragment() == "/" {
        return Ok((
            advance(input, 1).0,
            ResourcePath {
                segments: Vec::new(),
            },
        ));
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
        let (after, separator) =
            cut_expect("',' or ')'", nom::character::complete::one_of(",)"))(after)?;
        rest = after;
        if separator == ')' {
            return Ok((rest, Parens::Named(named)));
        }
    }
}

/// namedValue = odataIdentifier "=" value   ; value = literal (incl. alias, array, object)
fn parse_named_value(input: Span<'_>) -> IResult<'_, (String, crate::ast::Literal)> {
    let (rest, name) = cut_expect("a parameter name", parse_identifier)(input)?;
    let (rest, _) = cut_expect("'='", char('='))(rest)?;
    let (rest, value) = cut_expect("a value", parse_literal)(rest)?;
    Ok((rest, (name.fragment().to_string(), value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(path …)` or `Kind@offset`.
    #[track_caller]
    fn r(s: &str) -> String {
        match resource_path(s) {
            Ok(path) => path.to_sexpr(),
            Err(e) => format!("{:?}@{}", e.kind(), e.offset()),
        }
    }

    #[test]
    fn resource_path_slashes() {
        assert_eq!(r(""), "(path)");
        assert_eq!(r("/"), "(path)");
        assert_eq!(r("a/"), "(path a)");
        assert_eq!(r("a/b"), "(path a b)");
        assert_eq!(r("/a"), "EmptySegment@0");
        assert_eq!(r("a//b"), "EmptySegment@2");
        assert_eq!(r("a//"), "EmptySegment@2");
    }

    #[test]
    fn segment() {
        assert_eq!(r("$metadata"), "(path $metadata)");
        assert_eq!(r("$batch"), "(path $batch)");
        assert_eq!(r("a/$count/"), "(path a $count)");
        assert_eq!(r("a/$ref"), "(path a $ref)");
        assert_eq!(r("a/$value"), "(path a $value)");
        assert_eq!(r("a/NS.Type"), "(path a NS.Type)");
        assert_eq!(r("a/1b"), "Expected(\"a path segment\")@2");
        assert_eq!(r("a b"), "Expected(\"'(', '/' or the end of the path\")@1");
        assert_eq!(r("a()x"), "Expected(\"'/' or the end of the path\")@3");
        assert_eq!(r("a/NS."), "Expected(\"'(', '/' or the end of the path\")@4");
    }

    #[test]
    fn dollar_segment() {
        let expected = "Expected(\"$ref, $value, $count, $metadata or $batch\")";
        assert_eq!(r("a/$Value"), format!("{expected}@2"));
        assert_eq!(r("$"), format!("{expected}@0"));
        assert_eq!(r("$entity"), format!("{expected}@0"));
        assert_eq!(resource_path("a/$Value/b").unwrap_err().span(), 2..8);
    }

    #[test]
    fn parens() {
        assert_eq!(r("WhoAmI()"), "(path (WhoAmI))");
        assert_eq!(r("a(1)"), "(path (a 1))");
        assert_eq!(r("a(@p)"), "(path (a @p))");
        assert_eq!(r("a(1"), "Expected(\"')'\")@3");
        assert_eq!(r("a(1,2)"), "Expected(\"')'\")@3");
        assert_eq!(r("a(name)"), "Expected(\"a key value\")@2");
        assert_eq!(r("a("), "Expected(\"a key value\")@2");
    }

    #[test]
    fn named_value() {
        assert_eq!(r("f(a=1,b='x')"), "(path (f (a 1) (b 'x')))");
        assert_eq!(r("f(a=@p1)"), "(path (f (a @p1)))");
        assert_eq!(r("f(a=1,)"), "Expected(\"a parameter name\")@6");
        assert_eq!(r("f(a=1"), "Expected(\"',' or ')'\")@5");
        assert_eq!(r("f(a=)"), "Expected(\"a value\")@4");
        assert_eq!(r("f(a=1;b=2)"), "Expected(\"',' or ')'\")@5");
        assert_eq!(r("f(a=1,b)"), "Expected(\"'='\")@7");
    }

    #[test]
    fn unterminated_key_literal_is_reported_like_odl() {
        assert_eq!(resource_path("accounts('abc)").unwrap_err().span(), 9..13);
        assert_eq!(resource_path("accounts('abc)/name").unwrap_err().span(), 9..13);
        assert_eq!(resource_path("f(a='x").unwrap_err().span(), 4..6);
        assert_eq!(resource_path("f(a=')").unwrap_err().span(), 4..5);
    }
}
