//! `GET WhoAmI` (function): the caller, its business unit, and the organization.

use http::StatusCode;
use serde_json::json;

use crate::error::Result;
use crate::store::Value;
use crate::wire::response::Reply;

use super::Ctx;

/// `GET RetrieveVersion`: the org's version, as the real function reports it.
pub(super) fn retrieve_version(ctx: &Ctx<'_, '_>) -> Result<Reply> {
    let body = json!({
        "@odata.context": format!("{}$metadata#Microsoft.Dynamics.CRM.RetrieveVersionResponse", ctx.root),
        "Version": ctx.org.settings.version,
    });
    Ok(Reply::json(StatusCode::OK, &body))
}

pub(super) fn apply(ctx: &Ctx<'_, '_>) -> Result<Reply> {
    let s = &ctx.org.settings;
    let business_unit = match ctx.access.read().get("systemuser", ctx.caller).map(|u| u.get("businessunitid").clone()) {
        Some(Value::Lookup(r)) => r.id,
        _ => s.business_unit_id,
    };
    let body = json!({
        "@odata.context": format!("{}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse", ctx.root),
        "BusinessUnitId": business_unit,
        "UserId": ctx.caller,
        "OrganizationId": s.organization_id,
    });
    Ok(Reply::json(StatusCode::OK, &body))
}
