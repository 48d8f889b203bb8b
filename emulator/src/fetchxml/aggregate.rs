//! `aggregate="true"`: group the joined rows a FetchXML query matches and compute each
//! measure, in the `$apply` response shape (one object per group keyed by the aliases;
//! sums and averages with 9 decimal places, as [`crate::query::aggregate`] writes them).

use std::collections::{HashMap, HashSet};
use std::fmt::Write;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde_json::{Map, Value as Json};

use super::ast::{AggregateFn, DateGrouping};
use super::compile::Measure;
use crate::error::{Code, Error, Result};
use crate::query::aggregate::{nine_places, numeric};
use crate::query::dates;
use crate::query::join::Slots;
use crate::store::{Record, SortKey, State, Value};
use crate::wire::headers::{AnnotationFilter, ATTRIBUTE_NAME, FORMATTED_VALUE, LOOKUP_LOGICAL_NAME};
use crate::wire::json::value_json;

/// A group-by value: the column's value, or the date part it is grouped by.
fn group_value(m: &Measure, v: &Value, fiscal_start: u8) -> Value {
    let (Some(grouping), Value::DateTime(t)) = (m.date_grouping, v) else { return v.clone() };
    let d = t.date();
    Value::Int(match grouping {
        DateGrouping::Day => i32::from(d.day()),
        DateGrouping::Week => i32::from(d.sunday_based_week()) + 1,
        DateGrouping::Month => i32::from(u8::from(d.month())),
        DateGrouping::Quarter => (i32::from(u8::from(d.month())) - 1) / 3 + 1,
        DateGrouping::Year => d.year(),
        DateGrouping::FiscalPeriod => dates::fiscal_period(d, fiscal_start).1,
        DateGrouping::FiscalYear => dates::fiscal_period(d, fiscal_start).0,
    })
}

/// One group: its group-by values and member rows.
struct Group<'r> {
    values: Vec<Value>,
    members: Vec<(&'r Arc<Record>, &'r Slots)>,
}

/// Aggregates `rows` (root records with their join slots) into the response rows.
#[allow(clippy::too_many_arguments)]
pub fn run(
    state: &State,
    measures: &[Measure],
    orders: &[(String, bool)],
    rows: &[(&Arc<Record>, &Slots)],
    limit: usize,
    fiscal_start: u8,
    annotations: Option<&AnnotationFilter>,
    name_of: &dyn Fn(&str, uuid::Uuid) -> Option<String>,
) -> Result<Vec<Json>> {
    if rows.len() > limit {
        return Err(Error::new(Code::AggregateQueryRecordLimitExceeded, "The maximum record limit is exceeded. Reduce the number of records."));
    }
    let group_by: Vec<&Measure> = measures.iter().filter(|m| m.function.is_none()).collect();
    // Groups are keyed by their values' canonical key text (`Value::key_text`: case-folded,
    // numbers normalised), each length-prefixed (or `n` for null) into one string built in
    // a reused buffer: a row of an existing group allocates nothing.
    let mut index: HashMap<String, usize, foldhash::fast::RandomState> = HashMap::default();
    let mut groups: Vec<Group<'_>> = Vec::new();
    let (mut key, mut part) = (String::new(), String::new());
    for (r, slots) in rows {
        let values: Vec<Value> = group_by.iter().map(|m| group_value(m, m.column.read_joined(state, r, slots), fiscal_start)).collect();
        key.clear();
        for v in &values {
            part.clear();
            if v.write_key_text(&mut part) {
                let _ = write!(key, "s{}:{part}", part.len());
            } else {
                key.push('n');
            }
        }
        let slot = match index.get(key.as_str()) {
            Some(&slot) => slot,
            None => {
                groups.push(Group { values, members: Vec::new() });
                index.insert(key.clone(), groups.len() - 1);
                groups.len() - 1
            }
        };
        groups[slot].members.push((r, slots));
    }
    if groups.is_empty() && group_by.is_empty() {
        groups.push(Group { values: Vec::new(), members: Vec::new() });
    }
    let wants = |term: &str| annotations.is_some_and(|a| a.wants(term));
    let mut out: Vec<Map<String, Json>> = Vec::with_capacity(groups.len());
    for g in &groups {
        let mut row = Map::new();
        let mut values = g.values.iter();
        for m in measures {
            match m.function {
                None => {
                    let v = values.next().cloned().unwrap_or(Value::Null);
                    let attr = m.table.attribute(&m.column.attribute);
                    if let (Some(attr), false) = (attr, v.is_null()) {
                        if m.date_grouping.is_none() {
                            if let Value::Lookup(r) = &v {
                                if wants(FORMATTED_VALUE) {
                                    if let Some(n) = name_of(&r.logical_name, r.id) {
                                        row.insert(format!("{}@{FORMATTED_VALUE}", m.alias), Json::String(n));
                                    }
                                }
                                if wants(LOOKUP_LOGICAL_NAME) {
                                    row.insert(format!("{}@{LOOKUP_LOGICAL_NAME}", m.alias), Json::String(r.logical_name.to_string()));
                                }
                            } else if wants(FORMATTED_VALUE) {
                                if let Some(f) = crate::wire::format::formatted(attr, &v, "$") {
                                    row.insert(format!("{}@{FORMATTED_VALUE}", m.alias), Json::String(f));
                                }
                            }
                        }
                    }
                    let json = match (&v, attr) {
                        (Value::Int(i), _) if m.date_grouping.is_some() => Json::from(*i),
                        (_, Some(attr)) => value_json(attr, &v),
                        _ => Json::Null,
                    };
                    if wants(ATTRIBUTE_NAME) && !json.is_null() {
                        row.insert(format!("{}@{ATTRIBUTE_NAME}", m.alias), Json::String(m.column.attribute.clone()));
                    }
                    row.insert(m.alias.clone(), json);
                }
                Some(f) => {
                    if wants(ATTRIBUTE_NAME) {
                        row.insert(format!("{}@{ATTRIBUTE_NAME}", m.alias), Json::String(m.column.attribute.clone()));
                    }
                    row.insert(m.alias.clone(), measure(state, m, f, &g.members));
                }
            }
        }
        out.push(row);
    }
    // Groups come out ordered by their group-by values (nulls first), then by any
    // <order alias=…> the query gave.
    let key = |row: &Map<String, Json>, alias: &str| -> SortKey {
        match row.get(alias) {
            Some(Json::Number(n)) => n.to_string().parse::<Decimal>().map_or(SortKey::Null, SortKey::Number),
            Some(Json::String(s)) => SortKey::Text(s.to_lowercase()),
            Some(Json::Bool(b)) => SortKey::Bool(*b),
            _ => SortKey::Null,
        }
    };
    let natural: Vec<(String, bool)> = group_by.iter().map(|m| (m.alias.clone(), false)).collect();
    let all_orders: Vec<&(String, bool)> = orders.iter().chain(natural.iter()).collect();
    out.sort_by(|a, b| {
        for (alias, descending) in &all_orders {
            let o = key(a, alias).cmp_key(&key(b, alias));
            let o = if *descending { o.reverse() } else { o };
            if o.is_ne() {
                return o;
            }
        }
        std::cmp::Ordering::Equal
    });
    Ok(out.into_iter().map(Json::Object).collect())
}

fn measure(state: &State, m: &Measure, f: AggregateFn, members: &[(&Arc<Record>, &Slots)]) -> Json {
    if f == AggregateFn::Count {
        // Counts rows, whatever the column holds: no need to read it.
        return Json::from(members.len());
    }
    let values: Vec<&Value> = members.iter().map(|(r, s)| m.column.read_joined(state, r, s)).filter(|v| !v.is_null()).collect();
    match f {
        AggregateFn::Count => Json::from(members.len()),
        AggregateFn::CountColumn if m.distinct => {
            let distinct: HashSet<String> = values.iter().map(|v| format!("{:?}", SortKey::of(v))).collect();
            Json::from(distinct.len())
        }
        AggregateFn::CountColumn => Json::from(values.len()),
        AggregateFn::Sum => nine_places(values.iter().filter_map(|v| numeric(v)).sum()),
        AggregateFn::Avg => {
            let nums: Vec<Decimal> = values.iter().filter_map(|v| numeric(v)).collect();
            if nums.is_empty() {
                Json::Null
            } else {
                nine_places(nums.iter().sum::<Decimal>() / Decimal::from(nums.len()))
            }
        }
        AggregateFn::Min | AggregateFn::Max => {
            let pick = values.iter().copied().reduce(|a, b| {
                let o = SortKey::of(a).cmp_key(&SortKey::of(b));
                let keep_a = if f == AggregateFn::Min { o.is_le() } else { o.is_ge() };
                if keep_a { a } else { b }
            });
            match (pick, m.table.attribute(&m.column.attribute)) {
                (Some(v), Some(attr)) => value_json(attr, v),
                _ => Json::Null,
            }
        }
    }
}
