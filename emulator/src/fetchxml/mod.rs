//! FetchXML, Dataverse's XML query language, as the Web API takes it
//! (`GET /accounts?fetchXml=<url-encoded xml>`).
//!
//! - [`parse`](mod@parse): text → [`ast::Fetch`] with quick-xml, checked against the FetchXML schema
//!   (no DTDs, no entity expansion).
//! - [`compile`]: [`ast::Fetch`] → [`compile::FetchQuery`]: names resolved, conditions
//!   ([`operators`]) compiled to the same [`crate::query::predicate::Predicate`]s and the
//!   same [`crate::query::QueryPlan`] that OData queries use, so there is one executor.
//!   Link-entities become joins ([`crate::query::join`]) or semi-joins.
//! - [`aggregate`]: `aggregate="true"` queries, grouped over the joined rows.
//!
//! The response is written by `operation::fetch`.

pub mod aggregate;
pub mod ast;
pub mod compile;
pub mod operators;
pub mod parse;

pub use parse::parse;
