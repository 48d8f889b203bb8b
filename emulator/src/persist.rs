//! The state file (`--state-file PATH`): every org's data, schema changes and named
//! snapshots, saved on shutdown (and every N seconds with `--state-save-interval`) and
//! loaded at start, so offline development keeps its data between runs.
//!
//! A save never damages the last good file: it writes `PATH.tmp`, flushes it to disk, and
//! renames it over `PATH`. A crash (or a kill) before the rename leaves `PATH` as it was and
//! at worst a stale `PATH.tmp`, which loading ignores and the next save replaces.
//!
//! The file is JSON: `{"format":"dataverse-emulator/state","formatVersion":1,"orgs":[…]}`,
//! each org in the exported-snapshot form of [`crate::admin::snapshots::encode`] plus its
//! name, its starting point (when that is not its fixture) and its named snapshots.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Map, Value as Json};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::admin::snapshots::{check_format, decode, encode, FORMAT_VERSION};
use crate::org::{Org, Orgs, SavedSnapshot};

/// The `format` of a state file.
pub const FORMAT: &str = "dataverse-emulator/state";

/// A state file, with a lock so that a periodic save and the shutdown save never interleave.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    lock: Mutex<()>,
}

impl StateFile {
    /// The state file at `path` (nothing is read or written yet).
    pub fn new(path: impl Into<PathBuf>) -> StateFile {
        StateFile { path: path.into(), lock: Mutex::new(()) }
    }

    /// Where it lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Saves every org, atomically (see the module docs).
    pub fn save(&self, orgs: &Orgs) -> std::io::Result<()> {
        let _one_at_a_time = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let state = to_json(orgs);
        write_atomically(&self.path, |w| serde_json::to_writer(w, &state).map_err(std::io::Error::other))
    }

    /// Loads the file into `orgs`: the default org takes its saved state, other orgs are
    /// created. Returns how many orgs were loaded; no file means nothing to load. A file
    /// that can't be used is an error (starting without it would overwrite it on shutdown).
    pub fn load(&self, orgs: &Orgs) -> Result<usize, String> {
        let text = match std::fs::read(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(format!("{}: {e}", self.path.display())),
        };
        let json: Json = serde_json::from_slice(&text).map_err(|e| format!("{}: not a state file: {e}", self.path.display()))?;
        from_json(orgs, &json).map_err(|e| format!("{}: {e}", self.path.display()))
    }

    /// Saves every `every` until the task is dropped or aborted; a failed save is logged and
    /// the next one tried. Encoding and writing run on the blocking pool.
    pub async fn save_periodically(self: Arc<Self>, app: crate::App, every: Duration) {
        let mut ticks = tokio::time::interval(every);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let (file, app) = (self.clone(), app.clone());
            match tokio::task::spawn_blocking(move || file.save(app.orgs())).await {
                Ok(Ok(())) => tracing::debug!(path = %self.path.display(), "state saved"),
                Ok(Err(e)) => tracing::warn!(path = %self.path.display(), cause = %e, "could not save the state file"),
                Err(e) => tracing::warn!(cause = %e, "the state save task failed"),
            }
        }
    }
}

/// `path` + `.tmp`: where a save writes before it renames.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

/// Writes a file so that readers see either the old content or the whole new content:
/// `write` fills `PATH.tmp`, which is synced and renamed over `PATH`. If `write` (or
/// anything after it) fails, the temp file is removed and `PATH` is untouched.
pub fn write_atomically(path: &Path, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = temp_path(path);
    let result = (|| {
        let file = File::create(&tmp)?;
        let mut w = BufWriter::new(file);
        write(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename itself is durable once the directory is synced (best effort: not
        // every platform can open a directory).
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn saved_to_json(org: &Org, name: &str, saved: &SavedSnapshot) -> Json {
    let mut body = encode(&org.fixture, &saved.snapshot);
    if let Some(m) = body.as_object_mut() {
        m.insert("name".into(), json!(name));
        m.insert("takenAt".into(), json!(saved.taken_at.format(&Rfc3339).unwrap_or_default()));
    }
    body
}

/// Every org as a state file.
pub fn to_json(orgs: &Orgs) -> Json {
    let list: Vec<Json> = orgs
        .list()
        .into_iter()
        .map(|(name, org)| {
            let mut entry = Map::new();
            entry.insert("name".into(), json!(name));
            if let Json::Object(current) = encode(&org.fixture, &org.store.snapshot()) {
                entry.extend(current);
            }
            let origin = org.origin();
            if !origin.same_as(&org.fixture.snapshot) {
                entry.insert("origin".into(), encode(&org.fixture, &origin));
            }
            let snapshots: Vec<Json> = org.saved_snapshots().iter().map(|(n, s)| saved_to_json(&org, n, s)).collect();
            entry.insert("snapshots".into(), Json::Array(snapshots));
            // Deterministic mode: where the id sequence stands, so a restart goes on from there.
            if let Some(drawn) = org.ids.drawn() {
                entry.insert("idsDrawn".into(), json!(drawn));
            }
            Json::Object(entry)
        })
        .collect();
    json!({
        "format": FORMAT,
        "formatVersion": FORMAT_VERSION,
        "emulatorVersion": env!("CARGO_PKG_VERSION"),
        "savedAt": OffsetDateTime::now_utc().format(&Rfc3339).unwrap_or_default(),
        "defaultOrg": orgs.default_name(),
        "orgs": list,
    })
}

/// Loads a state file's orgs into `orgs` (see [`StateFile::load`]).
pub fn from_json(orgs: &Orgs, file: &Json) -> Result<usize, String> {
    check_format(file, FORMAT)?;
    let list = file.get("orgs").and_then(Json::as_array).ok_or("'orgs' must be an array")?;
    for entry in list {
        let name = entry.get("name").and_then(Json::as_str).ok_or("an org without a 'name'")?;
        let at = |e: String| format!("org '{name}': {e}");
        let current = decode(orgs, entry).map_err(at)?;
        let org = match orgs.get(name) {
            Some(existing) => existing,
            None => {
                let fixture_name = entry.get("fixture").and_then(Json::as_str).unwrap_or_default();
                let fixture = orgs.fixture(fixture_name).ok_or_else(|| at(format!("no fixture '{fixture_name}'")))?;
                let origin = entry.get("origin").map(|o| decode(orgs, o)).transpose().map_err(at)?;
                orgs.insert(Arc::new(Org::from_fixture(name, &fixture, origin))).map_err(|e| at(e.to_string()))?
            }
        };
        org.store.restore(&current);
        if let Some(drawn) = entry.get("idsDrawn").and_then(Json::as_u64) {
            org.ids.skip_to(drawn);
        }
        for s in entry.get("snapshots").and_then(Json::as_array).into_iter().flatten() {
            let snap_name = s.get("name").and_then(Json::as_str).ok_or_else(|| at("a snapshot without a 'name'".into()))?;
            let taken_at = s.get("takenAt").and_then(Json::as_str).and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok()).unwrap_or_else(OffsetDateTime::now_utc);
            let snapshot = decode(orgs, s).map_err(|e| at(format!("snapshot '{snap_name}': {e}")))?;
            org.saved_snapshots().insert(snap_name.to_string(), SavedSnapshot { taken_at, snapshot });
        }
    }
    Ok(list.len())
}
