//! A parsed [`Select`] as the FetchXML query it means: tables and aliases become the root
//! `<entity>` and nested `<link-entity>`s, the select list `<attribute>`s (aggregates and
//! `GROUP BY` as FetchXML aggregation), `WHERE` one `<filter>` tree on the root whose
//! conditions name their link by `entityname`, `ORDER BY` `<order>`s. Dataverse documents
//! the same correspondence: an aliased column comes back under its alias with the
//! `OData.Community.Display.V1.AttributeName` annotation, as an aliased FetchXML attribute does.

use std::collections::HashMap;

use super::parse::{bad, Aggregate, ColumnRef, Cond, Item, Literal, Select};
use crate::error::Result;
use crate::fetchxml::ast::{AggregateFn, Attribute, Condition, Entity, Fetch, Filter, FilterItem, LinkEntity, LinkType, Order};

/// Where a table alias points: the root (`None`) or a link, by its position in the tree.
type Place = Option<Vec<usize>>;

/// The FetchXML query `select` means; `primary_id` is the root table's key (what
/// `COUNT(*)` counts).
pub fn to_fetch(select: Select, primary_id: &str) -> Result<Fetch> {
    let mut root = Entity { name: select.from.table.to_ascii_lowercase(), ..Entity::default() };
    let mut places: HashMap<String, Place> = HashMap::new();
    places.insert(select.from.alias.as_deref().unwrap_or(&select.from.table).to_ascii_lowercase(), None);
    // Link aliases as FetchXML knows them (entityname), by place.
    let mut link_alias: HashMap<Vec<usize>, String> = HashMap::new();
    // Links reached from the root through inner joins only: a condition on one of them can
    // sit in its own <filter>, as FetchXML written by hand would have it.
    let mut inner_paths: Vec<Vec<usize>> = Vec::new();
    for join in &select.joins {
        let name = join.table.alias.as_deref().unwrap_or(&join.table.table).to_ascii_lowercase();
        if places.contains_key(&name) {
            return Err(bad(format!("The table alias '{name}' is used twice: give each joined table its own alias.")));
        }
        let (left, right) = &join.on;
        let is_new = |c: &ColumnRef| c.qualifier.as_deref().is_some_and(|q| q.eq_ignore_ascii_case(&name));
        let (new_side, known_side) = match (is_new(left), is_new(right)) {
            (false, true) => (right, left),
            (true, false) => (left, right),
            _ => return Err(bad(format!("A JOIN's ON compares a column of '{name}' with a column of a table before it, as in ON a.accountid = {name}.parentcustomerid."))),
        };
        let parent = place(&places, known_side)?;
        let link = LinkEntity {
            from: Some(new_side.column.to_ascii_lowercase()),
            to: Some(known_side.column.to_ascii_lowercase()),
            alias: Some(name.clone()),
            link_type: if join.outer { LinkType::Outer } else { LinkType::Inner },
            intersect: false,
            entity: Entity { name: join.table.table.to_ascii_lowercase(), ..Entity::default() },
        };
        let parent_path = parent.clone().unwrap_or_default();
        let siblings = &mut entity_at(&mut root, &parent_path).links;
        siblings.push(link);
        let mut path = parent_path;
        path.push(siblings.len() - 1);
        link_alias.insert(path.clone(), name.clone());
        if !join.outer && (parent.is_none() || parent.as_ref().is_some_and(|p| inner_paths.contains(p))) {
            inner_paths.push(path.clone());
        }
        places.insert(name, Some(path));
    }

    let aggregate = select.items.iter().any(|i| matches!(i, Item::Aggregate { .. })) || !select.group_by.is_empty();
    // Select-list aliases, for ORDER BY.
    let mut output: Vec<(String, Place, String)> = Vec::new();
    for item in &select.items {
        match item {
            Item::Column { column, alias } => {
                let at = place(&places, column)?;
                let name = column.column.to_ascii_lowercase();
                let mut attribute = Attribute { name: name.clone(), alias: alias.clone(), ..Attribute::default() };
                if aggregate {
                    if !select.group_by.iter().any(|g| same_column(&places, g, column)) {
                        return Err(bad(format!(
                            "Column '{}' is invalid in the select list because it is not contained in either an aggregate function or the GROUP BY clause.",
                            column.column
                        )));
                    }
                    attribute.group_by = true;
                    attribute.alias = Some(alias.clone().unwrap_or_else(|| name.clone()));
                }
                output.push((alias.clone().unwrap_or_else(|| name.clone()).to_ascii_lowercase(), at.clone(), name));
                entity_at(&mut root, at.as_deref().unwrap_or_default()).attributes.push(attribute);
            }
            Item::Aggregate { function, column, distinct, alias } => {
                let (at, name) = match column {
                    Some(c) => (place(&places, c)?, c.column.to_ascii_lowercase()),
                    None => (None, primary_id.to_string()),
                };
                let function = match (function, column) {
                    (Aggregate::Count, None) => AggregateFn::Count,
                    (Aggregate::Count, Some(_)) => AggregateFn::CountColumn,
                    (Aggregate::Sum, _) => AggregateFn::Sum,
                    (Aggregate::Avg, _) => AggregateFn::Avg,
                    (Aggregate::Min, _) => AggregateFn::Min,
                    (Aggregate::Max, _) => AggregateFn::Max,
                };
                // FetchXML names every aggregate; an unnamed one is named after what it computes.
                let alias = alias.clone().unwrap_or_else(|| match column {
                    None => "count".to_string(),
                    Some(_) => format!("{}_{name}", format!("{function:?}").to_ascii_lowercase()),
                });
                output.push((alias.to_ascii_lowercase(), at.clone(), name.clone()));
                let attribute = Attribute { name, alias: Some(alias), aggregate: Some(function), distinct: *distinct, ..Attribute::default() };
                entity_at(&mut root, at.as_deref().unwrap_or_default()).attributes.push(attribute);
            }
        }
    }
    // Grouped columns the select list leaves out still group.
    for g in &select.group_by {
        let listed = select.items.iter().any(|i| matches!(i, Item::Column { column, .. } if same_column(&places, g, column)));
        if !listed {
            let at = place(&places, g)?;
            let name = g.column.to_ascii_lowercase();
            entity_at(&mut root, at.as_deref().unwrap_or_default()).attributes.push(Attribute { name: name.clone(), alias: Some(name), group_by: true, ..Attribute::default() });
        }
    }

    if let Some(filter) = select.filter {
        // The AND-ed conditions that read one inner-joined table only go to that link's
        // filter (the same rows, and the planner can narrow the link first); the rest stay
        // on the root, naming their link by `entityname`.
        let parts = match filter {
            Cond::And(parts) => parts,
            other => vec![other],
        };
        let mut kept = Vec::new();
        for part in parts {
            match single_place(&places, &part) {
                Some(Some(path)) if inner_paths.contains(&path) && movable(&part) => {
                    let item = condition(&places, &HashMap::new(), primary_id, part)?;
                    entity_at(&mut root, &path).filters.push(as_filter(item));
                }
                _ => kept.push(part),
            }
        }
        if !kept.is_empty() {
            let cond = if kept.len() == 1 { kept.remove(0) } else { Cond::And(kept) };
            let item = condition(&places, &link_alias, primary_id, cond)?;
            root.filters.push(as_filter(item));
        }
    }

    for (column, descending) in &select.order_by {
        let by_alias = column.qualifier.is_none().then(|| output.iter().find(|(alias, _, _)| alias.eq_ignore_ascii_case(&column.column))).flatten();
        let order = if aggregate {
            let alias = by_alias.map(|(a, _, _)| a.clone()).ok_or_else(|| bad(format!("ORDER BY '{}' in an aggregate query names a column of the select list or its alias.", column.column)))?;
            let item_alias = select_alias(&select.items, &alias).unwrap_or(alias);
            Order { alias: Some(item_alias), descending: *descending, ..Order::default() }
        } else {
            let (at, name) = match by_alias {
                Some((_, at, name)) => (at.clone(), name.clone()),
                None => (place(&places, column)?, column.column.to_ascii_lowercase()),
            };
            let entity_name = at.as_ref().and_then(|p| link_alias.get(p).cloned());
            Order { attribute: Some(name), descending: *descending, entity_name, ..Order::default() }
        };
        root.orders.push(order);
    }

    Ok(Fetch { top: select.top, distinct: select.distinct, aggregate, entity: root, ..Fetch::default() })
}

fn as_filter(item: FilterItem) -> Filter {
    match item {
        FilterItem::Filter(f) => f,
        other => Filter { or: false, items: vec![other] },
    }
}

/// The columns a condition reads.
fn columns(c: &Cond) -> Vec<&ColumnRef> {
    match c {
        Cond::And(parts) | Cond::Or(parts) => parts.iter().flat_map(columns).collect(),
        Cond::Not(inner) => columns(inner),
        Cond::Compare { column, .. } | Cond::Like { column, .. } | Cond::In { column, .. } | Cond::Between { column, .. } | Cond::IsNull { column, .. } => vec![column],
    }
}

/// The one table every column of `c` belongs to (`None` when they span several or an
/// alias is unknown, which the root's conversion then reports).
fn single_place(places: &HashMap<String, Place>, c: &Cond) -> Option<Place> {
    let mut found: Option<Place> = None;
    for column in columns(c) {
        let at = place(places, column).ok()?;
        match &found {
            None => found = Some(at),
            Some(existing) if *existing == at => {}
            Some(_) => return None,
        }
    }
    found
}

/// Whether `c` converts without the root-keyed "no row" stand-in (`= NULL`, an `IN` of
/// nulls), so it can move into a link's filter.
fn movable(c: &Cond) -> bool {
    match c {
        Cond::And(parts) | Cond::Or(parts) => !parts.is_empty() && parts.iter().all(movable),
        Cond::Not(inner) => movable(inner),
        Cond::Compare { value, .. } => *value != Literal::Null,
        Cond::In { values, .. } => values.iter().any(|v| *v != Literal::Null),
        Cond::Between { low, high, .. } => *low != Literal::Null && *high != Literal::Null,
        Cond::Like { .. } | Cond::IsNull { .. } => true,
    }
}

/// The alias as written in the select list (FetchXML aliases keep their case).
fn select_alias(items: &[Item], lower: &str) -> Option<String> {
    items.iter().find_map(|i| match i {
        Item::Column { alias: Some(a), .. } | Item::Aggregate { alias: Some(a), .. } if a.eq_ignore_ascii_case(lower) => Some(a.clone()),
        _ => None,
    })
}

fn entity_at<'e>(root: &'e mut Entity, path: &[usize]) -> &'e mut Entity {
    match path.split_first() {
        None => root,
        Some((first, rest)) => entity_at(&mut root.links[*first].entity, rest),
    }
}

/// The table a column reference belongs to: its qualifier's, or the root's.
fn place(places: &HashMap<String, Place>, column: &ColumnRef) -> Result<Place> {
    match &column.qualifier {
        None => Ok(None),
        Some(q) => places.get(&q.to_ascii_lowercase()).cloned().ok_or_else(|| bad(format!("The multi-part identifier '{q}.{}' could not be bound.", column.column))),
    }
}

fn same_column(places: &HashMap<String, Place>, a: &ColumnRef, b: &ColumnRef) -> bool {
    a.column.eq_ignore_ascii_case(&b.column) && matches!((place(places, a), place(places, b)), (Ok(x), Ok(y)) if x == y)
}

fn literal_text(value: &Literal) -> Option<String> {
    match value {
        Literal::String(s) => Some(s.clone()),
        Literal::Number(n) => Some(n.clone()),
        Literal::Null => None,
    }
}

/// `NOT c`, pushed down to the conditions (FetchXML has no general negation).
fn negate(c: Cond) -> Cond {
    match c {
        Cond::And(parts) => Cond::Or(parts.into_iter().map(negate).collect()),
        Cond::Or(parts) => Cond::And(parts.into_iter().map(negate).collect()),
        Cond::Not(inner) => *inner,
        Cond::Compare { column, op, value } => {
            let op = match op {
                "=" => "<>",
                "<>" => "=",
                "<" => ">=",
                ">=" => "<",
                ">" => "<=",
                _ => ">",
            };
            Cond::Compare { column, op, value }
        }
        Cond::Like { column, pattern, negated } => Cond::Like { column, pattern, negated: !negated },
        Cond::In { column, values, negated } => Cond::In { column, values, negated: !negated },
        Cond::Between { column, low, high, negated } => Cond::Between { column, low, high, negated: !negated },
        Cond::IsNull { column, negated } => Cond::IsNull { column, negated: !negated },
    }
}

fn condition(places: &HashMap<String, Place>, link_alias: &HashMap<Vec<usize>, String>, primary_id: &str, c: Cond) -> Result<FilterItem> {
    let on = |column: &ColumnRef| -> Result<(String, Option<String>)> {
        let at = place(places, column)?;
        Ok((column.column.to_ascii_lowercase(), at.and_then(|p| link_alias.get(&p).cloned())))
    };
    // `x = NULL` is never true in SQL: a condition no row meets (the key is never null).
    let nothing = || FilterItem::Condition(Condition { attribute: primary_id.to_string(), operator: "null".into(), ..Condition::default() });
    let cond = |attribute: String, entity_name: Option<String>, operator: &str, value: Option<String>, values: Vec<String>| {
        FilterItem::Condition(Condition { attribute, operator: operator.into(), value, values, entity_name, value_of: None })
    };
    Ok(match c {
        Cond::And(parts) | Cond::Or(parts) if parts.is_empty() => nothing(),
        Cond::And(parts) => FilterItem::Filter(Filter { or: false, items: parts.into_iter().map(|p| condition(places, link_alias, primary_id, p)).collect::<Result<_>>()? }),
        Cond::Or(parts) => FilterItem::Filter(Filter { or: true, items: parts.into_iter().map(|p| condition(places, link_alias, primary_id, p)).collect::<Result<_>>()? }),
        Cond::Not(inner) => condition(places, link_alias, primary_id, negate(*inner))?,
        Cond::Compare { column, op, value } => {
            let (attribute, entity_name) = on(&column)?;
            let Some(text) = literal_text(&value) else { return Ok(nothing()) };
            let operator = match op {
                "=" => "eq",
                "<>" => "ne",
                "<" => "lt",
                ">" => "gt",
                "<=" => "le",
                _ => "ge",
            };
            cond(attribute, entity_name, operator, Some(text), Vec::new())
        }
        Cond::Like { column, pattern, negated } => {
            let (attribute, entity_name) = on(&column)?;
            cond(attribute, entity_name, if negated { "not-like" } else { "like" }, Some(pattern), Vec::new())
        }
        Cond::In { column, values, negated } => {
            let (attribute, entity_name) = on(&column)?;
            let values: Vec<String> = values.iter().filter_map(literal_text).collect();
            if values.is_empty() {
                return Ok(nothing());
            }
            cond(attribute, entity_name, if negated { "not-in" } else { "in" }, None, values)
        }
        Cond::Between { column, low, high, negated } => {
            let (attribute, entity_name) = on(&column)?;
            let (Some(low), Some(high)) = (literal_text(&low), literal_text(&high)) else { return Ok(nothing()) };
            cond(attribute, entity_name, if negated { "not-between" } else { "between" }, None, vec![low, high])
        }
        Cond::IsNull { column, negated } => {
            let (attribute, entity_name) = on(&column)?;
            cond(attribute, entity_name, if negated { "not-null" } else { "null" }, None, Vec::new())
        }
    })
}
