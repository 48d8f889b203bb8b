//! The table list of one org: every table with its record count, linking to its grid and
//! its metadata.

use crate::org::Org;

use super::html::{esc, href, table, Page};

/// `/_emulator/ui/tables?org=<name>`.
pub fn page(org: &Org) -> String {
    let name = org.settings.name.as_str();
    let metadata = org.store.metadata();
    let state = org.store.read();
    let rows = metadata.entities_sorted().into_iter().map(|e| {
        let count = state.table(&e.logical_name).map_or(0, |t| t.len());
        let display = e.display_collection_name.clone().or_else(|| e.display_name.clone()).unwrap_or_else(|| e.logical_name.clone());
        vec![
            format!("<a class=\"table-link\" href=\"{}\">{}</a>", href("grid", &[("org", name), ("etn", &e.logical_name)]), esc(&display)),
            format!("<code>{}</code>", esc(&e.logical_name)),
            format!("<code>{}</code>", esc(&e.entity_set_name)),
            format!("<span class=\"count\" data-table=\"{}\">{count}</span>", esc(&e.logical_name)),
            format!("<a href=\"{}\">columns, keys, relationships</a>", href("metadata", &[("org", name), ("etn", &e.logical_name)])),
        ]
    });
    let body = table("tables", &["Table", "Logical name", "Entity set", "Records", "Metadata"], rows);
    Page { title: "Tables".into(), org: Some(name), scripts: &[], body }.render()
}
