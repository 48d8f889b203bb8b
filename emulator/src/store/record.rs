//! A stored row.

use uuid::Uuid;

use super::{Attributes, Value};

/// One record of one table.
///
/// `attributes` keeps its columns in alphabetical order, so that a record renders them in
/// a stable order, which keeps responses and snapshots deterministic.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The primary key (also present in `attributes` under the primary id column).
    pub id: Uuid,
    /// The org-wide row version, shown as the ETag `W/"<version>"`.
    pub version: u64,
    /// Column values by logical name. A column that was never set is absent; one that
    /// was cleared holds [`Value::Null`].
    pub attributes: Attributes,
}

impl Record {
    /// A column's value, `Null` if unset.
    pub fn get(&self, name: &str) -> &Value {
        self.attributes.get(name).unwrap_or(&Value::Null)
    }

    /// The weak ETag, `W/"123"`.
    pub fn etag(&self) -> String {
        format!("W/\"{}\"", self.version)
    }
}
