//! Property tests: generated trees round-trip through `Display`
//! (`parse(print(t)) == t`), and arbitrary input never panics or yields
//! `ErrorKind::Internal`.

use odata_parser::ast::expr::{Args, BinaryOp, Expr, FunctionCall, Lambda, LambdaPredicate, MemberPath, Quantifier};
use odata_parser::ast::{AggregateExpr, AggregateMethod, AggregateSource, ExpandItem, OrderByExpr, OrderByItem, Transformation};
use odata_parser::ast::{Literal, Parens, QueryOptions, ResourcePath, Segment, SelectItem};
use odata_parser::span::SourceSpan;
use odata_parser::{parse_apply, parse_expand, parse_filter, parse_literal, parse_orderby, parse_query, parse_resource_path, ErrorKind, ParseError};
use proptest::prelude::*;
use uuid::Uuid;

/// Words the `$filter` grammar reads as keywords or literals, so never member names.
const RESERVED: [&str; 12] = ["null", "true", "false", "not", "and", "or", "eq", "ne", "gt", "ge", "lt", "le"];

/// odataIdentifier
fn identifier() -> impl Strategy<Value = String> {
    "[A-Za-z_][A-Za-z0-9_]{0,8}".prop_filter("reserved word", |s| !RESERVED.contains(&s.as_str()))
}

/// qualifiedName
fn qualified_name() -> impl Strategy<Value = String> {
    prop::collection::vec(identifier(), 1..4).prop_map(|parts| parts.join("."))
}

/// Decimal text in the forms the parser keeps (suffix dropped).
fn decimal_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (any::<i32>(), 0u32..1_000_000).prop_map(|(i, f)| format!("{i}.{f}")),
        (any::<i16>(), "[eE]", "[+-]?", 0u8..40).prop_map(|(m, e, s, x)| format!("{m}{e}{s}{x}")),
        (0u64..u64::MAX).prop_map(|n| n.to_string()),
        "[1-9][0-9]{19,25}",
    ]
}

fn date() -> impl Strategy<Value = String> {
    (1000u32..9999, 1u32..=12, 1u32..=31).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
}

fn date_time_offset() -> impl Strategy<Value = String> {
    let offset = prop_oneof![Just("Z".to_string()), ("[+-]", 0u32..24, 0u32..60).prop_map(|(s, h, m)| format!("{s}{h:02}:{m:02}"))];
    let seconds = prop_oneof![Just(String::new()), (0u32..60).prop_map(|s| format!(":{s:02}")), (0u32..60, "[0-9]{1,12}").prop_map(|(s, f)| format!(":{s:02}.{f}"))];
    (date(), 0u32..24, 0u32..60, seconds, offset).prop_map(|(d, h, m, s, o)| format!("{d}T{h:02}:{m:02}{s}{o}"))
}

fn json() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        "[a-z ]{0,5}".prop_map(|s| format!("\"{s}\"")),
        "[a-z()/]{0,5}".prop_map(|s| format!("'{s}'")),
        any::<i32>().prop_map(|n| n.to_string()),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(("[a-z@.]{1,6}", inner), 0..3)
                .prop_map(|v| format!("{{{}}}", v.iter().map(|(k, v)| format!("'{k}':{v}")).collect::<Vec<_>>().join(","))),
        ]
    })
    .prop_filter("arrays and objects only", |s| s.starts_with(['[', '{']))
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        Just(Literal::Null),
        any::<bool>().prop_map(Literal::Boolean),
        any::<i64>().prop_map(Literal::Integer),
        decimal_text().prop_map(Literal::Decimal),
        any::<String>().prop_map(Literal::String),
        any::<u128>().prop_map(|n| Literal::Guid(Uuid::from_u128(n))),
        date().prop_map(Literal::Date),
        date_time_offset().prop_map(Literal::DateTimeOffset),
        identifier().prop_map(Literal::Alias),
        (qualified_name(), any::<String>()).prop_map(|(type_name, value)| Literal::Enum { type_name, value }),
        json().prop_map(Literal::Json),
    ]
}

fn parens() -> impl Strategy<Value = Parens> {
    prop_oneof![
        Just(Parens::Empty),
        literal().prop_map(Parens::Single),
        prop::collection::vec((identifier(), literal()), 1..4).prop_map(Parens::Named),
    ]
}

fn segment() -> impl Strategy<Value = Segment> {
    prop_oneof![
        4 => (qualified_name(), prop::option::of(parens())).prop_map(|(name, parens)| Segment::Identifier { name, parens }),
        1 => prop_oneof![Just(Segment::Ref), Just(Segment::Value), Just(Segment::Count), Just(Segment::Metadata), Just(Segment::Batch)],
    ]
}

fn member() -> impl Strategy<Value = MemberPath> {
    prop::collection::vec(qualified_name(), 1..4).prop_map(|segments| MemberPath { segments, span: SourceSpan::default() })
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![literal().prop_map(Expr::Literal), member().prop_map(Expr::Member)];
    leaf.prop_recursive(4, 24, 3, |inner| {
        let op = prop_oneof![
            Just(BinaryOp::Or), Just(BinaryOp::And), Just(BinaryOp::Eq), Just(BinaryOp::Ne),
            Just(BinaryOp::Gt), Just(BinaryOp::Ge), Just(BinaryOp::Lt), Just(BinaryOp::Le),
        ];
        let call = |args| FunctionCall { name: String::new(), args, span: SourceSpan::default() };
        prop_oneof![
            (op, inner.clone(), inner.clone()).prop_map(|(op, l, r)| Expr::Binary { op, left: Box::new(l), right: Box::new(r) }),
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            (qualified_name(), prop::collection::vec(inner.clone(), 0..3))
                .prop_map(move |(name, args)| Expr::Call(FunctionCall { name, ..call(Args::Positional(args)) })),
            (qualified_name(), prop::collection::vec((identifier(), inner.clone()), 1..3))
                .prop_map(move |(name, args)| Expr::Call(FunctionCall { name, ..call(Args::Named(args)) })),
            (member(), any::<bool>(), prop::option::of((identifier(), inner))).prop_map(|(collection, all, predicate)| {
                let quantifier = if all && predicate.is_some() { Quantifier::All } else { Quantifier::Any };
                let predicate = predicate.map(|(variable, body)| LambdaPredicate { variable, body: Box::new(body) });
                Expr::Lambda(Lambda { collection, quantifier, predicate })
            }),
        ]
    })
}

fn orderby_item() -> impl Strategy<Value = OrderByItem> {
    let expr = prop_oneof![member().prop_map(OrderByExpr::Member), identifier().prop_map(OrderByExpr::Alias)];
    (expr, any::<bool>()).prop_map(|(expr, descending)| OrderByItem { expr, descending, span: SourceSpan::default() })
}

fn select_item() -> impl Strategy<Value = SelectItem> {
    prop_oneof![Just(SelectItem::Star), identifier().prop_map(SelectItem::Property)]
}

/// An optional non-empty list.
fn list<S: Strategy>(item: S) -> impl Strategy<Value = Option<Vec<S::Value>>> {
    prop::option::of(prop::collection::vec(item, 1..3))
}

/// Expand items nested up to three levels; `$ref` items never have options.
fn expand_item() -> impl Strategy<Value = ExpandItem> {
    let leaf = (identifier(), any::<bool>()).prop_map(|(nav, is_ref)| ExpandItem { nav, is_ref, ..ExpandItem::default() });
    leaf.prop_recursive(3, 12, 3, |inner| {
        let refused = prop::sample::subsequence(vec!["skip", "count", "search", "levels"], 0..3);
        (identifier(), list(select_item()), prop::option::of(expr()), list(orderby_item()), prop::option::of(any::<u64>()), list(inner), refused)
            .prop_map(|(nav, select, filter, orderby, top, expand, refused)| ExpandItem {
                nav, select, filter, orderby, top, expand,
                unsupported: refused.into_iter().map(String::from).collect(),
                ..ExpandItem::default()
            })
    })
}

fn aggregate_expr() -> impl Strategy<Value = AggregateExpr> {
    let method = prop::sample::select(AggregateMethod::ALL.to_vec());
    (prop::option::of((member(), method)), identifier()).prop_map(|(source, alias)| {
        let (source, method) = match source {
            Some((path, method)) => (AggregateSource::Property(path), Some(method)),
            None => (AggregateSource::Count, None),
        };
        AggregateExpr { source, method, alias, span: SourceSpan::default() }
    })
}

fn transformation() -> impl Strategy<Value = Transformation> {
    let aggregates = |min| prop::collection::vec(aggregate_expr(), min..3);
    prop_oneof![
        expr().prop_map(Transformation::Filter),
        (prop::collection::vec(member(), 1..3), aggregates(0)).prop_map(|(properties, aggregate)| Transformation::GroupBy { properties, aggregate }),
        aggregates(1).prop_map(Transformation::Aggregate),
    ]
}

/// The canonical text of a list-valued option: the items' `Display` joined by `separator`.
fn joined<T: std::fmt::Display>(items: &[T], separator: &str) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(separator)
}

fn query_options() -> impl Strategy<Value = QueryOptions> {
    let item = select_item();
    let text = || prop::option::of(any::<String>());
    let pair = || prop::collection::vec(("[A-Za-z0-9_]{0,6}", any::<String>()), 0..3);
    (prop::option::of(prop::collection::vec(item, 1..4)), text(), text(), text(), prop::option::of(any::<u64>()), prop::option::of(any::<bool>()), text(), text(), text(), prop::sample::subsequence(vec!["skip", "search", "format", "levels", "compute"], 0..3), pair(), pair())
        .prop_map(|(select, filter, orderby, expand, top, count, skiptoken, deltatoken, apply, unsupported, aliases, custom)| QueryOptions {
            select, filter, orderby, expand, top, count, skiptoken, deltatoken, apply, id: None,
            unsupported: unsupported.into_iter().map(String::from).collect(),
            aliases,
            custom,
        })
}

/// Fails the property if `result` is an internal error.
fn no_internal<T>(result: Result<T, ParseError>) -> Result<(), TestCaseError> {
    if let Err(e) = result {
        prop_assert_ne!(e.kind(), &ErrorKind::Internal, "{}", e);
        let _ = e.to_string();
    }
    Ok(())
}

/// Text made of the grammar's own characters, which reaches deeper than random Unicode.
const GRAMMAR_CHARS: &str = "[a-zA-Z0-9_ '()/$@,;=.{}\\[\\]\"%:+*&-]{0,48}";

proptest! {
    #[test]
    fn literals_round_trip(l in literal()) {
        prop_assert_eq!(parse_literal(&l.to_string()), Ok(l));
    }

    #[test]
    fn paths_round_trip(segments in prop::collection::vec(segment(), 0..5)) {
        let path = ResourcePath { segments };
        let printed = path.to_string();
        prop_assert_eq!(parse_resource_path(&printed), Ok(path), "printed: {}", printed);
    }

    #[test]
    fn filters_round_trip(e in expr()) {
        let printed = e.to_string();
        prop_assert_eq!(parse_filter(&printed), Ok(e), "printed: {}", printed);
    }

    #[test]
    fn orderby_round_trips(items in prop::collection::vec(orderby_item(), 1..4)) {
        let printed = joined(&items, ",");
        prop_assert_eq!(parse_orderby(&printed), Ok(items), "printed: {}", printed);
    }

    #[test]
    fn expand_round_trips(items in prop::collection::vec(expand_item(), 1..3)) {
        let printed = joined(&items, ",");
        prop_assert_eq!(parse_expand(&printed), Ok(items), "printed: {}", printed);
    }

    #[test]
    fn apply_round_trips(steps in prop::collection::vec(transformation(), 1..3)) {
        let printed = joined(&steps, "/");
        prop_assert_eq!(parse_apply(&printed), Ok(steps), "printed: {}", printed);
    }

    #[test]
    fn query_options_round_trip(options in query_options()) {
        let printed = options.to_string();
        prop_assert_eq!(parse_query(&printed), Ok(options), "printed: {}", printed);
    }

    #[test]
    fn arbitrary_strings_never_fail_internally(s in any::<String>()) {
        no_internal(parse_resource_path(&s))?;
        no_internal(parse_query(&s))?;
        no_internal(parse_filter(&s))?;
        no_internal(parse_literal(&s))?;
        no_internal(parse_orderby(&s))?;
        no_internal(parse_expand(&s))?;
        no_internal(parse_apply(&s))?;
    }

    #[test]
    fn grammar_soup_never_fails_internally(s in GRAMMAR_CHARS) {
        no_internal(parse_resource_path(&s))?;
        no_internal(parse_query(&s))?;
        no_internal(parse_filter(&s))?;
        no_internal(parse_literal(&s))?;
        no_internal(parse_orderby(&s))?;
        no_internal(parse_expand(&s))?;
        no_internal(parse_apply(&s))?;
    }

    #[test]
    fn mutated_valid_input_never_fails_internally(segments in prop::collection::vec(segment(), 1..4), e in expr(), at in any::<prop::sample::Index>(), cut in 0usize..4) {
        for text in [ResourcePath { segments }.to_string(), e.to_string()] {
            // Drop a few bytes somewhere to hit half-finished rules.
            let broken = drop_bytes(&text, at.index(text.len() + 1), cut);
            no_internal(parse_resource_path(&broken))?;
            no_internal(parse_filter(&broken))?;
            no_internal(parse_literal(&broken))?;
        }
    }

    #[test]
    fn mutated_options_never_fail_internally(orderby in orderby_item(), expand in expand_item(), apply in transformation(), at in any::<prop::sample::Index>(), cut in 0usize..4) {
        for text in [orderby.to_string(), expand.to_string(), apply.to_string()] {
            let broken = drop_bytes(&text, at.index(text.len() + 1), cut);
            no_internal(parse_orderby(&broken))?;
            no_internal(parse_expand(&broken))?;
            no_internal(parse_apply(&broken))?;
        }
    }
}

/// `text` without `n` bytes from `at` (both moved to char boundaries).
fn drop_bytes(text: &str, at: usize, n: usize) -> String {
    let mut i = at.min(text.len());
    while !text.is_char_boundary(i) { i -= 1; }
    let mut j = (i + n).min(text.len());
    while !text.is_char_boundary(j) { j += 1; }
    format!("{}{}", &text[..i], &text[j..])
}

/// The same for list-valued options, printed as the items joined by `separator`.
fn reparses_list<T: PartialEq + std::fmt::Debug + std::fmt::Display>(
    text: &str,
    parse: impl Fn(&str) -> Result<Vec<T>, ParseError>,
    separator: &str,
) -> Result<(), TestCaseError> {
    if let Ok(items) = parse(text) {
        let printed = joined(&items, separator);
        prop_assert_eq!(parse(&printed), Ok(items), "input {:?} printed as {:?}", text, printed);
    }
    Ok(())
}

/// `parse(print(parse(s))) == parse(s)` for whatever `parse` accepts.
fn reparses<T: PartialEq + std::fmt::Debug + std::fmt::Display>(
    text: &str,
    parse: impl Fn(&str) -> Result<T, ParseError>,
) -> Result<(), TestCaseError> {
    if let Ok(tree) = parse(text) {
        let printed = tree.to_string();
        prop_assert_eq!(parse(&printed), Ok(tree), "input {:?} printed as {:?}", text, printed);
    }
    Ok(())
}

/// Tokens of `$orderby`, `$expand` and `$apply`, joined at random by [`option_soup`].
const OPTION_TOKENS: [&str; 32] = [
    "a", "b/c", "@p", " ", ",", ";", "/", "(", ")", "'x;)'", "1", " asc", " desc", "$ref",
    "$select=", "$filter=", "$orderby=", "$top=", "$expand=", "$skip=", "$count", "$levels=",
    " eq ", " and ", "filter(", "groupby((", "aggregate(", " with ", "sum", " as ", "=", "\"",
];

/// Text made of grammar tokens rather than characters, to get past the first rule.
fn option_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(OPTION_TOKENS.to_vec()), 0..24).prop_map(|t| t.concat())
}

proptest! {
    #[test]
    fn option_soup_never_fails_internally_and_round_trips(s in option_soup()) {
        no_internal(parse_orderby(&s))?;
        no_internal(parse_expand(&s))?;
        no_internal(parse_apply(&s))?;
        reparses_list(&s, parse_orderby, ",")?;
        reparses_list(&s, parse_expand, ",")?;
        reparses_list(&s, parse_apply, "/")?;
    }

    #[test]
    fn accepted_input_round_trips(s in GRAMMAR_CHARS) {
        reparses(&s, parse_resource_path)?;
        reparses(&s, parse_query)?;
        reparses(&s, parse_filter)?;
        reparses(&s, parse_literal)?;
        reparses_list(&s, parse_orderby, ",")?;
        reparses_list(&s, parse_expand, ",")?;
        reparses_list(&s, parse_apply, "/")?;
    }
}
