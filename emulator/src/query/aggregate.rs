//! `$apply`: `filter(…)`, `groupby((…),aggregate(…))` and `aggregate(…)` over the rows a
//! query matches, in Dataverse's response shape: one object per group holding the
//! group-by properties (a path through a lookup is named `<table>_<column>`, e.g.
//! `contact_fullname`) and the aliases; sums and averages with 9 decimal places.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use odata_parser::ast::{AggregateMethod, AggregateSource, Transformation};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use serde_json::{Map, Value as Json};

use super::filter::{self, column, Column};
use super::predicate::Predicate;
use super::Scope;
use crate::error::{Code, Error, Result};
use crate::metadata::{AttributeType, EntityDef};
use crate::store::{Record, SortKey, State, Value};
use crate::wire::json::value_json;

/// Dataverse refuses to aggregate over more rows than this.
pub const MAX_AGGREGATE_ROWS: usize = 50_000;

/// One aggregate output.
struct Measure<'m> {
    column: Option<Column<'m>>,
    method: Option<AggregateMethod>,
    alias: String,
}

/// A resolved `$apply`.
pub struct Apply<'m> {
    filters: Vec<Predicate>,
    group_by: Vec<(String, Column<'m>)>,
    measures: Vec<Measure<'m>>,
}

fn bad(message: impl Into<String>) -> Error {
    Error::new(Code::BadRequest, message)
}

/// Resolves the transformations over `entity`.
pub fn resolve<'m>(scope: &Scope<'m>, entity: &'m EntityDef, text: &str) -> Result<Apply<'m>> {
    let mut apply = Apply { filters: Vec::new(), group_by: Vec::new(), measures: Vec::new() };
    for t in odata_parser::parse_apply(text)? {
        match t {
            Transformation::Filter(expr) => apply.filters.push(filter::resolve(scope, entity, &expr)?),
            Transformation::GroupBy { properties, aggregate } => {
                for p in properties {
                    let c = column(scope, entity, &p.segments)?;
                    let name = if c.reference.hops.is_empty() {
                        c.attr.property_name().to_string()
                    } else {
                        let table = last_table(scope, entity, &p.segments).unwrap_or_default();
                        format!("{table}_{}", c.attr.logical_name)
                    };
                    apply.group_by.push((name, c));
                }
                measures(scope, entity, &aggregate, &mut apply.measures)?;
            }
            Transformation::Aggregate(aggregate) => measures(scope, entity, &aggregate, &mut apply.measures)?,
        }
    }
    Ok(apply)
}

fn last_table(scope: &Scope<'_>, entity: &EntityDef, path: &[String]) -> Option<String> {
    let mut current = entity.logical_name.clone();
    for nav in &path[..path.len().saturating_sub(1)] {
        let def = scope.metadata.entity(&current)?;
        match def.navigation(scope.metadata, nav)? {
            crate::metadata::Navigation::Single(s) => current = s.target?,
            _ => return None,
        }
    }
    Some(current)
}

fn measures<'m>(scope: &Scope<'m>, entity: &'m EntityDef, items: &[odata_parser::ast::AggregateExpr], out: &mut Vec<Measure<'m>>) -> Result<()> {
    for a in items {
        let column = match &a.source {
            AggregateSource::Count => None,
            AggregateSource::Property(p) => {
                let c = column(scope, entity, &p.segments)?;
                let numeric = matches!(c.attr.kind, AttributeType::Integer | AttributeType::BigInt | AttributeType::Decimal | AttributeType::Money | AttributeType::Double);
                if matches!(a.method, Some(AggregateMethod::Sum | AggregateMethod::Average)) && !numeric {
                    return Err(bad(format!("The aggregate method '{}' can't be applied to the column '{}'.", a.method.map_or("", |m| m.keyword()), c.attr.logical_name)));
                }
                Some(c)
            }
        };
        out.push(Measure { column, method: a.method, alias: a.alias.clone() });
    }
    Ok(())
}

/// A sum or average as Dataverse writes it: 9 decimal places (`440000.000000000`).
/// serde_json's `arbitrary_precision` keeps the scale as written.
pub(crate) fn nine_places(d: Decimal) -> Json {
    let mut d = d.round_dp(9);
    d.rescale(9);
    d.to_string().parse::<serde_json::Number>().map(Json::Number).unwrap_or(Json::Null)
}

/// One group of rows with its group-by values.
struct Group<'r> {
    keys: Vec<SortKey>,
    values: Vec<Value>,
    members: Vec<&'r Arc<Record>>,
}

pub(crate) fn numeric(v: &Value) -> Option<Decimal> {
    match v {
        Value::Int(i) => Some(Decimal::from(*i)),
        Value::BigInt(i) => Some(Decimal::from(*i)),
        Value::Decimal(d) | Value::Money(d) => Some(*d),
        Value::Double(f) => Decimal::from_f64(*f),
        _ => None,
    }
}

impl Apply<'_> {
    /// Whether `name` is one of the aggregate aliases (`$orderby` can't use them in Dataverse).
    pub fn is_alias(&self, name: &str) -> bool {
        self.measures.iter().any(|m| m.alias == name)
    }

    /// Runs the aggregation over the rows that matched the query's `$filter`.
    pub fn run(&self, state: &State, entity: &str, rows: &[&Arc<Record>]) -> Result<Vec<Json>> {
        let rows: Vec<&Arc<Record>> = rows.iter().copied().filter(|r| self.filters.iter().all(|f| f.matches(state, entity, r))).collect();
        if rows.len() > MAX_AGGREGATE_ROWS {
            return Err(Error::new(Code::AggregateQueryRecordLimitExceeded, "The maximum record limit is exceeded. Reduce the number of records."));
        }
        // Groups come out ordered by their group-by values, nulls first.
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut groups: Vec<Group<'_>> = Vec::new();
        for r in rows {
            let values: Vec<Value> = self.group_by.iter().map(|(_, c)| c.reference.read(state, r).clone()).collect();
            let keys: Vec<SortKey> = values.iter().map(SortKey::of).collect();
            let slot = *index.entry(format!("{keys:?}")).or_insert_with(|| {
                groups.push(Group { keys, values, members: Vec::new() });
                groups.len() - 1
            });
            groups[slot].members.push(r);
        }
        if groups.is_empty() && self.group_by.is_empty() {
            groups.push(Group { keys: Vec::new(), values: Vec::new(), members: Vec::new() });
        }
        groups.sort_by(|a, b| a.keys.iter().zip(&b.keys).map(|(x, y)| x.cmp_key(y)).find(|o| o.is_ne()).unwrap_or(std::cmp::Ordering::Equal));
        let mut out = Vec::with_capacity(groups.len());
        for g in groups {
            let mut row = Map::new();
            for ((name, c), v) in self.group_by.iter().zip(&g.values) {
                row.insert(name.clone(), value_json(c.attr, v));
            }
            for m in &self.measures {
                row.insert(m.alias.clone(), self.measure(state, m, &g.members));
            }
            out.push(Json::Object(row));
        }
        Ok(out)
    }

    fn measure(&self, state: &State, m: &Measure<'_>, members: &[&Arc<Record>]) -> Json {
        let Some(c) = &m.column else { return Json::from(members.len()) };
        let values: Vec<&Value> = members.iter().map(|r| c.reference.read(state, r)).filter(|v| !v.is_null()).collect();
        match m.method {
            None => Json::from(members.len()),
            Some(AggregateMethod::CountDistinct) => {
                let distinct: HashSet<String> = values.iter().map(|v| format!("{:?}", SortKey::of(v))).collect();
                Json::from(distinct.len())
            }
            Some(AggregateMethod::Sum) => nine_places(values.iter().filter_map(|v| numeric(v)).sum()),
            Some(AggregateMethod::Average) => {
                let nums: Vec<Decimal> = values.iter().filter_map(|v| numeric(v)).collect();
                if nums.is_empty() {
                    Json::Null
                } else {
                    nine_places(nums.iter().sum::<Decimal>() / Decimal::from(nums.len()))
                }
            }
            Some(AggregateMethod::Min | AggregateMethod::Max) => {
                let pick = values.iter().copied().reduce(|a, b| {
                    let o = SortKey::of(a).cmp_key(&SortKey::of(b));
                    let keep_a = if m.method == Some(AggregateMethod::Min) { o.is_le() } else { o.is_ge() };
                    if keep_a { a } else { b }
                });
                pick.map_or(Json::Null, |v| value_json(c.attr, v))
            }
        }
    }
}
