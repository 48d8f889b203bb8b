//! `GET InitializeFrom(EntityMoniker=@p1,TargetEntityName=@p2,TargetFieldType=@p3)`: the
//! body of a new record pre-filled from an existing one, which the client then POSTs.
//!
//! Dataverse copies what the relationship's attribute maps say. The emulator has no maps;
//! it infers them: the target's lookup to the source's table is bound to the source
//! record, and columns both tables have under the same name are copied (not keys, the
//! primary name, state or system columns), filtered by `TargetFieldType`.

use serde_json::{Map, Value as Json};

use super::{types, Binding, Call, Kind, Message, Param};
use crate::error::{Code, Error, Result};
use crate::metadata::AttributeType;
use crate::operation::target;
use crate::operation::Ctx;
use crate::wire::json::value_json;
use crate::wire::response::Reply;

/// `InitializeFrom(…)`
pub(super) static MESSAGE: Message = Message {
    name: "InitializeFrom",
    kind: Kind::Function,
    binding: Binding::Unbound,
    params: &[
        Param { name: "EntityMoniker", ty: "mscrm.crmbaseentity", required: true },
        Param { name: "TargetEntityName", ty: "Edm.String", required: true },
        Param { name: "TargetFieldType", ty: "mscrm.TargetFieldType", required: false },
    ],
    returns: Some("mscrm.crmbaseentity"),
    run,
};

fn run(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let metadata = &ctx.metadata;
    let url = call
        .arg("EntityMoniker")
        .and_then(|m| m.get("@odata.id"))
        .and_then(Json::as_str)
        .ok_or_else(|| Error::new(Code::BadRequest, "The EntityMoniker parameter must be an entity reference: {'@odata.id':'accounts(<id>)'}."))?;
    let locator = target::locator_from_url(metadata, url)?;
    let target_name = call.str_arg("TargetEntityName").unwrap_or_default();
    let target = metadata.entity(target_name).cloned().ok_or_else(|| {
        Error::new(Code::InvalidArgument, format!("The entity with a name = '{target_name}' with namemapping = 'Logical' was not found in the MetadataCache."))
    })?;
    let source = metadata.entity(&locator.entity).cloned().ok_or_else(|| Error::internal("source table"))?;
    let field_type = call.arg("TargetFieldType").and_then(|v| types::enum_member("mscrm.TargetFieldType", v)).unwrap_or("All");
    let state = ctx.access.read();
    let id = target::resolve(&state, &locator).ok_or_else(|| target::not_found(&locator))?;
    let record = state.get(&source.logical_name, id).cloned().ok_or_else(|| target::not_found(&locator))?;
    let link = target
        .many_to_one
        .iter()
        .find(|r| r.referenced_entity == source.logical_name && r.referencing_nav.is_some())
        .and_then(|r| r.referencing_nav.clone())
        .ok_or_else(|| {
            Error::new(
                Code::InvalidArgument,
                format!("There is no entity map between '{}' and '{}'.", source.logical_name, target.logical_name),
            )
        })?;
    let mut body = Map::new();
    body.insert("@odata.context".into(), Json::String(format!("{}$metadata#{}/$entity", ctx.root, target.entity_set_name)));
    body.insert("@odata.type".into(), Json::String(format!("#{}", target.odata_type())));
    body.insert(format!("{link}@odata.bind"), Json::String(format!("{}({})", source.entity_set_name, record.id)));
    let keys: Vec<&str> = target.keys.iter().flat_map(|k| k.attributes.iter().map(String::as_str)).collect();
    for attr in &target.attributes {
        let name = attr.logical_name.as_str();
        let skip = attr.kind.is_lookup()
            || matches!(attr.kind, AttributeType::State | AttributeType::Status | AttributeType::Uniqueidentifier | AttributeType::Virtual | AttributeType::PartyList)
            || Some(name) == target.primary_name.as_deref()
            || name == target.primary_id
            || keys.contains(&name)
            || !attr.is_odata_property();
        let wanted = match field_type {
            "ValidForCreate" => attr.valid_for_create,
            "ValidForUpdate" => attr.valid_for_update,
            _ => attr.valid_for_create || attr.valid_for_update,
        };
        if skip || !wanted {
            continue;
        }
        let Some(from) = source.attribute(name).filter(|a| a.kind == attr.kind) else { continue };
        let value = record.get(&from.logical_name);
        if !value.is_null() {
            body.insert(attr.property_name().to_string(), value_json(attr, value));
        }
    }
    Ok(Reply::json(http::StatusCode::OK, &Json::Object(body)))
}
