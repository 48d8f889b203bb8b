//! A record's page: every column the Web API returns for it, with formatted values, lookups
//! as links to their records, and an activity's parties. `record.js` edits it with a Web API
//! `PATCH` (sending the ETag it was read with), so the journal and webhooks see the change.

use std::collections::HashSet;
use std::fmt::Write;

use serde_json::{json, Value};
use uuid::Uuid;

use crate::metadata::{AttributeDef, AttributeType, EntityDef};
use crate::org::Org;

use super::api;
use super::html::{esc, href, Page};
use super::{PageResult, Problem};

const FORMATTED: &str = "@OData.Community.Display.V1.FormattedValue";
const LOOKUP_TABLE: &str = "@Microsoft.Dynamics.CRM.lookuplogicalname";

/// `/_emulator/ui/record?org=<name>&etn=<table>&id=<guid>` (and `main.aspx?pagetype=entityrecord`).
pub fn page(org: &Org, host: &str, etn: &str, id: Option<&str>) -> PageResult {
    let metadata = org.store.metadata();
    let table = metadata.entity(etn).ok_or_else(|| Problem::not_found(format!("The org '{}' has no table '{etn}'.", org.settings.name)))?;
    let id = record_id(id)?;
    let record = api::get(org, host, &format!("{}({id})", table.entity_set_name))?;
    let name = org.settings.name.as_str();
    let title = table
        .primary_name
        .as_ref()
        .and_then(|p| record[p].as_str())
        .filter(|s| !s.is_empty())
        .map_or_else(|| format!("{} {id}", table.display_name.as_deref().unwrap_or(&table.logical_name)), str::to_string);
    let mut body = format!(
        "<p class=\"links\">{kind} · <a href=\"{grid}\">All {set}</a> · <a href=\"{meta}\">Metadata</a> · <a href=\"/org/{org}/api/data/{v}/{set}({id})\">Web API JSON</a></p>\
         <div class=\"toolbar\"><button id=\"edit\">Edit</button> <button id=\"save\" hidden>Save</button> <button id=\"cancel\" hidden>Cancel</button> <span id=\"record-status\" class=\"status\"></span></div>\
         <pre id=\"record-error\" class=\"error\" hidden></pre>",
        kind = esc(table.display_name.as_deref().unwrap_or(&table.logical_name)),
        grid = href("grid", &[("org", name), ("etn", &table.logical_name)]),
        meta = href("metadata", &[("org", name), ("etn", &table.logical_name)]),
        org = esc(name),
        v = api::VERSION,
        set = esc(&table.entity_set_name),
    );
    let _ = write!(
        body,
        "<table id=\"record\" class=\"record\" data-set=\"{}\" data-id=\"{id}\" data-etag=\"{}\"><thead><tr><th>Column</th><th>Value</th><th>Raw</th></tr></thead><tbody>{}</tbody></table>",
        esc(&table.entity_set_name),
        esc(record["@odata.etag"].as_str().unwrap_or("")),
        rows(name, table, &record),
    );
    if let Some(nav) = party_navigation(table) {
        let parties = api::get(org, host, &format!("{}({id})/{nav}", table.entity_set_name))?;
        body.push_str(&activity_parties(name, &parties));
    }
    Ok(Page { title, org: Some(name), scripts: &["record.js"], body }.render())
}

/// The `id` parameter: a GUID, with or without the braces Dynamics URLs often carry.
fn record_id(id: Option<&str>) -> Result<Uuid, Problem> {
    let raw = id.ok_or_else(|| Problem::bad_request("The address names no record: add id=<guid>."))?;
    let trimmed = raw.trim().trim_start_matches('{').trim_end_matches('}');
    Uuid::parse_str(trimmed).map_err(|_| Problem::bad_request(format!("'{raw}' is not a record id (a GUID).")))
}

/// One row per property the record has: the table's columns in name order, then anything
/// else the Web API returned.
fn rows(org: &str, table: &EntityDef, record: &Value) -> String {
    let Some(object) = record.as_object() else { return String::new() };
    let mut shown = HashSet::new();
    let mut columns: Vec<&AttributeDef> = table.attributes.iter().collect();
    columns.sort_by(|a, b| a.logical_name.cmp(&b.logical_name));
    let mut out = String::new();
    for a in columns {
        let property = super::grid::property(a);
        if object.contains_key(&property) {
            out.push_str(&row(org, Some(a), &property, record));
            shown.insert(property);
        }
    }
    for key in object.keys().filter(|k| !k.contains('@') && !shown.contains(*k)) {
        out.push_str(&row(org, None, key, record));
    }
    out
}

fn row(org: &str, column: Option<&AttributeDef>, property: &str, record: &Value) -> String {
    let value = &record[property];
    let label = column.and_then(|c| c.display_name.as_deref()).unwrap_or(property);
    let logical = column.map_or(property, |c| c.logical_name.as_str());
    let edit = column.map(edit_attributes).unwrap_or_default();
    format!(
        "<tr data-column=\"{col}\"><th>{label} <code>{col}</code></th><td class=\"value\"{edit}>{shown}</td><td class=\"raw\"><code>{raw}</code></td></tr>",
        col = esc(logical),
        label = esc(label),
        shown = display(org, property, record),
        raw = esc(&raw_text(value)),
    )
}

/// How a value reads: lookups link to their record, other values show their formatted text.
fn display(org: &str, property: &str, record: &Value) -> String {
    let value = &record[property];
    if value.is_null() {
        return "<span class=\"null\">—</span>".into();
    }
    let formatted = record[format!("{property}{FORMATTED}")].as_str();
    match (record[format!("{property}{LOOKUP_TABLE}")].as_str(), value.as_str()) {
        (Some(target), Some(id)) => format!(
            "<a class=\"lookup\" href=\"{}\">{}</a> <small>{}</small>",
            href("record", &[("org", org), ("etn", target), ("id", id)]),
            esc(formatted.unwrap_or(id)),
            esc(target)
        ),
        _ => esc(&formatted.map_or_else(|| raw_text(value), str::to_string)),
    }
}

fn raw_text(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// What `record.js` needs to edit a column: its kind, and the options of a choice; nothing
/// for columns the page doesn't edit (read-only ones, lookups, state and status).
fn edit_attributes(a: &AttributeDef) -> String {
    let kind = match a.kind {
        AttributeType::String | AttributeType::Memo => "text",
        AttributeType::Integer | AttributeType::BigInt => "integer",
        AttributeType::Decimal | AttributeType::Double | AttributeType::Money => "number",
        AttributeType::DateTime => "datetime",
        AttributeType::Boolean => "boolean",
        AttributeType::Picklist => "choice",
        _ => return String::new(),
    };
    if !a.valid_for_update || a.attribute_of.is_some() {
        return String::new();
    }
    let options: Vec<Value> = match a.kind {
        AttributeType::Boolean if a.options.len() == 2 => a.options.iter().map(|o| json!([o.value != 0, o.label])).collect(),
        AttributeType::Boolean => vec![json!([false, "No"]), json!([true, "Yes"])],
        _ => a.options.iter().map(|o| json!([o.value, o.label])).collect(),
    };
    let options = if options.is_empty() { String::new() } else { format!(" data-options=\"{}\"", esc(&Value::Array(options).to_string())) };
    format!(" data-edit=\"{kind}\" data-property=\"{}\"{options}", esc(&a.logical_name))
}

/// The collection navigation from an activity to its parties (`phonecall_activity_parties`).
fn party_navigation(table: &EntityDef) -> Option<&str> {
    if !table.is_activity {
        return None;
    }
    table.one_to_many.iter().find(|r| r.referencing_entity == "activityparty" && r.referencing_attribute == "activityid").and_then(|r| r.referenced_nav.as_deref())
}

fn activity_parties(org: &str, parties: &Value) -> String {
    let mut out = String::from("<h2>Activity parties</h2><table id=\"activity-parties\" class=\"grid\"><thead><tr><th>Participation</th><th>Party</th><th>Address used</th></tr></thead><tbody>");
    for p in parties["value"].as_array().into_iter().flatten() {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            display(org, "participationtypemask", p),
            display(org, "_partyid_value", p),
            display(org, "addressused", p)
        );
    }
    out.push_str("</tbody></table>");
    out
}
