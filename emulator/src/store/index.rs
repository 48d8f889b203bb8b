//! Equality indexes on single columns, built the first time a query filters on the column
//! and kept in step by every write after that.
//!
//! A query holds only the store's read lock, so the first build happens behind this
//! type's own `Mutex`; writers hold the write lock and update through `get_mut`, which
//! needs no locking. Keys are [`Value::key_text`], which already folds case the way
//! Dataverse's collation does, so `name eq 'contoso'` finds `Contoso`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use super::{Record, Value};

type Index = HashMap<String, HashSet<Uuid>>;

/// Column name → key text → ids of the rows holding that value.
#[derive(Debug, Default)]
pub(super) struct ColumnIndexes {
    built: Mutex<HashMap<String, Index>>,
}

impl Clone for ColumnIndexes {
    fn clone(&self) -> Self {
        let built = self.built.lock().unwrap_or_else(|e| e.into_inner()).clone();
        ColumnIndexes { built: Mutex::new(built) }
    }
}

fn key(value: &Value) -> Option<String> {
    value.key_text()
}

impl ColumnIndexes {
    /// Ids of the rows whose `column` has key text `key`, building the index if needed.
    pub(super) fn lookup<'a>(&self, rows: impl Iterator<Item = &'a Arc<Record>>, column: &str, wanted: &str) -> Vec<Uuid> {
        let mut built = self.built.lock().unwrap_or_else(|e| e.into_inner());
        let index = built.entry(column.to_string()).or_insert_with(|| {
            let mut index = Index::new();
            for r in rows {
                if let Some(k) = key(r.get(column)) {
                    index.entry(k).or_default().insert(r.id);
                }
            }
            index
        });
        index.get(wanted).map(|ids| ids.iter().copied().collect()).unwrap_or_default()
    }

    /// A row was stored.
    pub(super) fn insert(&mut self, record: &Record) {
        let built = self.built.get_mut().unwrap_or_else(|e| e.into_inner());
        for (column, index) in built.iter_mut() {
            if let Some(k) = key(record.get(column)) {
                index.entry(k).or_default().insert(record.id);
            }
        }
    }

    /// A row was removed (or is about to be replaced).
    pub(super) fn remove(&mut self, record: &Record) {
        let built = self.built.get_mut().unwrap_or_else(|e| e.into_inner());
        for (column, index) in built.iter_mut() {
            if let Some(k) = key(record.get(column)) {
                if let Some(ids) = index.get_mut(&k) {
                    ids.remove(&record.id);
                    if ids.is_empty() {
                        index.remove(&k);
                    }
                }
            }
        }
    }
}
