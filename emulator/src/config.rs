//! Settings shared by the CLI and tests.

/// How the app behaves, independent of where it listens.
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest request body accepted; larger bodies get 413.
    pub max_body_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        // Dataverse accepts large bodies (batches, file chunks); 128 MiB covers them.
        Config { max_body_bytes: 128 * 1024 * 1024 }
    }
}
