//! Helpers shared by the benchmarks: settings from the environment, percentiles, an
//! in-process request builder, and a line describing the machine for the report.
#![allow(dead_code)]

/// A setting from the environment, or `default`. A value that doesn't parse is a mistake
/// worth stopping for, not something to ignore.
pub(crate) fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v.parse().unwrap_or_else(|_| panic!("{name}={v:?} is not a valid value")),
        Err(_) => default,
    }
}

/// Machine facts for the report: logical CPUs and, on Linux, the CPU model.
pub(crate) fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string()))
        .unwrap_or_else(|| "unknown CPU".to_string());
    format!("{cpus} logical CPUs, {model}, {} {}", std::env::consts::OS, std::env::consts::ARCH)
}

/// The `p` percentile (0.0–1.0) of durations sorted ascending.
pub(crate) fn percentile(sorted: &[std::time::Duration], p: f64) -> std::time::Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// A Web API request for `App::handle`, as a client on localhost would send it.
pub(crate) fn request(method: http::Method, path: &str, body: &str) -> http::Request<bytes::Bytes> {
    http::Request::builder()
        .method(method)
        .uri(format!("http://localhost{path}"))
        .header("host", "localhost")
        .header("content-type", "application/json")
        .body(bytes::Bytes::from(body.to_string()))
        .expect("request")
}
