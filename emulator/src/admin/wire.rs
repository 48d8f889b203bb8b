//! Small helpers the admin handlers share: JSON replies, JSON bodies and query strings.

use bytes::Bytes;
use http::{Request, StatusCode};
use percent_encoding::percent_decode_str;

use crate::error::{Code, Error, Result};
use crate::wire::response::Reply;

/// A JSON reply with plain `application/json`: the admin API is not OData.
pub fn json(status: StatusCode, body: &serde_json::Value) -> Reply {
    Reply::json_with_type(status, body, "application/json")
}

/// A 400 in the emulator's one error format.
pub fn bad_request(message: impl Into<String>) -> Error {
    Error::new(Code::BadRequest, message)
}

/// The body as a JSON object; an empty body is an empty object.
pub fn object(req: &Request<Bytes>) -> Result<serde_json::Map<String, serde_json::Value>> {
    if req.body().iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice(req.body()) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad_request("The request body must be a JSON object.")),
        Err(e) => Err(bad_request(format!("The request body is not valid JSON: {e}"))),
    }
}

/// The query string as decoded `(name, value)` pairs (`+` is a space, as in forms).
pub fn query(req: &Request<Bytes>) -> Vec<(String, String)> {
    let decode = |s: &str| percent_decode_str(&s.replace('+', " ")).decode_utf8_lossy().into_owned();
    req.uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (n, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(n), decode(v))
        })
        .collect()
}

/// 405 for a method an admin resource doesn't have.
pub fn method_not_allowed(req: &Request<Bytes>) -> Error {
    Error::method_not_allowed(req.method(), req.uri().path())
}

/// `1,200,000`: thousands separated by commas, as Dataverse's limit messages print them.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn groups_thousands() {
        assert_eq!(super::grouped(1_200_000), "1,200,000");
        assert_eq!(super::grouped(6000), "6,000");
        assert_eq!(super::grouped(52), "52");
        assert_eq!(super::grouped(0), "0");
    }
}
