//! `replay`: the recorded exchanges played against an emulator loaded with the recording's
//! seed state; every step whose response differs from the recorded one is reported.

use std::path::{Path, PathBuf};

use conformance_runner::run::{run_step, Outcome, Phase, RunOptions, ScenarioResult};
use conformance_runner::template::Vars;
use conformance_runner::scenario::load_file;

use super::seed::{build_fixture, Seed};
use crate::embed::Emulator;

/// The recording's files in its directory.
pub const SCENARIO_FILE: &str = "scenario.json";
/// The seed records, by entity set.
pub const SEED_FILE: &str = "seed.json";
/// Where replay writes the fixture it builds (usable with `serve --fixtures` too).
pub const FIXTURE_DIR: &str = "fixture";

/// What `fixture-from-recording` writes next to the fixture: the recording's writes as a
/// scenario (the same format as `scenario.json`), the exchanges a fixed integration must
/// still produce against the fixture.
pub const WRITES_FILE: &str = "expected-writes.json";

/// The base fixture's files: the embedded default org when None; a directory with an
/// `org.json` as it is; a directory of tables only (what `import-schema` writes) laid over
/// the default org, its tables replacing the default's of the same name.
fn base_files(base: Option<&Path>) -> Result<Vec<(String, String)>, String> {
    let default: Vec<(String, String)> = fixtures::DEFAULT_ORG.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect();
    let Some(b) = base else { return Ok(default) };
    let files = crate::org::read_fixture_dir(b).map_err(|e| format!("{}: {e}", b.display()))?;
    if files.iter().any(|(p, _)| p == "org.json") {
        return Ok(files);
    }
    if !files.iter().any(|(p, _)| p.starts_with("tables/")) {
        return Err(format!("{}: neither a fixture (org.json) nor imported tables (tables/)", b.display()));
    }
    let mut merged: std::collections::BTreeMap<String, String> = default.into_iter().collect();
    merged.extend(files.into_iter().filter(|(p, _)| p.starts_with("tables/")));
    Ok(merged.into_iter().collect())
}

/// Builds `dir/fixture` from `base` (see `base_files`) and the seed, and returns its
/// path and notes about seed records and lookups left out.
pub fn write_fixture(dir: &Path, base: Option<&Path>) -> Result<(PathBuf, Vec<String>), String> {
    write_fixture_to(dir, base, &dir.join(FIXTURE_DIR))
}

fn write_fixture_to(dir: &Path, base: Option<&Path>, out: &Path) -> Result<(PathBuf, Vec<String>), String> {
    let base_files = base_files(base)?;
    let seed_path = dir.join(SEED_FILE);
    let seed: Seed = match std::fs::read_to_string(&seed_path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| format!("{}: {e}", seed_path.display()))?,
        Err(_) => Seed::default(),
    };
    let (files, notes) = build_fixture(&base_files, &seed)?;
    // Check the fixture loads before writing it, so a bad one never lands on disk.
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    crate::Org::from_files(&refs, crate::Clock::system()).map_err(|e| format!("the fixture built from the recording does not load: {}", e.message()))?;
    for (rel, text) in files {
        let path = out.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok((out.to_path_buf(), notes))
}

/// `fixture-from-recording`: the reads of the recording in `dir` become the fixture's
/// seed records (written to `out`, default `dir/fixture`), its writes (every request
/// that is not a GET) become `out/expected-writes.json`. Returns the fixture's path, the
/// number of expected writes, and notes.
pub fn fixture_from_recording(dir: &Path, base: Option<&Path>, out: Option<&Path>) -> Result<(PathBuf, usize, Vec<String>), String> {
    let out = out.map_or_else(|| dir.join(FIXTURE_DIR), Path::to_path_buf);
    let recording = load_file(&dir.join(SCENARIO_FILE))?;
    let (fixture, notes) = write_fixture_to(dir, base, &out)?;
    let mut writes = recording.scenario;
    writes.name = format!("expected writes of {}", writes.name);
    writes.description = "The writes of a recording (`dataverse-emulator fixture-from-recording`): run with the conformance runner against the fixture beside it.".into();
    writes.steps.retain(|s| !s.request.method.eq_ignore_ascii_case("GET") && !s.request.method.eq_ignore_ascii_case("HEAD"));
    let count = writes.steps.len();
    let text = serde_json::to_string_pretty(&writes).map_err(|e| e.to_string())? + "\n";
    let path = fixture.join(WRITES_FILE);
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((fixture, count, notes))
}

/// Replays the recording in `dir` against a fresh in-process emulator serving its fixture.
/// Unlike a conformance run, a failing step does not stop the replay: every step is
/// played and every difference reported (a later step may still depend on an earlier
/// one, e.g. a read of a record whose create failed, and then differs too).
pub async fn replay(dir: &Path, base: Option<&Path>) -> Result<(ScenarioResult, Vec<String>), String> {
    let (fixture, notes) = write_fixture(dir, base)?;
    let loaded = load_file(&dir.join(SCENARIO_FILE))?;
    let emu = Emulator::builder().fixture(fixture).try_start().await?;
    let client = conformance_runner::http::Client::new(None)?;
    let target = conformance_runner::target::Target::new("emulator", &emu.web_api_url(), client, None)?;
    let options = RunOptions::new(true);
    let sc = &loaded.scenario;
    let mut vars = Vars::new(&options.run, &target.base, &target.origin);
    let mut steps = Vec::new();
    for (phase, list) in [(Phase::Setup, &sc.setup), (Phase::Step, &sc.steps)] {
        for step in list {
            steps.push(run_step(&target, step, phase, &mut vars).await);
        }
    }
    let failures: Vec<String> = steps.iter().flat_map(|s| s.failures.iter().map(move |f| format!("{}: {f}", s.name))).collect();
    let outcome = if failures.is_empty() { Outcome::Pass } else { Outcome::Fail };
    let file = loaded.path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    Ok((ScenarioResult { name: sc.name.clone(), file, outcome, failures, steps }, notes))
}
