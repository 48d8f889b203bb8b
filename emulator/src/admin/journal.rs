//! The request journal: every request the emulator answers (the admin API excepted), with
//! its response and timing, in a bounded ring. `GET /_emulator/journal` queries it,
//! `DELETE /_emulator/journal` clears it, and [`super::verify`] asserts on it.
//!
//! Recording must stay cheap (it is on every request's path): the request's parts are
//! moved in, not copied, and bodies are reference-counted `Bytes`; everything is turned
//! into JSON only when someone asks.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode, Uri};
use percent_encoding::percent_decode_str;
use serde_json::{json, Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use uuid::Uuid;

use super::faults::Faults;
use super::throttle::Ticket;
use super::wire;
use crate::error::Result;
use crate::metadata::EntityDef;
use crate::wire::batch::BatchPart;
use crate::wire::response::Reply;

/// Request bodies larger than this are kept only up to here (a 100 MB `$batch` must not
/// stay in memory because it is in the journal).
const STORED_BODY_LIMIT: usize = 64 * 1024;

/// How many body characters a journal query shows unless it asks for another `bodyLimit`.
const SHOWN_BODY_LIMIT: usize = 4096;

/// What the app learns about a request while answering it, for the journal and faults.
#[derive(Default)]
pub struct Note<'a> {
    /// The org addressed.
    pub org: Option<String>,
    /// When the request arrived, on the org's clock.
    pub at: Option<OffsetDateTime>,
    /// The acting system user, once authenticated.
    pub caller: Option<Uuid>,
    /// The message the request was routed to.
    pub operation: Option<&'static str>,
    /// The table it addresses.
    pub table: Option<Arc<EntityDef>>,
    /// The URL named no entity set, function or action the emulator knows.
    pub unrouted: bool,
    /// The fault injected into this request, if any.
    pub fault: Option<&'static str>,
    /// The fault settings, consulted once the request is routed.
    pub faults: Option<&'a Faults>,
    /// The request's place in the service-protection counters, released when it ends.
    pub ticket: Option<Ticket>,
}

/// One journalled request and its response.
#[derive(Debug)]
pub struct Entry {
    /// Increasing from 1; never reused, even after a clear.
    pub id: u64,
    /// Arrival time on the org's clock.
    pub at: OffsetDateTime,
    /// The request line and headers.
    pub method: Method,
    /// The URI as received.
    pub uri: Uri,
    /// Request headers.
    pub request_headers: HeaderMap,
    /// Request body, at most `STORED_BODY_LIMIT` bytes.
    pub request_body: Bytes,
    /// Whether the request body was cut.
    pub request_body_cut: bool,
    /// The org addressed.
    pub org: Option<String>,
    /// The acting system user.
    pub caller: Option<Uuid>,
    /// The routed message.
    pub operation: Option<&'static str>,
    /// The table addressed.
    pub table: Option<Arc<EntityDef>>,
    /// Answered 501, or routed nowhere.
    pub unsupported: bool,
    /// The injected fault, if any.
    pub fault: Option<&'static str>,
    /// Response status.
    pub status: StatusCode,
    /// Response headers.
    pub response_headers: HeaderMap,
    /// Response body.
    pub response_body: Bytes,
    /// Time spent answering, injected latency included.
    pub duration: Duration,
    /// For a part of a `$batch`: the id of the `$batch` request's own entry.
    pub batch: Option<u64>,
}

impl Entry {
    /// An entry for `req` and its answer, routed nowhere yet (the caller fills in the rest).
    fn new(at: OffsetDateTime, req: Request<Bytes>, status: StatusCode, response_headers: HeaderMap, response_body: Bytes, duration: Duration) -> Entry {
        let (head, body) = req.into_parts();
        let (request_body, request_body_cut) = kept(body);
        Entry {
            id: 0,
            at,
            method: head.method,
            uri: head.uri,
            request_headers: head.headers,
            request_body,
            request_body_cut,
            org: None,
            caller: None,
            operation: None,
            table: None,
            unsupported: status == StatusCode::NOT_IMPLEMENTED,
            fault: None,
            status,
            response_headers,
            response_body,
            duration,
            batch: None,
        }
    }

    /// The path the client used relative to the service root (`accounts(…)`), percent-decoded;
    /// other paths (token service) absolute.
    pub fn path(&self) -> String {
        let raw = self.uri.path();
        let rel = raw
            .strip_prefix("/api/data/")
            .and_then(|r| r.split_once('/').map(|(_, rest)| rest))
            .unwrap_or(raw);
        percent_decode_str(rel).decode_utf8_lossy().into_owned()
    }

    /// The query string, percent-decoded.
    pub fn query(&self) -> String {
        percent_decode_str(self.uri.query().unwrap_or("")).decode_utf8_lossy().into_owned()
    }

    /// The Dataverse error code of an error response.
    pub fn error_code(&self) -> Option<String> {
        if self.status.as_u16() < 400 {
            return None;
        }
        let v: Value = serde_json::from_slice(&self.response_body).ok()?;
        v["error"]["code"].as_str().map(str::to_string)
    }

    /// Whether `name` (a logical name or an entity set name) is this entry's table.
    pub fn is_table(&self, name: &str) -> bool {
        self.table.as_ref().is_some_and(|t| t.logical_name.eq_ignore_ascii_case(name) || t.entity_set_name.eq_ignore_ascii_case(name))
    }

    /// The request header `name`, if it is valid text.
    pub fn request_header(&self, name: &str) -> Option<&str> {
        self.request_headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The request body as text (lossy).
    pub fn body_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.request_body)
    }

    /// A one-line summary for near-miss reports.
    pub fn summary(&self) -> Value {
        let mut summary = json!({ "id": self.id, "method": self.method.as_str(), "path": self.path(), "status": self.status.as_u16(), "operation": self.operation });
        if let Some(batch) = self.batch {
            summary["batch"] = json!(batch);
        }
        summary
    }

    /// The entry as the journal query shows it; bodies cut at `body_limit` characters,
    /// or left out when it is `None`.
    pub fn to_json(&self, body_limit: Option<usize>) -> Value {
        let mut o = Map::new();
        o.insert("id".into(), json!(self.id));
        o.insert("timestamp".into(), json!(self.at.format(&Rfc3339).unwrap_or_default()));
        o.insert("org".into(), json!(self.org));
        o.insert("caller".into(), json!(self.caller));
        o.insert("method".into(), json!(self.method.as_str()));
        o.insert("path".into(), json!(self.path()));
        o.insert("query".into(), json!(self.query()));
        o.insert("url".into(), json!(self.uri.to_string()));
        o.insert("operation".into(), json!(self.operation));
        o.insert("batch".into(), json!(self.batch));
        o.insert("table".into(), json!(self.table.as_ref().map(|t| t.logical_name.as_str())));
        o.insert("entitySet".into(), json!(self.table.as_ref().map(|t| t.entity_set_name.as_str())));
        // A connection dropped before the request ran got no status at all.
        o.insert("status".into(), if self.fault == Some("drop") { Value::Null } else { json!(self.status.as_u16()) });
        o.insert("errorCode".into(), json!(self.error_code()));
        o.insert("unsupported".into(), json!(self.unsupported));
        o.insert("fault".into(), json!(self.fault));
        o.insert("durationMs".into(), json!((self.duration.as_secs_f64() * 1e6).round() / 1e3));
        o.insert("requestHeaders".into(), headers_json(&self.request_headers));
        o.insert("responseHeaders".into(), headers_json(&self.response_headers));
        if let Some(limit) = body_limit {
            let (text, cut) = cut(&self.request_body, limit);
            o.insert("requestBody".into(), json!(text));
            o.insert("requestBodyTruncated".into(), json!(cut || self.request_body_cut));
            let (text, cut) = cut_text(&self.response_body, limit);
            o.insert("responseBody".into(), json!(text));
            o.insert("responseBodyTruncated".into(), json!(cut));
        }
        Value::Object(o)
    }
}

fn cut(body: &Bytes, limit: usize) -> (String, bool) {
    cut_text(body, limit)
}

fn cut_text(body: &[u8], limit: usize) -> (String, bool) {
    let text = String::from_utf8_lossy(body);
    match text.char_indices().nth(limit) {
        Some((i, _)) => (text[..i].to_string(), true),
        None => (text.into_owned(), false),
    }
}

/// Headers as a JSON object (lower-case names; repeated headers joined with `, `); bearer
/// tokens are not shown.
fn headers_json(headers: &HeaderMap) -> Value {
    let mut o = Map::new();
    for name in headers.keys() {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|v| {
                let text = String::from_utf8_lossy(v.as_bytes()).into_owned();
                if name == http::header::AUTHORIZATION {
                    let scheme = text.split_whitespace().next().unwrap_or("");
                    format!("{scheme} (redacted)")
                } else {
                    text
                }
            })
            .collect();
        o.insert(name.as_str().to_string(), json!(values.join(", ")));
    }
    Value::Object(o)
}

/// The ring of recent requests.
#[derive(Debug)]
pub struct Journal {
    capacity: usize,
    ring: Mutex<Ring>,
}

#[derive(Debug, Default)]
struct Ring {
    entries: VecDeque<Arc<Entry>>,
    /// Ids handed out so far (the next entry gets this plus one).
    recorded: u64,
}

/// A request body as the journal keeps it: at most `STORED_BODY_LIMIT` bytes, and whether
/// it was cut.
fn kept(body: Bytes) -> (Bytes, bool) {
    if body.len() > STORED_BODY_LIMIT {
        (Bytes::copy_from_slice(&body[..STORED_BODY_LIMIT]), true)
    } else {
        (body, false)
    }
}

impl Journal {
    /// A journal keeping the last `capacity` requests; 0 records nothing.
    pub fn new(capacity: usize) -> Journal {
        Journal { capacity, ring: Mutex::new(Ring::default()) }
    }

    /// Whether anything is recorded.
    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    fn ring(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.ring.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a finished request, then the parts of a `$batch` (each pointing back at
    /// it). `response_body` is the body the response carries.
    pub fn record(&self, req: Request<Bytes>, note: Note<'_>, response: &crate::wire::response::Response, response_body: Bytes, duration: Duration, parts: Vec<BatchPart>) {
        if !self.enabled() {
            return;
        }
        let at = note.at.unwrap_or_else(OffsetDateTime::now_utc);
        let entry = Entry::new(at, req, response.status(), response.headers().clone(), response_body, duration);
        // Cloned only for a `$batch`'s parts: the common request moves its org name in.
        let part_org = if parts.is_empty() { None } else { note.org.clone() };
        let entry = Entry {
            org: note.org,
            caller: note.caller,
            operation: note.operation,
            table: note.table,
            unsupported: entry.unsupported || note.unrouted,
            fault: note.fault,
            ..entry
        };
        let batch = self.push(entry);
        for part in parts {
            let entry = Entry::new(at, part.request, part.status, part.headers, part.body, part.duration);
            self.push(Entry { org: part_org.clone(), caller: note.caller, operation: part.operation, table: part.table, batch: Some(batch), ..entry });
        }
    }

    /// Adds an entry, evicting the oldest when full; returns its id.
    fn push(&self, mut entry: Entry) -> u64 {
        let (id, evicted) = {
            let mut ring = self.ring();
            ring.recorded += 1;
            entry.id = ring.recorded;
            let evicted = if ring.entries.len() == self.capacity { ring.entries.pop_front() } else { None };
            ring.entries.push_back(Arc::new(entry));
            (ring.recorded, evicted)
        };
        // The evicted entry is freed outside the lock.
        drop(evicted);
        id
    }

    /// The entries now held, oldest first.
    pub fn entries(&self) -> Vec<Arc<Entry>> {
        self.ring().entries.iter().cloned().collect()
    }

    /// Forgets every entry (ids keep counting).
    pub fn clear(&self) {
        self.ring().entries.clear();
    }

    /// Ids handed out so far.
    pub fn recorded(&self) -> u64 {
        self.ring().recorded
    }

    /// The configured size.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

/// A journal query's filters (`GET /_emulator/journal?method=&path=&table=&status=&limit=`).
#[derive(Debug, Default)]
struct Filter {
    method: Option<String>,
    path: Option<String>,
    table: Option<String>,
    operation: Option<String>,
    status: Option<String>,
    org: Option<String>,
    unsupported: Option<bool>,
    since: Option<u64>,
}

impl Filter {
    fn parse(params: &[(String, String)]) -> Result<(Filter, usize, Option<usize>)> {
        let mut f = Filter::default();
        let (mut limit, mut body_limit) = (100usize, Some(SHOWN_BODY_LIMIT));
        let number = |name: &str, v: &str| v.parse::<u64>().map_err(|_| wire::bad_request(format!("The journal filter '{name}' must be a whole number, not '{v}'.")));
        for (name, value) in params {
            match name.as_str() {
                "method" => f.method = Some(value.clone()),
                "path" => f.path = Some(value.clone()),
                "table" => f.table = Some(value.clone()),
                "operation" => f.operation = Some(value.clone()),
                "status" => {
                    let ok = value.len() == 3 && (value.chars().all(|c| c.is_ascii_digit()) || (value.as_bytes()[0].is_ascii_digit() && value[1..].eq_ignore_ascii_case("xx")));
                    if !ok {
                        return Err(wire::bad_request(format!("The journal filter 'status' must be a status like 429 or a class like 4xx, not '{value}'.")));
                    }
                    f.status = Some(value.to_ascii_lowercase());
                }
                "org" => f.org = Some(value.clone()),
                "unsupported" => f.unsupported = Some(value != "false"),
                "since" => f.since = Some(number(name, value)?),
                "limit" => limit = number(name, value)? as usize,
                "bodies" => body_limit = if value == "false" { None } else { body_limit },
                "bodyLimit" => body_limit = Some(number(name, value)? as usize),
                other => {
                    return Err(wire::bad_request(format!(
                        "Unknown journal filter '{other}'. Use method, path, table, operation, status, org, unsupported, since, limit, bodies or bodyLimit."
                    )))
                }
            }
        }
        Ok((f, limit, body_limit))
    }

    fn matches(&self, e: &Entry) -> bool {
        let status = e.status.as_u16().to_string();
        self.method.as_ref().is_none_or(|m| e.method.as_str().eq_ignore_ascii_case(m))
            && self.path.as_ref().is_none_or(|p| {
                let p = p.to_ascii_lowercase();
                let (rel, abs) = (e.path().to_ascii_lowercase(), e.uri.path().to_ascii_lowercase());
                rel.starts_with(&p) || abs.starts_with(&p)
            })
            && self.table.as_ref().is_none_or(|t| e.is_table(t))
            && self.operation.as_ref().is_none_or(|o| e.operation.is_some_and(|op| op.eq_ignore_ascii_case(o)))
            && self.status.as_ref().is_none_or(|s| if s.ends_with("xx") { status.as_bytes()[0] == s.as_bytes()[0] } else { &status == s })
            && self.org.as_ref().is_none_or(|o| e.org.as_ref().is_some_and(|eo| eo.eq_ignore_ascii_case(o)))
            && self.unsupported.is_none_or(|u| e.unsupported == u)
            && self.since.is_none_or(|s| e.id > s)
    }
}

/// `GET /_emulator/journal`: the newest `limit` matching entries, oldest first.
pub fn query(journal: &Journal, req: &Request<Bytes>) -> Result<Reply> {
    let (filter, limit, body_limit) = Filter::parse(&wire::query(req))?;
    let all = journal.entries();
    let matched: Vec<&Arc<Entry>> = all.iter().filter(|e| filter.matches(e)).collect();
    let shown = &matched[matched.len().saturating_sub(limit)..];
    let body = json!({
        "size": journal.capacity(),
        "recorded": journal.recorded(),
        "held": all.len(),
        "matched": matched.len(),
        "entries": shown.iter().map(|e| e.to_json(body_limit)).collect::<Vec<_>>(),
    });
    Ok(wire::json(StatusCode::OK, &body))
}

/// `DELETE /_emulator/journal`.
pub fn clear(journal: &Journal) -> Result<Reply> {
    journal.clear();
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}
