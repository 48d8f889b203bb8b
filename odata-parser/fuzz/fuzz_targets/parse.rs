//! Feeds arbitrary UTF-8 to every entry point. Fails on a panic, on
//! `ErrorKind::Internal`, or when a successful parse does not survive
//! `parse(print(parse(s))) == parse(s)`.
//!
//! Run with `cargo +nightly fuzz run parse` from `odata-parser/`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use odata_parser::{
    parse_apply, parse_expand, parse_filter, parse_literal, parse_orderby, parse_query,
    parse_resource_path, ErrorKind, ParseError,
};

/// Panics on an internal error; renders every error to exercise `Display`.
fn check_error(error: ParseError) {
    assert_ne!(error.kind(), &ErrorKind::Internal, "{error}");
    let _ = error.to_string();
}

/// Checks one entry point: errors are never internal, successes round-trip.
fn check<T: PartialEq + std::fmt::Debug + std::fmt::Display>(
    text: &str,
    parse: impl Fn(&str) -> Result<T, ParseError>,
) {
    match parse(text) {
        Ok(tree) => {
            let printed = tree.to_string();
            assert_eq!(parse(&printed).as_ref(), Ok(&tree), "input {text:?} printed as {printed:?}");
        }
        Err(error) => check_error(error),
    }
}

/// The same for a list-valued option, printed as its items joined by `separator`.
fn check_list<T: PartialEq + std::fmt::Debug + std::fmt::Display>(
    text: &str,
    parse: impl Fn(&str) -> Result<Vec<T>, ParseError>,
    separator: &str,
) {
    match parse(text) {
        Ok(items) => {
            let printed: Vec<String> = items.iter().map(ToString::to_string).collect();
            let printed = printed.join(separator);
            assert_eq!(parse(&printed).as_ref(), Ok(&items), "input {text:?} printed as {printed:?}");
        }
        Err(error) => check_error(error),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check(text, parse_resource_path);
    check(text, parse_query);
    check(text, parse_filter);
    check(text, parse_literal);
    check_list(text, parse_orderby, ",");
    check_list(text, parse_expand, ",");
    check_list(text, parse_apply, "/");
});
