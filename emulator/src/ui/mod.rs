//! The web dashboard: `/_emulator/ui/…` (orgs, tables, record grids and pages, the metadata
//! browser, the request journal, webhook deliveries and faults) and Dynamics' own record
//! URL, `main.aspx?pagetype=entityrecord&etn=…&id=…`, so integrations that open record pages
//! in a browser or a frame can be tested offline.
//!
//! Pages are rendered here, one module each, with a little vanilla script (embedded with
//! [`assets`]) for what must happen in the browser: the grid's filter, sorting and paging
//! and record edits call the Web API (so errors come back in the real error shape and edits
//! reach the journal and webhooks); the journal and fault views poll the admin API. Like
//! the admin API, the dashboard is not part of the emulated service: its requests are not
//! journalled and faults never apply to them.

pub mod api;
pub mod assets;
pub mod grid;
pub mod html;
pub mod journal;
pub mod main_aspx;
pub mod metadata;
pub mod orgs;
pub mod record;
pub mod tables;
pub mod webhooks;

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, StatusCode};

use crate::app::App;
use crate::org::Org;
use crate::wire::response::Reply;
use html::{esc, Page};

/// Who may frame the pages: the emulator itself and any local origin (a contact-centre
/// app under development embeds record pages in an iframe).
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
    frame-ancestors 'self' http://localhost:* http://127.0.0.1:* https://localhost:* https://127.0.0.1:* http://*.localhost:* https://*.localhost:*";

/// What a dashboard path addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'p> {
    /// `/_emulator/ui/<rest>`.
    Ui(&'p str),
    /// `main.aspx`, at the root or under `/org/<name>/`.
    MainAspx,
}

/// The dashboard target of `path`, if it is a dashboard path.
pub fn target(path: &str) -> Option<Target<'_>> {
    if let Some(rest) = path.strip_prefix(html::UI) {
        if rest.is_empty() || rest.starts_with('/') {
            return Some(Target::Ui(rest.trim_start_matches('/')));
        }
    }
    let rest = crate::org::split_org_prefix(path).map_or(path, |(_, _, rest)| rest);
    rest.eq_ignore_ascii_case("/main.aspx").then_some(Target::MainAspx)
}

/// A request's query parameters, decoded.
pub struct Params(Vec<(String, String)>);

impl Params {
    /// The parameters of `req`.
    pub fn of(req: &Request<Bytes>) -> Params {
        Params(crate::admin::wire::query(req))
    }

    /// The first value of `name` (names compare case-insensitively, as main.aspx's do).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }
}

/// A page that can't be shown: its status and why.
#[derive(Debug)]
pub struct Problem {
    /// 400, 404 or 405.
    pub status: StatusCode,
    /// For the person reading the page.
    pub message: String,
}

impl Problem {
    /// 404.
    pub fn not_found(message: impl Into<String>) -> Problem {
        Problem { status: StatusCode::NOT_FOUND, message: message.into() }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Problem {
        Problem { status: StatusCode::BAD_REQUEST, message: message.into() }
    }
}

impl From<api::ApiError> for Problem {
    fn from(e: api::ApiError) -> Problem {
        Problem { status: e.status, message: e.message }
    }
}

/// What a page handler returns: the page, or why there is none.
pub type PageResult = Result<String, Problem>;

/// Answers a dashboard request.
pub fn handle(app: &App, req: &Request<Bytes>, target: Target<'_>) -> Reply {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let problem = Problem { status: StatusCode::METHOD_NOT_ALLOWED, message: format!("{} is not allowed here; the dashboard's pages only take GET.", req.method()) };
        return problem_page(problem).header("allow", "GET, HEAD");
    }
    let params = Params::of(req);
    let result = match target {
        Target::MainAspx => main_aspx::page(app, req, &params),
        Target::Ui(rest) => {
            if let Some(name) = rest.strip_prefix("assets/") {
                return assets::serve(name);
            }
            match rest {
                "" => Ok(orgs::page(app)),
                "tables" => org(app, req, &params).map(|o| tables::page(&o)),
                "grid" => org(app, req, &params).and_then(|o| grid::page(&o, table_param(&params)?)),
                "record" => org(app, req, &params).and_then(|o| record::page(&o, &crate::app::request_host(req), table_param(&params)?, params.get("id"))),
                "metadata" => org(app, req, &params).and_then(|o| metadata::page(&o, &crate::app::request_host(req), params.get("etn"))),
                "journal" => Ok(journal::page(params.get("org"))),
                "webhooks" => Ok(webhooks::page(params.get("org"))),
                other => Err(Problem::not_found(format!("There is no dashboard page '{other}'."))),
            }
        }
    };
    match result {
        Ok(body) => html_reply(StatusCode::OK, body),
        Err(problem) => problem_page(problem),
    }
}

/// The `etn` (table logical name) parameter.
pub fn table_param(params: &Params) -> Result<&str, Problem> {
    params.get("etn").ok_or_else(|| Problem::bad_request("The address names no table: add etn=<table logical name>."))
}

/// The org a page shows: `?org=<name>`, else the one the Web API would route the request to
/// (host name, `/org/<name>/` prefix, or the default org).
pub fn org(app: &App, req: &Request<Bytes>, params: &Params) -> Result<Arc<Org>, Problem> {
    match params.get("org") {
        Some(name) => app.orgs().get(name).ok_or_else(|| Problem::not_found(format!("No org named '{name}'."))),
        None => app.orgs().route(&crate::app::request_host(req), req.uri().path()).map(|r| r.org).map_err(|e| Problem::not_found(e.to_string())),
    }
}

/// An HTML response with the dashboard's security headers.
pub fn html_reply(status: StatusCode, body: String) -> Reply {
    Reply::empty(status)
        .with_body("text/html; charset=utf-8".into(), Bytes::from(body))
        .header("content-security-policy", CSP)
        .header("x-content-type-options", "nosniff")
        .header("cache-control", "no-store")
}

/// The page for a [`Problem`].
fn problem_page(problem: Problem) -> Reply {
    let title = match problem.status.as_u16() {
        404 => "Not found",
        405 => "Method not allowed",
        400 => "Bad request",
        _ => "Error",
    };
    let body = format!("<p class=\"error\" id=\"problem\">{}</p>", esc(&problem.message));
    html_reply(problem.status, Page { title: title.into(), org: None, scripts: &[], body }.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashboard_and_main_aspx_paths_are_recognised() {
        assert_eq!(target("/_emulator/ui"), Some(Target::Ui("")));
        assert_eq!(target("/_emulator/ui/grid"), Some(Target::Ui("grid")));
        assert_eq!(target("/_emulator/uix"), None);
        assert_eq!(target("/main.aspx"), Some(Target::MainAspx));
        assert_eq!(target("/org/sales/main.aspx"), Some(Target::MainAspx));
        assert_eq!(target("/api/data/v9.2/main.aspx"), None);
    }
}
