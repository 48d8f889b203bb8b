//! The TLS client side of `https` receivers: rustls (on `ring`, like the server side)
//! trusting the system's CA bundle, plus the emulator's own local CA and any CA a user
//! adds ([`super::Deliveries::trust_ca_file`]), so a test can run an HTTPS receiver with
//! a certificate from the emulator's CA.
//!
//! The system bundle is the PEM file `SSL_CERT_FILE` names, else the first of the usual
//! Linux/macOS locations that exists; a machine with none falls back to the Mozilla roots
//! compiled in (`webpki-roots`).

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

/// Where distributions keep the system CA bundle.
const SYSTEM_BUNDLES: [&str; 5] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/usr/local/etc/openssl/cert.pem",
];

/// The certificates in a PEM file (none if it can't be read).
pub(super) fn read_pem(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, String> {
    CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("reading {}: {e}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("reading {}: {e}", path.display()))
}

/// The system's roots.
fn system_roots() -> RootCertStore {
    let mut store = RootCertStore::empty();
    let named = std::env::var_os("SSL_CERT_FILE").map(std::path::PathBuf::from);
    let candidates = named.into_iter().chain(SYSTEM_BUNDLES.iter().map(std::path::PathBuf::from));
    for path in candidates.filter(|p| p.is_file()) {
        if let Ok(certs) = read_pem(&path) {
            let (added, _) = store.add_parsable_certificates(certs);
            if added > 0 {
                return store;
            }
        }
    }
    RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() }
}

/// A client configuration trusting the system roots and `extra`.
pub(super) fn client_config(extra: &[CertificateDer<'static>]) -> Result<Arc<ClientConfig>, String> {
    let mut roots = system_roots();
    roots.add_parsable_certificates(extra.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS protocol versions: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
