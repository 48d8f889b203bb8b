//! Fault injection (`/_emulator/faults`): service protection (Dataverse's real 429s with
//! `Retry-After` and the `x-ms-ratelimit-*` headers), a deterministic "throttle the next N
//! requests", latency, errors chosen by path, table or message with a (seedable)
//! probability, and dropped connections.
//!
//! `POST` sets the parts it names (a part set to `null` is removed), `GET` shows the
//! settings and usage, `DELETE` clears everything. With nothing configured the request
//! path only reads one atomic flag.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request, StatusCode};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{json};


use super::journal::Note;
use super::throttle::{self, Counters, Limit, Limits};
use super::wire;
use crate::error::{error_body, Error, Result};
use crate::server::ConnectionFault;
use crate::wire::response::{Reply, Response};

/// The longest latency a rule may add: 5 minutes.
const MAX_LATENCY_MS: u64 = 300_000;

/// Which requests a rule applies to. Every criterion given must hold.
#[derive(Debug, Clone, Default)]
pub struct Match {
    /// HTTP method, any case.
    pub method: Option<String>,
    /// A regular expression searched for in the request path (percent-decoded), e.g.
    /// `accounts\(` or `^/api/data/v9\.2/contacts$`.
    pub path: Option<String>,
    /// The routed message (`Create`, `RetrieveMultiple`, `WhoAmI`, …); errors only.
    pub operation: Option<String>,
    /// The table (logical or entity set name); errors only.
    pub table: Option<String>,
    compiled: Option<Regex>,
}

impl Match {
    fn compile(&mut self, what: &str, routed: bool) -> Result<()> {
        if let Some(p) = &self.path {
            self.compiled = Some(Regex::new(p).map_err(|e| wire::bad_request(format!("The {what} path pattern is not a valid regular expression: {e}")))?);
        }
        if !routed && (self.operation.is_some() || self.table.is_some()) {
            return Err(wire::bad_request(format!("A {what} rule is decided before the request is routed: match it by method and path, not operation or table.")));
        }
        Ok(())
    }

    fn matches(&self, req: &Request<Bytes>, note: Option<&Note<'_>>) -> bool {
        let path = || percent_encoding::percent_decode_str(req.uri().path()).decode_utf8_lossy().into_owned();
        self.method.as_ref().is_none_or(|m| req.method().as_str().eq_ignore_ascii_case(m))
            && self.compiled.as_ref().is_none_or(|r| r.is_match(&path()))
            && self.operation.as_ref().is_none_or(|o| note.and_then(|n| n.operation).is_some_and(|op| op.eq_ignore_ascii_case(o)))
            && self.table.as_ref().is_none_or(|t| {
                note.and_then(|n| n.table.as_ref())
                    .is_some_and(|e| e.logical_name.eq_ignore_ascii_case(t) || e.entity_set_name.eq_ignore_ascii_case(t))
            })
    }
}

/// Answer the next `count` Web API requests with a service-protection 429.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ThrottleNext {
    /// Requests left to throttle.
    pub count: u32,
    /// Which limit the 429 reports (`requests`, `executionTime`, `concurrency`).
    #[serde(default)]
    pub limit: Limit,
    /// The `Retry-After` seconds sent.
    #[serde(default = "default_retry_after")]
    pub retry_after: u64,
}

fn default_retry_after() -> u64 {
    5
}

/// Added response time: fixed, or uniform between two bounds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Latency {
    /// A fixed delay, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_ms: Option<u64>,
    /// The lower bound of a uniform delay, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ms: Option<u64>,
    /// The upper bound of a uniform delay, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ms: Option<u64>,
    /// Only requests with this method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Only requests whose path this regular expression finds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip)]
    scope: Match,
}

/// Answer matching requests with an error instead of running them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ErrorRule {
    /// Only requests with this method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Only requests whose path this regular expression finds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Only requests routed to this message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// Only requests on this table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// Chance of failing a matching request, 0 to 1.
    #[serde(default = "always")]
    pub probability: f64,
    /// How many more times the rule fires; unlimited without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// The HTTP status (400–599).
    pub status: u16,
    /// The Dataverse error code sent (`0x…`).
    #[serde(default = "default_code")]
    pub code: String,
    /// The error message sent.
    #[serde(default = "default_message")]
    pub message: String,
    /// A `Retry-After` header (seconds) to send with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    #[serde(skip)]
    scope: Match,
}

fn always() -> f64 {
    1.0
}

fn default_code() -> String {
    crate::error::Code::Internal.hex().to_string()
}

fn default_message() -> String {
    "An unexpected error occurred.".to_string()
}

/// Close matching connections without a response.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DropRule {
    /// Only requests with this method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Only requests whose path this regular expression finds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Chance of dropping a matching request, 0 to 1.
    #[serde(default = "always")]
    pub probability: f64,
    /// How many more times the rule fires; unlimited without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// Run the request first, then drop the connection instead of answering: the write
    /// happened but the client never hears of it.
    #[serde(default)]
    pub after_processing: bool,
    #[serde(skip)]
    scope: Match,
}

/// Everything configured.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct Settings {
    seed: Option<u64>,
    service_protection: Option<Limits>,
    throttle_next: Option<ThrottleNext>,
    latency: Option<Latency>,
    errors: Vec<ErrorRule>,
    drops: Vec<DropRule>,
}

impl Settings {
    fn active(&self) -> bool {
        self.service_protection.is_some() || self.throttle_next.as_ref().is_some_and(|t| t.count > 0) || self.latency.is_some() || !self.errors.is_empty() || !self.drops.is_empty()
    }
}

struct State {
    settings: Settings,
    rng: StdRng,
}

/// The fault settings and service-protection counters of one emulator process.
pub struct Faults {
    active: AtomicBool,
    state: Mutex<State>,
    counters: Counters,
}

impl Default for Faults {
    fn default() -> Self {
        Faults { active: AtomicBool::new(false), state: Mutex::new(State { settings: Settings::default(), rng: StdRng::from_entropy() }), counters: Counters::default() }
    }
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faults").field("active", &self.active()).finish()
    }
}

/// What was decided before a request ran.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Drop {
    /// Answer normally.
    #[default]
    No,
    /// Close the connection without running the request.
    Now,
    /// Run the request, then close the connection instead of answering.
    AfterProcessing,
}

/// Whether a rule fires: `times` left and the probability (drawn only when below 1, so
/// certain rules don't use up the seeded sequence).
fn fires(rng: &mut StdRng, probability: f64, times: &mut Option<u32>) -> bool {
    if *times == Some(0) || !(probability >= 1.0 || rng.gen::<f64>() < probability) {
        return false;
    }
    if let Some(t) = times {
        *t -= 1;
    }
    true
}

impl Faults {
    /// Whether anything is configured (one atomic read: the fast path).
    pub fn active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn refresh(&self, state: &State) {
        self.active.store(state.settings.active(), Ordering::Relaxed);
    }

    /// Decides, before the request runs, whether its connection is dropped.
    pub fn before(&self, req: &Request<Bytes>) -> Drop {
        let mut guard = self.state();
        let State { settings, rng } = &mut *guard;
        for rule in settings.drops.iter_mut() {
            if rule.scope.matches(req, None) && fires(rng, rule.probability, &mut rule.times) {
                return if rule.after_processing { Drop::AfterProcessing } else { Drop::Now };
            }
        }
        Drop::No
    }

    /// Service protection for an authenticated Web API request: a 429 from "throttle next"
    /// or from the limits, else the request takes its place in the counters.
    pub fn admit(&self, org: &str, now: i64, note: &mut Note<'_>) -> Option<Reply> {
        let caller = note.caller?;
        let mut state = self.state();
        let limits = state.settings.service_protection.unwrap_or_default();
        if let Some(next) = state.settings.throttle_next.as_mut().filter(|t| t.count > 0) {
            next.count -= 1;
            let (limit, retry_after) = (next.limit, next.retry_after);
            self.refresh(&state);
            note.fault = Some("throttle");
            return Some(throttled(limit.error(&limits), retry_after));
        }
        let limits = state.settings.service_protection?;
        drop(state);
        match self.counters.admit(org, caller, now, &limits) {
            Ok(ticket) => {
                note.ticket = Some(ticket);
                None
            }
            Err(t) => {
                note.fault = Some("serviceProtection");
                Some(throttled(t.limit.error(&limits), t.retry_after))
            }
        }
    }

    /// An injected error for a routed request, if a rule picks it.
    pub fn inject_error(&self, req: &Request<Bytes>, note: &mut Note<'_>) -> Option<Reply> {
        let mut guard = self.state();
        let State { settings, rng } = &mut *guard;
        let mut rules = settings.errors.iter_mut();
        let rule = loop {
            let r = rules.next()?;
            if r.scope.matches(req, Some(note)) && fires(rng, r.probability, &mut r.times) {
                break r;
            }
        };
        let status = StatusCode::from_u16(rule.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let reply = Reply::json(status, &error_body(&rule.code, &rule.message)).header_opt("retry-after", rule.retry_after.map(|s| s.to_string()));
        note.fault = Some("error");
        Some(reply)
    }

    /// After the request ran: the latency to add, the `x-ms-ratelimit-*` headers and the
    /// counters' execution time, and the connection fault for the server to carry out.
    /// Returns the latency added.
    pub fn finish(&self, response: &mut Response, note: &mut Note<'_>, req: &Request<Bytes>, now: i64, elapsed: Duration, drop: Drop) -> Duration {
        let (delay, limits) = {
            let mut guard = self.state();
            let State { settings, rng } = &mut *guard;
            let delay = settings.latency.as_ref().filter(|l| l.scope.matches(req, Some(note))).map_or(0, |l| match (l.fixed_ms, l.min_ms, l.max_ms) {
                (Some(ms), _, _) => ms,
                (None, min, max) => {
                    let (lo, hi) = (min.unwrap_or(0), max.or(min).unwrap_or(0));
                    if hi > lo { rng.gen_range(lo..=hi) } else { lo }
                }
            });
            (Duration::from_millis(delay), settings.service_protection)
        };
        if !delay.is_zero() && note.fault.is_none() {
            note.fault = Some("latency");
        }
        if let (Some(ticket), Some(limits)) = (&note.ticket, limits) {
            let left = ticket.finish(now, (elapsed + delay).as_millis() as u64, &limits);
            let h = response.headers_mut();
            h.insert("x-ms-ratelimit-burst-remaining-xrm-requests", HeaderValue::from(left.requests));
            if let Ok(v) = HeaderValue::from_str(&throttle::time_remaining_header(left.execution_time_ms)) {
                h.insert("x-ms-ratelimit-time-remaining-xrm-requests", v);
            }
        }
        match drop {
            Drop::No => {}
            Drop::Now => note.fault = Some("drop"),
            Drop::AfterProcessing => note.fault = Some("dropAfterProcessing"),
        }
        if !delay.is_zero() || drop != Drop::No {
            // The ticket rides along so the request holds its concurrency slot while it waits.
            let hold = note.ticket.take().map(|t| std::sync::Arc::new(t) as std::sync::Arc<dyn std::any::Any + Send + Sync>);
            response.extensions_mut().insert(ConnectionFault { delay, drop: drop != Drop::No, hold });
        }
        delay
    }

    /// `GET /_emulator/faults`.
    pub fn show(&self) -> Reply {
        let state = self.state();
        let mut body = serde_json::to_value(&state.settings).unwrap_or_default();
        body["active"] = json!(state.settings.active());
        body["usage"] = json!(self.counters.snapshot());
        wire::json(StatusCode::OK, &body)
    }

    /// `POST /_emulator/faults`: sets each part the body names; `null` removes it.
    pub fn configure(&self, req: &Request<Bytes>) -> Result<Reply> {
        let body = wire::object(req)?;
        let mut state = self.state();
        let mut settings = state.settings.clone();
        for (name, value) in body {
            let value = if value.is_null() { None } else { Some(value) };
            let bad = |e: serde_json::Error| wire::bad_request(format!("The fault setting '{name}' is not valid: {e}"));
            match name.as_str() {
                "seed" => {
                    settings.seed = value.map(|v| serde_json::from_value(v).map_err(bad)).transpose()?;
                    state.rng = settings.seed.map_or_else(StdRng::from_entropy, StdRng::seed_from_u64);
                }
                "serviceProtection" => settings.service_protection = value.map(|v| serde_json::from_value(v).map_err(bad)).transpose()?,
                "throttleNext" => settings.throttle_next = value.map(|v| serde_json::from_value(v).map_err(bad)).transpose()?,
                "latency" => {
                    let mut l: Option<Latency> = value.map(|v| serde_json::from_value(v).map_err(bad)).transpose()?;
                    if let Some(l) = &mut l {
                        validate_latency(l)?;
                    }
                    settings.latency = l;
                }
                "errors" => {
                    let mut rules: Vec<ErrorRule> = value.map(|v| serde_json::from_value(v).map_err(bad)).transpose()?.unwrap_or_default();
                    for r in &mut rules {
                        validate_error(r)?;
                    }
                    settings.errors = rules;
                }
                "drops" => {
                    let mut rules: Vec<DropRule> = value.map(|v| serde_json::from_value(v).map_err(bad)).transpose()?.unwrap_or_default();
                    for r in &mut rules {
                        check_probability(r.probability)?;
                        r.scope = Match { method: r.method.clone(), path: r.path.clone(), ..Match::default() };
                        r.scope.compile("drop", false)?;
                    }
                    settings.drops = rules;
                }
                other => {
                    return Err(wire::bad_request(format!(
                        "Unknown fault setting '{other}'. Use seed, serviceProtection, throttleNext, latency, errors or drops."
                    )))
                }
            }
        }
        if let Some(limits) = &settings.service_protection {
            if limits.window_seconds == 0 {
                return Err(wire::bad_request("serviceProtection.windowSeconds must be at least 1."));
            }
        }
        state.settings = settings;
        self.refresh(&state);
        drop(state);
        Ok(self.show())
    }

    /// `DELETE /_emulator/faults`: no faults, fresh counters.
    pub fn clear(&self) -> Reply {
        let mut state = self.state();
        state.settings = Settings::default();
        state.rng = StdRng::from_entropy();
        self.refresh(&state);
        self.counters.clear();
        Reply::empty(StatusCode::NO_CONTENT)
    }
}

/// A 429 (or other throttle) reply with `Retry-After`.
fn throttled(error: Error, retry_after: u64) -> Reply {
    Reply::from(error).header("retry-after", retry_after.to_string())
}

fn check_probability(p: f64) -> Result<()> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(wire::bad_request(format!("A fault probability must be between 0 and 1, not {p}.")))
    }
}

fn validate_latency(l: &mut Latency) -> Result<()> {
    let (lo, hi) = match (l.fixed_ms, l.min_ms, l.max_ms) {
        (Some(f), None, None) => (f, f),
        (None, Some(lo), Some(hi)) => (lo, hi),
        _ => return Err(wire::bad_request("latency takes either fixedMs, or minMs and maxMs.")),
    };
    if lo > hi || hi > MAX_LATENCY_MS {
        return Err(wire::bad_request(format!("latency must satisfy minMs <= maxMs <= {MAX_LATENCY_MS}.")));
    }
    l.scope = Match { method: l.method.clone(), path: l.path.clone(), ..Match::default() };
    l.scope.compile("latency", false)
}

fn validate_error(r: &mut ErrorRule) -> Result<()> {
    check_probability(r.probability)?;
    if !(400..=599).contains(&r.status) {
        return Err(wire::bad_request(format!("An injected error's status must be 400 to 599, not {}.", r.status)));
    }
    r.scope = Match { method: r.method.clone(), path: r.path.clone(), operation: r.operation.clone(), table: r.table.clone(), compiled: None };
    r.scope.compile("error", true)
}
