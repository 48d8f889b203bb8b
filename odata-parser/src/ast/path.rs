//! Resource paths: everything after the service root (`/api/data/v9.2/`).

use super::Literal;

/// A parsed resource path such as `accounts(accountnumber='A-1')/primarycontactid/$ref`.
///
/// The parser cannot tell an entity set from a function import or a compound key from
/// named function parameters (`contacts(a='x',b='y')` and `Fn(a='x',b='y')` are the same
/// syntax), so segments stay generic and the emulator resolves them against metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourcePath {
    /// The `/`-separated segments, in order. Never empty for a successful parse of a
    /// non-empty path; the empty path (service document) yields no segments.
    pub segments: Vec<Segment>,
}

/// One `/`-separated segment of a resource path.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// An identifier, optionally followed by parentheses: an entity set, a navigation
    /// or structural property, a function/action import, or (when `name` contains dots)
    /// a namespace-qualified cast or bound operation such as
    /// `Microsoft.Dynamics.CRM.PicklistAttributeMetadata` or `Microsoft.Dynamics.CRM.WinOpportunity`.
    Identifier {
        /// The identifier exactly as written (case preserved).
        name: String,
        /// The parenthesised part, if any.
        parens: Option<Parens>,
    },
    /// `$ref`
    Ref,
    /// `$value`
    Value,
    /// `$count`
    Count,
    /// `$metadata`
    Metadata,
    /// `$batch`
    Batch,
}

/// What stands between the parentheses after an identifier.
#[derive(Debug, Clone, PartialEq)]
pub enum Parens {
    /// `()` — a function call without parameters.
    Empty,
    /// `(<literal>)` — a single key value, usually a GUID.
    Single(Literal),
    /// `(name=<literal>,…)` — a named/compound/alternate key or function parameters,
    /// in source order.
    Named(Vec<(String, Literal)>),
}
