//! Global choices: `POST GlobalOptionSetDefinitions` (CreateOptionSet), `PUT
//! GlobalOptionSetDefinitions(…)` (UpdateOptionSet) and `DELETE` (DeleteOptionSet), plus the
//! option-value changes the `InsertOptionValue`, `UpdateOptionValue`, `DeleteOptionValue` and
//! `OrderOption` messages make, to a global choice or to a column's local one.
//!
//! A column over a global choice keeps a copy of its options (the store validates against
//! the column), so every change goes through [`Metadata::put_option_set`], which refreshes them.

use serde_json::{Map, Value as Json};

use super::body::{self, label, merged_label};
use super::{column, commit, entity_mut, names};
use crate::error::{Code, Error, Result};
use crate::metadata::definitions::attribute::option_set_id;
use crate::metadata::{AttributeType, Metadata, OptionDef, OptionSetDef};
use crate::operation::Ctx;

fn invalid(message: impl Into<String>) -> Error {
    Error::new(Code::InvalidArgument, message)
}

/// `POST GlobalOptionSetDefinitions`; returns the new choice's URL.
pub(super) fn create(ctx: &Ctx<'_, '_>) -> Result<String> {
    let map = body::object(ctx.body, "OptionSetMetadataBase")?;
    let name = commit(ctx, |m| add(m, &map))?;
    Ok(format!("{}GlobalOptionSetDefinitions({})", ctx.root, option_set_id(&name)))
}

/// Adds the global choice an `OptionSetMetadata` body describes; returns its name.
pub(super) fn add(m: &mut Metadata, map: &Map<String, Json>) -> Result<String> {
    if let Some(t) = body::odata_type(map).filter(|t| t != "OptionSetMetadata") {
        return Err(invalid(format!("The option set type '{t}' can't be created as a global option set; use OptionSetMetadata.")));
    }
    if map.get("IsGlobal").and_then(Json::as_bool) == Some(false) {
        return Err(invalid("A global option set must have IsGlobal set to true."));
    }
    if let Some(t) = body::value(map, "OptionSetType").and_then(Json::as_str).filter(|t| *t != "Picklist") {
        return Err(invalid(format!("The OptionSetType '{t}' is not valid for a global option set.")));
    }
    let name = body::required(map, "Name", "OptionSetMetadata")?.to_string();
    names::check_schema_name(&name, "OptionSet")?;
    let options = column::options(map)?.into_iter().map(option_def).collect();
    let set = OptionSetDef {
        name: name.clone(),
        display_name: label(map, "DisplayName").flatten(),
        description: label(map, "Description").flatten(),
        options,
        is_custom: true,
    };
    if m.option_set(&name).is_some() {
        return Err(Error::new(Code::DuplicateName, format!("An option set with the name {name} already exists.")));
    }
    m.put_option_set(set);
    Ok(name)
}

/// An option from the `{"Value":…,"Label":"…"}` shape [`column::options`] returns.
fn option_def(o: Json) -> OptionDef {
    OptionDef {
        value: o.get("Value").and_then(Json::as_i64).and_then(|v| i32::try_from(v).ok()).unwrap_or_default(),
        label: o.get("Label").and_then(Json::as_str).unwrap_or_default().to_string(),
        state: None,
        default_status: None,
        invariant_name: None,
    }
}

/// `PUT GlobalOptionSetDefinitions(…)`: labels change (merged with `MSCRM.MergeLabels: true`);
/// the name can't, and options change only through the option-value messages, as in Dataverse.
pub(super) fn update(ctx: &Ctx<'_, '_>, set: &OptionSetDef) -> Result<()> {
    let map = body::object(ctx.body, "OptionSetMetadataBase")?;
    let merge = ctx.headers.get("mscrm.mergelabels").and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if let Some(n) = body::string(&map, "Name").filter(|n| !n.eq_ignore_ascii_case(&set.name)) {
        return Err(invalid(format!("The name of an option set can't be changed (from {} to {n}).", set.name)));
    }
    commit(ctx, |m| {
        let mut changed = (**current(m, &set.name)?).clone();
        changed.display_name = merged_label(&map, "DisplayName", changed.display_name.take(), merge);
        changed.description = merged_label(&map, "Description", changed.description.take(), merge);
        m.put_option_set(changed);
        Ok(())
    })
}

/// `DELETE GlobalOptionSetDefinitions(…)`: custom choices no column uses.
pub(super) fn delete(ctx: &Ctx<'_, '_>, set: &OptionSetDef) -> Result<()> {
    if !set.is_custom {
        return Err(invalid(format!("The option set {} is not a custom option set and can't be deleted.", set.name)));
    }
    commit(ctx, |m| {
        if let Some((table, column)) = m.option_set_users(&set.name).into_iter().next() {
            return Err(invalid(format!("The option set {} can't be deleted: the attribute {column} of entity {table} uses it.", set.name)));
        }
        m.remove_option_set(&set.name);
        Ok(())
    })
}

fn current<'m>(m: &'m Metadata, name: &str) -> Result<&'m std::sync::Arc<OptionSetDef>> {
    m.option_set(name).ok_or_else(|| Error::new(Code::ObjectDoesNotExist, format!("An OptionSetMetadata with the name {name} does not exist.")))
}

/// Which option set an option-value message addresses: a global choice by `OptionSetName`,
/// or a column's local choice by `EntityLogicalName` and `AttributeLogicalName`.
#[derive(Debug, Clone)]
pub enum OptionSetRef {
    /// A global choice.
    Global(String),
    /// A column's local choice: table and column.
    Local(String, String),
}

impl OptionSetRef {
    /// From the message's parameters; exactly one of the two ways must be given.
    pub fn from_args(args: &Map<String, Json>) -> Result<OptionSetRef> {
        let text = |n: &str| args.get(n).and_then(Json::as_str).filter(|s| !s.is_empty());
        match (text("OptionSetName"), text("EntityLogicalName"), text("AttributeLogicalName")) {
            (Some(name), None, None) => Ok(OptionSetRef::Global(name.to_string())),
            (None, Some(e), Some(a)) => Ok(OptionSetRef::Local(e.to_lowercase(), a.to_lowercase())),
            _ => Err(invalid("Either OptionSetName, or EntityLogicalName and AttributeLogicalName, must be specified.")),
        }
    }
}

/// The options of the addressed set, and whether it is a Boolean set (whose options can't
/// be added or removed).
fn options_of(m: &Metadata, r: &OptionSetRef) -> Result<Vec<OptionDef>> {
    match r {
        OptionSetRef::Global(name) => Ok(current(m, name)?.options.clone()),
        OptionSetRef::Local(table, column) => {
            let e = m.entity(table).ok_or_else(|| Error::new(Code::ObjectDoesNotExist, format!("Could not find an entity with name {table} and id 00000000-0000-0000-0000-000000000000.")))?;
            let a = e.attribute(column).ok_or_else(|| Error::new(Code::ObjectDoesNotExist, format!("'{table}' entity doesn't contain attribute with Name = '{column}'.")))?;
            if !matches!(a.kind, AttributeType::Picklist | AttributeType::MultiSelectPicklist) {
                return Err(invalid(format!("The attribute {column} is not a choice attribute: its options can't be changed this way.")));
            }
            if let Some(global) = &a.global_option_set {
                return Err(invalid(format!("The attribute {column} uses the global option set {global}: change it through OptionSetName.")));
            }
            Ok(a.options.clone())
        }
    }
}

/// Stores changed options back where they came from.
fn store_options(m: &mut Metadata, r: &OptionSetRef, options: Vec<OptionDef>) -> Result<()> {
    match r {
        OptionSetRef::Global(name) => {
            let mut set = (**current(m, name)?).clone();
            set.options = options;
            m.put_option_set(set);
        }
        OptionSetRef::Local(table, column) => {
            let e = entity_mut(m, table)?;
            if let Some(a) = e.attributes.iter_mut().find(|a| &a.logical_name == column) {
                a.options = options;
            }
        }
    }
    Ok(())
}

fn missing_value(value: i32) -> Error {
    Error::new(Code::ObjectDoesNotExist, format!("The value {value} was not found in the option set."))
}

/// The text of a `Label` parameter (`{"LocalizedLabels":[{"Label":"Red","LanguageCode":1033}]}`).
pub fn label_arg(args: &Map<String, Json>, name: &str) -> Option<String> {
    label(args, name).flatten()
}

/// InsertOptionValue: adds an option (at the given value, or the next free one from the
/// publisher prefix); returns its value.
pub fn insert_value(ctx: &Ctx<'_, '_>, r: &OptionSetRef, value: Option<i32>, text: Option<String>) -> Result<i32> {
    commit(ctx, |m| {
        let mut options = options_of(m, r)?;
        let value = match value {
            Some(v) if options.iter().any(|o| o.value == v) => {
                return Err(Error::new(Code::DuplicateName, format!("An option with the value {v} already exists.")))
            }
            Some(v) => v,
            None => options.iter().map(|o| o.value).filter(|v| *v >= 100_000_000).max().map_or(100_000_000, |v| v + 1),
        };
        options.push(OptionDef { value, label: text.unwrap_or_default(), state: None, default_status: None, invariant_name: None });
        store_options(m, r, options)?;
        Ok(value)
    })
}

/// UpdateOptionValue: a new label for an existing option.
pub fn update_value(ctx: &Ctx<'_, '_>, r: &OptionSetRef, value: i32, text: Option<String>) -> Result<()> {
    commit(ctx, |m| {
        let mut options = options_of(m, r)?;
        let option = options.iter_mut().find(|o| o.value == value).ok_or_else(|| missing_value(value))?;
        if let Some(t) = text {
            option.label = t;
        }
        store_options(m, r, options)
    })
}

/// DeleteOptionValue: removes an option. Records keep whatever value they hold, as in Dataverse.
pub fn delete_value(ctx: &Ctx<'_, '_>, r: &OptionSetRef, value: i32) -> Result<()> {
    commit(ctx, |m| {
        let mut options = options_of(m, r)?;
        let before = options.len();
        options.retain(|o| o.value != value);
        if options.len() == before {
            return Err(missing_value(value));
        }
        store_options(m, r, options)
    })
}

/// OrderOption: the options in the order of `values`, which must name each option once.
pub fn order(ctx: &Ctx<'_, '_>, r: &OptionSetRef, values: &[i32]) -> Result<()> {
    commit(ctx, |m| {
        let options = options_of(m, r)?;
        let mut wanted: Vec<i32> = values.to_vec();
        wanted.sort_unstable();
        let mut have: Vec<i32> = options.iter().map(|o| o.value).collect();
        have.sort_unstable();
        if wanted != have {
            return Err(invalid("The Values of OrderOption must list every option of the option set exactly once."));
        }
        let ordered = values.iter().filter_map(|v| options.iter().find(|o| o.value == *v).cloned()).collect();
        store_options(m, r, ordered)
    })
}
