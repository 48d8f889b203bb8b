//! `$batch` response bodies, framed the way Dataverse frames them and both real clients
//! parse them: the body starts at byte 0 with `--batchresponse_<id>`; a changeset is one
//! part whose only header names its `changesetresponse_<id>` boundary; every part is
//! `application/http` with a plain reason phrase; CRLF line endings throughout.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};

use crate::metadata::EntityDef;

/// One HTTP response inside a batch.
#[derive(Debug, Clone)]
pub struct PartResponse {
    /// Echoed `Content-ID`.
    pub content_id: Option<String>,
    /// Status.
    pub status: StatusCode,
    /// Headers, in Dataverse's spelling.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Bytes,
}

/// A top-level batch result.
#[derive(Debug, Clone)]
pub enum ItemResponse {
    /// A request on its own.
    Single(PartResponse),
    /// A changeset's responses (one error part when it failed).
    ChangeSet(Vec<PartResponse>),
}

fn write_part(out: &mut Vec<u8>, delimiter: &str, p: &PartResponse) {
    out.extend_from_slice(format!("--{delimiter}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n").as_bytes());
    if let Some(id) = &p.content_id {
        out.extend_from_slice(format!("Content-ID: {id}\r\n").as_bytes());
    }
    let reason = p.status.canonical_reason().unwrap_or("");
    out.extend_from_slice(format!("\r\nHTTP/1.1 {} {reason}\r\n", p.status.as_u16()).as_bytes());
    for (name, value) in &p.headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    if !p.body.is_empty() {
        out.extend_from_slice(&p.body);
        out.extend_from_slice(b"\r\n");
    }
}

/// Encodes the results; returns the boundary (for the Content-Type header) and the body.
/// Boundaries take their GUIDs from `new_id` (the org's generator, seeded in deterministic mode).
pub fn encode(items: &[ItemResponse], new_id: impl Fn() -> uuid::Uuid) -> (String, Vec<u8>) {
    let boundary = format!("batchresponse_{}", new_id());
    // Sized for the usual part (headers plus a small body), so the buffer rarely regrows.
    let parts: usize = items.iter().map(|i| match i {
        ItemResponse::Single(p) => 256 + p.body.len(),
        ItemResponse::ChangeSet(ps) => ps.iter().map(|p| 256 + p.body.len()).sum::<usize>() + 128,
    }).sum();
    let mut out = Vec::with_capacity(parts + 128);
    for item in items {
        match item {
            ItemResponse::Single(p) => write_part(&mut out, &boundary, p),
            ItemResponse::ChangeSet(parts) => {
                let inner = format!("changesetresponse_{}", new_id());
                out.extend_from_slice(format!("--{boundary}\r\nContent-Type: multipart/mixed; boundary={inner}\r\n\r\n").as_bytes());
                for p in parts {
                    write_part(&mut out, &inner, p);
                }
                out.extend_from_slice(format!("--{inner}--\r\n").as_bytes());
            }
        }
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (boundary, out)
}

/// A part of a `$batch`, journalled as an entry of its own after the `$batch` itself, so
/// queries and verify see (and count) the requests inside a batch like any other.
#[derive(Debug)]
pub struct BatchPart {
    /// The part's request, as the emulator ran it (`$n` references resolved).
    pub request: Request<Bytes>,
    /// The message it was routed to.
    pub operation: Option<&'static str>,
    /// The table it addresses.
    pub table: Option<Arc<EntityDef>>,
    /// The part's response status, headers and body, as the multipart response carries them.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// Response body.
    pub body: Bytes,
    /// Time spent running the part.
    pub duration: Duration,
}
