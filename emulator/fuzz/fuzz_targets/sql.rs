//! Feeds arbitrary UTF-8 to the `?sql=` reader (parse, then conversion to FetchXML), as a
//! whole query and as the `WHERE` clause of a valid one. Fails on a panic, or when a
//! refusal is anything but `InvalidArgument` or has no message.
//!
//! Run with `cargo +nightly fuzz run sql` from `emulator/` (see fuzz/README.md).
#![no_main]

use dataverse_emulator::error::Code;
use dataverse_emulator::sql::to_fetch;
use libfuzzer_sys::fuzz_target;

fn check(text: &str) {
    if let Err(e) = to_fetch(text, "accountid") {
        assert_eq!(e.code(), Code::InvalidArgument, "input {text:?}: {e}");
        assert!(!e.message().is_empty(), "input {text:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check(text);
    check(&format!("SELECT a.name FROM account AS a LEFT JOIN contact AS c ON a.accountid = c.parentcustomerid WHERE {text}"));
});
