//! Downloads: `GET …/column/$value` (the bytes), `GET …/column` (the bytes as base64 JSON,
//! which is what dynamics-web-api's `downloadFile` reads), each whole or by `Range`.

use base64::Engine;
use bytes::Bytes;
use http::StatusCode;

use crate::error::Result;
use crate::metadata::{AttributeDef, AttributeType};
use crate::operation::write::files::image_type;
use crate::route::RecordPath;
use crate::store::Value;
use crate::wire::ranges::parse_range;
use crate::wire::response::Reply;

use super::{header, query_option, Ctx, CHUNK_SIZE};

/// The file a download serves.
struct Served {
    name: String,
    mime_type: String,
    bytes: Bytes,
}

pub(super) fn apply(ctx: &Ctx<'_, '_>, record: &RecordPath, attr: &AttributeDef, raw: bool) -> Result<Reply> {
    let full = query_option(ctx, "size").is_some_and(|s| s.eq_ignore_ascii_case("full"));
    let range = header(ctx, "range").map(parse_range).transpose()?;
    let thumbnail = attr.kind == AttributeType::Image && !full;
    if thumbnail && !raw && range.is_none() {
        return super::super::property::get(ctx, record, &attr.logical_name, false);
    }
    let served = {
        let state = ctx.access.read();
        let row = super::super::existing(&state, record)?;
        let stored = state.files().get(&record.entity.logical_name, row.id, &attr.logical_name).cloned();
        match (thumbnail, &stored, row.get(&attr.logical_name)) {
            // The thumbnail is the record's own image value (the emulator doesn't resize).
            (true, _, Value::String(text)) => {
                let bytes = Bytes::from(base64::engine::general_purpose::STANDARD.decode(text).unwrap_or_default());
                let (mime, ext) = image_type(&bytes).unwrap_or(("application/octet-stream", "bin"));
                let name = stored.as_ref().map_or_else(|| format!("{}.{ext}", attr.logical_name), |f| f.name.clone());
                Some(Served { name, mime_type: mime.to_string(), bytes })
            }
            (false, Some(f), _) => Some(Served { name: f.name.clone(), mime_type: f.mime_type.clone(), bytes: f.bytes.clone() }),
            _ => None,
        }
    };
    // An empty column, or an image kept without its full size: nothing to send.
    let Some(file) = served else { return Ok(Reply::empty(StatusCode::NO_CONTENT)) };
    let (status, part) = match range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, file.bytes.slice(r.slice(file.bytes.len()))),
        None => (StatusCode::OK, file.bytes.clone()),
    };
    let reply = if raw {
        Reply::empty(status).with_body("application/octet-stream".to_string(), part)
    } else {
        let id = match &record.key {
            crate::operation::target::Key::Id(id) => id.to_string(),
            _ => String::new(),
        };
        let context = format!("{}$metadata#{}({id})/{}", ctx.root, record.entity.entity_set_name, attr.logical_name);
        let value = base64::engine::general_purpose::STANDARD.encode(&part);
        Reply::json(status, &serde_json::json!({ "@odata.context": context, "value": value }))
    };
    let exposed = if range.is_some() { "x-ms-file-size; x-ms-file-name; x-ms-chunk-size; mimetype" } else { "x-ms-file-size; x-ms-file-name; mimetype" };
    let reply = reply
        .header("content-disposition", format!("attachment; filename=\"{}\"", file.name.replace('"', "")))
        .header("x-ms-file-name", file.name)
        .header("x-ms-file-size", file.bytes.len().to_string())
        .header("mimetype", file.mime_type)
        .header("access-control-expose-headers", exposed);
    Ok(match range {
        Some(_) => reply.header("x-ms-chunk-size", CHUNK_SIZE.to_string()),
        None => reply,
    })
}
