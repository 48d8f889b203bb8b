//! `$apply` (the OData Aggregation extension's `apply`), in the subset Dataverse
//! supports: `filter`, `groupby` and `aggregate` steps separated by `/`. Produces
//! [`Transformation`]s.

use nom::character::complete::one_of;
use nom::sequence::preceded;

use super::expr::{parse_bool_common_expr, prefer_unterminated};
use super::lexical::{parse_identifier, parse_keyword};
use super::orderby::parse_member_path;
use super::{cut_expect, error, failure, parse_bws, parse_rws, run, sym, IResult};
use crate::ast::{AggregateExpr, AggregateMethod, AggregateSource, Transformation};
use crate::error::{Context, ErrorKind, ParseError};
use crate::span::{SourceSpan, Span};

/// What an aggregate method must be.
const METHOD: &str = "'sum', 'min', 'max', 'average' or 'countdistinct'";

/// Parses a decoded `$apply` value; see [`crate::parse_apply`].
pub(crate) fn apply(text: &str) -> Result<Vec<Transformation>, ParseError> {
    let whole = |input| {
        let (input, _) = parse_bws(input)?;
        parse_apply(input)
    };
    run(text, Context::Expression, "'/' or the end of $apply", whole)
        .map_err(|e| prefer_unterminated(text, e))
}

/// apply = transformation *( BWS "/" BWS transformation ) BWS
fn parse_apply(input: Span<'_>) -> IResult<'_, Vec<Transformation>> {
    let mut steps = Vec::new();
    let mut rest = input;
    loop {
        let (after, step) = parse_transformation(rest)?;
        steps.push(step);
        rest = parse_bws(after)?.0;
        let Ok((after, _)) = sym('/')(rest) else {
            return Ok((rest, steps));
        };
        rest = parse_bws(after)?.0;
    }
}

/// transformation = filterTrafo / groupbyTrafo / aggregateTrafo
fn parse_transformation(input: Span<'_>) -> IResult<'_, Transformation> {
    let what = "'filter', 'groupby' or 'aggregate'";
    let (rest, name) = cut_expect(what, parse_identifier)(input)?;
    match *name.fragment() {
        "filter" => parse_filter_trafo(rest),
        "groupby" => parse_groupby_trafo(rest),
        "aggregate" => {
            let (rest, aggregate) = parse_aggregate_list(rest)?;
            Ok((rest, Transformation::Aggregate(aggregate)))
        }
        _ => failure(input, name.len(), ErrorKind::Expected(what)),
    }
}

/// filterTrafo = "filter" "(" BWS boolCommonExpr BWS ")"
fn parse_filter_trafo(input: Span<'_>) -> IResult<'_, Transformation> {
    let (rest, _) = cut_expect("'('", sym('('))(input)?;
    let (rest, _) = parse_bws(rest)?;
    let (rest, expr) = cut_expect("an expression", |i| parse_bool_common_expr(i, 1))(rest)?;
    let (rest, _) = parse_bws(rest)?;
    let (rest, _) = cut_expect("')' or an operator", sym(')'))(rest)?;
    Ok((rest, Transformation::Filter(expr)))
}

/// groupbyTrafo = "groupby" "(" BWS groupingList [ BWS "," BWS "aggregate" aggregateList ] BWS ")"
/// groupingList = "(" BWS memberPath *( BWS "," BWS memberPath ) BWS ")"
fn parse_groupby_trafo(input: Span<'_>) -> IResult<'_, Transformation> {
    let (rest, _) = cut_expect("'('", sym('('))(input)?;
    let (rest, _) = parse_bws(rest)?;
    let (rest, properties) = parse_list(rest, "a property path", parse_member_path)?;
    let (rest, _) = parse_bws(rest)?;
    let (rest, aggregate, close) = match sym(',')(rest) {
        Ok((after, _)) => {
            let (after, _) = parse_bws(after)?;
            let (after, _) = cut_expect("'aggregate'", parse_keyword("aggregate"))(after)?;
            let (after, aggregate) = parse_aggregate_list(after)?;
            (parse_bws(after)?.0, aggregate, "')'")
        }
        Err(_) => (rest, Vec::new(), "')' or ','"),
    };
    let (rest, _) = cut_expect(close, sym(')'))(rest)?;
    let groupby = Transformation::GroupBy {
        properties,
        aggregate,
    };
    Ok((rest, groupby))
}

/// aggregateTrafo = "aggregate" aggregateList
/// aggregateList  = "(" BWS aggregateExpr *( BWS "," BWS aggregateExpr ) BWS ")"
fn parse_aggregate_list(input: Span<'_>) -> IResult<'_, Vec<AggregateExpr>> {
    parse_list(input, "a property path or '$count'", parse_aggregate_expr)
}

/// "(" BWS item *( BWS "," BWS item ) BWS ")"   ; committed from the "("
fn parse_list<'a, T>(
    input: Span<'a>,
    what: &'static str,
    mut item: impl FnMut(Span<'a>) -> IResult<'a, T>,
) -> IResult<'a, Vec<T>> {
    let (mut rest, _) = cut_expect("'('", sym('('))(input)?;
    let mut items = Vec::new();
    loop {
        rest = parse_bws(rest)?.0;
        let (after, value) = cut_expect(what, &mut item)(rest)?;
        items.push(value);
        rest = parse_bws(after)?.0;
        let (after, separator) = cut_expect("')' or ','", one_of(",)"))(rest)?;
        rest = after;
        if separator == ')' {
            return Ok((rest, items));
        }
    }
}

/// aggregateExpr = ( memberPath RWS "with" RWS aggregateMethod / "$count" )
///                 RWS "as" RWS odataIdentifier
fn parse_aggregate_expr(input: Span<'_>) -> IResult<'_, AggregateExpr> {
    let (rest, source, method) = match parse_keyword("$count")(input) {
        Ok((rest, _)) => (rest, AggregateSource::Count, None),
        Err(_) => {
            let (rest, path) = parse_member_path(input)?;
            let (rest, _) = rws_then("'with'", parse_keyword("with"))(rest)?;
            let (rest, method) = rws_then(METHOD, parse_aggregate_method)(rest)?;
            (rest, AggregateSource::Property(path), Some(method))
        }
    };
    let (rest, _) = rws_then("'as'", parse_keyword("as"))(rest)?;
    let (rest, alias) = rws_then("an alias", parse_identifier)(rest)?;
    let span = SourceSpan::between(&input, &rest);
    let alias = alias.fragment().to_string();
    Ok((
        rest,
        AggregateExpr {
            source,
            method,
            alias,
            span,
        },
    ))
}

/// aggregateMethod = "sum" / "min" / "max" / "average" / "countdistinct"
fn parse_aggregate_method(input: Span<'_>) -> IResult<'_, AggregateMethod> {
    for method in AggregateMethod::ALL {
        if let Ok((rest, _)) = parse_keyword(method.keyword())(input) {
            return Ok((rest, method));
        }
    }
    error(input, 0, ErrorKind::Expected(METHOD))
}

/// RWS `parser`: both committed; a missing space or a wrong word is `Expected(what)`.
fn rws_then<'a, O>(
    what: &'static str,
    parser: impl FnMut(Span<'a>) -> IResult<'a, O>,
) -> impl FnMut(Span<'a>) -> IResult<'a, O> {
    preceded(cut_expect(what, parse_rws), cut_expect(what, parser))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::test_render;
    use crate::span::new_span;

    /// Renders the steps as S-expressions, or the error as `kind@offset`.
    fn a(s: &str) -> String {
        match apply(s) {
            Ok(steps) => steps
                .iter()
                .map(Transformation::to_sexpr)
                .collect::<Vec<_>>()
                .join(" "),
            Err(e) => format!("{:?}@{}", e.kind(), e.offset()),
        }
    }

    #[test]
    fn apply_steps() {
        assert_eq!(
            a(" filter(a eq 1) / aggregate($count as n) "),
            "(filter (eq a 1)) (aggregate ($count n))"
        );
        assert_eq!(
            a("filter(a eq 1)/"),
            "Expected(\"'filter', 'groupby' or 'aggregate'\")@15"
        );
        assert_eq!(
            a("compute(a)"),
            "Expected(\"'filter', 'groupby' or 'aggregate'\")@0"
        );
        assert_eq!(a("filter (a)"), "Expected(\"'('\")@6");
        assert_eq!(a("filter(a eq 'O'Brien')"), "UnterminatedString@20");
        assert_eq!(
            a("filter(a) x"),
            "Expected(\"'/' or the end of $apply\")@10"
        );
    }

    #[test]
    fn groupby() {
        assert_eq!(a("groupby(( a , b/c ))"), "(groupby (a b/c))");
        assert_eq!(
            a("groupby((a), aggregate(x with sum as s))"),
            "(groupby (a) (aggregate (sum x s)))"
        );
        assert_eq!(a("groupby(a)"), "Expected(\"'('\")@8");
        assert_eq!(a("groupby(())"), "Expected(\"a property path\")@9");
        assert_eq!(a("groupby((a) x"), "Expected(\"')' or ','\")@12");
        assert_eq!(a("groupby((a),x)"), "Expected(\"'aggregate'\")@12");
        assert_eq!(
            a("groupby((a),aggregate($count as n)"),
            "Expected(\"')'\")@34"
        );
    }

    #[test]
    fn aggregate_expr() {
        let e = |s| test_render(parse_aggregate_expr(new_span(s)), AggregateExpr::to_sexpr);
        assert_eq!(
            e("a/b with countdistinct as n)"),
            "(countdistinct a/b n) | )"
        );
        assert_eq!(e("$count  as\tn"), "($count n)");
        assert_eq!(
            e("a with avg as n"),
            "Expected(\"'sum', 'min', 'max', 'average' or 'countdistinct'\")@7"
        );
        assert_eq!(
            e("a with sumx as n"),
            "Expected(\"'sum', 'min', 'max', 'average' or 'countdistinct'\")@7"
        );
        assert_eq!(e("a)"), "Expected(\"'with'\")@1");
        assert_eq!(e("a as n"), "Expected(\"'with'\")@2");
        assert_eq!(e("$count with sum as n"), "Expected(\"'as'\")@7");
        assert_eq!(e("$count as"), "Expected(\"an alias\")@9");
        assert_eq!(e("$count as 1"), "Expected(\"an alias\")@10");
        assert_eq!(e("$countx as n"), "Expected(\"an identifier\")@0");
    }
}
