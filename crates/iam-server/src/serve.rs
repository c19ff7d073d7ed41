//! Binding, connections, TLS, graceful shutdown and reloads.
//!
//! Stage: the outermost layer. Input: a [`ServeConfig`] and an [`AppState`]. Output: a
//! running server until SIGINT/SIGTERM (or the given shutdown future), after which it stops
//! accepting, lets requests in flight finish (up to `shutdown_grace`) and returns. Each
//! connection is HTTP/1.1 with keep-alive, `TCP_NODELAY`, a header read timeout (slow-loris
//! clients are cut off; it also bounds how long an idle keep-alive connection waits for its
//! next request) and a header buffer limit. It must never panic on a bad certificate file, a
//! failed accept or a failed reload: those are logged and the server keeps its last good
//! state.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tower::Service;

use crate::app::{app, AppState, Reloader};

/// PEM files for TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub certificate_chain: PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub private_key: PathBuf,
}

/// How to run the server.
#[derive(Clone)]
pub struct ServeConfig {
    /// Address to bind (default `127.0.0.1:8080`).
    pub listen: SocketAddr,
    /// Serve HTTPS with these files; plain HTTP when `None`.
    pub tls: Option<TlsFiles>,
    /// Time a client has to send a request's headers (and the TLS handshake). Default 10 s.
    pub header_read_timeout: Duration,
    /// Buffer limit for a request head, bytes (at least 8192, hyper's minimum). Default 16 KiB.
    pub max_header_bytes: usize,
    /// Most headers in one request. Default 64.
    pub max_headers: usize,
    /// How long shutdown waits for requests in flight. Default 30 s.
    pub shutdown_grace: Duration,
    /// Called on SIGHUP and when `watch_file` changes; `None` disables reloading.
    pub reload: Option<Reloader>,
    /// A file whose modification time is polled every second to trigger `reload`.
    pub watch_file: Option<PathBuf>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            tls: None,
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 16 * 1024,
            max_headers: 64,
            shutdown_grace: Duration::from_secs(30),
            reload: None,
            watch_file: None,
        }
    }
}

impl std::fmt::Debug for ServeConfig {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("ServeConfig")
            .field("listen", &self.listen)
            .field("tls", &self.tls)
            .field("header_read_timeout", &self.header_read_timeout)
            .field("max_header_bytes", &self.max_header_bytes)
            .field("max_headers", &self.max_headers)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("reload", &self.reload.is_some())
            .field("watch_file", &self.watch_file)
            .finish()
    }
}

/// Binds `config.listen` and serves until SIGINT or SIGTERM.
pub async fn serve(config: ServeConfig, state: AppState) -> io::Result<()> {
    let listener = TcpListener::bind(config.listen).await?;
    serve_listener(listener, config, state, shutdown_signal()).await
}

/// Serves on an already bound listener until `shutdown` completes, then drains.
pub async fn serve_listener(
    listener: TcpListener,
    config: ServeConfig,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let tls = match &config.tls {
        Some(files) => Some(load_tls(files)?),
        None => None,
    };
    let address = listener.local_addr()?;
    tracing::info!(%address, tls = tls.is_some(), "listening");

    let reloader = config.reload.clone().map(|reload| {
        tokio::spawn(reload_loop(
            state.clone(),
            reload,
            config.watch_file.clone(),
        ))
    });

    let router = app(state);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .keep_alive(true)
        .header_read_timeout(config.header_read_timeout)
        .max_buf_size(config.max_header_bytes.max(8192))
        .max_headers(config.max_headers);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(error = %error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(error = %error, "could not set TCP_NODELAY");
        }
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().call(request)
        });
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        let handshake_timeout = config.header_read_timeout;
        tokio::spawn(async move {
            let served =
                match tls {
                    None => {
                        watcher
                            .watch(builder.serve_connection(TokioIo::new(stream), service))
                            .await
                    }
                    Some(acceptor) => {
                        let stream =
                            match tokio::time::timeout(handshake_timeout, acceptor.accept(stream))
                                .await
                            {
                                Ok(Ok(stream)) => stream,
                                Ok(Err(error)) => {
                                    tracing::debug!(%peer, error = %error, "tls handshake failed");
                                    return;
                                }
                                Err(_) => {
                                    tracing::debug!(%peer, "tls handshake timed out");
                                    return;
                                }
                            };
                        watcher
                            .watch(builder.serve_connection(TokioIo::new(stream), service))
                            .await
                    }
                };
            if let Err(error) = served {
                tracing::debug!(%peer, error = %error, "connection ended with an error");
            }
        });
    }

    drop(listener);
    tracing::info!("shutting down; waiting for requests in flight");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(config.shutdown_grace) => {
            tracing::warn!(grace = ?config.shutdown_grace, "requests still in flight after the grace period");
        }
    }
    if let Some(task) = reloader {
        task.abort();
    }
    Ok(())
}

fn load_tls(files: &TlsFiles) -> io::Result<TlsAcceptor> {
    let invalid = |what: &str, path: &Path, error: &dyn std::fmt::Display| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{what} `{}`: {error}", path.display()),
        )
    };
    let chain = CertificateDer::pem_file_iter(&files.certificate_chain)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|error| {
            invalid(
                "cannot read certificate chain",
                &files.certificate_chain,
                &error,
            )
        })?;
    if chain.is_empty() {
        return Err(invalid(
            "no certificate in",
            &files.certificate_chain,
            &"empty PEM",
        ));
    }
    let key = PrivateKeyDer::from_pem_file(&files.private_key)
        .map_err(|error| invalid("cannot read private key", &files.private_key, &error))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| {
            invalid(
                "unusable TLS settings for",
                &files.certificate_chain,
                &error,
            )
        })?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|error| invalid("certificate and key do not fit", &files.private_key, &error))?;
    let mut config = config;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(error) => {
                tracing::warn!(error = %error, "cannot listen for SIGTERM; only SIGINT stops the server");
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
    tracing::info!("shutdown signal received");
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path)
        .and_then(|meta| meta.modified())
        .ok()
}

/// Reloads on SIGHUP and whenever `watch_file`'s modification time changes (polled each
/// second). Runs until aborted.
async fn reload_loop(state: AppState, reload: Reloader, watch_file: Option<PathBuf>) {
    #[cfg(unix)]
    let mut hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(stream) => Some(stream),
        Err(error) => {
            tracing::warn!(error = %error, "cannot listen for SIGHUP; reload only on file change");
            None
        }
    };
    let mut last_seen = watch_file.as_deref().and_then(modified);
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        #[cfg(unix)]
        let hangup_signal = async {
            match hangup.as_mut() {
                Some(stream) => stream.recv().await,
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let hangup_signal = std::future::pending::<Option<()>>();
        let trigger = tokio::select! {
            _ = hangup_signal => "SIGHUP",
            _ = ticker.tick() => {
                let Some(path) = watch_file.as_deref() else { continue };
                let now = modified(path);
                if now == last_seen {
                    continue;
                }
                if now.is_none() {
                    tracing::warn!(path = %path.display(), "watched file is gone; keeping the current backend");
                }
                last_seen = now;
                if now.is_none() {
                    continue;
                }
                "file change"
            }
        };
        tracing::info!(trigger, "reloading the backend");
        let state = state.clone();
        let reload = Arc::clone(&reload);
        let finished = tokio::task::spawn_blocking(move || state.reload(&reload)).await;
        if finished.is_err() {
            tracing::error!("backend reload panicked; keeping the old backend");
        }
    }
}
