//! RetrieveAllEntities and RetrieveEntity: `GET EntityDefinitions` (with `$select`,
//! `$filter` and `$expand` of columns, keys and relationships) and
//! `GET EntityDefinitions(…)`; and the table's alternate keys, `GET EntityDefinitions(…)/Keys`.
//!
//! A filter that matches nothing is an empty `value`, never a 404: clients (the Python SDK's
//! table lookup) rely on that to tell "no such table" from an error.

use http::StatusCode;
use serde_json::{Map, Value as Json};

use super::query::{context, MetaType, Shape};
use crate::error::{Error, Result};
use crate::metadata::definitions::{self as defs, attribute};
use crate::metadata::EntityDef;
use crate::operation::Ctx;
use crate::wire::response::Reply;

/// The items of an `EntityMetadata` navigation property, unfiltered.
fn navigation(e: &EntityDef, nav: &str) -> Result<Vec<Map<String, Json>>> {
    Ok(match nav {
        "Attributes" => e.attributes.iter().map(|a| attribute::attribute(e, a)).collect(),
        "Keys" => e.keys.iter().map(|k| defs::key(e, k)).collect(),
        "OneToManyRelationships" => e.one_to_many.iter().map(defs::one_to_many).collect(),
        "ManyToOneRelationships" => e.many_to_one.iter().map(defs::one_to_many).collect(),
        "ManyToManyRelationships" => e.many_to_many.iter().map(defs::many_to_many).collect(),
        other => return Err(Error::internal(format!("unchecked EntityMetadata navigation '{other}'"))),
    })
}

/// The projected definition of `e` with its expansions.
fn render(shape: &Shape, e: &EntityDef, def: Map<String, Json>) -> Result<Map<String, Json>> {
    let mut out = shape.project(def);
    for (nav, inner) in &shape.expand {
        out.insert(nav.clone(), Json::Array(inner.collection(navigation(e, nav)?)?));
    }
    Ok(out)
}

/// `GET EntityDefinitions`
pub(super) fn list(ctx: &Ctx<'_, '_>) -> Result<Reply> {
    let shape = Shape::from_request(ctx, &MetaType::ENTITY)?;
    let mut value = Vec::new();
    for e in ctx.metadata.entities_sorted() {
        let def = defs::entity(e);
        if shape.matches(&def)? {
            value.push(Json::Object(render(&shape, e, def)?));
        }
    }
    let body = serde_json::json!({ "@odata.context": context(ctx, "EntityDefinitions", &shape, false), "value": value });
    Ok(Reply::json(StatusCode::OK, &body))
}

/// `GET EntityDefinitions(LogicalName='account')` or `(<MetadataId>)`.
pub(super) fn one(ctx: &Ctx<'_, '_>, e: &EntityDef) -> Result<Reply> {
    let shape = Shape::from_request(ctx, &MetaType::ENTITY)?;
    let mut body = Map::new();
    body.insert("@odata.context".into(), Json::String(context(ctx, "EntityDefinitions", &shape, true)));
    body.append(&mut render(&shape, e, defs::entity(e))?);
    Ok(Reply::json(StatusCode::OK, &Json::Object(body)))
}

/// `GET EntityDefinitions(…)/Keys` and `…/Keys(…)`.
pub(super) fn keys(ctx: &Ctx<'_, '_>, e: &EntityDef, key: Option<&str>) -> Result<Reply> {
    let shape = Shape::from_request(ctx, &MetaType::KEY)?;
    let path = format!("EntityDefinitions({})/Keys", defs::entity_id(e));
    let body = match key.and_then(|name| e.keys.iter().find(|k| k.logical_name == name)) {
        Some(k) => {
            let mut body = Map::new();
            body.insert("@odata.context".into(), Json::String(context(ctx, &path, &shape, true)));
            body.append(&mut shape.project(defs::key(e, k)));
            Json::Object(body)
        }
        None => {
            let value = shape.collection(e.keys.iter().map(|k| defs::key(e, k)))?;
            serde_json::json!({ "@odata.context": context(ctx, &path, &shape, false), "value": value })
        }
    };
    Ok(Reply::json(StatusCode::OK, &body))
}
