//! The wire format: OData JSON in and out, request headers, and response building.

pub mod batch;
pub mod expand;
pub mod format;
pub mod headers;
pub mod html;
pub mod input;
pub mod json;
pub mod multipart;
pub mod ranges;
pub mod response;
