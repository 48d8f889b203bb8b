//! Source positions: the [`Span`] the parser walks, and the [`SourceSpan`] that survives
//! into the AST.

use nom_locate::LocatedSpan;

/// The parser's input: a slice of the text being parsed plus its byte offset.
///
/// `extra` holds the whole text, so an error raised deep inside the parser can still
/// quote the full input (meilisearch's filter-parser does the same).
pub type Span<'a> = LocatedSpan<&'a str, &'a str>;

/// Starts a span over the whole of `text`.
pub(crate) fn new_span(text: &str) -> Span<'_> {
    Span::new_extra(text, text)
}

/// Where an AST node came from: a byte range in the parsed text.
///
/// Two `SourceSpan`s always compare equal, so deriving `PartialEq` on an AST node ignores
/// source locations: `a eq 1` and `a  eq  1` parse to equal trees (sqlparser's
/// `AttachedToken` makes the same choice). Use the fields to raise semantic errors at
/// the token, e.g. "Could not find a property named 'foo'".
#[derive(Debug, Clone, Copy, Default, Eq)]
pub struct SourceSpan {
    /// Byte offset of the first byte of the node.
    pub start: usize,
    /// Byte offset one past the last byte of the node.
    pub end: usize,
}

impl SourceSpan {
    /// The span from `from` (inclusive) to `to` (exclusive), both positions in one input.
    pub(crate) fn between(from: &Span<'_>, to: &Span<'_>) -> Self {
        SourceSpan {
            start: from.location_offset(),
            end: to.location_offset(),
        }
    }
}

impl PartialEq for SourceSpan {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl std::hash::Hash for SourceSpan {
    fn hash<H: std::hash::Hasher>(&self, _state: &mut H) {}
}
