//! Feeds arbitrary UTF-8 to the FetchXML parser, as a whole document and inside a valid
//! `<fetch><entity>` shell (so the schema checks past the root are reached more often).
//! Fails on a panic, or when a refusal is anything but `InvalidArgument` or has no message.
//!
//! Run with `cargo +nightly fuzz run fetchxml fuzz/corpus/fetchxml fuzz/seeds/fetchxml -- -dict=fuzz/fetchxml.dict`
//! from `emulator/` (see fuzz/README.md).
#![no_main]

use dataverse_emulator::error::Code;
use dataverse_emulator::fetchxml::parse;
use libfuzzer_sys::fuzz_target;

fn check(xml: &str) {
    if let Err(e) = parse(xml) {
        assert_eq!(e.code(), Code::InvalidArgument, "input {xml:?}: {e}");
        assert!(!e.message().is_empty(), "input {xml:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check(text);
    check(&format!("<fetch><entity name='account'>{text}</entity></fetch>"));
});
