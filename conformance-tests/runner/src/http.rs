//! A tiny HTTP/1.1 client on hyper: one connection per request, plain TCP or TLS (rustls
//! with the public web PKI roots, plus any CA file given, such as the emulator's own CA).
//!
//! One connection per request keeps it simple and makes every request independent;
//! scenarios send tens of requests, not thousands.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The header's values joined with ", " (None when absent).
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self.headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect();
        (!values.is_empty()).then(|| values.join(", "))
    }
}

/// Sends requests to http:// and https:// URLs.
#[derive(Clone)]
pub struct Client {
    tls: tokio_rustls::TlsConnector,
}

impl Client {
    /// A client trusting the web PKI roots and the PEM certificates in `extra_ca` (if any).
    pub fn new(extra_ca: Option<&std::path::Path>) -> Result<Client, String> {
        use rustls::pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        if let Some(path) = extra_ca {
            let certs = rustls::pki_types::CertificateDer::pem_file_iter(path).map_err(|e| format!("{}: {e}", path.display()))?;
            for cert in certs {
                let cert = cert.map_err(|e| format!("{}: {e}", path.display()))?;
                roots.add(cert).map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Client { tls: tokio_rustls::TlsConnector::from(Arc::new(config)) })
    }

    /// Sends one request to an absolute URL and reads the whole response.
    pub async fn send(&self, method: Method, url: &str, headers: &[(String, String)], body: Bytes) -> Result<Response, String> {
        let uri: Uri = url.parse().map_err(|e| format!("bad URL {url:?}: {e}"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(format!("not an http(s) URL: {url}")),
        };
        let host = uri.host().ok_or_else(|| format!("no host in {url}"))?.to_string();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let authority = uri.authority().map(|a| a.as_str().to_string()).unwrap_or_else(|| host.clone());
        let path = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());

        let mut req = Request::builder().method(method).uri(path).header(http::header::HOST, authority);
        for (k, v) in headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let req = req.body(Full::new(body)).map_err(|e| e.to_string())?;

        let tcp = TcpStream::connect((host.as_str(), port)).await.map_err(|e| format!("connect {host}:{port}: {e}"))?;
        if https {
            let name = rustls::pki_types::ServerName::try_from(host.clone()).map_err(|e| format!("{host}: {e}"))?;
            let tls = self.tls.connect(name, tcp).await.map_err(|e| format!("TLS to {host}: {e}"))?;
            exchange(TokioIo::new(tls), req).await
        } else {
            exchange(TokioIo::new(tcp), req).await
        }
    }
}

async fn exchange<I>(io: I, req: Request<Full<Bytes>>) -> Result<Response, String>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await.map_err(|e| e.to_string())?;
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    let res = sender.send_request(req).await.map_err(|e| e.to_string());
    let out = match res {
        Ok(res) => {
            let status = res.status();
            let headers = res.headers().clone();
            let body = res.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
            Ok(Response { status, headers, body })
        }
        Err(e) => Err(e),
    };
    driver.abort();
    out
}

/// Percent-encodes what may not appear raw in a request target (spaces, quotes, braces,
/// non-ASCII…) and leaves everything else, including existing `%XX` escapes, alone.
pub fn encode_url(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for ch in raw.chars() {
        match ch {
            ' ' | '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}' | '#' => out.push_str(&format!("%{:02X}", ch as u32)),
            c if c.is_ascii_control() || !c.is_ascii() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_only_what_a_uri_cannot_carry() {
        assert_eq!(super::encode_url("accounts?$filter=name eq 'a&b'"), "accounts?$filter=name%20eq%20'a&b'");
        assert_eq!(super::encode_url("x?@p={'a'}&n=é%20"), "x?@p=%7B'a'%7D&n=%C3%A9%20");
    }
}
