//! The service document: `GET /api/data/v9.2/` lists every entity set, the tables' and
//! the metadata sets (`EntityDefinitions`, `RelationshipDefinitions`, `GlobalOptionSetDefinitions`).

use http::StatusCode;
use serde_json::json;

use crate::error::Result;
use crate::wire::response::Reply;

use super::Ctx;

pub(super) fn apply(ctx: &Ctx<'_, '_>) -> Result<Reply> {
    let mut sets: Vec<&str> = ctx.metadata.entities().map(|e| e.entity_set_name.as_str()).collect();
    sets.extend(super::metadata::DEFINITION_SETS);
    sets.sort_unstable();
    let value: Vec<_> = sets.into_iter().map(|s| json!({ "name": s, "kind": "EntitySet", "url": s })).collect();
    Ok(Reply::json(StatusCode::OK, &json!({ "@odata.context": format!("{}$metadata", ctx.root), "value": value })))
}
