//! What the token service remembers between requests: one-time authorization codes and
//! refresh tokens. Both are opaque random strings, as Entra's are, mapped to the sign-in
//! they stand for. Codes live ten minutes and are burned on first redemption (a second
//! one gets 54005); refresh tokens expire after a configurable time without use, and each
//! use issues a new one (the old one stays valid until it expires, as in Entra).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use dashmap::DashMap;
use rand::RngCore;
use uuid::Uuid;

use super::directory::SignedIn;
use super::scope::Requested;

/// How long an authorization code can be redeemed, in seconds (Entra: about ten minutes).
pub const CODE_LIFETIME_SECS: i64 = 600;

/// How long expired codes and refresh tokens are remembered, so that late use still gets
/// "expired" or "already redeemed" rather than "unknown".
const FORGET_AFTER_SECS: i64 = 24 * 3600;

/// A PKCE `code_challenge_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeMethod {
    /// `S256`: the challenge is BASE64URL(SHA256(verifier)).
    S256,
    /// `plain`: the challenge is the verifier.
    Plain,
}

/// A delegated sign-in: who, through which app, for what.
#[derive(Debug, Clone)]
pub struct Session {
    /// The app (client id) the user signed in to.
    pub client_id: Uuid,
    /// The signed-in user.
    pub user: SignedIn,
    /// What was asked for.
    pub scope: Requested,
}

/// An issued authorization code.
#[derive(Debug, Clone)]
pub struct Code {
    /// The sign-in it stands for.
    pub session: Session,
    /// The redirect URI it was sent to; redemption must name the same one.
    pub redirect_uri: String,
    /// The PKCE challenge, if the authorize request had one.
    pub challenge: Option<(String, ChallengeMethod)>,
    /// Echoed in the id_token.
    pub nonce: Option<String>,
    /// Unix time after which it can't be redeemed.
    pub expires: i64,
    /// Whether it has been redeemed already.
    pub redeemed: bool,
}

/// Why a code or refresh token can't be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Never issued (or forgotten after expiry).
    Unknown,
    /// Past its lifetime.
    Expired,
    /// A code used a second time.
    Redeemed,
}

/// An issued refresh token.
#[derive(Debug, Clone)]
struct Refresh {
    session: Session,
    expires: i64,
}

/// Codes and refresh tokens, shared by every request.
#[derive(Debug, Default)]
pub struct Grants {
    codes: DashMap<String, Code>,
    refresh: DashMap<String, Refresh>,
}

/// A fresh opaque token, in the `0.A…` form Entra's codes and refresh tokens have.
fn opaque() -> String {
    let mut bytes = [0u8; 48];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("0.A{}", URL_SAFE_NO_PAD.encode(bytes))
}

impl Grants {
    /// Stores a code and returns its value. Long-expired entries are dropped on the way.
    pub fn issue_code(&self, code: Code, now: i64) -> String {
        self.codes.retain(|_, c| c.expires + FORGET_AFTER_SECS > now);
        let value = opaque();
        self.codes.insert(value.clone(), code);
        value
    }

    /// Redeems a code: it is burned whatever the rest of the request turns out to be.
    pub fn redeem_code(&self, value: &str, now: i64) -> Result<Code, Refusal> {
        let mut entry = self.codes.get_mut(value).ok_or(Refusal::Unknown)?;
        if entry.redeemed {
            return Err(Refusal::Redeemed);
        }
        if entry.expires <= now {
            return Err(Refusal::Expired);
        }
        entry.redeemed = true;
        Ok(entry.clone())
    }

    /// Stores a refresh token valid for `lifetime` seconds from `now` and returns it.
    pub fn issue_refresh(&self, session: Session, now: i64, lifetime: i64) -> String {
        self.refresh.retain(|_, r| r.expires + FORGET_AFTER_SECS > now);
        let value = opaque();
        self.refresh.insert(value.clone(), Refresh { session, expires: now + lifetime });
        value
    }

    /// The session behind a refresh token that is still valid at `now`.
    pub fn use_refresh(&self, value: &str, now: i64) -> Result<Session, Refusal> {
        let entry = self.refresh.get(value).ok_or(Refusal::Unknown)?;
        if entry.expires <= now {
            return Err(Refusal::Expired);
        }
        Ok(entry.session.clone())
    }
}
