//! Shared test support: a scriptable [`MockBackend`] and request helpers.
//!
//! Stage: tests only. Input: per-test closures deciding what the backend answers. Output:
//! the calls the server made, for assertions. It never opens a socket.

#![allow(
    dead_code,
    reason = "each test file uses a different part of the helpers"
)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use iam_server::{
    app, AppConfig, AppState, AuthorizeRequest, AuthorizeResponse, Caller, Decision, Element,
    IssuedCredentials, RawRequest, StsBackend, StsCall, StsFault, StsOutput,
};
use tower::ServiceExt;

type Responder = Box<dyn Fn(&StsCall) -> Result<StsOutput, StsFault> + Send + Sync>;

/// A backend whose answers are set by each test, recording every call it receives.
pub struct MockBackend {
    responder: Responder,
    pub calls: Mutex<Vec<StsCall>>,
    pub authenticated: Mutex<Vec<RawRequest>>,
    pub authorized: Mutex<Vec<AuthorizeRequest>>,
}

pub const GOOD_KEY: &str = "AKIDGOODEXAMPLE";
pub const CALLER_ARN: &str = "arn:aws:iam::123456789012:user/alice";

impl MockBackend {
    /// Answers every call with `responder`.
    pub fn new(
        responder: impl Fn(&StsCall) -> Result<StsOutput, StsFault> + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Self {
            responder: Box::new(responder),
            calls: Mutex::new(Vec::new()),
            authenticated: Mutex::new(Vec::new()),
            authorized: Mutex::new(Vec::new()),
        })
    }

    /// Answers every call with an empty result.
    pub fn empty() -> Arc<Self> {
        Self::new(|_| Ok(StsOutput::new(Vec::new())))
    }

    pub fn calls(&self) -> Vec<StsCall> {
        self.calls.lock().unwrap().clone()
    }

    pub fn authenticated(&self) -> Vec<RawRequest> {
        self.authenticated.lock().unwrap().clone()
    }
}

/// The credential named in an `Authorization` header or an `X-Amz-Credential` parameter.
fn credential_of(request: &RawRequest) -> Option<String> {
    let from_header = request
        .headers
        .iter()
        .find(|(name, _)| name == "authorization")
        .and_then(|(_, value)| value.split("Credential=").nth(1))
        .map(|rest| rest.split('/').next().unwrap_or("").to_owned());
    let from_query = request
        .query
        .split('&')
        .find_map(|piece| piece.strip_prefix("X-Amz-Credential="))
        .map(|rest| rest.split("%2F").next().unwrap_or("").to_owned());
    from_header.or(from_query)
}

impl StsBackend for MockBackend {
    fn call(&self, request: &StsCall) -> Result<StsOutput, StsFault> {
        self.calls.lock().unwrap().push(request.clone());
        (self.responder)(request)
    }

    fn authenticate(&self, signed: RawRequest) -> Result<Caller, StsFault> {
        let credential = credential_of(&signed);
        self.authenticated.lock().unwrap().push(signed);
        match credential.as_deref() {
            Some("AKIDEXPIRED") => Err(StsFault::new(
                "ExpiredToken",
                "The security token included in the request is expired",
                403,
            )),
            Some("AKIDBAD") | None => Err(StsFault::new(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
                403,
            )),
            Some(key) => Ok(Caller::new(CALLER_ARN, key)),
        }
    }

    fn authorize(&self, request: &AuthorizeRequest) -> Result<AuthorizeResponse, StsFault> {
        self.authorized.lock().unwrap().push(request.clone());
        if request
            .signed
            .headers
            .iter()
            .any(|(_, value)| value.contains("AKIDBAD"))
        {
            return Err(StsFault::new(
                "SignatureDoesNotMatch",
                "signature mismatch",
                403,
            ));
        }
        let decision = if request.action == "s3:GetObject" {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        };
        Ok(AuthorizeResponse {
            decision,
            principal: CALLER_ARN.to_owned(),
            explanation: format!("mock decided `{}`", request.action),
            encoded_message: (decision != Decision::Allow).then(|| "bW9jaw".to_owned()),
        })
    }
}

/// An app over `backend` with default limits and no audit log.
pub fn state_for(backend: Arc<MockBackend>) -> AppState {
    AppState::new(backend, AppConfig::default())
}

/// The response parts the tests look at.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn request_id(&self) -> String {
        self.headers
            .get("x-amzn-requestid")
            .expect("x-amzn-RequestId header")
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// Asserts an XML error envelope with `status` and `code`; `case` names the request in
    /// the failure message.
    pub fn assert_xml_error(&self, status: StatusCode, code: &str, case: &str) {
        assert_eq!(self.status, status, "{case}: {}", self.body);
        assert!(
            self.body.contains(&format!("<Code>{code}</Code>")),
            "{case}: {}",
            self.body
        );
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .map(|value| value.to_str().unwrap())
            .unwrap_or("")
    }
}

pub async fn send(state: &AppState, request: Request<Body>) -> Reply {
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

/// [`send`] of a [`signed_post`].
pub async fn send_signed(state: &AppState, body: &str) -> Reply {
    send(state, signed_post(body)).await
}

/// [`send`] of an [`unsigned_post`].
pub async fn send_unsigned(state: &AppState, body: &str) -> Reply {
    send(state, unsigned_post(body)).await
}

/// A backend answering every call with the one text element `name`.
pub fn answering(name: &'static str, value: &'static str) -> Arc<MockBackend> {
    MockBackend::new(move |_| Ok(StsOutput::new(vec![Element::text(name, value)])))
}

/// A signed-looking form POST to `/`.
pub fn signed_post(body: &str) -> Request<Body> {
    signed_post_to("/", body)
}

/// A signed-looking form POST to `target` (a path with an optional query).
pub fn signed_post_to(target: &str, body: &str) -> Request<Body> {
    Request::post(target)
        .header("content-type", "application/x-www-form-urlencoded; charset=utf-8")
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential={GOOD_KEY}/20261129/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=00"),
        )
        .header("x-amz-date", "20261129T082559Z")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// An unsigned form POST to `/`.
pub fn unsigned_post(body: &str) -> Request<Body> {
    Request::post("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// `IAMCTL_DATA/sts-fixtures`, or `None` (and a note) when the variable is unset.
pub fn fixtures() -> Option<PathBuf> {
    match std::env::var_os("IAMCTL_DATA") {
        Some(dir) => Some(PathBuf::from(dir).join("sts-fixtures")),
        None => {
            eprintln!("skipped: IAMCTL_DATA not set");
            None
        }
    }
}

/// A unique temporary file path under Cargo's per-test scratch directory.
pub fn scratch_file(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("iam-server-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}-{}", uuid_like()));
    let _ = std::fs::remove_file(&path);
    path
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}-{nanos}", std::process::id())
}

/// A backend that issues fixed credentials, or refuses `RoleArn=denied` with AccessDenied.
pub const SECRET: &str = "wJalrXUtnFEMIK7MDENGbPxRfiCYSECRETKEY";
pub const TOKEN: &str = "IQoJb3JpZ2luSESSIONTOKENVALUEdoNotLog";
pub const WEB_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.WEBIDENTITYPAYLOAD.sig";

pub fn issuing_backend() -> Arc<MockBackend> {
    MockBackend::new(|call| {
        if call.param("RoleArn") == Some("denied") {
            return Err(StsFault::new("AccessDenied", "not authorized", 403));
        }
        Ok(StsOutput {
            result: vec![Element::nested(
                "Credentials",
                vec![
                    Element::text("AccessKeyId", "ASIAISSUEDKEY"),
                    Element::text("SecretAccessKey", SECRET),
                    Element::text("SessionToken", TOKEN),
                    Element::timestamp("Expiration", 1_796_000_000_000),
                ],
            )],
            issued: Some(IssuedCredentials {
                access_key_id: "ASIAISSUEDKEY".to_owned(),
                expiration_millis: 1_796_000_000_000,
                principal_arn: "arn:aws:sts::123456789012:assumed-role/demo/s".to_owned(),
            }),
        })
    })
}
