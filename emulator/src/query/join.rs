//! FetchXML `link-entity` joins that add rows and columns (`inner`, `outer` and
//! `matchfirstrowusingcrossapply`). The filtering link types (`any`, `exists`, …) never add
//! rows; they compile to [`super::predicate::Predicate::Exists`] instead.
//!
//! A joined row is the root record plus one slot per join, in document order, so a join
//! can hang off the root or off an earlier join, and predicates and sort keys read link
//! columns through [`ColumnRef::read_joined`].

use std::collections::HashSet;
use std::sync::Arc;

use uuid::Uuid;

use super::predicate::{linked_rows, ColumnRef, Predicate};
use crate::store::{Record, State, Value};

/// How a join contributes rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    /// One row per match; rows without a match are dropped.
    Inner,
    /// One row per match; rows without a match are kept with an empty slot.
    Outer,
    /// The first match only (SQL `CROSS APPLY … TOP 1`); rows without a match are dropped.
    FirstRow,
}

/// Where a join's rows come from.
#[derive(Debug, Clone, PartialEq)]
pub enum JoinSource {
    /// A table's records.
    Table,
    /// The intersect table of an N:N relationship, read from the store's association
    /// pairs: each pair is a row holding the two ids under their intersect column names.
    Intersect {
        /// Relationship schema name (the store's key for the pairs).
        relationship: String,
        /// The intersect column naming entity 1's record.
        entity1_column: String,
        /// The intersect column naming entity 2's record.
        entity2_column: String,
    },
}

/// One joined link-entity.
#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    /// The name its columns come back under (`alias`, or `<table><n>`).
    pub alias: String,
    /// The linked table's logical name.
    pub entity: String,
    /// Rows from a table or an N:N intersect.
    pub source: JoinSource,
    /// The linked table's column (`from`).
    pub from: String,
    /// Whether `from` is the linked table's primary key.
    pub from_is_id: bool,
    /// The parent's column (`to`): of the root, or of an earlier join.
    pub to: ColumnRef,
    /// How matches become rows.
    pub kind: JoinKind,
    /// The link-entity's own filter, over the linked record.
    pub predicate: Option<Predicate>,
}

/// The link slots of one joined row.
pub type Slots = Vec<Option<Arc<Record>>>;

/// Per join (by index), the linked ids already known to pass its own filter, when the
/// executor found them through an index; a row pointing at one of them needs no second
/// evaluation of the filter. Shorter than the joins (or empty) when nothing is known.
pub type Known = [Option<HashSet<Uuid>>];

impl Join {
    /// Linked rows matching `key` and the join's own filter, in id order.
    fn matches(&self, state: &State, key: &Value, known: Option<&HashSet<Uuid>>) -> Vec<Arc<Record>> {
        if let (Some(known), true, JoinSource::Table) = (known, self.from_is_id, &self.source) {
            let id = match key {
                Value::Lookup(r) => Some(r.id),
                Value::Guid(g) => Some(*g),
                _ => None,
            };
            if let Some(id) = id.filter(|id| known.contains(id)) {
                return state.get(&self.entity, id).cloned().into_iter().collect();
            }
        }
        let rows: Vec<Arc<Record>> = match &self.source {
            JoinSource::Table => linked_rows(state, &self.entity, &self.from, self.from_is_id, key).into_iter().cloned().collect(),
            JoinSource::Intersect { relationship, entity1_column, entity2_column } => {
                let id = match key {
                    Value::Lookup(r) => r.id,
                    Value::Guid(g) => *g,
                    _ => return Vec::new(),
                };
                let first = self.from == *entity1_column;
                state
                    .associations(relationship)
                    .filter(|(a, b)| if first { *a == id } else { *b == id })
                    .map(|(a, b)| Arc::new(intersect_row(entity1_column, *a, entity2_column, *b)))
                    .collect()
            }
        };
        match &self.predicate {
            Some(p) => rows.into_iter().filter(|r| p.matches(state, &self.entity, r)).collect(),
            None => rows,
        }
    }
}

/// A synthetic intersect row; its id is derived from the pair so it is stable.
fn intersect_row(column1: &str, a: Uuid, column2: &str, b: Uuid) -> Record {
    let id = Uuid::from_u128(a.as_u128() ^ b.as_u128().rotate_left(64));
    Record { id, version: 0, attributes: crate::store::Attributes::from([(column1, Value::Guid(a)), (column2, Value::Guid(b))]) }
}

/// Expands one root record into its joined rows.
pub fn expand(state: &State, joins: &[Join], root: &Record, known: &Known) -> Vec<Slots> {
    let mut rows: Vec<Slots> = vec![Vec::with_capacity(joins.len())];
    for (i, join) in joins.iter().enumerate() {
        let mut next = Vec::with_capacity(rows.len());
        for slots in rows {
            let key = join.to.read_joined(state, root, &slots).clone();
            let found = join.matches(state, &key, known.get(i).and_then(Option::as_ref));
            match (join.kind, found.is_empty()) {
                (JoinKind::Outer, true) => next.push(with(&slots, None)),
                (JoinKind::Inner | JoinKind::FirstRow, true) => {}
                (JoinKind::FirstRow, false) => next.push(with(&slots, found.into_iter().next())),
                (JoinKind::Inner | JoinKind::Outer, false) => next.extend(found.into_iter().map(|r| with(&slots, Some(r)))),
            }
        }
        rows = next;
        if rows.is_empty() {
            break;
        }
    }
    rows
}

fn with(slots: &Slots, record: Option<Arc<Record>>) -> Slots {
    let mut out = slots.clone();
    out.push(record);
    out
}
