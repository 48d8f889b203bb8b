//! Settings shared by the CLI and tests.

use std::sync::Arc;

use crate::auth::keys::SigningKey;
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
    /// How long a refresh token stays usable without being used, in seconds (Entra's
    /// default inactivity limit is 90 days); each refresh issues a new one.
    pub refresh_token_lifetime_secs: i64,
    /// The token signing key; without one a key is generated on first use.
    pub signing_key: Option<Arc<SigningKey>>,
    /// How many requests the request journal keeps (the oldest go first); 0 turns it off.
    pub journal_size: usize,
    /// Deterministic mode: request ids come from the org's seeded id generator and the
    /// `Date` header from the org's clock, so whole responses repeat between runs.
    pub deterministic: bool,
}

/// The request journal's default size.
pub const DEFAULT_JOURNAL_SIZE: usize = 1000;

/// Entra's refresh-token inactivity limit: 90 days.
pub const DEFAULT_REFRESH_TOKEN_LIFETIME_SECS: i64 = 90 * 24 * 3600;

impl Default for Config {
    fn default() -> Self {
        // Dataverse accepts large bodies (batches, file chunks); 128 MiB covers them.
        Config {
            max_body_bytes: 128 * 1024 * 1024,
            auth: AuthMode::Any,
            token_lifetime_secs: 3599,
            refresh_token_lifetime_secs: DEFAULT_REFRESH_TOKEN_LIFETIME_SECS,
            signing_key: None,
            journal_size: DEFAULT_JOURNAL_SIZE,
            deterministic: false,
        }
    }
}
