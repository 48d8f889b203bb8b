//! HTTPS with the emulator's local CA: a real TLS handshake against the CA it writes, and
//! `https://` in absolute URLs.

use std::sync::Arc;

use dataverse_emulator::server::tls;
use dataverse_emulator::{App, Clock, Config, Org, Orgs};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A fresh state directory under the system temp dir, removed by the caller.
fn state_dir(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("dataverse-emulator-test-{name}-{}", uuid::Uuid::new_v4()))
}

/// Sends one HTTP/1.1 request over TLS, trusting only `ca`, and returns the raw response.
async fn https_request(addr: std::net::SocketAddr, ca: &std::path::Path, request: &str) -> String {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut stream = connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await.expect("TLS handshake with the local CA");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn serves_https_with_its_local_ca_and_https_urls() {
    let dir = state_dir("tls");
    let setup = tls::generated(&dir).expect("local CA and server certificate");
    let ca = setup.ca_file.clone().expect("the CA file is reported");
    assert!(ca.exists());
    let org = Org::default_org(Clock::system()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(dataverse_emulator::server::run_tls(listener, App::new(Orgs::single(org), Config::default()), setup.acceptor, async {
        let _ = stopped.await;
    }));

    let body = r#"{"lastname":"Secure"}"#;
    let request = format!(
        "POST /api/data/v9.2/contacts HTTP/1.1\r\nHost: localhost:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        addr.port(),
        body.len()
    );
    let response = https_request(addr, &ca, &request).await;
    assert!(response.starts_with("HTTP/1.1 204 No Content\r\n"), "{response}");
    assert!(response.contains(&format!("\r\nOData-EntityId: https://localhost:{}/api/data/v9.2/contacts(", addr.port())), "{response}");

    // A second start reuses the CA, so a client that trusted it once keeps working.
    let before = std::fs::read(&ca).unwrap();
    let again = tls::generated(&dir).unwrap();
    assert_eq!(std::fs::read(again.ca_file.unwrap()).unwrap(), before);

    let _ = stop.send(());
    server.await.unwrap().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_ca_is_refused() {
    let dir = state_dir("tls-untrusted");
    let other = state_dir("tls-other-ca");
    let setup = tls::generated(&dir).unwrap();
    let foreign_ca = tls::generated(&other).unwrap().ca_file.unwrap();
    let org = Org::default_org(Clock::system()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(dataverse_emulator::server::run_tls(listener, App::new(Orgs::single(org), Config::default()), setup.acceptor, async {
        let _ = stopped.await;
    }));
    let result = tokio::spawn(async move { https_request(addr, &foreign_ca, "GET /api/data/v9.2/WhoAmI HTTP/1.1\r\nHost: localhost\r\n\r\n").await }).await;
    assert!(result.is_err(), "a certificate from another CA must fail the handshake");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&other);
}
