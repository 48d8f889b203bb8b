//! Runs a [`QueryPlan`] over a store snapshot. Nothing here fails on user input.

use std::cmp::Ordering;
use std::sync::Arc;

use uuid::Uuid;

use super::order::{self, SortSpec};
use super::page;
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
}

/// Rows that can match, using the primary key or an alternate key instead of a scan when
/// the predicate pins one.
fn candidates<'s>(plan: &QueryPlan, state: &'s State) -> Vec<&'s Arc<Record>> {
    let entity = &plan.entity;
    let conjuncts: Vec<&Predicate> = match &plan.predicate {
        Predicate::And(ps) => ps.iter().collect(),
        p => vec![p],
    };
    let equal = |attribute: &str| {
        conjuncts.iter().find_map(|p| match p {
            Predicate::Compare { left: Operand::Column(c), op: CmpOp::Eq, right: Operand::Value(v) } if c.hops.is_empty() && c.attribute == attribute && !v.is_null() => Some(v.clone()),
            _ => None,
        })
    };
    if let Some(Value::Guid(id)) = equal(&entity.primary_id) {
        return state.get(&entity.logical_name, id).into_iter().collect();
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
                return state.get(&entity.logical_name, id).into_iter().collect();
            }
            if values.iter().all(|v| matches!(v, Value::String(_) | Value::Guid(_))) {
                return Vec::new();
            }
        }
    }
    state.table(&entity.logical_name).map(|t| t.rows().collect()).unwrap_or_default()
}

/// Runs the plan.
pub fn execute(plan: &QueryPlan, metadata: &Metadata, state: &State) -> Page {
    let entity = &plan.entity;
    let matched: Vec<&Arc<Record>> = candidates(plan, state)
        .into_iter()
        .filter(|r| plan.predicate.matches(state, &entity.logical_name, r))
        .collect();
    let total = matched.len();
    let specs: &[SortSpec] = &plan.order;
    let mut keyed: Vec<(Vec<SortKey>, Uuid, &Arc<Record>)> = matched
        .into_iter()
        .map(|r| (specs.iter().map(|s| order::key(s, metadata, entity, state, r)).collect(), r.id, r))
        .collect();
    if let Some(after) = &plan.after {
        keyed.retain(|(k, id, _)| order::compare(specs, (k, *id), (&after.keys, after.id)) == Ordering::Greater);
    }
    let limit = plan.top.unwrap_or(plan.page_size);
    let cmp = |a: &(Vec<SortKey>, Uuid, &Arc<Record>), b: &(Vec<SortKey>, Uuid, &Arc<Record>)| order::compare(specs, (&a.0, a.1), (&b.0, b.1));
    let more = keyed.len() > limit;
    if more && limit > 0 {
        // Only the first `limit` rows need ordering: select, then sort those.
        keyed.select_nth_unstable_by(limit - 1, cmp);
        keyed.truncate(limit);
    } else if more {
        keyed.clear();
    }
    keyed.sort_unstable_by(cmp);
    let next = match (more && plan.top.is_none(), keyed.first(), keyed.last()) {
        (true, Some(first), Some(last)) => {
            let page_number = plan.after.as_ref().map_or(1, |c| c.page);
            Some(page::skiptoken(specs, &entity.primary_id, page_number, (&first.0, first.1), (&last.0, last.1)))
        }
        _ => None,
    };
    Page { rows: keyed.into_iter().map(|(_, _, r)| r.clone()).collect(), total, next }
}
