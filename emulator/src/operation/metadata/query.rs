//! The query options of metadata requests: `$select`, `$filter` and `$expand` (with nested
//! `$select`/`$filter`), checked against the metadata type before anything is built, and
//! applied to the definition JSON. Metadata has no paging or ordering, so `$top`,
//! `$orderby`, `$count`, `$apply` and `$skiptoken` are refused rather than ignored.

use odata_parser::ast::{ExpandItem, SelectItem};
use odata_parser::ast::expr::Expr;
use serde_json::{Map, Value as Json};

use super::filter;
use crate::error::{Code, Error, Result};
use crate::metadata::definitions::{self as defs, attribute::{AttributeClass, ATTRIBUTE_PROPERTIES, OPTION_SET_PROPERTIES}, RelationshipKind};
use crate::operation::Ctx;

/// A metadata type: what `$select`, `$filter` and `$expand` may name on it.
#[derive(Debug, Clone, Copy)]
pub(super) struct MetaType {
    /// The unqualified type name, for messages (`EntityMetadata`).
    pub(super) name: &'static str,
    /// The structural properties: the common list, then the derived type's.
    properties: [&'static [&'static str]; 2],
    /// Navigation properties (expandable, selectable, not filterable).
    navigations: &'static [&'static str],
}

impl MetaType {
    /// `EntityMetadata`
    pub(super) const ENTITY: MetaType = MetaType { name: "EntityMetadata", properties: [defs::ENTITY_PROPERTIES, &[]], navigations: defs::ENTITY_NAVIGATIONS };
    /// `EntityKeyMetadata`
    pub(super) const KEY: MetaType = MetaType { name: "EntityKeyMetadata", properties: [defs::KEY_PROPERTIES, &[]], navigations: &[] };
    /// `OptionSetMetadataBase` and its derived types, as one list.
    pub(super) const OPTION_SET: MetaType = MetaType { name: "OptionSetMetadata", properties: [OPTION_SET_PROPERTIES, &[]], navigations: &[] };

    /// `AttributeMetadata`, or the derived type a cast names.
    pub(super) fn attribute(class: AttributeClass) -> MetaType {
        MetaType { name: class.type_name(), properties: [ATTRIBUTE_PROPERTIES, class.properties()], navigations: class.navigations() }
    }

    /// `RelationshipMetadataBase`, or one of its two derived types.
    pub(super) fn relationship(kind: Option<RelationshipKind>) -> MetaType {
        match kind {
            None => MetaType { name: "RelationshipMetadataBase", properties: [defs::RELATIONSHIP_PROPERTIES, &[]], navigations: &[] },
            Some(k) => MetaType { name: k.type_name(), properties: [defs::RELATIONSHIP_PROPERTIES, k.properties()], navigations: &[] },
        }
    }

    /// Whether `name` is a structural property.
    pub(super) fn has_property(&self, name: &str) -> bool {
        self.properties.iter().any(|list| list.contains(&name))
    }

    /// The type a navigation property leads to.
    fn navigation(&self, name: &str) -> Option<MetaType> {
        if !self.navigations.contains(&name) {
            return None;
        }
        Some(match name {
            "Attributes" => MetaType::attribute(AttributeClass::Base),
            "Keys" => MetaType::KEY,
            "OneToManyRelationships" | "ManyToOneRelationships" => MetaType::relationship(Some(RelationshipKind::OneToMany)),
            "ManyToManyRelationships" => MetaType::relationship(Some(RelationshipKind::ManyToMany)),
            _ => MetaType::OPTION_SET,
        })
    }
}

/// Validated query options for one level: the request, or one `$expand` item.
#[derive(Debug, Default)]
pub(super) struct Shape {
    /// `$select`; `None` for every property.
    pub(super) select: Option<Vec<String>>,
    /// `$filter`
    pub(super) filter: Option<Expr>,
    /// `$expand`, each with its own options.
    pub(super) expand: Vec<(String, Shape)>,
}

fn bad(message: impl Into<String>) -> Error {
    Error::new(Code::BadRequest, message)
}

fn select(items: Option<&[SelectItem]>, ty: &MetaType) -> Result<Option<Vec<String>>> {
    let Some(items) = items else { return Ok(None) };
    let mut names: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        match item {
            SelectItem::Star => return Ok(None),
            SelectItem::Property(p) if ty.has_property(p) || ty.navigations.contains(&p.as_str()) => {
                if !names.contains(p) {
                    names.push(p.clone());
                }
            }
            SelectItem::Property(p) => return Err(Error::property_not_found(ty.name, p)),
        }
    }
    Ok(Some(names))
}

fn expand(items: &[ExpandItem], ty: &MetaType) -> Result<Vec<(String, Shape)>> {
    items
        .iter()
        .map(|item| {
            let target = ty.navigation(&item.nav).ok_or_else(|| Error::property_not_found(ty.name, &item.nav))?;
            if item.is_ref || item.orderby.is_some() || item.top.is_some() || item.expand.is_some() || !item.unsupported.is_empty() {
                return Err(bad(format!("Only $select and $filter are supported when expanding '{}' of metadata.", item.nav)));
            }
            if let Some(f) = &item.filter {
                filter::check(f, &target)?;
            }
            let shape = Shape { select: select(item.select.as_deref(), &target)?, filter: item.filter.clone(), expand: Vec::new() };
            Ok((item.nav.clone(), shape))
        })
        .collect()
}

impl Shape {
    /// The request's options, validated against `ty`.
    pub(super) fn from_request(ctx: &Ctx<'_, '_>, ty: &MetaType) -> Result<Shape> {
        ctx.refuse_unimplemented_options()?;
        let q = &ctx.query;
        let refused = [("top", q.top.is_some()), ("orderby", q.orderby.is_some()), ("count", q.count.is_some()), ("apply", q.apply.is_some()), ("skiptoken", q.skiptoken.is_some())];
        if let Some((name, _)) = refused.iter().find(|(_, given)| *given) {
            return Err(bad(format!("The query parameter '${name}' is not supported for metadata.")));
        }
        let filter = q.filter.as_deref().map(odata_parser::parse_filter).transpose()?;
        if let Some(f) = &filter {
            filter::check(f, ty)?;
        }
        let expand = match &q.expand {
            Some(text) => expand(&odata_parser::parse_expand(text)?, ty)?,
            None => Vec::new(),
        };
        Ok(Shape { select: select(q.select.as_deref(), ty)?, filter, expand })
    }

    /// Whether a definition passes `$filter`.
    pub(super) fn matches(&self, item: &Map<String, Json>) -> Result<bool> {
        self.filter.as_ref().map_or(Ok(true), |f| filter::matches(f, item))
    }

    /// `$select` applied: `@odata.type`, the selected properties in the order asked, and
    /// `MetadataId`, which the service always returns.
    pub(super) fn project(&self, mut item: Map<String, Json>) -> Map<String, Json> {
        let Some(names) = &self.select else { return item };
        let mut out = Map::with_capacity(names.len() + 2);
        if let Some(t) = item.remove("@odata.type") {
            out.insert("@odata.type".into(), t);
        }
        for name in names {
            if let Some(v) = item.remove(name) {
                out.insert(name.clone(), v);
            }
        }
        if let Some(id) = item.remove("MetadataId") {
            out.insert("MetadataId".into(), id);
        }
        out
    }

    /// Filters and projects a collection of definitions.
    pub(super) fn collection(&self, items: impl IntoIterator<Item = Map<String, Json>>) -> Result<Vec<Json>> {
        let mut out = Vec::new();
        for item in items {
            if self.matches(&item)? {
                out.push(Json::Object(self.project(item)));
            }
        }
        Ok(out)
    }

    /// The `(…)` part of `@odata.context`: `LogicalName,Attributes(LogicalName)`.
    pub(super) fn projection(&self) -> Option<String> {
        if self.select.is_none() && self.expand.is_empty() {
            return None;
        }
        let mut parts: Vec<String> = self.select.clone().unwrap_or_default();
        for (nav, inner) in &self.expand {
            parts.retain(|p| p != nav);
            parts.push(format!("{nav}({})", inner.projection().unwrap_or_default()));
        }
        Some(parts.join(","))
    }
}

/// `{root}$metadata#{path}` with the projection, plus `/$entity` for a single item.
pub(super) fn context(ctx: &Ctx<'_, '_>, path: &str, shape: &Shape, single: bool) -> String {
    let projection = shape.projection().map(|p| format!("({p})")).unwrap_or_default();
    let entity = if single { "/$entity" } else { "" };
    format!("{}$metadata#{path}{projection}{entity}", ctx.root)
}
