//! RetrieveAllOptionSets and RetrieveOptionSet: `GET GlobalOptionSetDefinitions` and
//! `GET GlobalOptionSetDefinitions(Name='x')` or `(<MetadataId>)`, optionally cast to
//! `Microsoft.Dynamics.CRM.OptionSetMetadata` (the type of every global choice; the
//! collection is declared as `OptionSetMetadataBase`, so uncast items carry `@odata.type`).
//! The fixture orgs ship none; they are created with `POST GlobalOptionSetDefinitions`.

use http::StatusCode;
use serde_json::{Map, Value as Json};

use super::query::{context, MetaType, Shape};
use crate::error::Result;
use crate::metadata::definitions::attribute::global_option_set;
use crate::metadata::OptionSetDef;
use crate::operation::Ctx;
use crate::wire::response::Reply;

const CAST: &str = "/Microsoft.Dynamics.CRM.OptionSetMetadata";

fn definition(set: &OptionSetDef, cast: bool) -> Map<String, Json> {
    let mut def = global_option_set(set);
    if cast {
        def.shift_remove("@odata.type");
    }
    def
}

/// `GET GlobalOptionSetDefinitions[/cast]`
pub(super) fn list(ctx: &Ctx<'_, '_>, cast: bool) -> Result<Reply> {
    let shape = Shape::from_request(ctx, &MetaType::OPTION_SET)?;
    let value = shape.collection(ctx.metadata.option_sets().map(|s| definition(s, cast)))?;
    let path = format!("GlobalOptionSetDefinitions{}", if cast { CAST } else { "" });
    let body = serde_json::json!({ "@odata.context": context(ctx, &path, &shape, false), "value": value });
    Ok(Reply::json(StatusCode::OK, &body))
}

/// `GET GlobalOptionSetDefinitions(…)[/cast]`
pub(super) fn one(ctx: &Ctx<'_, '_>, set: &OptionSetDef, cast: bool) -> Result<Reply> {
    let shape = Shape::from_request(ctx, &MetaType::OPTION_SET)?;
    let path = format!("GlobalOptionSetDefinitions{}", if cast { CAST } else { "" });
    let mut body = Map::new();
    body.insert("@odata.context".into(), Json::String(context(ctx, &path, &shape, true)));
    body.append(&mut shape.project(definition(set, cast)));
    Ok(Reply::json(StatusCode::OK, &Json::Object(body)))
}
