//! [`Fetch`] → [`FetchQuery`]: names resolved against metadata, conditions compiled to
//! [`Predicate`]s, link-entities to joins or semi-joins, all inside the one
//! [`QueryPlan`] that OData queries use too; plus what the response needs (the output
//! columns, aggregate measures and paging state).

use std::sync::Arc;

use super::ast::{self, Fetch, FilterItem, LinkEntity, LinkType};
use super::operators::{attribute, condition, no_attribute};
use crate::error::{Code, Error, Result};
use crate::metadata::{AttributeType, EntityDef};
use crate::query::join::{Join, JoinKind, JoinSource};
use crate::query::order::{SortBy, SortSpec};
use crate::query::page::Cursor;
use crate::query::plan::MAX_PAGE;
use crate::query::predicate::{ColumnRef, ExistsMode, Predicate};
use crate::query::{QueryPlan, Scope};

/// Most link-entities one query may hold.
const MAX_LINKS: usize = 15;

fn invalid(message: impl Into<String>) -> Error {
    Error::new(Code::InvalidArgument, message)
}

/// One column of the response.
#[derive(Debug, Clone)]
pub struct OutColumn {
    /// The JSON property name (before any `_value` wrapping of a root lookup).
    pub name: String,
    /// Whether `name` is the column's own (so a root lookup is spelled `_x_value`).
    pub plain: bool,
    /// The join the column is read from (`None`: the root record).
    pub link: Option<usize>,
    /// The column's table.
    pub table: Arc<EntityDef>,
    /// The column's logical name.
    pub attribute: String,
}

/// An aggregate or group-by output column.
#[derive(Debug, Clone)]
pub struct Measure {
    /// The alias it comes back under.
    pub alias: String,
    /// The column read.
    pub column: ColumnRef,
    /// Its table, for formatting.
    pub table: Arc<EntityDef>,
    /// The aggregate function; `None` for a group-by column.
    pub function: Option<ast::AggregateFn>,
    /// `distinct="true"` (countcolumn).
    pub distinct: bool,
    /// The date part grouped by.
    pub date_grouping: Option<ast::DateGrouping>,
}

/// A compiled FetchXML query.
#[derive(Debug)]
pub struct FetchQuery {
    /// Rows, joins, order and paging.
    pub plan: QueryPlan,
    /// Output columns of a plain query, in document order.
    pub columns: Vec<OutColumn>,
    /// Output columns of an aggregate query.
    pub measures: Option<Vec<Measure>>,
    /// Orders on aggregate aliases: (alias, descending).
    pub alias_orders: Vec<(String, bool)>,
    /// The page number answered (1-based).
    pub page: u32,
    /// Whether `@odata.count` is wanted (`returntotalrecordcount`).
    pub count: bool,
    /// `distinct="true"`.
    pub distinct: bool,
    /// Whether a paging cookie can carry this query's position (no joins; every order
    /// column of the root table). Otherwise the cookie is sent empty, as Dataverse does.
    pub cookie_paging: bool,
    /// The most rows an aggregate may read.
    pub aggregate_limit: usize,
}

/// What a link-entity resolves to.
struct LinkTarget {
    alias: String,
    table: Option<Arc<EntityDef>>,
    source: JoinSource,
    logical_name: String,
}

struct Compiler<'s, 'm> {
    scope: &'s Scope<'m>,
    joins: Vec<Join>,
    /// Alias → (join index, table) of every joined link-entity.
    aliases: Vec<(String, usize, Option<Arc<EntityDef>>)>,
    columns: Vec<OutColumn>,
    measures: Vec<Measure>,
    orders: Vec<SortSpec>,
    alias_orders: Vec<(String, bool)>,
    predicates: Vec<Predicate>,
    links_seen: usize,
    raw_order: bool,
    aggregate: bool,
}

impl Compiler<'_, '_> {
    fn table(&self, name: &str) -> Result<Arc<EntityDef>> {
        self.scope
            .metadata
            .entity(name)
            .cloned()
            .ok_or_else(|| Error::new(Code::QueryBuilderNoEntity, format!("The entity with a name = '{name}' with namemapping = 'Logical' was not found in the MetadataCache.")))
    }

    /// A link-entity's table, or the N:N intersect table it names.
    fn link_target(&mut self, link: &LinkEntity) -> Result<LinkTarget> {
        self.links_seen += 1;
        if self.links_seen > MAX_LINKS {
            return Err(Error::new(Code::QueryBuilderLinkEntityLimit, "Number of link entities in query exceeded maximum limit."));
        }
        let name = &link.entity.name;
        let alias = link.alias.clone().unwrap_or_else(|| format!("{name}{}", self.links_seen));
        if self.aliases.iter().any(|(a, _, _)| *a == alias) {
            return Err(Error::new(Code::QueryBuilderDuplicateAlias, format!("Duplicate alias '{alias}' found in the query.")));
        }
        if let Some(table) = self.scope.metadata.entity(name) {
            return Ok(LinkTarget { alias, table: Some(table.clone()), source: JoinSource::Table, logical_name: name.clone() });
        }
        let rel = self
            .scope
            .metadata
            .entities()
            .flat_map(|e| e.many_to_many.iter())
            .find(|r| r.intersect_entity == *name)
            .ok_or_else(|| self.table(name).unwrap_err())?;
        let id_of = |table: &str| self.scope.metadata.entity(table).map(|e| e.primary_id.clone()).unwrap_or_else(|| format!("{table}id"));
        let source = JoinSource::Intersect {
            relationship: rel.schema_name.clone(),
            entity1_column: rel.entity1_intersect_attribute.clone().unwrap_or_else(|| id_of(&rel.entity1)),
            entity2_column: rel.entity2_intersect_attribute.clone().unwrap_or_else(|| id_of(&rel.entity2)),
        };
        Ok(LinkTarget { alias, table: None, source, logical_name: name.clone() })
    }

    /// The `from`/`to` columns of a link, inferred from a relationship when omitted.
    fn link_columns(parent: &EntityDef, target: &LinkTarget, link: &LinkEntity) -> Result<(String, String)> {
        if let (Some(from), Some(to)) = (&link.from, &link.to) {
            return Ok((from.clone(), to.clone()));
        }
        let Some(table) = &target.table else {
            return Err(invalid(format!("The link-entity '{}' needs 'from' and 'to' attributes.", target.logical_name)));
        };
        let many_to_one = parent.many_to_one.iter().find(|r| r.referenced_entity == table.logical_name);
        let one_to_many = parent.one_to_many.iter().find(|r| r.referencing_entity == table.logical_name);
        let (from, to) = match (many_to_one, one_to_many) {
            (Some(r), _) => (table.primary_id.clone(), r.referencing_attribute.clone()),
            (None, Some(r)) => (r.referencing_attribute.clone(), parent.primary_id.clone()),
            _ => return Err(invalid(format!("The link-entity '{}' needs 'from' and 'to' attributes.", target.logical_name))),
        };
        Ok((link.from.clone().unwrap_or(from), link.to.clone().unwrap_or(to)))
    }

    fn sort_spec(&self, table: &EntityDef, name: &str, link: Option<usize>, descending: bool) -> Result<SortSpec> {
        let attr = attribute(table, name)?;
        let by = if attr.kind.is_choice() && !self.raw_order {
            SortBy::Label
        } else if attr.kind.is_lookup() {
            SortBy::Name
        } else {
            SortBy::Value
        };
        let column = match link {
            None => ColumnRef::direct(&attr.logical_name),
            Some(i) => ColumnRef::linked(i, &attr.logical_name),
        };
        Ok(SortSpec { column, descending, by, kind: attr.kind, table: link.map(|_| table.logical_name.clone()) })
    }

    /// Columns, orders, filters and links of `entity` (the root when `link` is `None`).
    fn entity(&mut self, node: &ast::Entity, table: &Arc<EntityDef>, link: Option<(usize, &str)>) -> Result<()> {
        let slot = link.map(|(i, _)| i);
        for a in &node.attributes {
            let attr = attribute(table, &a.name)?;
            let column = match slot {
                None => ColumnRef::direct(&attr.logical_name),
                Some(i) => ColumnRef::linked(i, &attr.logical_name),
            };
            if self.aggregate {
                if a.aggregate.is_none() && !a.group_by {
                    return Err(invalid(format!("The attribute '{}' must have an aggregate function or groupby in an aggregate query.", a.name)));
                }
                let alias = a.alias.clone().ok_or_else(|| invalid(format!("An alias is required for the aggregate or groupby attribute '{}'.", a.name)))?;
                if a.date_grouping.is_some() && attr.kind != AttributeType::DateTime {
                    return Err(invalid(format!("dategrouping applies to date and time columns; '{}' is not one.", a.name)));
                }
                if matches!(a.aggregate, Some(ast::AggregateFn::Sum | ast::AggregateFn::Avg))
                    && !matches!(attr.kind, AttributeType::Integer | AttributeType::BigInt | AttributeType::Decimal | AttributeType::Money | AttributeType::Double)
                {
                    return Err(invalid(format!("The aggregate function '{:?}' can't be applied to the column '{}'.", a.aggregate.unwrap_or(ast::AggregateFn::Sum), a.name)));
                }
                if self.measures.iter().any(|m| m.alias == alias) {
                    return Err(Error::new(Code::QueryBuilderDuplicateAlias, format!("Duplicate alias '{alias}' found in the query.")));
                }
                self.measures.push(Measure {
                    alias,
                    column,
                    table: table.clone(),
                    function: if a.group_by { None } else { a.aggregate },
                    distinct: a.distinct,
                    date_grouping: a.date_grouping,
                });
                continue;
            }
            if a.aggregate.is_some() || a.group_by {
                return Err(invalid("An aggregate or groupby attribute needs aggregate=\"true\" on the fetch element."));
            }
            let (name, plain) = match (&a.alias, link) {
                (Some(alias), _) => (alias.clone(), false),
                (None, None) => (attr.logical_name.clone(), true),
                (None, Some((_, link_alias))) => (format!("{link_alias}_x002e_{}", attr.logical_name), false),
            };
            if !self.columns.iter().any(|c| c.name == name) {
                self.columns.push(OutColumn { name, plain, link: slot, table: table.clone(), attribute: attr.logical_name.clone() });
            }
        }
        if node.all_attributes && !self.aggregate {
            for attr in table.attributes.iter().filter(|a| a.is_odata_property()) {
                let name = match link {
                    None => attr.logical_name.clone(),
                    Some((_, alias)) => format!("{alias}_x002e_{}", attr.logical_name),
                };
                if !self.columns.iter().any(|c| c.name == name) {
                    self.columns.push(OutColumn { name, plain: link.is_none(), link: slot, table: table.clone(), attribute: attr.logical_name.clone() });
                }
            }
        }
        // Links first: orders and conditions may name their aliases (`entityname`).
        for l in &node.links {
            self.link(l, table, slot)?;
        }
        for o in &node.orders {
            match (&o.attribute, &o.alias) {
                (_, Some(alias)) if self.aggregate => self.alias_orders.push((alias.clone(), o.descending)),
                (Some(name), _) if !self.aggregate => {
                    let spec = match &o.entity_name {
                        Some(alias) => {
                            let (i, t) = self.alias(alias)?;
                            let t = t.ok_or_else(|| invalid(format!("The link-entity '{alias}' has no columns to order by.")))?;
                            self.sort_spec(&t, name, Some(i), o.descending)?
                        }
                        None => self.sort_spec(table, name, slot, o.descending)?,
                    };
                    self.orders.push(spec);
                }
                (Some(_), _) => return Err(invalid("An aggregate query orders by alias: <order alias=\"…\" />.")),
                (None, _) => return Err(invalid("An order on an alias needs aggregate=\"true\".")),
            }
        }
        // Filters of the root restrict rows; filters of a joined link restrict the join.
        for f in &node.filters {
            let p = self.filter(f, table, slot)?;
            self.predicates.push(p);
        }
        Ok(())
    }

    fn alias(&self, alias: &str) -> Result<(usize, Option<Arc<EntityDef>>)> {
        self.aliases
            .iter()
            .find(|(a, _, _)| a == alias)
            .map(|(_, i, t)| (*i, t.clone()))
            .ok_or_else(|| invalid(format!("No link-entity with the alias '{alias}' is in the query.")))
    }

    /// A `<filter>` over `table`'s rows; with `slot`, the table is that join's.
    fn filter(&mut self, f: &ast::Filter, table: &Arc<EntityDef>, slot: Option<usize>) -> Result<Predicate> {
        let mut parts = Vec::with_capacity(f.items.len());
        for item in &f.items {
            parts.push(match item {
                FilterItem::Condition(c) => match &c.entity_name {
                    Some(alias) => {
                        let (i, t) = self.alias(alias)?;
                        let t = t.ok_or_else(|| invalid(format!("Conditions on the intersect link-entity '{alias}' are not supported.")))?;
                        rebase(self.compile_condition(&t, c)?, i)?
                    }
                    None => {
                        let p = self.compile_condition(table, c)?;
                        match slot {
                            Some(i) => rebase(p, i)?,
                            None => p,
                        }
                    }
                },
                FilterItem::Filter(inner) => self.filter(inner, table, slot)?,
                FilterItem::Link(l) => self.semi_join(l, table, slot)?,
            });
        }
        Ok(if f.or { Predicate::Or(parts) } else { Predicate::And(parts) })
    }

    fn compile_condition(&self, table: &EntityDef, c: &ast::Condition) -> Result<Predicate> {
        let other = |alias: &str, column: &str| -> Result<ColumnRef> {
            let (i, t) = self.alias(alias)?;
            if let Some(t) = t {
                attribute(&t, column)?;
            }
            Ok(ColumnRef::linked(i, column))
        };
        condition(self.scope, table, c, &other)
    }

    /// A link-entity: a join (inner, outer, first row) or a semi-join (the rest).
    fn link(&mut self, l: &LinkEntity, parent: &Arc<EntityDef>, parent_slot: Option<usize>) -> Result<()> {
        if l.link_type.filters_only() {
            let p = self.semi_join(l, parent, parent_slot)?;
            self.predicates.push(p);
            return Ok(());
        }
        let target = self.link_target(l)?;
        let (from, to) = Self::link_columns(parent, &target, l)?;
        attribute(parent, &to)?;
        let to = match parent_slot {
            None => ColumnRef::direct(&to),
            Some(i) => ColumnRef::linked(i, &to),
        };
        self.join(l, target, from, to)
    }

    /// Adds the join of a link-entity whose parent column is `to`.
    fn join(&mut self, l: &LinkEntity, target: LinkTarget, from: String, to: ColumnRef) -> Result<()> {
        if let Some(t) = &target.table {
            attribute(t, &from)?;
        }
        let index = self.joins.len();
        let from_is_id = target.table.as_ref().is_some_and(|t| t.primary_id == from);
        self.joins.push(Join {
            alias: target.alias.clone(),
            entity: target.logical_name.clone(),
            source: target.source.clone(),
            from,
            from_is_id,
            to,
            kind: match l.link_type {
                LinkType::Outer => JoinKind::Outer,
                LinkType::MatchFirstRow => JoinKind::FirstRow,
                _ => JoinKind::Inner,
            },
            predicate: None,
        });
        self.aliases.push((target.alias.clone(), index, target.table.clone()));
        match &target.table {
            Some(table) => {
                // The link's own filters go into the join condition (SQL's ON clause).
                let own = self.link_filters(&l.entity, table)?;
                self.joins[index].predicate = own;
                let body = ast::Entity { filters: Vec::new(), ..l.entity.clone() };
                self.entity(&body, table, Some((index, &target.alias)))
            }
            None => {
                if !l.entity.attributes.is_empty() || !l.entity.filters.is_empty() || !l.entity.orders.is_empty() {
                    return Err(invalid(format!("The intersect link-entity '{}' can only hold link-entities.", target.logical_name)));
                }
                let JoinSource::Intersect { entity1_column, entity2_column, .. } = &target.source else { return Err(Error::internal("intersect source")) };
                for nested in &l.entity.links {
                    // Under an intersect, `to` names one of its two id columns.
                    let to = nested.to.clone().ok_or_else(|| invalid("A link-entity under an intersect needs 'from' and 'to' attributes."))?;
                    if to != *entity1_column && to != *entity2_column {
                        return Err(no_attribute(&target.logical_name, &to));
                    }
                    if nested.link_type.filters_only() {
                        return Err(invalid("A link-entity under an intersect must use the link-type inner or outer."));
                    }
                    let inner = self.link_target(nested)?;
                    let from = nested.from.clone().ok_or_else(|| invalid("A link-entity under an intersect needs 'from' and 'to' attributes."))?;
                    self.join(nested, inner, from, ColumnRef::linked(index, &to))?;
                }
                Ok(())
            }
        }
    }

    /// The `<filter>`s of a link-entity, over the linked record alone.
    fn link_filters(&mut self, node: &ast::Entity, table: &Arc<EntityDef>) -> Result<Option<Predicate>> {
        let mut parts = Vec::new();
        for f in &node.filters {
            let saved = std::mem::take(&mut self.aliases);
            let p = self.filter(f, table, None);
            self.aliases = saved;
            parts.push(p?);
        }
        Ok(match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(Predicate::And(parts)),
        })
    }

    /// `any`, `not any`, `all`, `not all`, `exists`, `in`: a condition on the parent row.
    fn semi_join(&mut self, l: &LinkEntity, parent: &Arc<EntityDef>, parent_slot: Option<usize>) -> Result<Predicate> {
        let target = self.link_target(l)?;
        let table = target.table.clone().ok_or_else(|| invalid(format!("The link-type '{:?}' can't be used with the intersect table '{}'.", l.link_type, target.logical_name)))?;
        let (from, to) = Self::link_columns(parent, &target, l)?;
        attribute(&table, &from)?;
        attribute(parent, &to)?;
        let to = match parent_slot {
            None => ColumnRef::direct(&to),
            Some(i) => ColumnRef::linked(i, &to),
        };
        if l.entity.links.iter().any(|n| !n.link_type.filters_only()) {
            return Err(invalid("A link-entity with a filtering link-type can only nest filtering link-entities."));
        }
        let mut parts: Vec<Predicate> = Vec::new();
        if let Some(p) = self.link_filters(&l.entity, &table)? {
            parts.push(p);
        }
        for nested in &l.entity.links {
            let saved = std::mem::take(&mut self.aliases);
            let p = self.semi_join(nested, &table, None);
            self.aliases = saved;
            parts.push(p?);
        }
        let predicate = match parts.len() {
            0 => None,
            1 => parts.pop().map(Box::new),
            _ => Some(Box::new(Predicate::And(parts))),
        };
        let mode = match l.link_type {
            LinkType::NotAny => ExistsMode::NotAny,
            LinkType::All => ExistsMode::All,
            _ => ExistsMode::Any,
        };
        let from_is_id = table.primary_id == from;
        Ok(Predicate::Exists { entity: table.logical_name.clone(), from, from_is_id, to, predicate, mode })
    }
}

/// Moves a predicate over one record onto join slot `link` of a joined row.
fn rebase(p: Predicate, link: usize) -> Result<Predicate> {
    let col = |c: ColumnRef| if c.link.is_none() { ColumnRef { link: Some(link), ..c } } else { c };
    let operand = |o: crate::query::predicate::Operand| match o {
        crate::query::predicate::Operand::Column(c) => crate::query::predicate::Operand::Column(col(c)),
        v => v,
    };
    Ok(match p {
        Predicate::And(ps) => Predicate::And(ps.into_iter().map(|p| rebase(p, link)).collect::<Result<_>>()?),
        Predicate::Or(ps) => Predicate::Or(ps.into_iter().map(|p| rebase(p, link)).collect::<Result<_>>()?),
        Predicate::Not(p) => Predicate::Not(Box::new(rebase(*p, link)?)),
        Predicate::Compare { left, op, right } => Predicate::Compare { left: operand(left), op, right: operand(right) },
        Predicate::Like { column, pattern } => Predicate::Like { column: col(column), pattern },
        Predicate::In { column, values } => Predicate::In { column: col(column), values },
        Predicate::ContainValues { column, values } => Predicate::ContainValues { column: col(column), values },
        Predicate::Exists { entity, from, from_is_id, to, predicate, mode } => Predicate::Exists { entity, from, from_is_id, to: col(to), predicate, mode },
        Predicate::Const(b) => Predicate::Const(b),
        Predicate::Lambda { .. } | Predicate::IdIn(_) | Predicate::Hierarchy { .. } => {
            return Err(invalid("Hierarchy conditions (above, under, …) are supported on the queried table only, not on a link-entity."))
        }
    })
}

/// Compiles a parsed fetch for the entity set the request addressed.
pub fn compile(scope: &Scope<'_>, fetch: &Fetch, addressed: &EntityDef, max_page_size: Option<u32>, url_count: bool) -> Result<FetchQuery> {
    let mut c = Compiler {
        scope,
        joins: Vec::new(),
        aliases: Vec::new(),
        columns: Vec::new(),
        measures: Vec::new(),
        orders: Vec::new(),
        alias_orders: Vec::new(),
        predicates: Vec::new(),
        links_seen: 0,
        raw_order: fetch.use_raw_order_by,
        aggregate: fetch.aggregate,
    };
    let root = c.table(&fetch.entity.name)?;
    if root.logical_name != addressed.logical_name {
        return Err(Error::new(
            Code::BadRequest,
            format!("The entity name '{}' in the FetchXML doesn't match the entity set '{}' of the request.", root.logical_name, addressed.entity_set_name),
        ));
    }
    if fetch.top.is_some() && (fetch.count.is_some() || fetch.page.is_some()) {
        return Err(invalid("The 'top' attribute can't be specified with paging attribute 'page' or 'count'."));
    }
    if fetch.top.is_some() && fetch.return_total_record_count {
        return Err(invalid("The 'top' attribute can't be specified with the 'returntotalrecordcount' attribute."));
    }
    if fetch.count.is_some_and(|n| n as usize > MAX_PAGE) || fetch.top.is_some_and(|n| n as usize > MAX_PAGE) {
        return Err(invalid(format!("The 'count' and 'top' attributes can't exceed {MAX_PAGE}.")));
    }
    c.entity(&fetch.entity, &root, None)?;
    if fetch.aggregate && c.measures.is_empty() {
        return Err(invalid("An aggregate query needs at least one aggregate or groupby attribute."));
    }
    let predicate = match c.predicates.len() {
        0 => Predicate::Const(true),
        1 => c.predicates.remove(0),
        _ => Predicate::And(std::mem::take(&mut c.predicates)),
    };
    let page = fetch.page.unwrap_or(1).max(1);
    let page_size = fetch.count.map(|n| n.max(1) as usize).or(max_page_size.map(|n| (n as usize).clamp(1, MAX_PAGE))).unwrap_or(MAX_PAGE);
    let cookie_paging = c.joins.is_empty() && c.orders.iter().all(|s| s.column.link.is_none());
    let mut after = None;
    let mut offset = 0;
    if page > 1 {
        match (&fetch.paging_cookie, cookie_paging) {
            (Some(cookie), true) => after = Some(read_cookie(cookie, &c.orders, &root.primary_id, page)?),
            _ => offset = (page as usize - 1).saturating_mul(page_size),
        }
    }
    let plan = QueryPlan {
        entity: root.clone(),
        predicate,
        order: c.orders,
        top: fetch.top.map(|t| t as usize),
        page_size,
        after,
        count: fetch.return_total_record_count || url_count,
        joins: c.joins,
        offset,
    };
    Ok(FetchQuery {
        plan,
        columns: c.columns,
        measures: fetch.aggregate.then_some(c.measures),
        alias_orders: c.alias_orders,
        page,
        count: fetch.return_total_record_count || url_count,
        distinct: fetch.distinct,
        cookie_paging,
        // `aggregatelimit` can only lower Dataverse's 50,000-row limit.
        aggregate_limit: fetch.aggregate_limit.map_or(crate::query::aggregate::MAX_AGGREGATE_ROWS, |n| (n as usize).min(crate::query::aggregate::MAX_AGGREGATE_ROWS)),
    })
}

/// The `paging-cookie` attribute (`<cookie page="1"><name last=… /><accountid last=… /></cookie>`)
/// as a cursor.
fn read_cookie(cookie: &str, orders: &[SortSpec], primary_id: &str, page: u32) -> Result<Cursor> {
    let mut cursor = crate::query::page::parse_inner(cookie, orders, primary_id)?;
    cursor.page = page;
    Ok(cursor)
}
