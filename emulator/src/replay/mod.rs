//! Reproducing an org offline: import its schema ([`schema_import`]), record what an
//! integration does against it through a proxy ([`proxy`]), and replay that recording
//! against the emulator ([`play`]).
//!
//! A recording is *seed state plus expected exchanges*, not canned bytes served back: the
//! records the org returned become fixture data ([`seed`]), and every exchange becomes a
//! step of a conformance scenario (the `conformance-tests/scenarios` format), so replay is
//! the scenario runner's ordinary check against an emulator loaded with that seed state.

pub mod csdl_import;
pub mod play;
pub mod proxy;
pub mod redact;
pub mod schema_diff;
pub mod schema_import;
pub mod seed;
pub mod shape;
