//! The delivery journal: every webhook POST attempt, for `/_emulator/webhooks/deliveries`.

use std::collections::HashMap;
use std::sync::{mpsc, Arc, Mutex};

use serde_json::{json, Value as Json};
use uuid::Uuid;

use super::Delivery;
use crate::org::Org;

/// Keep at most this many attempts (oldest dropped first).
const CAPACITY: usize = 10_000;

/// One attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub delivery: Delivery,
    /// 1 for the first try, 2 for the retry (0: refused before any try, by the loop guard).
    pub attempt: u32,
    /// The receiver's status, or the connection failure.
    pub outcome: Result<u16, String>,
    /// When the attempt is retried: after how long.
    pub retry_in: Option<std::time::Duration>,
}

impl Attempt {
    /// An attempt at `d`.
    pub fn new(d: &Delivery, attempt: u32, outcome: Result<u16, String>) -> Attempt {
        Attempt { delivery: d.clone(), attempt, outcome, retry_in: None }
    }

    /// Notes that the attempt is retried after `backoff`.
    pub fn retrying_in(self, backoff: Option<std::time::Duration>) -> Attempt {
        Attempt { retry_in: backoff, ..self }
    }

    fn succeeded(&self) -> bool {
        matches!(self.outcome, Ok(200..=299))
    }

    fn to_json(&self, seq: usize) -> Json {
        let d = &self.delivery;
        let headers: serde_json::Map<String, Json> = d.headers.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        json!({
            "sequence": seq,
            "org": d.org,
            "step": d.step,
            "url": d.url,
            "message": d.message,
            "entity": d.entity,
            "mode": d.mode,
            "stage": d.stage,
            "depth": d.depth,
            "correlationid": d.correlation,
            "attempt": self.attempt,
            "status": self.outcome.as_ref().ok(),
            "error": self.outcome.as_ref().err(),
            "succeeded": self.succeeded(),
            "retryinms": self.retry_in.map(|b| b.as_millis() as u64),
            "asyncoperationid": d.job,
            "headers": headers,
            "body": d.body,
        })
    }
}

/// How long a correlation id is remembered for depth tracking (Dataverse's loop
/// detection window is one hour).
const DEPTH_WINDOW: std::time::Duration = std::time::Duration::from_secs(3600);

/// The app's webhook state (cheap to clone): the journal of attempts, asynchronous
/// deliveries committed but not yet started, and the depth each correlation reached.
#[derive(Debug, Clone, Default)]
pub struct Deliveries {
    attempts: Arc<Mutex<Vec<Attempt>>>,
    /// Woken on every attempt, for [`Deliveries::wait`].
    recorded: Arc<tokio::sync::Notify>,
    /// Asynchronous deliveries whose transaction committed, for the server to start.
    queued: Arc<Mutex<Vec<Delivery>>>,
    /// Correlation id → (deepest context delivered with it, when).
    depths: Arc<Mutex<HashMap<Uuid, (i32, std::time::Instant)>>>,
    /// CA certificates trusted for https receivers besides the system's, and the client
    /// configuration built from them (on first use).
    trust: Arc<Mutex<Trust>>,
    /// The synchronous calls waiting for their receiver now, while the org's write lock is
    /// held, by (correlation id, org name): the receiver's calls back ask them for the org as
    /// committed before that write.
    calling: Waiting,
}

/// The synchronous calls waiting for their receiver: (correlation id, org name) → the
/// waiting thread's inbox.
type Waiting = Arc<Mutex<HashMap<(Uuid, String), mpsc::Sender<Waited>>>>;

/// What the thread waiting for a synchronous receiver (holding the org's write lock) is
/// told while it waits.
pub(super) enum Waited {
    /// The receiver answered (or could not be reached): the wait is over.
    Answered(Result<u16, String>),
    /// The receiver called back: send it the org as committed before the write.
    ViewWanted(mpsc::Sender<Arc<Org>>),
}

/// Marks a synchronous call as in progress until dropped.
pub(super) struct Calling {
    calling: Waiting,
    key: (Uuid, String),
}

impl Drop for Calling {
    fn drop(&mut self) {
        self.calling.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.key);
    }
}

#[derive(Debug, Default)]
struct Trust {
    extra: Vec<rustls::pki_types::CertificateDer<'static>>,
    config: Option<Arc<rustls::ClientConfig>>,
}

impl Deliveries {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Attempt>> {
        self.attempts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds an attempt.
    pub fn record(&self, a: Attempt) {
        {
            let mut all = self.lock();
            if all.len() >= CAPACITY {
                all.remove(0);
            }
            all.push(a);
        }
        self.recorded.notify_waiters();
    }

    /// Trusts the CA certificates in a PEM file for https receivers (the emulator's own
    /// local CA is trusted this way when it serves HTTPS).
    pub fn trust_ca_file(&self, path: &std::path::Path) -> Result<(), String> {
        let certs = super::tls::read_pem(path)?;
        let mut trust = self.trust.lock().unwrap_or_else(|e| e.into_inner());
        trust.extra.extend(certs);
        trust.config = None;
        Ok(())
    }

    /// The TLS client configuration for https receivers.
    pub(super) fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        let mut trust = self.trust.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = &trust.config {
            return Ok(c.clone());
        }
        let config = super::tls::client_config(&trust.extra)?;
        trust.config = Some(config.clone());
        Ok(config)
    }

    /// Notes that a synchronous call with `correlation` into `org`'s receiver is waiting,
    /// told things through `inbox`.
    pub(super) fn calling(&self, correlation: Uuid, org: &str, inbox: mpsc::Sender<Waited>) -> Calling {
        let key = (correlation, org.to_string());
        self.calling.lock().unwrap_or_else(|e| e.into_inner()).insert(key.clone(), inbox);
        Calling { calling: self.calling.clone(), key }
    }

    /// When a synchronous call with `correlation` is waiting on `org`'s receiver: the org
    /// as committed before the write that fired it, made by the waiting thread (the one
    /// holding that write) on the first call back. `None` once the call is over.
    pub fn calling_view(&self, correlation: Uuid, org: &str) -> Option<Arc<Org>> {
        let inbox = self.calling.lock().unwrap_or_else(|e| e.into_inner()).get(&(correlation, org.to_string())).cloned()?;
        let (reply, view) = mpsc::channel();
        inbox.send(Waited::ViewWanted(reply)).ok()?;
        // The waiting thread answers at once, or drops the request when its call ended.
        view.recv().ok()
    }

    /// Queues committed asynchronous deliveries.
    pub fn queue(&self, deliveries: Vec<Delivery>) {
        if !deliveries.is_empty() {
            self.queued.lock().unwrap_or_else(|e| e.into_inner()).extend(deliveries);
        }
    }

    /// Takes the queued asynchronous deliveries.
    pub fn take_queued(&self) -> Vec<Delivery> {
        std::mem::take(&mut *self.queued.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Notes that a context with `correlation` went out at `depth`.
    pub fn remember_depth(&self, correlation: Uuid, depth: i32) {
        let mut depths = self.depths.lock().unwrap_or_else(|e| e.into_inner());
        let now = std::time::Instant::now();
        depths.retain(|_, (_, at)| now.duration_since(*at) < DEPTH_WINDOW);
        let entry = depths.entry(correlation).or_insert((depth, now));
        *entry = (entry.0.max(depth), now);
    }

    /// The depth a request carrying `correlation` runs at: one more than the deepest
    /// context sent with it, or `None` for a correlation no receiver was sent (within the
    /// last hour).
    pub fn depth_for(&self, correlation: Uuid) -> Option<i32> {
        let depths = self.depths.lock().unwrap_or_else(|e| e.into_inner());
        depths.get(&correlation).filter(|(_, at)| at.elapsed() < DEPTH_WINDOW).map(|(d, _)| d + 1)
    }

    /// How many attempts went to URLs starting with `url`, succeeded ones only if asked.
    fn count(&self, url: &str, succeeded_only: bool) -> usize {
        self.lock().iter().filter(|a| a.delivery.url.starts_with(url) && (!succeeded_only || a.succeeded())).count()
    }

    /// Waits until at least `n` attempts went to `url` (a prefix), or `timeout` passes.
    /// Returns whether they did.
    pub async fn wait(&self, url: &str, n: usize, succeeded_only: bool, timeout: std::time::Duration) -> bool {
        let until = async {
            loop {
                let notified = self.recorded.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if self.count(url, succeeded_only) >= n {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(timeout, until).await.is_ok()
    }

    /// Every attempt, oldest first, optionally only those to URLs starting with `url`.
    pub fn list(&self, url: Option<&str>) -> Json {
        let all = self.lock();
        let value: Vec<Json> =
            all.iter().enumerate().filter(|(_, a)| url.is_none_or(|u| a.delivery.url.starts_with(u))).map(|(i, a)| a.to_json(i + 1)).collect();
        json!({ "value": value })
    }

    /// Forgets every attempt.
    pub fn clear(&self) {
        self.lock().clear();
    }
}

/// The longest a wait may ask for.
const MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(300);

/// A parsed `GET /_emulator/webhooks/wait?url=<prefix>&count=<n>[&timeout=<ms>][&succeeded=true]`.
struct Wait {
    url: String,
    count: usize,
    succeeded: bool,
    timeout: std::time::Duration,
}

fn parse_wait(req: &http::Request<bytes::Bytes>) -> Result<Wait, crate::admin::AdminError> {
    use crate::admin::{query_param, AdminError};
    let bad = |m: String| AdminError { status: http::StatusCode::BAD_REQUEST, code: "BadRequest", message: m, allow: None };
    let decode = |v: &str| percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned();
    let url = query_param(req, "url").map(decode).ok_or_else(|| bad("'url' is required: the receiver URL (or a prefix of it) to wait for.".into()))?;
    let count = match query_param(req, "count") {
        None => 1,
        Some(c) => c.parse::<usize>().map_err(|_| bad(format!("'count' must be a whole number, not '{c}'.")))?,
    };
    let timeout = match query_param(req, "timeout") {
        None => 30_000,
        Some(t) => t.parse::<u64>().map_err(|_| bad(format!("'timeout' must be milliseconds, not '{t}'.")))?,
    };
    let timeout = std::time::Duration::from_millis(timeout);
    if timeout > MAX_WAIT {
        return Err(bad(format!("'timeout' may be at most {} ms.", MAX_WAIT.as_millis())));
    }
    let succeeded = match query_param(req, "succeeded") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => return Err(bad(format!("'succeeded' must be true or false, not '{other}'."))),
    };
    Ok(Wait { url, count, succeeded, timeout })
}

/// The wait's answer: 200 with the matching attempts once there are enough, else 408.
fn waited(journal: &Deliveries, w: &Wait, reached: bool) -> crate::admin::AdminResult {
    use crate::admin::{reply, AdminError};
    if !reached {
        let have = journal.count(&w.url, w.succeeded);
        return Err(AdminError {
            status: http::StatusCode::REQUEST_TIMEOUT,
            code: "Timeout",
            message: format!("{have} of {} deliveries to '{}' arrived within {} ms.", w.count, w.url, w.timeout.as_millis()),
            allow: None,
        });
    }
    Ok(reply(http::StatusCode::OK, &journal.list(Some(&w.url))))
}

/// Whether `req` is the long-poll wait, which the server answers asynchronously (without
/// holding a thread) through [`wait`] instead of the synchronous admin handler.
pub fn is_wait(req: &http::Request<bytes::Bytes>) -> bool {
    req.method() == http::Method::GET && crate::admin::path(req.uri().path()).is_some_and(|rest| rest.trim_matches('/') == "webhooks/wait")
}

/// `GET /_emulator/webhooks/wait`: waits until `count` (default 1) attempts went to
/// receivers whose URL starts with `url` (only successful ones with `succeeded=true`),
/// at most `timeout` ms (default 30 000). 200 lists them; 408 says how many arrived.
pub async fn wait(app: &crate::app::App, req: &http::Request<bytes::Bytes>) -> crate::wire::response::Response {
    let result = match parse_wait(req) {
        Ok(w) => {
            let reached = app.webhooks().wait(&w.url, w.count, w.succeeded, w.timeout).await;
            waited(app.webhooks(), &w, reached)
        }
        Err(e) => Err(e),
    };
    result.unwrap_or_else(crate::admin::AdminError::reply).build()
}

/// `/_emulator/webhooks/deliveries`: GET lists the attempts (`?url=<prefix>` narrows them
/// to one receiver), DELETE clears them. `/_emulator/webhooks/wait` reached without the
/// server (an embedded `App::handle`) checks once instead of waiting.
pub fn admin(app: &crate::app::App, req: &http::Request<bytes::Bytes>, rest: &[&str]) -> crate::admin::AdminResult {
    use crate::admin::{reply, AdminError};
    match (rest, req.method()) {
        (["wait"], &http::Method::GET) => {
            let w = parse_wait(req)?;
            let reached = app.webhooks().count(&w.url, w.succeeded) >= w.count;
            waited(app.webhooks(), &w, reached)
        }
        (["wait"], _) => Err(AdminError { status: http::StatusCode::METHOD_NOT_ALLOWED, code: "MethodNotAllowed", message: format!("{} is not allowed here.", req.method()), allow: Some("GET".into()) }),
        (["deliveries"], &http::Method::GET) => {
            let url = crate::admin::query_param(req, "url").map(|u| percent_encoding::percent_decode_str(u).decode_utf8_lossy().into_owned());
            Ok(reply(http::StatusCode::OK, &app.webhooks().list(url.as_deref())))
        }
        (["deliveries"], &http::Method::DELETE) => {
            app.webhooks().clear();
            Ok(crate::wire::response::Reply::empty(http::StatusCode::NO_CONTENT))
        }
        (["deliveries"], _) => Err(AdminError { status: http::StatusCode::METHOD_NOT_ALLOWED, code: "MethodNotAllowed", message: format!("{} is not allowed here.", req.method()), allow: Some("GET, DELETE".into()) }),
        _ => Err(AdminError::not_found(format!("No admin endpoint at '{}'.", req.uri().path()))),
    }
}
