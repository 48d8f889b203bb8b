//! `$expand` (`expand` in the OData ABNF, Dataverse subset): navigation properties with
//! `/$ref` or nested options, recursively. Produces [`ExpandItem`]s.
//!
//! Nested values are parsed by the rules they name (`$filter` by `boolCommonExpr`,
//! `$expand` by this file again), so a `,` or `;` inside a string or nested parentheses
//! never ends an item or an option.

use nom::character::complete::one_of;

use super::expr::{parse_bool_common_expr, prefer_unterminated};
use super::lexical::{is_identifier_char, parse_identifier, parse_keyword};
use super::options::parse_select_until;
use super::orderby::parse_orderby;
use super::{advance, cut_expect, failure, guard_depth, parse_bws, run, sym, IResult};
use crate::ast::ExpandItem;
use crate::error::{Context, ErrorKind, ParseError};
use crate::span::{SourceSpan, Span};

/// Options allowed inside an expand, then those Dataverse refuses there (recorded in
/// [`ExpandItem::unsupported`]). Names are case-sensitive.
const OPTIONS: [&str; 9] = [
    "$select", "$filter", "$orderby", "$top", "$expand", "$skip", "$count", "$search", "$levels",
];

/// Parses a decoded `$expand` value; see [`crate::parse_expand`].
pub(crate) fn expand(text: &str) -> Result<Vec<ExpandItem>, ParseError> {
    let whole = |input| {
        let (input, _) = parse_bws(input)?;
        parse_expand(input, 0)
    };
    run(
        text,
        Context::Expression,
        "',' or the end of $expand",
        whole,
    )
    .map_err(|e| prefer_unterminated(text, e))
}

/// expand = expandItem *( BWS "," BWS expandItem ) BWS
///   ; stops before anything else, e.g. the ";" or ")" that ends a nested `$expand`
fn parse_expand(input: Span<'_>, depth: usize) -> IResult<'_, Vec<ExpandItem>> {
    guard_depth(input, depth)?;
    let mut items = Vec::new();
    let mut rest = input;
    loop {
        let (after, item) =
            cut_expect("a navigation property", |i| parse_expand_item(i, depth))(rest)?;
        items.push(item);
        rest = parse_bws(after)?.0;
        let Ok((after, _)) = sym(',')(rest) else {
            return Ok((rest, items));
        };
        rest = parse_bws(after)?.0;
    }
}

/// expandItem = navigationProperty [ "/$ref" ] [ expandOptions ]
///   ; navigationProperty = odataIdentifier; no options after "/$ref"
fn parse_expand_item(input: Span<'_>, depth: usize) -> IResult<'_, ExpandItem> {
    let (mut rest, nav) = parse_identifier(input)?;
    let mut item = ExpandItem {
        nav: nav.fragment().to_string(),
        ..ExpandItem::default()
    };
    if let Ok((after_slash, _)) = sym('/')(rest) {
        let (after, _) = cut_expect("'$ref'", parse_keyword("$ref"))(after_slash)?;
        if after.starts_with('(') {
            return failure(after, 1, ErrorKind::UnexpectedCharacter('('));
        }
        item.is_ref = true;
        rest = after;
    } else if rest.starts_with('(') {
        let (after, with_options) = parse_expand_options(rest, depth, item)?;
        item = with_options;
        rest = after;
    }
    item.span = SourceSpan::between(&input, &rest);
    Ok((rest, item))
}

/// expandOptions = "(" BWS expandOption *( BWS ";" BWS expandOption ) BWS ")"
///   ; each option at most once
fn parse_expand_options<'a>(
    input: Span<'a>,
    depth: usize,
    mut item: ExpandItem,
) -> IResult<'a, ExpandItem> {
    let (mut rest, _) = sym('(')(input)?;
    let mut seen = Vec::new();
    loop {
        rest = parse_bws(rest)?.0;
        rest = parse_expand_option(rest, depth, &mut item, &mut seen)?.0;
        rest = parse_bws(rest)?.0;
        let (after, separator) = cut_expect("';' or ')'", one_of(";)"))(rest)?;
        rest = after;
        if separator == ')' {
            return Ok((rest, item));
        }
    }
}

/// expandOption = "$select" "=" select / "$filter" "=" boolCommonExpr
///              / "$orderby" "=" orderby / "$top" "=" top / "$expand" "=" expand
///              / ( "$skip" / "$count" / "$search" / "$levels" ) "=" refusedValue
fn parse_expand_option<'a>(
    input: Span<'a>,
    depth: usize,
    item: &mut ExpandItem,
    seen: &mut Vec<&'static str>,
) -> IResult<'a, ()> {
    let (rest, name) = parse_option_name(input)?;
    if seen.contains(&name) {
        return failure(
            input,
            name.len(),
            ErrorKind::DuplicateOption(name.to_owned()),
        );
    }
    seen.push(name);
    let (rest, _) = cut_expect("'='", sym('='))(rest)?;
    let rest = match name {
        "$select" => {
            let (rest, select) = parse_select_until(rest, &[';', ')'])?;
            item.select = Some(select);
            rest
        }
        "$filter" => {
            let filter = |i| parse_bool_common_expr(i, depth + 1);
            let (rest, filter) = cut_expect("an expression", filter)(rest)?;
            item.filter = Some(filter);
            rest
        }
        "$orderby" => {
            let (rest, orderby) = parse_orderby(rest)?;
            item.orderby = Some(orderby);
            rest
        }
        "$top" => {
            let (rest, top) = parse_top(rest)?;
            item.top = Some(top);
            rest
        }
        "$expand" => {
            let (rest, expand) = parse_expand(rest, depth + 1)?;
            item.expand = Some(expand);
            rest
        }
        refused => {
            item.unsupported.push(refused[1..].to_owned());
            parse_refused_value(rest)?.0
        }
    };
    Ok((rest, ()))
}

/// optionName = "$" *identifierCharacter   ; one of [`OPTIONS`], case-sensitive
fn parse_option_name(input: Span<'_>) -> IResult<'_, &'static str> {
    let text = *input.fragment();
    if !text.starts_with('$') {
        return failure(
            input,
            0,
            ErrorKind::Expected("an expand option such as $select"),
        );
    }
    let len = 1 + text[1..]
        .find(|c: char| !is_identifier_char(c))
        .unwrap_or(text.len() - 1);
    match OPTIONS.iter().find(|&&option| option == &text[..len]) {
        Some(&name) => Ok((advance(input, len).0, name)),
        None => failure(input, len, ErrorKind::UnknownOption(text[..len].to_owned())),
    }
}

/// top = 1*DIGIT   ; the value up to the next ";" or ")", BWS allowed after it
fn parse_top(input: Span<'_>) -> IResult<'_, u64> {
    let text = *input.fragment();
    let end = text.find([';', ')']).unwrap_or(text.len());
    let value = text[..end].trim_end_matches([' ', '\t']);
    let digits = value.bytes().all(|b| b.is_ascii_digit());
    match value.parse() {
        Ok(top) if digits => Ok((advance(input, value.len()).0, top)),
        _ => failure(input, value.len(), ErrorKind::InvalidTop),
    }
}

/// refusedValue = *( quoted / "(" refusedValue ")" / <any char but ";" "(" ")" "'" DQUOTE> )
/// quoted       = "'" *( "''" / <any char but "'"> ) "'"
///              / DQUOTE *( DQUOTE DQUOTE / <any char but DQUOTE> ) DQUOTE
///   ; the value of a refused option, skipped without being interpreted
fn parse_refused_value(input: Span<'_>) -> IResult<'_, Span<'_>> {
    let bytes = input.fragment().as_bytes();
    let (mut i, mut nesting) = (0, 0usize);
    // Bytes, not chars: every delimiter is ASCII, and ASCII bytes never occur inside a
    // multi-byte UTF-8 sequence, so each stop is a char boundary.
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\'' | b'"' => {
                let mut close = i + 1;
                loop {
                    match bytes.get(close) {
                        None => {
                            let at = advance(input, i).0;
                            return failure(at, bytes.len() - i, ErrorKind::UnterminatedString);
                        }
                        Some(&c) if c == b && bytes.get(close + 1) == Some(&b) => close += 2,
                        Some(&c) if c == b => break,
                        Some(_) => close += 1,
                    }
                }
                i = close;
            }
            b'(' => nesting += 1,
            b')' | b';' if nesting == 0 => break,
            b')' => nesting -= 1,
            _ => {}
        }
        i += 1;
    }
    Ok(advance(input, i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::{test_render, MAX_DEPTH};
    use crate::span::new_span;

    /// Renders items as S-expressions, or the error as `kind@offset`.
    fn x(s: &str) -> String {
        match expand(s) {
            Ok(items) => items
                .iter()
                .map(ExpandItem::to_sexpr)
                .collect::<Vec<_>>()
                .join(" "),
            Err(e) => format!("{:?}@{}", e.kind(), e.offset()),
        }
    }

    #[test]
    fn expand_list_and_item() {
        assert_eq!(x("a, b/$ref ,c"), "a b/$ref c");
        assert_eq!(x("a,"), "Expected(\"a navigation property\")@2");
        assert_eq!(x("a b"), "Expected(\"',' or the end of $expand\")@2");
        assert_eq!(x("a/b"), "Expected(\"'$ref'\")@2");
        assert_eq!(x("a/$refs"), "Expected(\"'$ref'\")@2");
        assert_eq!(x("a/$ref($top=1)"), "UnexpectedCharacter('(')@6");
    }

    #[test]
    fn expand_options() {
        assert_eq!(x("a( $top=1 ; $select=b )"), "(a (select b) (top 1))");
        assert_eq!(x("a($filter=b eq ';)')"), "(a (filter (eq b ';)')))");
        assert_eq!(
            x("a($orderby=b desc,c;$expand=d($top=2))"),
            "(a (orderby (desc b) (asc c)) (expand (d (top 2))))"
        );
        assert_eq!(x("a()"), "Expected(\"an expand option such as $select\")@2");
        assert_eq!(x("a($top=1"), "Expected(\"';' or ')'\")@8");
        assert_eq!(x("a($top=1;$top=2)"), "DuplicateOption(\"$top\")@9");
        assert_eq!(x("a($Top=1)"), "UnknownOption(\"$Top\")@2");
        assert_eq!(x("a($top)"), "Expected(\"'='\")@6");
        assert_eq!(x("a($filter=)"), "Expected(\"an expression\")@10");
    }

    #[test]
    fn top_and_refused_values() {
        let top = |s| test_render(parse_top(new_span(s)), u64::to_string);
        assert_eq!(top("5);"), "5 | );");
        assert_eq!(top("5 ;"), "5 |  ;");
        assert_eq!(top("5x)"), "InvalidTop@0");
        assert_eq!(top(")"), "InvalidTop@0");
        assert_eq!(top("+5"), "InvalidTop@0");
        let refused = |s| {
            test_render(parse_refused_value(new_span(s)), |v| {
                v.fragment().to_string()
            })
        };
        assert_eq!(refused("max;x"), "max | ;x");
        assert_eq!(refused("\"a;b\" and f(x;y))"), "\"a;b\" and f(x;y) | )");
        assert_eq!(refused("'it''s;')"), "'it''s;' | )");
        assert_eq!(refused("é)"), "é | )");
        assert_eq!(refused("x 'ab"), "UnterminatedString@2");
    }

    #[test]
    fn depth_limit() {
        let deep = "a($expand=".repeat(MAX_DEPTH + 1);
        assert!(x(&deep).starts_with("DepthLimit"));
        let ok = format!(
            "{}b{}",
            "a($expand=".repeat(MAX_DEPTH - 1),
            ")".repeat(MAX_DEPTH - 1)
        );
        assert!(x(&ok).starts_with("(a (expand (a"));
        let filter = format!(
            "a($expand={}b($filter={}c))",
            "a($expand=".repeat(40),
            "(".repeat(40)
        );
        assert!(x(&filter).starts_with("DepthLimit"));
    }
}
