//! Orgs: one schema, one store and one set of identities each. One process serves many
//! isolated orgs: the registry ([`Orgs`]) is a `DashMap`, so creating, resetting or deleting
//! one org never blocks requests to another.
//!
//! Every org is made from a [`Fixture`] (a seeded starting point: settings plus a store
//! [`Snapshot`]). Making one more org from it copies the table maps but shares every row
//! (`Arc<Record>`) and the schema (`Arc<Metadata>`), so it takes microseconds; the first
//! write to a row replaces that row's `Arc` in the new org only.
//!
//! Requests pick their org by path prefix (`/org/<name>/api/data/v9.2/…`) or by host name
//! (the first label of `<name>.localhost`, `<name>.crm.dynamics.com`, …), else they go to
//! the default org ([`Orgs::route`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use dashmap::DashMap;
use serde::Deserialize;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::fixture::{self, check_version, records, DataEntry, DataFile, FixtureError, FixtureFiles, Kind, Layer, Progress, LAYER_FILE, ORG_FILE};
use crate::metadata::{load_tables, Metadata};
use crate::operation::write::WriteContext;
use crate::store::{Snapshot, Store};

pub use crate::clock::Clock;
use time::OffsetDateTime;
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
    /// Custom API calls accepted with `Prefer: respond-async`.
    pub background: crate::background::Operations,
    /// The fixture the org was made from: the base its schema changes are exported against.
    pub fixture: Arc<Fixture>,
    /// What [`Org::reset`] goes back to: the fixture's state, the snapshot the org was
    /// created from, or the state after a fixture was loaded into it ([`Org::origin`]).
    origin: Mutex<Snapshot>,
    /// Named snapshots, by name.
    pub snapshots: Mutex<BTreeMap<String, SavedSnapshot>>,
    /// Where new record ids (and other generated GUIDs) come from: random, or seeded in
    /// deterministic mode so that whole responses repeat byte for byte.
    pub ids: IdGenerator,
    /// The `@ref` names of the fixture loads into this org (and its fixture's), so that a
    /// later layer can bind to records an earlier one named.
    names: Mutex<Arc<records::Names>>,
}

/// A seeded starting point orgs are created from: the settings and the state right after
/// the fixture's seed data loaded.
#[derive(Debug)]
pub struct Fixture {
    /// The fixture's settings (its `name` is the fixture's name).
    pub settings: OrgSettings,
    /// The seeded rows and schema.
    pub snapshot: Snapshot,
    /// Where the clocks of orgs made from it start (each org gets its own copy).
    pub clock: Clock,
    /// The deterministic-mode seed, which the ids of orgs made from it derive from.
    pub seed: Option<u64>,
    /// The `@ref` names its loads gave, which loads into orgs made from it can bind to.
    names: Arc<records::Names>,
}

/// A named snapshot of an org.
#[derive(Debug, Clone)]
pub struct SavedSnapshot {
    /// When it was taken (the org clock).
    pub taken_at: OffsetDateTime,
    /// The data and schema.
    pub snapshot: Snapshot,
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
        Org::from_layers(&[FixtureFiles::embedded(files)], clock, ids, None).map_err(|e| Error::internal(e.to_string()))
    }

    /// Builds an org from a fixture directory: a whole org (`org.json`, `tables/`, `data/`)
    /// or a layer (`fixture.json`) over the embedded default org.
    pub fn from_dir(dir: &std::path::Path, clock: Clock) -> std::result::Result<Org, String> {
        let files = FixtureFiles::read_dir(dir).map_err(|e| e.to_string())?;
        Org::from_layers(&[files], clock, IdGenerator::random(), None).map_err(|e| e.to_string())
    }

    /// Builds an org from fixture layers, applied in order (`serve --fixtures A --fixtures B`).
    /// The first may be a whole org; if it is a layer (or there are none), the layers go
    /// over the embedded default org. `progress` hears how far large loads are.
    pub fn from_layers(layers: &[FixtureFiles], clock: Clock, ids: IdGenerator, progress: Option<Progress<'_>>) -> std::result::Result<Org, FixtureError> {
        let base_is_given = match layers.first() {
            Some(first) => first.kind()? == Kind::Org,
            None => false,
        };
        let (mut org, layers) = if base_is_given {
            (Org::base(&layers[0], clock, ids, progress)?, &layers[1..])
        } else {
            (Org::base(&FixtureFiles::embedded(fixtures::DEFAULT_ORG), clock, ids, None)?, layers)
        };
        for layer in layers {
            if layer.kind()? == Kind::Org {
                let what = "a whole org: only the first fixture may be one; the ones after it must be layers (fixture.json)";
                return Err(FixtureError::file(ORG_FILE, what).within(&layer.source));
            }
            if let Some(name) = org.load_layer(layer, progress)? {
                check_name(&name).map_err(|e| FixtureError::at(LAYER_FILE, "name", e).within(&layer.source))?;
                org.settings.name = name;
            }
        }
        org.seal();
        Ok(org)
    }

    /// A whole org from its files, its seed data loaded, not yet sealed.
    fn base(files: &FixtureFiles, clock: Clock, ids: IdGenerator, progress: Option<Progress<'_>>) -> std::result::Result<Org, FixtureError> {
        let within = |e: FixtureError| e.within(&files.source);
        let org_json: serde_json::Value = serde_json::from_str(files.get(ORG_FILE).ok_or_else(|| within(FixtureError::file(ORG_FILE, "missing")))?)
            .map_err(|e| within(FixtureError::file(ORG_FILE, e)))?;
        check_version(ORG_FILE, &org_json).map_err(within)?;
        let settings: OrgSettings = serde_json::from_value(org_json).map_err(|e| within(FixtureError::file(ORG_FILE, e)))?;
        let pairs = files.pairs();
        let tables = load_tables(pairs.iter().filter(|(p, _)| p.starts_with("tables/")).copied()).map_err(|e| within(FixtureError::file(e.file, e.message)))?;
        let mut metadata = Metadata::new(tables);
        // Custom APIs (optional): `custom-apis.json`, format in `operation::message::custom_api`.
        if let Some(text) = files.get("custom-apis.json") {
            let known = |t: &str| metadata.entity(t).is_some();
            let apis = crate::operation::message::custom_api::load(text, &known).map_err(|e| within(FixtureError::file("custom-apis.json", e)))?;
            metadata.set_custom_apis(apis);
        }
        let placeholder = Arc::new(Fixture { settings: settings.clone(), snapshot: Snapshot::empty(), clock: clock.clone(), seed: None, names: Arc::default() });
        let org = Org {
            store: Store::new(Arc::new(metadata)),
            settings,
            clock,
            jobs: Default::default(),
            background: Default::default(),
            fixture: placeholder,
            origin: Mutex::new(Snapshot::empty()),
            snapshots: Mutex::default(),
            ids,
            names: Mutex::default(),
        };
        let mut blocks = Vec::new();
        for file in &org.settings.data {
            let path = format!("data/{file}");
            blocks.push((path.clone(), data_file(files, &path).map_err(within)?));
        }
        org.load_records(blocks, progress).map_err(within)?;
        Ok(org)
    }

    /// Loads a layer (`fixture.json` and the data files it names) into the org: its schema
    /// additions, then its records, in one transaction, so a failure leaves the org as it
    /// was. Returns the name the layer gives the fixture, if any.
    pub fn load_layer(&self, files: &FixtureFiles, progress: Option<Progress<'_>>) -> std::result::Result<Option<String>, FixtureError> {
        let within = |e: FixtureError| e.within(&files.source);
        let text = files.get(LAYER_FILE).ok_or_else(|| within(FixtureError::file(LAYER_FILE, "missing")))?;
        let layer = Layer::parse(LAYER_FILE, text).map_err(within)?;
        let mut blocks = Vec::new();
        for (i, entry) in layer.data.into_iter().enumerate() {
            match entry {
                DataEntry::Inline(block) => blocks.push((format!("{LAYER_FILE}, data[{i}]"), block)),
                DataEntry::File(path) => {
                    let block = data_file(files, &path).map_err(|e| match files.source.is_empty() && files.files.len() == 1 {
                        true => FixtureError::at(LAYER_FILE, format!("data[{i}]"), format!("'{path}': an uploaded fixture has no files beside it; write the records inline as {{\"table\": …, \"records\": […]}}")),
                        false => e,
                    });
                    blocks.push((path, block.map_err(within)?));
                }
            }
        }
        let mut failure = None;
        let total = blocks.iter().map(|(_, b)| b.records.len()).sum();
        let mut loader = records::Loader::new(total, progress, self.names());
        let outcome = self.store.write(|tx| {
            if !layer.schema.is_empty() {
                let mut schema = (*tx.metadata()).clone();
                if let Err(e) = fixture::schema::apply(&mut schema, LAYER_FILE, &layer.schema) {
                    failure = Some(e);
                    return Err(Error::internal("fixture schema"));
                }
                tx.set_metadata(schema).inspect_err(|e| failure = Some(FixtureError::at(LAYER_FILE, "schema", e.message())))?;
            }
            let metadata = tx.metadata();
            let w = WriteContext { org: self, metadata: &metadata, caller: self.settings.caller_id, now: self.clock.now(), seeding: true };
            load_blocks(tx, &w, &mut loader, blocks, &mut failure)
        });
        match (outcome, failure) {
            (Ok(()), _) => {
                self.set_names(loader.into_names());
                Ok(layer.name)
            }
            (Err(_), Some(e)) => Err(within(e)),
            (Err(e), None) => Err(within(FixtureError::file(LAYER_FILE, e.message()))),
        }
    }

    /// Loads blocks of seed records in one transaction.
    fn load_records(&self, blocks: Vec<(String, DataFile)>, progress: Option<Progress<'_>>) -> std::result::Result<(), FixtureError> {
        let total = blocks.iter().map(|(_, b)| b.records.len()).sum();
        let mut loader = records::Loader::new(total, progress, self.names());
        let metadata = self.metadata();
        let w = WriteContext { org: self, metadata: &metadata, caller: self.settings.caller_id, now: self.clock.now(), seeding: true };
        let mut failure = None;
        let outcome = self.store.write(|tx| {
            load_blocks(tx, &w, &mut loader, blocks, &mut failure)
        });
        match (outcome, failure) {
            (Ok(()), _) => {
                self.set_names(loader.into_names());
                Ok(())
            }
            (Err(_), Some(e)) => Err(e),
            (Err(e), None) => Err(FixtureError::file("data", e.message())),
        }
    }

    /// Makes the org's current state its fixture: what orgs made from it start with and
    /// what reset goes back to. The fixture keeps its own clock, so moving this org's
    /// clock doesn't move the orgs made from it.
    fn seal(&mut self) {
        // The fixture's own rows are where the org starts, not events: a step the fixture
        // registers never hears about them.
        self.store.take_changes();
        let snapshot = self.store.snapshot();
        self.fixture = Arc::new(Fixture { settings: self.settings.clone(), snapshot: snapshot.clone(), clock: self.clock.fork(), seed: self.ids.seed(), names: self.names() });
        *self.origin.get_mut().unwrap_or_else(|e| e.into_inner()) = snapshot;
    }

    /// A new org called `name` made from `fixture`, starting at `origin` (the fixture's own
    /// state when `None`). Rows and schema are shared with the origin until written. Its
    /// clock starts where the fixture's stands but moves on its own; in deterministic mode
    /// its ids come from the fixture's seed and the org's name, so they repeat across runs
    /// whatever order the orgs are made in.
    pub fn from_fixture(name: &str, fixture: &Arc<Fixture>, origin: Option<Snapshot>) -> Org {
        let origin = origin.unwrap_or_else(|| fixture.snapshot.clone());
        let mut settings = fixture.settings.clone();
        settings.name = name.to_string();
        let ids = match fixture.seed {
            Some(seed) => IdGenerator::seeded(seed ^ name_hash(name)),
            None => IdGenerator::random(),
        };
        Org {
            store: Store::from_snapshot(&origin),
            settings,
            clock: fixture.clock.fork(),
            jobs: Default::default(),
            background: Default::default(),
            fixture: fixture.clone(),
            origin: Mutex::new(origin),
            snapshots: Mutex::default(),
            ids,
            names: Mutex::new(fixture.names.clone()),
        }
    }

    /// This org as `committed` shows it, for reading only: what a synchronous webhook
    /// receiver's calls back are served from while the write that called it holds the org
    /// ([`crate::store::Transaction::committed`]). Same name, settings, schema and clock;
    /// nothing written to it is kept.
    pub fn committed_view(&self, committed: Snapshot) -> Org {
        Org {
            store: Store::from_owned(committed),
            settings: self.settings.clone(),
            clock: self.clock.clone(),
            jobs: Default::default(),
            background: Default::default(),
            fixture: self.fixture.clone(),
            origin: Mutex::new(Snapshot::empty()),
            snapshots: Mutex::default(),
            ids: IdGenerator::random(),
            // Read-only: no fixture is loaded into it.
            names: Mutex::default(),
        }
    }

    /// The `@ref` names of the fixture loads so far.
    fn names(&self) -> Arc<records::Names> {
        self.names.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set_names(&self, names: Arc<records::Names>) {
        *self.names.lock().unwrap_or_else(|e| e.into_inner()) = names;
    }

    /// Makes the org's current state its starting point (after a fixture was loaded into
    /// it): reset comes back here.
    pub fn mark_origin(&self) {
        let now = self.store.snapshot();
        *self.origin.lock().unwrap_or_else(|e| e.into_inner()) = now;
    }

    /// What reset goes back to.
    pub fn origin(&self) -> Snapshot {
        self.origin.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Puts the org back to where it started (its fixture, or the snapshot it was made
    /// from). Named snapshots are kept.
    pub fn reset(&self) {
        self.store.restore(&self.origin());
    }

    /// The org's named snapshots (a short lock; the snapshots themselves are shared).
    pub fn saved_snapshots(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, SavedSnapshot>> {
        self.snapshots.lock().unwrap_or_else(|e| e.into_inner())
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

/// A data file of a fixture (`{"table", "records"}`).
fn data_file(files: &FixtureFiles, path: &str) -> std::result::Result<DataFile, FixtureError> {
    let text = files.get(path).ok_or_else(|| FixtureError::file(path, "listed in the fixture's data but missing"))?;
    serde_json::from_str(text).map_err(|e| FixtureError::file(path, e))
}

/// A stable hash of an org name (FNV-1a), mixed into the deterministic seed so each org
/// made from a fixture has its own repeatable ids.
fn name_hash(name: &str) -> u64 {
    name.to_ascii_lowercase().bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Reads a fixture directory into `(relative path, text)` pairs (every `*.json` below it).
pub fn read_fixture_dir(dir: &std::path::Path) -> std::io::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let rel = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy().replace('\\', "/");
                files.push((rel, std::fs::read_to_string(&path)?));
            }
        }
    }
    Ok(files)
}

/// Why an org could not be created, found or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgError {
    /// No org, fixture or snapshot by that name.
    NotFound(String),
    /// The name is taken, ambiguous, or the org can't be removed.
    Conflict(String),
    /// The request itself is wrong (a bad name).
    Invalid(String),
}

impl std::fmt::Display for OrgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OrgError::NotFound(m) | OrgError::Conflict(m) | OrgError::Invalid(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for OrgError {}

/// The path prefix that addresses an org by name: `/org/<name>/api/data/v9.2/…`.
pub const PATH_PREFIX: &str = "/org/";

/// Splits `/org/<name>/rest` into (`/org/<name>`, `<name>`, `/rest`); `None` for paths
/// without the prefix.
pub fn split_org_prefix(path: &str) -> Option<(&str, &str, &str)> {
    let after = path.strip_prefix(PATH_PREFIX)?;
    let end = after.find('/').unwrap_or(after.len());
    let name = &after[..end];
    if name.is_empty() {
        return None;
    }
    let cut = PATH_PREFIX.len() + end;
    Some((&path[..cut], name, &path[cut..]))
}

/// The org a request is for, and the path prefix it was addressed with (empty unless the
/// client used `/org/<name>`), which every absolute URL in the response keeps.
#[derive(Debug, Clone)]
pub struct Routed<'p> {
    /// The org.
    pub org: Arc<Org>,
    /// `/org/<name>` as the client spelled it, or empty.
    pub prefix: &'p str,
    /// The path after the prefix (the whole path without one).
    pub path: &'p str,
}

/// A valid org name: a DNS label (so it can also be used as `<name>.localhost`), lower case.
fn check_name(name: &str) -> Result<String, OrgError> {
    let lower = name.to_ascii_lowercase();
    let ok = !lower.is_empty()
        && lower.len() <= 63
        && lower.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !lower.starts_with('-')
        && !lower.ends_with('-');
    if ok {
        Ok(lower)
    } else {
        Err(OrgError::Invalid(format!(
            "'{name}' is not a valid org name: use 1 to 63 letters, digits and inner hyphens, as in a host name."
        )))
    }
}

/// The orgs one process serves, by name, and the fixtures new orgs can be made from.
#[derive(Debug, Default)]
pub struct Orgs {
    orgs: DashMap<String, Arc<Org>>,
    fixtures: DashMap<String, Arc<Fixture>>,
    default: String,
}

impl Orgs {
    /// A registry holding one org, which also answers requests that name no org; its
    /// fixture is available (under the org's name) to create more orgs from.
    pub fn single(org: Org) -> Orgs {
        let name = org.settings.name.to_ascii_lowercase();
        let orgs = DashMap::new();
        let fixtures = DashMap::new();
        fixtures.insert(org.fixture.settings.name.to_ascii_lowercase(), org.fixture.clone());
        orgs.insert(name.clone(), Arc::new(org));
        Orgs { orgs, fixtures, default: name }
    }

    /// The default org's name.
    pub fn default_name(&self) -> &str {
        &self.default
    }

    /// The org that answers requests naming no org.
    pub fn default_org(&self) -> Option<Arc<Org>> {
        self.get(&self.default)
    }

    /// An org by name (case-insensitive).
    pub fn get(&self, name: &str) -> Option<Arc<Org>> {
        self.orgs.get(&name.to_ascii_lowercase()).map(|o| o.clone())
    }

    /// Every org, by name.
    pub fn list(&self) -> Vec<(String, Arc<Org>)> {
        let mut all: Vec<(String, Arc<Org>)> = self.orgs.iter().map(|e| (e.key().clone(), e.value().clone())).collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// A fixture by name.
    pub fn fixture(&self, name: &str) -> Option<Arc<Fixture>> {
        self.fixtures.get(&name.to_ascii_lowercase()).map(|f| f.clone())
    }

    /// The fixtures' names, sorted.
    pub fn fixture_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.fixtures.iter().map(|e| e.key().clone()).collect();
        names.sort();
        names
    }

    /// Finds the starting point `from` names: a fixture, `<org>/<snapshot>`, or a snapshot
    /// name that exactly one org has.
    pub fn source(&self, from: &str) -> Result<(Arc<Fixture>, Option<Snapshot>), OrgError> {
        if let Some(f) = self.fixture(from) {
            return Ok((f, None));
        }
        let from_org = |org: &Arc<Org>, snap: &str| org.saved_snapshots().get(snap).map(|s| (org.fixture.clone(), Some(s.snapshot.clone())));
        if let Some((org, snap)) = from.split_once('/') {
            let org = self.get(org).ok_or_else(|| OrgError::NotFound(format!("No org named '{org}'.")))?;
            return from_org(&org, snap).ok_or_else(|| OrgError::NotFound(format!("The org '{}' has no snapshot named '{snap}'.", org.settings.name)));
        }
        let found: Vec<_> = self.list().into_iter().filter_map(|(_, o)| from_org(&o, from)).collect();
        match found.len() {
            0 => Err(OrgError::NotFound(format!("No fixture or snapshot named '{from}'."))),
            1 => Ok(found.into_iter().next().expect("one")),
            _ => Err(OrgError::Conflict(format!("More than one org has a snapshot named '{from}'; name it as '<org>/{from}'."))),
        }
    }

    /// Creates the org `name` from `from` (see [`Orgs::source`]; the default org's fixture
    /// when `None`).
    pub fn create(&self, name: &str, from: Option<&str>) -> Result<Arc<Org>, OrgError> {
        let name = check_name(name)?;
        let (fixture, origin) = self.source(from.unwrap_or(&self.default))?;
        // Built before taking the map entry: resolving `from` reads other orgs, and the
        // entry holds a shard lock.
        let org = Arc::new(Org::from_fixture(&name, &fixture, origin));
        self.insert(org)
    }

    /// Creates the org `name` from `from` (as [`Orgs::create`]) and loads the fixture layer
    /// `layer` into it before anyone can reach it; reset brings it back to that state. The
    /// layer's rows fire the webhook steps they match (after the request that made the org)
    /// only if `deliver_webhooks`.
    pub fn create_with_layer(&self, name: &str, from: Option<&str>, layer: &FixtureFiles, deliver_webhooks: bool) -> Result<Arc<Org>, OrgError> {
        let name = check_name(name)?;
        if self.get(&name).is_some() {
            return Err(OrgError::Conflict(format!("An org named '{name}' already exists.")));
        }
        let (fixture, origin) = self.source(from.unwrap_or(&self.default))?;
        let org = Org::from_fixture(&name, &fixture, origin);
        org.load_layer(layer, None).map_err(|e| OrgError::Invalid(e.to_string()))?;
        if !deliver_webhooks {
            org.store.take_changes();
        }
        org.mark_origin();
        self.insert(Arc::new(org))
    }

    /// Adds a ready-made org under its settings' name; fails if the name is taken.
    pub fn insert(&self, org: Arc<Org>) -> Result<Arc<Org>, OrgError> {
        let name = check_name(&org.settings.name)?;
        match self.orgs.entry(name) {
            dashmap::Entry::Occupied(e) => Err(OrgError::Conflict(format!("An org named '{}' already exists.", e.key()))),
            dashmap::Entry::Vacant(v) => {
                v.insert(org.clone());
                Ok(org)
            }
        }
    }

    /// Removes an org. The default org stays: requests that name no org need it.
    pub fn remove(&self, name: &str) -> Result<Arc<Org>, OrgError> {
        let name = name.to_ascii_lowercase();
        if name == self.default {
            return Err(OrgError::Conflict(format!("The default org '{name}' can't be deleted; reset it instead.")));
        }
        self.orgs.remove(&name).map(|(_, o)| o).ok_or_else(|| OrgError::NotFound(format!("No org named '{name}'.")))
    }

    /// The org a request is for: `/org/<name>/…` names it (an unknown name is an error, so
    /// a test never writes to another org by mistake); else the first label of the host
    /// name if an org has that name; else the default org.
    pub fn route<'p>(&self, host: &str, path: &'p str) -> Result<Routed<'p>, OrgError> {
        if let Some((prefix, name, rest)) = split_org_prefix(path) {
            let org = self.get(name).ok_or_else(|| OrgError::NotFound(format!("No org named '{name}'.")))?;
            return Ok(Routed { org, prefix, path: rest });
        }
        let org = host_label(host).and_then(|label| self.get(label)).or_else(|| self.default_org());
        org.map(|org| Routed { org, prefix: "", path }).ok_or_else(|| OrgError::NotFound("No default org.".into()))
    }

    /// The org for a host name (see [`Orgs::route`]).
    pub fn resolve(&self, host: Option<&str>) -> Option<Arc<Org>> {
        self.route(host.unwrap_or(""), "/").ok().map(|r| r.org)
    }
}

/// The first label of a host name (`contoso` of `contoso.localhost:5555`), if the host is a
/// name with more than one label; IP addresses and bare names have none.
fn host_label(host: &str) -> Option<&str> {
    if host.starts_with('[') {
        return None;
    }
    let name = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let (label, rest) = name.split_once('.')?;
    let is_ip = name.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    (!is_ip && !label.is_empty() && !rest.is_empty()).then_some(label)
}

/// Loads a layer's record blocks inside its transaction, then declares the messages of the
/// org's Custom APIs (for webhook steps to be registered on). A record's error is kept in
/// `failure`, with its file, record and field; the transaction only learns that it failed.
fn load_blocks(
    tx: &mut crate::store::Transaction<'_>,
    w: &WriteContext<'_>,
    loader: &mut records::Loader<'_>,
    blocks: Vec<(String, DataFile)>,
    failure: &mut Option<FixtureError>,
) -> Result<()> {
    for (file, block) in blocks {
        if let Err(e) = loader.load(tx, w, &file, block) {
            *failure = Some(e);
            return Err(Error::internal("fixture record"));
        }
    }
    crate::webhooks::custom_message::declare(tx, w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_labels() {
        assert_eq!(host_label("contoso.localhost:5555"), Some("contoso"));
        assert_eq!(host_label("contoso.crm.dynamics.com"), Some("contoso"));
        assert_eq!(host_label("localhost:5555"), None);
        assert_eq!(host_label("127.0.0.1:5555"), None);
        assert_eq!(host_label("[::1]:5555"), None);
    }

    #[test]
    fn org_prefixes() {
        assert_eq!(split_org_prefix("/org/a1/api/data/v9.2/x"), Some(("/org/a1", "a1", "/api/data/v9.2/x")));
        assert_eq!(split_org_prefix("/org/a1"), Some(("/org/a1", "a1", "")));
        assert_eq!(split_org_prefix("/org//x"), None);
        assert_eq!(split_org_prefix("/api/data/v9.2/"), None);
    }

    #[test]
    fn names_are_dns_labels() {
        assert_eq!(check_name("Test-1").unwrap(), "test-1");
        for bad in ["", "-a", "a-", "a_b", "a.b", "a/b", &"x".repeat(64)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
