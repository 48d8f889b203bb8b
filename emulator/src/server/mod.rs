//! The hyper glue: accept connections, collect each request body (with a size limit),
//! call [`App::handle`], and shut down gracefully. The service fails at the hyper level
//! only when a fault injected through `/_emulator/faults` asks to drop the connection:
//! every other failure is already a Dataverse error response.

mod header_case;
pub mod tls;

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::app::App;
use crate::error::{Code, Error};
use crate::wire::response::{Reply, Response};

pub use header_case::CaseFixingIo;

/// What the fault injector (`/_emulator/faults`) asks of the connection, carried in the
/// response's extensions: wait before answering, and/or close the connection instead of
/// answering. The server carries it out; the app stays synchronous.
#[derive(Clone, Default)]
pub struct ConnectionFault {
    /// Added latency.
    pub delay: Duration,
    /// Close the connection without a response.
    pub drop: bool,
    /// Kept alive until the response goes (a service-protection concurrency slot).
    pub hold: Option<std::sync::Arc<dyn std::any::Any + Send + Sync>>,
}

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
pub struct DroppedConnection;

impl std::fmt::Display for DroppedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DroppedConnection {}

/// Answers one request, then carries out any [`ConnectionFault`] the answer asks for.
async fn serve(app: App, req: Request<Incoming>) -> Result<Response, DroppedConnection> {
    let mut response = answer(app, req).await;
    if let Some(fault) = response.extensions_mut().remove::<ConnectionFault>() {
        if !fault.delay.is_zero() {
            tokio::time::sleep(fault.delay).await;
        }
        if fault.drop {
            return Err(DroppedConnection);
        }
    }
    Ok(response)
}

/// Collects the body within the app's limit and hands the request to the app.
async fn answer(app: App, req: Request<Incoming>) -> Response {
    let (parts, body) = req.into_parts();
    let limit = app.config().max_body_bytes;
    match Limited::new(body, limit).collect().await {
        Ok(collected) => {
            let req = Request::from_parts(parts, collected.to_bytes());
            let host = crate::app::request_host(&req);
            if crate::webhooks::deliveries::is_wait(&req) {
                return crate::webhooks::deliveries::wait(&app, &req).await;
            }
            // A panic is an emulator bug; answer it as one instead of dropping the
            // connection. The store's undo log and lock recovery keep the data consistent.
            let handle = |app: &App, req| {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| app.handle(req)))
                    .unwrap_or_else(|_| Reply::from(Error::internal("the request handler panicked; this is an emulator bug")).build())
            };
            // With webhook steps registered a write may call a synchronous receiver and
            // wait for it: run it on the blocking pool so this runtime's threads (and a
            // receiver served by the same runtime) keep going.
            let response = if app.has_webhook_steps() {
                let worker = app.clone();
                tokio::task::spawn_blocking(move || handle(&worker, req))
                    .await
                    .unwrap_or_else(|_| Reply::from(Error::internal("the request handler task failed; this is an emulator bug")).build())
            } else {
                handle(&app, req)
            };
            app.deliver_webhooks(&host).await;
            response
        }
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Reply::from(Error::new(
            Code::RequestTooLarge,
            format!("The request body exceeds the maximum allowed size of {limit} bytes."),
        ))
        .build(),
        Err(e) => {
            tracing::debug!(cause = %e, "request body could not be read");
            Reply::from(Error::new(Code::BadRequest, "The request body could not be read.")).build()
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets in-flight requests
/// finish (up to 5 s) before returning.
pub async fn run(listener: TcpListener, app: App, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    run_with(listener, app, None, shutdown).await
}

/// [`run`] over HTTPS: every connection is a TLS handshake first, and requests carry the
/// `https` scheme so absolute URLs in responses say `https://`.
pub async fn run_tls(listener: TcpListener, app: App, acceptor: tokio_rustls::TlsAcceptor, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    run_with(listener, app, Some(acceptor), shutdown).await
}

async fn run_with(listener: TcpListener, app: App, tls: Option<tokio_rustls::TlsAcceptor>, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().title_case_headers(true).keep_alive(true);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(cause = %e, "failed to accept a connection");
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let secure = tls.is_some();
                let service = service_fn(move |mut req: Request<Incoming>| {
                    let app = app.clone();
                    if secure {
                        req.extensions_mut().insert(crate::app::Scheme("https"));
                    }
                    serve(app, req)
                });
                match &tls {
                    None => {
                        let conn = builder.serve_connection(TokioIo::new(CaseFixingIo::new(stream)), service).into_owned();
                        let conn = graceful.watch(conn);
                        tokio::spawn(async move {
                            if let Err(e) = conn.await {
                                tracing::debug!(%peer, cause = %e, "connection ended with an error");
                            }
                        });
                    }
                    Some(acceptor) => {
                        // The handshake runs in the connection's task so a slow client can't
                        // hold up the accept loop.
                        let acceptor = acceptor.clone();
                        let builder = builder.clone();
                        let watcher = graceful.watcher();
                        tokio::spawn(async move {
                            let stream = match acceptor.accept(stream).await {
                                Ok(s) => s,
                                Err(e) => {
                                    tracing::debug!(%peer, cause = %e, "TLS handshake failed");
                                    return;
                                }
                            };
                            let conn = builder.serve_connection(TokioIo::new(CaseFixingIo::new(stream)), service).into_owned();
                            if let Err(e) = watcher.watch(conn).await {
                                tracing::debug!(%peer, cause = %e, "connection ended with an error");
                            }
                        });
                    }
                }
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await.is_err() {
        tracing::warn!("connections still open after 5 s; closing them");
    }
    Ok(())
}

/// A response body type alias re-exported for tests that build requests by hand.
pub type Body = Full<Bytes>;
