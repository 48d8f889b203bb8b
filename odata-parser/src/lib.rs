//! OData URL parser (being written).
pub mod ast;
