//! `iamctl serve`: run the STS endpoint, and `iamctl token web-identity`: mint a demo ID token.
//!
//! Stage: command line, long-running. Input: flags (listen address, a directory config and
//! key ring, or a demo state folder; TLS files; an audit log path). Output: an STS Query
//! endpoint until SIGINT/SIGTERM; on stdout the demo user's keys and a ready-to-paste command
//! (demo mode only) and one `listening on <url>` line once the socket is bound; logs on
//! stderr. SIGHUP and a change of the config file rebuild the directory and key ring; a
//! config that fails to load keeps the previous one in force. Logs never carry a secret.
//!
//! Defaults: listen on `127.0.0.1:9701` (unassigned by IANA, clear of the usual 8080/4566 of
//! other local AWS emulators); state folder `$IAMCTL_STATE`, else `./.iamctl/`.
//!
//! Test-only: `--test-clock` makes the server's clock run `IAMCTL_TEST_CLOCK_OFFSET_SECS`
//! seconds ahead of (or, negative, behind) the system clock, so a client suite can observe
//! expired credentials without waiting. Without the flag the variable is ignored.

mod demo;
mod log_writer;

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use iam_server::TokenBackend;
use iam_server::{AppConfig, AppState, AuditLog, Reloader, ServeConfig, StsBackend, TlsFiles};
use iam_sts::clock::{Clock, SystemClock, ThreadRandom};
use iam_sts::directory::SharedDirectory;
use iam_sts::service::{ServiceConfig, TokenService};

/// The address `iamctl serve` listens on by default.
pub(crate) const DEFAULT_LISTEN: &str = "127.0.0.1:9701";
/// The environment variable naming the demo state folder.
const STATE_ENV: &str = "IAMCTL_STATE";
/// The test-only clock offset, read only with `--test-clock`.
const TEST_CLOCK_ENV: &str = "IAMCTL_TEST_CLOCK_OFFSET_SECS";

/// Arguments of `iamctl serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Directory config (TOML) to serve; without it a demo directory in the state folder is
    /// used (and written on first start)
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Key ring sealing session tokens (0600); with `--config`, default `keyring.json` beside
    /// the config. Created when missing
    #[arg(long, value_name = "FILE", requires = "config")]
    key_ring: Option<PathBuf>,
    /// Demo state folder (default `$IAMCTL_STATE`, else `./.iamctl`)
    #[arg(long, value_name = "DIR", conflicts_with = "config")]
    state: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port (printed on stdout)
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// TLS certificate chain (PEM); serves HTTPS together with `--tls-key`
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM)
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Append one JSON audit record per issued credential set and per refusal to FILE
    #[arg(long, value_name = "FILE")]
    audit_log: Option<PathBuf>,
    /// Least severe log level written to stderr
    #[arg(long, value_name = "LEVEL", value_enum, default_value_t = LogLevel::Info)]
    log_level: LogLevel,
    /// Test only: shift the server clock by `$IAMCTL_TEST_CLOCK_OFFSET_SECS` seconds
    #[arg(long, hide = true)]
    test_clock: bool,
}

/// How much the server logs; each level includes the ones above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogLevel {
    /// Failures only.
    Error,
    /// Also rejected configuration reloads and similar trouble.
    Warn,
    /// Also one line per request that issued credentials or was refused (the default).
    Info,
    /// Also one line per read-only request (GetCallerIdentity, …), connection errors and TLS
    /// handshake failures.
    Debug,
}

impl LogLevel {
    fn filter(self) -> tracing_subscriber::filter::LevelFilter {
        use tracing_subscriber::filter::LevelFilter;
        match self {
            Self::Error => LevelFilter::ERROR,
            Self::Warn => LevelFilter::WARN,
            Self::Info => LevelFilter::INFO,
            Self::Debug => LevelFilter::DEBUG,
        }
    }
}

/// Arguments of `iamctl token`.
#[derive(Debug, Args)]
pub(crate) struct TokenArgs {
    #[command(subcommand)]
    kind: TokenKind,
}

#[derive(Debug, Subcommand)]
enum TokenKind {
    /// Print an ID token of the demo OIDC provider (for AssumeRoleWithWebIdentity on
    /// `web-role`)
    WebIdentity {
        /// Demo state folder (default `$IAMCTL_STATE`, else `./.iamctl`)
        #[arg(long, value_name = "DIR")]
        state: Option<PathBuf>,
        /// The `sub` claim
        #[arg(long, default_value = "demo-workload")]
        subject: String,
        /// Seconds until the token expires
        #[arg(long, default_value_t = 3600)]
        lifetime: i64,
    },
}

/// The wall clock, optionally shifted (test only).
struct OffsetClock {
    offset: chrono::Duration,
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        SystemClock.now() + self.offset
    }
}

/// Where the served directory comes from.
struct Sources {
    config: PathBuf,
    key_ring: PathBuf,
    clock: Arc<dyn Clock>,
    /// Whether the server speaks TLS (`aws:SecureTransport`).
    tls: bool,
}

/// Runs `iamctl serve`.
pub(crate) fn run(args: &ServeArgs) -> ExitCode {
    let log = init_logging(args.log_level);
    let served = serve(args);
    if let Err(message) = &served {
        tracing::error!("{message}");
    }
    log.flush_now();
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `iamctl token`.
pub(crate) fn run_token(args: &TokenArgs) -> ExitCode {
    let TokenKind::WebIdentity {
        state,
        subject,
        lifetime,
    } = &args.kind;
    let state = state_folder(state.as_deref());
    match demo::mint_id_token(&state, subject, SystemClock.now().timestamp(), *lifetime) {
        Ok(token) => {
            let mut out = crate::output::Stdout::lock();
            match out.write(&format!("{token}\n")).and_then(|()| out.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::FAILURE,
            }
        }
        Err(message) => {
            let _ = writeln!(std::io::stderr(), "error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Logs at `level` and above to stderr, in batches (see [`log_writer`]).
fn init_logging(level: LogLevel) -> log_writer::BatchedStderr {
    let sink = log_writer::BatchedStderr::default();
    if let Err(error) = sink.start_flusher() {
        let _ = writeln!(
            std::io::stderr(),
            "warning: cannot start the log flusher ({error}); logs are written when 64 KiB \
             have gathered and at exit"
        );
    }
    let _ = tracing_subscriber::fmt()
        .with_writer(sink.clone())
        .with_max_level(level.filter())
        .with_ansi(false)
        .try_init();
    sink
}

fn state_folder(given: Option<&Path>) -> PathBuf {
    given.map(Path::to_path_buf).unwrap_or_else(|| {
        std::env::var_os(STATE_ENV)
            .filter(|value| !value.is_empty())
            .map_or_else(|| PathBuf::from(".iamctl"), PathBuf::from)
    })
}

fn test_clock(enabled: bool) -> Result<Arc<dyn Clock>, String> {
    if !enabled {
        return Ok(Arc::new(SystemClock));
    }
    let raw = std::env::var(TEST_CLOCK_ENV).unwrap_or_default();
    let seconds: i64 = if raw.is_empty() {
        0
    } else {
        raw.trim()
            .parse()
            .map_err(|_| format!("`{TEST_CLOCK_ENV}` is not a whole number of seconds"))?
    };
    let offset = chrono::Duration::try_seconds(seconds)
        .ok_or_else(|| format!("`{TEST_CLOCK_ENV}` is out of range"))?;
    tracing::warn!(
        offset_secs = seconds,
        "test clock in use: the server time is shifted"
    );
    Ok(Arc::new(OffsetClock { offset }))
}

fn serve(args: &ServeArgs) -> Result<(), String> {
    let clock = test_clock(args.test_clock)?;
    let mut out = crate::output::Stdout::lock();
    let mut demo_state = None;
    let sources = match &args.config {
        Some(config) => {
            let key_ring = args.key_ring.clone().unwrap_or_else(|| {
                config
                    .parent()
                    .unwrap_or_else(|| Path::new("."))
                    .join("keyring.json")
            });
            ensure_key_ring(&key_ring)?;
            Sources {
                config: config.clone(),
                key_ring,
                clock,
                tls: args.tls_cert.is_some(),
            }
        }
        None => {
            let state = state_folder(args.state.as_deref());
            let demo = demo::ensure(&state)?;
            if demo.created {
                tracing::info!(state = %state.display(), "wrote the demo state folder");
            } else {
                tracing::info!(state = %state.display(), "reusing the demo state folder");
            }
            let sources = Sources {
                config: demo.config.clone(),
                key_ring: demo.key_ring.clone(),
                clock,
                tls: args.tls_cert.is_some(),
            };
            demo_state = Some(demo);
            sources
        }
    };
    let backend = build_backend(&sources).map_err(|problems| problems.join("\n"))?;
    let audit = match &args.audit_log {
        Some(path) => Some(
            AuditLog::open(path)
                .map_err(|e| format!("cannot open the audit log `{}`: {e}", path.display()))?,
        ),
        None => None,
    };
    let state = AppState::new(
        backend,
        AppConfig {
            audit,
            ..AppConfig::default()
        },
    );
    let sources = Arc::new(sources);
    let reload_sources = Arc::clone(&sources);
    let reload: Reloader = Arc::new(move || build_backend(&reload_sources));
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(certificate_chain), Some(private_key)) => Some(TlsFiles {
            certificate_chain: certificate_chain.clone(),
            private_key: private_key.clone(),
        }),
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let config = ServeConfig {
        listen: args.listen,
        tls,
        reload: Some(reload),
        watch_file: Some(sources.config.clone()),
        ..ServeConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| format!("cannot listen on `{}`: {e}", config.listen))?;
        let bound = listener
            .local_addr()
            .map_err(|e| format!("cannot read the bound address: {e}"))?;
        let endpoint = format!("{scheme}://{bound}");
        if let Some(demo) = &demo_state {
            print_demo(&mut out, demo, &endpoint)?;
        }
        out.write(&format!("listening on {endpoint}\n"))
            .and_then(|()| out.flush())
            .map_err(|e| format!("cannot write to stdout: {e}"))?;
        drop(out);
        iam_server::serve_listener(listener, config, state, iam_server::shutdown_signal())
            .await
            .map_err(|e| format!("server failed: {e}"))
    })
}

fn ensure_key_ring(path: &Path) -> Result<(), String> {
    if path.exists() {
        return Ok(());
    }
    let ring = iam_sts::keyring::KeyRing::generate(SystemClock.now(), &iam_sts::clock::OsRandom)
        .map_err(|e| format!("cannot generate a key ring: {e}"))?;
    ring.save(path)
        .map_err(|e| format!("cannot write the key ring `{}`: {e}", path.display()))?;
    tracing::info!(key_ring = %path.display(), "created a new key ring");
    Ok(())
}

fn print_demo(
    out: &mut crate::output::Stdout,
    demo: &demo::DemoState,
    endpoint: &str,
) -> Result<(), String> {
    let text = format!(
        "demo account {account}, user `demo` (keys also in {credentials}):\n\
         AWS_ACCESS_KEY_ID={key}\n\
         AWS_SECRET_ACCESS_KEY={secret}\n\
         try:\n\
         AWS_ACCESS_KEY_ID={key} AWS_SECRET_ACCESS_KEY={secret} aws sts assume-role \
         --endpoint-url {endpoint} --region us-east-1 \
         --role-arn arn:aws:iam::{account}:role/demo-role --role-session-name try\n\
         web identity: iamctl token web-identity --state {state} > token.jwt, then \
         AWS_WEB_IDENTITY_TOKEN_FILE=token.jwt AWS_ROLE_ARN=arn:aws:iam::{account}:role/web-role \
         AWS_ENDPOINT_URL_STS={endpoint} AWS_DEFAULT_REGION=us-east-1 aws sts get-caller-identity\n",
        account = demo::ACCOUNT,
        credentials = demo.credentials.display(),
        state = demo
            .config
            .parent()
            .map_or_else(|| ".".to_owned(), |dir| dir.display().to_string()),
        key = demo.access_key_id,
        secret = demo.secret_access_key,
    );
    out.write(&text)
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write to stdout: {e}"))
}

/// Loads the directory and key ring and builds the backend; every problem is listed.
fn build_backend(sources: &Sources) -> Result<Arc<dyn StsBackend>, Vec<String>> {
    let directory = iam_sts::directory::Directory::load(&sources.config).map_err(|errors| {
        errors
            .errors()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    })?;
    let ring =
        iam_sts::keyring::KeyRing::load(&sources.key_ring).map_err(|e| vec![e.to_string()])?;
    let service = TokenService::new(
        SharedDirectory::new(directory),
        ring,
        Arc::clone(&sources.clock),
        Arc::new(ThreadRandom),
        ServiceConfig::default(),
    );
    Ok(Arc::new(TokenBackend::new(service, sources.tls)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_folder_prefers_the_flag() {
        assert_eq!(state_folder(Some(Path::new("/x"))), PathBuf::from("/x"));
    }

    #[test]
    fn the_offset_clock_runs_ahead_by_the_offset() {
        let clock = OffsetClock {
            offset: chrono::Duration::seconds(3600),
        };
        let delta = clock.now() - SystemClock.now();
        assert!((3595..=3600).contains(&delta.num_seconds()), "{delta}");
    }
}
