//! Column rules Dataverse enforces on every write: text length, numeric range, option
//! values, status reasons that belong to the record's state, and closed activities that
//! only reopen.

use rust_decimal::prelude::ToPrimitive;
use uuid::Uuid;

use crate::error::{Code, Error, Result};
use crate::metadata::{AttributeDef, AttributeType, EntityDef};
use crate::store::{Attributes, Value};

/// Checks every column of a record about to be stored.
pub(super) fn record(entity: &EntityDef, attrs: &Attributes, id: Uuid) -> Result<()> {
    for (name, value) in attrs {
        let Some(attr) = entity.attribute(name) else { continue };
        let out_of_range = || {
            Error::new(
                Code::ValidationError,
                format!("A validation error occurred.  The value of '{name}' on record of type '{}' is outside the valid range.", entity.logical_name),
            )
        };
        let in_range = |n: f64| attr.min_value.is_none_or(|m| n >= m) && attr.max_value.is_none_or(|m| n <= m);
        match value {
            Value::String(s) => {
                if let Some(max) = attr.max_length {
                    if s.chars().count() > max {
                        return Err(Error::new(
                            Code::ValidationError,
                            format!(
                                "A validation error occurred.  The length of the '{name}' attribute of the '{}' entity exceeded the maximum allowed length of '{max}'.",
                                entity.logical_name
                            ),
                        ));
                    }
                }
            }
            Value::Int(i) if !in_range(f64::from(*i)) => return Err(out_of_range()),
            Value::BigInt(i) if !in_range(*i as f64) => return Err(out_of_range()),
            Value::Double(d) if !in_range(*d) => return Err(out_of_range()),
            Value::Decimal(d) | Value::Money(d) if !in_range(d.to_f64().unwrap_or(0.0)) => return Err(out_of_range()),
            Value::Choice(c) if !attr.options.is_empty() && attr.option(*c).is_none() => {
                return Err(outside_options(entity, name, attr, *c));
            }
            // Each selected value of a multi-select choice must be an option, like a single choice.
            Value::Choices(cs) => {
                if let Some(c) = cs.iter().find(|c| attr.option(**c).is_none()) {
                    return Err(outside_options(entity, name, attr, *c));
                }
            }
            _ => {}
        }
    }
    if let (Some(Value::Choice(state)), Some(Value::Choice(status)), Some(status_attr)) =
        (attrs.get("statecode"), attrs.get("statuscode"), entity.attribute("statuscode"))
    {
        if status_attr.kind == AttributeType::Status
            && status_attr.option(*status).and_then(|o| o.state).is_some_and(|s| s != *state)
        {
            // The state is named as the SDK's enum member: `AccountState.Active`.
            let state_name = entity
                .attribute("statecode")
                .and_then(|a| a.option(*state))
                .map(|o| o.invariant_name.clone().unwrap_or_else(|| o.label.replace(' ', "")))
                .unwrap_or_else(|| state.to_string());
            return Err(Error::new(
                Code::InvalidStateCodeStatusCode,
                format!("{status} is not a valid status code for state code {}State.{state_name} on {} with Id {id}.", entity.schema_name, entity.logical_name),
            ));
        }
    }
    Ok(())
}

/// Activity states after which the activity is read-only: Completed (1) and Canceled (2).
const CLOSED_ACTIVITY_STATES: [i32; 2] = [1, 2];

/// A completed or canceled activity (phone call, task, email, appointment, …) is
/// read-only: an update is refused unless it reopens the activity by setting an open state.
pub(super) fn closed_activity(entity: &EntityDef, existing: &crate::store::Record, input: &crate::wire::input::EntityInput) -> Result<()> {
    if !entity.is_activity || entity.attribute("statecode").is_none() {
        return Ok(());
    }
    let Value::Choice(state) = existing.get("statecode") else { return Ok(()) };
    if !CLOSED_ACTIVITY_STATES.contains(state) {
        return Ok(());
    }
    let reopens = input.fields.iter().any(|f| {
        matches!(f, crate::wire::input::Field::Value { attribute, value: Value::Choice(s) } if attribute == "statecode" && !CLOSED_ACTIVITY_STATES.contains(s))
    });
    if reopens {
        return Ok(());
    }
    Err(Error::new(Code::CannotUpdateBecauseItIsReadOnly, "The object cannot be updated because it is read-only."))
}

/// `OptionValueOutOfRange` for a choice value that isn't one of the column's options.
fn outside_options(entity: &EntityDef, name: &str, attr: &AttributeDef, value: i32) -> Error {
    let accepted: Vec<String> = attr.options.iter().map(|o| o.value.to_string()).collect();
    Error::new(
        Code::OptionValueOutOfRange,
        format!(
            "A validation error occurred. The value {value} of '{name}' on record of type '{}' is outside the valid range. Accepted Values: {}",
            entity.logical_name,
            accepted.join(",")
        ),
    )
}
