//! Plays the whole raw-HTTP scenario corpus (`conformance-tests/scenarios`, through the
//! `conformance-runner` library) against an in-process emulator in strict auth mode, with a
//! token from its own token endpoint, so `cargo test --workspace` covers the corpus and the
//! runner. (It lives here, not in the runner, because the emulator uses the runner's library
//! for record/replay: a dev-dependency back would be a cycle cargo can't build doctests for.) A scenario marked `known_difference` must still fail (expected-unsupported).

use conformance_runner::run::{Outcome, RunOptions};
use conformance_runner::target::{client_credentials_token, Credentials, Target};
use conformance_runner::{default_scenario_dir, report, run_all, scenario};
use dataverse_emulator::auth::AuthMode;
use dataverse_emulator::{App, Clock, Config, Org, Orgs};
use tokio::sync::oneshot;

/// Starts the default org on 127.0.0.1:0; returns its origin, its app's credentials and
/// the handle that stops it.
async fn start_emulator() -> (String, Credentials, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let org = Org::default_org(Clock::system()).expect("default org loads");
    let app_creds = &org.settings.applications[0];
    let (tenant, client_id, client_secret) = (org.settings.tenant_id.to_string(), app_creds.client_id.to_string(), app_creds.client_secret.clone());
    let app = App::new(Orgs::single(org), Config { auth: AuthMode::Strict, ..Config::default() });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        dataverse_emulator::run(listener, app, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    let creds = Credentials { authority: origin.clone(), tenant, client_id, client_secret };
    (origin, creds, tx, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scenario_corpus_passes_against_the_emulator() {
    let scenarios = scenario::load_dir(&default_scenario_dir()).expect("scenario files parse");
    assert!(scenarios.len() >= 25, "the corpus has {} scenarios", scenarios.len());
    let (origin, creds, stop, task) = start_emulator().await;
    let client = conformance_runner::http::Client::new(None).unwrap();
    let mut target = Target::new("emulator (in-process)", &origin, client.clone(), None).unwrap();
    target.token = Some(client_credentials_token(&client, &creds, &origin).await.expect("token"));

    let results = run_all(&target, &scenarios, &RunOptions::new(false)).await;
    report::print_table(&target.label, &results);
    let _ = stop.send(());
    let _ = task.await;

    let failed: Vec<String> = results.iter().filter(|r| r.outcome == Outcome::Fail).map(|r| format!("{} ({}):\n  {}", r.name, r.file, r.failures.join("\n  "))).collect();
    assert!(failed.is_empty(), "failing scenarios:\n{}", failed.join("\n"));
    for r in &results {
        if let Outcome::ExpectedUnsupported(why) = &r.outcome {
            let marked = scenarios.iter().find(|s| s.scenario.name == r.name).and_then(|s| s.scenario.known_difference.as_ref());
            assert_eq!(marked, Some(why), "{} is expected-unsupported only through its known_difference mark", r.name);
        }
    }
}

#[test]
fn scenario_names_are_unique_and_files_are_canonical() {
    let scenarios = scenario::load_dir(&default_scenario_dir()).expect("scenario files parse");
    let mut names: Vec<&str> = scenarios.iter().map(|s| s.scenario.name.as_str()).collect();
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "two scenarios share a name");
    for s in &scenarios {
        assert!(!s.scenario.steps.is_empty(), "{} has no steps", s.path.display());
        assert!(s.scenario.reference.is_some(), "{} names no reference for its expectations", s.path.display());
    }
}
