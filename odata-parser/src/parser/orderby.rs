//! `$orderby` (`orderby` in the OData ABNF), restricted to what Dataverse sorts by:
//! property paths and parameter aliases. Produces [`OrderByItem`]s. Also the plain
//! `memberPath` rule (no lambda, no call) that `$apply` shares.

use nom::branch::alt;
use nom::combinator::cut;

use super::lexical::{is_identifier_start, parse_identifier, parse_keyword, parse_qualified_name};
use super::{cut_expect, expect, failure, parse_bws, run, sym, IResult};
use crate::ast::expr::MemberPath;
use crate::ast::{OrderByExpr, OrderByItem};
use crate::error::{Context, ErrorKind, ParseError};
use crate::span::{SourceSpan, Span};

/// What an `$orderby` item must start with.
const ITEM: &str = "a property path or parameter alias";

/// Parses a decoded `$orderby` value; see [`crate::parse_orderby`].
pub(crate) fn orderby(text: &str) -> Result<Vec<OrderByItem>, ParseError> {
    let whole = |input| {
        let (input, _) = parse_bws(input)?;
        parse_orderby(input)
    };
    run(
        text,
        Context::Expression,
        "',' or the end of $orderby",
        whole,
    )
}

/// orderby = orderbyItem *( BWS "," BWS orderbyItem ) BWS
///   ; stops before anything else, e.g. the ";" or ")" that ends it inside `$expand`
pub(crate) fn parse_orderby(input: Span<'_>) -> IResult<'_, Vec<OrderByItem>> {
    let mut items = Vec::new();
    let mut rest = input;
    loop {
        let (after, item) = cut_expect(ITEM, parse_orderby_item)(rest)?;
        items.push(item);
        rest = parse_bws(after)?.0;
        let Ok((after, _)) = sym(',')(rest) else {
            return Ok((rest, items));
        };
        rest = parse_bws(after)?.0;
    }
}

/// orderbyItem = ( memberPath / parameterAlias ) [ RWS ( "asc" / "desc" ) ]
///   ; `commonExpr` in the ABNF; Dataverse sorts by properties only
fn parse_orderby_item(input: Span<'_>) -> IResult<'_, OrderByItem> {
    let (rest, expr) = if let Ok((rest, _)) = sym('@')(input) {
        let (rest, name) = cut(parse_identifier)(rest)?;
        (rest, OrderByExpr::Alias(name.fragment().to_string()))
    } else {
        let (rest, path) = expect(ITEM, parse_member_path)(input)?;
        (rest, OrderByExpr::Member(path))
    };
    // Whitespace followed by a word commits to a direction: `name foo` is an error
    // at `foo`, while `name ,` and `name ;` leave the separator to the caller.
    let (after_space, space) = parse_bws(rest)?;
    let (rest, descending) = if !space.is_empty() && after_space.starts_with(is_identifier_start) {
        let direction = alt((parse_keyword("asc"), parse_keyword("desc")));
        let (after, word) = cut_expect("'asc' or 'desc'", direction)(after_space)?;
        (after, *word.fragment() == "desc")
    } else {
        (rest, false)
    };
    let span = SourceSpan::between(&input, &rest);
    Ok((
        rest,
        OrderByItem {
            expr,
            descending,
            span,
        },
    ))
}

/// memberPath = qualifiedName *( "/" qualifiedName )
///   ; no lambda and no call: a name followed by "(" is an error at the "("
pub(crate) fn parse_member_path(input: Span<'_>) -> IResult<'_, MemberPath> {
    let (mut rest, first) = parse_qualified_name(input)?;
    let mut segments = vec![first.fragment().to_string()];
    loop {
        if rest.starts_with('(') {
            return failure(rest, 1, ErrorKind::UnexpectedCharacter('('));
        }
        let Ok((after_slash, _)) = sym('/')(rest) else {
            break;
        };
        let (after, segment) = cut_expect("a property name", parse_qualified_name)(after_slash)?;
        segments.push(segment.fragment().to_string());
        rest = after;
    }
    let span = SourceSpan::between(&input, &rest);
    Ok((rest, MemberPath { segments, span }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_render;
    use crate::span::new_span;

    /// Renders items as S-expressions, or the error as `kind@offset`.
    fn o(s: &str) -> String {
        match orderby(s) {
            Ok(items) => items
                .iter()
                .map(OrderByItem::to_sexpr)
                .collect::<Vec<_>>()
                .join(" "),
            Err(e) => format!("{:?}@{}", e.kind(), e.offset()),
        }
    }

    #[test]
    fn orderby_list() {
        assert_eq!(o("a"), "(asc a)");
        assert_eq!(o(" a , b desc "), "(asc a) (desc b)");
        assert_eq!(
            o("a,"),
            "Expected(\"a property path or parameter alias\")@2"
        );
        assert_eq!(o("a b"), "Expected(\"'asc' or 'desc'\")@2");
        assert_eq!(o("a asc b"), "Expected(\"',' or the end of $orderby\")@6");
    }

    #[test]
    fn orderby_item() {
        assert_eq!(o("x/y desc"), "(desc x/y)");
        assert_eq!(o("@p1 desc"), "(desc @p1)");
        assert_eq!(o("a\tasc"), "(asc a)");
        assert_eq!(o("a ascending"), "Expected(\"'asc' or 'desc'\")@2");
        assert_eq!(o("adesc"), "(asc adesc)");
        assert_eq!(o("@"), "Expected(\"an identifier\")@1");
        assert_eq!(
            o("'x'"),
            "Expected(\"a property path or parameter alias\")@0"
        );
    }

    #[test]
    fn member_path() {
        let p = |s| test_render(parse_member_path(new_span(s)), |p| p.to_string());
        assert_eq!(p("a/b.c/d rest"), "a/b.c/d |  rest");
        assert_eq!(p("a/"), "Expected(\"a property name\")@2");
        assert_eq!(p("a/b(1)"), "UnexpectedCharacter('(')@3");
        assert_eq!(p("1"), "Expected(\"an identifier\")@0");
    }
}
