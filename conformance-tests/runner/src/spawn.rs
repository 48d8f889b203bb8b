//! `--spawn`: starts an emulator binary as a target, the way the node and python suites do.
//!
//! It runs `<bin> serve --host 127.0.0.1 --port 0 --auth strict`, so that scenarios about
//! tokens (the 401 challenge) run, and reads the Web API URL, token endpoint and the first
//! app's credentials from what the emulator prints.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::target::Credentials;

/// A running emulator process; dropping it stops the process.
pub struct Spawned {
    child: Child,
    pub web_api: String,
    pub credentials: Credentials,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `bin` and waits (up to 15 s) for its `Ready` line.
pub fn spawn(bin: &str) -> Result<Spawned, String> {
    let mut child = Command::new(bin)
        .args(["serve", "--host", "127.0.0.1", "--port", "0", "--auth", "strict", "--log-level", "warn"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {bin}: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = mpsc::channel::<String>();
    // Reads every line, so the pipe never fills while the emulator runs.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let (mut web_api, mut token_url, mut app) = (None, None, None);
    loop {
        let line = match rx.recv_timeout(Duration::from_secs(15)) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{bin} did not become ready; it printed:\n{}", seen.join("\n")));
            }
        };
        if let Some(rest) = line.strip_prefix("Web API: ") {
            web_api = Some(rest.trim().to_string());
        } else if let Some(rest) = line.strip_prefix("Token endpoint: ") {
            token_url = rest.split_whitespace().next().map(str::to_string);
        } else if app.is_none() && line.trim_start().starts_with("app '") {
            // "  app '<name>': client id <id>, secret <secret>"
            let id = line.split("client id ").nth(1).and_then(|r| r.split(',').next()).map(str::trim);
            let secret = line.split(", secret ").nth(1).map(str::trim);
            if let (Some(id), Some(secret)) = (id, secret) {
                app = Some((id.to_string(), secret.to_string()));
            }
        } else if line.starts_with("Ready") {
            break;
        }
        seen.push(line);
    }
    let (Some(web_api), Some(token_url), Some((client_id, client_secret))) = (web_api, token_url, app) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("{bin} printed no Web API URL, token endpoint or app:\n{}", seen.join("\n")));
    };
    // http://127.0.0.1:<port>/<tenant>/oauth2/v2.0/token
    let (authority, tenant) = token_url
        .split_once("/oauth2/")
        .and_then(|(head, _)| head.rsplit_once('/'))
        .map(|(a, t)| (a.to_string(), t.to_string()))
        .ok_or_else(|| format!("unexpected token endpoint {token_url}"))?;
    Ok(Spawned { child, web_api, credentials: Credentials { authority, tenant, client_id, client_secret } })
}
