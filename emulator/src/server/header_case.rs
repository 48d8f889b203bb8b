//! Dataverse's header spelling on HTTP/1 responses.
//!
//! HTTP header names are case-insensitive, but some clients look up `OData-EntityId`
//! case-sensitively. hyper writes response header names in lower case, or Title-Case with
//! `title_case_headers`, and has no public way to give a response header an exact
//! spelling. So the connection is wrapped in [`CaseFixingIo`], which rewrites the
//! Title-Case names hyper writes into Dataverse's spelling (`Odata-Entityid` →
//! `OData-EntityId`, `Etag` → `ETag`). Each replacement has the same length as the text it
//! replaces, so byte counts reported to hyper stay exact. Only the response head (up to the
//! blank line) is touched; bodies pass through unchanged. HTTP/2 lower-cases names by
//! definition and is not affected.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Title-Case as hyper writes it → Dataverse's spelling.
const SPELLINGS: &[(&[u8], &[u8])] = &[
    (b"\r\nOdata-Version:", b"\r\nOData-Version:"),
    (b"\r\nOdata-Entityid:", b"\r\nOData-EntityId:"),
    (b"\r\nEtag:", b"\r\nETag:"),
    (b"\r\nReq_id:", b"\r\nREQ_ID:"),
    (b"\r\nX-Ms-Service-Request-Id:", b"\r\nx-ms-service-request-id:"),
];

/// Rewrites header spellings in `head` in place, in one pass over its line starts.
fn fix_head(head: &mut [u8]) {
    let mut i = 0;
    while let Some(p) = head[i..].windows(2).position(|w| w == b"\r\n") {
        let at = i + p;
        if let Some((from, to)) = SPELLINGS.iter().find(|(from, _)| head[at..].starts_with(from)) {
            head[at..at + to.len()].copy_from_slice(to);
            i = at + from.len();
        } else {
            i = at + 2;
        }
    }
}

/// The length of the response head at the start of `buf` (through the blank line), or
/// the whole buffer if the head continues past it.
fn head_len(buf: &[u8]) -> (usize, bool) {
    match buf.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(p) => (p + 4, true),
        None => (buf.len(), false),
    }
}

/// A connection whose response heads get Dataverse's header spelling.
pub struct CaseFixingIo<T> {
    inner: T,
    /// A head was only partly written by the previous call.
    in_head: bool,
}

impl<T> CaseFixingIo<T> {
    /// Wraps a connection.
    pub fn new(inner: T) -> Self {
        CaseFixingIo { inner, in_head: false }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for CaseFixingIo<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for CaseFixingIo<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if !(self.in_head || buf.starts_with(b"HTTP/1.")) {
            return Pin::new(&mut self.inner).poll_write(cx, buf);
        }
        // hyper flattens head and body into one buffer (this wrapper doesn't claim vectored
        // writes); copying it keeps that one write per response, which costs less than a
        // second syscall would. Only the head part is rewritten.
        let (len, complete) = head_len(buf);
        let mut fixed = buf.to_vec();
        fix_head(&mut fixed[..len]);
        let result = Pin::new(&mut self.inner).poll_write(cx, &fixed);
        if let Poll::Ready(Ok(n)) = result {
            self.in_head = !(complete && n >= len);
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_only_the_head() {
        let mut buf = b"HTTP/1.1 204 No Content\r\nOdata-Version: 4.0\r\nOdata-Entityid: x\r\nEtag: W/\"1\"\r\n\r\n\r\nEtag: body".to_vec();
        let (len, complete) = head_len(&buf);
        assert!(complete);
        fix_head(&mut buf[..len]);
        let text = String::from_utf8(buf).unwrap();
        assert!(text.contains("\r\nOData-Version: 4.0\r\nOData-EntityId: x\r\nETag: W/"));
        assert!(text.ends_with("\r\nEtag: body"));
    }
}
