//! `loadgen`: drive a running `iamctl serve` with signed STS requests and report throughput,
//! latency percentiles and the server's memory.
//!
//! Stage: benchmark tool, run by hand (never by `cargo test` or `cargo bench`). Input: the
//! `iamctl` binary to spawn (or a URL and keys of a server already running), the number of
//! keep-alive connections, a time and a request bound per phase, and optionally an audit log
//! file for the spawned server (`--audit-log`; every AssumeRole is then audited). Output: per phase
//! (AssumeRole with the demo user's keys, then GetCallerIdentity with the temporary
//! credentials AssumeRole returned) requests/s, p50/p90/p99/max latency and error counts, and
//! the server's resident memory (`VmRSS`) at start, every 10 s and at the end, and the CPU
//! time the server and the generator each used per phase (per request, and as a share of
//! one core): on a shared machine those numbers hold up better than requests/s. It never sends
//! traffic anywhere but the given loopback server and never prints a secret.
//!
//! ```text
//! cargo build --release -p iam-cli -p iamctl-benches --bin iamctl --bin loadgen
//! target/release/loadgen --iamctl target/release/iamctl --connections 32 --seconds 60
//! ```
//!
//! Each connection signs its request once per wall-clock second and resends those bytes until
//! the second changes (the server re-verifies the signature every time; it keeps no replay
//! cache), so the generator's own CPU stays small next to the server's.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use iam_sts::clock::{Clock as _, SystemClock};
use iam_sts::sigv4::{sign, SecretKey, SignedRequest, SigningParams};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Command-line settings.
#[derive(Debug, Clone)]
struct Settings {
    iamctl: Option<String>,
    url: Option<String>,
    access_key_id: Option<String>,
    secret: Option<String>,
    pid: Option<u32>,
    audit_log: Option<String>,
    connections: usize,
    seconds: u64,
    max_requests: u64,
}

/// Credentials a phase signs with.
#[derive(Clone)]
struct Keys {
    access_key_id: String,
    secret: SecretKey,
    token: Option<String>,
}

/// What one phase measured.
struct PhaseResult {
    ok: u64,
    failed: u64,
    elapsed: Duration,
    latencies_us: Vec<u32>,
}

fn usage() -> String {
    "usage: loadgen (--iamctl PATH | --url URL --access-key-id ID --secret-env VAR [--pid PID]) \
     [--audit-log FILE] [--connections N] [--seconds S] [--max-requests N]"
        .to_owned()
}

fn parse_args() -> Result<Settings, Error> {
    let mut settings = Settings {
        iamctl: None,
        url: None,
        access_key_id: None,
        secret: None,
        pid: None,
        audit_log: None,
        connections: 32,
        seconds: 20,
        max_requests: 50_000_000,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("`{flag}` needs a value"));
        match flag.as_str() {
            "--iamctl" => settings.iamctl = Some(value()?),
            "--url" => settings.url = Some(value()?),
            "--access-key-id" => settings.access_key_id = Some(value()?),
            "--secret-env" => settings.secret = Some(std::env::var(value()?)?),
            "--pid" => settings.pid = Some(value()?.parse()?),
            "--audit-log" => settings.audit_log = Some(value()?),
            "--connections" => settings.connections = value()?.parse()?,
            "--seconds" => settings.seconds = value()?.parse()?,
            "--max-requests" => settings.max_requests = value()?.parse()?,
            _ => return Err(usage().into()),
        }
    }
    if settings.connections == 0 || settings.seconds == 0 {
        return Err("`--connections` and `--seconds` must be at least 1".into());
    }
    Ok(settings)
}

/// A spawned `iamctl serve` on a free port with a temporary demo state folder.
struct Spawned {
    child: Child,
    state: std::path::PathBuf,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        // SIGTERM through `kill`, so the server drains as in production.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.state);
    }
}

fn spawn(
    iamctl: &str,
    audit_log: Option<&str>,
) -> Result<(Spawned, String, String, String), Error> {
    let state = std::env::temp_dir().join(format!("iamctl-loadgen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    let mut command = Command::new(iamctl);
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--state"])
        .arg(&state);
    if let Some(path) = audit_log {
        command.args(["--audit-log", path]);
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout from iamctl serve")?;
    let spawned = Spawned { child, state };
    let (mut url, mut key, mut secret) = (None, None, None);
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        if let Some(rest) = line.strip_prefix("AWS_ACCESS_KEY_ID=") {
            key = rest.split_whitespace().next().map(str::to_owned);
        } else if let Some(rest) = line.strip_prefix("AWS_SECRET_ACCESS_KEY=") {
            secret = rest.split_whitespace().next().map(str::to_owned);
        } else if let Some(rest) = line.strip_prefix("listening on ") {
            url = Some(rest.trim().to_owned());
            break;
        }
    }
    match (url, key, secret) {
        (Some(url), Some(key), Some(secret)) => Ok((spawned, url, key, secret)),
        _ => Err("iamctl serve exited before printing its keys and address".into()),
    }
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

/// User plus system CPU time of process `pid` (all threads) in seconds, from
/// `/proc/<pid>/stat`; `self` for this process. Assumes the usual 100 clock ticks per second.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the fields after it are space separated.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let mut fields = rest.split(' ');
    // After `)`: state is field 3, utime field 14, stime field 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

/// CPU used by the server and by this generator between two points.
struct CpuMark {
    server: Option<f64>,
    generator: Option<f64>,
}

impl CpuMark {
    fn now(pid: Option<u32>) -> Self {
        Self {
            server: pid.and_then(|pid| cpu_seconds(&pid.to_string())),
            generator: cpu_seconds("self"),
        }
    }

    /// `server cpu …, loadgen cpu …` for the interval since `self`.
    fn report(&self, pid: Option<u32>, result: &PhaseResult) -> String {
        let after = Self::now(pid);
        let wall = result.elapsed.as_secs_f64().max(1e-9);
        let requests = (result.ok + result.failed).max(1) as f64;
        let describe = |name: &str, before: Option<f64>, after: Option<f64>| match (before, after) {
            (Some(before), Some(after)) => {
                let used = after - before;
                format!(
                    "{name} cpu {used:.2} s ({:.0}% of one core, {:.1} us/request)",
                    100.0 * used / wall,
                    1e6 * used / requests
                )
            }
            _ => format!("{name} cpu unknown"),
        };
        format!(
            "  {}; {}",
            describe("server", self.server, after.server),
            describe("loadgen", self.generator, after.generator)
        )
    }
}

fn form_request(host: &str, body: &str, keys: &Keys, now: DateTime<Utc>) -> Result<Vec<u8>, Error> {
    let mut req = SignedRequest::new("POST", "/")
        .with_header("Host", host)
        .with_header(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .with_body(body.as_bytes().to_vec());
    let mut params = SigningParams::new(&keys.access_key_id, &keys.secret, "us-east-1", "sts", now);
    params.security_token = keys.token.as_deref();
    sign(&mut req, &params).map_err(|e| format!("signing failed: {e}"))?;
    let mut out = String::with_capacity(1024 + body.len());
    out.push_str("POST / HTTP/1.1\r\n");
    for (name, value) in &req.headers {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push_str("\r\n");
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    out.push_str(body);
    Ok(out.into_bytes())
}

/// Reads one HTTP/1.1 response (Content-Length framed) into `buf`; returns its status.
async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<u16, Error> {
    buf.clear();
    let mut chunk = [0_u8; 16 * 1024];
    loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            let head = std::str::from_utf8(buf.get(..end).ok_or("short head")?)?;
            let status: u16 = head.split(' ').nth(1).ok_or("no status")?.parse()?;
            let length: usize = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .ok_or("response without content-length")?;
            while buf.len() < end + 4 + length {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Err("connection closed mid-body".into());
                }
                buf.extend_from_slice(chunk.get(..n).ok_or("read overflow")?);
            }
            return Ok(status);
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err("connection closed".into());
        }
        buf.extend_from_slice(chunk.get(..n).ok_or("read overflow")?);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One request/response on a fresh connection, returning the body.
async fn one_call(addr: SocketAddr, request: &[u8]) -> Result<(u16, String), Error> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(request).await?;
    let mut buf = Vec::new();
    let status = read_response(&mut stream, &mut buf).await?;
    let body_start = find(&buf, b"\r\n\r\n").map_or(0, |i| i + 4);
    let body = String::from_utf8_lossy(buf.get(body_start..).unwrap_or_default()).into_owned();
    Ok((status, body))
}

fn xml_text(body: &str, element: &str) -> Option<String> {
    let open = format!("<{element}>");
    let close = format!("</{element}>");
    let start = body.find(&open)? + open.len();
    let len = body.get(start..)?.find(&close)?;
    body.get(start..start + len).map(str::to_owned)
}

async fn phase(
    addr: SocketAddr,
    host: Arc<str>,
    body: Arc<str>,
    keys: Keys,
    settings: &Settings,
) -> Result<PhaseResult, Error> {
    let stop = Arc::new(AtomicBool::new(false));
    let issued = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(settings.seconds);
    let mut workers = Vec::new();
    for _ in 0..settings.connections {
        let (stop, issued, host, body, keys) = (
            Arc::clone(&stop),
            Arc::clone(&issued),
            Arc::clone(&host),
            Arc::clone(&body),
            keys.clone(),
        );
        let max = settings.max_requests;
        workers.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let mut buf = Vec::with_capacity(8192);
            let mut latencies: Vec<u32> = Vec::with_capacity(1 << 16);
            let (mut ok, mut failed) = (0_u64, 0_u64);
            let mut signed_at = 0_i64;
            let mut request = Vec::new();
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                if issued.fetch_add(1, Ordering::Relaxed) >= max {
                    break;
                }
                let now = SystemClock.now();
                if now.timestamp() != signed_at {
                    request = form_request(&host, &body, &keys, now)?;
                    signed_at = now.timestamp();
                }
                let sent = Instant::now();
                stream.write_all(&request).await?;
                let status = read_response(&mut stream, &mut buf).await?;
                let micros = sent.elapsed().as_micros();
                latencies.push(u32::try_from(micros).unwrap_or(u32::MAX));
                if status == 200 {
                    ok += 1;
                } else {
                    failed += 1;
                }
            }
            Ok::<_, Error>((ok, failed, latencies))
        }));
    }
    let mut result = PhaseResult {
        ok: 0,
        failed: 0,
        elapsed: Duration::ZERO,
        latencies_us: Vec::new(),
    };
    for worker in workers {
        let (ok, failed, latencies) = worker.await??;
        result.ok += ok;
        result.failed += failed;
        result.latencies_us.extend(latencies);
    }
    stop.store(true, Ordering::Relaxed);
    result.elapsed = started.elapsed();
    result.latencies_us.sort_unstable();
    Ok(result)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted.get(rank).copied().unwrap_or_default()) / 1000.0
}

fn report(name: &str, result: &PhaseResult) -> String {
    let total = result.ok + result.failed;
    let rate = total as f64 / result.elapsed.as_secs_f64().max(1e-9);
    format!(
        "{name}: {total} requests in {:.1} s = {rate:.0} req/s ({} ok, {} failed); latency ms \
         p50 {:.3} p90 {:.3} p99 {:.3} max {:.3}",
        result.elapsed.as_secs_f64(),
        result.ok,
        result.failed,
        percentile(&result.latencies_us, 0.50),
        percentile(&result.latencies_us, 0.90),
        percentile(&result.latencies_us, 0.99),
        percentile(&result.latencies_us, 1.0),
    )
}

async fn run(settings: Settings) -> Result<(), Error> {
    let mut spawned = None;
    let (url, key, secret, pid) = match (&settings.iamctl, &settings.url) {
        (Some(iamctl), _) => {
            let (child, url, key, secret) = spawn(iamctl, settings.audit_log.as_deref())?;
            let pid = child.child.id();
            spawned = Some(child);
            (url, key, secret, Some(pid))
        }
        (None, Some(url)) => (
            url.clone(),
            settings.access_key_id.clone().ok_or_else(usage)?,
            settings.secret.clone().ok_or_else(usage)?,
            settings.pid,
        ),
        (None, None) => return Err(usage().into()),
    };
    let host: Arc<str> = Arc::from(url.strip_prefix("http://").ok_or("only http:// urls")?);
    let addr: SocketAddr = host.parse()?;
    let user = Keys {
        access_key_id: key,
        secret: SecretKey::new(&secret),
        token: None,
    };
    let rss = |label: &str| {
        if let Some(kib) = pid.and_then(rss_kib) {
            say(&format!("server rss {label}: {} KiB", kib));
        }
    };
    let sampler = pid.map(|pid| {
        tokio::spawn(async move {
            let start = Instant::now();
            loop {
                tokio::time::sleep(Duration::from_secs(10)).await;
                if let Some(kib) = rss_kib(pid) {
                    say(&format!(
                        "server rss at {} s: {kib} KiB",
                        start.elapsed().as_secs()
                    ));
                }
            }
        })
    });
    rss("at start");

    let assume_body = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fdemo-role&RoleSessionName=load";
    // Warm up and fetch temporary credentials for the second phase.
    let (status, body) = one_call(
        addr,
        &form_request(&host, assume_body, &user, SystemClock.now())?,
    )
    .await?;
    if status != 200 {
        return Err(format!("AssumeRole failed with {status}: {body}").into());
    }
    let temporary = Keys {
        access_key_id: xml_text(&body, "AccessKeyId").ok_or("no AccessKeyId")?,
        secret: SecretKey::new(&xml_text(&body, "SecretAccessKey").ok_or("no secret")?),
        token: Some(xml_text(&body, "SessionToken").ok_or("no SessionToken")?),
    };
    say(&format!(
        "connections {}, {} s per phase, at most {} requests per phase",
        settings.connections, settings.seconds, settings.max_requests
    ));
    let mark = CpuMark::now(pid);
    let assume = phase(
        addr,
        Arc::clone(&host),
        Arc::from(assume_body),
        user,
        &settings,
    )
    .await?;
    say(&report("AssumeRole (user keys)", &assume));
    say(&mark.report(pid, &assume));
    rss("after AssumeRole");
    let gci_body = "Action=GetCallerIdentity&Version=2011-06-15";
    let mark = CpuMark::now(pid);
    let gci = phase(
        addr,
        Arc::clone(&host),
        Arc::from(gci_body),
        temporary,
        &settings,
    )
    .await?;
    say(&report("GetCallerIdentity (temporary credentials)", &gci));
    say(&mark.report(pid, &gci));
    rss("at end");
    if let Some(sampler) = sampler {
        sampler.abort();
    }
    drop(spawned);
    Ok(())
}

/// Prints one report line on stdout (a closed stdout is ignored).
fn say(text: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout(), "{text}");
}

fn main() -> std::process::ExitCode {
    let settings = match parse_args() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(settings)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
