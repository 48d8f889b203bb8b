//! `dataverse-emulator`: the command-line entry point.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use dataverse_emulator::{App, Clock, Config, Org, Orgs};
use tokio::net::TcpListener;

/// mimalloc instead of the system allocator: rendering and parsing allocate many small
/// short-lived values, where glibc malloc was a large share of request time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "dataverse-emulator", version, about = "A local emulator of the Microsoft Dataverse Web API")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Web API at http://HOST:PORT/api/data/v9.2/.
    Serve(ServeArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "DATAVERSE_EMULATOR_HOST", default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on; 0 picks a free port.
    #[arg(long, env = "DATAVERSE_EMULATOR_PORT", default_value_t = 5555)]
    port: u16,
    /// A fixture directory (org.json, tables/, data/) to serve instead of the embedded default org.
    #[arg(long, env = "DATAVERSE_EMULATOR_FIXTURES")]
    fixtures: Option<PathBuf>,
    /// Log filter (error, warn, info, debug, trace, or a tracing directive).
    #[arg(long, env = "DATAVERSE_EMULATOR_LOG", default_value = "info")]
    log_level: String,
}

/// Reads a fixture directory into `(relative path, text)` pairs.
fn read_fixture_dir(dir: &std::path::Path) -> std::io::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let rel = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy().replace('\\', "/");
                files.push((rel, std::fs::read_to_string(&path)?));
            }
        }
    }
    Ok(files)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

async fn serve(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&args.log_level).unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let org = match &args.fixtures {
        None => Org::default_org(Clock::system())?,
        Some(dir) => {
            let files = read_fixture_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let refs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
            Org::from_files(&refs, Clock::system())?
        }
    };
    let org_name = org.settings.name.clone();
    let addr: SocketAddr = format!("{}:{}", args.host, args.port).parse().map_err(|e| format!("invalid --host/--port: {e}"))?;
    let listener = TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr()?;
    let app = App::new(Orgs::single(org), Config::default());
    println!("Dataverse emulator {} serving org '{org_name}'", env!("CARGO_PKG_VERSION"));
    println!("Web API: http://{local}/api/data/v9.2/");
    println!("Ready. Press Ctrl-C to stop.");
    dataverse_emulator::run(listener, app, shutdown_signal()).await?;
    println!("Stopped.");
    Ok(())
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(args).await,
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
