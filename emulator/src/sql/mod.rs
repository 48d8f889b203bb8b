//! Dataverse's SQL query option: `GET /accounts?sql=SELECT name FROM account WHERE …`
//! (Microsoft Learn, "Use SQL to query data by using the Dataverse Web API").
//!
//! The statement is read by [`parse`] (one `SELECT`: `DISTINCT`, `TOP`, columns with
//! aliases, `COUNT`/`SUM`/`AVG`/`MIN`/`MAX`, `INNER`/`LEFT JOIN … ON`, `WHERE` comparisons of
//! a column with a literal, `LIKE`, `IN`, `BETWEEN`, `IS NULL`, `AND`/`OR`/`NOT`, `GROUP BY`,
//! `ORDER BY`) and turned by [`convert`] into the FetchXML query it means, which the FetchXML
//! path compiles into the one query plan and answers (`operation::fetch`). What the service
//! documents as unsupported (`SELECT *`, other statements, several statements, subqueries,
//! `HAVING`, `EXISTS`, `RIGHT`/`FULL`/`CROSS JOIN`, functions and column-to-column
//! comparisons in `WHERE`, `OFFSET … FETCH`) is a 400 saying so.

pub mod convert;
pub mod parse;

use crate::error::Result;
use crate::fetchxml::ast::Fetch;

/// The FetchXML query a `sql` option means, for a table keyed by `primary_id`.
pub fn to_fetch(text: &str, primary_id: &str) -> Result<Fetch> {
    convert::to_fetch(parse::parse(text)?, primary_id)
}
