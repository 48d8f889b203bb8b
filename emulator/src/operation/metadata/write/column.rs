//! Columns: `POST EntityDefinitions(…)/Attributes`, `PUT …/Attributes(…)` and `DELETE`.
//!
//! A body (`StringAttributeMetadata`, `MoneyAttributeMetadata`, …) is translated into the
//! fixture column shape and built by the same loader as fixture columns, so a column created
//! over the API behaves exactly like a shipped one for records, queries and `$metadata`.

use std::collections::HashSet;

use serde_json::{json, Map, Value as Json};

use super::body::{self, label, merged_label, value};
use super::{commit, entity_mut, names, relationship};
use crate::error::{Code, Error, Result};
use crate::metadata::definitions::attribute::{attribute_id, option_set_id};
use crate::metadata::{attribute_from_json, AttributeDef, AttributeType, EntityDef, Metadata, OptionSetDef};
use crate::operation::Ctx;

/// The `AttributeType` a derived metadata type stands for.
fn kind_of(type_name: &str) -> Option<&'static str> {
    Some(match type_name {
        "StringAttributeMetadata" => "String",
        "MemoAttributeMetadata" => "Memo",
        "IntegerAttributeMetadata" => "Integer",
        "BigIntAttributeMetadata" => "BigInt",
        "DecimalAttributeMetadata" => "Decimal",
        "DoubleAttributeMetadata" => "Double",
        "MoneyAttributeMetadata" => "Money",
        "BooleanAttributeMetadata" => "Boolean",
        "DateTimeAttributeMetadata" => "DateTime",
        "PicklistAttributeMetadata" => "Picklist",
        "ImageAttributeMetadata" => "Image",
        "LookupAttributeMetadata" => "Lookup",
        "MultiSelectPicklistAttributeMetadata" => "MultiSelectPicklist",
        "FileAttributeMetadata" => "File",
        _ => return None,
    })
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(Code::InvalidArgument, message)
}

/// A numeric property, if present.
fn number(map: &Map<String, Json>, name: &str) -> Option<f64> {
    map.get(name).and_then(Json::as_f64)
}

/// `value` within `[min, max]`, else Dataverse's range message.
fn in_range(name: &str, value: Option<f64>, min: f64, max: f64, default: f64) -> Result<f64> {
    let v = value.unwrap_or(default);
    if v < min || v > max {
        return Err(invalid(format!("The value {v} of {name} is out of range: it must be between {min} and {max}.")));
    }
    Ok(v)
}

/// Options of a local or new global choice: `[{"Value": 727000000, "Label": {...}}]`,
/// numbered from the publisher's option value prefix (100000000 for the emulator's
/// publishers) when a value is missing.
pub(super) fn options(set: &Map<String, Json>) -> Result<Vec<Json>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for (i, o) in set.get("Options").and_then(Json::as_array).into_iter().flatten().enumerate() {
        let o = o.as_object().ok_or_else(|| invalid("An option must be an object."))?;
        let value = o.get("Value").and_then(Json::as_i64).unwrap_or(100_000_000 + i as i64);
        let value = i32::try_from(value).map_err(|_| invalid(format!("The option value {value} is out of range.")))?;
        if !seen.insert(value) {
            return Err(Error::new(Code::DuplicateName, format!("An option with the value {value} already exists.")));
        }
        out.push(json!({ "Value": value, "Label": label(o, "Label").flatten() }));
    }
    Ok(out)
}

/// The fixture-shaped JSON of the column a create body describes (validated), on table `e`
/// of schema `m` (which holds the global choices a choice column may use).
pub(super) fn spec(m: &Metadata, e: &EntityDef, map: &Map<String, Json>) -> Result<Json> {
    let type_name = body::odata_type(map);
    let kind = match &type_name {
        Some(t) => kind_of(t).ok_or_else(|| invalid(format!("The attribute type '{t}' is not valid.")))?,
        None => match body::string(map, "AttributeType") {
            Some(t) => kind_of(&format!("{t}AttributeMetadata")).ok_or_else(|| invalid(format!("The attribute type '{t}' is not valid.")))?,
            None => return Err(invalid("The @odata.type (or AttributeType) of the attribute is required.")),
        },
    };
    if kind == "Lookup" {
        // Dataverse's CreateAttribute refuses lookups: they come with their relationship
        // (POST RelationshipDefinitions with a OneToManyRelationshipMetadata and its Lookup).
        return Err(invalid("Attribute of type LookupAttributeMetadata cannot be created through the SDK."));
    }
    let schema = body::required(map, "SchemaName", "attribute")?;
    names::check_schema_name(schema, "Attribute")?;
    let logical = schema.to_lowercase();
    if e.attribute(&logical).is_some() || e.attribute(&format!("{logical}_base")).is_some() && kind == "Money" {
        return Err(Error::new(Code::DuplicateAttributeSchemaName, format!("An attribute with the specified name already exists: '{schema}' on '{}'.", e.logical_name)));
    }
    let mut out = json!({
        "LogicalName": logical, "SchemaName": schema, "AttributeType": kind, "IsCustomAttribute": true,
        "DisplayName": label(map, "DisplayName").flatten(), "Description": label(map, "Description").flatten(),
        "RequiredLevel": value(map, "RequiredLevel").and_then(Json::as_str).unwrap_or("None"),
    });
    let o = out.as_object_mut().ok_or_else(|| Error::internal("column spec"))?;
    let format_name = value(map, "FormatName").and_then(Json::as_str).map(str::to_string);
    match kind {
        "String" => {
            o.insert("MaxLength".into(), json!(in_range("MaxLength", number(map, "MaxLength"), 1.0, 4000.0, 100.0)? as usize));
            o.insert("FormatName".into(), json!(format_name.unwrap_or_else(|| "Text".into())));
        }
        "Memo" => {
            o.insert("MaxLength".into(), json!(in_range("MaxLength", number(map, "MaxLength"), 1.0, 1_048_576.0, 2000.0)? as usize));
            o.insert("Format".into(), json!(body::string(map, "Format").unwrap_or("TextArea")));
        }
        "Integer" => {
            let (lo, hi) = (-2_147_483_648.0, 2_147_483_647.0);
            o.insert("MinValue".into(), json!(in_range("MinValue", number(map, "MinValue"), lo, hi, lo)?));
            o.insert("MaxValue".into(), json!(in_range("MaxValue", number(map, "MaxValue"), lo, hi, hi)?));
            o.insert("Format".into(), json!(body::string(map, "Format").unwrap_or("None")));
        }
        "Decimal" | "Double" | "Money" => {
            let (limit, max_precision) = match kind {
                "Decimal" => (100_000_000_000.0, 10.0),
                "Double" => (100_000_000_000.0, 5.0),
                _ => (922_337_203_685_477.0, 4.0),
            };
            o.insert("MinValue".into(), json!(in_range("MinValue", number(map, "MinValue"), -limit, limit, -limit)?));
            o.insert("MaxValue".into(), json!(in_range("MaxValue", number(map, "MaxValue"), -limit, limit, limit)?));
            o.insert("Precision".into(), json!(in_range("Precision", number(map, "Precision"), 0.0, max_precision, 2.0)? as u32));
            if kind == "Money" {
                o.insert("PrecisionSource".into(), json!(in_range("PrecisionSource", number(map, "PrecisionSource"), 0.0, 2.0, 2.0)? as i32));
            }
        }
        "Boolean" => {
            let set = map.get("OptionSet").and_then(Json::as_object);
            let pick = |name: &str, default: &str| {
                set.and_then(|s| s.get(name)).and_then(Json::as_object).and_then(|o| label(o, "Label").flatten()).unwrap_or_else(|| default.to_string())
            };
            o.insert("OptionSet".into(), json!({ "Options": [
                { "Value": 1, "Label": pick("TrueOption", "Yes") }, { "Value": 0, "Label": pick("FalseOption", "No") },
            ]}));
            o.insert("DefaultValue".into(), json!(map.get("DefaultValue").and_then(Json::as_bool).unwrap_or(false)));
        }
        "DateTime" => {
            let behavior = value(map, "DateTimeBehavior").and_then(Json::as_str).unwrap_or("UserLocal");
            if !matches!(behavior, "UserLocal" | "DateOnly" | "TimeZoneIndependent") {
                return Err(invalid(format!("The DateTimeBehavior '{behavior}' is not valid.")));
            }
            let format = body::string(map, "Format").unwrap_or(if behavior == "DateOnly" { "DateOnly" } else { "DateAndTime" });
            o.insert("Format".into(), json!(format));
            o.insert("DateTimeBehavior".into(), json!(behavior));
        }
        "Picklist" | "MultiSelectPicklist" => {
            match global_choice(m, map)? {
                Some(set) => {
                    let options: Vec<Json> = set.options.iter().map(|o| json!({ "Value": o.value, "Label": o.label })).collect();
                    o.insert("OptionSet".into(), json!({ "Options": options }));
                    o.insert("GlobalOptionSetName".into(), json!(set.name));
                }
                None => {
                    let set = map.get("OptionSet").and_then(Json::as_object).ok_or_else(|| invalid("A choice attribute needs an OptionSet."))?;
                    o.insert("OptionSet".into(), json!({ "Options": options(set)? }));
                }
            }
            if let Some(d) = map.get("DefaultFormValue").and_then(Json::as_i64) {
                o.insert("DefaultValue".into(), json!(d));
            }
        }
        "Image" => {
            o.insert("IsPrimaryImage".into(), json!(map.get("IsPrimaryImage").and_then(Json::as_bool).unwrap_or(false)));
            o.insert("MaxHeight".into(), json!(number(map, "MaxHeight").unwrap_or(144.0) as u32));
            o.insert("MaxWidth".into(), json!(number(map, "MaxWidth").unwrap_or(144.0) as u32));
            o.insert("MaxSizeInKB".into(), json!(in_range("MaxSizeInKB", number(map, "MaxSizeInKB"), 1.0, 30_720.0, f64::from(crate::metadata::DEFAULT_IMAGE_MAX_KB))? as u32));
            o.insert("CanStoreFullImage".into(), json!(map.get("CanStoreFullImage").and_then(Json::as_bool).unwrap_or(false)));
            o.insert("IsValidForUpdate".into(), json!(false));
            o.insert("IsValidForCreate".into(), json!(false));
        }
        "File" => {
            // Files are set only through uploads, never in a create or update body.
            o.insert("MaxSizeInKB".into(), json!(in_range("MaxSizeInKB", number(map, "MaxSizeInKB"), 1.0, 10_485_760.0, f64::from(crate::metadata::DEFAULT_FILE_MAX_KB))? as u32));
            o.insert("IsValidForUpdate".into(), json!(false));
            o.insert("IsValidForCreate".into(), json!(false));
        }
        _ => {}
    }
    Ok(out)
}

/// The global choice a choice column's body names: `GlobalOptionSet@odata.bind` with
/// `/GlobalOptionSetDefinitions(<MetadataId>)` (or `(Name='x')`), or an `OptionSet` with
/// `IsGlobal: true` and the set's `Name`. `None` for a local choice.
fn global_choice(m: &Metadata, map: &Map<String, Json>) -> Result<Option<OptionSetDef>> {
    let missing = |what: &str| Error::new(Code::ObjectDoesNotExist, format!("Could not find optionset with {what}"));
    if let Some(bind) = map.get("GlobalOptionSet@odata.bind") {
        let url = bind.as_str().ok_or_else(|| invalid("GlobalOptionSet@odata.bind must be a URL string."))?;
        let key = url
            .rsplit_once("GlobalOptionSetDefinitions(")
            .and_then(|(_, rest)| rest.strip_suffix(')'))
            .ok_or_else(|| invalid(format!("The GlobalOptionSet@odata.bind value '{url}' doesn't address a global option set.")))?;
        let found = match uuid::Uuid::parse_str(key) {
            Ok(id) => m.option_sets().find(|s| option_set_id(&s.name) == id).ok_or_else(|| missing(&format!("optionset id: {id}")))?,
            Err(_) => {
                let name = key.strip_prefix("Name=").unwrap_or(key).trim_matches('\'');
                m.option_set(name).ok_or_else(|| missing(&format!("name: {name}")))?
            }
        };
        return Ok(Some((**found).clone()));
    }
    let set = map.get("OptionSet").and_then(Json::as_object);
    if set.and_then(|s| s.get("IsGlobal")).and_then(Json::as_bool) != Some(true) {
        return Ok(None);
    }
    let name = set.and_then(|s| s.get("Name")).and_then(Json::as_str).ok_or_else(|| invalid("A global OptionSet must give the Name of an existing global option set."))?;
    m.option_set(name).map(|s| Some((**s).clone())).ok_or_else(|| missing(&format!("name: {name}")))
}

/// Builds a column from its fixture JSON on table `e`.
pub(super) fn build(e: &EntityDef, spec: Json) -> Result<AttributeDef> {
    let lookups = e.attributes.iter().filter(|a| a.kind.is_lookup()).map(|a| a.logical_name.clone()).collect();
    attribute_from_json(spec, &lookups).map_err(|m| Error::internal(format!("column definition: {m}")))
}

/// Adds a column (from its fixture JSON) to a table of `m`, with what Dataverse adds with
/// it: a Money column brings its `_base` column and, the first time, the table's
/// currency lookup and exchange rate; a File column its read-only `_name` column.
pub(super) fn add(m: &mut Metadata, table: &str, spec: Json) -> Result<()> {
    let is_money = spec.get("AttributeType").and_then(Json::as_str) == Some("Money");
    if is_money && m.entity(table).is_some_and(|e| e.attribute("transactioncurrencyid").is_none()) {
        add_currency(m, table)?;
    }
    let e = entity_mut(m, table)?;
    let column = build(e, spec.clone())?;
    let mut extra = Vec::new();
    if is_money {
        let mut base = spec;
        base["LogicalName"] = json!(format!("{}_base", column.logical_name));
        base["SchemaName"] = json!(format!("{}_Base", column.schema_name));
        base["IsValidForCreate"] = json!(false);
        base["IsValidForUpdate"] = json!(false);
        base["DisplayName"] = json!(column.display_name.as_ref().map(|d| format!("{d} (Base)")));
        extra.push(build(e, base)?);
    }
    if column.kind == AttributeType::File {
        let name = json!({ "LogicalName": format!("{}_name", column.logical_name), "SchemaName": format!("{}_Name", column.schema_name),
            "AttributeType": "String", "MaxLength": 200, "FormatName": "Text", "AttributeOf": column.logical_name,
            "IsValidForCreate": false, "IsValidForUpdate": false, "IsCustomAttribute": true });
        extra.push(build(e, name)?);
    }
    e.attributes.push(column);
    e.attributes.extend(extra);
    e.reindex();
    Ok(())
}

/// The currency columns every table with money columns has.
fn add_currency(m: &mut Metadata, table: &str) -> Result<()> {
    let rel = relationship::lookup_relationship(&format!("TransactionCurrency_{table}"), "transactioncurrency", "transactioncurrencyid", table, "transactioncurrencyid", "NoCascade")?;
    let e = entity_mut(m, table)?;
    let currency = json!({ "LogicalName": "transactioncurrencyid", "SchemaName": "TransactionCurrencyId", "AttributeType": "Lookup",
        "DisplayName": "Currency", "Targets": ["transactioncurrency"] });
    let rate = json!({ "LogicalName": "exchangerate", "SchemaName": "ExchangeRate", "AttributeType": "Decimal", "DisplayName": "Exchange Rate",
        "Precision": 10, "MinValue": 0.0000000001, "MaxValue": 100000000000.0, "IsValidForCreate": false, "IsValidForUpdate": false });
    let mut lookups: HashSet<String> = e.attributes.iter().filter(|a| a.kind.is_lookup()).map(|a| a.logical_name.clone()).collect();
    lookups.insert("transactioncurrencyid".into());
    for spec in [currency, rate] {
        let a = attribute_from_json(spec, &lookups).map_err(Error::internal)?;
        e.attributes.push(a);
    }
    e.reindex();
    relationship::link(m, rel);
    Ok(())
}

/// `POST EntityDefinitions(…)/Attributes`; returns the new column's URL.
pub(super) fn create(ctx: &Ctx<'_, '_>, e: &EntityDef) -> Result<String> {
    let map = body::object(ctx.body, "AttributeMetadata")?;
    let logical = commit(ctx, |m| add_from_body(m, &e.logical_name, &map))?;
    let created = ctx.access.metadata();
    let table = created.entity(&e.logical_name).ok_or_else(|| Error::internal("table gone"))?;
    let column = table.attribute(&logical).ok_or_else(|| Error::internal("column gone"))?;
    Ok(format!("{}{}({})", ctx.root, ctx.raw_path.trim_end_matches('/'), attribute_id(table, column)))
}

/// Adds the column an `AttributeMetadata` body describes to the table `table`; returns
/// its logical name.
pub(super) fn add_from_body(m: &mut Metadata, table: &str, map: &Map<String, Json>) -> Result<String> {
    let current = m.entity(table).cloned().ok_or_else(|| super::missing_table(table))?;
    let spec = spec(m, &current, map)?;
    let logical = spec["LogicalName"].as_str().unwrap_or_default().to_string();
    add(m, table, spec)?;
    Ok(logical)
}

/// `PUT …/Attributes(…)`: the full definition; labels, required level and the type's
/// adjustable properties (MaxLength, bounds, precision, format) change. The type can't.
pub(super) fn update(ctx: &Ctx<'_, '_>, e: &EntityDef, a: &AttributeDef) -> Result<()> {
    let map = body::object(ctx.body, "AttributeMetadata")?;
    let merge = ctx.headers.get("mscrm.mergelabels").and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if let Some(t) = body::odata_type(&map) {
        let own = crate::metadata::definitions::attribute::AttributeClass::of(a.kind).type_name();
        if t != own {
            return Err(invalid(format!("The attribute type can't be changed from {own} to {t}.")));
        }
    }
    commit(ctx, |m| {
        let table = entity_mut(m, &e.logical_name)?;
        let col = table.attributes.iter_mut().find(|c| c.logical_name == a.logical_name).ok_or_else(|| Error::internal("column gone"))?;
        col.display_name = merged_label(&map, "DisplayName", col.display_name.take(), merge);
        col.description = merged_label(&map, "Description", col.description.take(), merge);
        if let Some(level) = value(&map, "RequiredLevel").and_then(Json::as_str) {
            col.required_level = level.to_string();
        }
        match col.kind {
            AttributeType::String if map.contains_key("MaxLength") => {
                col.max_length = Some(in_range("MaxLength", number(&map, "MaxLength"), 1.0, 4000.0, 100.0)? as usize);
            }
            AttributeType::Memo if map.contains_key("MaxLength") => {
                col.max_length = Some(in_range("MaxLength", number(&map, "MaxLength"), 1.0, 1_048_576.0, 2000.0)? as usize);
            }
            _ => {}
        }
        if matches!(col.kind, AttributeType::Integer | AttributeType::Decimal | AttributeType::Double | AttributeType::Money) {
            col.min_value = number(&map, "MinValue").or(col.min_value);
            col.max_value = number(&map, "MaxValue").or(col.max_value);
            if col.kind != AttributeType::Integer {
                col.precision = number(&map, "Precision").map(|p| p as u32).or(col.precision);
            }
        }
        if let Some(f) = value(&map, "FormatName").and_then(Json::as_str) {
            col.format_name = Some(f.to_string());
        }
        Ok(())
    })
}

/// `DELETE …/Attributes(…)`: custom columns only, never the primary name or key.
pub(super) fn delete(ctx: &Ctx<'_, '_>, e: &EntityDef, a: &AttributeDef) -> Result<()> {
    if e.primary_name.as_deref() == Some(a.logical_name.as_str()) {
        return Err(Error::new(Code::CannotDeletePrimaryUIAttribute, "The Primary UI Attribute is not valid for deletion"));
    }
    if !a.is_custom || a.logical_name.ends_with("_base") && e.attribute(a.logical_name.trim_end_matches("_base")).is_some() {
        return Err(Error::new(Code::AttributeIsNotCustomAttribute, "The specified attribute is not a custom attribute"));
    }
    if let Some(k) = e.keys.iter().find(|k| k.attributes.contains(&a.logical_name)) {
        return Err(invalid(format!("The attribute {} can't be deleted: the key {} uses it.", a.logical_name, k.logical_name)));
    }
    commit(ctx, |m| {
        if a.kind.is_lookup() {
            // A lookup goes with its relationship.
            let rels: Vec<String> = e.many_to_one.iter().filter(|r| r.referencing_attribute == a.logical_name).map(|r| r.schema_name.clone()).collect();
            for r in rels {
                relationship::unlink(m, &r);
            }
        }
        let table = entity_mut(m, &e.logical_name)?;
        let base = format!("{}_base", a.logical_name);
        table.attributes.retain(|c| c.logical_name != a.logical_name && c.logical_name != base && c.attribute_of.as_deref() != Some(&a.logical_name));
        table.reindex();
        Ok(())
    })
}
