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
        let clock = Clock::fixed(time::macros::datetime!(2026-11-23 09:30:15 UTC));
        let org = Org::default_org(clock).expect("default org loads");
        let app = App::new(Orgs::single(org), config);
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
        let res = self.client.request(req).await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert_eq!(headers.get("odata-version").and_then(|v| v.to_str().ok()), Some("4.0"), "every response carries OData-Version");
        Resp { status, headers, text, json }
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
