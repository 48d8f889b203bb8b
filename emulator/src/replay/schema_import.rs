//! `import-schema`: turns a real org's `EntityDefinitions` (saved JSON or fetched live) into
//! fixture table files (`tables/<table>.json`, the shape `metadata/load.rs` reads).
//!
//! The service's metadata wraps most values (labels in `LocalizedLabels`, managed
//! properties as `{Value, CanBeChanged}`, enums as `{Value}`); the fixture format holds the
//! plain values. Each table is flattened, parsed with the fixture loader (so what is
//! written is what the emulator accepts), and written back with `save.rs`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};

use super::csdl_import::CsdlSchema;
use crate::metadata::save::table_to_json;
use crate::metadata::table_from_json;

/// Column types the fixture loader knows; other columns (calendar rules, …) are skipped.
const KNOWN_TYPES: [&str; 23] = [
    "String", "Memo", "Integer", "BigInt", "Decimal", "Double", "Money", "Boolean", "DateTime", "Picklist", "MultiSelectPicklist", "State", "Status", "Lookup",
    "Customer", "Owner", "Uniqueidentifier", "PartyList", "EntityName", "Image", "File", "ManagedProperty", "Virtual",
];

/// The result of an import: table files by logical name, and what was left out.
#[derive(Debug, Default)]
pub struct Imported {
    /// Logical name → fixture table JSON.
    pub tables: BTreeMap<String, Json>,
    /// One line per table or column that could not be imported, and why.
    pub warnings: Vec<String>,
}

/// The table objects in an `EntityDefinitions` export: `{"value": [...]}`, an array, or
/// one table.
pub fn tables_in(doc: Json) -> Vec<Json> {
    match doc {
        Json::Object(mut m) if m.contains_key("value") => match m.remove("value") {
            Some(Json::Array(items)) => items,
            _ => Vec::new(),
        },
        Json::Array(items) => items,
        other @ Json::Object(_) => vec![other],
        _ => Vec::new(),
    }
}

/// Converts service-shaped table definitions into fixture tables. `keep`, when given,
/// names the tables to keep; the tables their lookups target are kept too.
pub fn import(definitions: Vec<Json>, keep: Option<&[String]>) -> Imported {
    import_with_csdl(None, definitions, keep)
}

/// [`import`] with the tables of a `$metadata` document as the base: a table in both
/// takes the dump's details (labels, required levels, choices, cascades, the primary name)
/// over what the CSDL could say, column by column; tables and columns only the CSDL has
/// are kept as the CSDL describes them.
pub fn import_with_csdl(csdl: Option<CsdlSchema>, definitions: Vec<Json>, keep: Option<&[String]>) -> Imported {
    let mut out = Imported::default();
    let mut flat_tables: BTreeMap<String, Json> = BTreeMap::new();
    if let Some(c) = csdl {
        out.warnings.extend(c.warnings);
        flat_tables = c.tables;
    }
    for def in definitions {
        let flat = table_fixture_shape(def, &mut out.warnings);
        let name = flat.get("LogicalName").and_then(Json::as_str).unwrap_or_default().to_string();
        let merged = match flat_tables.remove(&name) {
            Some(base) => merge_table(base, flat),
            None => flat,
        };
        flat_tables.insert(name, merged);
    }
    let mut all: BTreeMap<String, Json> = BTreeMap::new();
    for (name, flat) in flat_tables {
        match table_from_json(flat) {
            Ok(entity) => {
                all.insert(name, table_to_json(&entity));
            }
            Err(e) => out.warnings.push(format!("table {name}: {e} (skipped)")),
        }
    }
    out.tables = match keep {
        None => all,
        Some(names) => {
            let wanted = closure(&all, names);
            all.into_iter().filter(|(k, _)| wanted.contains(k)).collect()
        }
    };
    out
}

/// A CSDL table with a dump of the same table laid over it: the dump's values win; its
/// columns replace the CSDL's column of the same name; its relationship lists replace the
/// CSDL's unless empty.
fn merge_table(base: Json, dump: Json) -> Json {
    let (Json::Object(mut base), Json::Object(dump)) = (base, dump) else { return Json::Null };
    for (key, value) in dump {
        match (key.as_str(), value) {
            ("Attributes", Json::Array(columns)) => {
                let mut merged: Vec<Json> = base.remove("Attributes").and_then(|a| if let Json::Array(a) = a { Some(a) } else { None }).unwrap_or_default();
                for column in columns {
                    let name = column.get("LogicalName").cloned();
                    match merged.iter_mut().find(|c| c.get("LogicalName") == name.as_ref()) {
                        Some(slot) => *slot = column,
                        None => merged.push(column),
                    }
                }
                base.insert(key, Json::Array(merged));
            }
            (_, Json::Array(items)) if items.is_empty() && base.get(&key).and_then(Json::as_array).is_some_and(|b| !b.is_empty()) => {}
            (_, Json::Null) => {}
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
    Json::Object(base)
}

/// `names` plus every table their lookups target, transitively.
fn closure(all: &BTreeMap<String, Json>, names: &[String]) -> BTreeSet<String> {
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    let mut todo: Vec<String> = names.to_vec();
    while let Some(name) = todo.pop() {
        if !wanted.insert(name.clone()) {
            continue;
        }
        let attrs = all.get(&name).and_then(|t| t.get("Attributes")).and_then(Json::as_array);
        for target in attrs.into_iter().flatten().filter_map(|a| a.get("Targets")).filter_map(Json::as_array).flatten().filter_map(Json::as_str) {
            if all.contains_key(target) {
                todo.push(target.to_string());
            }
        }
    }
    wanted
}

/// One table definition flattened to the fixture shape, with columns of unknown types
/// dropped.
fn table_fixture_shape(def: Json, warnings: &mut Vec<String>) -> Json {
    let mut flat = flatten(def);
    let table = flat.get("LogicalName").and_then(Json::as_str).unwrap_or_default().to_string();
    if let Some(Json::Array(attrs)) = flat.get_mut("Attributes") {
        attrs.retain_mut(|a| {
            let type_name = a.get("AttributeTypeName").and_then(Json::as_str).unwrap_or_default();
            let specific = match type_name {
                "MultiSelectPicklistType" => Some("MultiSelectPicklist"),
                "FileType" => Some("File"),
                "ImageType" => Some("Image"),
                _ => None,
            };
            if let (Some(t), Json::Object(m)) = (specific, &mut *a) {
                m.insert("AttributeType".into(), Json::String(t.into()));
            }
            let kind = a.get("AttributeType").and_then(Json::as_str).unwrap_or_default();
            let known = KNOWN_TYPES.contains(&kind);
            if !known {
                let column = a.get("LogicalName").and_then(Json::as_str).unwrap_or_default();
                warnings.push(format!("column {table}.{column}: type {kind:?} is not emulated (skipped)"));
            }
            known
        });
    }
    flat
}

/// Unwraps the service's metadata wrappers: labels to their text, `{Value, CanBeChanged}`
/// and `{Value}` to the value; drops OData annotations.
pub fn flatten(v: Json) -> Json {
    match v {
        Json::Object(mut m) => {
            if m.contains_key("UserLocalizedLabel") || m.contains_key("LocalizedLabels") {
                return label(&m);
            }
            let wrapper = m.contains_key("Value") && (m.len() == 1 || m.contains_key("CanBeChanged"));
            if wrapper {
                return flatten(m.remove("Value").unwrap_or(Json::Null));
            }
            Json::Object(m.into_iter().filter(|(k, _)| !k.contains('@')).map(|(k, v)| (k, flatten(v))).collect::<Map<_, _>>())
        }
        Json::Array(items) => Json::Array(items.into_iter().map(flatten).collect()),
        other => other,
    }
}

/// A `Label`'s text: the user's language, else the first localized label.
fn label(m: &Map<String, Json>) -> Json {
    let text = |l: &Json| l.get("Label").and_then(Json::as_str).map(str::to_string);
    m.get("UserLocalizedLabel")
        .and_then(text)
        .or_else(|| m.get("LocalizedLabels").and_then(Json::as_array).and_then(|a| a.first()).and_then(text))
        .map_or(Json::Null, Json::String)
}

/// Writes each table as `dir/tables/<table>.json`.
pub fn write_tables(dir: &std::path::Path, imported: &Imported) -> Result<(), String> {
    let tables = dir.join("tables");
    std::fs::create_dir_all(&tables).map_err(|e| format!("{}: {e}", tables.display()))?;
    for (name, table) in &imported.tables {
        let path = tables.join(format!("{name}.json"));
        let text = serde_json::to_string_pretty(table).map_err(|e| e.to_string())? + "\n";
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// Option-bearing column types whose options the service only returns through a cast.
const OPTION_CASTS: [&str; 4] = ["PicklistAttributeMetadata", "StateAttributeMetadata", "StatusAttributeMetadata", "MultiSelectPicklistAttributeMetadata"];

/// Fetches every table definition from a live org (or an emulator): `EntityDefinitions`
/// with Attributes, Keys and relationships, then each table's option sets through the
/// typed attribute casts, merged into its columns.
pub async fn fetch_live(target: &conformance_runner::target::Target, only: Option<&[String]>) -> Result<Vec<Json>, String> {
    let expand = "$expand=Attributes,Keys,OneToManyRelationships,ManyToOneRelationships,ManyToManyRelationships";
    let mut tables = match only {
        Some(names) => {
            let mut out = Vec::new();
            for n in names {
                out.push(get_json(target, &format!("EntityDefinitions(LogicalName='{n}')?{expand}")).await?);
            }
            out
        }
        None => tables_in(get_json(target, &format!("EntityDefinitions?{expand}")).await?),
    };
    for table in &mut tables {
        let Some(name) = table.get("LogicalName").and_then(Json::as_str).map(str::to_string) else { continue };
        for cast in OPTION_CASTS {
            let path = format!("EntityDefinitions(LogicalName='{name}')/Attributes/Microsoft.Dynamics.CRM.{cast}?$select=LogicalName&$expand=OptionSet");
            let Ok(doc) = get_json(target, &path).await else { continue };
            for typed in tables_in(doc) {
                let column = typed.get("LogicalName").cloned();
                let Some(options) = typed.get("OptionSet").cloned() else { continue };
                if let Some(Json::Array(attrs)) = table.get_mut("Attributes") {
                    if let Some(Json::Object(a)) = attrs.iter_mut().find(|a| a.get("LogicalName") == column.as_ref()) {
                        a.insert("OptionSet".into(), options);
                    }
                }
            }
        }
    }
    Ok(tables)
}

/// A live org's `$metadata`, read as a CSDL stream.
pub async fn fetch_live_csdl(target: &conformance_runner::target::Target) -> Result<CsdlSchema, String> {
    let mut headers = vec![("Accept".to_string(), "application/xml".to_string())];
    if let Some(t) = &target.token {
        headers.push(("Authorization".to_string(), format!("Bearer {t}")));
    }
    let resp = target.send(http::Method::GET, "$metadata", &headers, bytes::Bytes::new()).await?;
    if !resp.status.is_success() {
        return Err(format!("GET $metadata: {} {}", resp.status, resp.text()));
    }
    super::csdl_import::read_csdl(&resp.body[..], |_, _| {}).map_err(|e| format!("GET $metadata: {e}"))
}

pub(crate) async fn get_json(target: &conformance_runner::target::Target, path: &str) -> Result<Json, String> {
    let mut headers = vec![("Accept".to_string(), "application/json".to_string()), ("OData-Version".to_string(), "4.0".to_string())];
    if let Some(t) = &target.token {
        headers.push(("Authorization".to_string(), format!("Bearer {t}")));
    }
    let resp = target.send(http::Method::GET, path, &headers, bytes::Bytes::new()).await?;
    if !resp.status.is_success() {
        return Err(format!("GET {path}: {} {}", resp.status, resp.text()));
    }
    serde_json::from_slice(&resp.body).map_err(|e| format!("GET {path}: {e}"))
}
