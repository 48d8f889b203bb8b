//! The bulk messages, bound to an entity set: `POST /accounts/Microsoft.Dynamics.CRM.CreateMultiple`
//! (and UpdateMultiple, UpsertMultiple, DeleteMultiple) with `{"Targets":[…]}` (wire
//! reference §7.5).
//!
//! On standard tables a bulk call is all-or-nothing: every item goes through the one write
//! pipeline inside one transaction, and the first failing item rolls back the whole call;
//! its error keeps its code and message and says which item of `Targets` failed. Each item
//! must carry `@odata.type` naming the bound table, with or without a leading `#`.

use std::collections::HashSet;

use http::StatusCode;
use serde_json::{json, Map, Value as Json};
use uuid::Uuid;

use super::{response, Binding, Call, Kind, Message, Param};
use crate::error::{Code, Error, Result};
use crate::metadata::EntityDef;
use crate::operation::target::{self, Key, Locator};
use crate::operation::{write, Ctx};
use crate::wire::input::{self, EntityInput};
use crate::wire::response::Reply;

const TARGETS: &[Param] = &[Param { name: "Targets", ty: "Collection(mscrm.crmbaseentity)", required: true }];

/// `CreateMultiple`: creates every target; answers the new ids in target order.
pub(super) static CREATE_MULTIPLE: Message = Message {
    name: "CreateMultiple",
    kind: Kind::Action,
    binding: Binding::Collection,
    params: TARGETS,
    returns: Some("mscrm.CreateMultipleResponse"),
    run: create_multiple,
};

/// `UpdateMultiple`: updates every target (each names its record); 204.
pub(super) static UPDATE_MULTIPLE: Message = Message {
    name: "UpdateMultiple",
    kind: Kind::Action,
    binding: Binding::Collection,
    params: TARGETS,
    returns: None,
    run: update_multiple,
};

/// `UpsertMultiple`: updates the targets that exist, creates the others; 204.
pub(super) static UPSERT_MULTIPLE: Message = Message {
    name: "UpsertMultiple",
    kind: Kind::Action,
    binding: Binding::Collection,
    params: TARGETS,
    returns: None,
    run: upsert_multiple,
};

/// `DeleteMultiple`: elastic tables only, so every table of the emulator refuses it.
pub(super) static DELETE_MULTIPLE: Message = Message {
    name: "DeleteMultiple",
    kind: Kind::Action,
    binding: Binding::Collection,
    params: TARGETS,
    returns: None,
    run: delete_multiple,
};

/// One target, decoded: where it points (if it says) and its column values.
struct Item {
    locator: Option<Locator>,
    input: EntityInput,
}

/// The error of item `index`, naming it.
fn at(index: usize, e: Error) -> Error {
    let message = format!("{} (Targets[{index}])", e.message());
    Error::new(e.code(), message)
}

/// Checks each target's `@odata.type` and decodes it against the bound table.
fn items(ctx: &Ctx<'_, '_>, entity: &EntityDef, call: &Call) -> Result<Vec<Item>> {
    let targets = call.arg("Targets").and_then(Json::as_array).cloned().unwrap_or_default();
    let want = entity.odata_type();
    let mut out = Vec::with_capacity(targets.len());
    for (i, target) in targets.into_iter().enumerate() {
        let Json::Object(map) = target else {
            return Err(at(i, Error::payload(&entity.entity_set_name, "Microsoft.OData.ODataException: A resource was expected in the resource set.")));
        };
        let ty = map.get("@odata.type").and_then(Json::as_str).map(|t| t.trim_start_matches('#'));
        match ty {
            Some(t) if t == want.trim_start_matches('#') => {}
            Some(t) => {
                return Err(at(
                    i,
                    Error::payload(
                        &entity.entity_set_name,
                        format!("Microsoft.OData.ODataException: The entity type '{t}' of an item in 'Targets' is not the type '{}' the action is bound to.", want.trim_start_matches('#')),
                    ),
                ))
            }
            None => {
                return Err(at(
                    i,
                    Error::payload(
                        &entity.entity_set_name,
                        "Microsoft.OData.ODataException: An item in 'Targets' has no '@odata.type' annotation; the type of an entity in a collection of the abstract type 'Microsoft.Dynamics.CRM.crmbaseentity' must be given.",
                    ),
                ))
            }
        }
        let locator = match map.get("@odata.id").and_then(Json::as_str) {
            Some(url) => Some(target::locator_from_url(&ctx.metadata, url).map_err(|e| at(i, e))?),
            None => None,
        };
        let input = input::decode_object(&ctx.metadata, entity, map).map_err(|e| at(i, e))?;
        let locator = locator.filter(|l| l.entity == entity.logical_name).or_else(|| {
            input.primary_id(entity).map(|id| Locator { entity: entity.logical_name.clone(), key: Key::Id(id) })
        });
        out.push(Item { locator, input });
    }
    Ok(out)
}

fn create_multiple(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let entity = call.set()?.clone();
    let items = items(ctx, &entity, call)?;
    let w = ctx.writer();
    let ids: Vec<Uuid> = ctx.access.write(|tx| {
        let mut ids = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            ids.push(write::create(tx, &w, &entity, None, item.input).map_err(|e| at(i, e))?.id);
        }
        Ok(ids)
    })?;
    let mut fields = Map::new();
    fields.insert("Ids".into(), json!(ids));
    Ok(response(ctx, call.message, fields))
}

fn update_multiple(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let entity = call.set()?.clone();
    let items = items(ctx, &entity, call)?;
    let w = ctx.writer();
    ctx.access.write(|tx| {
        let mut seen = HashSet::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            let locator = item.locator.ok_or_else(|| at(i, Error::new(Code::InvalidArgument, "Entity Id must be specified for Update")))?;
            let id = target::resolve(tx.state(), &locator).ok_or_else(|| at(i, target::not_found(&locator)))?;
            // A record named twice is updated once, by its first target (documented).
            if !seen.insert(id) {
                continue;
            }
            let current = tx.state().get(&entity.logical_name, id).cloned().ok_or_else(|| at(i, Error::not_found(&entity.logical_name, id)))?;
            write::update(tx, &w, &entity, &current, item.input).map_err(|e| at(i, e))?;
        }
        Ok(())
    })?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

fn upsert_multiple(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let entity = call.set()?.clone();
    let items = items(ctx, &entity, call)?;
    let w = ctx.writer();
    ctx.access.write(|tx| {
        for (i, item) in items.into_iter().enumerate() {
            let existing = item.locator.as_ref().and_then(|l| target::resolve(tx.state(), l)).and_then(|id| tx.state().get(&entity.logical_name, id).cloned());
            let result = match (existing, item.locator) {
                (Some(current), _) => write::update(tx, &w, &entity, &current, item.input),
                (None, Some(Locator { key: Key::Id(id), .. })) => write::create(tx, &w, &entity, Some(id), item.input),
                (None, Some(Locator { key: Key::Alternate { columns, .. }, .. })) => write::create_with(tx, &w, &entity, None, item.input, columns),
                (None, None) => write::create(tx, &w, &entity, None, item.input),
            };
            result.map_err(|e| at(i, e))?;
        }
        Ok(())
    })?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

fn delete_multiple(_ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let entity = call.set()?;
    Err(Error::new(
        Code::SdkEntityDoesNotSupportMessage,
        format!("The 'DeleteMultiple' method does not support entities of type '{}'. MessageProcessorCache returned MessageProcessor.Empty.", entity.logical_name),
    ))
}
