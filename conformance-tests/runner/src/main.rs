//! `conformance-runner`: plays the scenario corpus against one or two targets.
//!
//! ```text
//! conformance-runner --spawn target/debug/dataverse-emulator            # a fresh emulator
//! conformance-runner --target https://contoso.crm.dynamics.com ...      # a live org (DATAVERSE_* env)
//! conformance-runner --target $DATAVERSE_URL --spawn <bin> --diff-report diff.json   # both, diffed
//! conformance-runner --target $DATAVERSE_URL --record out/ draft.json   # capture expectations
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use conformance_runner::run::{Outcome, RunOptions};
use conformance_runner::scenario::{load_dir, load_file, Loaded};
use conformance_runner::target::{client_credentials_token, Credentials, Target};
use conformance_runner::{diff, http, record, report, run_all, spawn};

#[derive(Parser)]
#[command(name = "conformance-runner", about = "Plays the raw-HTTP Dataverse scenarios against the emulator and/or a live org")]
struct Cli {
    /// Scenario files or directories (default: conformance-tests/scenarios).
    scenarios: Vec<PathBuf>,
    /// An org URL or Web API root to play against (a live org, or a running emulator).
    #[arg(long, env = "DATAVERSE_URL")]
    target: Option<String>,
    /// A bearer token for --target (otherwise one is fetched with the client credentials below).
    #[arg(long, env = "DATAVERSE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[arg(long, env = "DATAVERSE_TENANT_ID")]
    tenant: Option<String>,
    #[arg(long, env = "DATAVERSE_CLIENT_ID")]
    client_id: Option<String>,
    #[arg(long, env = "DATAVERSE_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// The token service for --target's client credentials.
    #[arg(long, env = "DATAVERSE_AUTHORITY", default_value = "https://login.microsoftonline.com")]
    authority: String,
    /// Start this emulator binary (strict auth, a free port) and play against it too.
    #[arg(long)]
    spawn: Option<String>,
    /// Extra CA certificates (PEM) to trust, e.g. an emulator's --tls CA.
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// Count `known_difference` scenarios as ordinary ones on --target (use for a live org;
    /// the spawned emulator always honours the marks).
    #[arg(long)]
    ignore_known_differences: bool,
    /// Only scenarios whose name or file contains this text.
    #[arg(long)]
    only: Option<String>,
    /// Write the pass/fail report (JSON) here.
    #[arg(long)]
    report: Option<PathBuf>,
    /// With two targets, write the diff report (JSON) here.
    #[arg(long)]
    diff_report: Option<PathBuf>,
    /// Write each scenario, with the expectations it lacks filled in from --target's
    /// responses, into this directory.
    #[arg(long)]
    record: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    match real_main(Cli::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn load(paths: &[PathBuf], only: Option<&str>) -> Result<Vec<Loaded>, String> {
    let paths = if paths.is_empty() { vec![conformance_runner::default_scenario_dir()] } else { paths.to_vec() };
    let mut all = Vec::new();
    for p in &paths {
        if p.is_dir() {
            all.extend(load_dir(p)?);
        } else {
            all.push(load_file(p)?);
        }
    }
    if let Some(o) = only {
        all.retain(|l| l.scenario.name.contains(o) || l.path.to_string_lossy().contains(o));
    }
    Ok(all)
}

async fn real_main(cli: Cli) -> Result<ExitCode, String> {
    let scenarios = load(&cli.scenarios, cli.only.as_deref())?;
    let client = http::Client::new(cli.ca_file.as_deref())?;
    let mut targets: Vec<(Target, bool)> = Vec::new();
    if let Some(url) = &cli.target {
        let mut t = Target::new("org", url, client.clone(), None)?;
        t.token = match (&cli.token, &cli.tenant, &cli.client_id, &cli.client_secret) {
            (Some(tok), ..) => Some(tok.clone()),
            (None, Some(tenant), Some(id), Some(secret)) => {
                let creds = Credentials { authority: cli.authority.clone(), tenant: tenant.clone(), client_id: id.clone(), client_secret: secret.clone() };
                Some(client_credentials_token(&client, &creds, &t.origin).await?)
            }
            _ => None,
        };
        targets.push((t, cli.ignore_known_differences));
    }
    let _spawned = match &cli.spawn {
        Some(bin) => {
            let s = spawn::spawn(bin)?;
            let mut t = Target::new("emulator", &s.web_api, client.clone(), None)?;
            t.token = Some(client_credentials_token(&client, &s.credentials, &t.origin).await?);
            targets.push((t, false));
            Some(s)
        }
        None => None,
    };
    if targets.is_empty() {
        return Err("nothing to play against: give --target <url> (or DATAVERSE_URL) and/or --spawn <emulator binary>".into());
    }

    let mut any_failed = false;
    let mut all_results = Vec::new();
    let mut reports = Vec::new();
    for (target, ignore) in &targets {
        let opts = RunOptions::new(*ignore);
        let results = run_all(target, &scenarios, &opts).await;
        report::print_table(&target.label, &results);
        any_failed |= results.iter().any(|r| r.outcome == Outcome::Fail);
        reports.push(report::json_report(&target.label, &results));
        if let Some(dir) = &cli.record {
            write_recorded(dir, &scenarios, &results, target, &opts.run)?;
        }
        all_results.push(results);
    }
    if let Some(path) = &cli.report {
        let body = if reports.len() == 1 { reports.remove(0) } else { serde_json::Value::Array(reports) };
        write_json(path, &body)?;
    }
    if let [(ta, _), (tb, _)] = targets.as_slice() {
        let diffs: Vec<_> = scenarios.iter().zip(all_results[0].iter().zip(&all_results[1])).map(|(s, (a, b))| diff::diff(&s.scenario, ta, a, tb, b)).collect();
        report::print_diff(&ta.label, &tb.label, &diffs);
        if let Some(path) = &cli.diff_report {
            write_json(path, &serde_json::to_value(&diffs).map_err(|e| e.to_string())?)?;
        }
    }
    Ok(if any_failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn write_recorded(dir: &Path, scenarios: &[Loaded], results: &[conformance_runner::run::ScenarioResult], target: &Target, run: &str) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (s, r) in scenarios.iter().zip(results) {
        let recorded = record::record(&s.scenario, r, target, run);
        let name = s.path.file_name().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("scenario.json"));
        write_json(&dir.join(name), &serde_json::to_value(&recorded).map_err(|e| e.to_string())?)?;
    }
    println!("recorded {} scenario(s) into {}", scenarios.len(), dir.display());
    Ok(())
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())? + "\n";
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}
