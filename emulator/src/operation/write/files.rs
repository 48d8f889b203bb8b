//! Columns whose data is a file: file columns, image columns and a note's `documentbody`.
//! Their rules run inside the write pipeline, so an image set in a PATCH body, one
//! uploaded with `PATCH …/entityimage` and one set on create all end the same way, and a
//! failed write leaves no stored file behind.

use base64::Engine;
use bytes::Bytes;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{Code, Error, Result};
use crate::metadata::{AttributeDef, AttributeType, EntityDef, DEFAULT_FILE_MAX_KB, DEFAULT_IMAGE_MAX_KB};
use crate::store::{Attributes, Record, StoredFile, Transaction, Value};
use crate::wire::input::EntityInput;

use super::WriteContext;

/// The largest note attachment, in bytes: the organization's default `maxuploadfilesize` (5 MB).
pub const MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;

/// .NET ticks (100 ns since 0001-01-01), the unit of `entityimage_timestamp`.
fn ticks(now: OffsetDateTime) -> i64 {
    let unix_ticks = i64::try_from(now.unix_timestamp_nanos() / 100).unwrap_or(0);
    unix_ticks + 621_355_968_000_000_000
}

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn decode(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// `unManagedidsattachmentinvalidfilesize`: a file over the column's (or the org's) limit.
pub fn too_big() -> Error {
    Error::new(Code::AttachmentInvalidFileSize, "Attachment file size is too big.")
}

/// The image type of `bytes` from its signature, as `(mime type, extension)`: the types an
/// image column accepts (GIF, JPEG, TIFF, BMP, PNG).
pub fn image_type(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    const SIGNATURES: [(&[u8], &str, &str); 6] = [
        (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
        (b"\xff\xd8\xff", "image/jpeg", "jpg"),
        (b"GIF8", "image/gif", "gif"),
        (b"BM", "image/bmp", "bmp"),
        (b"II*\0", "image/tiff", "tif"),
        (b"MM\0*", "image/tiff", "tif"),
    ];
    SIGNATURES.iter().find(|(sig, _, _)| bytes.starts_with(sig)).map(|(_, m, e)| (*m, *e))
}

/// The media type for a file name, from its extension.
pub fn mime_for(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "htm" | "html" => "text/html",
        "xml" => "application/xml",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

fn megabytes(bytes: usize) -> usize {
    bytes / (1024 * 1024)
}

/// Checks an image for an image column and returns its type.
fn check_image(entity: &EntityDef, attr: &AttributeDef, id: Uuid, bytes: &[u8]) -> Result<(&'static str, &'static str)> {
    let max = attr.max_size_kb.unwrap_or(DEFAULT_IMAGE_MAX_KB) as usize * 1024;
    if bytes.len() > max {
        return Err(Error::new(
            Code::ProcessImageFailure,
            format!(
                "Error occured when processing image. Reason: File size is too big. MaxSize: {} MB, Uploaded filesize: {} MB.",
                megabytes(max),
                megabytes(bytes.len())
            ),
        ));
    }
    image_type(bytes).ok_or_else(|| {
        Error::new(
            Code::ProcessImageFailure,
            format!(
                "Error occured when processing image. Reason: Update image properties failed for objectid: {id}, logicalName: {}, attribute: {}",
                entity.logical_name, attr.logical_name
            ),
        )
    })
}

/// Keeps image columns and their companions (`…id`, `…_timestamp`, `…_url`) and the
/// stored full-size image in step with the record's image values. `before` is the stored
/// record (`None` on create). The thumbnail is the uploaded image itself: the emulator
/// doesn't resize.
pub(super) fn sync_images(
    tx: &mut Transaction<'_>,
    w: &WriteContext<'_>,
    entity: &EntityDef,
    id: Uuid,
    before: Option<&Attributes>,
    attrs: &mut Attributes,
) -> Result<()> {
    for attr in entity.image_columns() {
        let col = &attr.logical_name;
        let old = before.and_then(|b| b.get(col)).unwrap_or(&Value::Null);
        let new = attrs.get(col).cloned().unwrap_or(Value::Null);
        if &new == old {
            continue;
        }
        let companions = [format!("{col}id"), format!("{col}_timestamp"), format!("{col}_url")];
        let Value::String(text) = new else {
            for c in &companions {
                if entity.attribute(c).is_some() {
                    attrs.insert(c.clone(), Value::Null);
                }
            }
            tx.put_file(&entity.logical_name, id, col, None);
            continue;
        };
        if before.is_none() && !attr.is_primary_image && !w.seeding {
            return Err(Error::new(
                Code::CannotUploadNonPrimaryImageAttributeOnCreate,
                format!("Non-primary image attribute {col} of entity {} is not allowed to upload during Create operation.", entity.logical_name),
            ));
        }
        let bytes = decode(&text).ok_or_else(|| Error::internal("image data was checked as base64 on input"))?;
        let (mime, ext) = check_image(entity, attr, id, &bytes)?;
        // An upload (`PATCH …/entityimage`) stores the file with its name first; keep it.
        let uploaded = tx.state().files().get(&entity.logical_name, id, col).filter(|f| f.bytes[..] == bytes[..]).map(|f| (**f).clone());
        let file = uploaded.unwrap_or_else(|| StoredFile { id: Uuid::new_v4(), name: format!("{col}.{ext}"), mime_type: mime.to_string(), bytes: Bytes::from(bytes) });
        let stamp = ticks(w.now);
        let url = format!("/Image/download.aspx?Entity={}&Attribute={col}&Id={}&Timestamp={stamp}", entity.logical_name, file.id);
        for (c, v) in companions.iter().zip([Value::Guid(file.id), Value::BigInt(stamp), Value::String(url)]) {
            if entity.attribute(c).is_some() {
                attrs.insert(c.clone(), v);
            }
        }
        tx.put_file(&entity.logical_name, id, col, attr.can_store_full_image.then_some(file));
    }
    Ok(())
}

/// A note's attachment: `documentbody` is base64 text; the service fills in `filesize`
/// and `isdocument` from it, and refuses one over the org's upload limit.
pub(super) fn sync_attachment(entity: &EntityDef, before: Option<&Attributes>, attrs: &mut Attributes) -> Result<()> {
    if entity.logical_name != "annotation" {
        return Ok(());
    }
    let old = before.and_then(|b| b.get("documentbody")).unwrap_or(&Value::Null);
    let new = attrs.get("documentbody").cloned().unwrap_or(Value::Null);
    if &new == old {
        return Ok(());
    }
    let size = match &new {
        Value::String(text) => {
            let bytes = decode(text).ok_or_else(|| {
                Error::new(Code::InvalidArgument, "The documentbody attribute must be a base64-encoded string.".to_string())
            })?;
            if bytes.len() > MAX_ATTACHMENT_BYTES {
                return Err(too_big());
            }
            Some(bytes.len())
        }
        _ => None,
    };
    attrs.insert(crate::logical_name!("filesize"), size.map_or(Value::Null, |s| Value::Int(i32::try_from(s).unwrap_or(i32::MAX))));
    attrs.insert(crate::logical_name!("isdocument"), Value::Boolean(size.is_some()));
    Ok(())
}

/// What to put in a file or image column.
pub struct Upload {
    /// The file name (`x-ms-file-name`).
    pub name: String,
    /// The bytes.
    pub bytes: Bytes,
}

/// Sets (or with `None` clears) the file in a file or image column of `current`: checks
/// the column's size limit, stores the bytes, and updates the record through the pipeline.
pub fn set_file(tx: &mut Transaction<'_>, w: &WriteContext<'_>, entity: &EntityDef, current: &Record, attr: &AttributeDef, upload: Option<Upload>) -> Result<()> {
    let col = &attr.logical_name;
    let extra = match (attr.kind, upload) {
        (AttributeType::File, Some(u)) => {
            let max = attr.max_size_kb.unwrap_or(DEFAULT_FILE_MAX_KB) as usize * 1024;
            if u.bytes.len() > max {
                return Err(too_big());
            }
            let file = StoredFile { id: Uuid::new_v4(), mime_type: mime_for(&u.name).to_string(), name: u.name, bytes: u.bytes };
            let values = vec![(col.clone(), Value::Guid(file.id)), (format!("{col}_name"), Value::String(file.name.clone()))];
            tx.put_file(&entity.logical_name, current.id, col, Some(file));
            values
        }
        (AttributeType::File, None) => {
            tx.put_file(&entity.logical_name, current.id, col, None);
            vec![(col.clone(), Value::Null), (format!("{col}_name"), Value::Null)]
        }
        (_, Some(u)) => {
            let mime = image_type(&u.bytes).map_or("application/octet-stream", |t| t.0);
            let text = base64(&u.bytes);
            // The same image again keeps its id, as the record's `…id` column already shows it.
            let same = matches!(current.get(col), Value::String(t) if *t == text);
            let id = tx.state().files().get(&entity.logical_name, current.id, col).filter(|_| same).map_or_else(Uuid::new_v4, |f| f.id);
            // Stored under its name first; `sync_images` keeps it (and checks it).
            tx.put_file(&entity.logical_name, current.id, col, Some(StoredFile { id, mime_type: mime.to_string(), name: u.name, bytes: u.bytes }));
            vec![(col.clone(), Value::String(text))]
        }
        (_, None) => vec![(col.clone(), Value::Null)],
    };
    let extra = extra.into_iter().filter(|(c, _)| entity.attribute(c).is_some()).collect();
    super::update_with(tx, w, entity, current, EntityInput::default(), extra).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_types_come_from_signatures() {
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n...."), Some(("image/png", "png")));
        assert_eq!(image_type(b"\xff\xd8\xff\xe0"), Some(("image/jpeg", "jpg")));
        assert_eq!(image_type(b"hello"), None);
        assert_eq!(mime_for("Report.PDF"), "application/pdf");
        assert_eq!(mime_for("noext"), "application/octet-stream");
    }

    #[test]
    fn timestamps_are_dotnet_ticks() {
        assert_eq!(ticks(OffsetDateTime::UNIX_EPOCH), 621_355_968_000_000_000);
    }
}
