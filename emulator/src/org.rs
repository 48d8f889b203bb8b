//! Orgs: one schema, one store and one set of identities each. One process can serve
//! several isolated orgs (the registry is a `DashMap` so that adding or resetting one org
//! never blocks requests to another); today the CLI creates the embedded default org.

use std::sync::Arc;

use dashmap::DashMap;
use serde::Deserialize;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::metadata::{load_tables, Metadata};
use crate::operation::write::{self, WriteContext};
use crate::store::Store;
use crate::wire::input;

pub use crate::clock::Clock;
pub use crate::ids::IdGenerator;

/// Identities and settings of an org (from `org.json`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgSettings {
    /// Fixture format version.
    pub format_version: u32,
    /// Short name used for routing.
    pub name: String,
    /// The organization id (WhoAmI's OrganizationId).
    pub organization_id: Uuid,
    /// The system user requests act as when no token names another.
    pub caller_id: Uuid,
    /// The root business unit.
    pub business_unit_id: Uuid,
    /// The base currency given to money columns.
    pub base_currency_id: Uuid,
    /// Display name (RetrieveCurrentOrganization's FriendlyName).
    #[serde(default)]
    pub friendly_name: Option<String>,
    /// Unique name (RetrieveCurrentOrganization's UniqueName).
    #[serde(default)]
    pub unique_name: Option<String>,
    /// The version RetrieveVersion reports.
    pub version: String,
    /// Seed data files, loaded in this order.
    #[serde(default)]
    pub data: Vec<String>,
    /// The Entra tenant the org belongs to.
    #[serde(default)]
    pub tenant_id: Uuid,
    /// The tenant's domain, accepted in token URLs in place of the id.
    #[serde(default)]
    pub tenant_domain: Option<String>,
    /// App registrations the token service knows.
    #[serde(default)]
    pub applications: Vec<Application>,
    /// Tenant users who can sign in but have no `systemuser` in this org (their tokens
    /// get 403 from the Web API). Users who are in the org are the `systemuser` rows.
    #[serde(default)]
    pub directory_users: Vec<DirectoryUser>,
}

/// A tenant (Entra) user outside the org.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryUser {
    /// The user's Entra object id (`oid`).
    pub object_id: Uuid,
    /// The sign-in name (UPN), which `login_hint` matches.
    pub user_principal_name: String,
    /// Display name.
    #[serde(default)]
    pub display_name: String,
}

/// An app registration: client credentials, the service principal's object id, and
/// where delegated sign-ins may return to. Its application user (the caller for app
/// tokens) is the `systemuser` whose `applicationid` is the client id, as in Dataverse.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    /// The application (client) id.
    pub client_id: Uuid,
    /// The client secret.
    pub client_secret: String,
    /// The service principal's object id (`oid` in app tokens).
    pub object_id: Uuid,
    /// Display name.
    #[serde(default)]
    pub display_name: String,
    /// Registered redirect URIs; the authorize endpoint only returns to these, exactly.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// The user (domain name / UPN) the authorize endpoint signs in when the request has
    /// no `login_hint`; without it, the org's default caller.
    #[serde(default)]
    pub default_user: Option<String>,
    /// "Allow public client flows": the code and refresh grants may omit the secret.
    #[serde(default)]
    pub allow_public_client: bool,
}

/// One emulated org.
#[derive(Debug)]
pub struct Org {
    /// Identities and settings.
    pub settings: OrgSettings,
    /// The data, and the schema (see [`Org::metadata`]).
    pub store: Store,
    /// The clock system columns read.
    pub clock: Clock,
    /// System jobs waiting for their next step (BulkDelete).
    pub jobs: crate::operation::message::jobs::Jobs,
    /// Where new record ids (and other generated GUIDs) come from: random, or seeded in
    /// deterministic mode so that whole responses repeat byte for byte.
    pub ids: IdGenerator,
}

/// A seed data file: `{"table": "account", "records": [ …Web API create bodies… ]}`.
#[derive(Deserialize)]
struct DataFile {
    table: String,
    records: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// Org-level fixture problems, naming the file and record.
fn fixture_error(file: &str, index: Option<usize>, e: impl std::fmt::Display) -> Error {
    match index {
        Some(i) => Error::internal(format!("fixture {file}, record {i}: {e}")),
        None => Error::internal(format!("fixture {file}: {e}")),
    }
}

impl Org {
    /// Builds an org from a fixture set: `org.json`, `tables/*.json`, `data/*.json`,
    /// given as `(relative path, text)` pairs. Seed records go through the same create
    /// pipeline as Web API requests, so they get system columns and validation.
    pub fn from_files(files: &[(&str, &str)], clock: Clock) -> Result<Org> {
        Org::from_files_with(files, clock, IdGenerator::random())
    }

    /// [`Org::from_files`] with a given id generator (seeded in deterministic mode), which
    /// seed records without an id already draw from.
    pub fn from_files_with(files: &[(&str, &str)], clock: Clock, ids: IdGenerator) -> Result<Org> {
        let find = |name: &str| files.iter().find(|(p, _)| *p == name).map(|(_, t)| *t);
        let settings: OrgSettings = serde_json::from_str(find("org.json").ok_or_else(|| fixture_error("org.json", None, "missing"))?)
            .map_err(|e| fixture_error("org.json", None, e))?;
        let tables = load_tables(files.iter().filter(|(p, _)| p.starts_with("tables/")).map(|(p, t)| (*p, *t)))
            .map_err(|e| fixture_error(&e.file, None, e.message))?;
        let org = Org { store: Store::new(Arc::new(Metadata::new(tables))), settings, clock, jobs: Default::default(), ids };
        let metadata = org.metadata();
        for file in &org.settings.data {
            let path = format!("data/{file}");
            let text = find(&path).ok_or_else(|| fixture_error(&path, None, "listed in org.json but missing"))?;
            let data: DataFile = serde_json::from_str(text).map_err(|e| fixture_error(&path, None, e))?;
            let entity = metadata.entity(&data.table).ok_or_else(|| fixture_error(&path, None, format!("unknown table '{}'", data.table)))?.clone();
            let w = WriteContext { org: &org, metadata: &metadata, caller: org.settings.caller_id, now: org.clock.now(), seeding: true };
            org.store.write(|tx| {
                for (i, record) in data.records.into_iter().enumerate() {
                    let input = input::decode_object(&metadata, &entity, record).map_err(|e| fixture_error(&path, Some(i), e.message()))?;
                    write::create(tx, &w, &entity, None, input).map_err(|e| fixture_error(&path, Some(i), e.message()))?;
                }
                Ok(())
            })?;
        }
        Ok(org)
    }

    /// The org's schema as of now: a snapshot that stays the same while it is held, even if a
    /// metadata write changes the schema meanwhile. Take it once per request.
    pub fn metadata(&self) -> Arc<Metadata> {
        self.store.metadata()
    }

    /// The embedded default org.
    pub fn default_org(clock: Clock) -> Result<Org> {
        Org::from_files(fixtures::DEFAULT_ORG, clock)
    }

    /// The embedded default org with a given id generator.
    pub fn default_org_with(clock: Clock, ids: IdGenerator) -> Result<Org> {
        Org::from_files_with(fixtures::DEFAULT_ORG, clock, ids)
    }
}

/// The orgs one process serves, by name.
#[derive(Debug, Default)]
pub struct Orgs {
    orgs: DashMap<String, Arc<Org>>,
    default: String,
}

impl Orgs {
    /// A registry holding one org, which also answers requests that name no org.
    pub fn single(org: Org) -> Orgs {
        let name = org.settings.name.clone();
        let orgs = DashMap::new();
        orgs.insert(name.clone(), Arc::new(org));
        Orgs { orgs, default: name }
    }

    /// The org a request is for. Host-name and path-prefix routing come with isolated orgs.
    pub fn resolve(&self, _host: Option<&str>) -> Option<Arc<Org>> {
        self.orgs.get(&self.default).map(|o| o.clone())
    }
}
