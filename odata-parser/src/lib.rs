//! Syntax-only parser for the OData v4 URL conventions of the Microsoft Dataverse Web
//! API: resource paths, query strings and `$filter` expressions. No I/O and no
//! metadata: whether `accounts` is an entity set or `name` a column is for the caller
//! (the emulator) to decide.
//!
//! ```
//! use odata_parser::{parse_query, parse_resource_path, ast::{Literal, Parens, Segment}};
//!
//! let path = parse_resource_path("contacts(firstname='Joe',emailaddress1='a''b@x.com')/$ref")?;
//! let Segment::Identifier { name, parens: Some(Parens::Named(keys)) } = &path.segments[0] else {
//!     unreachable!()
//! };
//! assert_eq!(name, "contacts");
//! assert_eq!(keys[1], ("emailaddress1".to_string(), Literal::String("a'b@x.com".into())));
//! // Printing gives canonical OData, which parses back to the same tree.
//! assert_eq!(path.to_string(), "contacts(firstname='Joe',emailaddress1='a''b@x.com')/$ref");
//! assert_eq!(parse_resource_path(&path.to_string())?, path);
//!
//! let options = parse_query("$select=name,revenue&$top=3&$filter=name%20eq%20'x'")?;
//! assert_eq!(options.top, Some(3));
//! assert_eq!(options.filter.as_deref(), Some("name eq 'x'"));
//!
//! let error = parse_query("$top=3&$top=4").unwrap_err();
//! assert_eq!(error.kind(), &odata_parser::ErrorKind::DuplicateOption("$top".into()));
//! # Ok::<(), odata_parser::ParseError>(())
//! ```
//!
//! # Grammar
//!
//! The subset of the OData ABNF (`odata-abnf-construction-rules`) Dataverse uses, with
//! the leniencies of Dataverse and its OData library (ODL): `{guid}` braces, legacy
//! number suffixes, JSON parameters kept as text. Each rule below is the doc comment
//! of one `parse_<rule>` function in the private `parser` module, so the code can be
//! checked against the grammar line by line.
//!
//! ```text
//! ; Resource path: after the service root, already percent-decoded
//! resourcePath   = [ "/" ] / segment *( "/" segment ) [ "/" ]
//! segment        = "$metadata" / "$batch" / "$count" / "$ref" / "$value"
//!                / qualifiedName [ parens ]
//! parens         = "(" [ namedValues / value ] ")"
//! namedValues    = namedValue *( "," namedValue )
//! namedValue     = odataIdentifier "=" value
//!
//! ; Literals (key values, function parameters, $filter operands)
//! literal        = primitiveLiteral / parameterAlias / arrayOrObject
//! primitiveLiteral = nullValue / booleanValue / guidValue / dateTimeOffsetValue
//!                / dateValue / decimalValue / int64Value / string / enum
//! string         = SQUOTE *( SQUOTE SQUOTE / <any char but SQUOTE> ) SQUOTE
//! guidValue      = [ "{" ] 8HEXDIG "-" 4HEXDIG "-" 4HEXDIG "-" 4HEXDIG "-" 12HEXDIG [ "}" ]
//! dateValue      = 4DIGIT "-" month "-" day
//! dateTimeOffsetValue = dateValue "T" hour ":" minute [ ":" second [ "." 1*12DIGIT ] ]
//!                  ( "Z" / SIGN hour ":" minute )
//! decimalValue   = [ SIGN ] 1*DIGIT [ "." 1*DIGIT ] [ "e" [ SIGN ] 1*DIGIT ] [ suffix ]
//! suffix         = "M" / "m" / "D" / "d" / "F" / "f" / "L" / "l"
//! enum           = qualifiedName string          ; NS.EntityFilters'All'
//! parameterAlias = "@" odataIdentifier
//! arrayOrObject  = "[" … "]" / "{" … "}"         ; balanced, kept as text
//! qualifiedName  = odataIdentifier *( "." odataIdentifier )
//! odataIdentifier = ( ALPHA / "_" ) *( ALPHA / DIGIT / "_" )
//!
//! ; Query string: raw, split on "&", names and values percent-decoded ("+" is a plus)
//! query          = [ option *( "&" option ) ]
//! option         = name [ "=" value ]
//! select         = BWS selectItem *( BWS "," BWS selectItem ) BWS  ; in $expand: up to ";" / ")"
//! selectItem     = "*" / odataIdentifier
//! top            = 1*DIGIT
//! count          = "true" / "false"
//!
//! ; $filter (boolCommonExpr), lowest precedence first
//! boolCommonExpr = andExpr *( "or" andExpr )
//! andExpr        = equalityExpr *( "and" equalityExpr )
//! equalityExpr   = relationalExpr *( ( "eq" / "ne" ) relationalExpr )
//! relationalExpr = unaryExpr *( ( "gt" / "ge" / "lt" / "le" ) unaryExpr )
//! unaryExpr      = "not" BWS unaryExpr / primaryExpr
//! primaryExpr    = "(" BWS boolCommonExpr BWS ")" / literal / functionCall
//!                / memberPath [ "/" lambda ]
//! functionCall   = qualifiedName "(" BWS [ args ] BWS ")"
//! args           = expr *( "," expr ) / namedArg *( "," namedArg )
//! namedArg       = odataIdentifier BWS "=" BWS expr
//! memberPath     = qualifiedName *( "/" qualifiedName )
//! lambda         = ( "any" / "all" ) "(" BWS [ odataIdentifier BWS ":" BWS boolCommonExpr ] BWS ")"
//!
//! ; $orderby, $expand and $apply values, decoded; BWS allowed at both ends
//! orderby        = orderbyItem *( BWS "," BWS orderbyItem ) BWS
//! orderbyItem    = ( memberPath / parameterAlias ) [ RWS ( "asc" / "desc" ) ]
//!                  ; memberPath here and in $apply: no lambda, no call
//! expand         = expandItem *( BWS "," BWS expandItem ) BWS
//! expandItem     = navigationProperty [ "/$ref" ] [ expandOptions ]
//!                  ; navigationProperty = odataIdentifier; no options after "/$ref"
//! expandOptions  = "(" BWS expandOption *( BWS ";" BWS expandOption ) BWS ")"
//!                  ; each option at most once
//! expandOption   = "$select" "=" select / "$filter" "=" boolCommonExpr
//!                / "$orderby" "=" orderby / "$top" "=" top / "$expand" "=" expand
//!                / ( "$skip" / "$count" / "$search" / "$levels" ) "=" refusedValue
//! refusedValue   = <text up to ";" or ")", outside quotes and parentheses>  ; not kept
//! apply          = transformation *( BWS "/" BWS transformation ) BWS
//! transformation = filterTrafo / groupbyTrafo / aggregateTrafo
//! filterTrafo    = "filter" "(" BWS boolCommonExpr BWS ")"
//! groupbyTrafo   = "groupby" "(" BWS groupingList [ BWS "," BWS "aggregate" aggregateList ] BWS ")"
//! groupingList   = "(" BWS memberPath *( BWS "," BWS memberPath ) BWS ")"
//! aggregateTrafo = "aggregate" aggregateList
//! aggregateList  = "(" BWS aggregateExpr *( BWS "," BWS aggregateExpr ) BWS ")"
//! aggregateExpr  = ( memberPath RWS "with" RWS aggregateMethod / "$count" )
//!                  RWS "as" RWS odataIdentifier
//! aggregateMethod = "sum" / "min" / "max" / "average" / "countdistinct"
//! RWS            = 1*( SP / HTAB )
//! ```
//!
//! # Modules
//!
//! - [`ast`]: the trees ([`ResourcePath`](ast::ResourcePath), [`QueryOptions`](ast::QueryOptions),
//!   [`Literal`](ast::Literal), [`Expr`](ast::expr::Expr), [`OrderByItem`](ast::OrderByItem),
//!   [`ExpandItem`](ast::ExpandItem), [`Transformation`](ast::Transformation)), with
//!   canonical `Display`.
//! - `parser` (private): one file per grammar area, each producing the `ast` file of the
//!   same name: `lexical`, `literal` and `json`, `path`, `percent` and `options`, `expr`,
//!   `orderby`, `expand`, `apply`.
//! - [`error`]: [`ParseError`] and [`ErrorKind`].
//! - [`span`]: the [`Span`](span::Span) the parser walks and the [`SourceSpan`](span::SourceSpan) kept in the AST.
#![warn(missing_docs)]

pub mod ast;
pub mod error;
mod parser;
pub mod span;

pub use error::{ErrorKind, ParseError};

/// Parses a resource path: the percent-decoded URL path after the service root
/// (`/api/data/v9.2/`), e.g. `accounts(00000000-0000-0000-0000-000000000001)/name/$value`.
///
/// The empty string (or `/`) is the service document and yields no segments; a trailing
/// `/` is allowed; a leading `/` is an [`ErrorKind::EmptySegment`].
pub fn parse_resource_path(path: &str) -> Result<ast::ResourcePath, ParseError> {
    parser::path::resource_path(path)
}

/// Parses a raw query string (without the leading `?`, still percent-encoded):
/// splits on `&`, decodes names and values (`%XX`; `+` stays a plus), and fills
/// [`ast::QueryOptions`]. System option names are case-sensitive; unknown (`$xyz`,
/// `$SELECT`) and repeated system options are errors. `$select`, `$top` and `$count`
/// are parsed; other values are kept as decoded text (see [`parse_filter`]).
///
/// Errors about the query string point into it; errors inside a value point into the
/// decoded value, which is then [`ParseError::input`] (as ODL quotes it).
pub fn parse_query(query: &str) -> Result<ast::QueryOptions, ParseError> {
    parser::options::query_options(query)
}

/// Parses one literal on its own, such as the value of a parameter alias
/// (`@p1='Pacific Standard Time'`, `@tid={'@odata.id':'contacts(…)'}`).
/// Surrounding spaces are not allowed.
pub fn parse_literal(text: &str) -> Result<ast::Literal, ParseError> {
    parser::run(
        text,
        error::Context::Expression,
        "the end of the literal",
        parser::literal::parse_literal,
    )
}

/// Parses a `$filter` expression (decoded text, e.g. [`ast::QueryOptions::filter`]) into
/// an [`ast::expr::Expr`]: comparisons, `and`/`or`/`not`, parentheses, member paths,
/// function calls with positional or named arguments, and `any`/`all` lambdas.
///
/// ```
/// let expr = odata_parser::parse_filter("name eq 'x' and not contains(city,'y')")?;
/// assert_eq!(expr.to_sexpr(), "(and (eq name 'x') (not (contains city 'y')))");
/// # Ok::<(), odata_parser::ParseError>(())
/// ```
pub fn parse_filter(text: &str) -> Result<ast::expr::Expr, ParseError> {
    parser::expr::filter(text)
}

/// Parses an `$orderby` value (decoded text, e.g. [`ast::QueryOptions::orderby`]) into
/// its items: property paths (`name`, `_primarycontactid_value`,
/// `primarycontactid/fullname`) or parameter aliases (`@p1`), each optionally followed
/// by `asc` or `desc`.
///
/// ```
/// let items = odata_parser::parse_orderby("name asc,revenue desc")?;
/// assert_eq!(items[1].to_sexpr(), "(desc revenue)");
/// assert_eq!(items[0].to_string(), "name");
/// # Ok::<(), odata_parser::ParseError>(())
/// ```
pub fn parse_orderby(text: &str) -> Result<Vec<ast::OrderByItem>, ParseError> {
    parser::orderby::orderby(text)
}

/// Parses an `$expand` value (decoded text, e.g. [`ast::QueryOptions::expand`]) into
/// its items: navigation properties, with `/$ref` or with nested `$select`, `$filter`,
/// `$orderby`, `$top` and `$expand` separated by `;`. `$skip`, `$count`, `$search` and
/// `$levels` are recorded in [`ast::ExpandItem::unsupported`]; other `$`-names
/// ([`ErrorKind::UnknownOption`]), an option given twice in one item
/// ([`ErrorKind::DuplicateOption`]) and options after `/$ref` are errors.
///
/// ```
/// let items = odata_parser::parse_expand(
///     "primarycontactid($select=fullname),Account_Tasks($filter=statecode eq 0;$top=5)",
/// )?;
/// assert_eq!(items[1].top, Some(5));
/// assert_eq!(items[1].to_sexpr(), "(Account_Tasks (filter (eq statecode 0)) (top 5))");
/// # Ok::<(), odata_parser::ParseError>(())
/// ```
pub fn parse_expand(text: &str) -> Result<Vec<ast::ExpandItem>, ParseError> {
    parser::expand::expand(text)
}

/// Parses an `$apply` value (decoded text, e.g. [`ast::QueryOptions::apply`]) into its
/// `/`-separated steps: `filter(…)`, `groupby((…)[,aggregate(…)])` and `aggregate(…)`,
/// where each aggregate is `path with sum|min|max|average|countdistinct as alias` or
/// `$count as alias`.
///
/// ```
/// let steps = odata_parser::parse_apply("groupby((statuscode),aggregate($count as count))")?;
/// assert_eq!(steps[0].to_sexpr(), "(groupby (statuscode) (aggregate ($count count)))");
/// # Ok::<(), odata_parser::ParseError>(())
/// ```
pub fn parse_apply(text: &str) -> Result<Vec<ast::Transformation>, ParseError> {
    parser::apply::apply(text)
}
