//! `GET RetrieveCurrentOrganization(AccessType=@p1)?@p1=Microsoft.Dynamics.CRM.EndpointAccessType'Default'`:
//! the org's identity and its endpoints, built from the URL the client came in on.

use serde_json::{json, Map};

use super::{response, types, Binding, Call, Kind, Message, Param};
use crate::error::Result;
use crate::operation::Ctx;
use crate::wire::response::Reply;

/// `RetrieveCurrentOrganization(AccessType=…)`
pub(super) static MESSAGE: Message = Message {
    name: "RetrieveCurrentOrganization",
    kind: Kind::Function,
    binding: Binding::Unbound,
    params: &[Param { name: "AccessType", ty: "mscrm.EndpointAccessType", required: true }],
    returns: Some("mscrm.RetrieveCurrentOrganizationResponse"),
    run,
};

fn run(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let s = &ctx.org.settings;
    // The access type only picks internet or intranet addresses; the emulator has one.
    let _ = call.arg("AccessType").and_then(|v| types::enum_member("mscrm.EndpointAccessType", v));
    let origin = ctx.root.split("/api/data/").next().unwrap_or_default().to_string();
    let host = origin.split("://").nth(1).unwrap_or_default();
    let url_name = host.split(['.', ':']).next().unwrap_or_default();
    let detail = json!({
        "OrganizationId": s.organization_id,
        "FriendlyName": s.friendly_name.clone().unwrap_or_else(|| s.name.clone()),
        "OrganizationVersion": s.version,
        "EnvironmentId": s.organization_id.to_string(),
        "DatacenterId": uuid::Uuid::nil(),
        "Geo": "NA",
        "TenantId": s.tenant_id.to_string(),
        "UrlName": url_name,
        "UniqueName": s.unique_name.clone().unwrap_or_else(|| s.name.clone()),
        "Endpoints": {
            "Count": 3,
            "IsReadOnly": false,
            "Keys": ["WebApplication", "OrganizationService", "OrganizationDataService"],
            "Values": [
                format!("{origin}/"),
                format!("{origin}/XRMServices/2011/Organization.svc"),
                format!("{origin}/XRMServices/2011/OrganizationData.svc"),
            ],
        },
        "State": "Enabled",
    });
    let mut fields = Map::new();
    fields.insert("Detail".into(), detail);
    Ok(response(ctx, call.message, fields))
}
