//! `$orderby`: sort specifications and the keys rows are sorted by.
//!
//! Like Dataverse (without FetchXML's `useraworderby`), choice columns sort by their
//! label and lookups by the referenced record's primary name. Ascending order puts nulls
//! first, as SQL Server does. The primary key always breaks ties, so the order is total
//! and paging is stable.

use std::cmp::Ordering;

use uuid::Uuid;

use super::filter::column;
use super::predicate::ColumnRef;
use super::Scope;
use crate::error::{Code, Error, Result};
use crate::metadata::{AttributeType, EntityDef, Metadata};
use crate::store::{Record, SortKey, State, Value};

/// What a column is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    /// The value itself.
    Value,
    /// A choice's label.
    Label,
    /// A lookup's referenced primary name.
    Name,
}

/// One `$orderby` item, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct SortSpec {
    /// The column.
    pub column: ColumnRef,
    /// Descending order.
    pub descending: bool,
    /// Sort by value, label or name.
    pub by: SortBy,
    /// The column's type, to read its key back from a paging cookie.
    pub kind: AttributeType,
    /// The linked table, for a column of a FetchXML link-entity (to find choice labels).
    pub table: Option<String>,
}

/// Resolves `(path, descending)` pairs against `entity`.
pub fn resolve(scope: &Scope<'_>, entity: &EntityDef, items: &[(Vec<String>, bool)]) -> Result<Vec<SortSpec>> {
    items
        .iter()
        .map(|(path, descending)| {
            if path.len() > 1 {
                return Err(Error::new(
                    Code::BadRequest,
                    format!("Ordering by '{}' is not supported: order by a column of the table, or '_<lookup>_value' for a lookup.", path.join("/")),
                ));
            }
            let c = column(scope, entity, path)?;
            let by = if c.attr.kind.is_choice() {
                SortBy::Label
            } else if c.attr.kind.is_lookup() {
                SortBy::Name
            } else {
                SortBy::Value
            };
            Ok(SortSpec { column: c.reference, descending: *descending, by, kind: c.attr.kind, table: None })
        })
        .collect()
}

/// The key a row sorts by for one spec.
pub fn key(spec: &SortSpec, metadata: &Metadata, entity: &EntityDef, state: &State, record: &Record) -> SortKey {
    key_joined(spec, metadata, entity, state, record, &[])
}

/// The key a joined row (FetchXML link-entities) sorts by for one spec.
pub fn key_joined(spec: &SortSpec, metadata: &Metadata, entity: &EntityDef, state: &State, record: &Record, links: super::predicate::Links<'_>) -> SortKey {
    let value = spec.column.read_joined(state, record, links);
    let table = match &spec.table {
        Some(t) => metadata.entity(t).map(|e| &**e),
        None => Some(entity),
    };
    match (spec.by, value) {
        (SortBy::Label, Value::Choice(v)) => table
            .and_then(|t| t.attribute(&spec.column.attribute))
            .and_then(|a| a.option(*v))
            .map_or(SortKey::Number((*v).into()), |o| SortKey::Text(o.label.to_lowercase())),
        (SortBy::Name, Value::Lookup(r)) => metadata
            .entity(&r.logical_name)
            .and_then(|e| e.primary_name.as_deref())
            .and_then(|n| state.get(&r.logical_name, r.id).map(|t| SortKey::of(t.get(n))))
            .unwrap_or(SortKey::Null),
        (_, v) => SortKey::of(v),
    }
}

/// Compares two rows' keys under the specs, then by id.
pub fn compare(specs: &[SortSpec], a: (&[SortKey], Uuid), b: (&[SortKey], Uuid)) -> Ordering {
    for (i, spec) in specs.iter().enumerate() {
        let o = a.0[i].cmp_key(&b.0[i]);
        let o = if spec.descending { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.1.cmp(&b.1)
}
