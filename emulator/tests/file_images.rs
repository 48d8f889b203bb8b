//! Image columns (upload, thumbnail and full-size reads, the record's `entityimage`,
//! `entityimageid`, `entityimage_url`, `entityimage_timestamp`) and note attachments
//! (`documentbody` with `filename`, `mimetype`, `filesize`).

use crate::common;

use base64::Engine;
use common::{Server, FABRIKAM};
use http::{Method, StatusCode};
use serde_json::json;

const IMAGE: &str = "accounts(a0000000-0000-4000-8000-000000000001)/entityimage";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A byte string with a PNG signature (the emulator checks the type, not the pixels).
fn png(len: usize) -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n".to_vec();
    v.extend((0..len).map(|i| (i % 256) as u8));
    v
}

#[tokio::test]
async fn an_uploaded_image_shows_on_the_record_and_reads_as_thumbnail_or_full_size() {
    let s = Server::start().await;
    let image = png(300);
    let headers = [("content-type", "application/octet-stream"), ("x-ms-file-name", "logo.png")];
    let r = s.send_bytes(Method::PATCH, IMAGE, &headers, &image).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);

    let rec = s.get(&format!("accounts({FABRIKAM})?$select=entityimage,entityimageid,entityimage_url,entityimage_timestamp")).await;
    assert_eq!(rec.json["entityimage"], b64(&image));
    let image_id = rec.json["entityimageid"].as_str().expect("image id").to_string();
    let stamp = rec.json["entityimage_timestamp"].as_i64().expect("timestamp");
    assert!(stamp > 638_000_000_000_000_000, ".NET ticks: {stamp}");
    assert_eq!(
        rec.json["entityimage_url"],
        format!("/Image/download.aspx?Entity=account&Attribute=entityimage&Id={image_id}&Timestamp={stamp}")
    );

    // The plain property read is the thumbnail as base64.
    let r = s.get(IMAGE).await;
    assert_eq!(r.json["value"], b64(&image), "{}", r.text);
    let thumb = s.send_bytes(Method::GET, &format!("{IMAGE}/$value"), &[], b"").await;
    assert_eq!((thumb.status, thumb.body.to_vec()), (StatusCode::OK, image.clone()));
    assert_eq!(thumb.header("mimetype"), Some("image/png"));
    let full = s.send_bytes(Method::GET, &format!("{IMAGE}/$value?size=full"), &[], b"").await;
    assert_eq!((full.status, full.body.to_vec()), (StatusCode::OK, image.clone()));
    assert_eq!(full.header("x-ms-file-name"), Some("logo.png"));
    assert_eq!(full.header("x-ms-file-size"), Some("308"));
    let part = s.send_bytes(Method::GET, &format!("{IMAGE}?size=full"), &[("range", "bytes=0-7")], b"").await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.json()["value"], b64(&image[..8]));

    // Cleared with PUT {"value":null}: the companions go, and there is no full image to read.
    let r = s.put(IMAGE, r#"{"value":null}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let rec = s.get(&format!("accounts({FABRIKAM})?$select=entityimage,entityimageid,entityimage_url")).await;
    assert_eq!((rec.json["entityimage"].clone(), rec.json["entityimageid"].clone(), rec.json["entityimage_url"].clone()), (json!(null), json!(null), json!(null)));
    assert_eq!(s.send_bytes(Method::GET, &format!("{IMAGE}/$value?size=full"), &[], b"").await.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn images_set_in_a_body_on_create_and_update_and_delete_with_the_column() {
    let s = Server::start().await;
    let first = png(10);
    let body = json!({ "lastname": "Imaged", "entityimage": b64(&first) }).to_string();
    let id = s.create("contacts", &body).await;
    let path = format!("contacts({id})/entityimage");
    let full = s.send_bytes(Method::GET, &format!("{path}/$value?size=full"), &[], b"").await;
    assert_eq!(full.body.to_vec(), first);
    assert_eq!(full.header("x-ms-file-name"), Some("entityimage.png"));

    let second = png(20);
    let r = s.patch(&format!("contacts({id})"), &[], &json!({ "entityimage": b64(&second) }).to_string()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(s.send_bytes(Method::GET, &format!("{path}/$value?size=full"), &[], b"").await.body.to_vec(), second);

    assert_eq!(s.delete(&path).await.status, StatusCode::NO_CONTENT);
    assert_eq!(s.get(&format!("contacts({id})?$select=entityimage")).await.json["entityimage"], json!(null));
}

#[tokio::test]
async fn images_must_be_images_within_the_size_limit() {
    let s = Server::start().await;
    let headers = [("content-type", "application/octet-stream"), ("x-ms-file-name", "notes.txt")];
    let r = s.send_bytes(Method::PATCH, IMAGE, &headers, b"plain text, not an image").await;
    assert_eq!((r.status, r.json()["error"]["code"].clone()), (StatusCode::BAD_REQUEST, json!("0x80072553")));
    let message = r.json()["error"]["message"].as_str().unwrap_or_default().to_string();
    assert!(message.starts_with("Error occured when processing image. Reason: Update image properties failed for objectid:"), "{message}");

    let r = s.patch(&format!("accounts({FABRIKAM})"), &[], r#"{"entityimage":"not base64!"}"#).await;
    r.assert_error(400, "0x80048d19");

    let big = png(10 * 1024 * 1024);
    let r = s.send_bytes(Method::PATCH, IMAGE, &[("content-type", "application/octet-stream"), ("x-ms-file-name", "big.png")], &big).await;
    assert_eq!(r.json()["error"]["code"], "0x80072553");
    assert!(r.json()["error"]["message"].as_str().unwrap_or_default().contains("File size is too big. MaxSize: 10 MB"));
    assert_eq!(s.get(&format!("accounts({FABRIKAM})?$select=entityimage")).await.json["entityimage"], json!(null));
}

#[tokio::test]
async fn note_attachments_carry_their_size_and_read_back_as_base64() {
    let s = Server::start().await;
    let doc = b"%PDF-1.7 a small document";
    let body = json!({
        "subject": "Signed contract", "filename": "contract.pdf", "mimetype": "application/pdf",
        "documentbody": b64(doc), "objectid_account@odata.bind": format!("/accounts({FABRIKAM})"),
    });
    let id = s.create("annotations", &body.to_string()).await;
    let r = s.get(&format!("annotations({id})?$select=filename,mimetype,filesize,isdocument,documentbody")).await;
    assert_eq!((r.json["filename"].clone(), r.json["mimetype"].clone()), (json!("contract.pdf"), json!("application/pdf")));
    assert_eq!((r.json["filesize"].clone(), r.json["isdocument"].clone()), (json!(doc.len()), json!(true)));
    assert_eq!(r.json["documentbody"], b64(doc));
    let raw = s.get(&format!("annotations({id})/documentbody/$value")).await;
    assert_eq!((raw.status, raw.text.as_str()), (StatusCode::OK, b64(doc).as_str()));

    let r = s.patch(&format!("annotations({id})"), &[], r#"{"documentbody":null}"#).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = s.get(&format!("annotations({id})?$select=filesize,isdocument")).await;
    assert_eq!((r.json["filesize"].clone(), r.json["isdocument"].clone()), (json!(null), json!(false)));

    let big = json!({ "subject": "too big", "filename": "big.bin", "documentbody": b64(&vec![7u8; 5 * 1024 * 1024 + 1]) });
    let before = s.count("annotations").await;
    s.post("annotations", &big.to_string()).await.assert_error(400, "0x80044a02");
    assert_eq!(s.count("annotations").await, before);
}
