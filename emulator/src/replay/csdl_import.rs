//! `import-schema` from a `$metadata` CSDL document: each `EntityType` becomes a fixture
//! table (the shape `metadata/load.rs` reads), so a saved `$metadata` is enough to serve
//! an org's tables.
//!
//! A real org's CSDL is tens of megabytes, so it is read as a stream of quick-xml events,
//! never as a tree: only the table being read, its columns and navigation properties are
//! held until the document ends, when relationships are joined up across tables.
//!
//! What the CSDL says, and how it maps:
//! - `Key/PropertyRef` → the primary id; `EntitySet` → the entity set name.
//! - `Property` types → column types (`Edm.String` → String, with `MaxLength`; `Edm.Int32`
//!   → Integer; `Edm.Decimal` → Decimal with its `Scale`; `Edm.Date` → a date-only
//!   DateTime; …). A property typed by an `EnumType` becomes a choice with its members as
//!   options.
//! - `_x_value` properties with the `NavigationProperty`s whose `ReferentialConstraint`
//!   names them → lookup column `x` targeting each navigation's type (Customer when it
//!   targets account and contact, Owner for `ownerid`), and a many-to-one relationship
//!   named by the partner (also listed one-to-many on the referenced table).
//! - A collection navigation whose `Partner` is its own name → a many-to-many relationship.
//! - `OData.Community.Keys.V1.AlternateKeys` annotations → alternate keys.
//! - Derived types (`BaseType` other than `crmbaseentity`) inherit their base's key and
//!   columns, as activity tables do from `activitypointer`; abstract types are not tables.
//!
//! What it cannot say (labels, required levels, whether an `Edm.Int32` is a choice, the
//! primary name column, cascades): EntityDefinitions dumps given alongside win for those
//! (see [`super::schema_import::import_with_csdl`]); without them, the primary name is
//! guessed (`name`, `<prefix>_name`, `fullname`, `subject`, `title`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::{json, Map, Value as Json};

/// The tables read from a CSDL document, in the fixture's table shape, and what was
/// left out.
#[derive(Debug, Default)]
pub struct CsdlSchema {
    /// Logical name → fixture table JSON (not yet validated by the fixture loader).
    pub tables: BTreeMap<String, Json>,
    /// One line per property or type that could not be imported, and why.
    pub warnings: Vec<String>,
}

#[derive(Default)]
struct TypeDef {
    name: String,
    base: Option<String>,
    is_abstract: bool,
    key: Option<String>,
    properties: Vec<Property>,
    navigations: Vec<Navigation>,
    /// Each alternate key: `(alias, property path)` per part.
    keys: Vec<Vec<(String, String)>>,
}

struct Property {
    name: String,
    ty: String,
    max_length: Option<u64>,
    scale: Option<u32>,
}

#[derive(Default)]
struct Navigation {
    name: String,
    ty: String,
    partner: Option<String>,
    /// `(own property, referenced property)`.
    constraint: Option<(String, String)>,
}

/// Where in the document the reader is, as far as import cares.
#[derive(Default)]
struct Cursor {
    entity: Option<TypeDef>,
    navigation: Option<Navigation>,
    in_key: bool,
    /// Inside an `AlternateKeys` annotation: the parts of the key being read.
    alternate_keys: Option<Vec<(String, String)>>,
    /// The alias of the key part being read.
    key_alias: Option<String>,
    /// The `EnumType` being read: its name and members.
    enumeration: Option<(String, Vec<(String, i64)>)>,
    /// The `Schema`'s namespace and alias, to resolve qualified type names.
    prefixes: Vec<String>,
}

/// Reads a CSDL document from `input`. `progress(bytes read, entity types read)` is called
/// every few hundred types and at the end, for a progress line.
pub fn read_csdl<R: BufRead>(input: R, mut progress: impl FnMut(u64, usize)) -> Result<CsdlSchema, String> {
    let mut reader = Reader::from_reader(input);
    reader.config_mut().trim_text(true);
    let mut buf = Vec::with_capacity(1024);
    let mut cursor = Cursor::default();
    let mut types: Vec<TypeDef> = Vec::new();
    let mut enums: HashMap<String, Vec<(String, i64)>> = HashMap::new();
    let mut sets: HashMap<String, String> = HashMap::new();
    let mut seen_schema = false;
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| format!("not a CSDL document: {e} at byte {}", reader.error_position()))?;
        match event {
            Event::Start(e) => {
                seen_schema |= e.local_name().as_ref() == b"Schema";
                start(&mut cursor, &e, &mut sets)?;
            }
            Event::Empty(e) => {
                start(&mut cursor, &e, &mut sets)?;
                let name = e.local_name().as_ref().to_vec();
                end(&mut cursor, &name, &mut types, &mut enums);
            }
            Event::End(e) => {
                let name = e.local_name().as_ref().to_vec();
                let before = types.len();
                end(&mut cursor, &name, &mut types, &mut enums);
                if types.len() != before && types.len().is_multiple_of(250) {
                    progress(reader.buffer_position(), types.len());
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    progress(reader.buffer_position(), types.len());
    if !seen_schema {
        return Err("not a CSDL document: no <Schema> element".into());
    }
    Ok(assemble(types, &enums, &sets, &cursor.prefixes))
}

fn attr(e: &BytesStart, name: &str) -> Option<String> {
    e.attributes().flatten().find(|a| a.key.as_ref() == name.as_bytes()).and_then(|a| a.unescape_value().ok()).map(|v| v.into_owned())
}

fn start(c: &mut Cursor, e: &BytesStart, sets: &mut HashMap<String, String>) -> Result<(), String> {
    match e.local_name().as_ref() {
        b"Schema" => c.prefixes.extend(["Namespace", "Alias"].iter().filter_map(|k| attr(e, k)).map(|p| format!("{p}."))),
        b"EntityType" => {
            let name = attr(e, "Name").ok_or("an EntityType without a Name")?;
            c.entity = Some(TypeDef { name, base: attr(e, "BaseType"), is_abstract: attr(e, "Abstract").as_deref() == Some("true"), ..TypeDef::default() });
        }
        b"Key" => c.in_key = c.entity.is_some(),
        b"PropertyRef" if c.in_key => {
            if let Some(t) = &mut c.entity {
                t.key = attr(e, "Name");
            }
        }
        b"Property" => {
            if let (Some(t), Some(name), Some(ty)) = (&mut c.entity, attr(e, "Name"), attr(e, "Type")) {
                let max_length = attr(e, "MaxLength").and_then(|v| v.parse().ok());
                let scale = attr(e, "Scale").and_then(|v| v.parse().ok());
                t.properties.push(Property { name, ty, max_length, scale });
            }
        }
        b"NavigationProperty" if c.entity.is_some() => {
            c.navigation = Some(Navigation { name: attr(e, "Name").unwrap_or_default(), ty: attr(e, "Type").unwrap_or_default(), partner: attr(e, "Partner"), constraint: None });
        }
        b"ReferentialConstraint" => {
            if let (Some(n), Some(own), Some(referenced)) = (&mut c.navigation, attr(e, "Property"), attr(e, "ReferencedProperty")) {
                n.constraint = Some((own, referenced));
            }
        }
        b"Annotation" if c.entity.is_some() && attr(e, "Term").is_some_and(|t| t.ends_with("Keys.V1.AlternateKeys")) => c.alternate_keys = Some(Vec::new()),
        b"Record" if c.alternate_keys.is_some() && attr(e, "Type").is_some_and(|t| t.ends_with("AlternateKey")) => {
            if let Some(parts) = &mut c.alternate_keys {
                parts.clear();
            }
        }
        b"PropertyValue" if c.alternate_keys.is_some() => match attr(e, "Property").as_deref() {
            Some("Alias") => c.key_alias = attr(e, "String"),
            Some("Name") => {
                if let (Some(parts), Some(path)) = (&mut c.alternate_keys, attr(e, "PropertyPath")) {
                    let alias = c.key_alias.take().unwrap_or_else(|| path.clone());
                    parts.push((alias, path));
                }
            }
            _ => {}
        },
        b"EnumType" => c.enumeration = attr(e, "Name").map(|n| (n, Vec::new())),
        b"Member" => {
            if let (Some((_, members)), Some(name)) = (&mut c.enumeration, attr(e, "Name")) {
                let value = attr(e, "Value").and_then(|v| v.parse().ok()).unwrap_or(members.len() as i64);
                members.push((name, value));
            }
        }
        b"EntitySet" => {
            if let (Some(name), Some(ty)) = (attr(e, "Name"), attr(e, "EntityType")) {
                let short = ty.rsplit('.').next().unwrap_or(&ty).to_string();
                sets.insert(short, name);
            }
        }
        _ => {}
    }
    Ok(())
}

fn end(c: &mut Cursor, name: &[u8], types: &mut Vec<TypeDef>, enums: &mut HashMap<String, Vec<(String, i64)>>) {
    match name {
        b"EntityType" => types.extend(c.entity.take()),
        b"Key" => c.in_key = false,
        b"NavigationProperty" => {
            if let (Some(t), Some(n)) = (&mut c.entity, c.navigation.take()) {
                t.navigations.push(n);
            }
        }
        b"Record" => {
            if let (Some(t), Some(parts)) = (&mut c.entity, &mut c.alternate_keys) {
                if !parts.is_empty() && parts.iter().all(|(_, p)| !p.is_empty()) {
                    t.keys.push(std::mem::take(parts));
                }
            }
        }
        b"Annotation" => c.alternate_keys = None,
        b"EnumType" => {
            if let Some((n, members)) = c.enumeration.take() {
                enums.insert(n, members);
            }
        }
        _ => {}
    }
}

/// `mscrm.account`, `Microsoft.Dynamics.CRM.account` → `account`.
fn local<'a>(ty: &'a str, prefixes: &[String]) -> &'a str {
    prefixes.iter().find_map(|p| ty.strip_prefix(p.as_str())).unwrap_or(ty)
}

/// The column a `_x_value` property stands for.
fn lookup_column(property: &str) -> Option<&str> {
    property.strip_prefix('_')?.strip_suffix("_value")
}

/// Joins up the types into fixture tables: inheritance, lookups and relationships.
fn assemble(types: Vec<TypeDef>, enums: &HashMap<String, Vec<(String, i64)>>, sets: &HashMap<String, String>, prefixes: &[String]) -> CsdlSchema {
    let mut out = CsdlSchema::default();
    let by_name: HashMap<&str, &TypeDef> = types.iter().map(|t| (t.name.as_str(), t)).collect();
    // Primary ids, through base types, for the referenced side of relationships.
    let key_of = |t: &TypeDef| -> Option<String> {
        let mut cur = Some(t);
        let mut hops = 0;
        while let Some(ty) = cur {
            if let Some(k) = &ty.key {
                return Some(k.clone());
            }
            hops += 1;
            cur = ty.base.as_deref().map(|b| local(b, prefixes)).and_then(|b| by_name.get(b).copied()).filter(|_| hops < 16);
        }
        None
    };
    let mut one_to_many: HashMap<String, Vec<Json>> = HashMap::new();
    let mut many_to_many_seen: HashSet<String> = HashSet::new();
    for t in types.iter().filter(|t| !t.is_abstract) {
        let Some(primary_id) = key_of(t) else {
            out.warnings.push(format!("type {}: no key (skipped)", t.name));
            continue;
        };
        let Some(set) = sets.get(&t.name) else {
            out.warnings.push(format!("type {}: no entity set (skipped)", t.name));
            continue;
        };
        // The type's own members after its bases', each name once.
        let mut chain = vec![t];
        while let Some(base) = chain.last().and_then(|c| c.base.as_deref()).map(|b| local(b, prefixes)).and_then(|b| by_name.get(b).copied()) {
            if chain.len() > 16 || chain.iter().any(|c| c.name == base.name) {
                break;
            }
            chain.push(base);
        }
        let properties: Vec<&Property> = dedupe(chain.iter().rev().flat_map(|c| c.properties.iter()), |p| p.name.as_str());
        let navigations: Vec<&Navigation> = dedupe(chain.iter().rev().flat_map(|c| c.navigations.iter()), |n| n.name.as_str());
        // Lookup targets from the navigations constraining each `_x_value`.
        let mut targets: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        let mut many_to_one = Vec::new();
        let mut many_to_many = Vec::new();
        for n in &navigations {
            let collection = n.ty.starts_with("Collection(");
            let target = local(n.ty.trim_start_matches("Collection(").trim_end_matches(')'), prefixes).to_string();
            match (&n.constraint, collection) {
                (Some((own, referenced)), false) => {
                    let Some(column) = lookup_column(own) else { continue };
                    targets.entry(column).or_default().push(target.clone());
                    let referenced_attribute = if target == "principal" { "ownerid".to_string() } else { referenced.clone() };
                    let referenced_entity = if target == "principal" { "owner".to_string() } else { target.clone() };
                    let rel = json!({
                        "SchemaName": n.partner.clone().unwrap_or_else(|| format!("{}_{}", t.name, n.name)),
                        "ReferencedEntity": referenced_entity, "ReferencedAttribute": referenced_attribute,
                        "ReferencingEntity": t.name, "ReferencingAttribute": column,
                        "ReferencingEntityNavigationPropertyName": n.name, "ReferencedEntityNavigationPropertyName": n.partner,
                    });
                    one_to_many.entry(target).or_default().push(rel.clone());
                    many_to_one.push(rel);
                }
                (None, true) if n.partner.as_deref() == Some(n.name.as_str()) => {
                    let other = by_name.get(target.as_str()).copied();
                    let (Some(other_key), true) = (other.and_then(key_of), many_to_many_seen.insert(n.name.clone())) else { continue };
                    many_to_many.push(json!({
                        "SchemaName": n.name, "IntersectEntityName": n.name,
                        "Entity1LogicalName": t.name, "Entity1IntersectAttribute": primary_id, "Entity1NavigationPropertyName": n.name,
                        "Entity2LogicalName": target, "Entity2IntersectAttribute": other_key, "Entity2NavigationPropertyName": n.name,
                    }));
                }
                _ => {}
            }
        }
        let mut attributes = Vec::new();
        for p in &properties {
            if let Some(column) = lookup_column(&p.name) {
                let to = targets.remove(column).unwrap_or_default();
                let kind = match () {
                    _ if column == "ownerid" || to.iter().any(|x| x == "principal") => "Owner",
                    _ if to.len() > 1 && to.iter().all(|x| x == "account" || x == "contact") => "Customer",
                    _ => "Lookup",
                };
                let to: Vec<String> = if kind == "Owner" { vec!["systemuser".into(), "team".into()] } else { to };
                attributes.push(json!({ "LogicalName": column, "SchemaName": column, "AttributeType": kind, "Targets": to }));
                continue;
            }
            match column_of(p, &primary_id, enums, prefixes) {
                Ok(a) => attributes.push(a),
                Err(why) => out.warnings.push(format!("column {}.{}: {why} (skipped)", t.name, p.name)),
            }
        }
        if !properties.iter().any(|p| p.name == primary_id) {
            attributes.insert(0, json!({ "LogicalName": primary_id, "SchemaName": primary_id, "AttributeType": "Uniqueidentifier", "IsValidForUpdate": false }));
        }
        let keys: Vec<Json> = t
            .keys
            .iter()
            .chain(chain.iter().skip(1).flat_map(|c| c.keys.iter()))
            .map(|parts| {
                let columns: Vec<String> = parts.iter().map(|(alias, path)| lookup_column(path).map_or_else(|| alias.clone(), str::to_string)).collect();
                json!({ "LogicalName": format!("{}_{}", t.name, columns.join("_")), "KeyAttributes": columns })
            })
            .collect();
        let mut table = Map::new();
        table.insert("LogicalName".into(), json!(t.name));
        table.insert("SchemaName".into(), json!(t.name));
        table.insert("EntitySetName".into(), json!(set));
        table.insert("PrimaryIdAttribute".into(), json!(primary_id));
        if let Some(name) = primary_name(&t.name, &properties) {
            table.insert("PrimaryNameAttribute".into(), json!(name));
        }
        table.insert("IsActivity".into(), json!(chain.iter().any(|c| c.name == "activitypointer") && t.name != "activitypointer"));
        table.insert("Attributes".into(), Json::Array(attributes));
        table.insert("Keys".into(), Json::Array(keys));
        table.insert("ManyToOneRelationships".into(), Json::Array(many_to_one));
        table.insert("ManyToManyRelationships".into(), Json::Array(many_to_many));
        out.tables.insert(t.name.clone(), Json::Object(table));
    }
    for (referenced, rels) in one_to_many {
        if let Some(Json::Object(t)) = out.tables.get_mut(&referenced) {
            t.insert("OneToManyRelationships".into(), Json::Array(rels));
        }
    }
    out
}

fn dedupe<'a, T>(items: impl Iterator<Item = &'a T>, key: impl Fn(&T) -> &str) -> Vec<&'a T> {
    let mut seen = HashSet::new();
    let mut out: Vec<&T> = Vec::new();
    for i in items {
        if seen.insert(key(i).to_string()) {
            out.push(i);
        } else if let Some(slot) = out.iter_mut().find(|o| key(o) == key(i)) {
            // A derived type's redeclaration wins over its base's.
            *slot = i;
        }
    }
    out
}

/// One non-lookup property as a fixture column.
fn column_of(p: &Property, primary_id: &str, enums: &HashMap<String, Vec<(String, i64)>>, prefixes: &[String]) -> Result<Json, String> {
    let mut a = Map::new();
    a.insert("LogicalName".into(), json!(p.name));
    a.insert("SchemaName".into(), json!(p.name));
    let kind = match p.ty.as_str() {
        "Edm.String" => match p.max_length {
            Some(n) if n > 4000 => "Memo",
            _ => "String",
        },
        "Edm.Int32" | "Edm.Int16" | "Edm.Byte" | "Edm.SByte" => "Integer",
        "Edm.Int64" => "BigInt",
        "Edm.Decimal" => "Decimal",
        "Edm.Double" | "Edm.Single" => "Double",
        "Edm.Boolean" => "Boolean",
        "Edm.DateTimeOffset" => "DateTime",
        "Edm.Date" => {
            a.insert("DateTimeBehavior".into(), json!("DateOnly"));
            a.insert("Format".into(), json!("DateOnly"));
            "DateTime"
        }
        "Edm.Guid" => "Uniqueidentifier",
        other if local(other, prefixes) == "BooleanManagedProperty" => "ManagedProperty",
        other => match enums.get(local(other, prefixes)) {
            Some(members) => {
                let options: Vec<Json> = members.iter().map(|(label, value)| json!({ "Value": value, "Label": label })).collect();
                a.insert("OptionSet".into(), json!({ "Options": options }));
                "Picklist"
            }
            None => return Err(format!("type {other} is not emulated")),
        },
    };
    a.insert("AttributeType".into(), json!(kind));
    if let (Some(n), "String" | "Memo") = (p.max_length, kind) {
        a.insert("MaxLength".into(), json!(n));
    }
    if let (Some(s), "Decimal") = (p.scale, kind) {
        a.insert("Precision".into(), json!(s));
    }
    if p.name == primary_id {
        a.insert("RequiredLevel".into(), json!("SystemRequired"));
        a.insert("IsValidForUpdate".into(), json!(false));
    }
    // Server-maintained columns the CSDL marks only by convention.
    if matches!(p.name.as_str(), "createdon" | "modifiedon" | "versionnumber" | "overriddencreatedon") && p.name != primary_id {
        a.insert("IsValidForUpdate".into(), json!(false));
        if p.name != "overriddencreatedon" {
            a.insert("IsValidForCreate".into(), json!(false));
        }
    }
    Ok(Json::Object(a))
}

/// The CSDL does not name the primary name column; the usual names, in order.
fn primary_name(table: &str, properties: &[&Property]) -> Option<String> {
    let prefixed = table.split_once('_').map(|(prefix, _)| format!("{prefix}_name"));
    let candidates = ["name".to_string()].into_iter().chain(prefixed).chain(["fullname", "subject", "title"].map(String::from));
    let strings: HashSet<&str> = properties.iter().filter(|p| p.ty == "Edm.String").map(|p| p.name.as_str()).collect();
    candidates.into_iter().find(|c| strings.contains(c.as_str()))
}
