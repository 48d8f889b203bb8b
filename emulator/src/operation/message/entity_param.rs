//! Entity parameters as actions and functions receive them: a record named by its URL
//! (`{"@odata.id":"accounts(<id>)"}`), or by its type and primary key
//! (`{"@odata.type":"Microsoft.Dynamics.CRM.account","accountid":"<id>"}`). Principals
//! (`mscrm.principal`) may give the key as `ownerid`, the base type's key.

use std::sync::Arc;

use serde_json::Value as Json;
use uuid::Uuid;

use super::{Call, NAMESPACE};
use crate::error::{Code, Error, Result};
use crate::metadata::{EntityDef, Metadata};
use crate::operation::target::{self, Key, Locator};
use crate::store::{Record, State};

/// A record a parameter names: its table and where to find it.
pub(super) struct Named {
    /// The record's table.
    pub(super) entity: Arc<EntityDef>,
    /// Its key.
    pub(super) locator: Locator,
}

impl Named {
    /// The record, read from `state` (a transaction's view when writing).
    pub(super) fn record(&self, state: &State) -> Result<Arc<Record>> {
        target::resolve(state, &self.locator)
            .and_then(|id| state.get(&self.entity.logical_name, id).cloned())
            .ok_or_else(|| target::not_found(&self.locator))
    }
}

fn not_a_reference(param: &str) -> Error {
    Error::new(
        Code::BadRequest,
        format!("The value of the parameter '{param}' is not an entity reference: give '@odata.id', or '@odata.type' and the record's primary key."),
    )
}

/// The record the JSON value `value` of parameter `param` names.
pub(super) fn named(metadata: &Metadata, param: &str, value: &Json) -> Result<Named> {
    let map = value.as_object().ok_or_else(|| not_a_reference(param))?;
    if let Some(url) = map.get("@odata.id").and_then(Json::as_str) {
        let locator = target::locator_from_url(metadata, url)?;
        let entity = metadata.entity(&locator.entity).cloned().ok_or_else(|| not_a_reference(param))?;
        return Ok(Named { entity, locator });
    }
    let ty = map.get("@odata.type").and_then(Json::as_str).ok_or_else(|| not_a_reference(param))?;
    let name = ty.trim_start_matches('#');
    let name = name.strip_prefix(NAMESPACE).or_else(|| name.strip_prefix("mscrm.")).unwrap_or(name);
    let entity = metadata
        .entity(name)
        .cloned()
        .ok_or_else(|| Error::new(Code::BadRequest, format!("A type named '{ty}' could not be resolved by the model.")))?;
    let id = [entity.primary_id.as_str(), "ownerid"]
        .iter()
        .find_map(|k| map.get(*k).and_then(Json::as_str).and_then(|s| Uuid::parse_str(s).ok()))
        .ok_or_else(|| not_a_reference(param))?;
    let locator = Locator { entity: entity.logical_name.clone(), key: Key::Id(id) };
    Ok(Named { entity, locator })
}

/// The record parameter `param` of `call` names (the parameter is required, so present).
pub(super) fn param(metadata: &Metadata, call: &Call, param: &str) -> Result<Named> {
    named(metadata, param, call.arg(param).ok_or_else(|| not_a_reference(param))?)
}

/// An entity reference as responses write it: `{"@odata.type":"#…account","accountid":"…"}`.
pub(super) fn reference_json(entity: &EntityDef, id: Uuid) -> Json {
    let mut map = serde_json::Map::new();
    map.insert("@odata.type".into(), Json::String(format!("#{}", entity.odata_type())));
    map.insert(entity.primary_id.clone(), Json::String(id.to_string()));
    Json::Object(map)
}
