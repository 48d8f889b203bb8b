//! Runs a [`QueryPlan`] over a store snapshot. Nothing here fails on user input.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::Arc;

use uuid::Uuid;

use super::order::{self, SortSpec};
use super::page;
use super::join::{self, JoinKind, JoinSource, Slots};
use super::plan::QueryPlan;
use super::predicate::{CmpOp, Operand, Predicate};
use crate::metadata::{EntityDef, Metadata};
use crate::store::{Record, SortKey, State, Value};

/// One page of results.
#[derive(Debug)]
pub struct Page {
    /// The rows of this page, in order.
    pub rows: Vec<Arc<Record>>,
    /// How many rows match in all (for `$count` and totalrecordcount).
    pub total: usize,
    /// The `$skiptoken` of the next page, when there is one.
    pub next: Option<String>,
    /// Whether rows remain after this page.
    pub more: bool,
    /// The first and last rows' sort keys and ids, for paging cookies.
    pub bounds: Option<Bound2>,
    /// Each row's link-entity slots (empty when the plan has no joins).
    pub links: Vec<Slots>,
}

/// A row position: sort keys and root id.
pub type Bound = (Vec<SortKey>, Uuid);
/// The first and last positions of a page.
pub type Bound2 = (Bound, Bound);

/// The rows a plan starts from.
struct Candidates<'s> {
    /// Rows that can match.
    rows: Vec<&'s Arc<Record>>,
    /// The rows match the whole predicate already (it was that one equality), so they
    /// need no second evaluation.
    exact: bool,
    /// Per join, the linked ids found through an index that pass its own filter.
    known: Vec<Option<HashSet<Uuid>>>,
}

/// Rows that can match, using the primary key, an alternate key or a column index instead
/// of a scan when the predicate (or an inner join's filter) pins one.
fn candidates<'s>(plan: &QueryPlan, metadata: &Metadata, state: &'s State) -> Candidates<'s> {
    let mut c = candidate_rows(plan, metadata, state);
    c.exact = c.exact && matches!(plan.predicate, Predicate::Compare { .. });
    c
}

/// The top-level conjuncts of a predicate.
fn conjuncts(predicate: &Predicate) -> Vec<&Predicate> {
    match predicate {
        Predicate::And(ps) => ps.iter().collect(),
        p => vec![p],
    }
}

/// Ids of the rows of `entity` that satisfy one of `conjuncts`, an equality on a column
/// whose values key exactly, read from (or building) that column's index; `None` when no
/// conjunct is such an equality.
fn index_hit(state: &State, entity: &EntityDef, conjuncts: &[&Predicate]) -> Option<Vec<Uuid>> {
    let table = state.table(&entity.logical_name)?;
    for p in conjuncts {
        let Predicate::Compare { left: Operand::Column(c), op: CmpOp::Eq, right: Operand::Value(v) } = p else { continue };
        if c.link.is_some() || !c.hops.is_empty() || v.is_null() {
            continue;
        }
        let Some(attr) = entity.attribute(&c.attribute) else { continue };
        use crate::metadata::AttributeType as T;
        let exact = matches!(
            attr.kind,
            T::String | T::Memo | T::EntityName | T::Integer | T::BigInt | T::Picklist | T::State | T::Status | T::Boolean | T::Uniqueidentifier | T::Lookup | T::Customer | T::Owner
        );
        let key = match v {
            Value::Decimal(d) => Some(d.normalize().to_string()),
            other => other.key_text(),
        };
        if let (true, Some(key)) = (exact, key) {
            return Some(table.equal(&c.attribute, &key));
        }
    }
    None
}

/// Ids of the root rows that can survive the plan's inner joins, when a join's own filter
/// pins an indexed equality: the linked records it admits are found through the linked
/// table's index, and the root rows pointing at them through the index of the root's join
/// column — no scan of either table. `None` when no join qualifies. Also returns, per
/// join, the linked ids found that way, which pass the join's filter.
///
/// A join qualifies when it hangs off the root (`to` is a root lookup or id column), joins
/// on the linked table's primary key, and drops rows without a match (inner, first row):
/// such a root row survives only if the record its `to` column names passes the filter.
/// The ids are candidates only; every predicate and join is still evaluated on them.
///
/// A join whose filter admits more than `budget` linked records is not used: probing the
/// root's index once per linked record would cost more than reading the rows it saves.
fn joined_ids(plan: &QueryPlan, metadata: &Metadata, state: &State, budget: usize) -> (Option<Vec<Uuid>>, Vec<Option<HashSet<Uuid>>>) {
    use crate::metadata::AttributeType as T;
    let mut known: Vec<Option<HashSet<Uuid>>> = vec![None; plan.joins.len()];
    let Some(root) = state.table(&plan.entity.logical_name) else { return (None, known) };
    let mut best: Option<Vec<Uuid>> = None;
    for (i, join) in plan.joins.iter().enumerate() {
        let (JoinKind::Inner | JoinKind::FirstRow, JoinSource::Table, true, None, Some(filter)) = (join.kind, &join.source, join.from_is_id, join.to.link, &join.predicate) else {
            continue;
        };
        if !join.to.hops.is_empty() || !plan.entity.attribute(&join.to.attribute).is_some_and(|a| matches!(a.kind, T::Lookup | T::Customer | T::Owner | T::Uniqueidentifier)) {
            continue;
        }
        let Some(linked) = metadata.entity(&join.entity) else { continue };
        let parts = conjuncts(filter);
        let Some(mut ids) = index_hit(state, linked, &parts) else { continue };
        if ids.len() > budget {
            continue;
        }
        if !matches!(filter, Predicate::Compare { .. }) && !matches!(filter, Predicate::And(ps) if ps.len() == 1 && matches!(ps[0], Predicate::Compare { .. })) {
            // The filter holds more than the indexed equality: keep the records passing it all.
            ids.retain(|id| state.get(&join.entity, *id).is_some_and(|r| filter.matches(state, &join.entity, r)));
        }
        // Lookup and id columns index under the id's text (`Value::key_text`).
        let mut roots: Vec<Uuid> = ids.iter().flat_map(|id| root.equal(&join.to.attribute, &id.to_string())).collect();
        roots.sort_unstable();
        roots.dedup();
        if best.as_ref().is_none_or(|b| roots.len() < b.len()) {
            best = Some(roots);
        }
        known[i] = Some(ids.into_iter().collect());
    }
    (best, known)
}

/// [`candidates`], with `exact` set whenever the rows came from one equality's index.
fn candidate_rows<'s>(plan: &QueryPlan, metadata: &Metadata, state: &'s State) -> Candidates<'s> {
    let few = |rows: Vec<&'s Arc<Record>>| Candidates { rows, exact: false, known: Vec::new() };
    let entity = &plan.entity;
    let conjuncts = conjuncts(&plan.predicate);
    let equal = |attribute: &str| {
        conjuncts.iter().find_map(|p| match p {
            Predicate::Compare { left: Operand::Column(c), op: CmpOp::Eq, right: Operand::Value(v) } if c.link.is_none() && c.hops.is_empty() && c.attribute == attribute && !v.is_null() => Some(v.clone()),
            _ => None,
        })
    };
    if let Some(Value::Guid(id)) = equal(&entity.primary_id) {
        return few(state.get(&entity.logical_name, id).into_iter().collect());
    }
    for key in &entity.keys {
        let values: Option<Vec<Value>> = key.attributes.iter().map(|a| equal(a)).collect();
        if let Some(values) = values {
            let values: Vec<Value> = values
                .into_iter()
                .map(|v| match v {
                    // Filters type numbers as decimals; the key index compares canonical text.
                    Value::Decimal(d) => Value::Decimal(d.normalize()),
                    other => other,
                })
                .collect();
            if let Some(id) = state.find_by_key(&entity.logical_name, &key.logical_name, &values) {
                return few(state.get(&entity.logical_name, id).into_iter().collect());
            }
            if values.iter().all(|v| matches!(v, Value::String(_) | Value::Guid(_))) {
                return few(Vec::new());
            }
        }
    }
    let Some(table) = state.table(&entity.logical_name) else { return few(Vec::new()) };
    let get = |ids: Vec<Uuid>| ids.into_iter().filter_map(|id| state.get(&entity.logical_name, id)).collect();
    // Any other equality on a column whose values key exactly: use (or build) its index;
    // a join's filter may narrow the rows further, or instead.
    let own = index_hit(state, entity, &conjuncts);
    // An index probe per linked record costs a fraction of reading a row and joining it.
    let budget = own.as_ref().map_or(table.len() / 4, |o| o.len().saturating_mul(4));
    let (joined, known) = if plan.joins.is_empty() { (None, Vec::new()) } else { joined_ids(plan, metadata, state, budget) };
    let (rows, exact) = match (own, joined) {
        (None, None) => (table.rows().collect(), false),
        (Some(own), None) => (get(own), true),
        (None, Some(joined)) => (get(joined), false),
        (Some(own), Some(joined)) => {
            let (small, large) = if own.len() <= joined.len() { (own, joined) } else { (joined, own) };
            // Intersect when it is cheap next to reading the rows; otherwise the smaller
            // set alone (the predicates and joins still check every row).
            if large.len() <= small.len().saturating_mul(16) {
                let keep: HashSet<Uuid> = small.into_iter().collect();
                (get(large.into_iter().filter(|id| keep.contains(id)).collect()), false)
            } else {
                (get(small), false)
            }
        }
    };
    Candidates { rows, exact, known }
}

/// A matched row: its sort keys, root record and link-entity slots.
type Keyed<'s> = (Vec<SortKey>, Uuid, &'s Arc<Record>, Slots);

/// Total order of matched rows: the sort specs, then the root id, then the joined ids
/// (so rows a one-to-many join multiplied keep a stable order).
fn compare_rows(specs: &[SortSpec], a: &Keyed<'_>, b: &Keyed<'_>) -> Ordering {
    order::compare(specs, (&a.0, a.1), (&b.0, b.1)).then_with(|| {
        let ids = |s: &Slots| s.iter().map(|r| r.as_ref().map(|r| r.id)).collect::<Vec<_>>();
        if a.3.is_empty() { Ordering::Equal } else { ids(&a.3).cmp(&ids(&b.3)) }
    })
}

/// Calls `keep` with every row the plan's predicate and joins keep (once per joined row
/// when a join multiplies it), in no particular order.
fn each_match<'s>(plan: &QueryPlan, metadata: &Metadata, state: &'s State, mut keep: impl FnMut(&'s Arc<Record>, Slots)) {
    let name = &plan.entity.logical_name;
    let Candidates { rows, exact, known } = candidates(plan, metadata, state);
    if plan.joins.is_empty() {
        for r in rows {
            if exact || plan.predicate.matches(state, name, r) {
                keep(r, Vec::new());
            }
        }
        return;
    }
    // Conditions on the root alone are checked before joining, the rest on each joined row.
    let (root_only, joined): (Vec<&Predicate>, Vec<&Predicate>) = match &plan.predicate {
        Predicate::And(ps) => ps.iter().partition(|p| !p.reads_links()),
        p if !p.reads_links() => (vec![p], Vec::new()),
        p => (Vec::new(), vec![p]),
    };
    for r in rows {
        if !root_only.iter().all(|p| p.matches(state, name, r)) {
            continue;
        }
        for slots in join::expand(state, &plan.joins, r, &known) {
            if joined.iter().all(|p| p.matches_joined(state, name, r, &slots)) {
                keep(r, slots);
            }
        }
    }
}

/// Every matching row with its join slots, unordered and unpaged: what aggregates read,
/// where order is theirs to impose and sorting every row first would be wasted.
pub fn matching<'s>(plan: &QueryPlan, metadata: &Metadata, state: &'s State) -> Vec<(&'s Arc<Record>, Slots)> {
    let mut rows = Vec::new();
    each_match(plan, metadata, state, |r, slots| rows.push((r, slots)));
    rows
}

/// How many rows match (`$count`), without ordering or copying any.
pub fn count(plan: &QueryPlan, metadata: &Metadata, state: &State) -> usize {
    let mut n = 0;
    each_match(plan, metadata, state, |_, _| n += 1);
    n
}

/// Runs the plan.
pub fn execute(plan: &QueryPlan, metadata: &Metadata, state: &State) -> Page {
    let entity = &plan.entity;
    let specs: &[SortSpec] = &plan.order;
    let mut keyed: Vec<Keyed<'_>> = Vec::new();
    each_match(plan, metadata, state, |r, slots| {
        let keys = if plan.joins.is_empty() {
            specs.iter().map(|s| order::key(s, metadata, entity, state, r)).collect()
        } else {
            specs.iter().map(|s| order::key_joined(s, metadata, entity, state, r, &slots)).collect()
        };
        keyed.push((keys, r.id, r, slots));
    });
    let total = keyed.len();
    if let Some(after) = &plan.after {
        keyed.retain(|(k, id, _, _)| order::compare(specs, (k, *id), (&after.keys, after.id)) == Ordering::Greater);
    }
    let limit = plan.top.unwrap_or(plan.page_size);
    let end = plan.offset.saturating_add(limit);
    let cmp = |a: &Keyed<'_>, b: &Keyed<'_>| compare_rows(specs, a, b);
    let more = keyed.len() > end;
    if more && end > 0 {
        // Only the first `end` rows need ordering: select, then sort those.
        keyed.select_nth_unstable_by(end - 1, cmp);
        keyed.truncate(end);
    } else if more {
        keyed.clear();
    }
    keyed.sort_unstable_by(cmp);
    keyed.drain(..plan.offset.min(keyed.len()));
    let bounds = match (keyed.first(), keyed.last()) {
        (Some(first), Some(last)) => Some(((first.0.clone(), first.1), (last.0.clone(), last.1))),
        _ => None,
    };
    let next = match (more && plan.top.is_none(), &bounds) {
        (true, Some((first, last))) => {
            let page_number = plan.after.as_ref().map_or(1, |c| c.page);
            Some(page::skiptoken(specs, &entity.primary_id, page_number, (&first.0, first.1), (&last.0, last.1)))
        }
        _ => None,
    };
    let mut out = Page { rows: Vec::with_capacity(keyed.len()), links: Vec::new(), total, next, more, bounds };
    for (_, _, r, slots) in keyed {
        out.rows.push(r.clone());
        if !plan.joins.is_empty() {
            out.links.push(slots);
        }
    }
    out
}
