//! Shared parsing machinery: the nom error type, the `expect`/`cut` helpers that give
//! every failure a meaning, whitespace, and the depth guard.
//!
//! Convention: a parser returns `Err::Error` when its input simply is not what it
//! parses (so `alt` may try something else) and `Err::Failure` once it has committed
//! (after `(`, `'`, `eq`, `any(`, …), so the error lands where the input went wrong.

pub(crate) mod apply;
pub(crate) mod expand;
pub(crate) mod expr;
pub(crate) mod json;
pub(crate) mod lexical;
pub(crate) mod literal;
pub(crate) mod options;
pub(crate) mod orderby;
pub(crate) mod path;
pub(crate) mod percent;

use nom::bytes::complete::{take_while, take_while1};
use nom::{Err, InputTake};

use crate::error::{Context, ErrorKind, ParseError};
use crate::span::{new_span, Span};

/// How deeply parentheses, `not`, lambdas and JSON brackets may nest. Deep enough for any
/// real query, shallow enough that recursion cannot overflow a 2 MiB test-thread stack.
pub(crate) const MAX_DEPTH: usize = 64;

/// nom's result type over our [`Span`] and [`PError`].
pub(crate) type IResult<'a, T> = nom::IResult<Span<'a>, T, PError<'a>>;

/// The error threaded through nom: where, how long, and what.
#[derive(Debug)]
pub(crate) struct PError<'a> {
    /// The input at the start of the offending token.
    pub(crate) at: Span<'a>,
    /// Length in bytes of the offending token (0 when there is none, e.g. at the end).
    pub(crate) len: usize,
    pub(crate) kind: ErrorKind,
}

impl<'a> PError<'a> {
    pub(crate) fn new(at: Span<'a>, len: usize, kind: ErrorKind) -> Self {
        PError { at, len, kind }
    }

    pub(crate) fn into_parse_error(self, context: Context) -> ParseError {
        ParseError::new(
            self.kind,
            self.at.location_offset(),
            self.len,
            self.at.extra,
            context,
        )
    }
}

impl<'a> nom::error::ParseError<Span<'a>> for PError<'a> {
    /// nom's own primitives (`tag`, `char`, …) fail with this placeholder; `expect`
    /// replaces it with a real kind. If it ever reaches a caller, that is a bug.
    fn from_error_kind(input: Span<'a>, _kind: nom::error::ErrorKind) -> Self {
        PError::new(input, 0, ErrorKind::Internal)
    }

    fn append(_input: Span<'a>, _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }

    /// Between two alternatives, keep the one that got further.
    fn or(self, other: Self) -> Self {
        if self.at.location_offset() > other.at.location_offset() {
            self
        } else {
            other
        }
    }
}

/// A recoverable error (the input is not what this rule parses).
pub(crate) fn error<'a, T>(at: Span<'a>, len: usize, kind: ErrorKind) -> IResult<'a, T> {
    Err(Err::Error(PError::new(at, len, kind)))
}

/// A committed error (the input is this rule, and it is malformed).
pub(crate) fn failure<'a, T>(at: Span<'a>, len: usize, kind: ErrorKind) -> IResult<'a, T> {
    Err(Err::Failure(PError::new(at, len, kind)))
}

/// Runs `parser` and names what it was looking for: a meaningless nom failure, or a
/// recoverable error that made no progress, becomes `Expected(what)` at the start.
/// Committed errors and errors further in pass through untouched, so the innermost
/// precise error wins once the input has committed to a rule.
pub(crate) fn expect<'a, O>(
    what: &'static str,
    mut parser: impl FnMut(Span<'a>) -> IResult<'a, O>,
) -> impl FnMut(Span<'a>) -> IResult<'a, O> {
    move |input: Span<'a>| {
        let expected = || PError::new(input, 0, ErrorKind::Expected(what));
        parser(input).map_err(|err| match err {
            Err::Error(e)
                if e.kind == ErrorKind::Internal
                    || e.at.location_offset() == input.location_offset() =>
            {
                Err::Error(expected())
            }
            Err::Failure(e) if e.kind == ErrorKind::Internal => Err::Failure(expected()),
            other => other,
        })
    }
}

/// `cut(expect(what, parser))`: after a committing token, `parser` must succeed.
pub(crate) fn cut_expect<'a, O>(
    what: &'static str,
    parser: impl FnMut(Span<'a>) -> IResult<'a, O>,
) -> impl FnMut(Span<'a>) -> IResult<'a, O> {
    nom::combinator::cut(expect(what, parser))
}

/// Splits `n` bytes off the front of `input`: `(rest, taken)`.
pub(crate) fn advance(input: Span<'_>, n: usize) -> (Span<'_>, Span<'_>) {
    input.take_split(n)
}

/// A single character, as a parser with this crate's error type.
pub(crate) fn sym<'a>(c: char) -> impl FnMut(Span<'a>) -> IResult<'a, char> {
    nom::character::complete::char(c)
}

/// BWS = *( SP / HTAB )  ; "bad" whitespace, optional
pub(crate) fn parse_bws(input: Span<'_>) -> IResult<'_, Span<'_>> {
    take_while(|c| c == ' ' || c == '\t')(input)
}

/// RWS = 1*( SP / HTAB )  ; "required" whitespace
pub(crate) fn parse_rws(input: Span<'_>) -> IResult<'_, Span<'_>> {
    take_while1(|c| c == ' ' || c == '\t')(input)
}

/// Fails with `DepthLimit` once nesting goes past [`MAX_DEPTH`].
pub(crate) fn guard_depth(input: Span<'_>, depth: usize) -> Result<(), Err<PError<'_>>> {
    if depth > MAX_DEPTH {
        Err(Err::Failure(PError::new(
            input,
            1.min(input.len()),
            ErrorKind::DepthLimit,
        )))
    } else {
        Ok(())
    }
}

/// Runs a whole-input parser over `text`; leftover input is `Expected(trailing)`.
pub(crate) fn run<'a, O>(
    text: &'a str,
    context: Context,
    trailing: &'static str,
    mut parser: impl FnMut(Span<'a>) -> IResult<'a, O>,
) -> Result<O, ParseError> {
    match parser(new_span(text)) {
        Ok((rest, _)) if !rest.is_empty() => {
            Err(PError::new(rest, 0, ErrorKind::Expected(trailing)).into_parse_error(context))
        }
        Ok((_, value)) => Ok(value),
        Err(Err::Error(e) | Err::Failure(e)) => Err(e.into_parse_error(context)),
        // Only streaming parsers report Incomplete, and none is used.
        Err(Err::Incomplete(_)) => Err(ParseError::new(ErrorKind::Internal, 0, 0, text, context)),
    }
}

/// Renders a parse result for unit tests: `value`, `value | rest`, or `Kind@offset`.
#[cfg(test)]
pub(crate) fn test_render<T>(result: IResult<'_, T>, show: impl Fn(&T) -> String) -> String {
    match result {
        Ok((rest, value)) if rest.is_empty() => show(&value),
        Ok((rest, value)) => format!("{} | {}", show(&value), rest.fragment()),
        Err(Err::Error(e) | Err::Failure(e)) => format!("{:?}@{}", e.kind, e.at.location_offset()),
        Err(Err::Incomplete(_)) => "Incomplete".to_owned(),
    }
}
