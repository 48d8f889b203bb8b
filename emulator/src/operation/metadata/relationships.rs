//! RetrieveRelationship and the relationship lists: `GET RelationshipDefinitions[/cast]`,
//! `GET RelationshipDefinitions(SchemaName='x')[/cast]` or `(<MetadataId>)`, and a table's
//! own `OneToManyRelationships`, `ManyToOneRelationships` and `ManyToManyRelationships`.
//!
//! `RelationshipDefinitions` is declared as the base type, so its items carry `@odata.type`
//! (the Python SDK tells 1:N from N:N by it); a cast or a table's typed collection drops it.

use http::StatusCode;
use serde_json::{Map, Value as Json};

use super::query::{context, MetaType, Shape};
use super::Side;
use crate::error::Result;
use crate::metadata::definitions::{self as defs, RelationshipDef, RelationshipKind};
use crate::metadata::EntityDef;
use crate::operation::Ctx;
use crate::wire::response::Reply;

fn cast_path(base: &str, cast: Option<RelationshipKind>) -> String {
    match cast {
        Some(k) => format!("{base}/Microsoft.Dynamics.CRM.{}", k.type_name()),
        None => base.to_string(),
    }
}

fn single(ctx: &Ctx<'_, '_>, path: &str, shape: &Shape, item: Map<String, Json>) -> Reply {
    let mut body = Map::new();
    body.insert("@odata.context".into(), Json::String(context(ctx, path, shape, true)));
    body.append(&mut shape.project(item));
    Reply::json(StatusCode::OK, &Json::Object(body))
}

/// `GET RelationshipDefinitions[/cast]`
pub(super) fn list(ctx: &Ctx<'_, '_>, cast: Option<RelationshipKind>) -> Result<Reply> {
    let shape = Shape::from_request(ctx, &MetaType::relationship(cast))?;
    let items = defs::relationships(&ctx.metadata)
        .into_iter()
        .filter(|r| cast.is_none_or(|k| r.kind() == k))
        .map(|r| r.to_json(cast.is_none()));
    let value = shape.collection(items)?;
    let path = cast_path("RelationshipDefinitions", cast);
    Ok(Reply::json(StatusCode::OK, &serde_json::json!({ "@odata.context": context(ctx, &path, &shape, false), "value": value })))
}

/// `GET RelationshipDefinitions(…)[/cast]`
pub(super) fn one(ctx: &Ctx<'_, '_>, def: &RelationshipDef, cast: Option<RelationshipKind>) -> Result<Reply> {
    let shape = Shape::from_request(ctx, &MetaType::relationship(cast))?;
    Ok(single(ctx, &cast_path("RelationshipDefinitions", cast), &shape, def.to_json(cast.is_none())))
}

/// `GET EntityDefinitions(…)/OneToManyRelationships` (and the other two), or one of them.
pub(super) fn of_entity(ctx: &Ctx<'_, '_>, e: &EntityDef, side: Side, one: Option<&RelationshipDef>) -> Result<Reply> {
    let kind = if side == Side::ManyToMany { RelationshipKind::ManyToMany } else { RelationshipKind::OneToMany };
    let shape = Shape::from_request(ctx, &MetaType::relationship(Some(kind)))?;
    let path = format!("EntityDefinitions({})/{}", defs::entity_id(e), side.name());
    if let Some(def) = one {
        return Ok(single(ctx, &path, &shape, def.to_json(false)));
    }
    let items: Vec<Map<String, Json>> = match side {
        Side::OneToMany => e.one_to_many.iter().map(defs::one_to_many).collect(),
        Side::ManyToOne => e.many_to_one.iter().map(defs::one_to_many).collect(),
        Side::ManyToMany => e.many_to_many.iter().map(defs::many_to_many).collect(),
    };
    let value = shape.collection(items)?;
    Ok(Reply::json(StatusCode::OK, &serde_json::json!({ "@odata.context": context(ctx, &path, &shape, false), "value": value })))
}
