//! `$orderby` (`orderby` in the OData ABNF): a list of [`OrderByItem`]s.
//!
//! Dataverse sorts by a column, a lookup's `_x_value`, a path through a single-valued
//! navigation property, or a parameter alias naming one of those. The parser keeps each
//! as written; the emulator resolves it and raises "Could not find a property named …"
//! at its [`SourceSpan`].

use std::fmt::{self, Display, Formatter};

use super::expr::MemberPath;
use crate::span::SourceSpan;

/// One `$orderby` item: `name`, `revenue desc`, `primarycontactid/fullname asc`, `@p1`.
///
/// A whole `$orderby` is a `Vec<OrderByItem>`; its canonical text is the items'
/// `Display` joined by `,`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderByItem {
    /// What to sort by.
    pub expr: OrderByExpr,
    /// `desc` was written; `asc` and no direction both mean ascending.
    pub descending: bool,
    /// Where the item was written, direction included (ignored by `==`).
    pub span: SourceSpan,
}

/// What an [`OrderByItem`] sorts by.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderByExpr {
    /// A property path: `name`, `_primarycontactid_value`, `primarycontactid/fullname`.
    Member(MemberPath),
    /// A parameter alias, name without `@` (`@p1` is `Alias("p1")`); the query string
    /// gives its value (`@p1=name`), which the emulator reads as a property path.
    Alias(String),
}

impl Display for OrderByExpr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            OrderByExpr::Member(path) => write!(f, "{path}"),
            OrderByExpr::Alias(name) => write!(f, "@{name}"),
        }
    }
}

impl Display for OrderByItem {
    /// `expr` or `expr desc`: ascending order prints without a direction.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        if self.descending {
            f.write_str(" desc")?;
        }
        Ok(())
    }
}

impl OrderByItem {
    /// Compact rendering for tests: `(asc name)`, `(desc primarycontactid/fullname)`,
    /// `(asc @p1)`.
    pub fn to_sexpr(&self) -> String {
        let direction = if self.descending { "desc" } else { "asc" };
        format!("({direction} {})", self.expr)
    }
}
