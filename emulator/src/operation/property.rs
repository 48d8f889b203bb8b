//! Single properties: `GET /accounts(id)/name`, `GET …/name/$value`,
//! `PUT …/name` with `{"value":…}`, and `DELETE …/description`.

use http::StatusCode;
use serde_json::Value as Json;

use crate::error::{Code, Error, Result};
use crate::route::RecordPath;
use crate::store::Value;
use crate::wire::input::{self, EntityInput, Field};
use crate::wire::json::value_json;
use crate::wire::response::Reply;

use super::{existing, write, Ctx};

pub(super) fn get(ctx: &Ctx<'_, '_>, record: &RecordPath, attribute: &str, raw: bool) -> Result<Reply> {
    let entity = &record.entity;
    let attr = entity.attribute(attribute).ok_or_else(|| Error::property_not_found(&entity.logical_name, attribute))?;
    let row = existing(&ctx.access.read(), record)?;
    let value = row.get(attribute);
    if value.is_null() {
        return Ok(Reply::empty(StatusCode::NO_CONTENT));
    }
    let json = value_json(attr, value);
    if raw {
        let text = match json {
            Json::String(s) => s,
            other => other.to_string(),
        };
        return Ok(Reply::text(StatusCode::OK, text));
    }
    let context = format!("{}$metadata#{}({})/{}", ctx.root, entity.entity_set_name, row.id, attr.property_name());
    Ok(Reply::json(StatusCode::OK, &serde_json::json!({ "@odata.context": context, "value": json })))
}

fn set(ctx: &Ctx<'_, '_>, record: &RecordPath, attribute: &str, value: Value) -> Result<Reply> {
    let entity = &record.entity;
    let w = ctx.writer();
    ctx.access.write(|tx| {
        let current = existing(tx.state(), record)?;
        let input = EntityInput { fields: vec![Field::Value { attribute: attribute.to_string(), value }] };
        write::update(tx, &w, entity, &current, input)
    })?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

pub(super) fn put(ctx: &Ctx<'_, '_>, record: &RecordPath, attribute: &str) -> Result<Reply> {
    let entity = &record.entity;
    let set_name = &entity.entity_set_name;
    let attr = entity.attribute(attribute).ok_or_else(|| Error::property_not_found(&entity.logical_name, attribute))?;
    if attr.kind.is_lookup() {
        return Err(Error::new(Code::BadRequest, "CRM do not support direct update of Entity Reference properties, Use Navigation properties instead."));
    }
    let body: Json = serde_json::from_slice(ctx.body)
        .map_err(|_| Error::payload(set_name, "Microsoft.OData.ODataException: Invalid JSON. A token was not recognized in the JSON content."))?;
    let Some(json) = body.get("value") else {
        return Err(Error::payload(set_name, "Microsoft.OData.ODataException: The property 'value' was expected in the payload."));
    };
    let value = input::decode_value(attr, json).map_err(|inner| Error::payload(set_name, inner))?;
    set(ctx, record, attribute, value)
}

pub(super) fn delete(ctx: &Ctx<'_, '_>, record: &RecordPath, attribute: &str) -> Result<Reply> {
    let entity = &record.entity;
    let attr = entity.attribute(attribute).ok_or_else(|| Error::property_not_found(&entity.logical_name, attribute))?;
    if attr.kind.is_lookup() {
        return Err(Error::new(Code::BadRequest, "Use the $ref of the navigation property to clear a lookup."));
    }
    set(ctx, record, attribute, Value::Null)
}
