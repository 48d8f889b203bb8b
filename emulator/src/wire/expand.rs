//! Expanded navigation properties in a record's JSON: a lookup as a nested record (or
//! `{"@odata.id":…}` for `$ref`, or null), a collection as an array followed by
//! `<nav>@odata.nextLink`, as Dataverse writes it even when every row is present.

use std::cmp::Ordering;
use std::sync::Arc;

use serde_json::{Map, Value as Json};

use super::json::Renderer;
use crate::metadata::EntityDef;
use crate::query::expand::{ExpandKind, ExpandPlan};
use crate::query::order;
use crate::query::predicate::related_ids;
use crate::store::{Record, SortKey, Value};

impl Renderer<'_> {
    /// Renders a record with its expansions. `root` is the service root for links.
    pub fn entity_expanded(&self, root: &str, entity: &EntityDef, record: &Record, select: Option<&[String]>, expands: &[ExpandPlan]) -> Map<String, Json> {
        let mut out = self.entity(entity, record, select);
        for plan in expands {
            self.put_expanded(root, entity, record, plan, &mut out);
        }
        out
    }

    fn put_expanded(&self, root: &str, entity: &EntityDef, record: &Record, plan: &ExpandPlan, out: &mut Map<String, Json>) {
        match &plan.kind {
            ExpandKind::Single { attribute } => {
                let target = match record.get(attribute) {
                    Value::Lookup(r) => self.state.get(&r.logical_name, r.id).map(|t| (r.logical_name, t.clone())),
                    _ => None,
                };
                let value = match target {
                    None => Json::Null,
                    Some((table, row)) => {
                        let Some(def) = self.metadata.entity(&table) else { return };
                        if plan.is_ref {
                            serde_json::json!({ "@odata.id": format!("{root}{}({})", def.entity_set_name, row.id) })
                        } else if plan.predicate.matches(self.state, &table, &row) {
                            Json::Object(self.entity_expanded(root, def, &row, plan.select.as_deref(), &plan.children))
                        } else {
                            Json::Null
                        }
                    }
                };
                out.insert(plan.nav.clone(), value);
            }
            ExpandKind::Collection { related } => {
                let Some(def) = self.metadata.entity(&plan.entity) else { return };
                let (table, ids) = related_ids(self.state, related, record.id);
                let mut rows: Vec<(Vec<SortKey>, Arc<Record>)> = ids
                    .into_iter()
                    .filter_map(|id| self.state.get(&table, id).cloned())
                    .filter(|r| plan.predicate.matches(self.state, &table, r))
                    .map(|r| (plan.order.iter().map(|s| order::key(s, self.metadata, def, self.state, &r)).collect(), r))
                    .collect();
                rows.sort_by(|a, b| order::compare(&plan.order, (&a.0, a.1.id), (&b.0, b.1.id)).then(Ordering::Equal));
                if let Some(top) = plan.top {
                    rows.truncate(top);
                }
                let items: Vec<Json> =
                    rows.iter().map(|(_, r)| Json::Object(self.entity_expanded(root, def, r, plan.select.as_deref(), &plan.children))).collect();
                out.insert(plan.nav.clone(), Json::Array(items));
                let mut link = format!("{root}{}({})/{}", entity.entity_set_name, record.id, plan.nav);
                if let Some(select) = &plan.select {
                    link.push_str(&format!("?$select={}", select.join(",")));
                }
                out.insert(format!("{}@odata.nextLink", plan.nav), Json::String(link));
            }
        }
    }
}
