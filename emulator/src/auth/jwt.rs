//! The tokens the service signs (RS256, with the key's `kid` and `x5t`): Dataverse-shaped
//! v1 access tokens, for an application (`idtyp: app`, no `scp`) or for a user (`scp`,
//! the user's `oid`), and v2 id_tokens for OpenID sign-ins.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use super::directory::SignedIn;
use super::keys::SigningKey;
use super::scope::USER_IMPERSONATION;
use crate::org::{Application, OrgSettings};

fn sign(key: &SigningKey, claims: &Json) -> Result<String, String> {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(key.kid.clone());
    header.x5t = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding).map_err(|e| e.to_string())
}

/// A pairwise subject: stable for one user and one app or resource, as Entra's `sub` is.
fn pairwise(user: Uuid, audience: &str) -> String {
    let digest = Sha256::new().chain_update(user.as_bytes()).chain_update(audience.to_ascii_lowercase().as_bytes()).finalize();
    URL_SAFE_NO_PAD.encode(&digest[..32])
}

fn uti() -> String {
    Uuid::new_v4().simple().to_string()
}

/// An app-only access token for `app`, valid for `lifetime` seconds.
pub fn app_token(key: &SigningKey, settings: &OrgSettings, app: &Application, audience: &str, now: OffsetDateTime, lifetime: i64) -> Result<String, String> {
    let tid = settings.tenant_id;
    let iat = now.unix_timestamp();
    let claims = json!({
        "aud": audience,
        "iss": format!("https://sts.windows.net/{tid}/"),
        "iat": iat,
        "nbf": iat,
        "exp": iat + lifetime,
        "appid": app.client_id,
        "appidacr": "1",
        "idp": format!("https://sts.windows.net/{tid}/"),
        "idtyp": "app",
        "oid": app.object_id,
        "sub": app.object_id,
        "tid": tid,
        "uti": uti(),
        "ver": "1.0",
    });
    sign(key, &claims)
}

/// A delegated access token: `user` signed in to app `client_id` (with its secret:
/// `appidacr` "1"; as a public client: "0"), for `audience`.
#[allow(clippy::too_many_arguments)]
pub fn user_token(key: &SigningKey, settings: &OrgSettings, client_id: Uuid, confidential: bool, user: &SignedIn, audience: &str, now: OffsetDateTime, lifetime: i64) -> Result<String, String> {
    let tid = settings.tenant_id;
    let iat = now.unix_timestamp();
    let mut claims = json!({
        "aud": audience,
        "iss": format!("https://sts.windows.net/{tid}/"),
        "iat": iat,
        "nbf": iat,
        "exp": iat + lifetime,
        "acr": "1",
        "amr": ["pwd"],
        "appid": client_id,
        "appidacr": if confidential { "1" } else { "0" },
        "ipaddr": "127.0.0.1",
        "name": user.name,
        "oid": user.object_id,
        "scp": USER_IMPERSONATION,
        "sub": pairwise(user.object_id, audience),
        "tid": tid,
        "unique_name": user.upn,
        "upn": user.upn,
        "uti": uti(),
        "ver": "1.0",
    });
    if let Some(map) = claims.as_object_mut() {
        if let Some(g) = &user.given_name {
            map.insert("given_name".into(), json!(g));
        }
        if let Some(f) = &user.family_name {
            map.insert("family_name".into(), json!(f));
        }
    }
    sign(key, &claims)
}

/// A v2 id_token for `user` signing in to `client_id`; `issuer` is the discovery
/// document's (`<authority>/<tid>/v2.0`), so OpenID libraries accept it.
#[allow(clippy::too_many_arguments)]
pub fn id_token(key: &SigningKey, settings: &OrgSettings, issuer: &str, client_id: Uuid, user: &SignedIn, nonce: Option<&str>, now: OffsetDateTime, lifetime: i64) -> Result<String, String> {
    let iat = now.unix_timestamp();
    let mut claims = json!({
        "aud": client_id,
        "iss": issuer,
        "iat": iat,
        "nbf": iat,
        "exp": iat + lifetime,
        "name": user.name,
        "oid": user.object_id,
        "preferred_username": user.upn,
        "sub": pairwise(user.object_id, &client_id.to_string()),
        "tid": settings.tenant_id,
        "uti": uti(),
        "ver": "2.0",
    });
    if let (Some(n), Some(map)) = (nonce, claims.as_object_mut()) {
        map.insert("nonce".into(), json!(n));
    }
    sign(key, &claims)
}
