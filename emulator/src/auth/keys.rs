//! The token signing key: RSA 2048, generated on first use (so start-up stays fast) or
//! loaded from a PEM file (so tokens outlive a restart), and published in the JWKS.
//! Tokens are RS256 JWTs with the key's `kid`, as Entra's are.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{DecodingKey, EncodingKey};
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value as Json};

/// A signing key and what verifiers need to know about it.
pub struct SigningKey {
    /// Key id, also used as `x5t`.
    pub kid: String,
    /// For signing.
    pub encoding: EncodingKey,
    /// For verifying the emulator's own tokens.
    pub decoding: DecodingKey,
    /// Modulus, base64url.
    n: String,
    /// Exponent, base64url.
    e: String,
}

/// Why no key could be made.
#[derive(Debug)]
pub struct KeyError(pub String);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl std::fmt::Display for KeyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KeyError {}

impl SigningKey {
    /// A fresh RSA 2048 key.
    pub fn generate() -> Result<SigningKey, KeyError> {
        let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).map_err(|e| KeyError(e.to_string()))?;
        Self::from_private(&private)
    }

    /// An RSA private key in PEM, PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1
    /// (`BEGIN RSA PRIVATE KEY`), as `openssl genrsa` / `openssl genpkey` write them.
    pub fn from_pem(pem: &str) -> Result<SigningKey, KeyError> {
        let private = rsa::RsaPrivateKey::from_pkcs8_pem(pem)
            .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(pem))
            .map_err(|e| KeyError(format!("not an RSA private key in PEM (PKCS#8 or PKCS#1): {e}")))?;
        Self::from_private(&private)
    }

    fn from_private(private: &rsa::RsaPrivateKey) -> Result<SigningKey, KeyError> {
        let der = private.to_pkcs1_der().map_err(|e| KeyError(e.to_string()))?;
        let encoding = EncodingKey::from_rsa_der(der.as_bytes());
        let n = URL_SAFE_NO_PAD.encode(private.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
        let decoding = DecodingKey::from_rsa_components(&n, &e).map_err(|e| KeyError(e.to_string()))?;
        // A URL-safe id derived from the modulus, so a loaded key keeps its id across runs.
        let kid = n.chars().take(27).collect();
        Ok(SigningKey { kid, encoding, decoding, n, e })
    }

    /// The key as a JWKS entry.
    pub fn jwk(&self, issuer: &str) -> Json {
        json!({ "kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.kid, "n": self.n, "e": self.e, "issuer": issuer })
    }
}
