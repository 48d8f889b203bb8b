//! Settings shared by the CLI and tests.

use crate::auth::AuthMode;

/// How the app behaves, independent of where it listens.
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest request body accepted; larger bodies get 413.
    pub max_body_bytes: usize,
    /// How strictly Web API requests are checked for tokens.
    pub auth: AuthMode,
    /// Lifetime of issued access tokens, in seconds (short ones let tests exercise expiry).
    pub token_lifetime_secs: i64,
}

impl Default for Config {
    fn default() -> Self {
        // Dataverse accepts large bodies (batches, file chunks); 128 MiB covers them.
        Config { max_body_bytes: 128 * 1024 * 1024, auth: AuthMode::Any, token_lifetime_secs: 3599 }
    }
}
