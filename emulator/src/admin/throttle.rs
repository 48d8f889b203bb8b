//! Service protection as Dataverse counts it: per user (application users included), over
//! a sliding window (300 s by default), three limits: requests, combined execution time
//! and concurrent requests. The window runs on the org's clock, so advancing the clock
//! past it lifts a throttle without waiting.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::wire::grouped;
use crate::error::{Code, Error};

/// The limits (Dataverse's documented defaults unless configured).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Limits {
    /// Requests per user per window.
    pub requests: u64,
    /// Combined execution time per user per window, in milliseconds.
    pub execution_time_ms: u64,
    /// Requests one user may have in flight at once.
    pub concurrent: u64,
    /// The sliding window, in seconds.
    pub window_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { requests: 6000, execution_time_ms: 1_200_000, concurrent: 52, window_seconds: 300 }
    }
}

/// Which limit a 429 reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum Limit {
    /// Number of requests (0x80072322).
    #[default]
    Requests,
    /// Combined execution time (0x80072321).
    ExecutionTime,
    /// Concurrent requests (0x80072326).
    Concurrency,
}

impl Limit {
    /// The error Dataverse answers when this limit is hit, with its documented message.
    pub fn error(self, limits: &Limits) -> Error {
        let window = limits.window_seconds;
        match self {
            Limit::Requests => Error::new(
                Code::ServiceProtectionRequests,
                format!("Number of requests exceeded the limit of {} over time window of {window} seconds.", limits.requests),
            ),
            Limit::ExecutionTime => Error::new(
                Code::ServiceProtectionExecutionTime,
                format!(
                    "Combined execution time of incoming requests exceeded limit of {} milliseconds over time window of {window} seconds. Decrease number of concurrent requests or reduce the duration of requests and try again later.",
                    grouped(limits.execution_time_ms)
                ),
            ),
            Limit::Concurrency => Error::new(
                Code::ServiceProtectionConcurrency,
                format!("Number of concurrent requests exceeded the limit of {}.", limits.concurrent),
            ),
        }
    }
}

/// A refused request: the limit hit and how long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    /// The limit.
    pub limit: Limit,
    /// `Retry-After`, in seconds.
    pub retry_after: u64,
}

/// What one user has used in the window.
#[derive(Debug, Default)]
struct Usage {
    /// Arrival times (unix seconds) of admitted requests.
    requests: VecDeque<i64>,
    /// End times and execution times (ms) of finished requests.
    executions: VecDeque<(i64, u64)>,
    execution_total: u64,
    in_flight: u64,
}

impl Usage {
    fn prune(&mut self, now: i64, window: i64) {
        while self.requests.front().is_some_and(|t| *t <= now - window) {
            self.requests.pop_front();
        }
        while let Some((t, ms)) = self.executions.front().copied() {
            if t > now - window {
                break;
            }
            self.execution_total -= ms;
            self.executions.pop_front();
        }
    }
}

/// The users' counters. Cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct Counters {
    users: Arc<Mutex<HashMap<(String, Uuid), Usage>>>,
}

/// Budget left for a user, for the `x-ms-ratelimit-*` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remaining {
    /// Requests left in the window.
    pub requests: u64,
    /// Execution time left, in milliseconds.
    pub execution_time_ms: u64,
}

/// A request's place in its user's counters: holds its concurrency slot until dropped.
#[derive(Debug)]
pub struct Ticket {
    counters: Counters,
    key: (String, Uuid),
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Some(u) = self.counters.lock().get_mut(&self.key) {
            u.in_flight = u.in_flight.saturating_sub(1);
        }
    }
}

impl Ticket {
    /// Adds the request's execution time, ending at `now`, and returns what is left.
    pub fn finish(&self, now: i64, execution_ms: u64, limits: &Limits) -> Remaining {
        let mut users = self.counters.lock();
        let u = users.entry(self.key.clone()).or_default();
        u.executions.push_back((now, execution_ms));
        u.execution_total += execution_ms;
        Remaining {
            requests: limits.requests.saturating_sub(u.requests.len() as u64),
            execution_time_ms: limits.execution_time_ms.saturating_sub(u.execution_total),
        }
    }
}

impl Counters {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, Uuid), Usage>> {
        self.users.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Admits a request from `caller` in `org` at `now` (unix seconds), or says which limit
    /// refuses it. Refused requests don't count.
    pub fn admit(&self, org: &str, caller: Uuid, now: i64, limits: &Limits) -> Result<Ticket, Throttled> {
        let window = limits.window_seconds.max(1) as i64;
        let key = (org.to_string(), caller);
        let mut users = self.lock();
        let u = users.entry(key.clone()).or_default();
        u.prune(now, window);
        let wait = |oldest: Option<i64>| oldest.map_or(1, |t| (t + window - now).max(1) as u64);
        if u.in_flight >= limits.concurrent {
            return Err(Throttled { limit: Limit::Concurrency, retry_after: 1 });
        }
        if u.requests.len() as u64 >= limits.requests {
            return Err(Throttled { limit: Limit::Requests, retry_after: wait(u.requests.front().copied()) });
        }
        if u.execution_total >= limits.execution_time_ms {
            return Err(Throttled { limit: Limit::ExecutionTime, retry_after: wait(u.executions.front().map(|e| e.0)) });
        }
        u.requests.push_back(now);
        u.in_flight += 1;
        drop(users);
        Ok(Ticket { counters: self.clone(), key })
    }

    /// Every user's usage, for `GET /_emulator/faults`.
    pub fn snapshot(&self) -> Vec<serde_json::Value> {
        let users = self.lock();
        let mut out: Vec<_> = users
            .iter()
            .map(|((org, caller), u)| {
                serde_json::json!({ "org": org, "caller": caller, "requests": u.requests.len(), "executionTimeMs": u.execution_total, "inFlight": u.in_flight })
            })
            .collect();
        out.sort_by_key(|v| v.to_string());
        out
    }

    /// Forgets all usage (in-flight requests keep their slots until they end).
    pub fn clear(&self) {
        self.lock().retain(|_, u| {
            u.requests.clear();
            u.executions.clear();
            u.execution_total = 0;
            u.in_flight > 0
        });
    }
}

/// `x-ms-ratelimit-time-remaining-xrm-requests` as the service prints it: seconds with a
/// thousands separator and two decimals (`1,200.00`).
pub fn time_remaining_header(ms: u64) -> String {
    format!("{}.{:02}", grouped(ms / 1000), (ms % 1000) / 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_requests_over_a_sliding_window() {
        let limits = Limits { requests: 2, ..Limits::default() };
        let c = Counters::default();
        let user = Uuid::nil();
        let a = c.admit("o", user, 100, &limits).unwrap();
        let _b = c.admit("o", user, 110, &limits).unwrap();
        assert_eq!(c.admit("o", user, 120, &limits).unwrap_err(), Throttled { limit: Limit::Requests, retry_after: 280 });
        assert!(c.admit("o", user, 400, &limits).is_ok(), "the first request left the window");
        assert!(c.admit("o", Uuid::max(), 120, &limits).is_ok(), "other users have their own budget");
        drop(a);
    }

    #[test]
    fn concurrency_slots_free_when_tickets_drop() {
        let limits = Limits { concurrent: 1, ..Limits::default() };
        let c = Counters::default();
        let t = c.admit("o", Uuid::nil(), 0, &limits).unwrap();
        assert_eq!(c.admit("o", Uuid::nil(), 0, &limits).unwrap_err().limit, Limit::Concurrency);
        drop(t);
        assert!(c.admit("o", Uuid::nil(), 0, &limits).is_ok());
    }

    #[test]
    fn execution_time_counts_and_prints_like_the_service() {
        let limits = Limits { execution_time_ms: 1000, ..Limits::default() };
        let c = Counters::default();
        let t = c.admit("o", Uuid::nil(), 0, &limits).unwrap();
        assert_eq!(t.finish(1, 1500, &limits).execution_time_ms, 0);
        drop(t);
        assert_eq!(c.admit("o", Uuid::nil(), 2, &limits).unwrap_err(), Throttled { limit: Limit::ExecutionTime, retry_after: 299 });
        assert_eq!(time_remaining_header(1_200_000), "1,200.00");
        assert_eq!(time_remaining_header(1_199_460), "1,199.46");
    }
}
