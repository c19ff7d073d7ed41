//! The connection layer over a loopback socket: keep-alive, `Date`, graceful shutdown with a
//! request in flight, the header read timeout, TLS, and a clean error for bad TLS files.

#![cfg(test)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{scratch_file, state_for, MockBackend, GOOD_KEY};
use iam_server::{serve_listener, AppState, ServeConfig, StsOutput, TlsFiles};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const END: &str = "</GetCallerIdentityResponse>\n";

fn request_text() -> String {
    let body = "Action=GetCallerIdentity&Version=2011-06-15";
    format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nAuthorization: AWS4-HMAC-SHA256 Credential={GOOD_KEY}/x\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

async fn start(
    state: AppState,
    config: ServeConfig,
) -> (
    SocketAddr,
    oneshot::Sender<()>,
    JoinHandle<std::io::Result<()>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_listener(listener, config, state, async move {
        let _ = stopped.await;
    }));
    (address, stop, task)
}

/// Reads until `count` complete STS responses arrived (or EOF / 5 s).
async fn read_responses(stream: &mut (impl AsyncRead + Unpin), count: usize) -> String {
    let mut buffer = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    while String::from_utf8_lossy(&buffer).matches(END).count() < count && Instant::now() < deadline
    {
        let mut chunk = [0_u8; 4096];
        match tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Err(_) => break,
            Ok(Ok(read)) => buffer.extend_from_slice(&chunk[..read]),
            Ok(Err(error)) => panic!("read failed: {error}"),
        }
    }
    String::from_utf8(buffer).unwrap()
}

async fn exchange(stream: &mut (impl AsyncRead + AsyncWrite + Unpin), count: usize) -> String {
    for _ in 0..count {
        stream.write_all(request_text().as_bytes()).await.unwrap();
    }
    read_responses(stream, count).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_serves_several_requests_on_one_connection_with_date_headers() {
    let (address, stop, task) =
        start(state_for(MockBackend::empty()), ServeConfig::default()).await;
    let mut stream = TcpStream::connect(address).await.unwrap();
    let text = exchange(&mut stream, 2).await;
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");
    assert_eq!(
        text.to_ascii_lowercase().matches("\r\ndate: ").count(),
        2,
        "{text}"
    );
    assert_eq!(text.matches("x-amzn-requestid: ").count(), 2, "{text}");
    stop.send(()).unwrap();
    drop(stream);
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_a_request_in_flight_finish() {
    let slow = MockBackend::new(|_| {
        std::thread::sleep(Duration::from_millis(500));
        Ok(StsOutput::new(Vec::new()))
    });
    let (address, stop, task) = start(state_for(slow), ServeConfig::default()).await;
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(request_text().as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    stop.send(()).unwrap();
    let text = read_responses(&mut stream, 1).await;
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(text.ends_with(END));
    let finished = tokio::time::timeout(Duration::from_secs(5), task).await;
    finished
        .expect("server stopped after draining")
        .unwrap()
        .unwrap();
    // Nothing accepts connections any more.
    assert!(TcpStream::connect(address).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let config = ServeConfig {
        header_read_timeout: Duration::from_millis(200),
        ..ServeConfig::default()
    };
    let (address, stop, task) = start(state_for(MockBackend::empty()), config).await;
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the server kept a slow client open");
    assert!(started.elapsed() < Duration::from_secs(3));
    let text = String::from_utf8_lossy(&rest);
    assert!(!text.contains("200 OK"), "{text}");
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_are_rejected() {
    let config = ServeConfig {
        max_header_bytes: 8192,
        ..ServeConfig::default()
    };
    let (address, stop, task) = start(state_for(MockBackend::empty()), config).await;
    let mut stream = TcpStream::connect(address).await.unwrap();
    let huge = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    let _ = stream.write_all(huge.as_bytes()).await;
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut reply)).await;
    let text = String::from_utf8_lossy(&reply);
    assert!(!text.contains("200 OK"), "{text}");
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

fn openssl_certificate() -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let cert = scratch_file("tls-cert.pem");
    let key = scratch_file("tls-key.pem");
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args(["-days", "1", "-subj", "/CN=localhost"])
        .args([
            "-addext",
            "subjectAltName=DNS:localhost",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ])
        .stderr(std::process::Stdio::null())
        .status();
    match status {
        Ok(status) if status.success() => Some((cert, key)),
        _ => {
            eprintln!("skipped: `openssl` is not available to make a test certificate");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_serves_sts_over_https() {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

    let Some((cert, key)) = openssl_certificate() else {
        return;
    };
    let config = ServeConfig {
        tls: Some(TlsFiles {
            certificate_chain: cert.clone(),
            private_key: key,
        }),
        ..ServeConfig::default()
    };
    let (address, stop, task) = start(state_for(MockBackend::empty()), config).await;

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(&cert).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let tcp = TcpStream::connect(address).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let text = exchange(&mut tls, 1).await;
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(text.ends_with(END));
    stop.send(()).unwrap();
    drop(tls);
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn unreadable_tls_files_are_an_error_not_a_panic() {
    let config = ServeConfig {
        tls: Some(TlsFiles {
            certificate_chain: "/nonexistent/cert.pem".into(),
            private_key: "/nonexistent/key.pem".into(),
        }),
        ..ServeConfig::default()
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let error = serve_listener(listener, config, state_for(MockBackend::empty()), async {})
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("cannot read certificate chain `/nonexistent/cert.pem`"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_config_file_and_sighup_both_trigger_a_reload() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    let watched = scratch_file("watched-config");
    std::fs::write(&watched, "v1").unwrap();
    let reloads = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&reloads);
    let reload: iam_server::Reloader = Arc::new(move || {
        let attempt = counter.fetch_add(1, Ordering::SeqCst) + 1;
        if attempt == 1 {
            return Err(vec!["first reload is refused".to_owned()]);
        }
        let fresh: Arc<dyn iam_server::StsBackend> = MockBackend::empty();
        Ok(fresh)
    });
    let config = ServeConfig {
        reload: Some(reload),
        watch_file: Some(watched.clone()),
        ..ServeConfig::default()
    };
    let (address, stop, task) = start(state_for(MockBackend::empty()), config).await;

    let wait_for = |target: usize| {
        let reloads = Arc::clone(&reloads);
        async move {
            let deadline = Instant::now() + Duration::from_secs(6);
            while reloads.load(Ordering::SeqCst) < target && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            reloads.load(Ordering::SeqCst)
        }
    };

    tokio::time::sleep(Duration::from_millis(1100)).await;
    std::fs::write(&watched, "v2 (longer)").unwrap();
    assert_eq!(wait_for(1).await, 1, "a file change triggers a reload");
    // The refused reload left the server serving.
    let mut stream = TcpStream::connect(address).await.unwrap();
    assert!(exchange(&mut stream, 1)
        .await
        .starts_with("HTTP/1.1 200 OK"));

    // The reload loop has registered its SIGHUP handler by now (it reacted above).
    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(wait_for(2).await, 2, "SIGHUP triggers a reload");
    assert!(exchange(&mut stream, 1)
        .await
        .starts_with("HTTP/1.1 200 OK"));

    stop.send(()).unwrap();
    drop(stream);
    task.await.unwrap().unwrap();
}
