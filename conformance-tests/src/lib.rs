//! Conformance harness (placeholder).
