//! The record grid of one table. The page carries the table's columns; `grid.js` asks the
//! Web API for the rows (`$select`, `$orderby`, `$filter`, `odata.maxpagesize`, following
//! `@odata.nextLink`), so a bad `$filter` shows the parser's own error message.

use serde_json::{json, Value};

use crate::metadata::{AttributeDef, AttributeType, EntityDef};
use crate::org::Org;

use super::html::{esc, href, json_block, Page};
use super::{PageResult, Problem};

/// Rows per page.
pub const PAGE_SIZE: u32 = 25;

/// Text columns shown before the user picks others (after the primary name).
const DEFAULT_TEXT_COLUMNS: usize = 3;

/// `/_emulator/ui/grid?org=<name>&etn=<table>` (and `main.aspx?pagetype=entitylist`).
pub fn page(org: &Org, etn: &str) -> PageResult {
    let metadata = org.store.metadata();
    let table = metadata.entity(etn).ok_or_else(|| Problem::not_found(format!("The org '{}' has no table '{etn}'.", org.settings.name)))?;
    let name = org.settings.name.as_str();
    let meta = json!({
        "table": table.logical_name,
        "entitySet": table.entity_set_name,
        "primaryId": table.primary_id,
        "primaryName": table.primary_name,
        "pageSize": PAGE_SIZE,
        "columns": columns(table),
        "defaults": defaults(table),
    });
    let body = format!(
        "<p class=\"links\"><a href=\"{meta_link}\">Metadata</a> · Entity set <code>{set}</code></p>\
         <form id=\"grid-filter\" class=\"filter\"><label for=\"filter\">$filter</label>\
         <input id=\"filter\" name=\"filter\" autocomplete=\"off\" spellcheck=\"false\" placeholder=\"statecode eq 0 and contains(name,'a')\">\
         <button type=\"submit\" id=\"apply\">Apply</button></form>\
         <pre id=\"grid-error\" class=\"error\" hidden></pre>\
         <details id=\"column-chooser\"><summary>Columns</summary><div id=\"column-list\"></div></details>\
         <div id=\"grid-status\" class=\"status\">Loading…</div>\
         <table id=\"grid\" class=\"grid\"><thead></thead><tbody></tbody></table>\
         <p class=\"pager\"><button id=\"prev\" disabled>Previous</button> <span id=\"page-number\">1</span> <button id=\"next\" disabled>Next</button></p>{block}",
        meta_link = href("metadata", &[("org", name), ("etn", &table.logical_name)]),
        set = esc(&table.entity_set_name),
        block = json_block("grid-meta", &meta),
    );
    let title = table.display_collection_name.clone().unwrap_or_else(|| table.logical_name.clone());
    Ok(Page { title, org: Some(name), scripts: &["grid.js"], body }.render())
}

/// Whether a column can be shown in the grid (`$select`ed and sorted).
fn listable(a: &AttributeDef) -> bool {
    a.valid_for_read
        && !a.hidden
        && a.attribute_of.is_none()
        && !matches!(a.kind, AttributeType::PartyList | AttributeType::ManagedProperty | AttributeType::Virtual | AttributeType::Image | AttributeType::File)
}

/// The property a column is read by: `_<column>_value` for lookups.
pub fn property(a: &AttributeDef) -> String {
    if a.kind.is_lookup() {
        format!("_{}_value", a.logical_name)
    } else {
        a.logical_name.clone()
    }
}

fn columns(table: &EntityDef) -> Value {
    let mut cols: Vec<&AttributeDef> = table.attributes.iter().filter(|a| listable(a)).collect();
    cols.sort_by(|a, b| a.logical_name.cmp(&b.logical_name));
    Value::Array(
        cols.into_iter()
            .map(|a| json!({ "name": a.logical_name, "property": property(a), "label": a.display_name.clone().unwrap_or_else(|| a.logical_name.clone()), "lookup": a.kind.is_lookup() }))
            .collect(),
    )
}

/// The primary name, the first few text columns in definition order, then the owner and
/// when the record last changed: what a person scanning a table wants first.
fn defaults(table: &EntityDef) -> Vec<String> {
    let text = |a: &&AttributeDef| {
        listable(a) && a.valid_for_create && Some(&a.logical_name) != table.primary_name.as_ref() && matches!(a.kind, AttributeType::String)
    };
    let mut columns: Vec<String> = table.primary_name.iter().cloned().collect();
    columns.extend(table.attributes.iter().filter(text).take(DEFAULT_TEXT_COLUMNS).map(|a| a.logical_name.clone()));
    columns.extend(["ownerid", "modifiedon"].into_iter().filter(|c| table.attribute(c).is_some_and(listable)).map(str::to_string));
    columns
}
