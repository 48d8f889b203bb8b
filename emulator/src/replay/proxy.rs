//! `record`: a local proxy in front of a real org (or another emulator). Clients point at it
//! as at the emulator; each request is forwarded to the target with the recorder's token
//! (or the client's own), the response is passed back with the target's URLs rewritten to
//! the proxy's, and the exchange is appended to the recording.
//!
//! The recording directory holds `scenario.json` (each exchange a step whose expectations
//! the conformance runner's `--record` generaliser fills in from the response) and
//! `seed.json` (the records responses carried). Both are rewritten after every exchange,
//! so a crash loses at most the exchange in flight. `Authorization` and cookies are never
//! recorded.

use std::net::SocketAddr;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use conformance_runner::record::record;
use conformance_runner::run::{Outcome, Phase, ScenarioResult, StepRecord};
use conformance_runner::scenario::{RequestSpec, Scenario, Step};
use conformance_runner::target::Target;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Map, Value as Json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::play::{SCENARIO_FILE, SEED_FILE};
use super::redact::Redactor;
use super::seed::{entity_set, Seed};

/// Request headers worth replaying; everything else (auth, cookies, transport) is dropped.
const KEPT_REQUEST_HEADERS: [&str; 8] = ["prefer", "if-match", "if-none-match", "accept", "odata-maxversion", "consistencylevel", "mscrm.suppressduplicatedetection", "mscrm.bypasscustompluginexecution"];

/// Never recorded by the generaliser's run prefix: a string no response holds.
const NO_RUN_PREFIX: &str = "\u{1}no-run-prefix\u{1}";

/// A running recorder. Dropping it stops the proxy.
pub struct Recorder {
    addr: SocketAddr,
    state: Arc<Mutex<Recording>>,
    stop: Option<oneshot::Sender<()>>,
}

struct Recording {
    out: PathBuf,
    target: Target,
    scenario: Scenario,
    seed: Seed,
    /// Ids of the records the integration created (from `OData-EntityId`), each with the
    /// variable its step captures it into: not seed state, and replaced by the variable in
    /// later requests, since the replayed emulator gives the record another id.
    created: BTreeMap<String, String>,
    /// Applied to every exchange before it is kept.
    redactor: Redactor,
}

impl Recorder {
    /// Starts the proxy on `127.0.0.1:port` (0 picks one), recording into `out`, with
    /// secrets redacted and no personal-data rules.
    pub async fn start(target: Target, out: &Path, port: u16) -> Result<Recorder, String> {
        Recorder::start_with(target, out, port, Redactor::default()).await
    }

    /// [`Recorder::start`] with personal-data redaction rules. The entity sets of the
    /// tables the rules name are looked up on the target first; a table that cannot be
    /// looked up has its columns redacted in every table's records.
    pub async fn start_with(target: Target, out: &Path, port: u16, mut redactor: Redactor) -> Result<Recorder, String> {
        for table in redactor.tables() {
            match super::schema_import::get_json(&target, &format!("EntityDefinitions(LogicalName='{table}')?$select=EntitySetName")).await {
                Ok(def) => match def.get("EntitySetName").and_then(Json::as_str) {
                    Some(set) => redactor.set_entity_set(&table, set),
                    None => tracing::warn!(table, "no entity set for a redaction rule's table"),
                },
                Err(e) => tracing::warn!(table, cause = %e, "a redaction rule's table could not be looked up; its columns are redacted in every table"),
            }
        }
        std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
        let listener = TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let scenario = Scenario {
            name: format!("recording of {}", target.origin),
            description: "Recorded through `dataverse-emulator record`; replay with `dataverse-emulator replay`.".into(),
            reference: None,
            known_difference: None,
            requires: Vec::new(),
            volatile: Vec::new(),
            setup: Vec::new(),
            steps: Vec::new(),
            cleanup: Vec::new(),
        };
        let state = Arc::new(Mutex::new(Recording { out: out.to_path_buf(), target, scenario, seed: Seed::default(), created: BTreeMap::new(), redactor }));
        let (stop, mut stopped) = oneshot::channel::<()>();
        let shared = state.clone();
        let origin = format!("http://{addr}");
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = &mut stopped => break,
                    a = listener.accept() => a,
                };
                let Ok((stream, _)) = accepted else { continue };
                let (shared, origin) = (shared.clone(), origin.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| forward(shared.clone(), origin.clone(), req));
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new()).serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        Ok(Recorder { addr, state, stop: Some(stop) })
    }

    /// `http://127.0.0.1:<port>`: what clients use instead of the org URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many exchanges have been recorded.
    pub fn count(&self) -> usize {
        self.state.lock().map(|s| s.scenario.steps.len()).unwrap_or(0)
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Forwards one request, records the exchange, and answers the client.
async fn forward(state: Arc<Mutex<Recording>>, proxy_origin: String, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let target = match state.lock() {
        Ok(s) => s.target.clone(),
        Err(_) => return Ok(plain(500, "the recorder's state is poisoned")),
    };
    let path_and_query = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in &parts.headers {
        let lower = name.as_str();
        if matches!(lower, "host" | "content-length" | "connection" | "transfer-encoding" | "accept-encoding") || (lower == "authorization" && target.token.is_some()) {
            continue;
        }
        headers.push((name.to_string(), value.to_str().unwrap_or_default().to_string()));
    }
    if let Some(t) = &target.token {
        headers.push(("Authorization".into(), format!("Bearer {t}")));
    }
    let url = format!("{}{path_and_query}", target.origin);
    let started = std::time::Instant::now();
    let resp = match target.client.send(parts.method.clone(), &url, &headers, body.clone()).await {
        Ok(r) => r,
        Err(e) => return Ok(plain(502, &format!("the recorder could not reach {}: {e}", target.origin))),
    };
    let text = resp.text();
    let json: Option<Json> = serde_json::from_str(&text).ok();
    let recorded_headers: Vec<(String, String)> = resp.headers.iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string())).collect();
    if let Ok(mut s) = state.lock() {
        let step = request_step(&target, &parts.method, &path_and_query, &parts.headers, &body, s.scenario.steps.len() + 1);
        let rec = StepRecord {
            phase: Phase::Step,
            name: step.name.clone().unwrap_or_default(),
            method: parts.method.to_string(),
            url,
            status: Some(resp.status.as_u16()),
            headers: recorded_headers,
            text: text.clone(),
            json: json.clone(),
            failures: Vec::new(),
            skipped: false,
        };
        s.append(step, rec, started.elapsed());
        if let Err(e) = s.save() {
            tracing::error!(cause = %e, "the recording could not be written");
        }
        println!("recorded {} exchange(s)", s.scenario.steps.len());
    }
    // Back to the client, with the target's URLs pointing at the proxy.
    let mut builder = Response::builder().status(resp.status);
    for (name, value) in &resp.headers {
        if matches!(name.as_str(), "content-length" | "transfer-encoding" | "connection") {
            continue;
        }
        let v = value.to_str().map(|v| v.replace(&target.origin, &proxy_origin)).unwrap_or_default();
        builder = builder.header(name, v);
    }
    let out = if json.is_some() { Bytes::from(text.replace(&target.origin, &proxy_origin)) } else { resp.body.clone() };
    Ok(builder.body(Full::new(out)).unwrap_or_else(|_| plain(502, "the target's response could not be passed on")))
}

impl Recording {
    /// Adds one exchange: the step with its expectations generalised from the response.
    /// Ids created by earlier steps become their variables in the request; an id this
    /// step creates is captured from its response for the steps after it.
    fn append(&mut self, mut step: Step, mut rec: StepRecord, elapsed: std::time::Duration) {
        self.redact(&mut step, &mut rec);
        let guid = regex::Regex::new(r"(?i)\(([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\)$").expect("guid regex");
        substitute_created(&mut step.request, &self.created);
        step.name = Some(format!("{}: {} {}", self.scenario.steps.len() + 1, step.request.method, step.request.path));
        step.recorded = Some(serde_json::json!({
            "elapsed_ms": elapsed.as_secs_f64() * 1e3,
            "query_shape": super::shape::query_shape(&step.request.method, &step.request.path),
        }));
        let mut new_id = None;
        if rec.method == "POST" {
            let entity_id = rec.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("odata-entityid")).map(|(_, v)| v.as_str());
            if let Some(c) = entity_id.and_then(|v| guid.captures(v)) {
                new_id = Some(c[1].to_ascii_lowercase());
            }
        }
        if let Some(id) = &new_id {
            let var = format!("created{}", self.created.len() + 1);
            self.created.insert(id.clone(), var);
        }
        // Only reads are seed state: what writes return is what replay will write again.
        if let (Some(j), "GET") = (&rec.json, rec.method.as_str()) {
            let created: BTreeSet<String> = self.created.keys().cloned().collect();
            self.seed.observe_read(&step.request.path, j, &created);
        }
        let draft = Scenario { steps: vec![step], volatile: Vec::new(), setup: Vec::new(), cleanup: Vec::new(), ..self.scenario.clone() };
        let result = ScenarioResult { name: draft.name.clone(), file: String::new(), outcome: Outcome::Pass, failures: Vec::new(), steps: vec![rec.clone()] };
        let mut filled = record(&draft, &result, &self.target, NO_RUN_PREFIX);
        for v in filled.volatile {
            if !self.scenario.volatile.contains(&v) {
                self.scenario.volatile.push(v);
            }
        }
        if let (Some(id), Some(step)) = (&new_id, filled.steps.first_mut()) {
            capture_created(step, &rec, id, &self.created[id]);
        }
        self.scenario.steps.extend(filled.steps);
    }

    /// Redacts the exchange: the response body first (so that the personal values it
    /// holds are known), then the request and the texts that may repeat those values.
    fn redact(&mut self, step: &mut Step, rec: &mut StepRecord) {
        let request_set = step.request.path.split(['(', '?', '/']).next().filter(|s| !s.is_empty()).map(str::to_string);
        let response_set = rec.json.as_ref().and_then(|j| j.get("@odata.context")).and_then(Json::as_str).and_then(entity_set).or_else(|| request_set.clone());
        if let Some(j) = &mut rec.json {
            self.redactor.json(j, response_set.as_deref());
            rec.text = j.to_string();
        } else {
            rec.text = self.redactor.text(&rec.text);
        }
        if let Some(j) = &mut step.request.json {
            self.redactor.json(j, request_set.as_deref());
        }
        step.request.path = self.redactor.url(&step.request.path);
        step.name = step.name.as_deref().map(|n| self.redactor.url(n));
        rec.name = self.redactor.url(&rec.name);
        rec.url = self.redactor.url(&rec.url);
        if let Some(b) = &mut step.request.body {
            *b = self.redactor.text(b);
        }
        for v in step.request.headers.values_mut() {
            if let Json::String(s) = v {
                *s = self.redactor.text(s);
            }
        }
        for (_, v) in &mut rec.headers {
            *v = self.redactor.text(v);
        }
    }

    /// Rewrites both files (to `.tmp` then renamed, so a crash never leaves half a file).
    fn save(&self) -> Result<(), String> {
        write_json(&self.out.join(SCENARIO_FILE), &serde_json::to_value(&self.scenario).map_err(|e| e.to_string())?)?;
        write_json(&self.out.join(SEED_FILE), &serde_json::to_value(&self.seed).map_err(|e| e.to_string())?)
    }
}

/// Replaces every id in `created` found in the request (path, headers, JSON strings) with
/// its `${variable}`.
fn substitute_created(request: &mut RequestSpec, created: &BTreeMap<String, String>) {
    if created.is_empty() {
        return;
    }
    let any_guid = regex::Regex::new(r"(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").expect("guid regex");
    let swap = |text: &str| -> String {
        any_guid.replace_all(text, |c: &regex::Captures| created.get(&c[0].to_ascii_lowercase()).map_or_else(|| c[0].to_string(), |var| format!("${{{var}}}"))).into_owned()
    };
    fn walk(v: &mut Json, swap: &dyn Fn(&str) -> String) {
        match v {
            Json::String(s) => *s = swap(s),
            Json::Array(items) => items.iter_mut().for_each(|i| walk(i, swap)),
            Json::Object(map) => {
                let entries = std::mem::take(map);
                for (k, mut child) in entries {
                    walk(&mut child, swap);
                    map.insert(swap(&k), child);
                }
            }
            _ => {}
        }
    }
    request.path = swap(&request.path);
    for value in request.headers.values_mut() {
        walk(value, &swap);
    }
    if let Some(j) = &mut request.json {
        walk(j, &swap);
    }
    if let Some(b) = &mut request.body {
        *b = swap(b);
    }
}

/// Makes the step capture the id it creates into `var`: from its `OData-EntityId`
/// header's expectation, and from the body property that held the id when it returned one.
fn capture_created(step: &mut Step, rec: &StepRecord, id: &str, var: &str) {
    let Some(expect) = &mut step.expect else { return };
    const ANY_ID: &str = "[0-9a-fA-F-]{36}";
    if let Some(Json::Object(m)) = expect.headers.get_mut("OData-EntityId") {
        if let Some(Json::String(pattern)) = m.get("$regex").cloned() {
            if let Some(at) = pattern.rfind(ANY_ID) {
                let grouped = format!("{}({ANY_ID}){}", &pattern[..at], &pattern[at + ANY_ID.len()..]);
                m.insert("$regex".into(), Json::String(grouped));
                m.insert("$capture".into(), Json::String(var.to_string()));
            }
        }
    }
    let id_key = rec.json.as_ref().and_then(Json::as_object).and_then(|body| body.iter().find(|(k, v)| !k.contains('@') && v.as_str().is_some_and(|s| s.eq_ignore_ascii_case(id))).map(|(k, _)| k.clone()));
    if let (Some(key), Some(Json::Object(body))) = (id_key, &mut expect.json) {
        if let Some(Json::Object(m)) = body.get_mut(&key) {
            m.insert("$capture".into(), Json::String(var.to_string()));
        }
    }
}

fn write_json(path: &Path, value: &Json) -> Result<(), String> {
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())? + "\n";
    std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The scenario request for what the client sent: the path relative to the Web API root
/// when it is under it, the replayable headers, the body as JSON when it is JSON.
fn request_step(target: &Target, method: &http::Method, path_and_query: &str, headers: &http::HeaderMap, body: &Bytes, n: usize) -> Step {
    let base_path = target.base.strip_prefix(&target.origin).unwrap_or("/api/data/v9.2/");
    let path = path_and_query.strip_prefix(base_path).map(str::to_string).unwrap_or_else(|| path_and_query.to_string());
    let mut kept = Map::new();
    for (name, value) in headers {
        if KEPT_REQUEST_HEADERS.contains(&name.as_str()) || name.as_str().starts_with("mscrm.") {
            kept.insert(name.to_string(), Json::String(value.to_str().unwrap_or_default().to_string()));
        }
    }
    let content_type = headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let json = if body.is_empty() { None } else { serde_json::from_slice::<Json>(body).ok() };
    let raw = if body.is_empty() || json.is_some() { None } else { Some(String::from_utf8_lossy(body).into_owned()) };
    if raw.is_some() && !content_type.is_empty() {
        kept.insert("Content-Type".into(), Json::String(content_type.to_string()));
    }
    Step {
        name: Some(format!("{n}: {method} {path}")),
        request: RequestSpec { method: method.to_string(), path, headers: kept, json, body: raw, crlf: false, auth: true },
        expect: None,
        recorded: None,
    }
}

fn plain(status: u16, text: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(text.to_string())));
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_GATEWAY);
    r
}
