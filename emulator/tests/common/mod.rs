//! Test harness: starts the emulator in-process on 127.0.0.1:0 and speaks HTTP to it.
#![allow(dead_code, unreachable_pub)]

use bytes::Bytes;
use dataverse_emulator::{App, Clock, Config, Org, Orgs};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

/// Well-known ids from the default org's seed data.
pub const CALLER: &str = "5b3d8c1e-2f4a-4e6b-9c7d-000000000008";
pub const AGENT: &str = "5b3d8c1e-2f4a-4e6b-9c7d-000000000018";
pub const TEAM: &str = "5b3d8c1e-2f4a-4e6b-9c7d-000000000009";
pub const FABRIKAM: &str = "a0000000-0000-4000-8000-000000000001";
pub const YVONNE: &str = "c0000000-0000-4000-8000-000000000001";

/// A running emulator. Dropping it stops the server.
pub struct Server {
    pub base: String,
    pub addr: std::net::SocketAddr,
    client: Client<HttpConnector, Full<Bytes>>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// A response, with the body parsed as JSON when it is JSON.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

/// A response whose body is kept as bytes.
#[derive(Debug)]
pub struct BytesResp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl BytesResp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body parsed as JSON (JSON downloads and errors).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the Dataverse error shape with the given status and code.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> &str {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        assert_eq!(self.header("content-type"), Some("application/json; odata.metadata=minimal"));
        assert_eq!(self.json["error"]["code"], code, "body: {}", self.text);
        self.json["error"]["message"].as_str().expect("error message")
    }

    /// Asserts what every Web API response carries, and passes the response on.
    #[track_caller]
    pub fn checked(self) -> Resp {
        assert_eq!(self.header("odata-version"), Some("4.0"), "every response carries OData-Version");
        self
    }

    /// The id at the end of the OData-EntityId header.
    pub fn entity_id(&self) -> String {
        let h = self.header("odata-entityid").expect("OData-EntityId header");
        let start = h.rfind('(').unwrap() + 1;
        h[start..h.len() - 1].to_string()
    }
}

impl Server {
    /// Starts the embedded default org with a fixed clock.
    pub async fn start() -> Server {
        Self::start_with(Config::default()).await
    }

    pub async fn start_with(config: Config) -> Server {
        Self::start_with_clock(config, Clock::fixed(time::macros::datetime!(2026-11-23 09:30:15 UTC))).await
    }

    /// Starts the default org with the given settings and clock.
    pub async fn start_with_clock(config: Config, clock: Clock) -> Server {
        let org = Org::default_org(clock).expect("default org loads");
        Self::start_app(App::new(Orgs::single(org), config)).await
    }

    /// Serves a ready-made app (deterministic mode, a seeded org, …).
    pub async fn start_app(app: App) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            dataverse_emulator::run(listener, app, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Server {
            base: format!("http://{addr}/api/data/v9.2/"),
            addr,
            client: Client::builder(TokioExecutor::new()).build_http(),
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Sends a request; `path` is relative to the service root unless it starts with `/`.
    pub async fn send(&self, method: Method, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Resp {
        let url = if path.starts_with('/') { format!("http://{}{path}", self.addr) } else { format!("{}{path}", self.base) };
        let mut req = Request::builder().method(method).uri(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req.body(Full::new(Bytes::from(body.unwrap_or("").to_string()))).unwrap();
        self.exchange(req).await.checked()
    }

    /// Sends raw bytes and reads the raw response body (file uploads and downloads, whose
    /// bodies need not be UTF-8). `path` may be absolute (`http://…`, a `Location`).
    pub async fn send_bytes(&self, method: Method, path: &str, headers: &[(&str, &str)], body: &[u8]) -> BytesResp {
        let url = if path.starts_with("http") {
            path.to_string()
        } else if path.starts_with('/') {
            format!("http://{}{path}", self.addr)
        } else {
            format!("{}{path}", self.base)
        };
        let mut req = Request::builder().method(method).uri(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(Bytes::copy_from_slice(body))).unwrap();
        let res = self.client.request(req).await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(headers.get("odata-version").and_then(|v| v.to_str().ok()), Some("4.0"), "every response carries OData-Version");
        BytesResp { status, headers, body }
    }

    /// Sends a built request and reads the whole response.
    pub async fn exchange(&self, req: Request<Full<Bytes>>) -> Resp {
        let res = self.client.request(req).await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, headers, text, json }
    }

    /// Sends a request whose body is not JSON (form posts to the token service).
    pub async fn send_raw_body(&self, method: Method, path: &str, headers: &[(&str, &str)], body: &str) -> Resp {
        let url = if path.starts_with('/') { format!("http://{}{path}", self.addr) } else { format!("{}{path}", self.base) };
        let mut req = Request::builder().method(method).uri(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(Bytes::from(body.to_string()))).unwrap();
        self.exchange(req).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, path, &[], None).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        self.send(Method::GET, path, headers, None).await
    }

    pub async fn post(&self, path: &str, body: &str) -> Resp {
        self.send(Method::POST, path, &[], Some(body)).await
    }

    pub async fn patch(&self, path: &str, headers: &[(&str, &str)], body: &str) -> Resp {
        self.send(Method::PATCH, path, headers, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send(Method::DELETE, path, &[], None).await
    }

    /// Creates a record and returns its id.
    pub async fn create(&self, set: &str, body: &str) -> String {
        let r = self.post(set, body).await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "create {set}: {}", r.text);
        r.entity_id()
    }

    /// Sends raw bytes over a new connection and returns the raw response head and body.
    pub async fn raw(&self, request: &str) -> String {
        let mut s = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        s.write_all(request.as_bytes()).await.unwrap();
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.unwrap();
        String::from_utf8_lossy(&buf).into_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

// ---- Helpers added for the integration suites (the API above is unchanged). ----

/// Seed ids used across suites.
pub const CONTOSO: &str = "a0000000-0000-4000-8000-000000000002";
pub const ADATUM: &str = "a0000000-0000-4000-8000-000000000003";
pub const SUSANNA: &str = "c0000000-0000-4000-8000-000000000002";
pub const NANCY: &str = "c0000000-0000-4000-8000-000000000003";
pub const PHONECALL: &str = "d0000000-0000-4000-8000-000000000001";
pub const BUSINESS_UNIT: &str = "5b3d8c1e-2f4a-4e6b-9c7d-000000000010";
pub const BASE_CURRENCY: &str = "5b3d8c1e-2f4a-4e6b-9c7d-000000009105";
/// A GUID no seed record uses.
pub const MISSING: &str = "9f3162f6-804a-e611-80d1-00155d4333fa";
/// The fixed clock, as the service prints date-times.
pub const NOW: &str = "2026-11-23T09:30:15Z";
/// The JSON error media type.
pub const JSON_MINIMAL: &str = "application/json; odata.metadata=minimal";

impl Resp {
    /// The version inside the `ETag` header (`W/"n"` → n).
    #[track_caller]
    pub fn etag_version(&self) -> u64 {
        let h = self.header("etag").expect("ETag header");
        parse_etag(h)
    }

    /// Byte position of `needle` in the raw body; panics when absent.
    #[track_caller]
    pub fn pos(&self, needle: &str) -> usize {
        self.text.find(needle).unwrap_or_else(|| panic!("{needle:?} not in body: {}", self.text))
    }
}

/// `W/"12"` → 12.
#[track_caller]
pub fn parse_etag(tag: &str) -> u64 {
    let inner = tag.strip_prefix("W/\"").and_then(|s| s.strip_suffix('"')).unwrap_or_else(|| panic!("not a weak etag: {tag}"));
    inner.parse().unwrap_or_else(|_| panic!("not a numeric etag: {tag}"))
}

impl Server {
    pub async fn put(&self, path: &str, body: &str) -> Resp {
        self.send(Method::PUT, path, &[], Some(body)).await
    }

    pub async fn post_with(&self, path: &str, headers: &[(&str, &str)], body: &str) -> Resp {
        self.send(Method::POST, path, headers, Some(body)).await
    }

    pub async fn delete_with(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        self.send(Method::DELETE, path, headers, None).await
    }

    /// `GET {set}/$count` as a number.
    pub async fn count(&self, set: &str) -> usize {
        let r = self.get(&format!("{set}/$count")).await;
        assert_eq!(r.status, StatusCode::OK, "count {set}: {}", r.text);
        r.text.trim_start_matches('\u{feff}').trim().parse().unwrap_or_else(|_| panic!("count body: {:?}", r.text))
    }

    /// GETs a record and asserts 200.
    pub async fn fetch(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", r.text);
        r.json
    }

    /// The service root for a given `Host` header value.
    pub fn root_for(host: &str) -> String {
        format!("http://{host}/api/data/v9.2/")
    }
}

// ---- Query-engine helpers (query_filter, query_functions, query_orderby_top_count, query_paging). ----

/// Percent-encodes a query option value so it survives the URL: everything but
/// unreserved characters and `' ( ) , / : @ $ * !` is escaped (so `%`, `[`, `]`,
/// space, `"`, `&`, `#` and `+` are).
pub fn enc(value: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const SET: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'\'')
        .remove(b'(')
        .remove(b')')
        .remove(b',')
        .remove(b'/')
        .remove(b':')
        .remove(b'@')
        .remove(b'$')
        .remove(b'*')
        .remove(b'!');
    utf8_percent_encode(value, SET).to_string()
}

/// The `field` of every row in a collection response's `value`, in order (`null` → "<null>").
#[track_caller]
pub fn column_of(r: &Resp, field: &str) -> Vec<String> {
    r.json["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no value array: {}", r.text))
        .iter()
        .map(|row| match &row[field] {
            Value::String(s) => s.clone(),
            Value::Null => "<null>".to_string(),
            other => other.to_string(),
        })
        .collect()
}

impl Server {
    /// GETs `path`, asserts 200 and the JSON content type, and returns the response.
    pub async fn get_ok(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        let r = self.get_with(path, headers).await;
        assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", r.text);
        assert_eq!(r.header("content-type"), Some(JSON_MINIMAL), "GET {path}");
        r
    }

    /// `GET {set}?$select={field}&$filter={filter}&$orderby={field}` (the filter encoded
    /// here), asserting 200; returns the values of `field` in order.
    pub async fn pluck(&self, set: &str, field: &str, filter: &str) -> Vec<String> {
        let r = self.get_ok(&format!("{set}?$select={field}&$filter={}&$orderby={field}", enc(filter)), &[]).await;
        column_of(&r, field)
    }
}

// ---- `$batch` helpers (batch, batch_atomicity). ----

/// The outer boundary `batch_request` uses.
pub const BATCH: &str = "batch_7d1c";

/// One sub-request, framed as dynamics-web-api frames it (client reference §6.1): CRLF
/// line ends; a JSON body gets `Content-Type: application/json` and one trailing CRLF; a
/// bodyless part ends right after its last header line.
pub fn http_part(content_id: Option<&str>, method: &str, target: &str, headers: &[(&str, &str)], body: Option<&str>) -> String {
    let mut s = String::from("Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n");
    if let Some(id) = content_id {
        s += &format!("Content-ID: {id}\r\n");
    }
    s += &format!("\r\n{method} {target} HTTP/1.1\r\n");
    if body.is_some() {
        s += "Content-Type: application/json\r\n";
    }
    for (n, v) in headers {
        s += &format!("{n}: {v}\r\n");
    }
    if let Some(b) = body {
        s += &format!("\r\n{b}\r\n");
    }
    s
}

/// A top-level GET part with `Accept: application/json`.
pub fn get_part(target: &str) -> String {
    http_part(None, "GET", target, &[("Accept", "application/json")], None)
}

/// `parts`, each opened by `--boundary`; each is followed by the CRLF that belongs to the next delimiter.
fn delimited(boundary: &str, parts: &[String]) -> String {
    parts.iter().map(|p| format!("--{boundary}\r\n{p}\r\n")).collect()
}

/// A changeset part holding `parts` (boundary without quotes, no space after `;`).
pub fn changeset(boundary: &str, parts: &[String]) -> String {
    format!("Content-Type: multipart/mixed;boundary={boundary}\r\n\r\n{}--{boundary}--\r\n", delimited(boundary, parts))
}

/// A whole batch body: a CRLF preamble, the parts, the closing delimiter.
pub fn batch_body(boundary: &str, parts: &[String]) -> String {
    format!("\r\n{}--{boundary}--\r\n", delimited(boundary, parts))
}

impl Server {
    /// POSTs `body` to `$batch` with exactly one Content-Type, `content_type`, plus `headers`.
    pub async fn batch_raw(&self, content_type: &str, headers: &[(&str, &str)], body: &str) -> Resp {
        let mut req = Request::builder().method(Method::POST).uri(format!("{}$batch", self.base)).header("content-type", content_type);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(Bytes::from(body.to_string()))).unwrap();
        self.exchange(req).await.checked()
    }

    /// POSTs `parts` as a batch with boundary [`BATCH`] (no space after `;`, as dynamics-web-api sends it).
    pub async fn batch(&self, headers: &[(&str, &str)], parts: &[String]) -> Resp {
        self.batch_raw(&format!("multipart/mixed;boundary={BATCH}"), headers, &batch_body(BATCH, parts)).await
    }
}

/// One sub-response of a `$batch` response.
#[derive(Debug, Clone)]
pub struct PartResp {
    /// The position of its changeset among the top-level items; `None` for a top-level part.
    pub changeset: Option<usize>,
    pub content_id: Option<String>,
    /// E.g. `HTTP/1.1 204 No Content`.
    pub status_line: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub json: Value,
}

impl PartResp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The id at the end of the part's OData-EntityId header.
    #[track_caller]
    pub fn entity_id(&self) -> String {
        let h = self.header("OData-EntityId").unwrap_or_else(|| panic!("no OData-EntityId: {self:?}"));
        h[h.rfind('(').unwrap() + 1..h.len() - 1].to_string()
    }

    /// Asserts a Dataverse error part with this status and code; returns the message.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> &str {
        assert_eq!(self.status, status, "part: {self:?}");
        assert!(self.header("Content-Type").is_some_and(|t| t.starts_with("application/json; odata.metadata=minimal")), "{self:?}");
        assert_eq!(self.json["error"]["code"], code, "part: {self:?}");
        self.json["error"]["message"].as_str().expect("error message")
    }
}

/// Splits `text` (which must end with `--boundary--CRLF`) into the pieces after each `--boundary CRLF`.
#[track_caller]
fn pieces<'t>(text: &'t str, boundary: &str) -> Vec<&'t str> {
    let close = format!("--{boundary}--\r\n");
    let inner = text.strip_suffix(close.as_str()).unwrap_or_else(|| panic!("must end with {close:?}: {text}"));
    let mut out: Vec<&str> = inner.split(&format!("--{boundary}\r\n")).collect();
    assert_eq!(out.remove(0), "", "text before the first delimiter: {text}");
    out
}

/// One `application/http` sub-response, checked strictly.
#[track_caller]
fn http_piece(piece: &str, changeset: Option<usize>) -> PartResp {
    let (mime, rest) = piece.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no blank line after the MIME headers: {piece:?}"));
    let mut mime = mime.split("\r\n");
    assert_eq!(mime.next(), Some("Content-Type: application/http"), "{piece:?}");
    assert_eq!(mime.next(), Some("Content-Transfer-Encoding: binary"), "{piece:?}");
    let content_id = mime.next().map(|l| l.strip_prefix("Content-ID: ").unwrap_or_else(|| panic!("unexpected MIME header {l:?}")).to_string());
    assert_eq!(mime.next(), None, "extra MIME headers: {piece:?}");
    let (head, body) = rest.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no blank line after the HTTP headers: {piece:?}"));
    let mut head = head.split("\r\n");
    let status_line = head.next().unwrap().to_string();
    let (code, reason) = status_line.strip_prefix("HTTP/1.1 ").and_then(|s| s.split_once(' ')).unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let status: u16 = code.parse().unwrap();
    assert_eq!(Some(reason), StatusCode::from_u16(status).unwrap().canonical_reason(), "{status_line:?}");
    let headers = head.map(|l| l.split_once(": ").map(|(n, v)| (n.to_string(), v.to_string())).unwrap_or_else(|| panic!("bad header {l:?}"))).collect();
    let body = if body.is_empty() { "" } else { body.strip_suffix("\r\n").unwrap_or_else(|| panic!("body must end in CRLF: {body:?}")) };
    let json = serde_json::from_str(body).unwrap_or(Value::Null);
    PartResp { changeset, content_id, status_line, status, headers, body: body.to_string(), json }
}

/// Parses a `$batch` response, asserting the framing of §4.3 that dynamics-web-api needs (client
/// reference §6.2): the outer Content-Type names a `batchresponse_` boundary and the body starts
/// with it at byte 0; CRLF line ends only; a changeset is one part whose only header names a
/// `changesetresponse_` boundary; every part is `application/http`, `binary`. Returns the parts in order.
#[track_caller]
pub fn batch_parts(r: &Resp) -> Vec<PartResp> {
    let ct = r.header("content-type").unwrap_or_else(|| panic!("no Content-Type: {r:?}"));
    let boundary = ct.strip_prefix("multipart/mixed; boundary=").unwrap_or_else(|| panic!("Content-Type {ct:?}: {}", r.text));
    assert!(boundary.starts_with("batchresponse_"), "{ct}");
    assert!(r.text.starts_with(&format!("--{boundary}\r\n")), "body must start with the boundary: {:?}", r.text);
    assert!(!r.text.replace("\r\n", "").contains(['\r', '\n']), "bare CR or LF: {:?}", r.text);
    let mut out = Vec::new();
    for (i, piece) in pieces(&r.text, boundary).into_iter().enumerate() {
        let Some(rest) = piece.strip_prefix("Content-Type: multipart/mixed; boundary=") else {
            out.push(http_piece(piece, None));
            continue;
        };
        let (inner, rest) = rest.split_once("\r\n\r\n").unwrap_or_else(|| panic!("the changeset part has more than one header: {piece:?}"));
        assert!(inner.starts_with("changesetresponse_") && !inner.contains("\r\n"), "changeset part: {piece:?}");
        out.extend(pieces(rest, inner).into_iter().map(|p| http_piece(p, Some(i))));
    }
    out
}
