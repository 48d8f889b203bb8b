//! `$filter` expressions (`boolCommonExpr`), by precedence:
//! `or` < `and` < `eq`/`ne` < `gt`/`ge`/`lt`/`le` < `not` < operands. Produces [`Expr`].

use nom::character::complete::one_of;
use nom::combinator::peek;
use nom::sequence::tuple;
use nom::Err;

use super::lexical::{parse_identifier, parse_keyword, parse_qualified_name};
use super::literal::parse_literal;
use super::{cut_expect, expect, failure, guard_depth, parse_bws, run, sym, IResult};
use crate::ast::expr::{
    Args, BinaryOp, Expr, FunctionCall, Lambda, LambdaPredicate, MemberPath, Quantifier,
};
use crate::error::{Context, ErrorKind, ParseError};
use crate::span::{SourceSpan, Span};

/// Parses a decoded `$filter` value; see [`crate::parse_filter`].
pub(crate) fn filter(text: &str) -> Result<Expr, ParseError> {
    let whole = |input| {
        let (input, _) = parse_bws(input)?;
        let (input, expr) = expect("an expression", |i| parse_bool_common_expr(i, 0))(input)?;
        let (input, _) = parse_bws(input)?;
        Ok((input, expr))
    };
    run(
        text,
        Context::Expression,
        "an operator or the end of the expression",
        whole,
    )
    .map_err(|e| prefer_unterminated(text, e))
}

/// ODL lexes a token or two past the point where parsing fails, so an unterminated
/// string after it wins over the syntax error: `lastname eq 'O'Bryan'` reports the
/// quote that never closes, not the stray `Bryan`. For every entry point with `$filter`s.
pub(crate) fn prefer_unterminated(text: &str, e: ParseError) -> ParseError {
    match e.kind() {
        ErrorKind::Expected(_) => unterminated_from(text, e.offset()).unwrap_or(e),
        _ => e,
    }
}

fn unterminated_from(text: &str, from: usize) -> Option<ParseError> {
    let mut open = None;
    let mut chars = text.get(from..)?.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match (c, open) {
            ('\'', None) => open = Some(from + i),
            ('\'', Some(_)) if chars.peek().is_some_and(|&(_, n)| n == '\'') => {
                chars.next();
            }
            ('\'', Some(_)) => open = None,
            _ => {}
        }
    }
    let start = open?;
    Some(ParseError::new(
        ErrorKind::UnterminatedString,
        start,
        text.len() - start,
        text,
        Context::Expression,
    ))
}

type Rule = for<'a> fn(Span<'a>, usize) -> IResult<'a, Expr>;

/// Left-associative chain: `next *( BWS op BWS next )`.
fn parse_chain<'a>(
    input: Span<'a>,
    depth: usize,
    ops: &[BinaryOp],
    next: Rule,
) -> IResult<'a, Expr> {
    let (mut rest, mut left) = next(input, depth)?;
    loop {
        let Some((after, op)) = parse_operator(rest, ops) else {
            return Ok((rest, left));
        };
        // After an operator the parser is committed: `name eq` needs an operand.
        let (after, right) = cut_expect("an expression", |i| next(i, depth))(after)?;
        left = Expr::Binary {
            op,
            left: Box::new(left),
            right: Box::new(right),
        };
        rest = after;
    }
}

/// BWS operatorKeyword BWS, for one of `ops`.
fn parse_operator<'a>(input: Span<'a>, ops: &[BinaryOp]) -> Option<(Span<'a>, BinaryOp)> {
    let (rest, _) = parse_bws(input).ok()?;
    ops.iter().find_map(|&op| {
        let (after, _) = parse_keyword(op.keyword())(rest).ok()?;
        let (after, _) = parse_bws(after).ok()?;
        Some((after, op))
    })
}

/// boolCommonExpr = andExpr *( RWS "or" RWS andExpr )   ; orExpr
pub(crate) fn parse_bool_common_expr(input: Span<'_>, depth: usize) -> IResult<'_, Expr> {
    guard_depth(input, depth)?;
    parse_chain(input, depth, &[BinaryOp::Or], parse_and)
}

/// andExpr = equalityExpr *( RWS "and" RWS equalityExpr )
fn parse_and(input: Span<'_>, depth: usize) -> IResult<'_, Expr> {
    parse_chain(input, depth, &[BinaryOp::And], parse_equality)
}

/// equalityExpr = relationalExpr *( RWS ( "eq" / "ne" ) RWS relationalExpr )
fn parse_equality(input: Span<'_>, depth: usize) -> IResult<'_, Expr> {
    parse_chain(
        input,
        depth,
        &[BinaryOp::Eq, BinaryOp::Ne],
        parse_relational,
    )
}

/// relationalExpr = unaryExpr *( RWS ( "gt" / "ge" / "lt" / "le" ) RWS unaryExpr )
fn parse_relational(input: Span<'_>, depth: usize) -> IResult<'_, Expr> {
    let ops = [BinaryOp::Gt, BinaryOp::Ge, BinaryOp::Lt, BinaryOp::Le];
    parse_chain(input, depth, &ops, parse_unary)
}

/// unaryExpr = "not" BWS unaryExpr / primaryExpr   ; notExpr
fn parse_unary(input: Span<'_>, depth: usize) -> IResult<'_, Expr> {
    let Ok((rest, _)) = parse_keyword("not")(input) else {
        return parse_primary(input, depth);
    };
    guard_depth(input, depth + 1)?;
    let (rest, _) = parse_bws(rest)?;
    let (rest, operand) = cut_expect("an expression", |i| parse_unary(i, depth + 1))(rest)?;
    Ok((rest, Expr::Not(Box::new(operand))))
}

/// primaryExpr = parenExpr / literal / functionCall / memberPath [ "/" lambda ]
fn parse_primary(input: Span<'_>, depth: usize) -> IResult<'_, Expr> {
    if input.starts_with('(') {
        return parse_paren(input, depth);
    }
    match parse_literal(input) {
        Ok((rest, literal)) => Ok((rest, Expr::Literal(literal))),
        Err(Err::Error(_)) => parse_member_or_call(input, depth),
        Err(e) => Err(e),
    }
}

/// parenExpr = "(" BWS boolCommonExpr BWS ")"
fn parse_paren(input: Span<'_>, depth: usize) -> IResult<'_, Expr> {
    let (rest, _) = sym('(')(input)?;
    let (rest, _) = parse_bws(rest)?;
    let (rest, expr) = cut_expect("an expression", |i| parse_bool_common_expr(i, depth + 1))(rest)?;
    let (rest, _) = parse_bws(rest)?;
    let (rest, _) = cut_expect("')' or an operator", sym(')'))(rest)?;
    Ok((rest, expr))
}

/// memberPath   = qualifiedName *( "/" qualifiedName )
/// functionCall = qualifiedName "(" …   (see parse_call)
fn parse_member_or_call(input: Span<'_>, depth: usize) -> IResult<'_, Expr> {
    let (mut rest, first) = expect("an expression", parse_qualified_name)(input)?;
    if rest.starts_with('(') {
        return parse_call(input, first.fragment(), rest, depth);
    }
    let mut segments = vec![first.fragment().to_string()];
    while let Ok((after_slash, _)) = sym('/')(rest) {
        for (word, quantifier) in [("any", Quantifier::Any), ("all", Quantifier::All)] {
            match parse_keyword(word)(after_slash) {
                Ok((paren, _)) if paren.starts_with('(') => {
                    let collection = MemberPath {
                        segments,
                        span: SourceSpan::between(&input, &rest),
                    };
                    return parse_lambda(collection, quantifier, paren, depth);
                }
                _ => {}
            }
        }
        let (after, segment) = cut_expect("a property name", parse_qualified_name)(after_slash)?;
        if after.starts_with('(') {
            // Bound functions on a member path are not part of Dataverse's $filter.
            return failure(after, 1, ErrorKind::UnexpectedCharacter('('));
        }
        segments.push(segment.fragment().to_string());
        rest = after;
    }
    let span = SourceSpan::between(&input, &rest);
    Ok((rest, Expr::Member(MemberPath { segments, span })))
}

/// functionCall = qualifiedName "(" BWS [ args ] BWS ")"
/// args         = boolCommonExpr *( BWS "," BWS boolCommonExpr )
///              / namedArg *( BWS "," BWS namedArg )
/// namedArg     = odataIdentifier BWS "=" BWS boolCommonExpr
fn parse_call<'a>(start: Span<'a>, name: &str, input: Span<'a>, depth: usize) -> IResult<'a, Expr> {
    guard_depth(input, depth + 1)?;
    let (rest, _) = sym('(')(input)?;
    let (mut rest, _) = parse_bws(rest)?;
    let named = peek(tuple((parse_identifier, parse_bws, sym('='))))(rest).is_ok();
    let (mut positional, mut named_args) = (Vec::new(), Vec::new());
    if let Ok((after, _)) = sym(')')(rest) {
        rest = after;
    } else {
        let value = |i| cut_expect("an expression", |i| parse_bool_common_expr(i, depth + 1))(i);
        loop {
            if named {
                let (after, arg) = cut_expect("a parameter name", parse_identifier)(rest)?;
                let (after, _) = parse_bws(after)?;
                let (after, _) = cut_expect("'='", sym('='))(after)?;
                let (after, _) = parse_bws(after)?;
                let (after, arg_value) = value(after)?;
                named_args.push((arg.fragment().to_string(), arg_value));
                rest = after;
            } else {
                let (after, arg_value) = value(rest)?;
                positional.push(arg_value);
                rest = after;
            }
            let (after, _) = parse_bws(rest)?;
            let (after, separator) = cut_expect("')' or ','", one_of(",)"))(after)?;
            if separator == ')' {
                rest = after;
                break;
            }
            rest = parse_bws(after)?.0;
        }
    }
    let args = if named {
        Args::Named(named_args)
    } else {
        Args::Positional(positional)
    };
    let span = SourceSpan::between(&start, &rest);
    Ok((
        rest,
        Expr::Call(FunctionCall {
            name: name.to_owned(),
            args,
            span,
        }),
    ))
}

/// lambda = ( "any" / "all" ) "(" BWS [ lambdaVariableExpr BWS ":" BWS lambdaPredicateExpr ] BWS ")"
///   ; `any()` without a predicate; `all` needs one
fn parse_lambda<'a>(
    collection: MemberPath,
    quantifier: Quantifier,
    input: Span<'a>,
    depth: usize,
) -> IResult<'a, Expr> {
    guard_depth(input, depth + 1)?;
    let (rest, _) = sym('(')(input)?;
    let (rest, _) = parse_bws(rest)?;
    let (rest, predicate) = match sym(')')(rest) {
        Ok((rest, _)) if quantifier == Quantifier::Any => (rest, None),
        _ => {
            let (rest, variable) = cut_expect("a lambda variable", parse_identifier)(rest)?;
            let (rest, _) = parse_bws(rest)?;
            let (rest, _) = cut_expect("':'", sym(':'))(rest)?;
            let (rest, _) = parse_bws(rest)?;
            let (rest, body) =
                cut_expect("an expression", |i| parse_bool_common_expr(i, depth + 1))(rest)?;
            let (rest, _) = parse_bws(rest)?;
            let (rest, _) = cut_expect("')' or an operator", sym(')'))(rest)?;
            let variable = variable.fragment().to_string();
            (
                rest,
                Some(LambdaPredicate {
                    variable,
                    body: Box::new(body),
                }),
            )
        }
    };
    Ok((
        rest,
        Expr::Lambda(Lambda {
            collection,
            quantifier,
            predicate,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::MAX_DEPTH;

    /// Parses and renders as an S-expression, or renders the error as `kind@offset`.
    #[track_caller]
    fn f(s: &str) -> String {
        match filter(s) {
            Ok(expr) => expr.to_sexpr(),
            Err(e) => format!("{:?}@{}", e.kind(), e.offset()),
        }
    }

    #[test]
    fn bool_common_expr_precedence() {
        assert_eq!(
            f("a eq 1 or b eq 2 and c eq 3"),
            "(or (eq a 1) (and (eq b 2) (eq c 3)))"
        );
        assert_eq!(f("a or b or c"), "(or (or a b) c)");
        assert_eq!(f("a gt 1 eq true"), "(eq (gt a 1) true)");
        assert_eq!(f("not a eq b"), "(eq (not a) b)");
        assert_eq!(f("a eq"), "Expected(\"an expression\")@4");
        assert_eq!(f("a eq 1 and"), "Expected(\"an expression\")@10");
        assert_eq!(
            f("a eq 1 b"),
            "Expected(\"an operator or the end of the expression\")@7"
        );
    }

    #[test]
    fn paren_and_not() {
        assert_eq!(f(" ( a eq 1 ) "), "(eq a 1)");
        assert_eq!(f("not(a)"), "(not a)");
        assert_eq!(f("not not a"), "(not (not a))");
        assert_eq!(f("notable eq 1"), "(eq notable 1)");
        assert_eq!(f("(a eq 1"), "Expected(\"')' or an operator\")@7");
        assert_eq!(f("()"), "Expected(\"an expression\")@1");
        assert_eq!(f("not"), "Expected(\"an expression\")@3");
    }

    #[test]
    fn member_and_call() {
        assert_eq!(
            f("primarycontactid/fullname eq 'x'"),
            "(eq primarycontactid/fullname 'x')"
        );
        assert_eq!(f("contains(name, 'a''b')"), "(contains name 'a''b')");
        assert_eq!(
            f("startswith(tolower(name),'x')"),
            "(startswith (tolower name) 'x')"
        );
        assert_eq!(f("now()"), "(now)");
        assert_eq!(
            f("Microsoft.Dynamics.CRM.In(PropertyName='name',PropertyValues=['a','b'])"),
            "(Microsoft.Dynamics.CRM.In PropertyName='name' PropertyValues=(json ['a','b']))"
        );
        assert_eq!(f("contains(name,'x'"), "Expected(\"')' or ','\")@17");
        assert_eq!(f("f(a=1,2)"), "Expected(\"a parameter name\")@6");
        assert_eq!(f("a/b(1)"), "UnexpectedCharacter('(')@3");
        assert_eq!(f("a/"), "Expected(\"a property name\")@2");
    }

    #[test]
    fn lambda() {
        assert_eq!(f("xs/any(c: c/name eq 'x')"), "(any xs c (eq c/name 'x'))");
        assert_eq!(f("a/xs/all(c:c/v gt 1)"), "(all a/xs c (gt c/v 1))");
        assert_eq!(f("xs/any()"), "(any xs)");
        assert_eq!(f("xs/any"), "xs/any");
        assert_eq!(f("xs/all()"), "Expected(\"a lambda variable\")@7");
        assert_eq!(f("xs/any(c c)"), "Expected(\"':'\")@9");
    }

    #[test]
    fn literals_and_errors() {
        assert_eq!(
            f("accountid eq {00000000-0000-0000-0000-000000000001}"),
            "(eq accountid (guid 00000000-0000-0000-0000-000000000001))"
        );
        assert_eq!(
            f("createdon ge 2024-05-01T00:00:00Z"),
            "(ge createdon (datetimeoffset 2024-05-01T00:00:00Z))"
        );
        assert_eq!(f("contains(@p1,'Contoso')"), "(contains @p1 'Contoso')");
        assert_eq!(f("lastname eq 'O'Bryan'"), "UnterminatedString@20");
        assert_eq!(f("a eq 'x"), "UnterminatedString@5");
        assert_eq!(f(""), "Expected(\"an expression\")@0");
        assert_eq!(f("a eq -"), "Expected(\"an expression\")@5");
    }

    #[test]
    fn depth_limit() {
        let deep = format!(
            "{}a{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert!(f(&deep).starts_with("DepthLimit"));
        let ok = format!(
            "{}a{}",
            "(".repeat(MAX_DEPTH - 1),
            ")".repeat(MAX_DEPTH - 1)
        );
        assert_eq!(f(&ok), "a");
        assert!(f(&"not ".repeat(MAX_DEPTH + 1)).starts_with("DepthLimit"));
        assert!(f(&"f(".repeat(MAX_DEPTH + 1)).starts_with("DepthLimit"));
    }
}
