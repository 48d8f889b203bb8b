//! Byte ranges of file transfers: `Range: bytes=0-4194303` on downloads and
//! `Content-Range: bytes 0-4194303/25870370` on upload chunks.

use crate::error::{Code, Error, Result};

/// The bytes a download asks for: `start` to `end` inclusive, `end` open when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// First byte.
    pub start: u64,
    /// Last byte, inclusive.
    pub end: Option<u64>,
}

impl Range {
    /// The slice of a file of `len` bytes this range covers: empty when it starts at or past
    /// the end (a client that reads in fixed steps asks once past a file whose size is a
    /// multiple of its step, and expects an empty chunk back).
    pub fn slice(self, len: usize) -> std::ops::Range<usize> {
        let len64 = len as u64;
        let start = self.start.min(len64);
        let end = self.end.map_or(len64, |e| e.saturating_add(1).min(len64)).max(start);
        usize::try_from(start).unwrap_or(len)..usize::try_from(end).unwrap_or(len)
    }
}

fn bad(header: &str, value: &str) -> Error {
    Error::new(Code::BadRequest, format!("The {header} header value '{value}' is not valid."))
}

/// `Range: bytes=a-b`, `bytes=a-` and the older documented `bytes=a-b/total` (total ignored).
pub fn parse_range(value: &str) -> Result<Range> {
    let spec = value.trim().strip_prefix("bytes=").ok_or_else(|| bad("Range", value))?;
    let spec = spec.split_once('/').map_or(spec, |(r, _)| r);
    let (a, b) = spec.split_once('-').ok_or_else(|| bad("Range", value))?;
    let start = a.trim().parse::<u64>().map_err(|_| bad("Range", value))?;
    let end = match b.trim() {
        "" => None,
        b => Some(b.parse::<u64>().map_err(|_| bad("Range", value))?),
    };
    if end.is_some_and(|e| e < start) {
        return Err(bad("Range", value));
    }
    Ok(Range { start, end })
}

/// One upload chunk's place in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentRange {
    /// Offset of the chunk's first byte.
    pub start: u64,
    /// Number of bytes the range says the chunk holds.
    pub len: u64,
    /// The whole file's size.
    pub total: u64,
}

/// `Content-Range: bytes a-b/total`. An empty chunk is written `bytes N-(N-1)/N` by clients
/// that send one after a file whose size is a multiple of the chunk size.
pub fn parse_content_range(value: &str) -> Result<ContentRange> {
    let spec = value.trim().strip_prefix("bytes ").ok_or_else(|| bad("Content-Range", value))?;
    let (range, total) = spec.split_once('/').ok_or_else(|| bad("Content-Range", value))?;
    let (a, b) = range.split_once('-').ok_or_else(|| bad("Content-Range", value))?;
    let number = |s: &str| s.trim().parse::<u64>().map_err(|_| bad("Content-Range", value));
    let (start, end, total) = (number(a)?, number(b)?, number(total)?);
    if end.saturating_add(1) < start || end >= total {
        return Err(bad("Content-Range", value));
    }
    Ok(ContentRange { start, len: end + 1 - start, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_ranges() {
        assert_eq!(parse_range("bytes=0-9").unwrap(), Range { start: 0, end: Some(9) });
        assert_eq!(parse_range("bytes=5-").unwrap(), Range { start: 5, end: None });
        assert_eq!(parse_range("bytes=0-1023/8192").unwrap(), Range { start: 0, end: Some(1023) });
        assert!(parse_range("bytes=9-1").is_err());
        assert!(parse_range("0-9").is_err());
        assert_eq!(Range { start: 0, end: Some(9) }.slice(4), 0..4);
        assert_eq!(Range { start: 8, end: Some(15) }.slice(8), 8..8);
    }

    #[test]
    fn upload_chunk_ranges() {
        assert_eq!(parse_content_range("bytes 0-7/30").unwrap(), ContentRange { start: 0, len: 8, total: 30 });
        assert_eq!(parse_content_range("bytes 24-29/30").unwrap(), ContentRange { start: 24, len: 6, total: 30 });
        assert_eq!(parse_content_range("bytes 16-15/16").unwrap(), ContentRange { start: 16, len: 0, total: 16 });
        assert!(parse_content_range("bytes 0-30/30").is_err());
        assert!(parse_content_range("bytes 5-2/30").is_err());
        assert!(parse_content_range("bytes 0-NaN/10").is_err());
    }
}
