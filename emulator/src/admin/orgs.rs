//! `/_emulator/orgs`: create, list, inspect, reset and delete isolated orgs.
//!
//! | method and path | does |
//! |---|---|
//! | `GET /_emulator/orgs` | lists the orgs |
//! | `POST /_emulator/orgs` `{"name","from"?,"fixture"?}` | creates an org from a fixture (default: the default org's) or a snapshot, and loads an uploaded fixture layer (a `fixture.json` document) into it |
//! | `GET /_emulator/orgs/<name>` | one org |
//! | `DELETE /_emulator/orgs/<name>` | removes it (not the default org) |
//! | `POST /_emulator/orgs/<name>/reset` | puts it back to its fixture or starting snapshot |
//! | `POST /_emulator/orgs/<name>/fixture` `{…fixture.json…}` | loads a fixture layer into the org, all or nothing; reset comes back to the state after it |
//!
//! Loading a fixture layer (either way) fires no webhook steps unless the request says
//! `?deliverWebhooks=true`: then every step its rows match is delivered once the admin
//! request is answered, as after any write made outside a Web API request.
//! | `…/orgs/<name>/snapshots…` | see [`super::snapshots`] |

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use serde_json::{json, Value as Json};

use super::{body, origin, reply, snapshots, AdminError, AdminResult};
use crate::app::App;
use crate::fixture::FixtureFiles;
use crate::org::{Org, Orgs, PATH_PREFIX};

/// Routes `/_emulator/orgs/…`.
pub fn handle(app: &App, req: &Request<Bytes>, rest: &[&str]) -> AdminResult {
    let orgs = app.orgs();
    let method = req.method();
    match rest {
        [] => match *method {
            Method::GET => {
                let value: Vec<Json> = orgs.list().iter().map(|(_, o)| describe(orgs, o, req)).collect();
                Ok(reply(StatusCode::OK, &json!({ "value": value, "fixtures": orgs.fixture_names() })))
            }
            Method::POST => create(orgs, req),
            _ => Err(AdminError::method_not_allowed(req, &[Method::GET, Method::POST])),
        },
        [name] => match *method {
            Method::GET => Ok(reply(StatusCode::OK, &describe(orgs, &*find(orgs, name)?, req))),
            Method::DELETE => {
                orgs.remove(name)?;
                Ok(crate::wire::response::Reply::empty(StatusCode::NO_CONTENT))
            }
            _ => Err(AdminError::method_not_allowed(req, &[Method::GET, Method::DELETE])),
        },
        [name, "reset"] => {
            if method != Method::POST {
                return Err(AdminError::method_not_allowed(req, &[Method::POST]));
            }
            let org = find(orgs, name)?;
            org.reset();
            Ok(reply(StatusCode::OK, &describe(orgs, &org, req)))
        }
        [name, "fixture"] => {
            if method != Method::POST {
                return Err(AdminError::method_not_allowed(req, &[Method::POST]));
            }
            let deliver = deliver_webhooks(req)?;
            let org = find(orgs, name)?;
            let layer = FixtureFiles::document(&body(req)?);
            org.load_layer(&layer, None).map_err(|e| AdminError::bad_request(e.to_string()))?;
            if !deliver {
                org.store.take_changes();
            }
            org.mark_origin();
            Ok(reply(StatusCode::OK, &describe(orgs, &org, req)))
        }
        [name, "snapshots", more @ ..] => snapshots::handle(orgs, &find(orgs, name)?, req, more),
        _ => Err(AdminError::not_found(format!("No admin endpoint at '{}'.", req.uri().path()))),
    }
}

/// An org by name, or 404.
pub fn find(orgs: &Orgs, name: &str) -> Result<std::sync::Arc<Org>, AdminError> {
    orgs.get(name).ok_or_else(|| AdminError::not_found(format!("No org named '{name}'.")))
}

/// Whether a fixture load asks for its rows' webhook steps to fire (`?deliverWebhooks=true`).
/// By default they don't: loading test data is setting the scene, not an event a receiver
/// should hear about. Changes left in the store's outbox are delivered after the request.
fn deliver_webhooks(req: &Request<Bytes>) -> Result<bool, AdminError> {
    match super::query_param(req, "deliverWebhooks") {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(AdminError::bad_request(format!("'deliverWebhooks' must be true or false, not '{other}'."))),
    }
}

/// `POST /_emulator/orgs {"name": "t1", "from": "default" | "<snapshot>" | "<org>/<snapshot>", "fixture": {…}}`.
fn create(orgs: &Orgs, req: &Request<Bytes>) -> AdminResult {
    let deliver = deliver_webhooks(req)?;
    let body = body(req)?;
    let name = body.get("name").and_then(Json::as_str).ok_or_else(|| AdminError::bad_request("The body must name the org: {\"name\": \"…\"}."))?;
    let from = match body.get("from") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(s.as_str()),
        Some(_) => return Err(AdminError::bad_request("'from' must be a fixture or snapshot name.")),
    };
    let org = match body.get("fixture") {
        None | Some(Json::Null) => orgs.create(name, from)?,
        Some(doc @ Json::Object(_)) => orgs.create_with_layer(name, from, &FixtureFiles::document(doc), deliver)?,
        Some(_) => return Err(AdminError::bad_request("'fixture' must be a fixture layer document: {\"formatVersion\": 1, \"schema\": …, \"data\": […]}.")),
    };
    let description = describe(orgs, &org, req);
    Ok(reply(StatusCode::CREATED, &description).header("location", format!("{}/_emulator/orgs/{}", origin(req), org.settings.name)))
}

/// What the admin API says about an org: its name, where to reach it (by path prefix and by
/// host name), what it was made from, and its size.
pub fn describe(orgs: &Orgs, org: &Org, req: &Request<Bytes>) -> Json {
    let name = &org.settings.name;
    let origin = origin(req);
    let (scheme, authority) = origin.split_once("://").unwrap_or(("http", &origin));
    let port = authority.rsplit_once(':').map(|(_, p)| format!(":{p}")).filter(|p| p[1..].bytes().all(|b| b.is_ascii_digit())).unwrap_or_default();
    let is_default = name.eq_ignore_ascii_case(orgs.default_name());
    let snapshots: Vec<String> = org.saved_snapshots().keys().cloned().collect();
    json!({
        "name": name,
        "default": is_default,
        "fixture": org.fixture.settings.name,
        "url": format!("{origin}{PATH_PREFIX}{name}/api/data/v9.2/"),
        "hostUrl": format!("{scheme}://{name}.localhost{port}/api/data/v9.2/"),
        "rows": org.store.read().row_count(),
        "snapshots": snapshots,
    })
}
