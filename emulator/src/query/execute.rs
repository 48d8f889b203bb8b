//! Runs a [`QueryPlan`] over a store snapshot. Nothing here fails on user input.

use std::cmp::Ordering;
use std::sync::Arc;

use uuid::Uuid;

use super::order::{self, SortSpec};
use super::page;
use super::join::{self, Slots};
use super::plan::QueryPlan;
use super::predicate::{CmpOp, Operand, Predicate};
use crate::metadata::Metadata;
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

/// Rows that can match, using the primary key, an alternate key or a column index instead
/// of a scan when the predicate pins one. The flag says the rows match the whole predicate
/// already (it was that one equality), so they need no second evaluation.
fn candidates<'s>(plan: &QueryPlan, state: &'s State) -> (Vec<&'s Arc<Record>>, bool) {
    let rows = candidate_rows(plan, state);
    let exact = rows.1 && matches!(plan.predicate, Predicate::Compare { .. });
    (rows.0, exact)
}

fn candidate_rows<'s>(plan: &QueryPlan, state: &'s State) -> (Vec<&'s Arc<Record>>, bool) {
    let entity = &plan.entity;
    let conjuncts: Vec<&Predicate> = match &plan.predicate {
        Predicate::And(ps) => ps.iter().collect(),
        p => vec![p],
    };
    let equal = |attribute: &str| {
        conjuncts.iter().find_map(|p| match p {
            Predicate::Compare { left: Operand::Column(c), op: CmpOp::Eq, right: Operand::Value(v) } if c.link.is_none() && c.hops.is_empty() && c.attribute == attribute && !v.is_null() => Some(v.clone()),
            _ => None,
        })
    };
    if let Some(Value::Guid(id)) = equal(&entity.primary_id) {
        return (state.get(&entity.logical_name, id).into_iter().collect(), false);
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
                return (state.get(&entity.logical_name, id).into_iter().collect(), false);
            }
            if values.iter().all(|v| matches!(v, Value::String(_) | Value::Guid(_))) {
                return (Vec::new(), false);
            }
        }
    }
    let Some(table) = state.table(&entity.logical_name) else { return (Vec::new(), false) };
    // Any other equality on a column whose values key exactly: use (or build) its index.
    for p in &conjuncts {
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
            let rows = table.equal(&c.attribute, &key).into_iter().filter_map(|id| state.get(&entity.logical_name, id)).collect();
            return (rows, true);
        }
    }
    (table.rows().collect(), false)
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

/// Runs the plan.
pub fn execute(plan: &QueryPlan, metadata: &Metadata, state: &State) -> Page {
    let entity = &plan.entity;
    let (rows, exact) = candidates(plan, state);
    let specs: &[SortSpec] = &plan.order;
    let name = &entity.logical_name;
    let mut keyed: Vec<Keyed<'_>> = Vec::new();
    if plan.joins.is_empty() {
        for r in rows {
            if exact || plan.predicate.matches(state, name, r) {
                keyed.push((specs.iter().map(|s| order::key(s, metadata, entity, state, r)).collect(), r.id, r, Vec::new()));
            }
        }
    } else {
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
            for slots in join::expand(state, &plan.joins, r) {
                if joined.iter().all(|p| p.matches_joined(state, name, r, &slots)) {
                    let keys = specs.iter().map(|s| order::key_joined(s, metadata, entity, state, r, &slots)).collect();
                    keyed.push((keys, r.id, r, slots));
                }
            }
        }
    }
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
