//! Feeds an arbitrary `Content-Type` and body to the `$batch` body parser. Fails on a
//! panic, and on a success that breaks the parser's own promises: every request, top-level
//! or in a changeset, has an upper-case method and a non-empty target, and its `Content-ID`
//! has been lifted out of its headers.
//!
//! Run with `cargo +nightly fuzz run multipart -- -dict=fuzz/multipart.dict` from `emulator/`.
#![no_main]

use dataverse_emulator::wire::multipart::{self, BatchItem, PartRequest};
use libfuzzer_sys::fuzz_target;

fn check(r: &PartRequest) {
    assert!(!r.method.is_empty(), "{r:?}");
    assert_eq!(r.method, r.method.to_ascii_uppercase(), "{r:?}");
    assert!(!r.target.trim().is_empty(), "{r:?}");
    assert!(!r.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-id")), "Content-ID is lifted out: {r:?}");
}

fuzz_target!(|input: (String, &[u8])| {
    let (content_type, body) = input;
    if let Ok(items) = multipart::parse(&content_type, body) {
        for item in &items {
            match item {
                BatchItem::Request(r) => check(r),
                BatchItem::ChangeSet(parts) => parts.iter().for_each(check),
            }
        }
    }
    // Whatever the body, a boundary taken from the content type is never empty.
    if let Some(b) = multipart::boundary(&content_type) {
        assert!(!b.is_empty());
    }
});
