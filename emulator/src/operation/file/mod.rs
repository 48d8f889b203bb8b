//! File and image columns addressed directly: `/accounts(id)/new_document[/$value]`.
//!
//! | request | answer |
//! |---|---|
//! | `PATCH`/`PUT` with the bytes and `x-ms-file-name` | upload in one request, 204 |
//! | `PATCH` with `x-ms-transfer-mode: chunked` | 200, `Location` with a `sessiontoken`, `x-ms-chunk-size` |
//! | `PATCH <Location>` with `Content-Range` | a chunk: 206, or 204 once the chunks cover the file |
//! | `GET …/$value` | the bytes; with `Range`, 206 and that part |
//! | `GET …` (no `$value`) | `{"value":"<base64>"}` with the same file headers |
//! | `DELETE` | 204, file gone |
//!
//! An image column's plain `GET` (no `$value`, no `size=full`, no `Range`) is an ordinary
//! property read of its thumbnail; `size=full` reads the stored full-size image.

mod download;
mod upload;

use http::Method;

use crate::error::{Error, Result};
use crate::metadata::{AttributeDef, AttributeType};
use crate::route::RecordPath;
use crate::wire::response::Reply;

use super::Ctx;

/// The chunk size the service recommends (`x-ms-chunk-size`): 4 MB, as Dataverse.
pub const CHUNK_SIZE: usize = 4 * 1024 * 1024;

/// Whether a column is reached through this module rather than as a plain property.
pub fn is_file_column(attr: &AttributeDef) -> bool {
    matches!(attr.kind, AttributeType::File | AttributeType::Image)
}

/// Runs a request on a file or image column.
pub(super) fn apply(ctx: &Ctx<'_, '_>, record: &RecordPath, attribute: &str, raw: bool) -> Result<Reply> {
    let entity = &record.entity;
    let attr = entity.attribute(attribute).ok_or_else(|| Error::property_not_found(&entity.logical_name, attribute))?;
    let json_body = ctx
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    match *ctx.method {
        Method::GET => download::apply(ctx, record, attr, raw),
        // `PUT …/entityimage` with `{"value":null}` is an ordinary property write.
        Method::PUT if json_body && attr.kind == AttributeType::Image && !upload::is_chunked(ctx) => super::property::put(ctx, record, attribute),
        Method::PATCH | Method::PUT => upload::apply(ctx, record, attr),
        Method::DELETE => upload::delete(ctx, record, attr),
        _ => Err(Error::method_not_allowed(ctx.method, &format!("{}{}", ctx.root, ctx.raw_path))),
    }
}

/// A custom query option (`size`, `sessiontoken`, `x-ms-file-name`), percent-decoded.
fn query_option<'c>(ctx: &'c Ctx<'_, '_>, name: &str) -> Option<&'c str> {
    ctx.query.custom.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// A request header as text.
fn header<'c>(ctx: &'c Ctx<'_, '_>, name: &str) -> Option<&'c str> {
    ctx.headers.get(name).and_then(|v| v.to_str().ok())
}
