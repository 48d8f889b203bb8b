//! `replay`: the recorded exchanges played against an emulator loaded with the recording's
//! seed state; every step whose response differs from the recorded one is reported.

use std::path::{Path, PathBuf};

use conformance_runner::run::{run_scenario, RunOptions, ScenarioResult};
use conformance_runner::scenario::load_file;

use super::seed::{build_fixture, Seed};
use crate::embed::Emulator;

/// The recording's files in its directory.
pub const SCENARIO_FILE: &str = "scenario.json";
/// The seed records, by entity set.
pub const SEED_FILE: &str = "seed.json";
/// Where replay writes the fixture it builds (usable with `serve --fixtures` too).
pub const FIXTURE_DIR: &str = "fixture";

/// Builds `dir/fixture` from `base` (the embedded default org when None) and the seed,
/// and returns its path and notes about seed records left out.
pub fn write_fixture(dir: &Path, base: Option<&Path>) -> Result<(PathBuf, Vec<String>), String> {
    let base_files: Vec<(String, String)> = match base {
        Some(b) => crate::org::read_fixture_dir(b).map_err(|e| format!("{}: {e}", b.display()))?,
        None => fixtures::DEFAULT_ORG.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect(),
    };
    let seed_path = dir.join(SEED_FILE);
    let seed: Seed = match std::fs::read_to_string(&seed_path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| format!("{}: {e}", seed_path.display()))?,
        Err(_) => Seed::default(),
    };
    let (files, notes) = build_fixture(&base_files, &seed)?;
    let out = dir.join(FIXTURE_DIR);
    for (rel, text) in files {
        let path = out.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok((out, notes))
}

/// Replays the recording in `dir` against a fresh in-process emulator serving its fixture.
pub async fn replay(dir: &Path, base: Option<&Path>) -> Result<(ScenarioResult, Vec<String>), String> {
    let (fixture, notes) = write_fixture(dir, base)?;
    let scenario = load_file(&dir.join(SCENARIO_FILE))?;
    let emu = Emulator::builder().fixture(fixture).try_start().await?;
    let client = conformance_runner::http::Client::new(None)?;
    let target = conformance_runner::target::Target::new("emulator", &emu.web_api_url(), client, None)?;
    let result = run_scenario(&target, &scenario, &RunOptions::new(true)).await;
    Ok((result, notes))
}
