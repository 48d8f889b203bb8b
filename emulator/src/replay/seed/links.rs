//! What a seed writes once every seed record exists, as fixture update records
//! (`"@update"`, loaded from `seed-updates-<set>.json` after every seed file): the lookups
//! that close a cycle between seed records, and N:N pairs.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value as Json};

use super::CreationOrder;
use crate::fixture::records::UPDATE;
use crate::metadata::EntityDef;

/// An N:N pair to seed: the record (table, id), its navigation property, the other record.
pub(super) struct Association<'a> {
    pub(super) table: &'a EntityDef,
    pub(super) id: String,
    pub(super) nav: String,
    pub(super) other: &'a EntityDef,
    pub(super) other_id: String,
}

/// Adds a collection bind update for each N:N pair whose two records are in the fixture
/// (each pair once, whichever side it was read from, and not if the fixture's data binds it
/// already); the others are noted.
pub(super) fn associate(order: &CreationOrder, docs: &BTreeMap<String, Json>, files: &BTreeMap<String, String>, tables: &[EntityDef], associations: &[Association], updates: &mut Updates, notes: &mut Vec<String>) {
    let mut seen: BTreeSet<(String, String, String)> = BTreeSet::new();
    let mut left_out: BTreeMap<String, usize> = BTreeMap::new();
    // The pairs the fixture's data associates already (collection binds by id), as
    // (relationship, entity1 id, entity2 id), lowercased: not associated a second time.
    let base = files.iter().filter(|(p, _)| p.starts_with("data/") && !docs.contains_key(*p)).filter_map(|(_, t)| serde_json::from_str::<Json>(t).ok());
    for doc in docs.values().cloned().chain(base) {
        let table = doc.get("table").and_then(Json::as_str).and_then(|t| tables.iter().find(|e| e.logical_name == t || e.entity_set_name == t));
        let Some(table) = table else { continue };
        for r in doc.get("records").and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_object) {
            let Some(id) = r.get(&table.primary_id).and_then(Json::as_str).map(str::to_ascii_lowercase) else { continue };
            for (nav, list) in r.iter().filter_map(|(k, v)| Some((k.strip_suffix("@odata.bind")?, v.as_array()?))) {
                let Some(rel) = table.many_to_many.iter().find(|r| r.entity1_nav == nav || r.entity2_nav == nav) else { continue };
                for other in list.iter().filter_map(Json::as_str).filter_map(bound_id) {
                    let pair = if rel.entity1 == table.logical_name { (id.clone(), other) } else { (other, id.clone()) };
                    seen.insert((rel.schema_name.clone(), pair.0, pair.1));
                }
            }
        }
    }
    for a in associations {
        let Some(rel) = a.table.many_to_many.iter().find(|r| r.entity1_nav == a.nav || r.entity2_nav == a.nav) else { continue };
        let pair = if rel.entity1 == a.table.logical_name { (a.id.clone(), a.other_id.clone()) } else { (a.other_id.clone(), a.id.clone()) };
        if !seen.insert((rel.schema_name.clone(), pair.0, pair.1)) {
            continue;
        }
        let url = format!("/{}({})", a.other.entity_set_name, a.other_id);
        let known = |t: &EntityDef, id: &str| order.contains_key(&(t.logical_name.clone(), id.to_string()));
        if !(known(a.table, &a.id) && known(a.other, &a.other_id)) {
            *left_out.entry(format!("{}.{}", a.table.logical_name, a.nav)).or_default() += 1;
        } else {
            updates.add(a.table, &a.id, format!("{}@odata.bind", a.nav), Json::Array(vec![Json::String(url)]));
        }
    }
    for (nav, n) in left_out {
        notes.push(format!("{nav}: {n} N:N association(s) left out (a record of the pair is not in the fixture)"));
    }
}

/// The id a bind URL addresses by primary key (`/teams(<guid>)`), lowercased.
fn bound_id(url: &str) -> Option<String> {
    let key = url.strip_suffix(')')?.rsplit_once('(')?.1;
    uuid::Uuid::parse_str(key).ok().map(|id| id.to_string())
}

/// Writes that need every seed record to exist first, as fixture update records
/// (`"@update"`): by entity set, then record id, the PATCH body.
#[derive(Default)]
pub(super) struct Updates(BTreeMap<String, BTreeMap<String, Map<String, Json>>>);

impl Updates {
    /// Adds `key: value` to the update of `entity`'s record `id`; collection binds gather.
    pub(super) fn add(&mut self, entity: &EntityDef, id: &str, key: String, value: Json) {
        let body = self.0.entry(entity.entity_set_name.clone()).or_default().entry(id.to_string()).or_insert_with(|| {
            let mut m = Map::new();
            m.insert(UPDATE.into(), Json::String(format!("/{}({id})", entity.entity_set_name)));
            m
        });
        match (body.get_mut(&key), value) {
            (Some(Json::Array(list)), Json::Array(more)) => list.extend(more.into_iter().filter(|v| !list.contains(v)).collect::<Vec<_>>()),
            (_, value) => {
                body.insert(key, value);
            }
        }
    }

    /// One `seed-updates-<set>.json` per table, loaded after every seed file.
    pub(super) fn write(self, docs: &mut BTreeMap<String, Json>, org: &mut Json) {
        let Some(Json::Array(data)) = org.get_mut("data") else { return };
        for (set, records) in self.0 {
            let file = format!("seed-updates-{set}.json");
            let records: Vec<Json> = records.into_values().map(Json::Object).collect();
            docs.insert(format!("data/{file}"), json!({ "table": set, "records": records }));
            data.push(Json::String(file));
        }
    }
}
