//! The option-value messages: `InsertOptionValue`, `UpdateOptionValue`, `DeleteOptionValue`
//! and `OrderOption` change the options of a global choice (`OptionSetName`) or of a
//! column's local choice (`EntityLogicalName` + `AttributeLogicalName`). The schema change
//! itself is the metadata writer's ([`crate::operation::metadata::write::option_set`]).

use serde_json::{json, Map, Value as Json};

use super::{response, Binding, Call, Kind, Message, Param};
use crate::error::{Code, Error, Result};
use crate::operation::metadata::write::option_set::{self, OptionSetRef};
use crate::operation::Ctx;
use crate::wire::response::Reply;

/// The parameters every option-value message takes to address its option set.
macro_rules! option_set_params {
    ($($rest:expr),* $(,)?) => {
        &[
            Param { name: "OptionSetName", ty: "Edm.String", required: false },
            Param { name: "EntityLogicalName", ty: "Edm.String", required: false },
            Param { name: "AttributeLogicalName", ty: "Edm.String", required: false },
            Param { name: "SolutionUniqueName", ty: "Edm.String", required: false },
            $($rest),*
        ]
    };
}

/// `POST InsertOptionValue` → `{"NewOptionValue": 727000005}`
pub(super) static INSERT: Message = Message {
    name: "InsertOptionValue",
    kind: Kind::Action,
    binding: Binding::Unbound,
    params: option_set_params![
        Param { name: "Value", ty: "Edm.Int32", required: false },
        Param { name: "Label", ty: "mscrm.Label", required: true },
        Param { name: "Description", ty: "mscrm.Label", required: false },
        Param { name: "ParentValues", ty: "Collection(Edm.Int32)", required: false },
        Param { name: "ExternalValue", ty: "Edm.String", required: false },
        Param { name: "Color", ty: "Edm.String", required: false },
    ],
    returns: Some("mscrm.InsertOptionValueResponse"),
    run: insert,
};

/// `POST UpdateOptionValue` → 204
pub(super) static UPDATE: Message = Message {
    name: "UpdateOptionValue",
    kind: Kind::Action,
    binding: Binding::Unbound,
    params: option_set_params![
        Param { name: "Value", ty: "Edm.Int32", required: true },
        Param { name: "Label", ty: "mscrm.Label", required: false },
        Param { name: "Description", ty: "mscrm.Label", required: false },
        Param { name: "MergeLabels", ty: "Edm.Boolean", required: true },
        Param { name: "ParentValues", ty: "Collection(Edm.Int32)", required: false },
        Param { name: "ExternalValue", ty: "Edm.String", required: false },
        Param { name: "Color", ty: "Edm.String", required: false },
    ],
    returns: None,
    run: update,
};

/// `POST DeleteOptionValue` → 204
pub(super) static DELETE: Message = Message {
    name: "DeleteOptionValue",
    kind: Kind::Action,
    binding: Binding::Unbound,
    params: option_set_params![Param { name: "Value", ty: "Edm.Int32", required: true }],
    returns: None,
    run: delete,
};

/// `POST OrderOption` → 204
pub(super) static ORDER: Message = Message {
    name: "OrderOption",
    kind: Kind::Action,
    binding: Binding::Unbound,
    params: option_set_params![Param { name: "Values", ty: "Collection(Edm.Int32)", required: true }],
    returns: None,
    run: order,
};

fn int_arg(call: &Call, name: &str) -> Result<Option<i32>> {
    call.arg(name)
        .map(|v| v.as_i64().and_then(|v| i32::try_from(v).ok()).ok_or_else(|| Error::new(Code::InvalidArgument, format!("The {name} {v} is out of range."))))
        .transpose()
}

fn value_arg(call: &Call) -> Result<i32> {
    int_arg(call, "Value")?.ok_or_else(|| Error::internal("Value checked as required"))
}

fn insert(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let target = OptionSetRef::from_args(&call.args)?;
    let text = option_set::label_arg(&call.args, "Label");
    let value = option_set::insert_value(ctx, &target, int_arg(call, "Value")?, text)?;
    let mut fields = Map::new();
    fields.insert("NewOptionValue".into(), json!(value));
    Ok(response(ctx, call.message, fields))
}

fn update(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let target = OptionSetRef::from_args(&call.args)?;
    option_set::update_value(ctx, &target, value_arg(call)?, option_set::label_arg(&call.args, "Label"))?;
    Ok(Reply::empty(http::StatusCode::NO_CONTENT))
}

fn delete(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let target = OptionSetRef::from_args(&call.args)?;
    option_set::delete_value(ctx, &target, value_arg(call)?)?;
    Ok(Reply::empty(http::StatusCode::NO_CONTENT))
}

fn order(ctx: &Ctx<'_, '_>, call: &Call) -> Result<Reply> {
    let target = OptionSetRef::from_args(&call.args)?;
    let values: Vec<i32> = call
        .arg("Values")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .map(|v| v.as_i64().and_then(|v| i32::try_from(v).ok()).ok_or_else(|| Error::new(Code::InvalidArgument, format!("The option value {v} is out of range."))))
        .collect::<Result<_>>()?;
    option_set::order(ctx, &target, &values)?;
    Ok(Reply::empty(http::StatusCode::NO_CONTENT))
}
