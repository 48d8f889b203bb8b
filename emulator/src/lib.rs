//! A local emulator of the Microsoft Dataverse (Dynamics 365) Web API.
//!
//! # Request lifecycle
//!
//! 1. [`server`] accepts a connection, collects the request body within the size limit,
//!    and hands a `Request<Bytes>` to [`App::handle`] (see [`app`]).
//! 2. [`app`] finds the [`org`] and the service root (`{scheme}://{Host}/api/data/v9.x/`),
//!    and parses the path and query string with [`odata_parser`].
//! 3. [`route`] maps method + path to an [`operation::Operation`], resolving entity sets,
//!    keys and navigation properties against [`metadata`].
//! 4. The operation decodes its body ([`wire::input`]) and runs: writes go through
//!    [`operation::write`] inside one [`store`] transaction, so a failure leaves no trace.
//! 5. [`wire`] renders OData JSON ([`wire::json`]) with the annotations the `Prefer` header
//!    asked for; any failure becomes a Dataverse error from the one catalog in [`error`].
//!
//! The org itself is data: [`fixtures`] embeds the default org's tables and seed records.

pub mod app;
pub mod auth;
pub mod config;
pub mod error;
pub mod metadata;
pub mod operation;
pub mod org;
pub mod query;
pub mod route;
pub mod server;
pub mod store;
pub mod wire;

pub use app::App;
pub use config::Config;
pub use org::{Clock, Org, Orgs};
pub use server::run;
