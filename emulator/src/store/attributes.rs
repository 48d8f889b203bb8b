//! The columns of one row: a small sorted map from [`LogicalName`] to [`Value`].
//!
//! A stored row has a few dozen columns (a new contact about 30). The names and the values
//! are kept apart: the values in the row's own vector, the names in a sorted list that rows
//! of a table with the same columns share ([`Layouts`]). Nearly every row of a table has
//! the same columns, so a stored row costs one `Value` per column and a lookup searches a
//! list that is already in the cache, then reads one value: a query reading a column of
//! 100,000 rows touches each row once instead of once per step of a binary search. The
//! names stay sorted, so rows iterate in alphabetical order (responses and snapshots are
//! deterministic). Writing a value of an existing column keeps the shared names; adding or
//! removing a column copies them first.

use std::collections::HashSet;
use std::sync::Arc;

use super::{LogicalName, Value};

/// Column values by logical name, in alphabetical order.
#[derive(Debug, Clone, Default)]
pub struct Attributes {
    names: Names,
    values: Vec<Value>,
}

/// A row's column names: its own while it is being built, shared once stored.
#[derive(Debug, Clone)]
enum Names {
    Own(Vec<LogicalName>),
    Shared(Arc<[LogicalName]>),
}

impl Default for Names {
    fn default() -> Self {
        Names::Own(Vec::new())
    }
}

/// The column lists a table's stored rows share (see the module docs).
#[derive(Debug, Clone, Default)]
pub(super) struct Layouts(HashSet<Arc<[LogicalName]>, foldhash::fast::RandomState>);

/// More distinct column lists than this (rows written with many different sets of
/// columns) and the table starts a new set; rows keep the lists they already share.
const MAX_LAYOUTS: usize = 1024;

impl Layouts {
    fn share(&mut self, names: &[LogicalName]) -> Arc<[LogicalName]> {
        if let Some(shared) = self.0.get(names) {
            return shared.clone();
        }
        if self.0.len() >= MAX_LAYOUTS {
            self.0.clear();
        }
        let shared: Arc<[LogicalName]> = names.into();
        self.0.insert(shared.clone());
        shared
    }
}

impl PartialEq for Attributes {
    fn eq(&self, other: &Self) -> bool {
        self.names() == other.names() && self.values == other.values
    }
}

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
        Attributes::default()
    }

    /// No columns, with room for `n`.
    pub fn with_capacity(n: usize) -> Self {
        Attributes { names: Names::Own(Vec::with_capacity(n)), values: Vec::with_capacity(n) }
    }

    /// The column names, alphabetically.
    fn names(&self) -> &[LogicalName] {
        match &self.names {
            Names::Own(n) => n,
            Names::Shared(n) => n,
        }
    }

    /// The column names to change: a shared list is copied first.
    fn names_mut(&mut self) -> &mut Vec<LogicalName> {
        if let Names::Shared(shared) = &self.names {
            self.names = Names::Own(shared.to_vec());
        }
        match &mut self.names {
            Names::Own(n) => n,
            Names::Shared(_) => unreachable!("just made its own"),
        }
    }

    /// Shares the column names with the table's other rows (called when the row is stored).
    pub(super) fn share(&mut self, layouts: &mut Layouts) {
        if let Names::Own(names) = &self.names {
            self.names = Names::Shared(layouts.share(names));
        }
    }

    fn position(&self, name: &str) -> Result<usize, usize> {
        let name = name.as_bytes();
        self.names().binary_search_by(|n| compare(n.as_bytes(), name))
    }

    /// A column's value, if the row has the column.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.position(name).ok().map(|i| &self.values[i])
    }

    /// Whether the row has the column (set, or cleared to null).
    pub fn contains_key(&self, name: &str) -> bool {
        self.position(name).is_ok()
    }

    /// Sets a column, returning its previous value.
    pub fn insert(&mut self, name: impl ColumnName, value: Value) -> Option<Value> {
        // Rows are mostly built in name order (defaults, then decoded bodies): append.
        if self.names().last().is_none_or(|last| compare(last.as_bytes(), name.text().as_bytes()).is_lt()) {
            self.names_mut().push(name.intern());
            self.values.push(value);
            return None;
        }
        match self.position(name.text()) {
            Ok(i) => Some(std::mem::replace(&mut self.values[i], value)),
            Err(i) => {
                self.names_mut().insert(i, name.intern());
                self.values.insert(i, value);
                None
            }
        }
    }

    /// Removes a column, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let i = self.position(name).ok()?;
        self.names_mut().remove(i);
        Some(self.values.remove(i))
    }

    /// Columns and values, alphabetically.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&LogicalName, &Value)> + ExactSizeIterator {
        self.names().iter().zip(&self.values)
    }

    /// Column names, alphabetically.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &LogicalName> + ExactSizeIterator {
        self.names().iter()
    }

    /// Values, in their columns' alphabetical order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator {
        self.values.iter()
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when the row has no columns.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
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
    type IntoIter = std::iter::Zip<std::vec::IntoIter<LogicalName>, std::vec::IntoIter<Value>>;
    fn into_iter(self) -> Self::IntoIter {
        let names = match self.names {
            Names::Own(n) => n,
            Names::Shared(n) => n.to_vec(),
        };
        names.into_iter().zip(self.values)
    }
}

impl<'a> IntoIterator for &'a Attributes {
    type Item = (&'a LogicalName, &'a Value);
    type IntoIter = std::iter::Zip<std::slice::Iter<'a, LogicalName>, std::slice::Iter<'a, Value>>;
    fn into_iter(self) -> Self::IntoIter {
        self.names().iter().zip(&self.values)
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
        assert_eq!(a.remove("accountid"), Some(Value::Null));
        assert_eq!(a.keys().map(|n| n.as_str()).collect::<Vec<_>>(), ["statecode"]);
    }

    #[test]
    fn rows_with_the_same_columns_share_their_names() {
        let mut layouts = Layouts::default();
        let row = |n: i32| Attributes::from([("name", Value::Int(n)), ("statecode", Value::Choice(0))]);
        let (mut a, mut b) = (row(1), row(2));
        a.share(&mut layouts);
        b.share(&mut layouts);
        let (Names::Shared(na), Names::Shared(nb)) = (&a.names, &b.names) else { panic!("not shared") };
        assert!(Arc::ptr_eq(na, nb));
        // Changing a value keeps the shared names; adding a column copies them.
        let mut c = a.clone();
        c.insert("name", Value::Int(3));
        assert!(matches!(c.names, Names::Shared(_)));
        c.insert("accountid", Value::Null);
        assert!(matches!(c.names, Names::Own(_)));
        assert_eq!(c.keys().map(|n| n.as_str()).collect::<Vec<_>>(), ["accountid", "name", "statecode"]);
        assert_eq!(a.get("name"), Some(&Value::Int(1)));
        assert_eq!(b.get("name"), Some(&Value::Int(2)));
        assert_eq!(a, row(1));
    }

    mod model {
        use std::collections::BTreeMap;

        use proptest::prelude::*;

        use super::super::{Attributes, Layouts};
        use crate::store::Value;

        #[derive(Debug, Clone)]
        enum Op {
            Insert(usize, i32),
            Remove(usize),
            /// Store the row: its names become shared.
            Share,
            /// Carry on with a copy (as an update does with a stored row).
            Copy,
        }

        /// Names that sort in interesting ways: prefixes of each other, `_`, digits.
        const NAMES: [&str; 9] = ["a", "ab", "abc", "b", "name", "name_base", "statecode", "statuscode", "x1"];

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                4 => (0..NAMES.len(), any::<i32>()).prop_map(|(n, v)| Op::Insert(n, v)),
                2 => (0..NAMES.len()).prop_map(Op::Remove),
                1 => Just(Op::Share),
                1 => Just(Op::Copy),
            ]
        }

        proptest! {
            /// Whatever the order of writes, shares and copies, a row answers like a
            /// `BTreeMap` of the same writes: same values, same alphabetical order.
            #[test]
            fn behaves_like_a_sorted_map(ops in proptest::collection::vec(op(), 0..60)) {
                let mut layouts = Layouts::default();
                let mut row = Attributes::new();
                let mut model: BTreeMap<String, Value> = BTreeMap::new();
                for op in ops {
                    match op {
                        Op::Insert(n, v) => {
                            prop_assert_eq!(row.insert(NAMES[n], Value::Int(v)), model.insert(NAMES[n].to_string(), Value::Int(v)));
                        }
                        Op::Remove(n) => prop_assert_eq!(row.remove(NAMES[n]), model.remove(NAMES[n])),
                        Op::Share => row.share(&mut layouts),
                        Op::Copy => row = row.clone(),
                    }
                    prop_assert_eq!(row.len(), model.len());
                    let got: Vec<(&str, &Value)> = row.iter().map(|(k, v)| (k.as_str(), v)).collect();
                    let want: Vec<(&str, &Value)> = model.iter().map(|(k, v)| (k.as_str(), v)).collect();
                    prop_assert_eq!(got, want);
                    for name in NAMES {
                        prop_assert_eq!(row.get(name), model.get(name));
                    }
                }
            }
        }
    }
}
