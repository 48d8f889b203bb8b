//! Columns the platform fills in: defaults, system columns, and computed columns.

use crate::metadata::{AttributeType, EntityDef};
use crate::logical_name;
use crate::store::{Attributes, ColumnName, EntityRef, LogicalName, Value};

use super::WriteContext;

/// Sets a reference column, as a lookup or (for plain Uniqueidentifier columns such as
/// activityparty.owningbusinessunit) as a GUID. Columns the table lacks are skipped.
pub(super) fn set_lookup(entity: &EntityDef, attrs: &mut Attributes, name: impl ColumnName, value: Value) {
    let Some(attr) = entity.attribute(name.text()) else { return };
    let value = match (attr.kind, value) {
        (AttributeType::Uniqueidentifier, Value::Lookup(r)) => Value::Guid(r.id),
        (_, v) => v,
    };
    attrs.insert(name, value);
}

fn reference(logical_name: LogicalName, id: uuid::Uuid) -> Value {
    Value::Lookup(EntityRef { logical_name, id })
}

/// Column defaults from metadata: two-option defaults and the initial state.
pub(super) fn defaults(entity: &EntityDef, attrs: &mut Attributes) {
    for &(name, default) in entity.two_option_defaults() {
        attrs.insert(name, Value::Boolean(default));
    }
    if let Some(state) = entity.attribute("statecode").filter(|a| a.kind == AttributeType::State) {
        if let Some(first) = state.options.first() {
            attrs.insert(logical_name!("statecode"), Value::Choice(first.value));
        }
    }
}

/// The status reason follows the state: a write that sets `statecode` without
/// `statuscode` (and every create without one) gets the state's default status reason, as
/// Dataverse documents. A status reason the write gives is kept as given; one that doesn't
/// belong to the state is refused by validation.
pub(super) fn status_for_state(entity: &EntityDef, attrs: &mut Attributes, status_given: bool, state_given: bool) {
    let (Some(state_attr), Some(status_attr)) = (entity.attribute("statecode"), entity.attribute("statuscode")) else { return };
    let Some(Value::Choice(state)) = attrs.get("statecode").cloned() else { return };
    let has_status = matches!(attrs.get("statuscode"), Some(Value::Choice(_)));
    if has_status && (status_given || !state_given) {
        return;
    }
    let default = state_attr
        .option(state)
        .and_then(|o| o.default_status)
        .or_else(|| status_attr.options.iter().find(|o| o.state == Some(state)).map(|o| o.value));
    if let Some(d) = default {
        attrs.insert(logical_name!("statuscode"), Value::Choice(d));
    }
}

/// System columns of a new record.
pub(super) fn on_create(w: &WriteContext<'_>, entity: &EntityDef, attrs: &mut Attributes) {
    let s = &w.org.settings;
    let created = match attrs.get("overriddencreatedon") {
        Some(Value::DateTime(t)) => *t,
        _ => w.now,
    };
    for (name, value) in [(logical_name!("createdon"), Value::DateTime(created)), (logical_name!("modifiedon"), Value::DateTime(w.now))] {
        if entity.attribute(&name).is_some() {
            attrs.insert(name, value);
        }
    }
    for name in [logical_name!("createdby"), logical_name!("modifiedby")] {
        set_lookup(entity, attrs, name, reference(logical_name!("systemuser"), w.caller));
    }
    if entity.attribute("ownerid").is_some() && attrs.get("ownerid").is_none_or(Value::is_null) {
        attrs.insert(logical_name!("ownerid"), reference(logical_name!("systemuser"), w.caller));
    }
    owning_columns(entity, attrs);
    if attrs.get("ownerid").is_some_and(|o| !o.is_null()) {
        set_lookup(entity, attrs, logical_name!("owningbusinessunit"), reference(logical_name!("businessunit"), s.business_unit_id));
    }
    if entity.is_activity && entity.attribute("activitytypecode").is_some() {
        attrs.insert(logical_name!("activitytypecode"), Value::String(entity.logical_name.clone()));
    }
    money_columns(w, entity, attrs);
}

/// `owninguser` / `owningteam` follow `ownerid`.
fn owning_columns(entity: &EntityDef, attrs: &mut Attributes) {
    if let Some(Value::Lookup(owner)) = attrs.get("ownerid").cloned() {
        let (user, team) = if owner.logical_name == "team" { (Value::Null, Value::Lookup(owner)) } else { (Value::Lookup(owner), Value::Null) };
        set_lookup(entity, attrs, logical_name!("owninguser"), user);
        set_lookup(entity, attrs, logical_name!("owningteam"), team);
    }
}

/// System columns of an updated record.
pub(super) fn on_update(w: &WriteContext<'_>, entity: &EntityDef, attrs: &mut Attributes) {
    if entity.attribute("modifiedon").is_some() {
        attrs.insert(logical_name!("modifiedon"), Value::DateTime(w.now));
    }
    set_lookup(entity, attrs, logical_name!("modifiedby"), reference(logical_name!("systemuser"), w.caller));
    owning_columns(entity, attrs);
    money_columns(w, entity, attrs);
}

/// A record with money gets the base currency, exchange rate 1, and `<col>_base` copies.
fn money_columns(w: &WriteContext<'_>, entity: &EntityDef, attrs: &mut Attributes) {
    let money: Vec<(String, Value)> = entity
        .money_columns()
        .filter_map(|a| attrs.get(&a.logical_name).map(|v| (a.logical_name.clone(), v.clone())))
        .collect();
    if money.iter().all(|(_, v)| v.is_null()) {
        return;
    }
    if entity.attribute("transactioncurrencyid").is_some_and(|a| a.kind.is_lookup())
        && attrs.get("transactioncurrencyid").is_none_or(Value::is_null)
    {
        attrs.insert(logical_name!("transactioncurrencyid"), reference(logical_name!("transactioncurrency"), w.org.settings.base_currency_id));
    }
    if entity.attribute("exchangerate").is_some() {
        attrs.insert(logical_name!("exchangerate"), Value::Decimal(rust_decimal::Decimal::ONE));
    }
    for (name, value) in money {
        let base = format!("{name}_base");
        if entity.attribute(&base).is_some() {
            attrs.insert(base, value);
        }
    }
}

/// Computed columns: `fullname` from first and last name (contact, lead, systemuser).
pub(super) fn computed(entity: &EntityDef, attrs: &mut Attributes) {
    if entity.attribute("fullname").is_some() && entity.attribute("firstname").is_some() && entity.attribute("lastname").is_some() {
        let part = |n: &str| match attrs.get(n) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            _ => None,
        };
        let full: Vec<String> = [part("firstname"), part("lastname")].into_iter().flatten().collect();
        let value = if full.is_empty() { Value::Null } else { Value::String(full.join(" ")) };
        attrs.insert(logical_name!("fullname"), value);
    }
}

/// Stores the row version in `versionnumber` where the table has it.
pub(super) fn set_version(entity: &EntityDef, attrs: &mut Attributes, version: u64) {
    if entity.attribute("versionnumber").is_some() {
        attrs.insert(logical_name!("versionnumber"), Value::BigInt(i64::try_from(version).unwrap_or(i64::MAX)));
    }
}
