//! `dataverse-emulator`: the command-line entry point.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use dataverse_emulator::auth::keys::SigningKey;
use dataverse_emulator::auth::{directory, AuthMode};
use dataverse_emulator::config::{DEFAULT_JOURNAL_SIZE, DEFAULT_REFRESH_TOKEN_LIFETIME_SECS};
use dataverse_emulator::fixture::FixtureFiles;
use dataverse_emulator::persist::StateFile;
use dataverse_emulator::server::tls;
use dataverse_emulator::{App, Clock, Config, IdGenerator, Org, Orgs};
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

// Parsed once at start-up: the size difference between the variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Serve the Web API at http://HOST:PORT/api/data/v9.2/.
    Serve(Box<ServeArgs>),
    /// Create the local TLS CA (if needed) and print its certificate file's path, so that
    /// clients can be told to trust it before the first `serve --tls`
    /// (e.g. `export NODE_EXTRA_CA_CERTS=$(dataverse-emulator ca)`).
    Ca {
        /// Where the emulator keeps state between runs (the local CA).
        #[arg(long, env = "DATAVERSE_EMULATOR_STATE_DIR")]
        state_dir: Option<PathBuf>,
    },
    /// Read an org's schema into fixture table files (`<out>/tables/<table>.json`), from a
    /// saved `$metadata` document and/or EntityDefinitions JSON exports, or from a live org (--url).
    ImportSchema(ImportArgs),
    /// Show the tables, columns and option values that differ between two schemas, each a
    /// fixture directory, a saved `$metadata` document or an EntityDefinitions export.
    /// Exits 0 when they match, 1 when they differ, 2 when a side cannot be read.
    DiffSchema {
        /// The schema before (e.g. the org before a solution deployment).
        a: PathBuf,
        /// The schema after.
        b: PathBuf,
    },
    /// Run a recording proxy in front of an org: point clients at it, and every exchange
    /// is written to <out>/scenario.json with the records seen in <out>/seed.json.
    Record(RecordArgs),
    /// Turn a recording into a fixture: the records its reads returned become seed records
    /// (with their lookups) over the base fixture's schema, written to <out> (default
    /// <dir>/fixture), and its writes become <out>/expected-writes.json, a scenario.
    FixtureFromRecording {
        /// The recording directory (`record --out`).
        dir: PathBuf,
        /// The base fixture, or a directory of imported tables (default: the embedded default org).
        #[arg(long)]
        fixtures: Option<PathBuf>,
        /// Where to write the fixture.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Replay a recording against an emulator seeded with its records, and report every
    /// response that differs from the recorded one.
    Replay {
        /// The recording directory (`record --out`).
        dir: PathBuf,
        /// The fixture the seed records are laid over (default: the embedded default org).
        #[arg(long)]
        fixtures: Option<PathBuf>,
    },
}

/// Connection to a live org, with the conformance suite's environment variables.
#[derive(clap::Args)]
struct OrgArgs {
    /// A bearer token (otherwise one is fetched with the client credentials below).
    #[arg(long, env = "DATAVERSE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[arg(long, env = "DATAVERSE_TENANT_ID")]
    tenant: Option<String>,
    #[arg(long, env = "DATAVERSE_CLIENT_ID")]
    client_id: Option<String>,
    #[arg(long, env = "DATAVERSE_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// The token service for the client credentials.
    #[arg(long, env = "DATAVERSE_AUTHORITY", default_value = "https://login.microsoftonline.com")]
    authority: String,
}

#[derive(clap::Args)]
struct ImportArgs {
    /// A saved `$metadata` (CSDL XML) document and/or saved EntityDefinitions exports
    /// (`{"value": [...]}`, an array, or one table); told apart by their content. When both
    /// are given, the exports' details win over what the CSDL says.
    files: Vec<PathBuf>,
    /// Fetch the schema from this org instead (org URL or Web API root).
    #[arg(long, env = "DATAVERSE_URL")]
    url: Option<String>,
    #[command(flatten)]
    org: OrgArgs,
    /// Keep only these tables (comma-separated), plus the tables their lookups target.
    #[arg(long, value_delimiter = ',')]
    tables: Vec<String>,
    /// The fixture directory to write `tables/` into.
    #[arg(long)]
    out: PathBuf,
}

#[derive(clap::Args)]
struct RecordArgs {
    /// The org to forward to (org URL or Web API root).
    #[arg(long, env = "DATAVERSE_URL")]
    target: String,
    #[command(flatten)]
    org: OrgArgs,
    /// The recording directory.
    #[arg(long)]
    out: PathBuf,
    /// Port for the proxy on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 5556)]
    port: u16,
    /// Personal-data columns to pseudonymise, as `table.column` or `*.column`
    /// (comma-separated or repeated). Secrets and tokens are always redacted.
    #[arg(long, value_delimiter = ',')]
    redact: Vec<String>,
    /// A file of redaction rules: one `table.column` per line, `#` comments.
    #[arg(long)]
    redact_rules: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "DATAVERSE_EMULATOR_HOST", default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on; 0 picks a free port.
    #[arg(long, env = "DATAVERSE_EMULATOR_PORT", default_value_t = 5555)]
    port: u16,
    /// A fixture directory: a whole org (org.json, tables/, data/) to serve instead of the
    /// embedded default org, or a layer (fixture.json) over it. Repeat it to apply layers
    /// in order (the environment variable takes a comma-separated list).
    #[arg(long, env = "DATAVERSE_EMULATOR_FIXTURES", value_delimiter = ',')]
    fixtures: Vec<PathBuf>,
    /// Log filter (error, warn, info, debug, trace, or a tracing directive).
    #[arg(long, env = "DATAVERSE_EMULATOR_LOG", default_value = "info")]
    log_level: String,
    /// Serve HTTPS. Without --tls-cert/--tls-key the emulator uses its own local CA
    /// (created once in --state-dir) and prints the CA file to trust.
    #[arg(long, env = "DATAVERSE_EMULATOR_TLS")]
    tls: bool,
    /// Server certificate chain (PEM) to use instead of the local CA's.
    #[arg(long, env = "DATAVERSE_EMULATOR_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// Private key (PEM) for --tls-cert.
    #[arg(long, env = "DATAVERSE_EMULATOR_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// `any`: no token needed (a valid emulator token still names the caller);
    /// `strict`: every Web API request needs a valid token, as on a real org.
    #[arg(long, env = "DATAVERSE_EMULATOR_AUTH", default_value = "any", value_parser = ["any", "strict"])]
    auth: String,
    /// Lifetime of issued access tokens (and id_tokens), in seconds.
    #[arg(long, env = "DATAVERSE_EMULATOR_TOKEN_LIFETIME", default_value_t = 3599)]
    token_lifetime: i64,
    /// How long a refresh token stays usable without being used, in seconds (default 90 days).
    #[arg(long, env = "DATAVERSE_EMULATOR_REFRESH_TOKEN_LIFETIME", default_value_t = DEFAULT_REFRESH_TOKEN_LIFETIME_SECS)]
    refresh_token_lifetime: i64,
    /// RSA private key (PEM, PKCS#8 or PKCS#1) to sign tokens with, so tokens and the JWKS
    /// survive restarts; without it a key is generated on each start.
    #[arg(long, env = "DATAVERSE_EMULATOR_SIGNING_KEY")]
    signing_key: Option<PathBuf>,
    /// Where the emulator keeps state between runs (the local CA).
    #[arg(long, env = "DATAVERSE_EMULATOR_STATE_DIR")]
    state_dir: Option<PathBuf>,
    /// Keep every org's data in this file: loaded at start, saved on shutdown (written to
    /// PATH.tmp and renamed, so a crash mid-save keeps the previous state).
    #[arg(long, env = "DATAVERSE_EMULATOR_STATE_FILE")]
    state_file: Option<PathBuf>,
    /// Also save the state file every N seconds (needs --state-file).
    #[arg(long, env = "DATAVERSE_EMULATOR_STATE_SAVE_INTERVAL", requires = "state_file")]
    state_save_interval: Option<u64>,
    /// How many requests the request journal (`/_emulator/journal`) keeps; 0 turns it off.
    #[arg(long, env = "DATAVERSE_EMULATOR_JOURNAL_SIZE", default_value_t = DEFAULT_JOURNAL_SIZE)]
    journal_size: usize,
    /// Byte-stable responses for golden tests: seeded GUIDs for new records and request
    /// ids, and the org clock frozen at --clock-start (move it with `/_emulator/clock`).
    #[arg(long, env = "DATAVERSE_EMULATOR_DETERMINISTIC")]
    deterministic: bool,
    /// The seed for --deterministic GUIDs.
    #[arg(long, env = "DATAVERSE_EMULATOR_SEED", default_value_t = 0, requires = "deterministic")]
    seed: u64,
    /// Where --deterministic freezes the org clock (RFC 3339).
    #[arg(long, env = "DATAVERSE_EMULATOR_CLOCK_START", default_value = DETERMINISTIC_START, requires = "deterministic")]
    clock_start: String,
}

/// Where `--deterministic` starts the org clock unless told otherwise.
const DETERMINISTIC_START: &str = "2026-01-01T00:00:00Z";

/// `$XDG_DATA_HOME/dataverse-emulator`, `~/.local/share/dataverse-emulator`, or a
/// directory under the system temp dir.
fn default_state_dir() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local").join("share")))
        .unwrap_or_else(std::env::temp_dir)
        .join("dataverse-emulator")
}

/// The banner lines naming each app (client id, secret, application user, redirect URIs)
/// and the user delegated sign-ins get by default. The `  app '…': client id …, secret …`
/// line is parsed by the conformance harnesses: keep its shape.
fn identity_lines(org: &Org) -> Vec<String> {
    let mut lines = Vec::new();
    let user_name = |id: uuid::Uuid| -> String {
        let state = org.store.read();
        match state.get("systemuser", id).map(|u| u.get("domainname").clone()) {
            Some(dataverse_emulator::store::Value::String(s)) => format!("{s} (systemuserid {id})"),
            _ => format!("systemuserid {id}"),
        }
    };
    for a in &org.settings.applications {
        lines.push(format!("  app '{}': client id {}, secret {}", a.display_name, a.client_id, a.client_secret));
        let app_user = directory::user_by(org, "applicationid", &a.client_id.to_string()).map_or_else(|| "none (app tokens get 403)".to_string(), user_name);
        lines.push(format!("    application user: {app_user}"));
        let default = a.default_user.clone().or_else(|| directory::default_hint(org, a)).unwrap_or_else(|| "none".to_string());
        let public = if a.allow_public_client { "; public client flows allowed" } else { "" };
        lines.push(format!("    delegated sign-in: default user {default}; redirect URIs: {}{public}", if a.redirect_uris.is_empty() { "none".to_string() } else { a.redirect_uris.join(", ") }));
    }
    lines.push(format!("Default user (no token in --auth any): {}", user_name(org.settings.caller_id)));
    lines
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
    // Deterministic mode: a frozen clock and seeded ids, from the first seed record on.
    let (clock, ids) = if args.deterministic {
        let start = time::OffsetDateTime::parse(&args.clock_start, &time::format_description::well_known::Rfc3339)
            .map_err(|e| format!("--clock-start {}: {e}", args.clock_start))?;
        (Clock::frozen_at(start), IdGenerator::seeded(args.seed))
    } else {
        (Clock::system(), IdGenerator::random())
    };
    let layers = args.fixtures.iter().map(|dir| FixtureFiles::read_dir(dir)).collect::<Result<Vec<_>, _>>()?;
    let progress = |done: usize, total: usize| eprintln!("loading fixture: {done}/{total} records");
    let org = Org::from_layers(&layers, clock, ids, Some(&progress))?;
    let org_name = org.settings.name.clone();
    let addr: SocketAddr = format!("{}:{}", args.host, args.port).parse().map_err(|e| format!("invalid --host/--port: {e}"))?;
    let listener = TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr()?;
    let identities = identity_lines(&org);
    let tenant = org.settings.tenant_id;
    let auth = if args.auth == "strict" { AuthMode::Strict } else { AuthMode::Any };
    let signing_key = match &args.signing_key {
        Some(path) => {
            let pem = std::fs::read_to_string(path).map_err(|e| format!("--signing-key {}: {e}", path.display()))?;
            Some(std::sync::Arc::new(SigningKey::from_pem(&pem).map_err(|e| format!("--signing-key {}: {e}", path.display()))?))
        }
        None => None,
    };
    let config = Config {
        auth,
        token_lifetime_secs: args.token_lifetime.max(1),
        refresh_token_lifetime_secs: args.refresh_token_lifetime.max(1),
        signing_key,
        journal_size: args.journal_size,
        deterministic: args.deterministic,
        ..Config::default()
    };
    let app = App::new(Orgs::single(org), config);
    let state_file = args.state_file.as_ref().map(|p| Arc::new(StateFile::new(p)));
    if let Some(file) = &state_file {
        let loaded = file.load(app.orgs()).map_err(|e| format!("--state-file {e}"))?;
        println!("State file: {} ({loaded} orgs loaded)", file.path().display());
    }
    let autosave = match (&state_file, args.state_save_interval) {
        (Some(file), Some(secs)) if secs > 0 => Some(tokio::spawn(file.clone().save_periodically(app.clone(), Duration::from_secs(secs)))),
        _ => None,
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(tls::from_files(cert, key)?),
        _ if args.tls => Some(tls::generated(&args.state_dir.clone().unwrap_or_else(default_state_dir).join("tls"))?),
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("Dataverse emulator {} serving org '{org_name}'", env!("CARGO_PKG_VERSION"));
    if let Some(ca) = tls.as_ref().and_then(|t| t.ca_file.as_ref()) {
        // https webhook receivers with certificates from the emulator's CA are trusted.
        app.webhooks().trust_ca_file(ca)?;
        println!("TLS CA certificate (trust it, e.g. REQUESTS_CA_BUNDLE / NODE_EXTRA_CA_CERTS): {}", ca.display());
    }
    println!("Token endpoint: {scheme}://{local}/{tenant}/oauth2/v2.0/token (auth: {})", args.auth);
    println!("Authorize endpoint: {scheme}://{local}/{tenant}/oauth2/v2.0/authorize");
    for line in &identities {
        println!("{line}");
    }
    println!("Web API: {scheme}://{local}/api/data/v9.2/");
    println!("Admin API: {scheme}://{local}/_emulator/ (orgs, snapshots, journal, faults, clock)");
    println!("Other orgs: {scheme}://{local}/org/<name>/api/data/v9.2/ (create them with POST {scheme}://{local}/_emulator/orgs)");
    println!("Ready. Press Ctrl-C to stop.");
    match tls {
        Some(t) => dataverse_emulator::server::run_tls(listener, app.clone(), t.acceptor, shutdown_signal()).await?,
        None => dataverse_emulator::run(listener, app.clone(), shutdown_signal()).await?,
    }
    if let Some(task) = autosave {
        task.abort();
    }
    if let Some(file) = &state_file {
        file.save(app.orgs()).map_err(|e| format!("could not save the state file {}: {e}", file.path().display()))?;
        println!("State saved to {}", file.path().display());
    }
    println!("Stopped.");
    Ok(())
}

/// A target for an org URL, with a token from --token or the client credentials.
async fn org_target(url: &str, args: &OrgArgs) -> Result<conformance_runner::target::Target, String> {
    use conformance_runner::target::{client_credentials_token, Credentials, Target};
    let client = conformance_runner::http::Client::new(None)?;
    let mut target = Target::new("org", url, client.clone(), None)?;
    target.token = match (&args.token, &args.tenant, &args.client_id, &args.client_secret) {
        (Some(t), ..) => Some(t.clone()),
        (None, Some(tenant), Some(id), Some(secret)) => {
            let creds = Credentials { authority: args.authority.clone(), tenant: tenant.clone(), client_id: id.clone(), client_secret: secret.clone() };
            Some(client_credentials_token(&client, &creds, &target.origin).await?)
        }
        _ => None,
    };
    Ok(target)
}

async fn import_schema(args: ImportArgs) -> Result<(), Box<dyn std::error::Error>> {
    use dataverse_emulator::replay::csdl_import::{read_csdl, CsdlSchema};
    use dataverse_emulator::replay::schema_import::{fetch_live, fetch_live_csdl, import_with_csdl, tables_in, write_tables};
    let keep = (!args.tables.is_empty()).then_some(args.tables.as_slice());
    let mut csdl: Option<CsdlSchema> = None;
    let mut definitions = Vec::new();
    match &args.url {
        Some(url) => {
            let target = org_target(url, &args.org).await?;
            csdl = Some(fetch_live_csdl(&target).await?);
            definitions = fetch_live(&target, keep).await?;
        }
        None if args.files.is_empty() => return Err("give a saved $metadata (CSDL) file and/or EntityDefinitions files, or --url <org>".into()),
        None => {
            for f in &args.files {
                if is_xml(f).map_err(|e| format!("{}: {e}", f.display()))? {
                    if csdl.is_some() {
                        return Err(format!("{}: only one $metadata document can be imported at a time", f.display()).into());
                    }
                    csdl = Some(read_csdl_file(f, read_csdl)?);
                } else {
                    let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
                    definitions.extend(tables_in(serde_json::from_str(&text).map_err(|e| format!("{}: {e}", f.display()))?));
                }
            }
        }
    }
    let imported = import_with_csdl(csdl, definitions, keep);
    for w in &imported.warnings {
        eprintln!("warning: {w}");
    }
    write_tables(&args.out, &imported)?;
    println!("imported {} table(s) into {}", imported.tables.len(), args.out.join("tables").display());
    Ok(())
}

/// Whether a schema file is XML (a `$metadata` document) rather than JSON.
fn is_xml(path: &std::path::Path) -> std::io::Result<bool> {
    use std::io::Read;
    let mut head = [0u8; 64];
    let n = std::fs::File::open(path)?.read(&mut head)?;
    Ok(head[..n].iter().find(|b| !b.is_ascii_whitespace() && **b != 0xEF && **b != 0xBB && **b != 0xBF) == Some(&b'<'))
}

/// Streams a CSDL file through `read`, with a progress line on stderr.
fn read_csdl_file<T>(path: &std::path::Path, read: impl FnOnce(std::io::BufReader<std::fs::File>, Box<dyn FnMut(u64, usize)>) -> Result<T, String>) -> Result<T, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0).max(1);
    let name = path.display().to_string();
    let progress = Box::new(move |bytes: u64, tables: usize| {
        eprint!("\rreading {name}: {:>3}% ({tables} entity types)", bytes.min(total) * 100 / total);
        if bytes >= total {
            eprintln!();
        }
    });
    read(std::io::BufReader::with_capacity(256 * 1024, file), progress).map_err(|e| format!("{}: {e}", path.display()))
}

/// Prints the differences, one per line, and a summary; exits 1 when there are any and 2
/// when a side cannot be read (as `diff` does).
fn diff_schema(a: &std::path::Path, b: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    use dataverse_emulator::replay::schema_diff::{diff, load_schema};
    let (sa, sb) = match (load_schema(a), load_schema(b)) {
        (Ok(sa), Ok(sb)) => (sa, sb),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let differences = diff(&sa, &sb);
    for d in &differences {
        println!("{d}");
    }
    if differences.is_empty() {
        println!("no differences ({} tables)", sa.tables.len());
        return Ok(());
    }
    println!("{} difference(s) between {} ({} tables) and {} ({} tables)", differences.len(), a.display(), sa.tables.len(), b.display(), sb.tables.len());
    std::process::exit(1);
}

async fn record(args: RecordArgs) -> Result<(), Box<dyn std::error::Error>> {
    use dataverse_emulator::replay::redact::Redactor;
    let mut rules = args.redact.clone();
    if let Some(file) = &args.redact_rules {
        rules.extend(Redactor::rules_from_file(&std::fs::read_to_string(file).map_err(|e| format!("--redact-rules {}: {e}", file.display()))?));
    }
    let redactor = Redactor::new(&rules)?;
    let target = org_target(&args.target, &args.org).await?;
    let recorder = dataverse_emulator::replay::proxy::Recorder::start_with(target, &args.out, args.port, redactor).await?;
    println!("Recording proxy for {} at {}/api/data/v9.2/ into {}", args.target, recorder.url(), args.out.display());
    println!("Ready. Press Ctrl-C to stop.");
    shutdown_signal().await;
    println!("Recorded {} exchange(s).", recorder.count());
    Ok(())
}

fn fixture_from_recording(dir: &std::path::Path, base: Option<&std::path::Path>, out: Option<&std::path::Path>) -> Result<(), Box<dyn std::error::Error>> {
    let (fixture, writes, notes) = dataverse_emulator::replay::play::fixture_from_recording(dir, base, out)?;
    for n in &notes {
        eprintln!("note: {n}");
    }
    println!("fixture written to {} (serve it with `serve --fixtures {}`)", fixture.display(), fixture.display());
    println!("{writes} expected write(s) in {}", fixture.join(dataverse_emulator::replay::play::WRITES_FILE).display());
    Ok(())
}

async fn replay(dir: PathBuf, fixtures: Option<PathBuf>) -> Result<(), Box<dyn std::error::Error>> {
    let (result, notes) = dataverse_emulator::replay::play::replay(&dir, fixtures.as_deref()).await?;
    for n in &notes {
        eprintln!("note: {n}");
    }
    conformance_runner::report::print_table("emulator", std::slice::from_ref(&result));
    for f in &result.failures {
        println!("difference: {f}");
    }
    if result.failures.is_empty() {
        Ok(())
    } else {
        Err(format!("{} difference(s) from the recording", result.failures.len()).into())
    }
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::Ca { state_dir } => tls::generated(&state_dir.unwrap_or_else(default_state_dir).join("tls"))
            .map_err(|e| e.into())
            .and_then(|t| t.ca_file.ok_or_else(|| "no CA file was created".into()))
            .map(|ca| println!("{}", ca.display())),
        Command::ImportSchema(args) => import_schema(args).await,
        Command::DiffSchema { a, b } => diff_schema(&a, &b),
        Command::Record(args) => record(args).await,
        Command::FixtureFromRecording { dir, fixtures, out } => fixture_from_recording(&dir, fixtures.as_deref(), out.as_deref()),
        Command::Replay { dir, fixtures } => replay(dir, fixtures).await,
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
