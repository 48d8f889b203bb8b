//! RetrieveAllOptionSets: `GET GlobalOptionSetDefinitions`. The fixture orgs define no
//! global choices (every choice column has a local option set, reachable through
//! `Attributes/…PicklistAttributeMetadata?$expand=OptionSet`), so the list is empty; the
//! query options are still checked, so a typo is a 400 rather than a silent empty list.
//! Addressing one global choice is a 404, answered in [`super::route`].

use http::StatusCode;

use super::query::{context, MetaType, Shape};
use crate::error::Result;
use crate::operation::Ctx;
use crate::wire::response::Reply;

/// `GET GlobalOptionSetDefinitions`
pub(super) fn list(ctx: &Ctx<'_, '_>) -> Result<Reply> {
    let shape = Shape::from_request(ctx, &MetaType::OPTION_SET)?;
    let value = shape.collection(std::iter::empty())?;
    let body = serde_json::json!({ "@odata.context": context(ctx, "GlobalOptionSetDefinitions", &shape, false), "value": value });
    Ok(Reply::json(StatusCode::OK, &body))
}
