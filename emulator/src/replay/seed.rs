//! Seed state from a recording: the records an org returned, and the fixture they make.
//!
//! While recording, every read (GET) response body that holds records (a collection or a single
//! record, told apart by `@odata.context`) adds them to the seed, keyed by entity set.
//! Before replay, [`build_fixture`] lays them over a base fixture: a seed record replaces
//! the base record with the same id, the others are added. Only columns the table accepts
//! on create are kept. A lookup (`_x_value`, with its `lookuplogicalname` annotation when
//! the client asked for annotations) becomes `x…@odata.bind` through the relationship's
//! navigation property, when the record it points at is in the fixture: on create when that
//! record is created first (data files are created in order), else (records that point at
//! each other) in an `"@update"` record of a `seed-updates-<set>.json` file loaded after every
//! seed file; lookups to records outside the fixture are left out with a note. Records nested in `$expand`ed navigation properties are seeded too, in
//! their own table (found through the navigation property at build time); a record from a
//! one-to-many expansion is linked to the record it was expanded from. N:N pairs, read
//! by `$expand` or through one record's navigation property
//! (`systemusers(<id>)/teammembership_association`), become collection binds in
//! `"@update"` records, each pair once, when both records are in the fixture (else noted);
//! children read through a one-to-many navigation property get the lookup to the parent.
//! Other annotations are left out.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value as Json};

use crate::metadata::{load_tables, AttributeType, EntityDef};

mod links;

use links::{associate, Association, Updates};

/// The annotation naming the table a `_x_value` points at.
const LOOKUP_TABLE: &str = "@Microsoft.Dynamics.CRM.lookuplogicalname";

/// Records seen in responses, by entity set, in the order first seen, and the records
/// nested in them by `$expand`.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Seed {
    pub sets: BTreeMap<String, Vec<Map<String, Json>>>,
    /// Expanded records, each after the record it was expanded from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expanded: Vec<Expanded>,
    /// Reads through a collection navigation property of one record.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub navigated: Vec<Navigated>,
}

/// Records read through a navigation property of one record
/// (`GET systemusers(<id>)/teammembership_association`): the records are in `sets`, this
/// keeps the link the URL states, which their columns may not (an N:N pair never does).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Navigated {
    /// The entity set and id of the record the URL starts from.
    pub set: String,
    pub id: String,
    /// The navigation property read.
    pub nav: String,
    /// Where the records read are: their entity set and indexes in `sets`.
    pub related_set: String,
    pub related: Vec<usize>,
}

/// A record found in an expanded navigation property.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Expanded {
    /// The record it was expanded from.
    pub parent: ParentRef,
    /// The navigation property it came through.
    pub nav: String,
    pub record: Map<String, Json>,
}

/// Where the record an expansion came from is in the seed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParentRef {
    /// `sets[set][index]`.
    Set { set: String, index: usize },
    /// `expanded[index]`.
    Expanded { index: usize },
}

/// A record's columns and lookup annotations, without other annotations or expansions.
fn kept(r: &Map<String, Json>) -> Map<String, Json> {
    r.iter().filter(|(k, v)| (!k.contains('@') || k.ends_with(LOOKUP_TABLE)) && !is_expansion(v)).map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// A nested record, or a non-empty list of them.
fn is_expansion(v: &Json) -> bool {
    match v {
        Json::Object(_) => true,
        Json::Array(items) => !items.is_empty() && items.iter().all(Json::is_object),
        _ => false,
    }
}

impl Seed {
    /// Adds the records in a response body, if it holds any, except those the recorded
    /// integration created itself (`created` holds their ids): replay creates them again.
    /// [`Seed::observe`], and for a read through one record's navigation property
    /// (`path` is the request's, `systemusers(<id>)/teammembership_association?…`), the link.
    pub fn observe_read(&mut self, path: &str, body: &Json, created: &BTreeSet<String>) {
        let Some((related_set, related)) = self.observe(body, created) else { return };
        if let Some((set, id, nav)) = navigation_read(path) {
            if !related.is_empty() && !created.contains(&id) {
                self.navigated.push(Navigated { set, id, nav, related_set, related });
            }
        }
    }

    /// Returns the entity set and the indexes in it of the records added.
    pub fn observe(&mut self, body: &Json, created: &BTreeSet<String>) -> Option<(String, Vec<usize>)> {
        let set = body.get("@odata.context").and_then(Json::as_str).and_then(entity_set)?;
        let mut added = Vec::new();
        let records: Vec<&Map<String, Json>> = match body.get("value") {
            Some(Json::Array(items)) => items.iter().filter_map(Json::as_object).collect(),
            Some(_) => Vec::new(),
            None => body.as_object().into_iter().collect(),
        };
        for r in records.into_iter().filter(|r| !was_created(r, created)) {
            let list = self.sets.entry(set.clone()).or_default();
            list.push(kept(r));
            added.push(list.len() - 1);
            let parent = ParentRef::Set { set: set.clone(), index: list.len() - 1 };
            self.observe_expanded(parent, r, created);
        }
        Some((set, added))
    }

    fn observe_expanded(&mut self, parent: ParentRef, record: &Map<String, Json>, created: &BTreeSet<String>) {
        for (nav, value) in record.iter().filter(|(k, v)| !k.contains('@') && is_expansion(v)) {
            let items: Vec<&Map<String, Json>> = match value {
                Json::Object(m) => vec![m],
                Json::Array(items) => items.iter().filter_map(Json::as_object).collect(),
                _ => Vec::new(),
            };
            for item in items.into_iter().filter(|r| !was_created(r, created)) {
                self.expanded.push(Expanded { parent: parent.clone(), nav: nav.clone(), record: kept(item) });
                let index = self.expanded.len() - 1;
                self.observe_expanded(ParentRef::Expanded { index }, item, created);
            }
        }
    }
}

/// `(entity set, id, navigation property)` of a request path `set(<guid>)/nav[?…]`.
fn navigation_read(path: &str) -> Option<(String, String, String)> {
    let path = crate::operation::target::relative_path(path);
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    let (head, nav) = path.split_once('/')?;
    let (set, key) = head.strip_suffix(')')?.split_once('(')?;
    let id = uuid::Uuid::parse_str(key.trim_matches('\'')).ok()?;
    let plain = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    (plain(set) && plain(nav)).then(|| (set.to_string(), id.to_string(), nav.to_string()))
}

fn was_created(r: &Map<String, Json>, created: &BTreeSet<String>) -> bool {
    r.values().filter_map(Json::as_str).any(|v| created.contains(&v.to_ascii_lowercase()))
}

/// An expanded record as placed: its table, the record, and `(entity set, index)` in the sets.
type Placed<'a> = (&'a EntityDef, Map<String, Json>, (String, usize));

/// The expanded records placed in their tables' sets: each navigation property is
/// resolved on the table of the record it was expanded from; a one-to-many child gets
/// the lookup to its parent. Expansions that cannot be placed are noted.
fn with_expanded<'a>(seed: &Seed, tables: &'a [EntityDef], associations: &mut Vec<Association<'a>>, notes: &mut Vec<String>) -> BTreeMap<String, Vec<Map<String, Json>>> {
    let mut sets = seed.sets.clone();
    let id_of = |t: &EntityDef, r: &Map<String, Json>| r.get(&t.primary_id).and_then(Json::as_str).map(str::to_ascii_lowercase);
    // For each expanded record: its table, its record as placed, and where it was placed.
    let mut resolved: Vec<Option<Placed>> = Vec::new();
    let mut unplaced: BTreeMap<String, usize> = BTreeMap::new();
    for e in &seed.expanded {
        let parent = match &e.parent {
            ParentRef::Set { set, index } => {
                let table = tables.iter().find(|t| &t.entity_set_name == set);
                table.zip(seed.sets.get(set).and_then(|l| l.get(*index)).cloned()).map(|(t, r)| (t, r, (set.clone(), *index)))
            }
            ParentRef::Expanded { index } => resolved.get(*index).cloned().flatten(),
        };
        let Some((parent_table, parent_record, (parent_set, parent_index))) = parent else {
            resolved.push(None);
            continue;
        };
        let mut record = e.record.clone();
        let find = |name: &str| tables.iter().find(|t| t.logical_name == name);
        let target = if let Some(r) = parent_table.many_to_one.iter().find(|r| r.referencing_nav.as_deref() == Some(e.nav.as_str())) {
            // The parent points at this record: give the parent the lookup it implies.
            let target = find(&r.referenced_entity);
            let key = format!("_{}_value", r.referencing_attribute);
            let id = target.and_then(|t| record.get(&t.primary_id)).cloned();
            if let (Some(id), Some(t), Some(slot)) = (id, target, sets.get_mut(&parent_set).and_then(|l| l.get_mut(parent_index))) {
                if !slot.contains_key(&key) {
                    slot.insert(format!("{key}{LOOKUP_TABLE}"), Json::String(t.logical_name.clone()));
                    slot.insert(key, id);
                }
            }
            target
        } else if let Some(r) = parent_table.one_to_many.iter().find(|r| r.referenced_nav.as_deref() == Some(e.nav.as_str())) {
            let key = format!("_{}_value", r.referencing_attribute);
            if let (false, Some(id)) = (record.contains_key(&key), parent_record.get(&parent_table.primary_id).cloned()) {
                record.insert(format!("{key}{LOOKUP_TABLE}"), Json::String(parent_table.logical_name.clone()));
                record.insert(key, id);
            }
            find(&r.referencing_entity)
        } else {
            let m2m = parent_table.many_to_many.iter().find(|r| r.entity1_nav == e.nav || r.entity2_nav == e.nav);
            let other = m2m.and_then(|r| find(if r.entity1 == parent_table.logical_name { &r.entity2 } else { &r.entity1 }));
            if let (Some(other), Some(id), Some(other_id)) = (other, id_of(parent_table, &parent_record), other.and_then(|o| id_of(o, &record))) {
                associations.push(Association { table: parent_table, id, nav: e.nav.clone(), other, other_id });
            }
            other
        };
        match target {
            Some(t) => {
                let list = sets.entry(t.entity_set_name.clone()).or_default();
                list.push(record.clone());
                resolved.push(Some((t, record, (t.entity_set_name.clone(), list.len() - 1))));
            }
            None => {
                *unplaced.entry(format!("{}.{}", parent_table.logical_name, e.nav)).or_default() += 1;
                resolved.push(None);
            }
        }
    }
    for (nav, n) in unplaced {
        notes.push(format!("{nav}: {n} expanded record(s) left out (no such navigation property in the fixture's schema)"));
    }
    for n in &seed.navigated {
        let table = tables.iter().find(|t| t.entity_set_name == n.set);
        let m2m = table.and_then(|t| t.many_to_many.iter().find(|r| r.entity1_nav == n.nav || r.entity2_nav == n.nav).map(|r| (t, r)));
        let one_to_many = table.and_then(|t| t.one_to_many.iter().find(|r| r.referenced_nav.as_deref() == Some(n.nav.as_str())).map(|r| (t, r)));
        let Some(list) = sets.get_mut(&n.related_set) else { continue };
        let related = list.iter_mut().enumerate().filter(|(i, _)| n.related.contains(i)).map(|(_, r)| r);
        if let Some((t, r)) = m2m {
            let Some(other) = tables.iter().find(|o| &o.logical_name == if r.entity1 == t.logical_name { &r.entity2 } else { &r.entity1 }) else { continue };
            for record in related {
                if let Some(other_id) = id_of(other, record) {
                    associations.push(Association { table: t, id: n.id.to_ascii_lowercase(), nav: n.nav.clone(), other, other_id });
                }
            }
        } else if let Some((t, r)) = one_to_many {
            // The children read through the parent point at it, even if the read left the lookup out.
            let key = format!("_{}_value", r.referencing_attribute);
            for record in related.filter(|c| !c.contains_key(&key)) {
                record.insert(format!("{key}{LOOKUP_TABLE}"), Json::String(t.logical_name.clone()));
                record.insert(key.clone(), Json::String(n.id.clone()));
            }
        }
    }
    sets
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
    let mut associations = Vec::new();
    let sets = with_expanded(seed, &tables, &mut associations, &mut notes);
    for (set, records) in &sets {
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
    // Seed files in lookup order: a table's file after the files of the tables its seed
    // records point at (cycles are broken in name order; their lookups become updates).
    let points_at = |e: &EntityDef, other: &EntityDef| -> bool {
        sets.get(&e.entity_set_name).into_iter().flatten().any(|r| {
            r.iter().any(|(k, v)| {
                let Some(column) = k.strip_prefix('_').and_then(|k| k.strip_suffix("_value")).filter(|_| !v.is_null()) else { return false };
                match r.get(&format!("{k}{LOOKUP_TABLE}")).and_then(Json::as_str) {
                    Some(t) => t == other.logical_name,
                    None => e.attribute(column).is_some_and(|a| a.targets.contains(&other.logical_name)),
                }
            })
        })
    };
    let mut ordered: Vec<String> = Vec::new();
    while !seed_files.is_empty() {
        let ready = seed_files.iter().position(|(_, e)| !seed_files.iter().any(|(_, other)| other.logical_name != e.logical_name && points_at(e, other))).unwrap_or(0);
        ordered.push(seed_files.remove(ready).0);
    }
    if let Some(Json::Array(data)) = org.get_mut("data") {
        data.extend(ordered.into_iter().map(Json::String));
    }
    let mut updates = Updates::default();
    let order = creation_order(&files, &org, &tables, &docs);
    bind_lookups(&org, &order, &mut docs, &placed, &tables, &mut updates, &mut notes);
    associate(&order, &docs, &files, &tables, &associations, &mut updates, &mut notes);
    updates.write(&mut docs, &mut org);
    for (path, doc) in docs {
        files.insert(path, serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?);
    }
    files.insert("org.json".into(), serde_json::to_string_pretty(&org).map_err(|e| e.to_string())?);
    Ok((files.into_iter().collect(), notes))
}

/// Creation order of every record with an id: (table, id) → (data file's place, index).
type CreationOrder = BTreeMap<(String, String), (usize, usize)>;

/// Where each record with an id is created: the base fixture's files, or the seed's `docs`.
fn creation_order(files: &BTreeMap<String, String>, org: &Json, tables: &[EntityDef], docs: &BTreeMap<String, Json>) -> CreationOrder {
    let listed = data_files(org);
    let mut order = CreationOrder::new();
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
    order
}

/// The org's data files, as paths in the fixture, in load order.
fn data_files(org: &Json) -> Vec<String> {
    org.get("data").and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str).map(|f| format!("data/{f}")).collect()
}

/// Adds `nav@odata.bind` for each seed record's lookups whose target is created before it,
/// and an update binding it afterwards for each whose target is created later (records that
/// point at each other: an account's primary contact whose company is that account).
fn bind_lookups(org: &Json, order: &CreationOrder, docs: &mut BTreeMap<String, Json>, placed: &[(String, usize, &EntityDef, &Map<String, Json>)], tables: &[EntityDef], updates: &mut Updates, notes: &mut Vec<String>) {
    let listed = data_files(org);
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
            // The target the id is known in: created before this record (bound on create),
            // else created later in the fixture (a cycle: bound by an update once both exist).
            let known = |t: &&String| order.get(&((*t).clone(), id.clone())).copied();
            let before = candidates.iter().find(|t| known(t).is_some_and(|there| there < here));
            let target = before.or_else(|| candidates.iter().find(|t| known(t).is_some()));
            let nav = target.and_then(|t| entity.many_to_one.iter().find(|r| r.referencing_attribute == column && &r.referenced_entity == t).and_then(|r| r.referencing_nav.clone()).or_else(|| (column == "ownerid").then(|| column.to_string())));
            let set = target.and_then(|t| tables.iter().find(|e| &e.logical_name == t)).map(|e| e.entity_set_name.clone());
            let slot = docs.get_mut(path).and_then(|d| d.get_mut("records")).and_then(|r| r.get_mut(*index)).and_then(Json::as_object_mut);
            match (nav, set, slot) {
                (Some(nav), Some(set), Some(slot)) if before.is_some() => {
                    slot.insert(format!("{nav}@odata.bind"), Json::String(format!("/{set}({id})")));
                }
                (Some(nav), Some(set), Some(slot)) if slot.get(&entity.primary_id).and_then(Json::as_str).is_some() => {
                    let own = slot[&entity.primary_id].as_str().unwrap_or_default().to_ascii_lowercase();
                    updates.add(entity, &own, format!("{nav}@odata.bind"), Json::String(format!("/{set}({id})")));
                }
                _ => *left_out.entry(format!("{}.{column}", entity.logical_name)).or_default() += 1,
            }
        }
    }
    for (column, n) in left_out {
        notes.push(format!("{column}: {n} lookup value(s) left out (the record they point at is not in the fixture)"));
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

#[cfg(test)]
mod tests {
    use super::navigation_read;

    #[test]
    fn a_navigation_read_is_one_keyed_record_and_one_property() {
        let id = "5b3d8c1e-2f4a-4e6b-9c7d-000000000018";
        let expected = Some(("systemusers".to_string(), id.to_string(), "teammembership_association".to_string()));
        assert_eq!(navigation_read(&format!("systemusers({id})/teammembership_association?$select=name")), expected);
        assert_eq!(navigation_read(&format!("/api/data/v9.2/systemusers({id})/teammembership_association")), expected);
        assert_eq!(navigation_read(&format!("systemusers({id})?$select=fullname")), None);
        assert_eq!(navigation_read(&format!("systemusers({id})/teammembership_association/$ref")), None);
        assert_eq!(navigation_read("accounts(accountnumber='A-1')/contact_customer_accounts"), None);
        assert_eq!(navigation_read("systemusers"), None);
    }
}
