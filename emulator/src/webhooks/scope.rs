//! The request a write belongs to, for the synchronous steps that run inside it.
//!
//! Synchronous steps fire from [`crate::store::Store::write`], just before a transaction
//! commits, deep below the code that knows which request is running. The request's org,
//! host name, correlation id and depth are kept in a thread-local for the duration of
//! [`crate::app::App::handle`]: a request runs on one thread from start to finish
//! (`$batch` included), so the thread identifies it without threading a parameter through
//! every operation and the store.

use std::cell::RefCell;
use std::sync::Arc;

use uuid::Uuid;

use super::Deliveries;
use crate::org::Org;

/// What every delivery a request causes shares.
#[derive(Clone)]
pub struct Scope {
    /// The org the request addressed.
    pub org: Arc<Org>,
    /// The host name the request addressed (`x-ms-dynamics-organization`).
    pub host: String,
    /// The correlation id: the one a receiver was sent when the request calls back with it,
    /// else made on first use (so requests that fire nothing draw no id from the org's
    /// generator, which deterministic mode replays).
    pub correlation: Option<Uuid>,
    /// The execution depth: 1 for a client's request, one more for each receiver that
    /// calls back with the correlation id it was sent.
    pub depth: i32,
    /// The delivery journal.
    pub journal: Deliveries,
}

thread_local! {
    static CURRENT: RefCell<Option<Scope>> = const { RefCell::new(None) };
}

/// Restores the previous scope when dropped.
pub struct Entered {
    previous: Option<Scope>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// Makes `scope` the current request's until the guard is dropped.
pub fn enter(scope: Scope) -> Entered {
    let previous = CURRENT.with(|c| c.borrow_mut().replace(scope));
    Entered { previous }
}

/// The current request's scope, if a request is running on this thread, with its
/// correlation id made if it had none yet.
pub fn current() -> Option<Scope> {
    CURRENT.with(|c| {
        let mut slot = c.borrow_mut();
        let scope = slot.as_mut()?;
        if scope.correlation.is_none() {
            scope.correlation = Some(scope.org.ids.new_id());
        }
        Some(scope.clone())
    })
}

/// The header a receiver sends back to say its call belongs to the context it was sent.
pub const CORRELATION_HEADER: &str = "x-ms-correlation-request-id";

/// Enters the scope of a Web API request to `org`: the host it addressed, and the
/// correlation and depth its `x-ms-correlation-request-id` header implies. Only a
/// correlation id the emulator sent a receiver counts (the receiver is calling back): any
/// other value, such as a client's own tracing id sent on every request, starts a fresh
/// correlation at depth 1, so it never accumulates depth.
///
/// Returns the org to serve the request from. A receiver calling back into the org whose
/// synchronous step is waiting for it would otherwise wait for the org's write lock until
/// the call times out (the emulator locks the whole org for a write, where Dataverse locks
/// rows). Its reads (`GET`, `HEAD`, and the token endpoint) are served from the org as
/// committed before that write, as a reader outside the write's transaction sees it; its
/// writes are refused at once (501).
pub fn enter_request(app: &crate::app::App, org: &Arc<Org>, req: &http::Request<bytes::Bytes>, path: &str) -> crate::error::Result<(Entered, Arc<Org>)> {
    let sent = req.headers().get(CORRELATION_HEADER).and_then(|v| v.to_str().ok()).and_then(|v| Uuid::parse_str(v.trim()).ok());
    let waiting = sent.and_then(|c| app.webhooks().calling_view(c, &org.settings.name).map(|view| (c, view)));
    let org = match waiting {
        None => org.clone(),
        Some((_, view)) if reads_only(req, path) => view,
        Some((c, _)) => {
            return Err(crate::error::Error::new(
                crate::error::Code::NotSupported,
                format!(
                    "The emulator cannot write to org '{}' while the synchronous webhook step of operation {c} waits for this receiver: the org is locked for that operation's write until the receiver answers. Reads are served from the org as it was before that operation. Answer the webhook first, write from an asynchronous step, or call another org.",
                    org.settings.name
                ),
            ))
        }
    };
    let known = sent.and_then(|c| app.webhooks().depth_for(c).map(|depth| (c, depth)));
    let host = crate::app::request_host(req);
    let (correlation, depth) = match known {
        Some((c, depth)) => (Some(c), depth),
        None => (None, 1),
    };
    let entered = enter(Scope { org: org.clone(), host, correlation, depth, journal: app.webhooks().clone() });
    Ok((entered, org))
}

/// Whether a request only reads the org: what a call back may do while the org is locked.
fn reads_only(req: &http::Request<bytes::Bytes>, path: &str) -> bool {
    matches!(*req.method(), http::Method::GET | http::Method::HEAD) || crate::auth::endpoint(path).is_some()
}
