//! The core: a plain function from `Request<Bytes>` to a response, testable without a
//! socket. It finds the org and the service root, parses the URL, routes it to an
//! operation, runs it, and renders any error in the one error format.

use std::sync::Arc;

use bytes::Bytes;
use http::Request;
use percent_encoding::percent_decode_str;

use crate::admin::{self, faults::Faults, journal::Journal, journal::Note};
use crate::auth::{self, grants::Grants, keys::SigningKey, service::TokenService, AuthMode};
use crate::config::Config;
use crate::error::{Code, Error, Result};
use crate::operation::access::Access;
use crate::operation::Ctx;
use crate::org::{Org, Orgs};
use crate::route;
use crate::wire::headers::Preferences;
use crate::wire::response::{Reply, Response};

/// The scheme the connection was made with, set by the server for TLS connections;
/// requests without it are plain HTTP.
#[derive(Debug, Clone, Copy)]
pub struct Scheme(pub &'static str);

struct Inner {
    orgs: Orgs,
    config: Config,
    /// The token signing key, generated on first use so start-up stays fast.
    keys: std::sync::OnceLock<Option<Arc<SigningKey>>>,
    /// Authorization codes and refresh tokens issued by the token service.
    grants: Grants,
    /// The request journal (`/_emulator/journal`).
    journal: Journal,
    /// Injected faults and service-protection counters (`/_emulator/faults`).
    faults: Faults,
    /// Webhook delivery attempts (`/_emulator/webhooks/deliveries`).
    webhooks: crate::webhooks::Deliveries,
}

/// The emulator application: cheap to clone, shared by every connection.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

/// The Web API versions served.
const VERSIONS: [&str; 3] = ["v9.0", "v9.1", "v9.2"];

impl App {
    /// An app serving the given orgs.
    pub fn new(orgs: Orgs, config: Config) -> App {
        let journal = Journal::new(config.journal_size);
        App { inner: Arc::new(Inner { orgs, config, keys: std::sync::OnceLock::new(), grants: Grants::default(), journal, faults: Faults::default(), webhooks: Default::default() }) }
    }

    /// An app serving one org with default settings.
    pub fn with_org(org: Org) -> App {
        App::new(Orgs::single(org), Config::default())
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The orgs served (the admin API and the state file work on them).
    pub fn orgs(&self) -> &Orgs {
        &self.inner.orgs
    }

    /// The request journal.
    pub fn journal(&self) -> &Journal {
        &self.inner.journal
    }

    /// The fault settings.
    pub fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    /// Whether any org has a webhook step registered (requests then run where a
    /// synchronous step may block: see `server`).
    pub fn has_webhook_steps(&self) -> bool {
        self.inner.orgs.list().iter().any(|(_, o)| o.store.has_steps())
    }

    /// The webhook delivery journal.
    pub fn webhooks(&self) -> &crate::webhooks::Deliveries {
        &self.inner.webhooks
    }

    /// Starts the asynchronous webhook deliveries committed since the last call, and
    /// delivers those of writes made outside a request (admin loads). The server runs this
    /// after every request. `host` is the host the request addressed.
    pub async fn deliver_webhooks(&self, host: &str) {
        let queued = self.inner.webhooks.take_queued();
        if !queued.is_empty() {
            crate::webhooks::send(self, queued).await;
        }
        for (_, org) in self.inner.orgs.list() {
            let planned = crate::webhooks::plan(&org, host);
            if !planned.is_empty() {
                crate::webhooks::send(self, planned).await;
            }
        }
    }

    /// The org a request addresses (the admin API's per-org resources use it).
    pub fn org_for(&self, req: &Request<Bytes>) -> Result<Arc<Org>> {
        let host = request_host(req);
        let routed = self.inner.orgs.route(&host, req.uri().path()).map_err(|e| Error::new(Code::ResourceNotFound, e.to_string()))?;
        Ok(routed.org)
    }

    /// Answers one request. Never panics on client input and never fails: errors become
    /// Dataverse error responses.
    pub fn handle(&self, req: Request<Bytes>) -> Response {
        // The dashboard and the admin API (`/_emulator/…`) are not part of the emulated
        // service: no journal, no faults.
        if let Some(target) = crate::ui::target(req.uri().path()) {
            return crate::ui::handle(self, &req, target).build();
        }
        if let Some(rest) = admin::path(req.uri().path()) {
            return admin::handle(self, &req, rest).build();
        }
        let started = std::time::Instant::now();
        // Faults: one atomic read when none are configured.
        let faults = &self.inner.faults;
        let faulty = faults.active();
        let mut note = Note { faults: faulty.then_some(faults), ..Note::default() };
        let drop = if faulty { faults.before(&req) } else { admin::faults::Drop::No };
        let reply = match drop {
            admin::faults::Drop::Now => Reply::empty(http::StatusCode::SERVICE_UNAVAILABLE),
            _ => self.dispatch(&req, &mut note).unwrap_or_else(Reply::from),
        };
        let mut reply = reply;
        let batch_parts = reply.take_parts();
        let body = reply.parts().2.clone();
        let mut response = reply.build();
        let mut elapsed = started.elapsed();
        if faulty {
            let now = note.at.map_or(0, |t| t.unix_timestamp());
            elapsed += faults.finish(&mut response, &mut note, &req, now, elapsed, drop);
        }
        if self.inner.config.deterministic {
            self.stabilize(&req, &mut response);
        }
        tracing::debug!(method = %req.method(), path = %req.uri().path(), status = response.status().as_u16(), "request");
        self.inner.journal.record(req, note, &response, body, elapsed, batch_parts);
        response
    }

    /// Deterministic mode: the request id from the org's seeded generator and `Date` from
    /// the org's clock, so two runs of the same requests answer byte for byte the same.
    fn stabilize(&self, req: &Request<Bytes>, response: &mut Response) {
        let Ok(org) = self.org_for(req) else { return };
        let h = response.headers_mut();
        if let Ok(v) = http::HeaderValue::from_str(&org.ids.new_id().to_string()) {
            h.insert("req_id", v.clone());
            h.insert("x-ms-service-request-id", v);
        }
        let format = time::macros::format_description!("[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT");
        if let Some(v) = org.clock.now().format(format).ok().and_then(|d| http::HeaderValue::from_str(&d).ok()) {
            h.insert(http::header::DATE, v);
        }
    }

    /// The signing key: the configured one, else one generated on first use (a failure
    /// is logged once).
    fn key(&self) -> Option<&SigningKey> {
        self.inner
            .keys
            .get_or_init(|| match &self.inner.config.signing_key {
                Some(k) => Some(k.clone()),
                None => match SigningKey::generate() {
                    Ok(k) => Some(Arc::new(k)),
                    Err(e) => {
                        tracing::error!(cause = %e.0, "could not generate the token signing key");
                        None
                    }
                },
            })
            .as_deref()
    }

    fn dispatch(&self, req: &Request<Bytes>, note: &mut Note<'_>) -> Result<Reply> {
        let host = request_host(req);
        let routed = self.inner.orgs.route(&host, req.uri().path()).map_err(|e| Error::new(Code::ResourceNotFound, e.to_string()))?;
        note.org = Some(routed.org.settings.name.clone());
        note.at = Some(routed.org.clock.now());
        // Synchronous webhook steps, deep in the store's commit, need the request's identity;
        // a receiver's call back is served from the org as committed before the write.
        let (_scope, org) = crate::webhooks::scope::enter_request(self, &routed.org, req, routed.path)?;
        let scheme = req.extensions().get::<Scheme>().map_or("http", |s| s.0);
        // The org's URL as the client addressed it: `/org/<name>` stays part of it, so
        // token audiences, challenges and every absolute URL keep the prefix.
        let origin = format!("{scheme}://{host}{}", routed.prefix);
        if let Some(endpoint) = auth::endpoint(routed.path) {
            return Ok(self.token_service(&org, req, endpoint, &origin, &host));
        }
        // Only check tokens when one is sent or required: `--auth any` needs no key.
        let needs_key = self.inner.config.auth == AuthMode::Strict || req.headers().contains_key(http::header::AUTHORIZATION);
        let key = if needs_key { self.key() } else { None };
        let caller = match auth::caller(&org, req.headers(), self.inner.config.auth, key, &origin) {
            Ok(c) => c,
            Err(reply) => return Ok(reply),
        };
        note.caller = Some(caller);
        // Service protection (`/_emulator/faults`): a 429 before the request runs.
        if let Some(faults) = note.faults {
            if let Some(reply) = faults.admit(&org.settings.name, note.at.map_or(0, |t| t.unix_timestamp()), note) {
                return Ok(reply);
            }
        }
        // Background operations: the status monitor (outside the Web API), and Custom API
        // calls sent with `Prefer: respond-async`, accepted here and run by the next request.
        if let Some(id) = routed.path.strip_prefix(crate::background::MONITOR_PATH) {
            return Ok(crate::background::monitor(&org, req.method(), id));
        }
        crate::operation::message::jobs::step(&org);
        crate::background::step(&org);
        if crate::background::wanted(&org, req) {
            note.operation = Some("ExecuteBackgroundOperation");
            return Ok(crate::background::accept(&org, req, caller, &origin));
        }
        execute_noted(&org, req, Access::Store(&org.store), caller, note)
    }

    fn token_service(&self, org: &Org, req: &Request<Bytes>, endpoint: auth::Endpoint, origin: &str, host: &str) -> Reply {
        let Some(key) = self.key() else {
            return Reply::from(Error::internal("the token signing key is unavailable"));
        };
        let config = &self.inner.config;
        let service = TokenService {
            org,
            key,
            grants: &self.inner.grants,
            access_lifetime: config.token_lifetime_secs,
            refresh_lifetime: config.refresh_token_lifetime_secs,
            origin,
            host,
        };
        service.handle(req, endpoint)
    }
}

/// The host the client addressed: the `Host` header, else the URI's authority.
pub(crate) fn request_host(req: &Request<Bytes>) -> String {
    req.headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_else(|| "localhost".to_string())
}

/// Runs one request against an org: parse the URL, route, apply. `$batch` calls this for
/// each of its parts, with the changeset's transaction as `access`.
pub fn execute<'a>(org: &'a Org, req: &'a Request<Bytes>, access: Access<'a, '_>, caller: uuid::Uuid) -> Result<Reply> {
    execute_noted(org, req, access, caller, &mut Note::default())
}

/// [`execute`] for a part of a `$batch`: also says which message and table it was routed
/// to, for the part's journal entry.
pub fn execute_part<'a>(org: &'a Org, req: &'a Request<Bytes>, access: Access<'a, '_>, caller: uuid::Uuid) -> (Result<Reply>, Option<&'static str>, Option<Arc<crate::metadata::EntityDef>>) {
    let mut note = Note::default();
    let result = execute_noted(org, req, access, caller, &mut note);
    (result, note.operation, note.table)
}

/// [`execute`], telling `note` (for the journal and faults) which message and table the
/// request was routed to; an injected error replaces the operation here.
fn execute_noted<'a>(org: &'a Org, req: &'a Request<Bytes>, access: Access<'a, '_>, caller: uuid::Uuid, note: &mut Note<'_>) -> Result<Reply> {
    let (prefix, path) = crate::org::split_org_prefix(req.uri().path()).map_or(("", req.uri().path()), |(p, _, rest)| (p, rest));
    let rest = path.strip_prefix("/api/data/").ok_or_else(|| Error::segment_not_found(path.trim_start_matches('/')))?;
    let (version, rel) = rest.split_once('/').unwrap_or((rest, ""));
    if !VERSIONS.contains(&version) {
        return Err(Error::segment_not_found(version));
    }
    let host = request_host(req);
    let scheme = req.extensions().get::<Scheme>().map_or("http", |s| s.0);
    let root = format!("{scheme}://{host}{prefix}/api/data/{version}/");
    let decoded = percent_decode_str(rel)
        .decode_utf8()
        .map_err(|_| Error::new(Code::BadRequest, "The request URI is not valid UTF-8 after percent-decoding."))?;
    let resource = odata_parser::parse_resource_path(&decoded)?;
    let query = odata_parser::parse_query(req.uri().query().unwrap_or(""))?;
    let url = format!("{root}{decoded}");
    let metadata = access.metadata();
    let operation = route::route(req.method(), &resource, &metadata, &url).inspect_err(|e| note.unrouted = e.code() == Code::ResourceNotFound)?;
    note.operation = Some(operation.name());
    note.table = operation.table().cloned();
    if let Some(faults) = note.faults {
        if let Some(reply) = faults.inject_error(req, note) {
            return Ok(reply);
        }
    }
    let ctx = Ctx {
        org,
        metadata,
        access,
        method: req.method(),
        headers: req.headers(),
        body: req.body(),
        root,
        query,
        raw_query: req.uri().query().unwrap_or("").to_string(),
        raw_path: rel.to_string(),
        prefs: Preferences::from_headers(req.headers()),
        caller,
    };
    operation.apply(&ctx)
}
