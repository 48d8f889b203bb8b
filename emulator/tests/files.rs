//! File columns over HTTP: single-request and chunked uploads (odd chunk sizes, chunks out
//! of order, a missing chunk, a trailing empty chunk), downloads whole and by `Range`, the
//! JSON base64 form, delete, and the column's size limit. Image columns and note
//! attachments are in `file_images.rs`.

use crate::common;

use base64::Engine;
use common::{Server, FABRIKAM};
use http::{Method, StatusCode};
use serde_json::json;

const DOC: &str = "accounts(a0000000-0000-4000-8000-000000000001)/new_document";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `len` bytes that aren't valid UTF-8, so nothing downstream can treat them as text.
fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8 | 0x80).collect()
}

async fn upload(s: &Server, path: &str, name: &str, bytes: &[u8]) -> common::BytesResp {
    s.send_bytes(Method::PATCH, path, &[("content-type", "application/octet-stream"), ("x-ms-file-name", name), ("if-none-match", "null")], bytes).await
}

/// Starts a chunked upload and returns the absolute `Location` to send chunks to.
async fn start_chunked(s: &Server, path: &str, name: &str) -> String {
    let r = s.send_bytes(Method::PATCH, &format!("{path}?x-ms-file-name={name}"), &[("x-ms-transfer-mode", "chunked")], b"").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.header("x-ms-chunk-size"), Some("4194304"));
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    let location = r.header("location").expect("Location").to_string();
    assert!(location.starts_with(&s.base), "absolute, same base: {location}");
    assert!(location.contains("sessiontoken="), "{location}");
    location
}

async fn chunk(s: &Server, location: &str, name: &str, range: &str, bytes: &[u8]) -> common::BytesResp {
    // The client reuses the first request's headers, x-ms-transfer-mode included.
    let headers = [("content-type", "application/octet-stream"), ("x-ms-file-name", name), ("content-range", range), ("x-ms-transfer-mode", "chunked")];
    s.send_bytes(Method::PATCH, location, &headers, bytes).await
}

async fn download(s: &Server, path: &str) -> Vec<u8> {
    let r = s.send_bytes(Method::GET, &format!("{path}/$value"), &[], b"").await;
    assert_eq!(r.status, StatusCode::OK);
    r.body.to_vec()
}

#[tokio::test]
async fn single_request_upload_sets_the_column_and_downloads_whole_or_by_range() {
    let s = Server::start().await;
    let bytes = payload(1000);
    let r = upload(&s, DOC, "contract.pdf", &bytes).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);

    let rec = s.get(&format!("accounts({FABRIKAM})?$select=name,new_document,new_document_name")).await;
    let file_id = rec.json["new_document"].as_str().expect("file id").to_string();
    assert!(uuid::Uuid::parse_str(&file_id).is_ok());
    assert_eq!(rec.json["new_document_name"], "contract.pdf");

    let r = s.send_bytes(Method::GET, &format!("{DOC}/$value"), &[], b"").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body.to_vec(), bytes);
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(r.header("x-ms-file-name"), Some("contract.pdf"));
    assert_eq!(r.header("x-ms-file-size"), Some("1000"));
    assert_eq!(r.header("mimetype"), Some("application/pdf"));
    assert_eq!(r.header("content-disposition"), Some("attachment; filename=\"contract.pdf\""));

    let r = s.send_bytes(Method::GET, &format!("{DOC}/$value"), &[("range", "bytes=10-19")], b"").await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.body.to_vec(), bytes[10..20]);
    assert_eq!(r.header("x-ms-file-size"), Some("1000"));
    assert_eq!(r.header("x-ms-chunk-size"), Some("4194304"));

    // dynamics-web-api's downloadFile: no $value, size=full, Range; JSON with the file headers.
    let r = s.send_bytes(Method::GET, &format!("{DOC}?size=full"), &[("range", "bytes=0-4194303")], b"").await;
    assert_eq!(r.status, StatusCode::PARTIAL_CONTENT);
    assert!(r.header("content-disposition").is_some());
    assert_eq!(r.json()["value"], b64(&bytes));
    let r = s.send_bytes(Method::GET, &format!("{DOC}?size=full"), &[("range", "bytes=4194304-8388607")], b"").await;
    assert_eq!((r.status, r.json()["value"].clone()), (StatusCode::PARTIAL_CONTENT, json!("")));

    // A second upload replaces the file, with a new id.
    assert_eq!(upload(&s, DOC, "v2.txt", b"second").await.status, StatusCode::NO_CONTENT);
    let rec = s.get(&format!("accounts({FABRIKAM})?$select=new_document,new_document_name")).await;
    assert_ne!(rec.json["new_document"], json!(file_id));
    assert_eq!(rec.json["new_document_name"], "v2.txt");
    assert_eq!(download(&s, DOC).await, b"second");

    // PUT works the same way.
    let r = s.send_bytes(Method::PUT, DOC, &[("content-type", "application/octet-stream"), ("x-ms-file-name", "put.txt")], b"by put").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(download(&s, DOC).await, b"by put");
}

#[tokio::test]
async fn chunked_upload_with_odd_chunk_sizes_commits_on_the_last_chunk() {
    let s = Server::start().await;
    let bytes = payload(30);
    let location = start_chunked(&s, DOC, "odd.bin").await;
    let mut statuses = Vec::new();
    for start in (0..30).step_by(8) {
        let end = (start + 8).min(30);
        let r = chunk(&s, &location, "odd.bin", &format!("bytes {start}-{}/30", end - 1), &bytes[start..end]).await;
        statuses.push(r.status.as_u16());
        // Nothing shows until the last chunk.
        if end < 30 {
            assert_eq!(s.get(&format!("accounts({FABRIKAM})?$select=new_document")).await.json["new_document"], json!(null));
        }
    }
    assert_eq!(statuses, [206, 206, 206, 204]);
    assert_eq!(download(&s, DOC).await, bytes);
    let rec = s.get(&format!("accounts({FABRIKAM})?$select=new_document_name")).await;
    assert_eq!(rec.json["new_document_name"], "odd.bin");
}

#[tokio::test]
async fn a_trailing_empty_chunk_is_accepted() {
    let s = Server::start().await;
    let bytes = payload(16);
    let location = start_chunked(&s, DOC, "even.bin").await;
    assert_eq!(chunk(&s, &location, "even.bin", "bytes 0-7/16", &bytes[..8]).await.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(chunk(&s, &location, "even.bin", "bytes 8-15/16", &bytes[8..]).await.status, StatusCode::NO_CONTENT);
    assert_eq!(chunk(&s, &location, "even.bin", "bytes 16-15/16", b"").await.status, StatusCode::NO_CONTENT);
    assert_eq!(download(&s, DOC).await, bytes);
}

#[tokio::test]
async fn chunks_out_of_order_commit_once_complete_and_a_missing_chunk_commits_nothing() {
    let s = Server::start().await;
    assert_eq!(upload(&s, DOC, "before.txt", b"before").await.status, StatusCode::NO_CONTENT);
    let bytes = payload(20);

    let location = start_chunked(&s, DOC, "late.bin").await;
    assert_eq!(chunk(&s, &location, "late.bin", "bytes 10-19/20", &bytes[10..]).await.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(download(&s, DOC).await, b"before", "a gap: nothing committed yet");

    // A session that never gets its last chunk leaves the file as it was.
    let other = start_chunked(&s, DOC, "never.bin").await;
    assert_eq!(chunk(&s, &other, "never.bin", "bytes 0-9/20", &bytes[..10]).await.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(download(&s, DOC).await, b"before");

    assert_eq!(chunk(&s, &location, "late.bin", "bytes 0-9/20", &bytes[..10]).await.status, StatusCode::NO_CONTENT);
    assert_eq!(download(&s, DOC).await, bytes);
}

#[tokio::test]
async fn bad_chunks_and_sessions_are_refused() {
    let s = Server::start().await;
    let location = start_chunked(&s, DOC, "x.bin").await;
    let r = chunk(&s, &location, "x.bin", "bytes 0-9/20", b"short").await;
    assert_eq!((r.status, r.json()["error"]["code"].clone()), (StatusCode::BAD_REQUEST, json!("0x80060888")));
    let r = chunk(&s, &location, "x.bin", "bytes 0-NaN/10", b"").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(chunk(&s, &location, "x.bin", "bytes 0-4/20", b"12345").await.status, StatusCode::PARTIAL_CONTENT);
    let r = chunk(&s, &location, "x.bin", "bytes 5-9/30", b"12345").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "the file size can't change mid-upload");
    let r = chunk(&s, &format!("{DOC}?sessiontoken=nope"), "x.bin", "bytes 0-4/5", b"12345").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // The session belongs to its record and column.
    let elsewhere = location.replace(FABRIKAM, "a0000000-0000-4000-8000-000000000002");
    assert_eq!(chunk(&s, &elsewhere, "x.bin", "bytes 0-4/20", b"12345").await.status, StatusCode::BAD_REQUEST);
    // A single upload needs a name; a record that doesn't exist is 404.
    let r = s.send_bytes(Method::PATCH, DOC, &[("content-type", "application/octet-stream")], b"x").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = upload(&s, "accounts(a0000000-0000-4000-8000-0000000000ff)/new_document", "a.txt", b"x").await;
    assert_eq!((r.status, r.json()["error"]["code"].clone()), (StatusCode::NOT_FOUND, json!("0x80040217")));
    // POST and $value writes aren't file operations.
    assert_eq!(s.send_bytes(Method::POST, DOC, &[], b"").await.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(s.send_bytes(Method::PATCH, &format!("{DOC}/$value"), &[], b"").await.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn delete_clears_the_column_and_the_file() {
    let s = Server::start().await;
    assert_eq!(upload(&s, DOC, "gone.txt", b"soon gone").await.status, StatusCode::NO_CONTENT);
    let r = s.delete(DOC).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let rec = s.get(&format!("accounts({FABRIKAM})?$select=new_document,new_document_name")).await;
    assert_eq!((rec.json["new_document"].clone(), rec.json["new_document_name"].clone()), (json!(null), json!(null)));
    assert_eq!(s.send_bytes(Method::GET, &format!("{DOC}/$value"), &[], b"").await.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn files_over_max_size_in_kb_are_refused_and_leave_nothing() {
    let s = Server::start().await;
    let column = json!({
        "@odata.type": "Microsoft.Dynamics.CRM.FileAttributeMetadata", "SchemaName": "new_Tiny", "MaxSizeInKB": 1,
        "DisplayName": {"LocalizedLabels": [{"Label": "Tiny", "LanguageCode": 1033}]}, "RequiredLevel": {"Value": "None"},
    });
    let r = s.post("EntityDefinitions(LogicalName='account')/Attributes", &column.to_string()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    let meta = s.get("EntityDefinitions(LogicalName='account')/Attributes(LogicalName='new_tiny')/Microsoft.Dynamics.CRM.FileAttributeMetadata?$select=MaxSizeInKB").await;
    assert_eq!(meta.json["MaxSizeInKB"], 1, "{}", meta.text);
    let name = s.get("EntityDefinitions(LogicalName='account')/Attributes(LogicalName='new_tiny_name')?$select=AttributeOf").await;
    assert_eq!(name.json["AttributeOf"], "new_tiny", "{}", name.text);

    let path = format!("accounts({FABRIKAM})/new_tiny");
    assert_eq!(upload(&s, &path, "ok.bin", &payload(1024)).await.status, StatusCode::NO_CONTENT);
    let r = upload(&s, &path, "big.bin", &payload(1025)).await;
    assert_eq!((r.status, r.json()["error"]["code"].clone()), (StatusCode::BAD_REQUEST, json!("0x80044a02")));
    assert_eq!(r.json()["error"]["message"], "Attachment file size is too big.");
    assert_eq!(download(&s, &path).await.len(), 1024, "the refused upload left the earlier file");

    let location = start_chunked(&s, &path, "big.bin").await;
    let r = chunk(&s, &location, "big.bin", "bytes 0-9/2048", &payload(10)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn deleting_the_record_deletes_its_files() {
    let s = Server::start().await;
    let id = s.create("accounts", r#"{"name":"Temp"}"#).await;
    let path = format!("accounts({id})/new_document");
    assert_eq!(upload(&s, &path, "t.txt", b"temp").await.status, StatusCode::NO_CONTENT);
    assert_eq!(s.delete(&format!("accounts({id})")).await.status, StatusCode::NO_CONTENT);
    assert_eq!(s.send_bytes(Method::GET, &format!("{path}/$value"), &[], b"").await.status, StatusCode::NOT_FOUND);
}
