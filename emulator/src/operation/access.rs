//! How an operation reaches the store: directly (each write its own transaction), or
//! through a `$batch` changeset's open transaction, so every request of the changeset
//! commits or rolls back together and outside readers never see part of it.

use std::cell::{Ref, RefCell};
use std::ops::Deref;
use std::sync::RwLockReadGuard;

use crate::error::Result;
use crate::store::{State, Store, Transaction};

/// The store, or a transaction already open on it.
pub enum Access<'a, 't> {
    /// Outside a changeset.
    Store(&'a Store),
    /// Inside a changeset: the changeset's transaction. A `RefCell` because reads and writes
    /// of one request take turns on it; they never overlap.
    Transaction(RefCell<&'a mut Transaction<'t>>),
}

/// A read view: the store's read lock, or a borrow of the open transaction.
pub enum View<'x> {
    /// Outside a changeset.
    Lock(RwLockReadGuard<'x, State>),
    /// Inside a changeset: the state as the changeset has changed it so far.
    Borrow(Ref<'x, State>),
}

impl Deref for View<'_> {
    type Target = State;

    fn deref(&self) -> &State {
        match self {
            View::Lock(g) => g,
            View::Borrow(r) => r,
        }
    }
}

impl Access<'_, '_> {
    /// The schema this access sees: the published one, or the changeset's own change.
    pub fn metadata(&self) -> std::sync::Arc<crate::metadata::Metadata> {
        match self {
            Access::Store(s) => s.metadata(),
            Access::Transaction(cell) => cell.borrow().metadata(),
        }
    }

    /// A consistent read view. Drop it before writing.
    pub fn read(&self) -> View<'_> {
        match self {
            Access::Store(s) => View::Lock(s.read()),
            Access::Transaction(cell) => View::Borrow(Ref::map(cell.borrow(), |tx| tx.state())),
        }
    }

    /// Runs `f` as one atomic write, or as part of the changeset's transaction (whose
    /// failure the batch rolls back whole).
    pub fn write<T>(&self, f: impl FnOnce(&mut Transaction<'_>) -> Result<T>) -> Result<T> {
        match self {
            Access::Store(s) => s.write(f),
            Access::Transaction(cell) => {
                let mut tx = cell.borrow_mut();
                f(&mut tx)
            }
        }
    }
}
