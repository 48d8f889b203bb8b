//! Makes the POSTs, with Dataverse's delivery semantics (§9.3): any non-2xx is a failure,
//! a 502, 503 or 504 is retried once, and the wait for a response is bounded (60 s).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

use super::deliveries::{Attempt, Deliveries};
use super::{job, Delivery};
use crate::org::Org;
use crate::store::Value;

/// How long Dataverse waits for the receiver.
const TIMEOUT: Duration = Duration::from_secs(60);

/// How long an asynchronous delivery waits before its retry. Dataverse's async service
/// backs off before retrying; the emulator keeps the wait short so tests stay quick.
const RETRY_BACKOFF: Duration = Duration::from_millis(500);

/// Sends deliveries after the request that caused them: synchronous ones (from admin
/// loads, which run outside any operation) in order before returning, asynchronous ones
/// on their own tokio task, moving their system jobs along. Every attempt is journaled.
pub async fn send(app: &crate::app::App, deliveries: Vec<Delivery>) {
    let journal = app.webhooks();
    for d in deliveries {
        if d.mode == 1 {
            let journal = journal.clone();
            let org = app.orgs().get(&d.org);
            tokio::spawn(async move { deliver_async(&journal, org, d).await });
        } else {
            let _ = deliver(journal, d, Duration::ZERO).await;
        }
    }
}

/// Moves a delivery's job along. The store's lock may be held for a while (a synchronous
/// step waiting on its receiver), so the write runs on the blocking pool, never on a
/// runtime thread a receiver may need.
async fn set_job(org: &Option<Arc<Org>>, id: Option<uuid::Uuid>, state: (i32, i32), extra: Vec<(&'static str, Value)>) {
    if let (Some(org), Some(id)) = (org.clone(), id) {
        let _ = tokio::task::spawn_blocking(move || job::set(&org, id, state, extra)).await;
    }
}

/// An asynchronous delivery and its job: In Progress, then Succeeded or Failed, with
/// Waiting (and `retrycount` 1, `postponeuntil`) between a 502/503/504 and the retry.
async fn deliver_async(journal: &Deliveries, org: Option<Arc<Org>>, d: Delivery) {
    let now = || org.as_ref().map_or_else(time::OffsetDateTime::now_utc, |o| o.clock.now());
    set_job(&org, d.job, job::IN_PROGRESS, vec![("startedon", Value::DateTime(now()))]).await;
    let mut attempt = 1;
    let outcome = loop {
        let outcome = post(journal, &d).await;
        let retry = matches!(outcome, Ok(502..=504)) && attempt == 1;
        journal.record(Attempt::new(&d, attempt, outcome.clone()).retrying_in(retry.then_some(RETRY_BACKOFF)));
        if !retry {
            break outcome;
        }
        let until = now() + RETRY_BACKOFF;
        set_job(&org, d.job, job::WAITING, vec![("retrycount", Value::Int(1)), ("postponeuntil", Value::DateTime(until))]).await;
        tokio::time::sleep(RETRY_BACKOFF).await;
        set_job(&org, d.job, job::IN_PROGRESS, Vec::new()).await;
        attempt += 1;
    };
    let finished = Value::DateTime(now());
    match outcome {
        Ok(200..=299) => set_job(&org, d.job, job::SUCCEEDED, vec![("completedon", finished)]).await,
        other => {
            let why = match other {
                Ok(status) => format!("The webhook at {} returned HTTP status {status}.", redact(&d.url)),
                Err(e) => format!("The webhook at {} could not be reached: {e}.", redact(&d.url)),
            };
            let text = Value::String(why);
            set_job(&org, d.job, job::FAILED, vec![("completedon", finished), ("message", text.clone()), ("friendlymessage", text)]).await;
        }
    }
}

/// The URL without its query string: the WebhookKey and query-string keys are secrets.
pub(super) fn redact(url: &str) -> &str {
    url.split_once('?').map_or(url, |(u, _)| u)
}

/// One delivery: a first try and, on 502/503/504, one retry after `backoff`. Returns the
/// last outcome.
async fn deliver(journal: &Deliveries, d: Delivery, backoff: Duration) -> Result<u16, String> {
    let mut attempt = 1;
    loop {
        let outcome = post(journal, &d).await;
        let retry = matches!(outcome, Ok(502..=504)) && attempt == 1;
        journal.record(Attempt::new(&d, attempt, outcome.clone()).retrying_in(retry.then_some(backoff)));
        if !retry {
            return outcome;
        }
        tokio::time::sleep(backoff).await;
        attempt += 1;
    }
}

/// [`deliver`] from synchronous code (a synchronous step inside a store transaction): the
/// exchange runs on its own thread with its own small runtime, so it makes progress whatever
/// runtime, if any, the caller's thread belongs to. That thread hands the outcome (a panic
/// included) to `answered`; the caller waits for it, at most the receiver timeout (twice,
/// with the retry), and can serve its receiver's calls back meanwhile. `Err`: no thread.
pub(super) fn deliver_in_background(journal: &Deliveries, d: Delivery, answered: impl FnOnce(Result<u16, String>) + Send + 'static) -> Result<(), String> {
    let journal = journal.clone();
    std::thread::Builder::new()
        .name("webhook-sync".into())
        .spawn(move || {
            let run = std::panic::AssertUnwindSafe(|| {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
                runtime.block_on(deliver(&journal, d, Duration::ZERO))
            });
            answered(std::panic::catch_unwind(run).unwrap_or_else(|_| Err("the delivery thread panicked".to_string())));
        })
        .map(drop)
        .map_err(|e| format!("could not start the delivery thread: {e}"))
}

/// One POST over HTTP/1.1, or HTTPS for `https` URLs: the receiver's status, or why there
/// was none.
async fn post(journal: &Deliveries, d: &Delivery) -> Result<u16, String> {
    let uri: http::Uri = d.url.parse().map_err(|e| format!("invalid url: {e}"))?;
    let https = match uri.scheme_str() {
        Some("http") => false,
        Some("https") => true,
        _ => return Err(format!("unsupported scheme in '{}': only http and https receivers are reached", redact(&d.url))),
    };
    let host = uri.host().ok_or("url has no host")?.trim_start_matches('[').trim_end_matches(']').to_string();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let mut req = http::Request::post(uri.path_and_query().map_or("/", |p| p.as_str()))
        .header(http::header::HOST, uri.authority().map_or(host.clone(), |a| a.to_string()))
        .header(http::header::CONTENT_TYPE, "application/json");
    for (k, v) in &d.headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let req = req.body(Full::new(Bytes::from(d.body.clone()))).map_err(|e| e.to_string())?;
    let tls = if https { Some(journal.tls_config()?) } else { None };
    let exchange = async {
        let stream = tokio::net::TcpStream::connect((host.as_str(), port)).await.map_err(|e| e.to_string())?;
        match tls {
            None => exchange(stream, req).await,
            Some(config) => {
                let name = rustls::pki_types::ServerName::try_from(host.clone()).map_err(|e| format!("invalid TLS server name '{host}': {e}"))?;
                let stream = tokio_rustls::TlsConnector::from(config).connect(name, stream).await.map_err(|e| format!("TLS handshake: {e}"))?;
                exchange(stream, req).await
            }
        }
    };
    tokio::time::timeout(TIMEOUT, exchange).await.map_err(|_| "timed out after 60 s".to_string())?
}

/// Sends `req` over `stream` and drains the answer.
async fn exchange<S>(stream: S, req: http::Request<Full<Bytes>>) -> Result<u16, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    // Drain the body so the receiver sees a complete exchange.
    let _ = resp.into_body().collect().await;
    Ok(status)
}
