//! Percent-decoding of query-string names and values (RFC 3986 `pct-encoded`).
//!
//! `+` is a space, as in `application/x-www-form-urlencoded` and as Dataverse (ASP.NET)
//! reads query strings: Microsoft's Python SDK sends `$filter=LogicalName+eq+'account'`.
//! A literal plus (`…T10:00:00+02:00`) must be sent as `%2B`, which every client does.

/// A percent-decoding failure: byte offset and length of the bad sequence in the raw text.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadEncoding {
    pub(crate) offset: usize,
    pub(crate) len: usize,
}

/// pct-encoded = "%" HEXDIG HEXDIG
///
/// Decodes `raw`, which starts at byte `base` of the query string; errors are reported
/// at their position in the query string. Decoded bytes must form UTF-8.
pub(crate) fn parse_pct_encoded(raw: &str, base: usize) -> Result<String, BadEncoding> {
    if !raw.contains(['%', '+']) {
        return Ok(raw.to_owned());
    }
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    // Raw offset of each decoded byte, to place UTF-8 errors.
    let mut origins = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) else {
                let len = bytes.len().min(i + 3) - i;
                let len = (1..=len)
                    .rev()
                    .find(|&l| raw.is_char_boundary(i + l))
                    .unwrap_or(1);
                return Err(BadEncoding {
                    offset: base + i,
                    len,
                });
            };
            decoded.push(byte);
            origins.push(i);
            i += 3;
        } else {
            decoded.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            origins.push(i);
            i += 1;
        }
    }
    String::from_utf8(decoded).map_err(|e| {
        let at = origins[e.utf8_error().valid_up_to()];
        BadEncoding {
            offset: base + at,
            len: 3.min(raw.len() - at),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pct_encoded() {
        assert_eq!(
            parse_pct_encoded("name%20eq%20'x'", 0).unwrap(),
            "name eq 'x'"
        );
        assert_eq!(parse_pct_encoded("a+b", 0).unwrap(), "a b");
        assert_eq!(parse_pct_encoded("a%2Bb", 0).unwrap(), "a+b");
        assert_eq!(parse_pct_encoded("%24select", 0).unwrap(), "$select");
        assert_eq!(parse_pct_encoded("%C3%A9t%C3%A9", 0).unwrap(), "été");
        assert_eq!(parse_pct_encoded("été", 0).unwrap(), "été");
        assert_eq!(
            parse_pct_encoded("%2", 10),
            Err(BadEncoding { offset: 10, len: 2 })
        );
        assert_eq!(
            parse_pct_encoded("ab%zz", 0),
            Err(BadEncoding { offset: 2, len: 3 })
        );
        assert_eq!(
            parse_pct_encoded("%", 0),
            Err(BadEncoding { offset: 0, len: 1 })
        );
        assert_eq!(
            parse_pct_encoded("%é", 0),
            Err(BadEncoding { offset: 0, len: 3 })
        );
        assert_eq!(
            parse_pct_encoded("x%FFy", 0),
            Err(BadEncoding { offset: 1, len: 3 })
        );
        assert_eq!(
            parse_pct_encoded("%C3", 4),
            Err(BadEncoding { offset: 4, len: 3 })
        );
    }
}
