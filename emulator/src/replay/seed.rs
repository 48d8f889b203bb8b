//! Seed state from a recording: the records an org returned, and the fixture they make.
//!
//! While recording, every read (GET) response body that holds records (a collection or a single
//! record, told apart by `@odata.context`) adds them to the seed, keyed by entity set.
//! Before replay, [`build_fixture`] lays them over a base fixture: a seed record replaces
//! the base record with the same id, the others are added. Only columns the table accepts
//! on create are kept. A lookup (`_x_value`, with its `lookuplogicalname` annotation when
//! the client asked for annotations) becomes `x…@odata.bind` through the relationship's
//! navigation property, when the record it points at is in the fixture and created before
//! the record pointing at it (data files are created in order); other lookups are left out
//! with a note. Expanded records and other annotations are left out.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value as Json};

use crate::metadata::{load_tables, AttributeType, EntityDef};

/// The annotation naming the table a `_x_value` points at.
const LOOKUP_TABLE: &str = "@Microsoft.Dynamics.CRM.lookuplogicalname";

/// Records seen in responses, by entity set, in the order first seen.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Seed {
    pub sets: BTreeMap<String, Vec<Map<String, Json>>>,
}

impl Seed {
    /// Adds the records in a response body, if it holds any, except those the recorded
    /// integration created itself (`created` holds their ids): replay creates them again.
    pub fn observe(&mut self, body: &Json, created: &BTreeSet<String>) {
        let Some(set) = body.get("@odata.context").and_then(Json::as_str).and_then(entity_set) else { return };
        let records: Vec<&Map<String, Json>> = match body.get("value") {
            Some(Json::Array(items)) => items.iter().filter_map(Json::as_object).collect(),
            Some(_) => Vec::new(),
            None => body.as_object().into_iter().collect(),
        };
        let list = self.sets.entry(set).or_default();
        for r in records.into_iter().filter(|r| !r.values().filter_map(Json::as_str).any(|v| created.contains(&v.to_ascii_lowercase()))) {
            list.push(r.iter().filter(|(k, _)| !k.contains('@') || k.ends_with(LOOKUP_TABLE)).map(|(k, v)| (k.clone(), v.clone())).collect());
        }
    }
}

/// The entity set an `@odata.context` names (`…$metadata#accounts(name)/$entity` →
/// `accounts`); None for metadata, `$ref`s and other non-record payloads.
pub fn entity_set(context: &str) -> Option<String> {
    let fragment = context.split_once("#")?.1;
    let end = fragment.find(['(', '/']).unwrap_or(fragment.len());
    let set = &fragment[..end];
    let is_records = !set.is_empty() && !set.starts_with('$') && !set.contains('.') && !["EntityDefinitions", "GlobalOptionSetDefinitions", "RelationshipDefinitions", "Collection"].contains(&set);
    is_records.then(|| set.to_string())
}

/// Fixture files as `(relative path, JSON text)`.
pub type FixtureFiles = Vec<(String, String)>;

/// The base fixture's files with the seed laid over them. Seed sets no table of the base
/// schema serves, and lookups that cannot be bound, are reported, not fatal.
pub fn build_fixture(base: &[(String, String)], seed: &Seed) -> Result<(FixtureFiles, Vec<String>), String> {
    let mut files: BTreeMap<String, String> = base.iter().cloned().collect();
    let tables = load_tables(base.iter().filter(|(p, _)| p.starts_with("tables/")).map(|(p, t)| (p.as_str(), t.as_str()))).map_err(|e| e.to_string())?;
    let mut org: Json = serde_json::from_str(files.get("org.json").ok_or("the base fixture has no org.json")?).map_err(|e| format!("org.json: {e}"))?;
    let mut notes = Vec::new();
    let mut docs: BTreeMap<String, Json> = BTreeMap::new();
    // Where each seed record went, for its lookups: (data file, index, table, record).
    let mut placed: Vec<(String, usize, &EntityDef, &Map<String, Json>)> = Vec::new();
    let mut seed_files: Vec<(String, &EntityDef)> = Vec::new();
    for (set, records) in &seed.sets {
        let Some(entity) = tables.iter().find(|t| &t.entity_set_name == set) else {
            notes.push(format!("{set}: no table of the fixture's schema has this entity set ({} records left out)", records.len()));
            continue;
        };
        // A record the base fixture has stays in its file; new ones go to a seed file of
        // their own, created after the base data so that they can point at it.
        let base_path = data_file_for(&files, &org, &entity.logical_name).map(|f| format!("data/{f}"));
        let seed_file = format!("seed-{set}.json");
        let seed_path = format!("data/{seed_file}");
        for path in base_path.iter().chain([&seed_path]) {
            if !docs.contains_key(path) {
                let doc = match files.get(path) {
                    Some(text) => serde_json::from_str(text).map_err(|e| format!("{path}: {e}"))?,
                    None => json!({ "table": entity.logical_name, "records": [] }),
                };
                docs.insert(path.clone(), doc);
            }
        }
        for record in records {
            let clean = creatable(entity, record);
            let id = clean.get(&entity.primary_id).cloned();
            let same = |r: &Json| id.is_some() && r.get(&entity.primary_id) == id.as_ref();
            let in_base = base_path.as_ref().filter(|p| docs.get(*p).and_then(|d| d.get("records")).and_then(Json::as_array).is_some_and(|l| l.iter().any(same)));
            let path = in_base.unwrap_or(&seed_path).clone();
            let list = docs.get_mut(&path).and_then(|d| d.get_mut("records")).and_then(Json::as_array_mut).ok_or_else(|| format!("{path}: no records"))?;
            // A record read twice (a list, then one with other columns) gathers both reads.
            let index = match list.iter().position(same) {
                Some(i) => {
                    if let Some(slot) = list[i].as_object_mut() {
                        slot.extend(clean);
                    }
                    i
                }
                None => {
                    list.push(Json::Object(clean));
                    list.len() - 1
                }
            };
            placed.push((path, index, entity, record));
        }
        if docs.get(&seed_path).and_then(|d| d.get("records")).and_then(Json::as_array).is_some_and(|l| !l.is_empty()) {
            seed_files.push((seed_file, entity));
        } else {
            docs.remove(&seed_path);
        }
    }
    // Seed files in lookup order: a table's file after the files of the tables it points at
    // (cycles are broken in name order; their lookups are then reported).
    let mut ordered: Vec<String> = Vec::new();
    while !seed_files.is_empty() {
        let ready = seed_files
            .iter()
            .position(|(_, e)| !seed_files.iter().any(|(_, other)| other.logical_name != e.logical_name && e.attributes.iter().any(|a| a.kind.is_lookup() && a.targets.contains(&other.logical_name))))
            .unwrap_or(0);
        ordered.push(seed_files.remove(ready).0);
    }
    if let Some(Json::Array(data)) = org.get_mut("data") {
        data.extend(ordered.into_iter().map(Json::String));
    }
    bind_lookups(&files, &org, &tables, &mut docs, &placed, &mut notes);
    for (path, doc) in docs {
        files.insert(path, serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?);
    }
    files.insert("org.json".into(), serde_json::to_string_pretty(&org).map_err(|e| e.to_string())?);
    Ok((files.into_iter().collect(), notes))
}

/// Adds `nav@odata.bind` for each seed record's lookups whose target is created before it.
fn bind_lookups(files: &BTreeMap<String, String>, org: &Json, tables: &[EntityDef], docs: &mut BTreeMap<String, Json>, placed: &[(String, usize, &EntityDef, &Map<String, Json>)], notes: &mut Vec<String>) {
    // Creation order of every record with an id: (table, id) → (data file's place, index).
    let listed: Vec<String> = org.get("data").and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str).map(|f| format!("data/{f}")).collect();
    let mut order: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for (file_pos, path) in listed.iter().enumerate() {
        let doc = docs.get(path).cloned().or_else(|| files.get(path).and_then(|t| serde_json::from_str(t).ok()));
        let Some(doc) = doc else { continue };
        let Some(table) = doc.get("table").and_then(Json::as_str).and_then(|t| tables.iter().find(|e| e.logical_name == t)) else { continue };
        for (i, r) in doc.get("records").and_then(Json::as_array).into_iter().flatten().enumerate() {
            if let Some(id) = r.get(&table.primary_id).and_then(Json::as_str) {
                order.insert((table.logical_name.clone(), id.to_ascii_lowercase()), (file_pos, i));
            }
        }
    }
    let mut left_out: BTreeMap<String, usize> = BTreeMap::new();
    for (path, index, entity, record) in placed {
        let Some(&here) = listed.iter().position(|p| p == path).map(|f| (f, *index)).as_ref() else { continue };
        for (key, value) in record.iter() {
            let (Some(column), Some(id)) = (key.strip_prefix('_').and_then(|k| k.strip_suffix("_value")), value.as_str()) else { continue };
            let Some(attribute) = entity.attribute(column).filter(|a| a.kind.is_lookup() && a.valid_for_create) else { continue };
            let id = id.to_ascii_lowercase();
            let named = record.get(&format!("{key}{LOOKUP_TABLE}")).and_then(Json::as_str).map(str::to_string);
            let candidates: Vec<String> = match named {
                Some(t) => vec![t],
                None => attribute.targets.clone(),
            };
            // The target the id is known in, created before this record.
            let target = candidates.iter().find(|t| order.get(&((*t).clone(), id.clone())).is_some_and(|there| *there < here));
            let nav = target.and_then(|t| entity.many_to_one.iter().find(|r| r.referencing_attribute == column && &r.referenced_entity == t).and_then(|r| r.referencing_nav.clone()).or_else(|| (column == "ownerid").then(|| column.to_string())));
            let set = target.and_then(|t| tables.iter().find(|e| &e.logical_name == t)).map(|e| e.entity_set_name.clone());
            match (nav, set, docs.get_mut(path).and_then(|d| d.get_mut("records")).and_then(|r| r.get_mut(*index)).and_then(Json::as_object_mut)) {
                (Some(nav), Some(set), Some(slot)) => {
                    slot.insert(format!("{nav}@odata.bind"), Json::String(format!("/{set}({id})")));
                }
                _ => *left_out.entry(format!("{}.{column}", entity.logical_name)).or_default() += 1,
            }
        }
    }
    for (column, n) in left_out {
        notes.push(format!("{column}: {n} lookup value(s) left out (the record they point at is not in the fixture, or is created after the record)"));
    }
}

/// The org's data file already seeding `table`, if any.
fn data_file_for(files: &BTreeMap<String, String>, org: &Json, table: &str) -> Option<String> {
    let listed = org.get("data")?.as_array()?;
    listed.iter().filter_map(Json::as_str).find(|f| {
        files.get(&format!("data/{f}")).and_then(|t| serde_json::from_str::<Json>(t).ok()).is_some_and(|d| d.get("table").and_then(Json::as_str) == Some(table))
    }).map(str::to_string)
}

/// The columns of a returned record that a create accepts (plain columns, not lookups).
fn creatable(entity: &EntityDef, record: &Map<String, Json>) -> Map<String, Json> {
    record
        .iter()
        .filter(|(k, v)| {
            !v.is_null()
                && entity.attributes.iter().any(|a| {
                    &a.logical_name == *k && (a.valid_for_create || a.logical_name == entity.primary_id) && !a.kind.is_lookup() && !matches!(a.kind, AttributeType::Virtual | AttributeType::Image | AttributeType::File | AttributeType::PartyList)
                })
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
