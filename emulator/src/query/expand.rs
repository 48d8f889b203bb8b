//! `$expand` → [`ExpandPlan`]s: navigation resolved, nested options planned, and
//! Dataverse's limits enforced before anything runs.

use odata_parser::ast::{ExpandItem, OrderByExpr, SelectItem};

use super::order::{self, SortSpec};
use super::predicate::{Predicate, Related};
use super::{filter, Scope};
use crate::error::{Code, Error, Result};
use crate::metadata::{EntityDef, Navigation};

/// Dataverse allows this many navigation properties in one query's `$expand`.
pub const MAX_EXPANDS: usize = 15;

/// What an expanded navigation property points at.
#[derive(Debug, Clone)]
pub enum ExpandKind {
    /// A lookup: one record (or null).
    Single {
        /// The lookup column.
        attribute: String,
    },
    /// Related records.
    Collection {
        /// How to find them.
        related: Related,
    },
}

/// One resolved `$expand` item.
#[derive(Debug, Clone)]
pub struct ExpandPlan {
    /// The navigation property, as the response names it.
    pub nav: String,
    /// Lookup or collection.
    pub kind: ExpandKind,
    /// The table expanded into (for polymorphic lookups, the first target; rows carry their own).
    pub entity: String,
    /// `nav/$ref`: references only.
    pub is_ref: bool,
    /// Nested `$select` (property names).
    pub select: Option<Vec<String>>,
    /// Nested `$filter`.
    pub predicate: Predicate,
    /// Nested `$orderby`.
    pub order: Vec<SortSpec>,
    /// Nested `$top`.
    pub top: Option<usize>,
    /// Nested `$expand`.
    pub children: Vec<ExpandPlan>,
}

fn bad(message: impl Into<String>) -> Error {
    Error::new(Code::BadRequest, message)
}

fn count(items: &[ExpandItem]) -> usize {
    items.iter().map(|i| 1 + i.expand.as_deref().map_or(0, count)).sum()
}

/// Resolves a top-level `$expand` over `entity`.
pub fn resolve(scope: &Scope<'_>, entity: &EntityDef, items: &[ExpandItem]) -> Result<Vec<ExpandPlan>> {
    if count(items) > MAX_EXPANDS {
        return Err(bad(format!("The $expand exceeds the maximum of {MAX_EXPANDS} navigation properties in one query.")));
    }
    items.iter().map(|i| resolve_item(scope, entity, i, true)).collect()
}

fn resolve_item(scope: &Scope<'_>, entity: &EntityDef, item: &ExpandItem, top_level: bool) -> Result<ExpandPlan> {
    let nav = entity.navigation(scope.metadata, &item.nav).ok_or_else(|| Error::property_not_found(&entity.logical_name, &item.nav))?;
    let (kind, target) = match nav {
        Navigation::Single(single) => {
            let target = single
                .target
                .clone()
                .or_else(|| entity.attribute(&single.attribute).and_then(|a| a.targets.first().cloned()))
                .ok_or_else(|| Error::internal("lookup without targets"))?;
            (ExpandKind::Single { attribute: single.attribute }, target)
        }
        Navigation::OneToMany(rel) => (
            ExpandKind::Collection { related: Related::OneToMany { entity: rel.referencing_entity.clone(), attribute: rel.referencing_attribute.clone() } },
            rel.referencing_entity.clone(),
        ),
        Navigation::ManyToMany { rel, other } => (
            ExpandKind::Collection {
                related: Related::ManyToMany { relationship: rel.schema_name.clone(), other: other.to_string(), this_is_entity1: rel.entity1 == entity.logical_name },
            },
            other.to_string(),
        ),
    };
    let collection = matches!(kind, ExpandKind::Collection { .. });
    if item.is_ref && collection {
        return Err(bad("Expand with $ref is only supported on lookup type navigation property."));
    }
    if let Some(name) = item.unsupported.first() {
        return Err(bad(format!("The query option '${name}' is not supported inside $expand.")));
    }
    if (item.top.is_some() || item.orderby.is_some()) && !(collection && top_level) {
        return Err(bad("Only $select and $filter clause can be provided while doing $expand on many-to-one relationship or nested one-to-many relationship."));
    }
    let target_def = scope.metadata.entity(&target).ok_or_else(|| Error::internal(format!("no table {target}")))?;
    let select = match &item.select {
        None => None,
        Some(items) => {
            let mut names = Vec::new();
            for s in items {
                match s {
                    SelectItem::Star => return plan_rest(scope, target_def, item, kind, target.clone(), None),
                    SelectItem::Property(p) => {
                        if target_def.property(p).is_none() {
                            return Err(Error::property_not_found(&target_def.logical_name, p));
                        }
                        names.push(p.clone());
                    }
                }
            }
            Some(names)
        }
    };
    plan_rest(scope, target_def, item, kind, target, select)
}

fn plan_rest(scope: &Scope<'_>, target_def: &EntityDef, item: &ExpandItem, kind: ExpandKind, target: String, select: Option<Vec<String>>) -> Result<ExpandPlan> {
    let predicate = match &item.filter {
        Some(expr) => filter::resolve(scope, target_def, expr)?,
        None => Predicate::Const(true),
    };
    let order = match &item.orderby {
        Some(items) => {
            let pairs = items
                .iter()
                .map(|o| match &o.expr {
                    OrderByExpr::Member(m) => Ok((m.segments.clone(), o.descending)),
                    OrderByExpr::Alias(_) => Err(bad("Parameter aliases are not supported inside $expand.")),
                })
                .collect::<Result<Vec<_>>>()?;
            order::resolve(scope, target_def, &pairs)?
        }
        None => Vec::new(),
    };
    let children = match &item.expand {
        Some(nested) => nested.iter().map(|n| resolve_item(scope, target_def, n, false)).collect::<Result<Vec<_>>>()?,
        None => Vec::new(),
    };
    Ok(ExpandPlan {
        nav: item.nav.clone(),
        kind,
        entity: target,
        is_ref: item.is_ref,
        select,
        predicate,
        order,
        top: item.top.map(|t| usize::try_from(t).unwrap_or(usize::MAX)),
        children,
    })
}

/// The `@odata.context` projection: `name,primarycontactid(fullname),Account_Tasks(subject)`.
pub fn context_projection(select: Option<&[String]>, expands: &[ExpandPlan]) -> Option<String> {
    if select.is_none() && expands.is_empty() {
        return None;
    }
    let mut parts: Vec<String> = select.map(|s| s.to_vec()).unwrap_or_default();
    for e in expands {
        if e.is_ref {
            parts.push(e.nav.clone());
            parts.push(format!("{}/$ref()", e.nav));
            continue;
        }
        let inner = context_projection(e.select.as_deref(), &e.children).unwrap_or_default();
        parts.push(format!("{}({inner})", e.nav));
    }
    Some(parts.join(","))
}
