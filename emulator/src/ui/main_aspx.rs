//! `main.aspx`, the address Dynamics opens records and views at:
//! `main.aspx?appid=…&pagetype=entityrecord&etn=phonecall&id=<guid>` renders the record's
//! page, `pagetype=entitylist&etn=…` the table's grid, anything else the table list. The org
//! is picked as for the Web API: `/org/<name>/main.aspx`, the host name, or the default org.

use bytes::Bytes;
use http::Request;

use crate::app::App;

use super::{grid, org, record, table_param, tables, PageResult, Params, Problem};

/// Answers `main.aspx`.
pub fn page(app: &App, req: &Request<Bytes>, params: &Params) -> PageResult {
    let org = org(app, req, params)?;
    match params.get("pagetype").map(str::to_ascii_lowercase).as_deref() {
        Some("entityrecord") => record::page(&org, &crate::app::request_host(req), table_param(params)?, params.get("id")),
        Some("entitylist") => grid::page(&org, table_param(params)?),
        None | Some("dashboard") => Ok(tables::page(&org)),
        Some(other) => Err(Problem::bad_request(format!("The page type '{other}' is not supported; use entityrecord or entitylist."))),
    }
}
