//! Whole-store snapshots: what org reset, named snapshots, org creation and the state file
//! are made of.
//!
//! A [`Snapshot`] is the store's [`State`] and schema at one instant. Taking one clones the
//! table maps under the read lock, but rows are `Arc<Record>`s, so the copy is one
//! reference-count bump per row, never a copy of a record: that is what makes a fresh org
//! from the default fixture cost microseconds (see the `org_create` bench). A snapshot is
//! itself immutable and shared (`Arc<State>`), so creating many orgs from one fixture, or
//! keeping an org's starting point for reset, costs nothing more.
//!
//! The JSON form ([`rows_to_json`], [`state_from_json`]) is the data half of an exported
//! snapshot file: every row with its id, row version and typed column values, and every
//! N:N pair. Values carry their type, so a row comes back exactly as it was stored
//! (system columns and row versions included) without going through the create pipeline.

use std::collections::BTreeSet;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde_json::{json, Map, Value as Json};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::{Attributes, EntityRef, Record, State, Store, Table, Value};
use crate::metadata::Metadata;

/// The store's rows and schema at one instant. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The rows, keys and associations.
    pub state: Arc<State>,
    /// The schema the rows follow.
    pub metadata: Arc<Metadata>,
}

impl Snapshot {
    /// An empty snapshot of an empty schema (a placeholder until a real one is taken).
    pub fn empty() -> Snapshot {
        Snapshot { state: Arc::default(), metadata: Arc::default() }
    }

    /// Number of rows across all tables.
    pub fn row_count(&self) -> usize {
        self.state.row_count()
    }

    /// Whether two snapshots are the very same data (not merely equal).
    pub fn same_as(&self, other: &Snapshot) -> bool {
        Arc::ptr_eq(&self.state, &other.state) && Arc::ptr_eq(&self.metadata, &other.metadata)
    }
}

impl State {
    /// Number of rows across all tables.
    pub fn row_count(&self) -> usize {
        self.tables.values().map(Table::len).sum()
    }
}

impl Store {
    /// A store starting from `snapshot` (its state is copied: rows stay shared `Arc`s).
    pub fn from_snapshot(snapshot: &Snapshot) -> Store {
        Store { state: std::sync::RwLock::new((*snapshot.state).clone()), schema: std::sync::RwLock::new(snapshot.metadata.clone()), outbox: Default::default() }
    }

    /// A store owning `snapshot`'s state: moved, not copied, when nothing else holds it.
    pub fn from_owned(snapshot: Snapshot) -> Store {
        let state = Arc::try_unwrap(snapshot.state).unwrap_or_else(|shared| (*shared).clone());
        Store { state: std::sync::RwLock::new(state), schema: std::sync::RwLock::new(snapshot.metadata), outbox: Default::default() }
    }

    /// The current rows and schema, consistent with each other.
    pub fn snapshot(&self) -> Snapshot {
        let state = self.read();
        // The schema is published while the state's write lock is held, so under the read
        // lock the two belong together.
        Snapshot { state: Arc::new(state.clone()), metadata: self.metadata() }
    }

    /// Replaces the rows and schema with `snapshot`'s, atomically for readers. The row
    /// version counter never goes back, so a row written after a restore never gets an
    /// ETag a different row state already had.
    pub fn restore(&self, snapshot: &Snapshot) {
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        let version = state.version.max(snapshot.state.version);
        *state = (*snapshot.state).clone();
        state.version = version;
        *self.schema.write().unwrap_or_else(|e| e.into_inner()) = snapshot.metadata.clone();
    }
}

/// Every row (tables and rows in a stable order), N:N pair and the row version counter.
pub fn rows_to_json(state: &State) -> Json {
    let mut tables = Map::new();
    let names: BTreeSet<&String> = state.tables.keys().collect();
    for name in names {
        let table = &state.tables[name];
        if table.is_empty() {
            continue;
        }
        let mut rows: Vec<&Arc<Record>> = table.rows().collect();
        rows.sort_by_key(|r| r.id);
        let rows: Vec<Json> = rows
            .into_iter()
            .map(|r| {
                let attributes: Map<String, Json> = r.attributes.iter().map(|(k, v)| (k.to_string(), value_to_json(v))).collect();
                json!({ "id": r.id, "version": r.version, "attributes": attributes })
            })
            .collect();
        tables.insert(name.clone(), Json::Array(rows));
    }
    // Deleted rows, for change tracking's delta links across an export or a restart.
    let mut deleted = Map::new();
    for (name, table) in state.tables.iter().filter(|(_, t)| !t.deleted.is_empty()).collect::<std::collections::BTreeMap<_, _>>() {
        deleted.insert(name.clone(), table.deleted.iter().map(|(v, id)| json!([v, id])).collect());
    }
    let mut associations = Map::new();
    let names: BTreeSet<&String> = state.associations.keys().collect();
    for name in names {
        let pairs = &state.associations[name];
        if !pairs.is_empty() {
            associations.insert(name.clone(), pairs.iter().map(|(a, b)| json!([a, b])).collect());
        }
    }
    let mut out = json!({ "rowVersion": state.version, "tables": tables, "associations": associations });
    if !deleted.is_empty() {
        out["deleted"] = Json::Object(deleted);
    }
    out
}

/// Rebuilds a state from [`rows_to_json`]'s output for `metadata`: every table of the schema
/// exists (empty unless the file has rows for it) and alternate keys are indexed again.
/// Errors name the table, row and column.
pub fn state_from_json(metadata: &Metadata, data: &Json) -> Result<State, String> {
    let mut state = State {
        tables: metadata.entities().map(|e| (e.logical_name.clone(), Table::new(&e.logical_name, e.keys.clone()))).collect(),
        ..Default::default()
    };
    state.version = data.get("rowVersion").and_then(Json::as_u64).unwrap_or(0);
    let empty = Map::new();
    let tables = data.get("tables").and_then(Json::as_object).unwrap_or(&empty);
    for (name, rows) in tables {
        let table = state.tables.get_mut(name).ok_or_else(|| format!("table '{name}': not in the schema"))?;
        let rows = rows.as_array().ok_or_else(|| format!("table '{name}': rows must be an array"))?;
        for (i, row) in rows.iter().enumerate() {
            let at = |what: &str| format!("table '{name}', row {i}: {what}");
            let id = row.get("id").and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok()).ok_or_else(|| at("'id' must be a GUID"))?;
            let version = row.get("version").and_then(Json::as_u64).ok_or_else(|| at("'version' must be a number"))?;
            let mut attributes = Attributes::new();
            for (column, v) in row.get("attributes").and_then(Json::as_object).unwrap_or(&empty) {
                let value = value_from_json(v).map_err(|e| at(&format!("column '{column}': {e}")))?;
                attributes.insert(column.clone(), value);
            }
            attributes.share(&mut table.layouts);
            let record = Record { id, version, attributes };
            if let Some(def) = table.key_conflict(&record) {
                return Err(at(&format!("alternate key {} is used by another row", def.logical_name)));
            }
            state.version = state.version.max(version);
            table.index(&record);
            table.rows.insert(id, Arc::new(record));
        }
    }
    for (name, entries) in data.get("deleted").and_then(Json::as_object).unwrap_or(&empty) {
        let table = state.tables.get_mut(name).ok_or_else(|| format!("deleted rows of table '{name}': not in the schema"))?;
        for entry in entries.as_array().into_iter().flatten() {
            let parsed = entry.as_array().and_then(|p| match p.as_slice() {
                [v, id] => Some((v.as_u64()?, id.as_str().and_then(|s| Uuid::parse_str(s).ok())?)),
                _ => None,
            });
            let (version, id) = parsed.ok_or_else(|| format!("deleted rows of table '{name}': each entry must be [row version, GUID]"))?;
            state.version = state.version.max(version);
            table.deleted.push((version, id));
        }
        table.deleted.sort_by_key(|(v, _)| *v);
    }
    for (name, pairs) in data.get("associations").and_then(Json::as_object).unwrap_or(&empty) {
        let set = state.associations.entry(name.clone()).or_default();
        for pair in pairs.as_array().into_iter().flatten() {
            let ids: Option<Vec<Uuid>> = pair.as_array().map(|p| p.iter().filter_map(|v| v.as_str().and_then(|s| Uuid::parse_str(s).ok())).collect());
            match ids.as_deref() {
                Some([a, b]) => {
                    set.insert((*a, *b));
                }
                _ => return Err(format!("association '{name}': each pair must be two GUIDs")),
            }
        }
    }
    Ok(state)
}

/// A typed value as JSON. Strings, booleans and null are themselves (the common case stays
/// readable); every other type is a one-key object naming it, so nothing is guessed back.
pub fn value_to_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::String(s) => Json::String(s.clone()),
        Value::Boolean(b) => Json::Bool(*b),
        Value::Int(i) => json!({ "Int": i }),
        Value::BigInt(i) => json!({ "BigInt": i }),
        Value::Decimal(d) => json!({ "Decimal": d.to_string() }),
        Value::Money(d) => json!({ "Money": d.to_string() }),
        Value::Double(d) => json!({ "Double": d }),
        Value::DateTime(t) => json!({ "DateTime": t.format(&Rfc3339).unwrap_or_default() }),
        Value::Date(d) => json!({ "Date": d.to_string() }),
        Value::Guid(g) => json!({ "Guid": g }),
        Value::Choice(c) => json!({ "Choice": c }),
        Value::Choices(cs) => json!({ "Choices": cs }),
        Value::Lookup(r) => json!({ "Lookup": { "table": r.logical_name, "id": r.id } }),
    }
}

/// The inverse of [`value_to_json`].
pub fn value_from_json(v: &Json) -> Result<Value, String> {
    let obj = match v {
        Json::Null => return Ok(Value::Null),
        Json::String(s) => return Ok(Value::String(s.clone())),
        Json::Bool(b) => return Ok(Value::Boolean(*b)),
        Json::Object(o) if o.len() == 1 => o,
        other => return Err(format!("{other} is not a typed value")),
    };
    let (kind, inner) = obj.iter().next().ok_or("empty value")?;
    let bad = || format!("{inner} is not a valid {kind}");
    let text = || inner.as_str().ok_or_else(bad);
    let int = || inner.as_i64().ok_or_else(bad);
    Ok(match kind.as_str() {
        "Int" => Value::Int(i32::try_from(int()?).map_err(|_| bad())?),
        "BigInt" => Value::BigInt(int()?),
        "Choice" => Value::Choice(i32::try_from(int()?).map_err(|_| bad())?),
        "Choices" => Value::Choices(
            inner.as_array().ok_or_else(bad)?.iter().map(|c| c.as_i64().and_then(|c| i32::try_from(c).ok()).ok_or_else(bad)).collect::<Result<_, _>>()?,
        ),
        "Decimal" => Value::Decimal(text()?.parse::<Decimal>().map_err(|_| bad())?),
        "Money" => Value::Money(text()?.parse::<Decimal>().map_err(|_| bad())?),
        "Double" => Value::Double(inner.as_f64().ok_or_else(bad)?),
        "DateTime" => Value::DateTime(OffsetDateTime::parse(text()?, &Rfc3339).map_err(|_| bad())?),
        "Date" => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            Value::Date(Date::parse(text()?, &format).map_err(|_| bad())?)
        }
        "Guid" => Value::Guid(Uuid::parse_str(text()?).map_err(|_| bad())?),
        "Lookup" => {
            let table = inner.get("table").and_then(Json::as_str).ok_or_else(bad)?;
            let id = inner.get("id").and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok()).ok_or_else(bad)?;
            Value::Lookup(EntityRef { logical_name: table.into(), id })
        }
        other => return Err(format!("unknown value type '{other}'")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_type_survives_json() {
        let values = [
            Value::Null,
            Value::String("a \"b\"".into()),
            Value::Boolean(true),
            Value::Int(-5),
            Value::BigInt(1 << 40),
            Value::Decimal("12.3400".parse().unwrap()),
            Value::Money("-1.50".parse().unwrap()),
            Value::Double(0.1),
            Value::DateTime(time::macros::datetime!(2026-11-23 09:30:15 UTC)),
            Value::Date(time::macros::date!(2026 - 02 - 28)),
            Value::Guid(Uuid::from_u128(7)),
            Value::Choice(100_000_001),
            Value::Choices(vec![1, 3]),
            Value::Lookup(EntityRef { logical_name: "account".into(), id: Uuid::from_u128(9) }),
        ];
        for v in values {
            let back = value_from_json(&value_to_json(&v)).unwrap();
            assert_eq!(back, v);
            if let (Value::Decimal(a) | Value::Money(a), Value::Decimal(b) | Value::Money(b)) = (&v, &back) {
                assert_eq!(a.scale(), b.scale(), "scale is kept: 12.3400 stays 12.3400");
            }
        }
        assert!(value_from_json(&json!({"Int": "x"})).is_err());
        assert!(value_from_json(&json!({"Nope": 1})).is_err());
        assert!(value_from_json(&json!(5)).is_err());
    }
}
