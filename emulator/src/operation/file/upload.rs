//! Uploads and deletes: one request with the bytes, or a chunked upload session.
//!
//! A chunked upload starts with `x-ms-transfer-mode: chunked` and no body; the answer's
//! `Location` carries a `sessiontoken`. Each chunk goes to that URL with `Content-Range`
//! (clients reuse the first request's headers, so a chunk is known by its session token
//! and range, not by `x-ms-transfer-mode`). Chunks may come in any order; the file is
//! committed, and the chunk answered 204, once they cover it without a gap. Until then
//! each chunk gets 206, and a missing chunk leaves the column as it was. An empty chunk
//! after the end (`bytes N-(N-1)/N`) is accepted.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::StatusCode;
use uuid::Uuid;

use crate::error::{Code, Error, Result};
use crate::metadata::{AttributeDef, AttributeType, DEFAULT_FILE_MAX_KB};
use crate::operation::write::files::{set_file, too_big, Upload};
use crate::route::RecordPath;
use crate::store::UploadSession;
use crate::wire::ranges::parse_content_range;
use crate::wire::response::Reply;

use super::{header, query_option, Ctx, CHUNK_SIZE};
use crate::operation::existing;

/// Whether the request starts a chunked upload or sends one of its chunks.
pub(super) fn is_chunked(ctx: &Ctx<'_, '_>) -> bool {
    header(ctx, "x-ms-transfer-mode").is_some_and(|m| m.eq_ignore_ascii_case("chunked"))
        || header(ctx, "content-range").is_some()
        || query_option(ctx, "sessiontoken").is_some()
}

/// The file name: the `x-ms-file-name` header, which wins, else the query parameter.
fn file_name(ctx: &Ctx<'_, '_>) -> Option<String> {
    header(ctx, "x-ms-file-name").or_else(|| query_option(ctx, "x-ms-file-name")).map(str::to_string).filter(|n| !n.is_empty())
}

fn name_required() -> Error {
    Error::new(Code::BadRequest, "The file name is missing: send it in the x-ms-file-name header or query parameter.")
}

pub(super) fn apply(ctx: &Ctx<'_, '_>, record: &RecordPath, attr: &AttributeDef) -> Result<Reply> {
    if let Some(token) = query_option(ctx, "sessiontoken") {
        return chunk(ctx, record, attr, token);
    }
    if header(ctx, "content-range").is_some() {
        return Err(Error::new(Code::BadRequest, "A chunk (Content-Range) must be sent to the Location of its upload session, with its sessiontoken."));
    }
    if header(ctx, "x-ms-transfer-mode").is_some_and(|m| m.eq_ignore_ascii_case("chunked")) {
        return start(ctx, record, attr);
    }
    let name = match (file_name(ctx), attr.kind) {
        (Some(n), _) => n,
        (None, AttributeType::Image) => String::new(),
        (None, _) => return Err(name_required()),
    };
    let w = ctx.writer();
    ctx.access.write(|tx| {
        let current = existing(tx.state(), record)?;
        let name = if name.is_empty() { default_image_name(attr, ctx.body) } else { name };
        set_file(tx, &w, &record.entity, &current, attr, Some(Upload { name, bytes: Bytes::copy_from_slice(ctx.body) }))
    })?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

fn default_image_name(attr: &AttributeDef, bytes: &[u8]) -> String {
    let ext = crate::operation::write::files::image_type(bytes).map_or("bin", |t| t.1);
    format!("{}.{ext}", attr.logical_name)
}

/// `PATCH …/column` with `x-ms-transfer-mode: chunked`: opens a session.
fn start(ctx: &Ctx<'_, '_>, record: &RecordPath, attr: &AttributeDef) -> Result<Reply> {
    let name = file_name(ctx).ok_or_else(name_required)?;
    let token = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    let id = ctx.access.write(|tx| {
        let current = existing(tx.state(), record)?;
        let session = UploadSession {
            table: record.entity.logical_name.clone(),
            record: current.id,
            column: attr.logical_name.clone(),
            file_name: name,
            total: None,
            chunks: BTreeMap::new(),
            committed: false,
        };
        tx.put_session(&token, Some(session));
        Ok(current.id)
    })?;
    let location = format!("{}{}({id})/{}?sessiontoken={token}", ctx.root, record.entity.entity_set_name, attr.logical_name);
    Ok(Reply::empty(StatusCode::OK)
        .header("location", location)
        .header("x-ms-chunk-size", CHUNK_SIZE.to_string())
        .header("accept-ranges", "bytes")
        .header("access-control-expose-headers", "x-ms-chunk-size"))
}

/// `PATCH <Location>` with `Content-Range`: one chunk.
fn chunk(ctx: &Ctx<'_, '_>, record: &RecordPath, attr: &AttributeDef, token: &str) -> Result<Reply> {
    let range_text = header(ctx, "content-range").ok_or_else(|| Error::new(Code::BadRequest, "A chunk must carry a Content-Range header."))?;
    let range = parse_content_range(range_text)?;
    if range.len != ctx.body.len() as u64 {
        return Err(Error::new(
            Code::BadRequest,
            format!("The Content-Range header '{range_text}' announces {} bytes but the chunk holds {}.", range.len, ctx.body.len()),
        ));
    }
    if attr.kind == AttributeType::File && range.total > u64::from(attr.max_size_kb.unwrap_or(DEFAULT_FILE_MAX_KB)) * 1024 {
        return Err(too_big());
    }
    let w = ctx.writer();
    let committed = ctx.access.write(|tx| {
        let current = existing(tx.state(), record)?;
        let invalid = || Error::new(Code::BadRequest, format!("The upload session token '{token}' is not valid for this column."));
        let mut session = tx.state().files().session(token).map(|s| (**s).clone()).ok_or_else(invalid)?;
        if session.table != record.entity.logical_name || session.record != current.id || session.column != attr.logical_name {
            return Err(invalid());
        }
        if session.total.is_some_and(|t| t != range.total) && !(session.committed && range.len == 0) {
            return Err(Error::new(
                Code::BadRequest,
                format!("The Content-Range header '{range_text}' doesn't match the file size of the upload ({}).", session.total.unwrap_or_default()),
            ));
        }
        if range.len == 0 && session.committed {
            return Ok(true);
        }
        session.total = Some(range.total);
        session.committed = false;
        if range.len > 0 {
            session.chunks.insert(range.start, Bytes::copy_from_slice(ctx.body));
        }
        let Some(bytes) = session.assembled() else {
            tx.put_session(token, Some(session));
            return Ok(false);
        };
        let name = session.file_name.clone();
        // Committed: keep the session (an empty trailing chunk may follow) but not its bytes.
        session.chunks.clear();
        session.committed = true;
        tx.put_session(token, Some(session));
        set_file(tx, &w, &record.entity, &current, attr, Some(Upload { name, bytes }))?;
        Ok(true)
    })?;
    Ok(Reply::empty(if committed { StatusCode::NO_CONTENT } else { StatusCode::PARTIAL_CONTENT }))
}

/// `DELETE …/column`: the file goes, and the column (with its name or image companions) is cleared.
pub(super) fn delete(ctx: &Ctx<'_, '_>, record: &RecordPath, attr: &AttributeDef) -> Result<Reply> {
    let w = ctx.writer();
    ctx.access.write(|tx| {
        let current = existing(tx.state(), record)?;
        set_file(tx, &w, &record.entity, &current, attr, None)
    })?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}
