//! Alternate keys: `POST EntityDefinitions(…)/Keys` and `DELETE …/Keys(…)`. Once created, a
//! key is enforced by the store's key index like a fixture key (duplicates get 412); rows
//! that already break it make the create fail with nothing changed.

use serde_json::{Map, Value as Json};

use super::body::{self, label};
use super::{commit, entity_mut, missing_table, names};
use crate::error::{Code, Error, Result};
use crate::metadata::definitions::key_id;
use crate::metadata::{AttributeType, EntityDef, KeyDef, Metadata};
use crate::operation::Ctx;

/// Column types a key may use, as in Dataverse.
fn keyable(kind: AttributeType) -> bool {
    use AttributeType as T;
    matches!(kind, T::String | T::Integer | T::Decimal | T::DateTime | T::Lookup | T::Picklist | T::Uniqueidentifier)
}

/// `POST …/Keys`; returns the new key's URL.
pub(super) fn create(ctx: &Ctx<'_, '_>, e: &EntityDef) -> Result<String> {
    let map = body::object(ctx.body, "EntityKeyMetadata")?;
    let id = commit(ctx, |m| add(m, &e.logical_name, &map))?;
    Ok(format!("{}{}({id})", ctx.root, ctx.raw_path.trim_end_matches('/')))
}

/// Adds the key an `EntityKeyMetadata` body describes to the table `table`; returns its id.
pub(super) fn add(m: &mut Metadata, table: &str, map: &Map<String, Json>) -> Result<uuid::Uuid> {
    let e = m.entity(table).cloned().ok_or_else(|| missing_table(table))?;
    let schema = body::required(map, "SchemaName", "key")?.to_string();
    names::check_schema_name(&schema, "EntityKey")?;
    let columns: Vec<String> = map
        .get("KeyAttributes")
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(Json::as_str).map(str::to_lowercase).collect())
        .unwrap_or_default();
    if columns.is_empty() {
        return Err(Error::new(Code::InvalidArgument, "The KeyAttributes of the key are required."));
    }
    for c in &columns {
        let a = e.attribute(c).ok_or_else(|| Error::new(Code::InvalidArgument, format!("The attribute {c} of the key doesn't exist on {}.", e.logical_name)))?;
        if !keyable(a.kind) {
            return Err(Error::new(Code::InvalidArgument, format!("The attribute {c} can't be part of a key: {:?} columns can't.", a.kind)));
        }
    }
    let key = KeyDef { logical_name: schema.to_lowercase(), schema_name: schema.clone(), display_name: label(map, "DisplayName").flatten(), attributes: columns, is_custom: true };
    let id = key_id(&e, &key);
    let table = entity_mut(m, &e.logical_name)?;
    if table.keys.iter().any(|k| k.logical_name == key.logical_name) {
        return Err(Error::new(Code::DuplicateName, format!("An object with the specified name already exists: key '{schema}'.")));
    }
    table.keys.push(key);
    Ok(id)
}

/// `DELETE …/Keys(…)`: custom keys only.
pub(super) fn delete(ctx: &Ctx<'_, '_>, e: &EntityDef, key: &str) -> Result<()> {
    if e.keys.iter().any(|k| k.logical_name == key && !k.is_custom) {
        return Err(Error::new(Code::InvalidArgument, format!("The key {key} is a system key and can't be deleted.")));
    }
    commit(ctx, |m| {
        let table = entity_mut(m, &e.logical_name)?;
        table.keys.retain(|k| k.logical_name != key);
        Ok(())
    })
}
