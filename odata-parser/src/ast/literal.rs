//! Literal values as written in a URL (`primitiveLiteral` in the OData ABNF).

use uuid::Uuid;

/// A literal as it appears in a key predicate, function parameter or `$filter`.
///
/// Numbers keep their source text next to the parsed value where precision matters
/// (`Decimal`), so the emulator can convert to the column's Edm type without a
/// round-trip through `f64`.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `null`
    Null,
    /// `true` / `false`
    Boolean(bool),
    /// An integer without a decimal point or exponent, e.g. `42`, `-7`.
    Integer(i64),
    /// A number with a decimal point and/or exponent, kept as written: `1.5`, `2E3`, `1.0M`
    /// (the `M`/`D` suffix is dropped).
    ///
    /// Also an integer with an `M`/`D`/`F` suffix (`7M` is `Decimal("7")`) or too large
    /// for `i64` (ODL widens those to Edm.Decimal). `Display` prints such text with an
    /// `M` suffix so that it parses back as a `Decimal`.
    Decimal(String),
    /// `'text'` with `''` already unescaped to `'`.
    String(String),
    /// A bare GUID: `00000000-0000-0000-0000-000000000001` (`{…}` braces are accepted
    /// and dropped, case is ignored).
    Guid(Uuid),
    /// `2024-05-01T10:20:30Z` (kept as written; the emulator parses it with its clock types).
    DateTimeOffset(String),
    /// `2024-05-01`
    Date(String),
    /// A parameter alias such as `@p1`, resolved by the emulator from the query string.
    Alias(String),
    /// An enum member: `Microsoft.Dynamics.CRM.EntityFilters'All'`.
    Enum {
        /// The qualified type name, e.g. `Microsoft.Dynamics.CRM.EntityFilters`.
        type_name: String,
        /// The member (or comma-separated flags) between the quotes.
        value: String,
    },
    /// A JSON array or object literal as used by function parameters (`["contact"]`,
    /// `{'@odata.id':'accounts(…)'}`), kept as source text.
    Json(String),
}
