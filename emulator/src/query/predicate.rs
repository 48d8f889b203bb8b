//! Resolved, typed filter predicates and their evaluation over stored records.
//!
//! A [`Predicate`] is built by [`super::filter`] only after every name is resolved and
//! every literal typed, so evaluation cannot fail on user input: it only reads the store.

use std::collections::HashSet;
use std::sync::Arc;

use uuid::Uuid;

use crate::store::{like, Record, SortKey, State, Value};

/// A column, possibly reached through single-valued navigation properties
/// (`primarycontactid/fullname` is one hop through `primarycontactid`), or read from a
/// FetchXML link-entity joined to the row (`link`).
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnRef {
    /// The joined link-entity the column belongs to (its index in [`super::plan::QueryPlan::joins`]);
    /// `None` for the queried table itself.
    pub link: Option<usize>,
    /// Lookup columns to follow, in order.
    pub hops: Vec<String>,
    /// The column read at the end of the path.
    pub attribute: String,
}

/// The records a joined row holds besides its root record: one slot per link-entity join,
/// empty where an outer join found nothing.
pub type Links<'a> = &'a [Option<Arc<Record>>];

impl ColumnRef {
    /// A column of the record itself.
    pub fn direct(attribute: &str) -> ColumnRef {
        ColumnRef { link: None, hops: Vec::new(), attribute: attribute.to_string() }
    }

    /// A column of a joined link-entity.
    pub fn linked(link: usize, attribute: &str) -> ColumnRef {
        ColumnRef { link: Some(link), hops: Vec::new(), attribute: attribute.to_string() }
    }

    /// Reads the column from a joined row: the root `record`, or the link's record.
    pub fn read_joined<'a>(&self, state: &'a State, record: &'a Record, links: Links<'a>) -> &'a Value {
        match self.link {
            None => self.read(state, record),
            Some(i) => match links.get(i) {
                Some(Some(linked)) => self.follow(state, linked),
                _ => &Value::Null,
            },
        }
    }

    /// Reads the column from `record`, following lookups through `state`. A column of a
    /// link-entity reads as null here, outside a joined row.
    pub fn read<'a>(&self, state: &'a State, record: &'a Record) -> &'a Value {
        if self.link.is_some() {
            return &Value::Null;
        }
        self.follow(state, record)
    }

    fn follow<'a>(&self, state: &'a State, record: &'a Record) -> &'a Value {
        let mut current = record;
        for hop in &self.hops {
            let Value::Lookup(r) = current.get(hop) else { return &Value::Null };
            match state.get(&r.logical_name, r.id) {
                Some(next) => current = next,
                None => return &Value::Null,
            }
        }
        current.get(&self.attribute)
    }
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A column.
    Column(ColumnRef),
    /// A typed literal.
    Value(Value),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
}

/// Records related to the evaluated one through a collection-valued navigation property.
#[derive(Debug, Clone, PartialEq)]
pub enum Related {
    /// Children whose lookup `attribute` points at the record.
    OneToMany {
        /// Child table.
        entity: String,
        /// The child's lookup column.
        attribute: String,
    },
    /// The other side of an N:N relationship.
    ManyToMany {
        /// Relationship schema name.
        relationship: String,
        /// The other table.
        other: String,
        /// Whether the evaluated record's table is entity 1 of the relationship.
        this_is_entity1: bool,
    },
}

/// How a semi-join's matching linked rows decide whether a row is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExistsMode {
    /// Some linked row matches and passes the link's filter (`any`, `exists`, `in`,
    /// and `not all`, which Dataverse documents as equivalent to `any`).
    Any,
    /// No linked row matches and passes the filter (`not any`).
    NotAny,
    /// Linked rows exist, but none of them passes the filter (`all`, as documented: the
    /// filter is written inverted).
    All,
}

/// Direction of a hierarchy condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hierarchy {
    /// The record is a descendant of the anchor.
    Under,
    /// The record is an ancestor of the anchor.
    Above,
}

/// A typed predicate over one table's records.
#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    /// Always true / false.
    Const(bool),
    /// All must hold.
    And(Vec<Predicate>),
    /// Any must hold.
    Or(Vec<Predicate>),
    /// Negation.
    Not(Box<Predicate>),
    /// A comparison with SQL null semantics (see [`compare`]).
    Compare {
        /// Left operand.
        left: Operand,
        /// Operator.
        op: CmpOp,
        /// Right operand.
        right: Operand,
    },
    /// SQL `LIKE`, case-insensitive (contains/startswith/endswith).
    Like {
        /// The text column.
        column: ColumnRef,
        /// The pattern with SQL wildcards.
        pattern: String,
    },
    /// The column's value is one of `values` (nulls never match).
    In {
        /// The column.
        column: ColumnRef,
        /// Accepted keys.
        values: Vec<SortKey>,
    },
    /// A lambda over related records.
    Lambda {
        /// How to find the related records.
        related: Related,
        /// `all` (true) or `any` (false).
        all: bool,
        /// The condition on each related record (`None`: `any()` without a body).
        predicate: Option<Box<Predicate>>,
    },
    /// Restricts to a set of record ids (collection navigation, key lookups).
    IdIn(HashSet<Uuid>),
    /// A FetchXML semi-join (`link-type` any, not any, all, not all, exists, in): rows of
    /// `entity` whose `from` column equals the row's `to` column.
    Exists {
        /// The linked table.
        entity: String,
        /// The linked table's column.
        from: String,
        /// Whether `from` is the linked table's primary key.
        from_is_id: bool,
        /// The row's column it must equal.
        to: ColumnRef,
        /// The link-entity's own filter over the linked rows.
        predicate: Option<Box<Predicate>>,
        /// How the matches decide.
        mode: ExistsMode,
    },
    /// Hierarchy conditions (Under, UnderOrEqual, Above, AboveOrEqual).
    Hierarchy {
        /// The lookup to the parent record on the same table.
        parent_attribute: String,
        /// The anchor record.
        anchor: Uuid,
        /// Direction.
        direction: Hierarchy,
        /// Whether the anchor itself matches.
        or_equal: bool,
    },
    /// A multi-select choice column holds at least one of `values` (`ContainValues`,
    /// FetchXML `contain-values`). A column with no selection holds none, so the negation
    /// (`DoesNotContainValues`) matches it.
    ContainValues {
        /// The multi-select column.
        column: ColumnRef,
        /// The option values looked for.
        values: Vec<i32>,
    },
}

/// The deepest parent chain walked before a hierarchy is taken as cyclic.
const MAX_DEPTH: usize = 100;

/// SQL semantics: `x eq null` is `IS NULL`, `x ne null` is `IS NOT NULL`, and any other
/// comparison involving null is false (so `ne 'x'` doesn't match nulls).
pub fn compare(left: &SortKey, op: CmpOp, right: &SortKey) -> bool {
    match (left, right, op) {
        (SortKey::Null, SortKey::Null, CmpOp::Eq) => true,
        (SortKey::Null, SortKey::Null, _) => false,
        (SortKey::Null, _, CmpOp::Ne) | (_, SortKey::Null, CmpOp::Ne) => {
            // Only `column ne null` (literal null) reaches here with a meaning.
            false
        }
        (SortKey::Null, _, _) | (_, SortKey::Null, _) => false,
        _ => ordering_matches(left.cmp_key(right), op),
    }
}

impl Predicate {
    /// Whether `record` satisfies the predicate.
    pub fn matches(&self, state: &State, entity: &str, record: &Record) -> bool {
        self.eval(state, entity, record, &[]) == Some(true)
    }

    /// Whether the predicate reads a column of a link-entity join (so it must be checked
    /// on joined rows rather than on the root record alone).
    pub fn reads_links(&self) -> bool {
        let linked = |o: &Operand| matches!(o, Operand::Column(c) if c.link.is_some());
        match self {
            Predicate::And(ps) | Predicate::Or(ps) => ps.iter().any(Predicate::reads_links),
            Predicate::Not(p) => p.reads_links(),
            Predicate::Compare { left, right, .. } => linked(left) || linked(right),
            Predicate::Like { column, .. } | Predicate::In { column, .. } | Predicate::ContainValues { column, .. } => column.link.is_some(),
            Predicate::Exists { to, .. } => to.link.is_some(),
            Predicate::Const(_) | Predicate::Lambda { .. } | Predicate::IdIn(_) | Predicate::Hierarchy { .. } => false,
        }
    }

    /// Whether a joined row (root `record` plus link-entity records) satisfies the predicate.
    pub fn matches_joined(&self, state: &State, entity: &str, record: &Record, links: Links<'_>) -> bool {
        self.eval(state, entity, record, links) == Some(true)
    }

    /// SQL three-valued logic: `None` is UNKNOWN, which a comparison involving null yields.
    /// `not` of UNKNOWN stays UNKNOWN, so `not (x eq 1)` excludes nulls as `x ne 1` does.
    fn eval(&self, state: &State, entity: &str, record: &Record, links: Links<'_>) -> Option<bool> {
        match self {
            Predicate::Const(b) => Some(*b),
            Predicate::And(ps) => {
                let mut unknown = false;
                for p in ps {
                    match p.eval(state, entity, record, links) {
                        Some(false) => return Some(false),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                if unknown { None } else { Some(true) }
            }
            Predicate::Or(ps) => {
                let mut unknown = false;
                for p in ps {
                    match p.eval(state, entity, record, links) {
                        Some(true) => return Some(true),
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                if unknown { None } else { Some(false) }
            }
            Predicate::Not(p) => p.eval(state, entity, record, links).map(|b| !b),
            Predicate::Compare { left, op, right } => {
                let l = operand_value(state, record, links, left);
                let r = operand_value(state, record, links, right);
                match (op, l, r) {
                    // `x eq null` / `x ne null` (a literal null) are IS NULL / IS NOT NULL.
                    (CmpOp::Eq, l, Value::Null) if is_null_literal(right) => Some(l.is_null()),
                    (CmpOp::Ne, l, Value::Null) if is_null_literal(right) => Some(!l.is_null()),
                    (CmpOp::Eq, Value::Null, r) if is_null_literal(left) => Some(r.is_null()),
                    (CmpOp::Ne, Value::Null, r) if is_null_literal(left) => Some(!r.is_null()),
                    (_, Value::Null, _) | (_, _, Value::Null) => None,
                    // The common case, text against text, compares without allocating.
                    (op, Value::String(a), Value::String(b)) => Some(ordering_matches(cmp_case_insensitive(a, b), *op)),
                    _ => Some(compare(&SortKey::of(l), *op, &SortKey::of(r))),
                }
            }
            Predicate::Like { column, pattern } => match column.read_joined(state, record, links) {
                Value::String(s) => Some(like(s, pattern)),
                _ => None,
            },
            Predicate::In { column, values } => {
                let key = SortKey::of(column.read_joined(state, record, links));
                if key == SortKey::Null {
                    return None;
                }
                Some(values.iter().any(|v| key.cmp_key(v).is_eq()))
            }
            Predicate::Lambda { related, all, predicate } => {
                let (table, ids) = related_ids(state, related, record.id);
                let mut rows = ids.into_iter().filter_map(|id| state.get(&table, id));
                Some(match (all, predicate) {
                    (false, None) => rows.next().is_some(),
                    (false, Some(p)) => rows.any(|r| p.matches(state, &table, r)),
                    (true, None) => true,
                    (true, Some(p)) => rows.all(|r| p.matches(state, &table, r)),
                })
            }
            Predicate::IdIn(ids) => Some(ids.contains(&record.id)),
            Predicate::ContainValues { column, values } => Some(match column.read_joined(state, record, links) {
                Value::Choices(cs) => cs.iter().any(|c| values.contains(c)),
                _ => false,
            }),
            Predicate::Exists { entity: linked, from, from_is_id, to, predicate, mode } => {
                let key = to.read_joined(state, record, links);
                let rows = linked_rows(state, linked, from, *from_is_id, key);
                let passes = |r: &&Arc<Record>| predicate.as_ref().is_none_or(|p| p.matches(state, linked, r));
                Some(match mode {
                    ExistsMode::Any => rows.iter().any(passes),
                    ExistsMode::NotAny => !rows.iter().any(passes),
                    ExistsMode::All => !rows.is_empty() && !rows.iter().any(passes),
                })
            }
            Predicate::Hierarchy { parent_attribute, anchor, direction, or_equal } => {
                if record.id == *anchor {
                    return Some(*or_equal);
                }
                let (start, target) = match direction {
                    Hierarchy::Under => (record.id, *anchor),
                    Hierarchy::Above => (*anchor, record.id),
                };
                Some(ancestors(state, entity, parent_attribute, start).contains(&target))
            }
        }
    }
}

fn is_null_literal(operand: &Operand) -> bool {
    matches!(operand, Operand::Value(Value::Null))
}

fn operand_value<'a>(state: &'a State, record: &'a Record, links: Links<'a>, operand: &'a Operand) -> &'a Value {
    match operand {
        Operand::Column(c) => c.read_joined(state, record, links),
        Operand::Value(v) => v,
    }
}

/// Case-insensitive text order, the same as comparing lower-cased strings.
fn cmp_case_insensitive(a: &str, b: &str) -> std::cmp::Ordering {
    a.chars().flat_map(char::to_lowercase).cmp(b.chars().flat_map(char::to_lowercase))
}

fn ordering_matches(ord: std::cmp::Ordering, op: CmpOp) -> bool {
    use std::cmp::Ordering::*;
    match op {
        CmpOp::Eq => ord == Equal,
        CmpOp::Ne => ord != Equal,
        CmpOp::Gt => ord == Greater,
        CmpOp::Ge => ord != Less,
        CmpOp::Lt => ord == Less,
        CmpOp::Le => ord != Greater,
    }
}

/// Ancestor ids of `id` through `parent_attribute`, nearest first.
fn ancestors(state: &State, entity: &str, parent_attribute: &str, id: Uuid) -> Vec<Uuid> {
    let mut out = Vec::new();
    let mut current = id;
    while out.len() < MAX_DEPTH {
        let Some(Value::Lookup(parent)) = state.get(entity, current).map(|r| r.get(parent_attribute).clone()) else { break };
        if out.contains(&parent.id) || parent.id == id {
            break;
        }
        out.push(parent.id);
        current = parent.id;
    }
    out
}

/// The table and ids of records related to `id`.
pub fn related_ids(state: &State, related: &Related, id: Uuid) -> (String, Vec<Uuid>) {
    match related {
        Related::OneToMany { entity, attribute } => {
            // The lookup column's equality index, not a scan of the child table.
            let ids = state
                .table(entity)
                .map(|t| t.equal(attribute, &id.to_string()))
                .unwrap_or_default()
                .into_iter()
                .filter(|child| state.get(entity, *child).is_some_and(|r| r.get(attribute).as_ref().is_some_and(|v| v.id == id)))
                .collect();
            (entity.clone(), ids)
        }
        Related::ManyToMany { relationship, other, this_is_entity1 } => {
            let ids = state
                .associations(relationship)
                .filter_map(|(a, b)| if *this_is_entity1 { (*a == id).then_some(*b) } else { (*b == id).then_some(*a) })
                .collect();
            (other.clone(), ids)
        }
    }
}

/// Rows of `entity` whose column `from` equals `key`: by primary key when `from_is_id`,
/// else through the column's equality index (built on first use). Null matches nothing.
pub fn linked_rows<'s>(state: &'s State, entity: &str, from: &str, from_is_id: bool, key: &Value) -> Vec<&'s Arc<Record>> {
    if from_is_id {
        let id = match key {
            Value::Lookup(r) => r.id,
            Value::Guid(g) => *g,
            _ => return Vec::new(),
        };
        return state.get(entity, id).into_iter().collect();
    }
    let Some(text) = key.key_text() else { return Vec::new() };
    let Some(table) = state.table(entity) else { return Vec::new() };
    let mut rows: Vec<&Arc<Record>> = table.equal(from, &text).into_iter().filter_map(|id| state.get(entity, id)).collect();
    rows.sort_by_key(|r| r.id);
    rows
}
