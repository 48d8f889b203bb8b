//! `GET RetrieveMetadataChanges(Query=@p1)?@p1=<EntityQueryExpression JSON>`: table
//! definitions chosen by `Criteria`, with only the `Properties` asked for (every other
//! property is there but null, as Dataverse answers), their columns chosen and projected by
//! `AttributeQuery`, and a `ServerVersionStamp`. The Python SDK reads typed column metadata
//! this way (`tables.list_columns(typed=True)`).
//!
//! Change tracking is coarse: the stamp is the schema's generation. Sent back as
//! `ClientVersionStamp`, an unchanged generation answers no tables, an older one every
//! matching table (a client cache then refreshes them all), and one this emulator never
//! issued (a newer generation, or a previous run's) gets Dataverse's expired-stamp error,
//! after which clients do a full sync.

use serde_json::{json, Map, Value as Json};

use super::{response, Binding, Call, Kind, Message, Param};
use crate::error::{Code, Error, Result};
use crate::metadata::definitions::attribute::{attribute, AttributeClass};
use crate::metadata::definitions::{self as defs, RelationshipDef};
use crate::metadata::{EntityDef, Metadata};
use crate::operation::Ctx;
use crate::wire::response::Reply;

/// `RetrieveMetadataChanges(Query=…,ClientVersionStamp=…,DeletedMetadataFilters=…)`
pub(super) static MESSAGE: Message = Message {
    name: "RetrieveMetadataChanges",
    kind: Kind::Function,
    binding: Binding::Unbound,
    params: &[
        Param { name: "Query", ty: "mscrm.EntityQueryExpression", required: false },
        Param { name: "DeletedMetadataFilters", ty: "mscrm.DeletedMetadataFilters", required: false },
        Param { name: "ClientVersionStamp", ty: "Edm.String", required: false },
        Param { name: "AppModuleId", ty: "Edm.Guid", required: false },
        Param { name: "RetrieveAllSettings", ty: "Edm.Boolean", required: false },
    ],
    returns: Some("mscrm.RetrieveMetadataChangesResponse"),
    run,
};

/// Properties returned whether asked for or not.
const ALWAYS: [&str; 3] = ["MetadataId", "LogicalName", "HasChanged"];

fn invalid(message: impl Into<String>) -> Error {
    Error::new(Code::InvalidArgument, message)
}

/// `MetadataPropertiesExpression`: `None` for all properties.
fn properties(expr: Option<&Json>, known: &[&str], type_name: &str) -> Result<Option<Vec<String>>> {
    let Some(expr) = expr.filter(|e| !e.is_null()) else { return Ok(None) };
    if expr.get("AllProperties").and_then(Json::as_bool) == Some(true) {
        return Ok(None);
    }
    let names: Vec<String> = expr.get("PropertyNames").and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str).map(str::to_string).collect();
    if let Some(bad) = names.iter().find(|n| !known.contains(&n.as_str())) {
        return Err(invalid(format!("The property '{bad}' is not a valid property of {type_name}.")));
    }
    Ok(Some(names))
}

/// Every property of `item` kept, the ones not asked for set to null (`@odata.type` and
/// [`ALWAYS`] stay as they are).
fn project(mut item: Map<String, Json>, wanted: Option<&[String]>) -> Map<String, Json> {
    if let Some(wanted) = wanted {
        for (name, value) in item.iter_mut() {
            if !name.starts_with('@') && !ALWAYS.contains(&name.as_str()) && !wanted.iter().any(|w| w == name) {
                *value = Json::Null;
            }
        }
    }
    item
}

/// A condition's value as text, and its comparison with a property value.
fn condition_text(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.to_lowercase()),
        Json::Bool(b) => Some(b.to_string()),
        Json::Number(n) => Some(n.to_string()),
        // Managed properties (`IsCustomizable`, `RequiredLevel`) compare by their Value.
        Json::Object(o) if o.contains_key("Value") => o.get("Value").and_then(condition_text),
        _ => None,
    }
}

/// `MetadataFilterExpression`: conditions and nested filters joined by `FilterOperator`.
fn matches(filter: Option<&Json>, item: &Map<String, Json>) -> Result<bool> {
    let Some(filter) = filter.filter(|f| !f.is_null()) else { return Ok(true) };
    let or = match filter.get("FilterOperator") {
        None | Some(Json::Null) => false,
        Some(op) => match op.as_str().map(str::to_string).or_else(|| op.as_i64().map(|i| i.to_string())).as_deref() {
            Some("And" | "0") => false,
            Some("Or" | "1") => true,
            _ => return Err(invalid(format!("The FilterOperator {op} is not valid."))),
        },
    };
    let mut results = Vec::new();
    for c in filter.get("Conditions").and_then(Json::as_array).into_iter().flatten() {
        results.push(condition(c, item)?);
    }
    for f in filter.get("Filters").and_then(Json::as_array).into_iter().flatten() {
        results.push(matches(Some(f), item)?);
    }
    Ok(if or { results.is_empty() || results.contains(&true) } else { !results.contains(&false) })
}

fn condition(c: &Json, item: &Map<String, Json>) -> Result<bool> {
    let name = c.get("PropertyName").and_then(Json::as_str).ok_or_else(|| invalid("A MetadataConditionExpression needs a PropertyName."))?;
    let actual = item.get(name).ok_or_else(|| invalid(format!("The property '{name}' can't be used in a metadata condition.")))?;
    if actual.is_array() || actual.get("LocalizedLabels").is_some() {
        return Err(invalid(format!("The property '{name}' is a collection or a label: it can't be used in a metadata condition.")));
    }
    let op = c.get("ConditionOperator").map(|o| o.as_str().map(str::to_string).unwrap_or_else(|| o.to_string())).unwrap_or_else(|| "Equals".into());
    let value = c.get("Value").map(|v| v.get("Value").unwrap_or(v)).unwrap_or(&Json::Null);
    let have = condition_text(actual);
    // `In`/`NotIn` take a list: a JSON array, or a JSON array written as a string.
    let list = || -> Vec<String> {
        let parsed = match value {
            Json::String(s) => serde_json::from_str::<Json>(s).ok().filter(Json::is_array).unwrap_or_else(|| Json::Array(s.split(',').map(|p| json!(p.trim())).collect())),
            other => other.clone(),
        };
        parsed.as_array().into_iter().flatten().filter_map(condition_text).collect()
    };
    let number = |t: &Option<String>| t.as_deref().and_then(|t| t.parse::<f64>().ok());
    Ok(match op.as_str() {
        "Equals" | "0" => have.is_some() && have == condition_text(value),
        "NotEquals" | "1" => have != condition_text(value),
        "In" | "2" => have.is_some_and(|h| list().contains(&h)),
        "NotIn" | "3" => !have.is_some_and(|h| list().contains(&h)),
        "GreaterThan" | "4" => matches!((number(&have), number(&condition_text(value))), (Some(a), Some(b)) if a > b),
        "LessThan" | "5" => matches!((number(&have), number(&condition_text(value))), (Some(a), Some(b)) if a < b),
        other => return Err(invalid(format!("The ConditionOperator '{other}' is not valid."))),
    })
}

/// The `ComplexAttributeMetadata` of a column: its derived type as `Complex…`, no type for
/// plain `AttributeMetadata` columns and, as in the documentation's sample (`contactid`),
/// for unique identifier ones.
fn complex_attribute(e: &EntityDef, a: &crate::metadata::AttributeDef) -> Map<String, Json> {
    let mut item = attribute(e, a);
    match AttributeClass::of(a.kind) {
        AttributeClass::Base | AttributeClass::UniqueIdentifier => {
            item.shift_remove("@odata.type");
        }
        class => {
            item.insert("@odata.type".into(), json!(format!("#Microsoft.Dynamics.CRM.Complex{}", class.type_name())));
        }
    }
    item
}

/// The `ServerVersionStamp`: the schema generation and the time, as Dataverse writes it.
fn stamp(ctx: &Ctx<'_, '_>, m: &Metadata) -> String {
    let now = ctx.org.clock.now();
    format!(
        "{}!{:02}/{:02}/{} {:02}:{:02}:{:02}",
        m.generation(),
        u8::from(now.month()),
        now.day(),
        now.year(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

fn run(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let m = &ctx.metadata;
    let query = call.arg("Query").cloned().unwrap_or(Json::Null);
    let navigations = defs::ENTITY_NAVIGATIONS;
    let known: Vec<&str> = defs::ENTITY_PROPERTIES.iter().chain(navigations).copied().collect();
    let wanted = properties(query.get("Properties"), &known, "EntityMetadata")?;
    let attribute_query = query.get("AttributeQuery").filter(|q| !q.is_null());
    let attribute_known: Vec<&str> = crate::metadata::definitions::attribute::all_attribute_properties();
    let attribute_wanted = properties(attribute_query.and_then(|q| q.get("Properties")), &attribute_known, "AttributeMetadata")?;
    let asks = |nav: &str| wanted.as_ref().is_none_or(|w| w.iter().any(|n| n == nav));

    let unchanged = match call.str_arg("ClientVersionStamp") {
        None => false,
        Some(s) => {
            let generation = s.split('!').next().and_then(|g| g.parse::<u64>().ok());
            match generation {
                Some(g) if g == m.generation() => true,
                Some(g) if g < m.generation() => false,
                _ => return Err(Error::new(Code::ExpiredVersionStamp, "Version stamp associated with the client has expired. Please perform a full sync.")),
            }
        }
    };
    let mut entities = Vec::new();
    for e in m.entities_sorted().into_iter().filter(|_| !unchanged) {
        let mut item = defs::entity(e);
        if !matches(query.get("Criteria"), &item)? {
            continue;
        }
        let mut attributes = Vec::new();
        if asks("Attributes") {
            for a in &e.attributes {
                let json = complex_attribute(e, a);
                if matches(attribute_query.and_then(|q| q.get("Criteria")), &json)? {
                    attributes.push(Json::Object(project(json, attribute_wanted.as_deref())));
                }
            }
        }
        let relationships = |side: &str| -> Vec<Json> {
            let list: Vec<RelationshipDef> = match side {
                "OneToManyRelationships" => e.one_to_many.iter().cloned().map(RelationshipDef::OneToMany).collect(),
                "ManyToOneRelationships" => e.many_to_one.iter().cloned().map(RelationshipDef::OneToMany).collect(),
                _ => e.many_to_many.iter().cloned().map(RelationshipDef::ManyToMany).collect(),
            };
            list.iter().map(|r| Json::Object(r.to_json(false))).collect()
        };
        item.insert("Attributes".into(), if asks("Attributes") { Json::Array(attributes) } else { Json::Null });
        item.insert("Keys".into(), if asks("Keys") { e.keys.iter().map(|k| Json::Object(defs::key(e, k))).collect() } else { Json::Null });
        for side in ["OneToManyRelationships", "ManyToOneRelationships", "ManyToManyRelationships"] {
            item.insert(side.into(), if asks(side) { Json::Array(relationships(side)) } else { Json::Null });
        }
        entities.push(Json::Object(project(item, wanted.as_deref())));
    }
    let mut fields = Map::new();
    fields.insert("ServerVersionStamp".into(), json!(stamp(ctx, m)));
    fields.insert("DeletedMetadata".into(), json!({ "Count": 0, "IsReadOnly": false, "Keys": [], "Values": [] }));
    fields.insert("EntityMetadata".into(), Json::Array(entities));
    Ok(response(ctx, call.message, fields))
}
