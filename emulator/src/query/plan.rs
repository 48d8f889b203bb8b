//! OData query options → [`QueryPlan`].

use std::sync::Arc;

use odata_parser::ast::QueryOptions;

use super::order::{self, SortSpec};
use super::page::{self, Cursor};
use super::predicate::Predicate;
use super::{filter, Scope};
use crate::error::{Code, Error, Result};
use crate::metadata::EntityDef;

/// Dataverse's default and largest page.
pub const MAX_PAGE: usize = 5000;

/// Everything needed to answer a RetrieveMultiple, resolved and validated.
#[derive(Debug, Clone)]
pub struct QueryPlan {
    /// The table queried.
    pub entity: Arc<EntityDef>,
    /// Rows to keep.
    pub predicate: Predicate,
    /// Sort order (the primary key always breaks ties).
    pub order: Vec<SortSpec>,
    /// `$top`: the most rows returned, and no paging.
    pub top: Option<usize>,
    /// Rows per page.
    pub page_size: usize,
    /// Where this page starts (from `$skiptoken`).
    pub after: Option<Cursor>,
    /// `$count=true`.
    pub count: bool,
    /// FetchXML link-entities joined to each row, in document order.
    pub joins: Vec<super::join::Join>,
    /// Rows skipped before the page: FetchXML page-number paging without a cookie.
    pub offset: usize,
}

impl QueryPlan {
    /// Builds the plan for `entity` from the query options and the page-size preference.
    /// `base` restricts the rows further (collection navigation).
    pub fn from_options(scope: &Scope<'_>, entity: Arc<EntityDef>, query: &QueryOptions, max_page_size: Option<u32>, base: Option<Predicate>) -> Result<QueryPlan> {
        let mut predicates: Vec<Predicate> = base.into_iter().collect();
        if let Some(text) = &query.filter {
            let expr = odata_parser::parse_filter(text)?;
            predicates.push(filter::resolve(scope, &entity, &expr)?);
        }
        let predicate = match predicates.len() {
            0 => Predicate::Const(true),
            1 => predicates.remove(0),
            _ => Predicate::And(predicates),
        };
        let order = match &query.orderby {
            Some(text) => {
                let items: Vec<(Vec<String>, bool)> = odata_parser::parse_orderby(text)?
                    .into_iter()
                    .map(|item| {
                        let path = match item.expr {
                            odata_parser::ast::OrderByExpr::Member(m) => Ok(m.segments),
                            odata_parser::ast::OrderByExpr::Alias(a) => match scope.alias(&a)? {
                                filter::AliasValue::Path(p) => Ok(p),
                                filter::AliasValue::Literal(_) => Err(Error::new(Code::BadRequest, format!("The parameter alias '@{a}' in $orderby must name a property."))),
                            },
                        }?;
                        Ok((path, item.descending))
                    })
                    .collect::<Result<_>>()?;
                order::resolve(scope, &entity, &items)?
            }
            None => Vec::new(),
        };
        // With odata.maxpagesize, $top is ignored (documented); the page is capped at 5000.
        let page_size = max_page_size.map_or(MAX_PAGE, |n| (n as usize).clamp(1, MAX_PAGE));
        let top = match (max_page_size, query.top) {
            (None, Some(t)) => Some(usize::try_from(t).unwrap_or(MAX_PAGE).min(MAX_PAGE)),
            _ => None,
        };
        let after = match &query.skiptoken {
            Some(token) => Some(page::parse(token, &order, &entity.primary_id)?),
            None => None,
        };
        Ok(QueryPlan { entity, predicate, order, top, page_size, after, count: query.count == Some(true), joins: Vec::new(), offset: 0 })
    }
}
