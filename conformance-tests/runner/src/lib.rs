//! The raw-HTTP conformance runner: plays the declarative scenarios in
//! `conformance-tests/scenarios/*.json` against the emulator or a live Dataverse org,
//! checks each response against the scenario's expectations, and with two targets writes
//! a diff report of where they disagree. See `conformance-tests/README.md`.
//!
//! Modules: [`scenario`] (the file format), [`template`] (`${var}`), [`matcher`]
//! (expectations), [`http`] and [`target`] (sending), [`run`] (one scenario on one
//! target), [`normalize`] and [`diff`] (two targets), [`record`] (writing expectations
//! from a live run), [`report`] (tables, JSON), [`spawn`] (starting an emulator binary).

pub mod diff;
pub mod http;
pub mod matcher;
pub mod normalize;
pub mod record;
pub mod report;
pub mod run;
pub mod scenario;
pub mod spawn;
pub mod target;
pub mod template;

use std::path::PathBuf;

/// The corpus shipped with the repository.
pub fn default_scenario_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("scenarios")
}

/// Plays each scenario in turn on `target`.
pub async fn run_all(target: &target::Target, scenarios: &[scenario::Loaded], opts: &run::RunOptions) -> Vec<run::ScenarioResult> {
    let mut out = Vec::with_capacity(scenarios.len());
    for s in scenarios {
        out.push(run::run_scenario(target, s, opts).await);
    }
    out
}
