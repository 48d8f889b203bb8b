//! `GET WhoAmI` (the caller, its business unit and the organization) and
//! `GET RetrieveVersion` (the org's version).

use serde_json::{json, Map};

use super::{response, Binding, Call, Kind, Message};
use crate::error::Result;
use crate::operation::Ctx;
use crate::store::Value;
use crate::wire::response::Reply;

/// `WhoAmI()`
pub(super) static WHO_AM_I: Message = Message {
    name: "WhoAmI",
    kind: Kind::Function,
    binding: Binding::Unbound,
    params: &[],
    returns: Some("mscrm.WhoAmIResponse"),
    run: who_am_i,
};

/// `RetrieveVersion()`
pub(super) static RETRIEVE_VERSION: Message = Message {
    name: "RetrieveVersion",
    kind: Kind::Function,
    binding: Binding::Unbound,
    params: &[],
    returns: Some("mscrm.RetrieveVersionResponse"),
    run: retrieve_version,
};

fn who_am_i(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let s = &ctx.org.settings;
    let business_unit = match ctx.access.read().get("systemuser", ctx.caller).map(|u| u.get("businessunitid").clone()) {
        Some(Value::Lookup(r)) => r.id,
        _ => s.business_unit_id,
    };
    let mut fields = Map::new();
    fields.insert("BusinessUnitId".into(), json!(business_unit));
    fields.insert("UserId".into(), json!(ctx.caller));
    fields.insert("OrganizationId".into(), json!(s.organization_id));
    Ok(response(ctx, call.message, fields))
}

fn retrieve_version(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let mut fields = Map::new();
    fields.insert("Version".into(), json!(ctx.org.settings.version));
    Ok(response(ctx, call.message, fields))
}
