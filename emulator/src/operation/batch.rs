//! `$batch`: runs each part through the same pipeline as a single request
//! ([`crate::app::execute_part`]). A changeset runs inside one store transaction, so it commits
//! or rolls back whole; `$n` references to earlier changeset parts are resolved in request
//! URLs, `@odata.bind` values and `@odata.id` bodies.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Instant;

use bytes::Bytes;
use http::{HeaderValue, Request, StatusCode};
use serde_json::Value as Json;

use super::access::Access;
use super::Ctx;
use crate::app;
use crate::error::{Code, Error, Result};
use crate::org::Org;
use crate::store::Transaction;
use crate::wire::batch::{self, BatchPart, ItemResponse, PartResponse};
use crate::wire::multipart::{self, BatchItem, PartRequest};
use crate::wire::response::Reply;

/// Dataverse accepts at most this many requests in one batch.
pub(super) const MAX_REQUESTS: usize = 1000;

/// Characters a client may leave raw in a batch request line that a URI can't hold.
fn encode_target(target: &str) -> String {
    let mut out = String::with_capacity(target.len());
    for c in target.chars() {
        match c {
            ' ' | '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}' => out.push_str(&format!("%{:02X}", c as u32)),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

fn reference_error(name: &str) -> Error {
    Error::new(Code::BadRequest, format!("Content-ID Reference: '{name}' does not exist in the batch context."))
}

/// Replaces a leading `$n` with the URL of changeset part `n`.
fn resolve_target(target: &str, ids: &HashMap<String, String>) -> Result<String> {
    let Some(rest) = target.strip_prefix('$') else { return Ok(target.to_string()) };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let name = &rest[..end];
    if name == "batch" {
        return Err(Error::new(Code::BadRequest, "Batch requests can't be nested."));
    }
    let url = ids.get(name).ok_or_else(|| reference_error(&format!("${name}")))?;
    Ok(format!("{url}{}", &rest[end..]))
}

/// Replaces `"$n"` values of `…@odata.bind` and `@odata.id` in a JSON body.
fn resolve_body(body: &[u8], ids: &HashMap<String, String>) -> Result<Vec<u8>> {
    // Most parts have no reference; don't parse their JSON just to find that out.
    if !body.windows(2).any(|w| w == b"\"$") {
        return Ok(body.to_vec());
    }
    let Ok(mut json) = serde_json::from_slice::<Json>(body) else { return Ok(body.to_vec()) };
    fn walk(v: &mut Json, ids: &HashMap<String, String>) -> Result<bool> {
        let mut changed = false;
        match v {
            Json::Object(map) => {
                for (k, val) in map.iter_mut() {
                    if k.ends_with("@odata.bind") || k == "@odata.id" {
                        if let Json::String(s) = val {
                            if let Some(name) = s.strip_prefix('$') {
                                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                                    *s = ids.get(name).cloned().ok_or_else(|| reference_error(&format!("${name}")))?;
                                    changed = true;
                                }
                            }
                        }
                    }
                    changed |= walk(val, ids)?;
                }
            }
            Json::Array(items) => {
                for item in items {
                    changed |= walk(item, ids)?;
                }
            }
            _ => {}
        }
        Ok(changed)
    }
    if walk(&mut json, ids)? {
        Ok(serde_json::to_vec(&json).unwrap_or_default())
    } else {
        Ok(body.to_vec())
    }
}

/// Builds the HTTP request of a part. Relative targets resolve against the batch's
/// service root; the outer request's Host and identity headers carry over.
fn build_request(ctx: &Ctx<'_, '_>, part: &PartRequest, ids: &HashMap<String, String>) -> Result<Request<Bytes>> {
    let target = resolve_target(&part.target, ids)?;
    let path = match target.find("://") {
        Some(i) => target[i + 3..].find('/').map_or("/".to_string(), |j| target[i + 3 + j..].to_string()),
        None if target.starts_with('/') => target.clone(),
        // The service root's path, `/api/data/v9.2/` or `/org/<name>/api/data/v9.2/`.
        None => format!("{}{target}", ctx.root.find("://").and_then(|i| ctx.root[i + 3..].find('/').map(|j| &ctx.root[i + 3 + j..])).unwrap_or("/api/data/v9.2/")),
    };
    let uri: http::Uri = encode_target(&path).parse().map_err(|_| Error::new(Code::BadRequest, format!("The request URL '{}' in the batch is not valid.", part.target)))?;
    if uri.path().ends_with("/$batch") {
        return Err(Error::new(Code::BadRequest, "Batch requests can't be nested."));
    }
    let method = http::Method::from_bytes(part.method.as_bytes()).map_err(|_| Error::new(Code::BadRequest, format!("'{}' is not an HTTP method.", part.method)))?;
    let mut req = Request::builder().method(method).uri(uri).body(Bytes::from(resolve_body(&part.body, ids)?)).map_err(Error::internal)?;
    // Parts travel inside the outer request, so they share its scheme (https under --tls).
    if ctx.root.starts_with("https://") {
        req.extensions_mut().insert(crate::app::Scheme("https"));
    }
    let headers = req.headers_mut();
    append_headers(headers, &part.headers);
    for name in [http::header::HOST.as_str(), "authorization", "mscrmcallerid", "callerobjectid"] {
        if !headers.contains_key(name) {
            if let Some(v) = ctx.headers.get(name) {
                headers.insert(http::HeaderName::from_bytes(name.as_bytes()).map_err(Error::internal)?, v.clone());
            }
        }
    }
    Ok(req)
}

fn part_response(org: &Org, content_id: Option<String>, method: &str, reply: Reply) -> PartResponse {
    let (status, headers, body) = reply.parts();
    let mut out = vec![("OData-Version".to_string(), "4.0".to_string())];
    if status.as_u16() >= 400 {
        // Error parts carry the request id, as the documented error response shows.
        out.insert(0, ("REQ_ID".to_string(), org.ids.new_id().to_string()));
    }
    for (name, value) in headers {
        let spelled = match name.as_str() {
            "odata-entityid" => "OData-EntityId",
            "etag" => "ETag",
            "preference-applied" => "Preference-Applied",
            // JSON inside a batch is streamed, as the documented responses show.
            "content-type" if value == crate::wire::response::JSON && status.as_u16() < 400 => {
                out.push(("Content-Type".to_string(), format!("{value}; odata.streaming=true")));
                continue;
            }
            "content-type" => "Content-Type",
            "location" => "Location",
            other => other,
        };
        out.push((spelled.to_string(), value.clone()));
    }
    // Created records in a batch carry Location as well as OData-EntityId (documented).
    if let Some(id) = out.iter().find(|(n, _)| n == "OData-EntityId").map(|(_, v)| v.clone()) {
        if method == "POST" && (status == StatusCode::NO_CONTENT || status == StatusCode::CREATED) {
            out.push(("Location".to_string(), id));
        }
    }
    PartResponse { content_id, status, headers: out, body: body.clone() }
}

/// The URL a later `$n` stands for: the part's OData-EntityId.
fn entity_url(p: &PartResponse) -> Option<String> {
    p.headers.iter().find(|(n, _)| n == "OData-EntityId").map(|(_, v)| v.clone())
}

/// Adds headers given as text; ones that aren't valid HTTP are left out.
fn append_headers(map: &mut http::HeaderMap, pairs: &[(String, String)]) {
    for (name, value) in pairs {
        if let (Ok(n), Ok(v)) = (http::HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            map.append(n, v);
        }
    }
}

/// Runs one part and notes it for the journal (a part whose request can't even be built
/// is answered but not journalled: there is no request to show).
/// `tx` is the changeset's transaction; without one the part runs on its own.
fn run_part(ctx: &Ctx<'_, '_>, part: &PartRequest, ids: &HashMap<String, String>, tx: Option<&mut Transaction<'_>>, ran: &mut Vec<BatchPart>) -> PartResponse {
    let started = Instant::now();
    let (reply, request, operation, table) = match build_request(ctx, part, ids) {
        Ok(req) => {
            let access = match tx {
                Some(tx) => Access::Transaction(RefCell::new(tx)),
                None => Access::Store(&ctx.org.store),
            };
            let (outcome, operation, table) = app::execute_part(ctx.org, &req, access, ctx.caller);
            (outcome.unwrap_or_else(Reply::from), Some(req), operation, table)
        }
        Err(e) => (Reply::from(e), None, None, None),
    };
    let response = part_response(ctx.org, part.content_id.clone(), &part.method, reply);
    if let Some(request) = request {
        let mut headers = http::HeaderMap::new();
        append_headers(&mut headers, &response.headers);
        ran.push(BatchPart { request, operation, table, status: response.status, headers, body: response.body.clone(), duration: started.elapsed() });
    }
    response
}

fn run_changeset(ctx: &Ctx<'_, '_>, org: &Org, parts: &[PartRequest], ran: &mut Vec<BatchPart>) -> std::result::Result<Vec<PartResponse>, PartResponse> {
    let mut failure: Option<PartResponse> = None;
    let result = org.store.write(|tx| {
        let mut ids: HashMap<String, String> = HashMap::new();
        let mut responses = Vec::with_capacity(parts.len());
        for part in parts {
            let response = if part.method == "GET" {
                part_response(org, part.content_id.clone(), &part.method, Reply::from(Error::new(Code::BadRequest, "GET requests are not allowed inside a changeset.")))
            } else {
                run_part(ctx, part, &ids, Some(&mut *tx), ran)
            };
            if response.status.as_u16() >= 400 {
                failure = Some(response);
                return Err(Error::new(Code::BadRequest, "changeset failed"));
            }
            if let (Some(id), Some(url)) = (&part.content_id, entity_url(&response)) {
                ids.insert(id.clone(), url);
            }
            responses.push(response);
        }
        Ok(responses)
    });
    result.map_err(|e| failure.unwrap_or_else(|| part_response(org, None, "", Reply::from(e))))
}

pub(super) fn apply(ctx: &Ctx<'_, '_>) -> Result<Reply> {
    if matches!(ctx.access, Access::Transaction(_)) {
        return Err(Error::new(Code::BadRequest, "Batch requests can't be nested."));
    }
    let content_type = ctx.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let items = multipart::parse(content_type, ctx.body).map_err(|e| Error::new(Code::BadRequest, format!("The $batch request is malformed: {}", e.0)))?;
    let count: usize = items.iter().map(|i| match i {
        BatchItem::Request(_) => 1,
        BatchItem::ChangeSet(parts) => parts.len(),
    }).sum();
    if count > MAX_REQUESTS {
        return Err(Error::new(Code::BadRequest, format!("The number of requests in the batch ({count}) exceeds the limit of {MAX_REQUESTS}.")));
    }
    let continue_on_error = ctx.prefs.continue_on_error;
    let mut results = Vec::with_capacity(items.len());
    let mut ran = Vec::with_capacity(count);
    let mut failed = false;
    for item in &items {
        let (response, ok) = match item {
            BatchItem::Request(part) => {
                let p = run_part(ctx, part, &HashMap::new(), None, &mut ran);
                let ok = p.status.as_u16() < 400;
                (ItemResponse::Single(p), ok)
            }
            BatchItem::ChangeSet(parts) => match run_changeset(ctx, ctx.org, parts, &mut ran) {
                Ok(responses) => (ItemResponse::ChangeSet(responses), true),
                Err(failure) => (ItemResponse::ChangeSet(vec![failure]), false),
            },
        };
        results.push(response);
        if !ok {
            failed = true;
            if !continue_on_error {
                break;
            }
        }
    }
    let (boundary, body) = batch::encode(&results, || ctx.org.ids.new_id());
    let status = if failed && !continue_on_error { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    Ok(Reply::empty(status).with_body(format!("multipart/mixed; boundary={boundary}"), body.into()).with_parts(ran))
}
