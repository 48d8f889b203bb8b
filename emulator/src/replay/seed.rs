//! Seed state from a recording: the records an org returned, and the fixture they make.
//!
//! While recording, every read (GET) response body that holds records (a collection or a single
//! record, told apart by `@odata.context`) adds them to the seed, keyed by entity set.
//! Before replay, [`build_fixture`] lays them over a base fixture: a seed record replaces
//! the base record with the same id, the others are added. Only columns the table accepts
//! on create are kept; lookups, expanded records and annotations are left out, since the
//! recording does not say which navigation property a `_x_value` came through.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value as Json};

use crate::metadata::{load_tables, AttributeType, EntityDef};

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
            list.push(r.iter().filter(|(k, _)| !k.contains('@')).map(|(k, v)| (k.clone(), v.clone())).collect());
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
/// schema serves are reported, not fatal.
pub fn build_fixture(base: &[(String, String)], seed: &Seed) -> Result<(FixtureFiles, Vec<String>), String> {
    let mut files: BTreeMap<String, String> = base.iter().cloned().collect();
    let tables = load_tables(base.iter().filter(|(p, _)| p.starts_with("tables/")).map(|(p, t)| (p.as_str(), t.as_str()))).map_err(|e| e.to_string())?;
    let mut org: Json = serde_json::from_str(files.get("org.json").ok_or("the base fixture has no org.json")?).map_err(|e| format!("org.json: {e}"))?;
    let mut notes = Vec::new();
    for (set, records) in &seed.sets {
        let Some(entity) = tables.iter().find(|t| &t.entity_set_name == set) else {
            notes.push(format!("{set}: no table of the fixture's schema has this entity set ({} records left out)", records.len()));
            continue;
        };
        let existing = data_file_for(&files, &org, &entity.logical_name);
        let file = existing.clone().unwrap_or_else(|| format!("seed-{set}.json"));
        let path = format!("data/{file}");
        let mut doc: Json = match files.get(&path) {
            Some(text) => serde_json::from_str(text).map_err(|e| format!("{path}: {e}"))?,
            None => json!({ "table": entity.logical_name, "records": [] }),
        };
        let list = doc.get_mut("records").and_then(Json::as_array_mut).ok_or_else(|| format!("{path}: no records"))?;
        for record in records {
            let clean = creatable(entity, record);
            let id = clean.get(&entity.primary_id).cloned();
            // A record read twice (a list, then one with other columns) gathers both reads.
            match list.iter_mut().find(|r| id.is_some() && r.get(&entity.primary_id) == id.as_ref()).and_then(Json::as_object_mut) {
                Some(slot) => slot.extend(clean),
                None => list.push(Json::Object(clean)),
            }
        }
        files.insert(path, serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?);
        if existing.is_none() {
            if let Some(Json::Array(data)) = org.get_mut("data") {
                data.push(Json::String(file));
            }
        }
    }
    files.insert("org.json".into(), serde_json::to_string_pretty(&org).map_err(|e| e.to_string())?);
    Ok((files.into_iter().collect(), notes))
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
