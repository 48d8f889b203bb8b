//! HTTPS: a local test certificate authority, created on first start and kept in a state
//! directory so clients can trust it once (`REQUESTS_CA_BUNDLE`, `NODE_EXTRA_CA_CERTS`),
//! and a server certificate for localhost, 127.0.0.1 and ::1 issued by it at every start.
//! Users can bring their own certificate and key instead.
//!
//! rustls runs on the `ring` provider: it builds with only a C compiler, which every
//! machine this project targets has (aws-lc would also need cmake).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// What a TLS setup failure was about, for the CLI's error message.
#[derive(Debug)]
pub struct TlsError(pub String);

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsError {}

fn err(context: &str, e: impl std::fmt::Display) -> TlsError {
    TlsError(format!("{context}: {e}"))
}

/// The TLS material the server uses.
pub struct TlsSetup {
    /// The acceptor for incoming connections.
    pub acceptor: TlsAcceptor,
    /// The CA certificate clients should trust, when the emulator made its own.
    pub ca_file: Option<PathBuf>,
}

const CA_NAME: &str = "Dataverse Emulator Local CA";

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_NAME);
    dn.push(DnType::OrganizationName, "Dataverse Emulator");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    params
}

/// Loads the CA from `dir`, or creates and saves one.
fn local_ca(dir: &Path) -> Result<(Issuer<'static, KeyPair>, PathBuf), TlsError> {
    std::fs::create_dir_all(dir).map_err(|e| err(&format!("creating {}", dir.display()), e))?;
    let (cert_path, key_path) = (dir.join("ca.pem"), dir.join("ca.key"));
    let key = match std::fs::read_to_string(&key_path) {
        Ok(pem) if cert_path.exists() => KeyPair::from_pem(&pem).map_err(|e| err(&format!("reading {}", key_path.display()), e))?,
        _ => {
            let key = KeyPair::generate().map_err(|e| err("generating the CA key", e))?;
            let cert = ca_params().self_signed(&key).map_err(|e| err("creating the CA certificate", e))?;
            std::fs::write(&cert_path, cert.pem()).map_err(|e| err(&format!("writing {}", cert_path.display()), e))?;
            std::fs::write(&key_path, key.serialize_pem()).map_err(|e| err(&format!("writing {}", key_path.display()), e))?;
            key
        }
    };
    // Rebuilt from the same name and key, the issuer matches the saved CA certificate.
    Ok((Issuer::new(ca_params(), key), cert_path))
}

/// A fresh server certificate for the local names, signed by the local CA.
fn server_cert(issuer: &Issuer<'_, KeyPair>) -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), TlsError> {
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
    let mut params = CertificateParams::new(names).map_err(|e| err("server certificate names", e))?;
    params.subject_alt_names = vec![
        SanType::DnsName("localhost".try_into().map_err(|e| err("server certificate names", e))?),
        SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])),
        SanType::IpAddress(std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST)),
    ];
    params.distinguished_name.push(DnType::CommonName, "localhost");
    let key = KeyPair::generate().map_err(|e| err("generating the server key", e))?;
    let cert = params.signed_by(&key, issuer).map_err(|e| err("signing the server certificate", e))?;
    let key_der = PrivateKeyDer::try_from(key.serialize_der()).map_err(|e| err("server key", e))?;
    Ok((cert.der().clone(), key_der))
}

fn acceptor(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Result<TlsAcceptor, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| err("TLS protocol versions", e))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| err("TLS certificate", e))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// TLS with the emulator's own CA kept in `state_dir`.
pub fn generated(state_dir: &Path) -> Result<TlsSetup, TlsError> {
    let (issuer, ca_file) = local_ca(state_dir)?;
    let (cert, key) = server_cert(&issuer)?;
    Ok(TlsSetup { acceptor: acceptor(vec![cert], key)?, ca_file: Some(ca_file) })
}

/// TLS with a user's certificate chain and private key (PEM files).
pub fn from_files(cert: &Path, key: &Path) -> Result<TlsSetup, TlsError> {
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| err(&format!("reading {}", cert.display()), e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(&format!("reading {}", cert.display()), e))?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| err(&format!("reading {}", key.display()), e))?;
    Ok(TlsSetup { acceptor: acceptor(chain, key)?, ca_file: None })
}
