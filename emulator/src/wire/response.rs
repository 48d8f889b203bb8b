//! Building responses. Every response carries `OData-Version: 4.0` and a request id,
//! as the real service's do; JSON is `application/json; odata.metadata=minimal`.

use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use http_body_util::Full;

use crate::error::Error;

/// The response type of the whole service.
pub type Response = http::Response<Full<Bytes>>;

/// The JSON media type the service sends.
pub const JSON: &str = "application/json; odata.metadata=minimal";

/// A response under construction.
pub struct Reply {
    status: StatusCode,
    headers: Vec<(HeaderName, String)>,
    body: Bytes,
    /// A `$batch` response's parts as they ran, for the request journal.
    parts: Vec<super::batch::BatchPart>,
}

impl Reply {
    /// An empty response.
    pub fn empty(status: StatusCode) -> Reply {
        Reply { status, headers: Vec::new(), body: Bytes::new(), parts: Vec::new() }
    }

    /// A JSON response.
    pub fn json(status: StatusCode, body: &serde_json::Value) -> Reply {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        Reply { status, headers: vec![(http::header::CONTENT_TYPE, JSON.to_string())], body: bytes.into(), parts: Vec::new() }
    }

    /// A JSON response with another media type (the token service's `charset=utf-8`).
    pub fn json_with_type(status: StatusCode, body: &serde_json::Value, content_type: &str) -> Reply {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        Reply { status, headers: vec![(http::header::CONTENT_TYPE, content_type.to_string())], body: bytes.into(), parts: Vec::new() }
    }

    /// A `text/plain` response (`$count`, `$value`).
    pub fn text(status: StatusCode, body: String) -> Reply {
        Reply { status, headers: vec![(http::header::CONTENT_TYPE, "text/plain".to_string())], body: body.into(), parts: Vec::new() }
    }

    /// Adds a header (names are given in Dataverse's spelling; see `server` for how the
    /// case survives HTTP/1).
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((HeaderName::from_static(name), value.into()));
        self
    }

    /// Adds a header if `value` is present.
    pub fn header_opt(self, name: &'static str, value: Option<String>) -> Reply {
        match value {
            Some(v) => self.header(name, v),
            None => self,
        }
    }

    /// The status, extra headers and body, for embedding in a `$batch` response.
    pub fn parts(&self) -> (StatusCode, &[(HeaderName, String)], &Bytes) {
        (self.status, &self.headers, &self.body)
    }

    /// Attaches the parts a `$batch` ran, for the journal ([`Reply::take_parts`]).
    pub fn with_parts(mut self, parts: Vec<super::batch::BatchPart>) -> Reply {
        self.parts = parts;
        self
    }

    /// The parts a `$batch` ran (empty for any other reply).
    pub fn take_parts(&mut self) -> Vec<super::batch::BatchPart> {
        std::mem::take(&mut self.parts)
    }

    /// Replaces the body and its media type (the `$batch` response).
    pub fn with_body(mut self, content_type: String, body: Bytes) -> Reply {
        self.headers.retain(|(n, _)| n != http::header::CONTENT_TYPE);
        self.headers.push((http::header::CONTENT_TYPE, content_type));
        self.body = body;
        self
    }

    /// Finishes the response.
    pub fn build(self) -> Response {
        let mut res = http::Response::new(Full::new(self.body));
        *res.status_mut() = self.status;
        let h = res.headers_mut();
        h.insert("odata-version", HeaderValue::from_static("4.0"));
        let request_id = uuid::Uuid::new_v4().to_string();
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            h.insert("req_id", v.clone());
            h.insert("x-ms-service-request-id", v);
        }
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.append(name, v);
            }
        }
        res
    }
}

impl From<Error> for Reply {
    fn from(e: Error) -> Reply {
        if e.code().status().is_server_error() {
            tracing::error!(error = %e, "request failed inside the emulator");
        }
        Reply::json(e.code().status(), &e.body())
    }
}
