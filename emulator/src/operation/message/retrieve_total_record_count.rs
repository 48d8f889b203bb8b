//! `GET RetrieveTotalRecordCount(EntityNames=@p1)?@p1=["account"]`: row counts per table.
//! The real service answers from a snapshot taken every few hours; the emulator counts now.

use serde_json::{json, Map, Value as Json};

use super::{response, Binding, Call, Kind, Message, Param};
use crate::error::{Error, Result};
use crate::operation::Ctx;
use crate::wire::response::Reply;

/// `RetrieveTotalRecordCount(EntityNames=…)`
pub(super) static MESSAGE: Message = Message {
    name: "RetrieveTotalRecordCount",
    kind: Kind::Function,
    binding: Binding::Unbound,
    params: &[Param { name: "EntityNames", ty: "Collection(Edm.String)", required: true }],
    returns: Some("mscrm.RetrieveTotalRecordCountResponse"),
    run,
};

fn run(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let names: Vec<&str> = call.arg("EntityNames").and_then(Json::as_array).into_iter().flatten().filter_map(Json::as_str).collect();
    let state = ctx.access.read();
    let mut keys = Vec::with_capacity(names.len());
    let mut values = Vec::with_capacity(names.len());
    for name in names {
        let entity = ctx.metadata.entity(name).ok_or_else(|| Error::new(crate::error::Code::InvalidArgument, format!("The entity with a name = '{name}' with namemapping = 'Logical' was not found in the MetadataCache.")))?;
        keys.push(json!(entity.logical_name));
        values.push(json!(state.table(&entity.logical_name).map_or(0, |t| t.len())));
    }
    let mut fields = Map::new();
    fields.insert(
        "EntityRecordCountCollection".into(),
        json!({ "Count": keys.len(), "IsReadOnly": false, "Keys": keys, "Values": values }),
    );
    Ok(response(ctx, call.message, fields))
}
