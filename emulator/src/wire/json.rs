//! Records out as Dataverse-flavoured OData JSON: `@odata.etag`, `_x_value` lookups, and
//! the instance annotations the client asked for, each placed before its property.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Map, Number, Value as Json};
use time::format_description::well_known::Rfc3339;

use super::format;
use super::headers::{AnnotationFilter, ASSOCIATED_NAVIGATION_PROPERTY, FORMATTED_VALUE, LOOKUP_LOGICAL_NAME};
use crate::metadata::{AttributeDef, AttributeType, EntityDef, Metadata};
use crate::store::{Record, State, Value};

/// Everything needed to render records of one response.
pub struct Renderer<'a> {
    /// The org's schema.
    pub metadata: &'a Metadata,
    /// A read view, to name lookup targets and currencies.
    pub state: &'a State,
    /// Requested annotations, if any.
    pub annotations: Option<&'a AnnotationFilter>,
}

/// A JSON number from exact decimal text (serde_json's `arbitrary_precision` keeps it as
/// written, so money keeps its scale: `5000000.0000`).
fn decimal_number(d: Decimal) -> Json {
    Number::from_str(&d.to_string()).map(Json::Number).unwrap_or(Json::Null)
}

/// A column value as its OData JSON literal.
pub fn value_json(attr: &AttributeDef, value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::String(s) => Json::String(s.clone()),
        Value::Int(i) | Value::Choice(i) => Json::from(*i),
        Value::Choices(cs) => Json::String(crate::store::choices_text(cs)),
        Value::BigInt(i) => Json::from(*i),
        Value::Decimal(d) => decimal_number(*d),
        Value::Money(m) => {
            let mut m = *m;
            m.rescale(4);
            decimal_number(m)
        }
        Value::Double(d) => Number::from_f64(*d).map(Json::Number).unwrap_or(Json::Null),
        Value::Boolean(b) => Json::Bool(*b),
        Value::DateTime(t) => Json::String(t.format(&Rfc3339).unwrap_or_default()),
        Value::Date(d) => Json::String(d.to_string()),
        Value::Guid(g) => Json::String(g.to_string()),
        Value::Lookup(r) => {
            let _ = attr;
            Json::String(r.id.to_string())
        }
    }
}

impl Renderer<'_> {
    fn wants(&self, term: &str) -> bool {
        self.annotations.is_some_and(|a| a.wants(term))
    }

    fn currency_symbol(&self, record: &Record) -> String {
        record
            .get("transactioncurrencyid")
            .as_ref()
            .and_then(|r| self.state.get("transactioncurrency", r.id))
            .and_then(|c| match c.get("currencysymbol") {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "$".to_string())
    }

    /// The primary name of a referenced record, used as a lookup's formatted value.
    fn primary_name(&self, logical_name: &str, id: uuid::Uuid) -> Option<String> {
        let entity = self.metadata.entity(logical_name)?;
        let record = self.state.get(logical_name, id)?;
        match record.get(entity.primary_name.as_deref()?) {
            Value::String(s) => Some(s.clone()),
            _ => None,
        }
    }

    fn put_property(&self, out: &mut Map<String, Json>, entity: &EntityDef, attr: &AttributeDef, record: &Record) {
        self.put_column(out, entity, attr, record, attr.property_name());
    }

    /// Writes one column of `record` under the JSON name `name`, preceded by the
    /// annotations asked for (FetchXML names link-entity columns `alias_x002e_column`).
    pub fn put_column(&self, out: &mut Map<String, Json>, entity: &EntityDef, attr: &AttributeDef, record: &Record, name: &str) {
        let value = record.get(&attr.logical_name);
        if let Value::Lookup(r) = value {
            if self.wants(FORMATTED_VALUE) {
                if let Some(n) = self.primary_name(&r.logical_name, r.id) {
                    out.insert(format!("{name}@{FORMATTED_VALUE}"), Json::String(n));
                }
            }
            if self.wants(ASSOCIATED_NAVIGATION_PROPERTY) {
                let nav = entity.associated_navigation(&attr.logical_name, &r.logical_name);
                out.insert(format!("{name}@{ASSOCIATED_NAVIGATION_PROPERTY}"), Json::String(nav));
            }
            if self.wants(LOOKUP_LOGICAL_NAME) {
                out.insert(format!("{name}@{LOOKUP_LOGICAL_NAME}"), Json::String(r.logical_name.to_string()));
            }
        } else if self.wants(FORMATTED_VALUE) && !value.is_null() {
            if let Some(f) = format::formatted(attr, value, &self.currency_symbol(record)) {
                out.insert(format!("{name}@{FORMATTED_VALUE}"), Json::String(f));
            }
        }
        out.insert(name.to_string(), value_json(attr, value));
    }

    /// Renders a record. `select` holds property names already validated against the
    /// table; `None` means every readable column. The primary key is always included,
    /// and money columns bring `_transactioncurrencyid_value` along, as Dataverse does.
    pub fn entity(&self, entity: &EntityDef, record: &Record, select: Option<&[String]>) -> Map<String, Json> {
        // Sized up front: a full record has one entry per column, and regrowing the map
        // (rehashing every key) was a measurable share of rendering.
        let capacity = select.map_or(entity.attributes.len(), |s| s.len() + 2) + 1;
        let mut out = Map::with_capacity(capacity);
        out.insert("@odata.etag".into(), Json::String(record.etag()));
        match select {
            None => {
                for attr in entity.attributes.iter().filter(|a| a.is_odata_property()) {
                    self.put_property(&mut out, entity, attr, record);
                }
            }
            Some(names) => {
                let mut money = false;
                for name in names {
                    if let Some(attr) = entity.property(name) {
                        money |= attr.kind == AttributeType::Money;
                        self.put_property(&mut out, entity, attr, record);
                    }
                }
                if money && !names.iter().any(|n| n == "_transactioncurrencyid_value") {
                    if let Some(attr) = entity.attribute("transactioncurrencyid").filter(|a| a.is_odata_property()) {
                        self.put_property(&mut out, entity, attr, record);
                    }
                }
                if let Some(attr) = entity.attribute(&entity.primary_id) {
                    if !out.contains_key(&attr.logical_name) {
                        self.put_property(&mut out, entity, attr, record);
                    }
                }
            }
        }
        out
    }
}
