//! The admin API under `/_emulator/…`, off the Web API path: never journaled, never faulted.
//! A plain match on the path; each resource's handlers live in their own file.

pub mod clock;
pub mod faults;
pub mod journal;
pub mod throttle;
pub mod verify;
pub mod wire;

use bytes::Bytes;
use http::{Method, Request};

use crate::app::App;
use crate::error::{Error, Result};
use crate::wire::response::Reply;

/// The admin API's path prefix.
pub const PREFIX: &str = "/_emulator";

/// Whether a request is for the admin API.
pub fn is_admin(path: &str) -> bool {
    path == PREFIX || path.starts_with("/_emulator/")
}

/// Answers an admin request.
pub fn handle(app: &App, req: &Request<Bytes>) -> Reply {
    dispatch(app, req).unwrap_or_else(Reply::from)
}

fn dispatch(app: &App, req: &Request<Bytes>) -> Result<Reply> {
    let path = req.uri().path().trim_end_matches('/');
    let method = req.method();
    match path.strip_prefix(PREFIX).unwrap_or(path) {
        "/journal" => match *method {
            Method::GET => journal::query(app.journal(), req),
            Method::DELETE => journal::clear(app.journal()),
            _ => Err(wire::method_not_allowed(req)),
        },
        "/journal/verify" => match *method {
            Method::POST => verify::verify(app.journal(), req),
            _ => Err(wire::method_not_allowed(req)),
        },
        "/faults" => match *method {
            Method::GET => Ok(app.faults().show()),
            Method::POST => app.faults().configure(req),
            Method::DELETE => Ok(app.faults().clear()),
            _ => Err(wire::method_not_allowed(req)),
        },
        "/clock" => {
            let org = app.org_for(req)?;
            match *method {
                Method::GET => clock::get(&org),
                Method::POST => clock::change(&org, req),
                Method::DELETE => clock::reset(&org),
                _ => Err(wire::method_not_allowed(req)),
            }
        }
        other => Err(Error::segment_not_found(other.trim_start_matches('/'))),
    }
}
