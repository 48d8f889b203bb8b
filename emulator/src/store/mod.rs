//! In-memory persistence for one org, free of HTTP.
//!
//! All rows live in one [`State`] behind a `std::sync::RwLock`. Reads take the read lock
//! for as long as they need a consistent view; every write, from a single PATCH to a whole
//! `$batch` changeset, runs inside [`Store::write`], which holds the write lock for the
//! duration and keeps an undo log. If the closure fails, the undo log restores every row,
//! key and association it touched, so a failed changeset leaves no trace and a concurrent
//! reader never sees half of one. The lock is a std lock (not tokio's) because it is never
//! held across an `.await`: store operations are synchronous.
//!
//! A row ([`Record`]) keeps its values apart from its column names: names are interned
//! ([`LogicalName`]) and the rows of a table share their sorted lists of names
//! ([`Attributes`]), so a loaded org costs about one 32-byte [`Value`] per column per row.

mod attributes;
mod compare;
mod files;
mod index;
mod name;
mod record;
pub mod snapshot;
mod value;

pub use attributes::{Attributes, ColumnName};
use attributes::Layouts;
pub use name::LogicalName;
pub use record::Record;
pub use compare::{like, SortKey};
pub use files::{Files, StoredFile, UploadSession};
pub use snapshot::Snapshot;
pub use value::{choices_text, EntityRef, Value};

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

use uuid::Uuid;

use crate::error::{Code, Error, Result};
use crate::metadata::{KeyDef, Metadata};

/// A map keyed by ids and names the emulator made or checked itself: foldhash instead of
/// SipHash, which was a tenth of a large fixture load.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// The rows of one table plus its alternate-key index.
#[derive(Debug, Clone)]
pub struct Table {
    /// The table's logical name, interned once for every undo entry and change of its rows.
    name: LogicalName,
    rows: FastMap<Uuid, Arc<Record>>,
    key_defs: Vec<KeyDef>,
    /// key name → canonical key text → record id.
    key_index: HashMap<String, HashMap<String, Uuid>>,
    /// Equality indexes on other columns, built on first use.
    columns: index::ColumnIndexes,
    /// The column lists its rows share.
    layouts: Layouts,
    /// Deleted rows, as (the row version the delete took, id), oldest first: what a change
    /// tracking delta link reports as `$deletedEntity`.
    deleted: Vec<(u64, Uuid)>,
}

impl Table {
    /// An empty table with these alternate keys.
    fn new(name: &str, key_defs: Vec<KeyDef>) -> Table {
        Table {
            name: LogicalName::new(name),
            rows: FastMap::default(),
            key_defs,
            key_index: HashMap::new(),
            columns: index::ColumnIndexes::default(),
            layouts: Layouts::default(),
            deleted: Vec::new(),
        }
    }

    /// The rows deleted after row version `since`, oldest first (change tracking).
    pub fn deleted_since(&self, since: u64) -> impl Iterator<Item = &(u64, Uuid)> {
        let start = self.deleted.partition_point(|(v, _)| *v <= since);
        self.deleted[start..].iter()
    }

    fn key_text(def: &KeyDef, record: &Record) -> Option<String> {
        let parts: Option<Vec<String>> = def.attributes.iter().map(|a| record.get(a).key_text()).collect();
        parts.map(|p| p.join("\u{1f}"))
    }

    fn unindex(&mut self, record: &Record) {
        self.columns.remove(record);
        for def in &self.key_defs {
            if let Some(text) = Self::key_text(def, record) {
                let index = self.key_index.entry(def.logical_name.clone()).or_default();
                if index.get(&text) == Some(&record.id) {
                    index.remove(&text);
                }
            }
        }
    }

    fn index(&mut self, record: &Record) {
        self.columns.insert(record);
        for def in &self.key_defs {
            if let Some(text) = Self::key_text(def, record) {
                self.key_index.entry(def.logical_name.clone()).or_default().insert(text, record.id);
            }
        }
    }

    /// The first alternate key of `record` already used by another row.
    fn key_conflict(&self, record: &Record) -> Option<&KeyDef> {
        self.key_defs.iter().find(|def| {
            Self::key_text(def, record)
                .and_then(|t| self.key_index.get(&def.logical_name).and_then(|i| i.get(&t)))
                .is_some_and(|owner| *owner != record.id)
        })
    }

    /// Ids of the rows whose `column` equals a value with key text `key`
    /// ([`Value::key_text`]), from an index built on first use instead of a scan.
    pub fn equal(&self, column: &str, key: &str) -> Vec<Uuid> {
        self.columns.lookup(self.rows.values(), column, key)
    }

    /// Rows in no particular order.
    pub fn rows(&self) -> impl Iterator<Item = &Arc<Record>> {
        self.rows.values()
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Everything one org stores.
#[derive(Debug, Default, Clone)]
pub struct State {
    tables: FastMap<String, Table>,
    /// N:N associations by relationship schema name: (entity1 id, entity2 id).
    associations: HashMap<String, BTreeSet<(Uuid, Uuid)>>,
    /// The last row version handed out; versions increase across the whole org.
    version: u64,
    /// File and image column contents, and chunked uploads in progress.
    files: Files,
}

impl State {
    /// The last row version handed out (a change-tracking delta token's starting point).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// A table's rows. Unknown tables read as empty.
    pub fn table(&self, logical_name: &str) -> Option<&Table> {
        self.tables.get(logical_name)
    }

    /// One row.
    pub fn get(&self, logical_name: &str, id: Uuid) -> Option<&Arc<Record>> {
        self.tables.get(logical_name)?.rows.get(&id)
    }

    /// The row whose alternate key `key_name` has the given canonical values.
    pub fn find_by_key(&self, logical_name: &str, key_name: &str, values: &[Value]) -> Option<Uuid> {
        let text: Option<Vec<String>> = values.iter().map(Value::key_text).collect();
        let text = text?.join("\u{1f}");
        self.tables.get(logical_name)?.key_index.get(key_name)?.get(&text).copied()
    }

    /// The org's stored files and upload sessions.
    pub fn files(&self) -> &Files {
        &self.files
    }

    /// The N:N pairs of a relationship.
    pub fn associations(&self, relationship: &str) -> impl Iterator<Item = &(Uuid, Uuid)> {
        self.associations.get(relationship).into_iter().flatten()
    }
}

/// One step of a transaction's undo log. A bulk load writes one per row, so the common
/// entry (`Row`) is kept small and the rare large ones are boxed.
#[derive(Clone)]
enum Undo {
    Row { table: LogicalName, id: Uuid, previous: Option<Arc<Record>> },
    /// A delete's change-tracking record, taken back.
    Tombstone { table: LogicalName },
    /// A table added, dropped or re-keyed by a schema change: its whole previous state.
    Table { name: String, previous: Option<Box<Table>> },
    Association { relationship: LogicalName, pair: (Uuid, Uuid), was_present: bool },
    File(Box<FileUndo>),
    Session { token: String, previous: Option<Arc<UploadSession>> },
}

/// A file column's previous content.
#[derive(Clone)]
struct FileUndo {
    table: String,
    record: Uuid,
    column: String,
    previous: Option<Arc<StoredFile>>,
}

/// One row change a committed transaction made, in order: `before` `None` is a create,
/// `after` `None` a delete. Webhook steps fire from these (after commit only, so a
/// rolled-back changeset never notifies anyone).
#[derive(Debug, Clone)]
pub struct Change {
    /// The table's logical name.
    pub table: LogicalName,
    /// The row as it was before this change.
    pub before: Option<Arc<Record>>,
    /// The row as this change left it.
    pub after: Option<Arc<Record>>,
}

/// One N:N association a committed transaction added or removed (webhook Associate and
/// Disassociate steps fire from these).
#[derive(Debug, Clone)]
pub struct Link {
    /// The relationship's schema name.
    pub relationship: String,
    /// (first table's row, second table's row), as the relationship orders its tables.
    pub pair: (Uuid, Uuid),
    /// Added (Associate) or removed (Disassociate).
    pub present: bool,
}

/// A message that ran in a transaction without row changes of its own: a Custom API call,
/// which fires the webhook steps registered on its message like a row change fires
/// Create's or Update's. Its parameters are already in the `RemoteExecutionContext` form.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The message name (the Custom API's unique name).
    pub message: &'static str,
    /// The table it is bound to (`None`: unbound, PrimaryEntityName `none`).
    pub entity: Option<String>,
    /// The record a record-bound call is bound to.
    pub record: Option<Uuid>,
    /// The calling user (InitiatingUserId and UserId).
    pub user: Uuid,
    /// InputParameters, by name.
    pub input: Vec<(String, serde_json::Value)>,
    /// OutputParameters (the response properties), by name.
    pub output: Vec<(String, serde_json::Value)>,
}

/// The table whose rows arm change capture: while no step is registered, commits record
/// nothing, so bulk loads and benchmarks pay nothing for webhooks.
const STEP_TABLE: &str = "sdkmessageprocessingstep";

/// A write in progress. Dropped without [`Store::write`] returning `Ok`, its changes are undone.
pub struct Transaction<'a> {
    state: &'a mut State,
    undo: Vec<Undo>,
    /// The org's published schema.
    schema: &'a RwLock<Arc<Metadata>>,
    /// A schema changed by this transaction, published only when it commits.
    pending_schema: Option<Arc<Metadata>>,
    /// Whether row changes are recorded: only while a webhook step is registered (from the
    /// moment one is, in this transaction or before it), so bulk loads don't keep a second
    /// list of every row they wrote.
    capture: bool,
    /// Row changes, for the commit outbox.
    changes: Vec<Change>,
    /// Association changes, for webhook steps.
    links: Vec<Link>,
    /// Messages without row changes (Custom API calls), for webhook steps.
    invocations: Vec<Invocation>,
}

impl Transaction<'_> {
    /// The row changes made so far (while webhook steps are registered).
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// The association changes made so far.
    pub fn links(&self) -> &[Link] {
        &self.links
    }

    /// The Custom API calls made so far.
    pub fn invocations(&self) -> &[Invocation] {
        &self.invocations
    }

    /// Records a Custom API call, whose webhook steps run when the transaction commits
    /// (the synchronous ones failing it), like a row change's.
    pub fn invoke(&mut self, invocation: Invocation) {
        self.invocations.push(invocation);
    }

    /// Read access to the state as changed so far.
    pub fn state(&self) -> &State {
        self.state
    }

    /// The schema as this transaction sees it: its own change, else the published one.
    pub fn metadata(&self) -> Arc<Metadata> {
        match &self.pending_schema {
            Some(m) => m.clone(),
            None => read_schema(self.schema),
        }
    }

    /// Replaces the schema. The store follows it: tables the new schema adds get an empty
    /// table, tables it drops lose their rows, and tables whose alternate keys changed are
    /// re-indexed (failing, with nothing changed, if existing rows break a new key). The
    /// new schema is published when the transaction commits; a rollback discards it.
    pub fn set_metadata(&mut self, metadata: Metadata) -> Result<()> {
        let dropped: Vec<String> = self.state.tables.keys().filter(|t| metadata.entity(t).is_none()).cloned().collect();
        for name in dropped {
            let previous = self.state.tables.remove(&name).map(Box::new);
            self.undo.push(Undo::Table { name, previous });
        }
        for e in metadata.entities() {
            let keys_changed = match self.state.tables.get(&e.logical_name) {
                None => true,
                Some(t) => !same_keys(&t.key_defs, &e.keys),
            };
            if !keys_changed {
                continue;
            }
            let previous = self.state.tables.remove(&e.logical_name);
            let mut table = Table::new(&e.logical_name, e.keys.clone());
            let mut conflict = None;
            for record in previous.iter().flat_map(|p| p.rows.values()) {
                if let Some(def) = table.key_conflict(record) {
                    conflict = Some(def.clone());
                    break;
                }
                table.index(record);
                table.rows.insert(record.id, record.clone());
            }
            if let Some(def) = conflict {
                if let Some(p) = previous {
                    self.state.tables.insert(e.logical_name.clone(), p);
                }
                return Err(Error::new(
                    Code::DuplicateRecordEntityKey,
                    format!(
                        "The key {} can't be activated: more than one '{}' record has the same value for {}.",
                        def.logical_name,
                        e.logical_name,
                        def.attributes.join(",")
                    ),
                ));
            }
            self.state.tables.insert(e.logical_name.clone(), table);
            self.undo.push(Undo::Table { name: e.logical_name.clone(), previous: previous.map(Box::new) });
        }
        self.pending_schema = Some(Arc::new(metadata));
        Ok(())
    }

    /// The next org-wide row version.
    pub fn next_version(&mut self) -> u64 {
        self.state.version += 1;
        self.state.version
    }

    /// Inserts or replaces a row, enforcing alternate-key uniqueness.
    pub fn put(&mut self, table: &str, mut record: Record) -> Result<Arc<Record>> {
        // A table missing here was dropped by a schema change after the request began.
        let t = self.state.tables.get_mut(table).ok_or_else(|| {
            Error::new(Code::ObjectDoesNotExist, format!("Could not find an entity with name {table}."))
        })?;
        if let Some(def) = t.key_conflict(&record) {
            let cols = def.attributes.join(",");
            let vals: Vec<String> = def
                .attributes
                .iter()
                .map(|a| match record.get(a) {
                    Value::String(s) => s.clone(),
                    other => other.key_text().unwrap_or_default(),
                })
                .collect();
            return Err(Error::new(
                Code::DuplicateRecordEntityKey,
                format!(
                    "Entity Key {} violated. A record with the same value for {cols} already exists. A duplicate record cannot be created. Try again by updating the value for {cols} ({}).",
                    def.logical_name,
                    vals.join(",")
                ),
            ));
        }
        record.attributes.share(&mut t.layouts);
        let record = Arc::new(record);
        let previous = t.rows.insert(record.id, record.clone());
        if let Some(p) = &previous {
            t.unindex(p);
        }
        t.index(&record);
        let table = t.name;
        if self.capture || table == STEP_TABLE {
            self.capture = true;
            self.changes.push(Change { table, before: previous.clone(), after: Some(record.clone()) });
        }
        self.undo.push(Undo::Row { table, id: record.id, previous });
        Ok(record)
    }

    /// Removes a row; returns it if it existed.
    pub fn remove(&mut self, table: &str, id: Uuid) -> Option<Arc<Record>> {
        let t = self.state.tables.get_mut(table)?;
        let previous = t.rows.remove(&id)?;
        t.unindex(&previous);
        let table = t.name;
        if self.capture {
            self.changes.push(Change { table, before: Some(previous.clone()), after: None });
        }
        self.undo.push(Undo::Row { table, id, previous: Some(previous.clone()) });
        self.state.version += 1;
        let version = self.state.version;
        if let Some(t) = self.state.tables.get_mut(table.as_str()) {
            t.deleted.push((version, id));
            self.undo.push(Undo::Tombstone { table });
        }
        Some(previous)
    }

    /// Adds (or with `present = false`, removes) an N:N pair. Returns whether anything changed.
    pub fn set_association(&mut self, relationship: &str, pair: (Uuid, Uuid), present: bool) -> bool {
        let set = self.state.associations.entry(relationship.to_string()).or_default();
        let was_present = set.contains(&pair);
        if was_present == present {
            return false;
        }
        if present {
            set.insert(pair);
        } else {
            set.remove(&pair);
        }
        self.undo.push(Undo::Association { relationship: LogicalName::new(relationship), pair, was_present });
        self.links.push(Link { relationship: relationship.to_string(), pair, present });
        true
    }

    fn rollback(&mut self) {
        self.changes.clear();
        self.links.clear();
        self.invocations.clear();
        while let Some(u) = self.undo.pop() {
            u.apply(self.state);
        }
    }

    /// The org as it was before this transaction, as a reader outside it would see it: a
    /// copy of the state (rows stay shared `Arc`s) with the undo log applied, and the
    /// published schema. A synchronous webhook receiver calling back reads this
    /// ([`crate::webhooks::scope`]) while the transaction waits for its answer.
    pub fn committed(&self) -> Snapshot {
        let mut state = self.state.clone();
        for u in self.undo.iter().rev() {
            u.clone().apply(&mut state);
        }
        Snapshot { state: Arc::new(state), metadata: read_schema(self.schema) }
    }
}

impl Undo {
    /// Puts back what this step changed.
    fn apply(self, state: &mut State) {
        match self {
            Undo::Table { name, previous } => {
                match previous {
                    Some(t) => state.tables.insert(name, *t),
                    None => state.tables.remove(&name),
                };
            }
            Undo::Row { table, id, previous } => {
                if let Some(t) = state.tables.get_mut(table.as_str()) {
                    if let Some(current) = t.rows.remove(&id) {
                        t.unindex(&current);
                    }
                    if let Some(p) = previous {
                        t.index(&p);
                        t.rows.insert(id, p);
                    }
                }
            }
            Undo::Tombstone { table } => {
                if let Some(t) = state.tables.get_mut(table.as_str()) {
                    t.deleted.pop();
                }
            }
            Undo::File(f) => state.files.restore_file(&f.table, f.record, &f.column, f.previous),
            Undo::Session { token, previous } => state.files.restore_session(&token, previous),
            Undo::Association { relationship, pair, was_present } => {
                let set = state.associations.entry(relationship.to_string()).or_default();
                if was_present {
                    set.insert(pair);
                } else {
                    set.remove(&pair);
                }
            }
        }
    }
}

/// Whether two key lists are the same keys over the same columns.
fn same_keys(a: &[KeyDef], b: &[KeyDef]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.logical_name == y.logical_name && x.attributes == y.attributes)
}

fn read_schema(slot: &RwLock<Arc<Metadata>>) -> Arc<Metadata> {
    slot.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// One org's data, and the schema it follows.
///
/// The schema lives here, next to the rows, because a schema change is a write like any
/// other: it runs in a [`Transaction`], adds or drops tables with undo, and is published
/// only when that transaction commits. Requests take a snapshot (`Arc`) with
/// [`Store::metadata`] and keep it for their whole run, so one request never sees two schemas.
#[derive(Debug, Default)]
pub struct Store {
    state: RwLock<State>,
    /// The published schema. Its lock is only ever held to clone or swap the `Arc`.
    schema: RwLock<Arc<Metadata>>,
    /// Committed row changes not yet taken by the webhook dispatcher ([`Store::take_changes`]).
    outbox: Mutex<Vec<Change>>,
}

impl Store {
    /// An empty store with a table (and key index) for every table in `metadata`.
    pub fn new(metadata: Arc<Metadata>) -> Self {
        let tables = metadata
            .entities()
            .map(|e| (e.logical_name.clone(), Table::new(&e.logical_name, e.keys.clone())))
            .collect();
        Store { state: RwLock::new(State { tables, ..Default::default() }), schema: RwLock::new(metadata), outbox: Mutex::default() }
    }

    /// The current schema: a snapshot that stays valid (and unchanged) while it is held.
    pub fn metadata(&self) -> Arc<Metadata> {
        read_schema(&self.schema)
    }

    /// Whether any webhook step is registered: writes then run the webhook pipeline. Never
    /// waits: while a write holds the lock (possibly calling a synchronous receiver) the
    /// answer is yes.
    pub fn has_steps(&self) -> bool {
        match self.state.try_read() {
            Ok(state) => state.table(STEP_TABLE).is_some_and(|t| !t.is_empty()),
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner().table(STEP_TABLE).is_some_and(|t| !t.is_empty()),
            Err(std::sync::TryLockError::WouldBlock) => true,
        }
    }

    /// Takes the row changes committed since the last call, oldest first.
    pub fn take_changes(&self) -> Vec<Change> {
        std::mem::take(&mut *self.outbox.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// A consistent read view. Hold it only as long as needed: writers wait for it.
    pub fn read(&self) -> RwLockReadGuard<'_, State> {
        // A poisoned lock means a panic mid-write; the undo log has already run or the
        // state was never touched, so the data is still consistent.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` atomically: either all its changes stay, or (on `Err`) none do.
    pub fn write<T>(&self, f: impl FnOnce(&mut Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut guard = self.state.write().unwrap_or_else(|e| e.into_inner());
        let capture = guard.table(STEP_TABLE).is_some_and(|t| !t.is_empty());
        let mut tx = Transaction { state: &mut guard, undo: Vec::new(), schema: &self.schema, pending_schema: None, capture, changes: Vec::new(), links: Vec::new(), invocations: Vec::new() };
        // Undo on a panic too, so that even an emulator bug never leaves half a write.
        let run = |tx: &mut Transaction<'_>| {
            let result = f(tx)?;
            // Synchronous webhook steps run here, after the write and before the commit;
            // their failure is the write's. The changes they take are delivered by them.
            let changed = !tx.changes.is_empty() || !tx.links.is_empty() || !tx.invocations.is_empty();
            if changed && tx.state.table(STEP_TABLE).is_some_and(|t| !t.is_empty()) && crate::webhooks::pipeline::before_commit(self, tx)? {
                tx.changes.clear();
            }
            Ok(result)
        };
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&mut tx))) {
            Ok(result) => {
                if result.is_err() {
                    tx.rollback();
                } else if let Some(schema) = tx.pending_schema.take() {
                    // Published while the write lock is still held, so no reader sees the
                    // new rows with the old schema's table list or the other way round.
                    *self.schema.write().unwrap_or_else(|e| e.into_inner()) = schema;
                }
                if result.is_ok() && tx.state.table(STEP_TABLE).is_some_and(|t| !t.is_empty()) {
                    let changes = std::mem::take(&mut tx.changes);
                    self.outbox.lock().unwrap_or_else(|e| e.into_inner()).extend(changes);
                }
                result
            }
            Err(panic) => {
                tx.rollback();
                std::panic::resume_unwind(panic)
            }
        }
    }
}

#[cfg(test)]
mod tests;
