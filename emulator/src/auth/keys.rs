//! The token signing key: RSA 2048, generated on first use (so start-up stays fast) and
//! published in the JWKS. Tokens are RS256 JWTs with the key's `kid`, as Entra's are.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{DecodingKey, EncodingKey};
use rsa::pkcs1::EncodeRsaPrivateKey;
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

impl SigningKey {
    /// A fresh RSA 2048 key.
    pub fn generate() -> Result<SigningKey, KeyError> {
        let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).map_err(|e| KeyError(e.to_string()))?;
        let der = private.to_pkcs1_der().map_err(|e| KeyError(e.to_string()))?;
        let encoding = EncodingKey::from_rsa_der(der.as_bytes());
        let n = URL_SAFE_NO_PAD.encode(private.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
        let decoding = DecodingKey::from_rsa_components(&n, &e).map_err(|e| KeyError(e.to_string()))?;
        // A stable-looking, URL-safe id derived from the modulus.
        let kid = n.chars().take(27).collect();
        Ok(SigningKey { kid, encoding, decoding, n, e })
    }

    /// The key as a JWKS entry.
    pub fn jwk(&self, issuer: &str) -> Json {
        json!({ "kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.kid, "n": self.n, "e": self.e, "issuer": issuer })
    }
}
