//! Logs never contain secrets, whole tokens or parameter values.
//!
//! This test installs a process-wide tracing subscriber, so it lives in its own test
//! binary: with other tests running in parallel threads, a thread-local subscriber can
//! miss events whose callsite interest another thread cached first.

#![cfg(test)]

mod common;

use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use common::{
    issuing_backend, send, send_signed, state_for, unsigned_post, MockBackend, SECRET, TOKEN,
    WEB_TOKEN,
};
use iam_server::StsFault;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_never_contain_secrets_tokens_or_parameter_values() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let state = state_for(issuing_backend());
    let ok = send_signed(
        &state,
        &format!("Action=AssumeRole&Version=2011-06-15&RoleArn=r&Policy={TOKEN}x"),
    )
    .await;
    let mut with_token = unsigned_post(&format!(
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken={WEB_TOKEN}"
    ));
    with_token
        .headers_mut()
        .insert("x-amz-security-token", TOKEN.parse().unwrap());
    send(&state, with_token).await;
    send_signed(
        &state,
        "Action=AssumeRole&Version=2011-06-15&RoleArn=denied",
    )
    .await;
    let crash = state_for(MockBackend::new(|_| {
        Err(StsFault::internal("backend exploded"))
    }));
    send_signed(
        &crash,
        &format!("Action=GetSessionToken&Version=2011-06-15&TokenCode={WEB_TOKEN}"),
    )
    .await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains(&ok.request_id()),
        "the request was logged:\n{logs}"
    );
    assert!(
        logs.contains("ASIAISSUEDKEY"),
        "issued key ids may be logged:\n{logs}"
    );
    assert!(logs.contains("AccessDenied"));
    assert!(logs.contains("ERROR"), "5xx is logged as an error:\n{logs}");
    for secret in [
        SECRET,
        TOKEN,
        WEB_TOKEN,
        "WEBIDENTITYPAYLOAD",
        "SESSIONTOKENVALUE",
    ] {
        assert!(
            !logs.contains(secret),
            "`{secret}` leaked into the logs:\n{logs}"
        );
    }
}
