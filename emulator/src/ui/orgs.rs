//! The org picker: every org the process serves, with its fixture and record count.

use crate::app::App;

use super::html::{esc, href, table, Page};

/// `/_emulator/ui/`.
pub fn page(app: &App) -> String {
    let rows = app.orgs().list().into_iter().map(|(name, org)| {
        let records: usize = {
            let state = org.store.read();
            org.store.metadata().entities().filter_map(|e| state.table(&e.logical_name)).map(|t| t.len()).sum()
        };
        let friendly = org.settings.friendly_name.clone().unwrap_or_default();
        vec![
            format!("<a class=\"org-link\" href=\"{}\">{}</a>", href("tables", &[("org", &name)]), esc(&name)),
            esc(&friendly),
            esc(&org.fixture.settings.name),
            records.to_string(),
            format!("<code>/org/{}/api/data/v9.2/</code>", esc(&name)),
        ]
    });
    let body = format!(
        "<p>Pick an org. Create more with <code>POST /_emulator/orgs</code>.</p>{}",
        table("orgs", &["Org", "Name", "Fixture", "Records", "Web API"], rows)
    );
    Page { title: "Orgs".into(), org: None, scripts: &[], body }.render()
}
