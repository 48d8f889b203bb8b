//! `$batch` request bodies: `multipart/mixed` with nested changesets, read leniently
//! because real clients differ. Accepted: quoted or unquoted boundaries, a preamble
//! before the first delimiter, CRLF or bare LF, bodyless parts with no blank line after
//! their headers, a closing delimiter cut short (one client counts Content-Length in
//! characters), and request lines with raw spaces and non-ASCII in the URL.

/// One HTTP request inside a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartRequest {
    /// `Content-ID` of the MIME part, if any.
    pub content_id: Option<String>,
    /// `GET`, `POST`, …
    pub method: String,
    /// Everything between the method and the trailing `HTTP/1.1`, as written.
    pub target: String,
    /// The request's own headers.
    pub headers: Vec<(String, String)>,
    /// The body, without the CRLF that belongs to the next delimiter.
    pub body: Vec<u8>,
}

/// A top-level batch item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchItem {
    /// A request on its own.
    Request(PartRequest),
    /// A changeset: requests that succeed or fail together.
    ChangeSet(Vec<PartRequest>),
}

/// Why a body isn't a batch; the message is shown to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartError(pub String);

fn err<T>(message: impl Into<String>) -> Result<T, MultipartError> {
    Err(MultipartError(message.into()))
}

/// The `boundary` parameter of a `multipart/mixed` media type, quotes removed.
pub fn boundary(content_type: &str) -> Option<String> {
    let lower = content_type.to_ascii_lowercase();
    if !lower.trim_start().starts_with("multipart/mixed") {
        return None;
    }
    let at = lower.find("boundary=")? + "boundary=".len();
    let value = content_type[at..].split(';').next()?.trim().trim_matches('"');
    (!value.is_empty()).then(|| value.to_string())
}

/// Lines without their line ending (CRLF or LF).
fn lines(body: &[u8]) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = body.split(|b| *b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l)).collect();
    if body.ends_with(b"\n") {
        out.pop();
    }
    out
}

/// Splits `lines` into the parts between `--boundary` delimiters. The closing delimiter
/// may be missing or cut short at the very end.
fn split_parts<'a>(all: &[&'a [u8]], boundary: &str) -> Result<Vec<Vec<&'a [u8]>>, MultipartError> {
    let open = format!("--{boundary}");
    let close = format!("--{boundary}--");
    let mut parts = Vec::new();
    let mut current: Option<Vec<&[u8]>> = None;
    for (i, line) in all.iter().enumerate() {
        let trimmed = line.trim_ascii_end();
        if trimmed == close.as_bytes() {
            if let Some(p) = current.take() {
                parts.push(p);
            }
            return Ok(parts);
        }
        if trimmed == open.as_bytes() {
            if let Some(p) = current.take() {
                parts.push(p);
            }
            current = Some(Vec::new());
            continue;
        }
        let last = i + 1 == all.len();
        if last && trimmed.len() > 2 && close.as_bytes().starts_with(trimmed) {
            break; // a closing delimiter cut short
        }
        if let Some(p) = current.as_mut() {
            p.push(line);
        }
    }
    match current {
        // A delimiter at the very end with nothing after it: the close was cut short.
        Some(p) if p.iter().all(|l| l.trim_ascii().is_empty()) && !parts.is_empty() => Ok(parts),
        Some(p) => {
            parts.push(p);
            Ok(parts)
        }
        None if parts.is_empty() => err(format!("The batch body has no part delimited by '--{boundary}'.")),
        None => Ok(parts),
    }
}

fn header_pairs(lines: &[&[u8]]) -> Result<Vec<(String, String)>, MultipartError> {
    lines
        .iter()
        .map(|l| {
            let text = String::from_utf8_lossy(l);
            match text.split_once(':') {
                Some((n, v)) if !n.trim().is_empty() => Ok((n.trim().to_string(), v.trim().to_string())),
                _ => err(format!("'{text}' is not a valid header line in a batch part.")),
            }
        })
        .collect()
}

fn get<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// Lines up to the first blank one, and the rest after it (`None`: no blank line).
fn until_blank<'a, 'b>(lines: &'b [&'a [u8]]) -> (&'b [&'a [u8]], Option<&'b [&'a [u8]]>) {
    match lines.iter().position(|l| l.trim_ascii().is_empty()) {
        Some(i) => (&lines[..i], Some(&lines[i + 1..])),
        None => (lines, None),
    }
}

fn request(part: &[&[u8]], in_changeset: bool) -> Result<BatchItem, MultipartError> {
    let (mime_lines, rest) = until_blank(part);
    let mime = header_pairs(mime_lines)?;
    let rest = rest.unwrap_or(&[]);
    let content_type = get(&mime, "content-type").unwrap_or("");
    if let Some(inner) = boundary(content_type) {
        if in_changeset {
            return err("Changesets can't be nested.");
        }
        let nested = split_parts(rest, &inner)?;
        let requests = nested
            .iter()
            .map(|p| match request(p, true)? {
                BatchItem::Request(r) => Ok(r),
                BatchItem::ChangeSet(_) => err("Changesets can't be nested."),
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(BatchItem::ChangeSet(requests));
    }
    if !content_type.to_ascii_lowercase().starts_with("application/http") {
        return err(format!("A batch part must have Content-Type application/http or multipart/mixed, not '{content_type}'."));
    }
    let start = rest.iter().position(|l| !l.trim_ascii().is_empty()).ok_or_else(|| MultipartError("A batch part has no request line.".into()))?;
    let line = String::from_utf8_lossy(rest[start]).trim().to_string();
    let (method, target) = line.split_once(char::is_whitespace).ok_or_else(|| MultipartError(format!("'{line}' is not a valid request line.")))?;
    let target = target.trim();
    let target = match target.rsplit_once(char::is_whitespace) {
        Some((t, version)) if version.starts_with("HTTP/") => t.trim(),
        _ => target,
    };
    if target.is_empty() {
        return err(format!("'{line}' is not a valid request line."));
    }
    let (header_lines, body_lines) = until_blank(&rest[start + 1..]);
    let headers = header_pairs(header_lines)?;
    let body = body_lines.map(|b| b.join(&b"\n"[..])).unwrap_or_default();
    let body = body.trim_ascii_end().to_vec();
    Ok(BatchItem::Request(PartRequest {
        content_id: get(&mime, "content-id").or_else(|| get(&headers, "content-id")).map(str::to_string),
        method: method.to_ascii_uppercase(),
        target: target.to_string(),
        headers: headers.into_iter().filter(|(n, _)| !n.eq_ignore_ascii_case("content-id")).collect(),
        body,
    }))
}

/// Parses a `$batch` body.
pub fn parse(content_type: &str, body: &[u8]) -> Result<Vec<BatchItem>, MultipartError> {
    let Some(b) = boundary(content_type) else {
        return err("The $batch request must have Content-Type multipart/mixed with a boundary.");
    };
    let all = lines(body);
    split_parts(&all, &b)?.iter().map(|p| request(p, false)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DWA: &str = "\r\n--b1\r\nContent-Type: multipart/mixed;boundary=cs1\r\n\r\n--cs1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 1\r\n\r\nPOST http://127.0.0.1:5555/api/data/v9.2/contacts HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{\"firstname\":\"A\"}\r\n\r\n--cs1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 100001\r\n\r\nDELETE http://127.0.0.1:5555/api/data/v9.2/contacts(00000000-0000-0000-0000-000000000002) HTTP/1.1\r\nContent-Type: application/json\r\n\r\n--cs1--\r\n\r\n--b1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nGET http://127.0.0.1:5555/api/data/v9.2/accounts?$select=name&$orderby=name asc HTTP/1.1\r\nAccept: application/json\r\n\r\n--b1--\r\n";

    #[test]
    fn the_dynamics_web_api_framing() {
        let items = parse("multipart/mixed;boundary=b1", DWA.as_bytes()).unwrap();
        assert_eq!(items.len(), 2);
        let BatchItem::ChangeSet(cs) = &items[0] else { panic!("changeset expected") };
        assert_eq!(cs[0].content_id.as_deref(), Some("1"));
        assert_eq!(cs[0].body, b"{\"firstname\":\"A\"}");
        assert_eq!(cs[1].method, "DELETE");
        assert!(cs[1].body.is_empty());
        let BatchItem::Request(get) = &items[1] else { panic!("request expected") };
        assert_eq!(get.target, "http://127.0.0.1:5555/api/data/v9.2/accounts?$select=name&$orderby=name asc");
    }

    #[test]
    fn bare_lf_quoted_boundary_and_short_close() {
        let body = DWA.replace("\r\n", "\n");
        assert_eq!(parse("multipart/mixed; boundary=\"b1\"", body.as_bytes()).unwrap().len(), 2);
        let cut = &DWA[..DWA.len() - 4];
        assert_eq!(parse("multipart/mixed;boundary=b1", cut.as_bytes()).unwrap().len(), 2);
    }

    #[test]
    fn malformed_bodies_are_errors() {
        assert!(parse("application/json", b"{}").is_err());
        assert!(parse("multipart/mixed;boundary=x", b"no delimiters here").is_err());
        assert!(parse("multipart/mixed;boundary=x", b"--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--").is_err());
        assert!(parse("multipart/mixed;boundary=x", b"--x\r\nContent-Type: application/http\r\n\r\n\r\n--x--").is_err());
    }
}
