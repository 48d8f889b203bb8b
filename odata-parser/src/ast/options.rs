//! System query options (`$select`, `$filter`, …) and custom options (`@p1`, `fetchXml`).

/// The query string of a request, split into options.
///
/// Options the emulator does not interpret yet are kept as their decoded text so that a
/// later stage (or a later version of this crate) can parse them without re-splitting.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryOptions {
    /// `$select=a,b,c`
    pub select: Option<Vec<SelectItem>>,
    /// `$filter=…` (decoded text; parsed by `parse_filter`).
    pub filter: Option<String>,
    /// `$orderby=…` (decoded text; parsed by `parse_orderby`).
    pub orderby: Option<String>,
    /// `$expand=…` (decoded text; parsed by `parse_expand`).
    pub expand: Option<String>,
    /// `$top=N`
    pub top: Option<u64>,
    /// `$count=true|false`
    pub count: Option<bool>,
    /// `$id=<record URL>`, naming the related record in `DELETE …/nav/$ref?$id=…`.
    pub id: Option<String>,
    /// `$skiptoken=…` (decoded text).
    pub skiptoken: Option<String>,
    /// `$deltatoken=…` (decoded text): a change-tracking delta link's starting point.
    pub deltatoken: Option<String>,
    /// `$apply=…` (decoded text; parsed by `parse_apply`).
    pub apply: Option<String>,
    /// Options Dataverse refuses (`$skip`, `$search`, `$format`, `$levels`, `$compute`),
    /// recorded by name (without `$`) so the emulator can answer with Dataverse's error.
    pub unsupported: Vec<String>,
    /// Parameter aliases (`@p1=…`), name without `@`, value as decoded text.
    pub aliases: Vec<(String, String)>,
    /// Any other non-`$` parameters (`fetchXml`, `savedQuery`, `tag`, …), decoded.
    pub custom: Vec<(String, String)>,
}

/// One item of `$select`.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    /// A property name, e.g. `name` or `_primarycontactid_value`.
    Property(String),
    /// `*`
    Star,
}
