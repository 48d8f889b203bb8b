//! RetrieveAttribute and the column list: `GET EntityDefinitions(…)/Attributes`, optionally
//! cast to one derived type (`/Microsoft.Dynamics.CRM.PicklistAttributeMetadata`), and
//! `GET …/Attributes(LogicalName='name')` or `…/Attributes(<MetadataId>)`.
//!
//! A cast keeps the columns of that type and makes its properties (`MaxLength`, `Targets`,
//! …) and navigation properties (`OptionSet`, `GlobalOptionSet`) addressable. Items carry
//! `@odata.type` whenever their type is more derived than the one the URL declares, so
//! clients that read it (the Python SDK's column update) always find it on uncast reads.

use http::StatusCode;
use serde_json::{Map, Value as Json};

use super::query::{context, MetaType, Shape};
use crate::error::Result;
use crate::metadata::definitions::attribute::{attribute, global_option_set, option_set, AttributeClass};
use crate::metadata::definitions::entity_id;
use crate::metadata::{AttributeDef, EntityDef};
use crate::operation::Ctx;
use crate::wire::response::Reply;

/// `EntityDefinitions(<id>)/Attributes[/Microsoft.Dynamics.CRM.<cast>]`
fn path(e: &EntityDef, cast: Option<AttributeClass>) -> String {
    let cast = cast.map(|c| format!("/Microsoft.Dynamics.CRM.{}", c.type_name())).unwrap_or_default();
    format!("EntityDefinitions({})/Attributes{cast}", entity_id(e))
}

/// A column's definition as the request sees it: `@odata.type` dropped when the cast
/// already names its type.
fn definition(e: &EntityDef, a: &AttributeDef, cast: Option<AttributeClass>) -> Map<String, Json> {
    let mut def = attribute(e, a);
    if cast == Some(AttributeClass::of(a.kind)) {
        def.shift_remove("@odata.type");
    }
    def
}

/// The projected column with its expanded option sets. A column over a global choice
/// answers both `OptionSet` and `GlobalOptionSet` with the global set, as Dataverse does;
/// otherwise `OptionSet` is the column's local choice and `GlobalOptionSet` is null.
fn render(ctx: &Ctx<'_, '_>, shape: &Shape, e: &EntityDef, a: &AttributeDef, def: Map<String, Json>) -> Map<String, Json> {
    let mut out = shape.project(def);
    let global = a.global_option_set.as_deref().and_then(|n| ctx.metadata.option_set(n)).map(|s| {
        let mut json = global_option_set(s);
        json.shift_remove("@odata.type");
        json
    });
    for (nav, inner) in &shape.expand {
        let value = match (nav.as_str(), &global) {
            (_, Some(g)) => Json::Object(inner.project(g.clone())),
            ("OptionSet", None) => option_set(e, a).map_or(Json::Null, |o| Json::Object(inner.project(o))),
            _ => Json::Null,
        };
        out.insert(nav.clone(), value);
    }
    out
}

/// `GET EntityDefinitions(…)/Attributes[/cast]`
pub(super) fn list(ctx: &Ctx<'_, '_>, e: &EntityDef, cast: Option<AttributeClass>) -> Result<Reply> {
    let shape = Shape::from_request(ctx, &MetaType::attribute(cast.unwrap_or(AttributeClass::Base)))?;
    let mut value = Vec::new();
    for a in e.attributes.iter().filter(|a| cast.is_none_or(|c| AttributeClass::of(a.kind).is_a(c))) {
        let def = definition(e, a, cast);
        if shape.matches(&def)? {
            value.push(Json::Object(render(ctx, &shape, e, a, def)));
        }
    }
    let body = serde_json::json!({ "@odata.context": context(ctx, &path(e, cast), &shape, false), "value": value });
    Ok(Reply::json(StatusCode::OK, &body))
}

/// `GET EntityDefinitions(…)/Attributes(…)[/cast]`
pub(super) fn one(ctx: &Ctx<'_, '_>, e: &EntityDef, a: &AttributeDef, cast: Option<AttributeClass>) -> Result<Reply> {
    let shape = Shape::from_request(ctx, &MetaType::attribute(cast.unwrap_or(AttributeClass::Base)))?;
    let mut body = Map::new();
    body.insert("@odata.context".into(), Json::String(context(ctx, &path(e, cast), &shape, true)));
    body.append(&mut render(ctx, &shape, e, a, definition(e, a, cast)));
    Ok(Reply::json(StatusCode::OK, &Json::Object(body)))
}
