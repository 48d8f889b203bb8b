//! The org's file store: the bytes of file columns and full-size images, and the chunked
//! uploads in progress, kept beside the rows (as Dataverse keeps them in blob storage
//! beside its tables).
//!
//! They live in [`State`](super::State) and change only through a [`Transaction`], with
//! undo entries like rows, so an upload inside a failed `$batch` changeset, or one that
//! breaks a column rule, leaves nothing behind.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bytes::Bytes;
use uuid::Uuid;

use super::{FileUndo, Transaction, Undo};

/// The contents of one file or image column of one record.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFile {
    /// The file's id: the value the record shows in the file column (`new_document`), or
    /// in an image column's `…id` companion.
    pub id: Uuid,
    /// The name given on upload (`x-ms-file-name`).
    pub name: String,
    /// The media type, reported as `mimetype` on download.
    pub mime_type: String,
    /// The bytes.
    pub bytes: Bytes,
}

/// A chunked upload started with `x-ms-transfer-mode: chunked`, addressed by its session
/// token until its chunks cover the whole file.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadSession {
    /// The table of the record.
    pub table: String,
    /// The record.
    pub record: Uuid,
    /// The file or image column.
    pub column: String,
    /// The file name from the request that started the session.
    pub file_name: String,
    /// The file size every chunk's `Content-Range` must agree on, once a chunk has said it.
    pub total: Option<u64>,
    /// Chunks received, by offset. Kept apart (not appended) so chunks may arrive in any
    /// order; the file is committed once they cover it without a gap.
    pub chunks: BTreeMap<u64, Bytes>,
    /// The file has been committed; later empty chunks are still accepted.
    pub committed: bool,
}

impl UploadSession {
    /// The whole file, if the chunks cover `0..total` without a gap (overlaps allowed:
    /// a resent chunk replaces the bytes it covers).
    pub fn assembled(&self) -> Option<Bytes> {
        let total = self.total?;
        let mut out = Vec::with_capacity(usize::try_from(total).ok()?);
        for (&offset, bytes) in &self.chunks {
            let have = out.len() as u64;
            if offset > have {
                return None;
            }
            let skip = usize::try_from(have - offset).ok()?;
            if skip < bytes.len() {
                out.extend_from_slice(&bytes[skip..]);
            }
        }
        (out.len() as u64 == total).then(|| Bytes::from(out))
    }
}

/// Every stored file and open upload session of an org.
#[derive(Debug, Default, Clone)]
pub struct Files {
    /// (table, record) → column → file; nested so a deleted record's files go in one step.
    stored: HashMap<(String, Uuid), BTreeMap<String, Arc<StoredFile>>>,
    /// Session token → upload.
    sessions: HashMap<String, Arc<UploadSession>>,
}

impl Files {
    /// The file in one column of one record.
    pub fn get(&self, table: &str, record: Uuid, column: &str) -> Option<&Arc<StoredFile>> {
        self.stored.get(&(table.to_string(), record))?.get(column)
    }

    /// An upload session.
    pub fn session(&self, token: &str) -> Option<&Arc<UploadSession>> {
        self.sessions.get(token)
    }

    fn set(&mut self, table: &str, record: Uuid, column: &str, file: Option<Arc<StoredFile>>) -> Option<Arc<StoredFile>> {
        let key = (table.to_string(), record);
        match file {
            Some(f) => self.stored.entry(key).or_default().insert(column.to_string(), f),
            None => {
                let columns = self.stored.get_mut(&key)?;
                let previous = columns.remove(column);
                if columns.is_empty() {
                    self.stored.remove(&key);
                }
                previous
            }
        }
    }

    fn set_session(&mut self, token: &str, session: Option<Arc<UploadSession>>) -> Option<Arc<UploadSession>> {
        match session {
            Some(s) => self.sessions.insert(token.to_string(), s),
            None => self.sessions.remove(token),
        }
    }

    /// Undoes one file change.
    pub(super) fn restore_file(&mut self, table: &str, record: Uuid, column: &str, previous: Option<Arc<StoredFile>>) {
        self.set(table, record, column, previous);
    }

    /// Undoes one session change.
    pub(super) fn restore_session(&mut self, token: &str, previous: Option<Arc<UploadSession>>) {
        self.set_session(token, previous);
    }
}

impl Transaction<'_> {
    /// Stores (or with `None` removes) the file of one column of one record.
    pub fn put_file(&mut self, table: &str, record: Uuid, column: &str, file: Option<StoredFile>) {
        let previous = self.state.files.set(table, record, column, file.map(Arc::new));
        self.undo.push(Undo::File(Box::new(FileUndo { table: table.to_string(), record, column: column.to_string(), previous })));
    }

    /// Removes every file of a record (the record is being deleted).
    pub fn remove_files(&mut self, table: &str, record: Uuid) {
        let columns: Vec<String> = match self.state.files.stored.get(&(table.to_string(), record)) {
            Some(c) => c.keys().cloned().collect(),
            None => return,
        };
        for column in columns {
            self.put_file(table, record, &column, None);
        }
    }

    /// Stores (or with `None` ends) an upload session.
    pub fn put_session(&mut self, token: &str, session: Option<UploadSession>) {
        let previous = self.state.files.set_session(token, session.map(Arc::new));
        self.undo.push(Undo::Session { token: token.to_string(), previous });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(total: u64, chunks: &[(u64, &[u8])]) -> UploadSession {
        UploadSession {
            table: "account".into(),
            record: Uuid::nil(),
            column: "new_document".into(),
            file_name: "a.bin".into(),
            total: Some(total),
            chunks: chunks.iter().map(|(o, b)| (*o, Bytes::copy_from_slice(b))).collect(),
            committed: false,
        }
    }

    #[test]
    fn chunks_assemble_in_any_order_and_only_without_gaps() {
        assert_eq!(session(6, &[(3, b"def"), (0, b"abc")]).assembled().as_deref(), Some(&b"abcdef"[..]));
        assert_eq!(session(6, &[(0, b"abc"), (4, b"ef")]).assembled(), None);
        assert_eq!(session(6, &[(0, b"abcd"), (2, b"cdef")]).assembled().as_deref(), Some(&b"abcdef"[..]));
        assert_eq!(session(0, &[]).assembled().as_deref(), Some(&b""[..]));
        assert_eq!(session(3, &[(0, b"abcd")]).assembled(), None);
    }
}
