//! The delivery journal: every webhook POST attempt, for `/_emulator/webhooks/deliveries`.

use std::sync::{Arc, Mutex};

use serde_json::{json, Value as Json};

use super::Delivery;

/// Keep at most this many attempts (oldest dropped first).
const CAPACITY: usize = 10_000;

/// One attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub delivery: Delivery,
    /// 1 for the first try, 2 for the retry.
    pub attempt: u32,
    /// The receiver's status, or the connection failure.
    pub outcome: Result<u16, String>,
}

impl Attempt {
    /// An attempt at `d`.
    pub fn new(d: &Delivery, attempt: u32, outcome: Result<u16, String>) -> Attempt {
        Attempt { delivery: d.clone(), attempt, outcome }
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
            "attempt": self.attempt,
            "status": self.outcome.as_ref().ok(),
            "error": self.outcome.as_ref().err(),
            "succeeded": self.succeeded(),
            "headers": headers,
            "body": d.body,
        })
    }
}

/// The shared journal (cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct Deliveries {
    attempts: Arc<Mutex<Vec<Attempt>>>,
}

impl Deliveries {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Attempt>> {
        self.attempts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds an attempt.
    pub fn record(&self, a: Attempt) {
        let mut all = self.lock();
        if all.len() >= CAPACITY {
            all.remove(0);
        }
        all.push(a);
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

/// `/_emulator/webhooks/deliveries`: GET lists the attempts (`?url=<prefix>` narrows them
/// to one receiver), DELETE clears them.
pub fn admin(app: &crate::app::App, req: &http::Request<bytes::Bytes>, rest: &[&str]) -> crate::admin::AdminResult {
    use crate::admin::{reply, AdminError};
    match (rest, req.method()) {
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
