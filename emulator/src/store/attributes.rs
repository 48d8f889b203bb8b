//! The columns of one row: a small sorted map from [`LogicalName`] to [`Value`].
//!
//! A stored row has a few dozen columns (a new contact about 30). A `BTreeMap<String, Value>`
//! spent several node allocations and one string allocation per column on that; this is one
//! vector, sorted by name, found by binary search. It iterates in alphabetical order, like
//! the map it replaced, so responses and snapshots stay deterministic.

use super::{LogicalName, Value};

/// Column values by logical name, in alphabetical order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attributes(Vec<(LogicalName, Value)>);

/// Something that names a column: a `&str`, a `String` or an already interned name.
/// Inserting a column the row already has never touches the interner.
pub trait ColumnName {
    /// The name's text.
    fn text(&self) -> &str;
    /// The interned name.
    fn intern(self) -> LogicalName;
}

impl ColumnName for LogicalName {
    fn text(&self) -> &str {
        self.as_str()
    }
    fn intern(self) -> LogicalName {
        self
    }
}

impl ColumnName for &LogicalName {
    fn text(&self) -> &str {
        self.as_str()
    }
    fn intern(self) -> LogicalName {
        *self
    }
}

impl ColumnName for &str {
    fn text(&self) -> &str {
        self
    }
    fn intern(self) -> LogicalName {
        LogicalName::new(self)
    }
}

impl ColumnName for String {
    fn text(&self) -> &str {
        self
    }
    fn intern(self) -> LogicalName {
        LogicalName::new(&self)
    }
}

impl ColumnName for &String {
    fn text(&self) -> &str {
        self
    }
    fn intern(self) -> LogicalName {
        LogicalName::new(self)
    }
}

impl Attributes {
    /// No columns.
    pub fn new() -> Self {
        Attributes(Vec::new())
    }

    /// No columns, with room for `n`.
    pub fn with_capacity(n: usize) -> Self {
        Attributes(Vec::with_capacity(n))
    }

    fn position(&self, name: &str) -> Result<usize, usize> {
        let name = name.as_bytes();
        self.0.binary_search_by(|(n, _)| compare(n.as_bytes(), name))
    }

    /// A column's value, if the row has the column.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.position(name).ok().map(|i| &self.0[i].1)
    }

    /// A column's value, mutably.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        self.position(name).ok().map(|i| &mut self.0[i].1)
    }

    /// Whether the row has the column (set, or cleared to null).
    pub fn contains_key(&self, name: &str) -> bool {
        self.position(name).is_ok()
    }

    /// Sets a column, returning its previous value.
    pub fn insert(&mut self, name: impl ColumnName, value: Value) -> Option<Value> {
        // Rows are mostly built in name order (defaults, then decoded bodies): append.
        if self.0.last().is_none_or(|(last, _)| compare(last.as_bytes(), name.text().as_bytes()).is_lt()) {
            self.0.push((name.intern(), value));
            return None;
        }
        match self.position(name.text()) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (name.intern(), value));
                None
            }
        }
    }

    /// Removes a column, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.position(name).ok().map(|i| self.0.remove(i).1)
    }

    /// Keeps the columns for which `keep` says yes.
    pub fn retain(&mut self, mut keep: impl FnMut(&LogicalName, &mut Value) -> bool) {
        self.0.retain_mut(|(n, v)| keep(n, v));
    }

    /// Columns and values, alphabetically.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&LogicalName, &Value)> + ExactSizeIterator {
        self.0.iter().map(|(n, v)| (n, v))
    }

    /// Columns and mutable values, alphabetically.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&LogicalName, &mut Value)> {
        self.0.iter_mut().map(|(n, v)| (&*n, v))
    }

    /// Column names, alphabetically.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &LogicalName> + ExactSizeIterator {
        self.0.iter().map(|(n, _)| n)
    }

    /// Values, in their columns' alphabetical order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator {
        self.0.iter().map(|(_, v)| v)
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the row has no columns.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds every column of `other`, replacing values already present.
    pub fn extend<N: ColumnName>(&mut self, other: impl IntoIterator<Item = (N, Value)>) {
        for (n, v) in other {
            self.insert(n, v);
        }
    }
}

/// `a.cmp(b)` for short names. Column names usually differ within their first few bytes,
/// where a plain loop beats a call to `memcmp` (which was a sixth of a large fixture load).
#[inline]
fn compare(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}

impl<N: ColumnName> FromIterator<(N, Value)> for Attributes {
    fn from_iter<I: IntoIterator<Item = (N, Value)>>(iter: I) -> Self {
        let mut attributes = Attributes::new();
        attributes.extend(iter);
        attributes
    }
}

impl<N: ColumnName, const K: usize> From<[(N, Value); K]> for Attributes {
    fn from(columns: [(N, Value); K]) -> Self {
        columns.into_iter().collect()
    }
}

impl IntoIterator for Attributes {
    type Item = (LogicalName, Value);
    type IntoIter = std::vec::IntoIter<(LogicalName, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Attributes {
    type Item = (&'a LogicalName, &'a Value);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (LogicalName, Value)>, fn(&'a (LogicalName, Value)) -> (&'a LogicalName, &'a Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(n, v)| (n, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_replacing() {
        let mut a = Attributes::new();
        assert_eq!(a.insert("statecode", Value::Choice(0)), None);
        a.insert("name", Value::String("Contoso".into()));
        a.insert(String::from("accountid"), Value::Null);
        assert_eq!(a.insert("statecode", Value::Choice(1)), Some(Value::Choice(0)));
        let names: Vec<&str> = a.keys().map(|n| n.as_str()).collect();
        assert_eq!(names, ["accountid", "name", "statecode"]);
        assert_eq!(a.get("statecode"), Some(&Value::Choice(1)));
        assert!(a.contains_key("accountid") && !a.contains_key("revenue"));
        assert_eq!(a.remove("name"), Some(Value::String("Contoso".into())));
        assert_eq!(a.len(), 2);
        a.retain(|n, _| *n != "accountid");
        assert_eq!(a.keys().map(|n| n.as_str()).collect::<Vec<_>>(), ["statecode"]);
    }
}
