//! A local emulator of the Microsoft Dataverse (Dynamics 365) Web API.
//!
//! # Request lifecycle
//!
//! 1. [`server`] accepts a connection (plain or TLS, [`server::tls`]), collects the request
//!    body within the size limit, and hands a `Request<Bytes>` to [`App::handle`] (see [`app`]).
//! 2. [`app`] finds the [`org`]; token-service paths go to [`auth`] (client credentials,
//!    discovery, JWKS). For the Web API, [`auth::caller`] checks the bearer token (per the
//!    auth mode) and impersonation headers to decide who is calling.
//! 3. [`app::execute`] parses the path and query string with [`odata_parser`], and
//!    [`route`] maps method + path to an [`operation::Operation`], resolving entity sets,
//!    keys and navigation properties against [`metadata`].
//! 4. The operation decodes its body ([`wire::input`]) and runs: reads plan and execute a
//!    [`query`] over a store snapshot (OData options, [`fetchxml`] and [`sql`] compile into the
//!    same plan); writes go through [`operation::write`] inside one
//!    [`store`] transaction, so a failure leaves no trace; while webhook steps are
//!    registered, synchronous ones are called just before it commits ([`webhooks`]). `$batch`
//!    ([`wire::multipart`]) runs each part through step 3 again, a changeset sharing one
//!    transaction ([`operation::access`]).
//! 5. [`wire`] renders OData JSON ([`wire::json`], [`wire::expand`]) with the annotations the
//!    `Prefer` header asked for, or `$batch` framing ([`wire::batch`]), or CSDL
//!    ([`metadata::csdl`]); any failure becomes a Dataverse error from the one catalog in
//!    [`error`].
//!
//! The org itself is data: [`fixtures`] embeds the default org's tables and seed records, and
//! [`fixture`] reads the versioned, hand-editable layers (schema additions and records with
//! `@ref` names) that tests lay over it, through the same metadata and record write paths
//! requests use.
//!
//! # Test tooling
//!
//! One process serves many isolated [`org`]s, picked by path prefix
//! (`/org/<name>/api/data/v9.2/`) or host name (`<name>.localhost`). The [`admin`] API under
//! `/_emulator/…` creates, resets, snapshots and deletes them; [`persist`] keeps them in a
//! state file between runs. Rust tests can run the emulator in-process with [`Emulator`]:
//!
//! ```no_run
//! # async fn example() {
//! let emu = dataverse_emulator::Emulator::builder().start().await;
//! let org = emu.org("my-test"); // its own data, from the default fixture
//! println!("{}", org.web_api_url());
//! # }
//! ```
//!
//! See [`embed`] for the whole API.
//!
//! # Web dashboard
//!
//! [`ui`] serves pages at `/_emulator/ui/…` and Dynamics' `main.aspx` record and list URLs:
//! server-rendered from Web API reads, with a little embedded script that edits and queries
//! through the Web API itself and polls the admin API's journal, webhook and fault views.

pub mod admin;
pub mod app;
pub mod auth;
pub mod background;
pub mod clock;
pub mod config;
pub mod embed;
pub mod error;
pub mod fetchxml;
pub mod fixture;
pub mod ids;
pub mod metadata;
pub mod operation;
pub mod org;
pub mod persist;
pub mod query;
pub mod replay;
pub mod route;
pub mod server;
pub mod sql;
pub mod store;
pub mod ui;
pub mod webhooks;
pub mod wire;

pub use app::App;
pub use config::Config;
pub use embed::Emulator;
pub use org::{Clock, IdGenerator, Org, Orgs};
pub use server::run;
