//! The emulator inside a Rust test process, the way the `wiremock` and `httpmock` crates
//! work: no binary to install or start, a free port per emulator, stopped on drop.
//!
//! ```
//! use dataverse_emulator::Emulator;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let emu = Emulator::builder().tls(false).start().await;
//! // Point the code under test at the default org…
//! let web_api = emu.web_api_url(); // http://127.0.0.1:<port>/api/data/v9.2/
//!
//! // …or give each test its own org: same fixture, separate data, made in microseconds.
//! let org = emu.org("test-1");
//! let url = org.web_api_url(); // http://127.0.0.1:<port>/org/test-1/api/data/v9.2/
//! org.snapshot("clean");
//! // … the test writes …
//! org.restore("clean");
//! org.reset(); // back to the fixture
//! emu.reset(); // the default org back to its fixture
//! # assert!(web_api.starts_with("http://127.0.0.1:") && url.ends_with("/org/test-1/api/data/v9.2/"));
//! # }
//! ```
//!
//! The emulator serves on 127.0.0.1 with the same [`App`] the binary uses, so everything
//! (the admin API under `/_emulator/…` included) behaves as it does over the CLI.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::fixture::FixtureFiles;
use crate::org::{IdGenerator, Org, Orgs, SavedSnapshot};
use crate::{App, Clock, Config};

/// Settings for an [`Emulator`]; see [`Emulator::builder`].
#[derive(Debug, Default)]
pub struct Builder {
    fixtures: Vec<PathBuf>,
    tls: bool,
    tls_dir: Option<PathBuf>,
    config: Option<Config>,
    clock: Option<Clock>,
}

impl Builder {
    /// Adds a fixture directory: a whole org (`org.json`, `tables/`, `data/`) served instead
    /// of the embedded default org, or a layer (`fixture.json`: schema additions and
    /// records) over it. Called again, it adds layers, applied in order (see
    /// [`crate::fixture`] and `fixtures/README.md`).
    pub fn fixture(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.fixtures.push(dir.into());
        self
    }

    /// Serves HTTPS with the emulator's local CA (see [`Emulator::ca_file`]).
    pub fn tls(mut self, on: bool) -> Builder {
        self.tls = on;
        self
    }

    /// Where the local CA is kept with [`Builder::tls`] (default: a directory under the
    /// system temp dir, shared by every embedded emulator of the user).
    pub fn tls_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.tls_dir = Some(dir.into());
        self
    }

    /// Auth mode, token lifetimes and limits (default: [`Config::default`]).
    pub fn config(mut self, config: Config) -> Builder {
        self.config = Some(config);
        self
    }

    /// The clock the orgs read (default: the system clock).
    pub fn clock(mut self, clock: Clock) -> Builder {
        self.clock = Some(clock);
        self
    }

    /// Starts the emulator on a free port of 127.0.0.1. Panics if it can't (a test that
    /// can't start its emulator has nothing to test); see [`Builder::try_start`].
    pub async fn start(self) -> Emulator {
        match self.try_start().await {
            Ok(emu) => emu,
            Err(e) => panic!("the Dataverse emulator could not start: {e}"),
        }
    }

    /// Starts the emulator, or says why it couldn't (a bad fixture, no free port, TLS setup).
    pub async fn try_start(self) -> Result<Emulator, String> {
        let clock = self.clock.unwrap_or_else(Clock::system);
        let layers = self.fixtures.iter().map(|dir| FixtureFiles::read_dir(dir)).collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())?;
        let org = Org::from_layers(&layers, clock, IdGenerator::random(), None).map_err(|e| e.to_string())?;
        let app = App::new(Orgs::single(org), self.config.unwrap_or_default());
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let tls = if self.tls {
            let dir = self.tls_dir.unwrap_or_else(|| std::env::temp_dir().join("dataverse-emulator-embedded").join("tls"));
            Some(crate::server::tls::generated(&dir).map_err(|e| e.0)?)
        } else {
            None
        };
        let ca_file = tls.as_ref().and_then(|t| t.ca_file.clone());
        if let Some(ca) = &ca_file {
            // https webhook receivers with certificates from the emulator's CA are trusted.
            app.webhooks().trust_ca_file(ca)?;
        }
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async {
            let _ = stopped.await;
        };
        let served = app.clone();
        let task = match tls {
            Some(t) => tokio::spawn(async move {
                if let Err(e) = crate::server::run_tls(listener, served, t.acceptor, shutdown).await {
                    tracing::error!(cause = %e, "the embedded emulator stopped");
                }
            }),
            None => tokio::spawn(async move {
                if let Err(e) = crate::server::run(listener, served, shutdown).await {
                    tracing::error!(cause = %e, "the embedded emulator stopped");
                }
            }),
        };
        let scheme = if ca_file.is_some() { "https" } else { "http" };
        Ok(Emulator { app, addr, origin: format!("{scheme}://{addr}"), ca_file, stop: Some(stop), task: Some(task) })
    }
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    app: App,
    addr: SocketAddr,
    origin: String,
    ca_file: Option<PathBuf>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Settings for a new emulator: the embedded default org, plain HTTP, `--auth any`.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// `http://127.0.0.1:<port>` (`https://` with TLS): the default org's URL, also the
    /// token authority (`<url>/<tenant>/oauth2/v2.0/token`) and the admin API's base.
    pub fn url(&self) -> &str {
        &self.origin
    }

    /// The default org's Web API root, `…/api/data/v9.2/`.
    pub fn web_api_url(&self) -> String {
        format!("{}/api/data/v9.2/", self.origin)
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    /// The local CA's certificate to trust, with TLS.
    pub fn ca_file(&self) -> Option<&Path> {
        self.ca_file.as_deref()
    }

    /// The app itself, for calls that need no socket.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// The org `name`, created from the default org's fixture if it doesn't exist yet.
    /// Panics if `name` is not a valid org name (a DNS label).
    pub fn org(&self, name: &str) -> OrgHandle {
        let orgs = self.app.orgs();
        let org = match orgs.get(name) {
            Some(o) => o,
            // Another caller may create it between the two calls: take theirs then.
            None => orgs.create(name, None).or_else(|e| orgs.get(name).ok_or(e)).unwrap_or_else(|e| panic!("org '{name}': {e}")),
        };
        let prefix = if org.settings.name == orgs.default_name() { String::new() } else { format!("{}{}", crate::org::PATH_PREFIX, org.settings.name) };
        OrgHandle { url: format!("{}{prefix}", self.origin), org }
    }

    /// Removes the org `name` (not the default org); whether it existed.
    pub fn delete_org(&self, name: &str) -> bool {
        self.app.orgs().remove(name).is_ok()
    }

    /// Puts the default org back to its fixture.
    pub fn reset(&self) {
        if let Some(org) = self.app.orgs().default_org() {
            org.reset();
        }
    }
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator").field("url", &self.origin).finish_non_exhaustive()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Don't wait for open keep-alive connections: the test is over.
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// One org of an [`Emulator`].
#[derive(Debug, Clone)]
pub struct OrgHandle {
    org: Arc<Org>,
    url: String,
}

impl OrgHandle {
    /// The org's name.
    pub fn name(&self) -> &str {
        &self.org.settings.name
    }

    /// The org's URL (`http://127.0.0.1:<port>/org/<name>`): the resource to ask tokens for.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The org's Web API root, `…/org/<name>/api/data/v9.2/`.
    pub fn web_api_url(&self) -> String {
        format!("{}/api/data/v9.2/", self.url)
    }

    /// The org itself (store, schema, settings), for checks that need no HTTP.
    pub fn org(&self) -> &Arc<Org> {
        &self.org
    }

    /// Puts the org back to where it started.
    pub fn reset(&self) {
        self.org.reset();
    }

    /// Saves the org's current data and schema as the snapshot `name` (replacing one of
    /// that name).
    pub fn snapshot(&self, name: &str) {
        let saved = SavedSnapshot { taken_at: self.org.clock.now(), snapshot: self.org.store.snapshot() };
        self.org.saved_snapshots().insert(name.to_string(), saved);
    }

    /// Puts the org back to the snapshot `name`; false if there is none.
    pub fn restore(&self, name: &str) -> bool {
        let saved = self.org.saved_snapshots().get(name).cloned();
        saved.map(|s| self.org.store.restore(&s.snapshot)).is_some()
    }
}
