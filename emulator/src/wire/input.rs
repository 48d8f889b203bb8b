//! Request bodies in: OData JSON → typed [`EntityInput`], checked against the table's
//! columns. Every failure here is the client's mistake and becomes a payload error.

use rust_decimal::Decimal;
use serde_json::{Map, Value as Json};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::metadata::{AttributeDef, AttributeType, DateTimeKind, EntityDef, Metadata, Navigation, SingleValued};
use crate::operation::target::{self, Locator};
use crate::store::Value;

/// One property of a request body, decoded.
#[derive(Debug, Clone)]
pub enum Field {
    /// A column value.
    Value {
        /// Column logical name.
        attribute: String,
        /// Typed value (possibly `Null`).
        value: Value,
    },
    /// `nav@odata.bind: "/set(id)"` or `nav: null`: set or clear a lookup.
    Bind {
        /// The navigation property.
        nav: SingleValued,
        /// The record to point at; `None` clears the lookup.
        target: Option<Locator>,
    },
    /// `collectionnav@odata.bind: ["/set(id)", …]`: associate existing records.
    CollectionBind {
        /// The collection-valued navigation property.
        nav: String,
        /// Records to associate.
        targets: Vec<Locator>,
    },
    /// `nav: {…}`: create the related record and point the lookup at it (deep insert).
    DeepSingle {
        /// The navigation property.
        nav: SingleValued,
        /// The table the new record goes to.
        entity: String,
        /// The new record.
        input: EntityInput,
    },
    /// `collectionnav: [{…}, …]`: create related records under this one (deep insert).
    DeepCollection {
        /// The collection-valued navigation property.
        nav: String,
        /// The child table.
        entity: String,
        /// The new records.
        items: Vec<EntityInput>,
    },
}

/// A decoded entity body.
#[derive(Debug, Clone, Default)]
pub struct EntityInput {
    /// Properties in body order.
    pub fields: Vec<Field>,
}

impl EntityInput {
    /// The primary key given in the body, if any.
    pub fn primary_id(&self, entity: &EntityDef) -> Option<Uuid> {
        self.fields.iter().find_map(|f| match f {
            Field::Value { attribute, value: Value::Guid(g) } if *attribute == entity.primary_id => Some(*g),
            _ => None,
        })
    }
}

/// Decodes a body for a record of `entity`. `base` is the service root the request
/// came in on; bind URLs may be absolute, relative, or start with `/`.
pub fn decode_entity(metadata: &Metadata, entity: &EntityDef, body: &[u8]) -> Result<EntityInput> {
    let json: Json = serde_json::from_slice(body).map_err(|_| {
        Error::payload(
            &entity.entity_set_name,
            "Microsoft.OData.ODataException: Invalid JSON. A token was not recognized in the JSON content.",
        )
    })?;
    let Json::Object(map) = json else {
        return Err(Error::payload(
            &entity.entity_set_name,
            "Microsoft.OData.ODataException: An entity resource was expected in the payload.",
        ));
    };
    decode_object(metadata, entity, map)
}

/// Decodes an already parsed JSON object (used for nested deep inserts and fixtures).
pub fn decode_object(metadata: &Metadata, entity: &EntityDef, map: Map<String, Json>) -> Result<EntityInput> {
    decode_object_blaming(metadata, entity, map).map_err(|(_, e)| e)
}

/// [`decode_object`], also naming the top-level property a failure came from, so fixture
/// errors can point at the field.
pub fn decode_object_blaming(metadata: &Metadata, entity: &EntityDef, map: Map<String, Json>) -> std::result::Result<EntityInput, (String, Error)> {
    let mut fields = Vec::with_capacity(map.len());
    for (key, json) in map {
        decode_field(metadata, entity, &key, json, &mut fields).map_err(|e| (key, e))?;
    }
    Ok(EntityInput { fields })
}

/// Decodes one property of a create or update body into `fields`.
fn decode_field(metadata: &Metadata, entity: &EntityDef, key: &str, json: Json, fields: &mut Vec<Field>) -> Result<()> {
    let set = &entity.entity_set_name;
    if let Some(nav) = key.strip_suffix("@odata.bind") {
        fields.push(decode_bind(metadata, entity, nav, json)?);
        return Ok(());
    }
    if key.starts_with('@') || key.contains('@') {
        // Instance annotations (`@odata.type`, `x@OData.Community…`) carry no data.
        return Ok(());
    }
    if let Some(attr) = entity.attribute(key).filter(|a| a.is_writable_property() && !a.kind.is_lookup()) {
        let value = decode_value(attr, &json).map_err(|inner| Error::payload(set, inner))?;
        fields.push(Field::Value { attribute: attr.logical_name.clone(), value });
        return Ok(());
    }
    if entity.property(key).is_some_and(|a| a.kind.is_lookup()) {
        return Err(Error::payload(
            set,
            "Microsoft.Crm.CrmException: CRM do not support direct update of Entity Reference properties, Use Navigation properties instead.",
        ));
    }
    match entity.navigation(metadata, key) {
        Some(Navigation::Single(nav)) => match json {
            Json::Null => fields.push(Field::Bind { nav, target: None }),
            Json::Object(inner) => {
                let target_name = nav.target.clone().ok_or_else(|| {
                    Error::payload(set, format!("Microsoft.OData.ODataException: A deep insert through '{key}' needs a navigation property with a single target table."))
                })?;
                let target = metadata.entity(&target_name).ok_or_else(|| Error::internal(format!("no table {target_name}")))?;
                let input = decode_object(metadata, target, inner)?;
                fields.push(Field::DeepSingle { nav, entity: target_name, input });
            }
            _ => return Err(Error::payload(set, format!("Microsoft.OData.ODataException: A resource was expected for the navigation property '{key}'."))),
        },
        Some(nav @ (Navigation::OneToMany(_) | Navigation::ManyToMany { .. })) => {
            let child = match nav {
                Navigation::OneToMany(r) => r.referencing_entity.clone(),
                Navigation::ManyToMany { other, .. } => other.to_string(),
                Navigation::Single(_) => unreachable!("matched above"),
            };
            let Json::Array(items) = json else {
                return Err(Error::payload(set, format!("Microsoft.OData.ODataException: A resource set was expected for the navigation property '{key}'.")));
            };
            let child_def = metadata.entity(&child).ok_or_else(|| Error::internal(format!("no table {child}")))?;
            let items = items
                .into_iter()
                .map(|item| match item {
                    Json::Object(m) => decode_object(metadata, child_def, m),
                    _ => Err(Error::payload(set, "Microsoft.OData.ODataException: A resource was expected in the resource set.")),
                })
                .collect::<Result<Vec<_>>>()?;
            fields.push(Field::DeepCollection { nav: key.to_string(), entity: child, items });
        }
        None => return Err(Error::invalid_property(set, &entity.logical_name, key)),
    }
    Ok(())
}

fn decode_bind(metadata: &Metadata, entity: &EntityDef, nav: &str, json: Json) -> Result<Field> {
    let set = &entity.entity_set_name;
    let undeclared = || {
        Error::payload(
            set,
            format!("Microsoft.OData.ODataException: An undeclared property '{nav}' which only has property annotations in the payload but no property value was found in the payload. In OData, only declared navigation properties and declared named streams can be represented as properties without values."),
        )
    };
    match entity.navigation(metadata, nav).ok_or_else(undeclared)? {
        Navigation::Single(single) => {
            let target = match json {
                Json::Null => None,
                Json::String(url) => Some(target::locator_from_url(metadata, &url)?),
                _ => return Err(Error::payload(set, format!("Microsoft.OData.ODataException: The value of '{nav}@odata.bind' must be a URL string."))),
            };
            Ok(Field::Bind { nav: single, target })
        }
        _ => {
            let Json::Array(urls) = json else {
                return Err(Error::payload(set, format!("Microsoft.OData.ODataException: The value of '{nav}@odata.bind' must be an array of URLs for a collection-valued navigation property.")));
            };
            let targets = urls
                .into_iter()
                .map(|u| match u {
                    Json::String(url) => target::locator_from_url(metadata, &url),
                    _ => Err(Error::payload(set, format!("Microsoft.OData.ODataException: The value of '{nav}@odata.bind' must be an array of URLs."))),
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Field::CollectionBind { nav: nav.to_string(), targets })
        }
    }
}

fn literal_text(json: &Json) -> String {
    match json {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn convert_error(json: &Json, edm: &str) -> String {
    format!("Microsoft.OData.ODataException: Cannot convert the literal '{}' to the expected type '{edm}'.", literal_text(json))
}

/// Converts one JSON value to the column's type. Range, length and option checks happen
/// later, in the write pipeline, where Dataverse does them.
pub fn decode_value(attr: &AttributeDef, json: &Json) -> std::result::Result<Value, String> {
    if json.is_null() {
        return Ok(Value::Null);
    }
    let edm = attr.kind.edm_type();
    let bad = || convert_error(json, edm);
    Ok(match attr.kind {
        AttributeType::String | AttributeType::Memo | AttributeType::EntityName => Value::String(json.as_str().ok_or_else(bad)?.to_string()),
        AttributeType::Integer => Value::Int(json.as_i64().and_then(|i| i32::try_from(i).ok()).ok_or_else(bad)?),
        AttributeType::Picklist | AttributeType::State | AttributeType::Status => {
            Value::Choice(json.as_i64().and_then(|i| i32::try_from(i).ok()).ok_or_else(bad)?)
        }
        AttributeType::MultiSelectPicklist => Value::Choices(parse_choices(json.as_str().ok_or_else(bad)?).ok_or_else(bad)?),
        AttributeType::BigInt => Value::BigInt(json.as_i64().ok_or_else(bad)?),
        AttributeType::Decimal | AttributeType::Money => {
            let Json::Number(n) = json else { return Err(bad()) };
            let text = n.to_string();
            let d = Decimal::from_str_exact(&text).or_else(|_| Decimal::from_scientific(&text)).map_err(|_| bad())?;
            let d = d.round_dp(attr.precision.unwrap_or(if attr.kind == AttributeType::Money { 4 } else { 10 }));
            if attr.kind == AttributeType::Money { Value::Money(d) } else { Value::Decimal(d) }
        }
        AttributeType::Double => {
            let d = json.as_f64().ok_or_else(bad)?;
            // Stored rounded to the column's precision, as the service does (47.639583 → 47.63958 at precision 5).
            match attr.precision.and_then(|p| i32::try_from(p).ok()) {
                Some(p) => {
                    let scale = 10f64.powi(p);
                    Value::Double((d * scale).round() / scale)
                }
                None => Value::Double(d),
            }
        }
        AttributeType::Boolean => Value::Boolean(json.as_bool().ok_or_else(bad)?),
        AttributeType::DateTime => {
            let text = json.as_str().ok_or_else(bad)?;
            match attr.date_kind {
                Some(DateTimeKind::DateOnly) => Value::Date(parse_date(text).ok_or_else(|| convert_error(json, "Edm.Date"))?),
                _ => Value::DateTime(parse_date_time(text).ok_or_else(bad)?),
            }
        }
        AttributeType::Uniqueidentifier => Value::Guid(json.as_str().and_then(|s| Uuid::parse_str(s).ok()).ok_or_else(bad)?),
        AttributeType::Lookup | AttributeType::Customer | AttributeType::Owner => return Err(bad()),
        // Image data travels as base64 (Edm.Binary); the record keeps that text as the thumbnail.
        AttributeType::Image => {
            use base64::Engine;
            let text = json.as_str().ok_or_else(bad)?;
            base64::engine::general_purpose::STANDARD.decode(text).map_err(|_| bad())?;
            Value::String(text.to_string())
        }
        AttributeType::PartyList | AttributeType::File | AttributeType::ManagedProperty | AttributeType::Virtual => {
            return Err(format!("Microsoft.OData.ODataException: The property '{}' cannot be set.", attr.logical_name))
        }
    })
}

/// Multi-select choices as sent: `"727000000,727000002"` (spaces allowed around values;
/// a repeated value counts once; `""` is no selection).
pub fn parse_choices(text: &str) -> Option<Vec<i32>> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let v: i32 = part.parse().ok()?;
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Some(out)
}

/// `2024-05-01`
pub fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// An RFC 3339 instant (any offset, optional fraction) or a bare date, normalised to UTC
/// whole seconds: Dataverse stores date-times to the second.
pub fn parse_date_time(text: &str) -> Option<OffsetDateTime> {
    let t = OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .or_else(|| parse_date(text).map(|d| d.midnight().assume_utc()))?;
    t.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).ok()
}

