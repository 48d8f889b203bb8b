//! Playing a scenario against one target.

use bytes::Bytes;
use http::Method;
use serde_json::Value;

use crate::matcher::match_value;
use crate::scenario::{Expect, Loaded, Step};
use crate::target::Target;
use crate::template::Vars;

/// How a scenario ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    /// Not run or not counted, with the reason (a known difference, a missing capability).
    ExpectedUnsupported(String),
}

/// Which part of the scenario a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Setup,
    Step,
    Cleanup,
}

/// What one step sent and got back.
#[derive(Debug, Clone)]
pub struct StepRecord {
    pub phase: Phase,
    pub name: String,
    pub method: String,
    pub url: String,
    /// None when the request could not be sent (or the step was skipped).
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub json: Option<Value>,
    pub failures: Vec<String>,
    pub skipped: bool,
}

/// The result of one scenario on one target.
#[derive(Debug, Clone)]
pub struct ScenarioResult {
    pub name: String,
    pub file: String,
    pub outcome: Outcome,
    /// Every failed expectation, prefixed with its step.
    pub failures: Vec<String>,
    pub steps: Vec<StepRecord>,
}

/// Settings for a run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The `${run}` prefix: unique per run so names never collide with earlier runs.
    pub run: String,
    /// Count scenarios marked `known_difference` as ordinary ones (against a live org).
    pub ignore_known_differences: bool,
}

impl RunOptions {
    pub fn new(ignore_known_differences: bool) -> RunOptions {
        let id = uuid::Uuid::new_v4().simple().to_string();
        RunOptions { run: format!("conf-sc-{}", &id[..8]), ignore_known_differences }
    }
}

/// Plays every phase of a scenario, then decides its outcome.
pub async fn run_scenario(target: &Target, loaded: &Loaded, opts: &RunOptions) -> ScenarioResult {
    let sc = &loaded.scenario;
    let file = loaded.path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    if sc.requires.iter().any(|r| r == "strict-auth") && target.token.is_none() {
        return ScenarioResult {
            name: sc.name.clone(),
            file,
            outcome: Outcome::ExpectedUnsupported("needs a target that checks tokens (run the runner with credentials)".into()),
            failures: Vec::new(),
            steps: Vec::new(),
        };
    }
    // `/_emulator/…` (faults, journal, clock) exists only on the emulator.
    if sc.requires.iter().any(|r| r == "emulator-admin") && !target.label.starts_with("emulator") {
        return ScenarioResult {
            name: sc.name.clone(),
            file,
            outcome: Outcome::ExpectedUnsupported("uses the emulator's admin API".into()),
            failures: Vec::new(),
            steps: Vec::new(),
        };
    }
    let mut vars = Vars::new(&opts.run, &target.base, &target.origin);
    let mut steps = Vec::new();
    let mut stopped = false;
    for (phase, list) in [(Phase::Setup, &sc.setup), (Phase::Step, &sc.steps)] {
        for step in list {
            if stopped {
                steps.push(skipped(phase, step));
                continue;
            }
            let rec = run_step(target, step, phase, &mut vars).await;
            stopped = !rec.failures.is_empty();
            steps.push(rec);
        }
    }
    for step in &sc.cleanup {
        if !vars.can_expand(&step.request.path) {
            steps.push(skipped(Phase::Cleanup, step));
            continue;
        }
        steps.push(run_step(target, step, Phase::Cleanup, &mut vars).await);
    }
    let failures: Vec<String> = steps.iter().flat_map(|s| s.failures.iter().map(move |f| format!("{}: {f}", s.name))).collect();
    let cleanup_failed = steps.iter().any(|s| s.phase == Phase::Cleanup && !s.failures.is_empty());
    let outcome = match (&sc.known_difference, failures.is_empty()) {
        _ if cleanup_failed => Outcome::Fail,
        (Some(_), true) if !opts.ignore_known_differences => Outcome::Fail,
        (Some(why), false) if !opts.ignore_known_differences => Outcome::ExpectedUnsupported(why.clone()),
        (_, true) => Outcome::Pass,
        (_, false) => Outcome::Fail,
    };
    let mut failures = failures;
    if sc.known_difference.is_some() && !opts.ignore_known_differences && outcome == Outcome::Fail && !cleanup_failed {
        failures.push("the scenario passes although it is marked known_difference: remove the mark".into());
    }
    ScenarioResult { name: sc.name.clone(), file, outcome, failures, steps }
}

fn step_name(step: &Step) -> String {
    step.name.clone().unwrap_or_else(|| format!("{} {}", step.request.method, step.request.path))
}

fn skipped(phase: Phase, step: &Step) -> StepRecord {
    StepRecord {
        phase,
        name: step_name(step),
        method: step.request.method.clone(),
        url: step.request.path.clone(),
        status: None,
        headers: Vec::new(),
        text: String::new(),
        json: None,
        failures: Vec::new(),
        skipped: true,
    }
}

/// The headers every Dataverse client sends (wire reference §0.1).
const DEFAULT_HEADERS: [(&str, &str); 3] = [("Accept", "application/json"), ("OData-MaxVersion", "4.0"), ("OData-Version", "4.0")];

/// Builds and sends one step's request, then checks its expectations.
pub async fn run_step(target: &Target, step: &Step, phase: Phase, vars: &mut Vars) -> StepRecord {
    let mut rec = skipped(phase, step);
    rec.skipped = false;
    let built = build(target, step, vars);
    let (method, path, headers, body) = match built {
        Ok(b) => b,
        Err(e) => {
            rec.failures.push(format!("cannot build the request: {e}"));
            return rec;
        }
    };
    rec.url = target.url(&path);
    let res = match target.send(method, &path, &headers, body).await {
        Ok(r) => r,
        Err(e) => {
            rec.failures.push(format!("request failed: {e}"));
            return rec;
        }
    };
    rec.status = Some(res.status.as_u16());
    rec.headers = res.headers.iter().map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect();
    rec.text = res.text();
    rec.json = serde_json::from_slice(&res.body).ok();
    if let Some(expect) = &step.expect {
        check(expect, &res, rec.json.as_ref(), &rec.text, vars, &mut rec.failures);
    }
    rec
}

type Built = (Method, String, Vec<(String, String)>, Bytes);

fn build(target: &Target, step: &Step, vars: &mut Vars) -> Result<Built, String> {
    let r = &step.request;
    let method = Method::from_bytes(r.method.as_bytes()).map_err(|e| e.to_string())?;
    let path = vars.expand(&r.path)?;
    let mut headers: Vec<(String, String)> = DEFAULT_HEADERS.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let body = match (&r.json, &r.body) {
        (Some(_), Some(_)) => return Err("a request has either json or body, not both".into()),
        (Some(j), None) => {
            headers.push(("Content-Type".into(), "application/json".into()));
            Bytes::from(serde_json::to_vec(&vars.expand_json(j)?).map_err(|e| e.to_string())?)
        }
        (None, Some(b)) => {
            let text = vars.expand(b)?;
            Bytes::from(if r.crlf { text.replace("\r\n", "\n").replace('\n', "\r\n") } else { text })
        }
        (None, None) => Bytes::new(),
    };
    if r.auth {
        if let Some(token) = &target.token {
            headers.push(("Authorization".into(), format!("Bearer {token}")));
        }
    }
    for (name, value) in &r.headers {
        headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        match value {
            Value::Null => {}
            Value::String(s) => headers.push((name.clone(), vars.expand(s)?)),
            other => headers.push((name.clone(), other.to_string())),
        }
    }
    Ok((method, path, headers, body))
}

fn check(expect: &Expect, res: &crate::http::Response, json: Option<&Value>, text: &str, vars: &mut Vars, failures: &mut Vec<String>) {
    if let Some(want) = &expect.status {
        let allowed: Vec<u64> = match want {
            Value::Array(list) => list.iter().filter_map(Value::as_u64).collect(),
            one => one.as_u64().into_iter().collect(),
        };
        if !allowed.contains(&u64::from(res.status.as_u16())) {
            failures.push(format!("status: expected {want}, got {} (body: {})", res.status.as_u16(), crate::matcher::short(&Value::String(text.to_string()))));
        }
    }
    for (name, want) in &expect.headers {
        let got = res.header(name).map(Value::String);
        match_value(want, got.as_ref(), &format!("header {name}"), vars, failures);
    }
    if let Some(want) = &expect.json {
        match json {
            Some(j) => match_value(want, Some(j), "", vars, failures),
            None => failures.push(format!("body: expected JSON, got {:?}", crate::matcher::short(&Value::String(text.to_string())))),
        }
    }
    if let Some(want) = &expect.body {
        match_value(want, Some(&Value::String(text.to_string())), "body", vars, failures);
    }
}
