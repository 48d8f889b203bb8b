//! `/_emulator/orgs/<org>/snapshots…`: named snapshots of an org's data and schema.
//!
//! | method and path | does |
//! |---|---|
//! | `GET …/snapshots` | lists them |
//! | `POST …/snapshots` `{"name"}` | saves the org's current state (replacing a snapshot of that name) |
//! | `GET …/snapshots/<snap>` | one snapshot |
//! | `DELETE …/snapshots/<snap>` | forgets it |
//! | `POST …/snapshots/<snap>/restore` | puts the org back to it |
//! | `GET …/snapshots/<snap>/export` | the snapshot as a file (below) |
//! | `POST …/snapshots/import[?name=…]` | adds a snapshot from such a file |
//!
//! Saving and restoring in memory copy no rows (see [`crate::store::snapshot`]). The file
//! is JSON: `format`/`formatVersion`, the `fixture` it builds on, `schema` (the tables the
//! org added or changed, whole, in the fixture table shape, and the tables it removed),
//! and `data` (every row with its id, row version and typed values, and every N:N pair).
//! The state file ([`crate::persist`]) stores orgs in the same form.

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use serde_json::{json, Value as Json};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{body, query_param, reply, AdminError, AdminResult};
use crate::metadata::save::{apply_schema_changes, schema_changes};
use crate::org::{Fixture, Org, Orgs, SavedSnapshot};
use crate::store::snapshot::{rows_to_json, state_from_json};
use crate::store::Snapshot;
use crate::wire::response::Reply;

/// The `format` of an exported snapshot file.
pub const FORMAT: &str = "dataverse-emulator/snapshot";
/// The file format's version; files of a later version are refused.
pub const FORMAT_VERSION: u64 = 1;

/// Routes `…/snapshots…` for `org`.
pub fn handle(orgs: &Orgs, org: &Arc<Org>, req: &Request<Bytes>, rest: &[&str]) -> AdminResult {
    let method = req.method();
    let post_only = || if method == Method::POST { Ok(()) } else { Err(AdminError::method_not_allowed(req, &[Method::POST])) };
    match rest {
        [] => match *method {
            Method::GET => {
                let value: Vec<Json> = org.saved_snapshots().iter().map(|(n, s)| describe(org, n, s)).collect();
                Ok(reply(StatusCode::OK, &json!({ "value": value })))
            }
            Method::POST => {
                let body = body(req)?;
                let name = body.get("name").and_then(Json::as_str).ok_or_else(|| AdminError::bad_request("The body must name the snapshot: {\"name\": \"…\"}."))?;
                check_name(name)?;
                let saved = SavedSnapshot { taken_at: org.clock.now(), snapshot: org.store.snapshot() };
                let replaced = org.saved_snapshots().insert(name.to_string(), saved.clone()).is_some();
                let status = if replaced { StatusCode::OK } else { StatusCode::CREATED };
                Ok(reply(status, &describe(org, name, &saved)))
            }
            _ => Err(AdminError::method_not_allowed(req, &[Method::GET, Method::POST])),
        },
        ["import"] => {
            post_only()?;
            let file = body(req)?;
            let name = query_param(req, "name").or_else(|| file.get("name").and_then(Json::as_str)).unwrap_or("imported").to_string();
            check_name(&name)?;
            let saved = import(orgs, &file).map_err(|e| AdminError::bad_request(format!("The snapshot file can't be imported: {e}")))?;
            org.saved_snapshots().insert(name.clone(), saved.clone());
            Ok(reply(StatusCode::CREATED, &describe(org, &name, &saved)))
        }
        [name] => match *method {
            Method::GET => Ok(reply(StatusCode::OK, &describe(org, name, &find(org, name)?))),
            Method::DELETE => {
                org.saved_snapshots().remove(*name).ok_or_else(|| not_found(org, name))?;
                Ok(Reply::empty(StatusCode::NO_CONTENT))
            }
            _ => Err(AdminError::method_not_allowed(req, &[Method::GET, Method::DELETE])),
        },
        [name, "restore"] => {
            post_only()?;
            let saved = find(org, name)?;
            org.store.restore(&saved.snapshot);
            Ok(reply(StatusCode::OK, &describe(org, name, &saved)))
        }
        [name, "export"] => {
            if method != Method::GET {
                return Err(AdminError::method_not_allowed(req, &[Method::GET]));
            }
            let saved = find(org, name)?;
            let file = export(org, name, &saved);
            let filename = format!("{}-{name}.snapshot.json", org.settings.name);
            Ok(reply(StatusCode::OK, &file).header("content-disposition", format!("attachment; filename=\"{filename}\"")))
        }
        _ => Err(AdminError::not_found(format!("No admin endpoint at '{}'.", req.uri().path()))),
    }
}

/// Snapshot names: 1 to 100 letters, digits, `.`, `_` or `-` (they appear in URLs and file
/// names), and not `import`.
fn check_name(name: &str) -> Result<(), AdminError> {
    let ok = !name.is_empty() && name.len() <= 100 && name != "import" && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(AdminError::bad_request(format!("'{name}' is not a valid snapshot name: use 1 to 100 letters, digits, '.', '_' or '-' (and not 'import').")))
    }
}

fn not_found(org: &Org, name: &str) -> AdminError {
    AdminError::not_found(format!("The org '{}' has no snapshot named '{name}'.", org.settings.name))
}

fn find(org: &Org, name: &str) -> Result<SavedSnapshot, AdminError> {
    org.saved_snapshots().get(name).cloned().ok_or_else(|| not_found(org, name))
}

fn describe(org: &Org, name: &str, saved: &SavedSnapshot) -> Json {
    json!({
        "name": name,
        "org": org.settings.name,
        "takenAt": saved.taken_at.format(&Rfc3339).unwrap_or_default(),
        "rows": saved.snapshot.row_count(),
    })
}

/// The portable form of a snapshot: the fixture it builds on, how its schema differs from
/// that fixture's, and all its data.
pub fn encode(fixture: &Fixture, snapshot: &Snapshot) -> Json {
    json!({
        "fixture": fixture.settings.name,
        "schema": schema_changes(&fixture.snapshot.metadata, &snapshot.metadata),
        "data": rows_to_json(&snapshot.state),
    })
}

/// The inverse of [`encode`]; the fixture it names must be one this emulator has. A
/// snapshot without schema changes shares the fixture's schema.
pub fn decode(orgs: &Orgs, body: &Json) -> Result<Snapshot, String> {
    let name = body.get("fixture").and_then(Json::as_str).ok_or("'fixture' is missing")?;
    let fixture = orgs.fixture(name).ok_or_else(|| format!("it builds on the fixture '{name}', which this emulator does not have (it has {})", orgs.fixture_names().join(", ")))?;
    let base = &fixture.snapshot.metadata;
    let schema = body.get("schema").cloned().unwrap_or(Json::Null);
    let unchanged = ["tables", "removedTables"].iter().all(|k| schema.get(k).and_then(Json::as_array).is_none_or(|a| a.is_empty()));
    let metadata = if unchanged { base.clone() } else { Arc::new(apply_schema_changes(base, &schema)?) };
    let state = state_from_json(&metadata, body.get("data").unwrap_or(&Json::Null))?;
    Ok(Snapshot { state: Arc::new(state), metadata })
}

/// The export file of `org`'s snapshot `name`.
pub fn export(org: &Org, name: &str, saved: &SavedSnapshot) -> Json {
    let mut file = json!({
        "format": FORMAT,
        "formatVersion": FORMAT_VERSION,
        "emulatorVersion": env!("CARGO_PKG_VERSION"),
        "name": name,
        "org": org.settings.name,
        "takenAt": saved.taken_at.format(&Rfc3339).unwrap_or_default(),
    });
    if let (Some(f), Json::Object(body)) = (file.as_object_mut(), encode(&org.fixture, &saved.snapshot)) {
        f.extend(body);
    }
    file
}

/// Reads an export file.
pub fn import(orgs: &Orgs, file: &Json) -> Result<SavedSnapshot, String> {
    check_format(file, FORMAT)?;
    let taken_at = file.get("takenAt").and_then(Json::as_str).and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok()).unwrap_or_else(OffsetDateTime::now_utc);
    Ok(SavedSnapshot { taken_at, snapshot: decode(orgs, file)? })
}

/// Checks a file's `format` and `formatVersion`.
pub fn check_format(file: &Json, format: &str) -> Result<(), String> {
    if file.get("format").and_then(Json::as_str) != Some(format) {
        return Err(format!("'format' must be \"{format}\""));
    }
    match file.get("formatVersion").and_then(Json::as_u64) {
        Some(v) if v <= FORMAT_VERSION => Ok(()),
        Some(v) => Err(format!("formatVersion {v} is newer than this emulator reads ({FORMAT_VERSION})")),
        None => Err("'formatVersion' is missing".into()),
    }
}
