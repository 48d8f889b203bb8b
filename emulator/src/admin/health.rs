//! `GET /_emulator/health`: whether the emulator is up, and which version it is, for CI
//! scripts that wait for it to start.

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use serde_json::json;

use super::{reply, AdminError, AdminResult};
use crate::app::App;

/// `{"status":"Healthy","version":"0.1.0","dataverseVersion":"9.2…","defaultOrg":"default","orgs":1}`.
pub fn handle(app: &App, req: &Request<Bytes>, rest: &[&str]) -> AdminResult {
    if !rest.is_empty() {
        return Err(AdminError::not_found(format!("No admin endpoint at '{}'.", req.uri().path())));
    }
    if req.method() != Method::GET {
        return Err(AdminError::method_not_allowed(req, &[Method::GET]));
    }
    let orgs = app.orgs();
    let default = orgs.default_org();
    Ok(reply(
        StatusCode::OK,
        &json!({
            "status": "Healthy",
            "version": env!("CARGO_PKG_VERSION"),
            "dataverseVersion": default.as_ref().map(|o| o.settings.version.clone()),
            "defaultOrg": orgs.default_name(),
            "orgs": orgs.list().len(),
        }),
    ))
}
