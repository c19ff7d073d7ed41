//! Dispatch, parameter parsing, envelopes and status codes of the STS endpoint, through
//! `app(state).oneshot(request)` with a mock backend.

#![cfg(test)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{
    answering, send, send_signed, send_unsigned, signed_post, signed_post_to, state_for,
    MockBackend, CALLER_ARN, GOOD_KEY,
};
use iam_server::{AppConfig, AppState, Element, IssuedCredentials, StsFault, StsOutput};

fn session_credentials() -> StsOutput {
    StsOutput {
        result: vec![
            Element::nested(
                "AssumedRoleUser",
                vec![
                    Element::text("AssumedRoleId", "AROAEXAMPLE:s"),
                    Element::text("Arn", "arn:aws:sts::123456789012:assumed-role/demo/s"),
                ],
            ),
            Element::nested(
                "Credentials",
                vec![
                    Element::text("AccessKeyId", "ASIANEWKEY"),
                    Element::text("SecretAccessKey", "SECRETKEYVALUE"),
                    Element::text("SessionToken", "SESSIONTOKENVALUE"),
                    Element::timestamp("Expiration", 1_514_869_445_000),
                ],
            ),
            Element::integer("PackedPolicySize", 6),
        ],
        issued: Some(IssuedCredentials {
            access_key_id: "ASIANEWKEY".to_owned(),
            expiration_millis: 1_514_869_445_000,
            principal_arn: "arn:aws:sts::123456789012:assumed-role/demo/s".to_owned(),
        }),
    }
}

fn params_of(call: &iam_server::StsCall) -> Vec<(&str, &str)> {
    call.params
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

#[tokio::test]
async fn post_form_dispatches_with_decoded_params_and_renders_xml() {
    let backend = MockBackend::new(|_| Ok(session_credentials()));
    let state = state_for(backend.clone());
    let reply = send_signed(&state, "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=s").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type(), "text/xml");
    let id = reply.request_id();
    let expected = format!(
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <AssumeRoleResult>\n    <AssumedRoleUser>\n      <AssumedRoleId>AROAEXAMPLE:s</AssumedRoleId>\n      <Arn>arn:aws:sts::123456789012:assumed-role/demo/s</Arn>\n    </AssumedRoleUser>\n    <Credentials>\n      <AccessKeyId>ASIANEWKEY</AccessKeyId>\n      <SecretAccessKey>SECRETKEYVALUE</SecretAccessKey>\n      <SessionToken>SESSIONTOKENVALUE</SessionToken>\n      <Expiration>2018-01-02T05:04:05Z</Expiration>\n    </Credentials>\n    <PackedPolicySize>6</PackedPolicySize>\n  </AssumeRoleResult>\n  <ResponseMetadata>\n    <RequestId>{id}</RequestId>\n  </ResponseMetadata>\n</AssumeRoleResponse>\n"
    );
    assert_eq!(reply.body, expected);

    let calls = backend.calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.action, "AssumeRole");
    assert_eq!(call.version, "2011-06-15");
    assert_eq!(call.request_id, id);
    assert_eq!(
        params_of(call),
        vec![
            ("RoleArn", "arn:aws:iam::123456789012:role/demo"),
            ("RoleSessionName", "s")
        ]
    );
    let caller = call.caller.as_ref().expect("a signed call has a caller");
    assert_eq!(caller.arn, CALLER_ARN);
    assert_eq!(caller.access_key_id, GOOD_KEY);
}

#[tokio::test]
async fn request_ids_are_uuid_v4() {
    let state = state_for(MockBackend::empty());
    let first = send_unsigned(&state, "Action=Nope").await.request_id();
    let second = send_unsigned(&state, "Action=Nope").await.request_id();
    assert_ne!(first, second);
    for id in [first, second] {
        let parsed = uuid::Uuid::parse_str(&id).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(id, parsed.hyphenated().to_string());
    }
}

#[tokio::test]
async fn get_query_string_dispatches_like_a_post() {
    let backend = MockBackend::new(|_| {
        Ok(StsOutput::new(vec![
            Element::text("Arn", CALLER_ARN),
            Element::text("UserId", "AIDAEXAMPLE"),
            Element::text("Account", "123456789012"),
        ]))
    });
    let state = state_for(backend.clone());
    let request = Request::get("/?Action=GetCallerIdentity&Version=2011-06-15")
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential={GOOD_KEY}/x"),
        )
        .body(Body::empty())
        .unwrap();
    let reply = send(&state, request).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.contains("<GetCallerIdentityResult>\n    <Arn>arn:aws:iam::123456789012:user/alice</Arn>\n    <UserId>AIDAEXAMPLE</UserId>\n    <Account>123456789012</Account>\n  </GetCallerIdentityResult>"), "{}", reply.body);
    assert_eq!(backend.calls()[0].params, Vec::<(String, String)>::new());
    let signed = &backend.authenticated()[0];
    assert_eq!(signed.method, "GET");
    assert_eq!(signed.path, "/");
    assert_eq!(signed.query, "Action=GetCallerIdentity&Version=2011-06-15");
}

#[tokio::test]
async fn unknown_action_is_invalid_action_400_with_the_aws_message() {
    let backend = MockBackend::empty();
    let state = state_for(backend.clone());
    let reply = send_signed(&state, "Action=DeleteEverything&Version=2011-06-15").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.content_type(), "text/xml");
    let id = reply.request_id();
    assert_eq!(
        reply.body,
        format!("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <Error>\n    <Type>Sender</Type>\n    <Code>InvalidAction</Code>\n    <Message>Could not find operation DeleteEverything for version 2011-06-15</Message>\n  </Error>\n  <RequestId>{id}</RequestId>\n</ErrorResponse>\n")
    );
    assert!(backend.calls().is_empty());
    assert!(
        backend.authenticated().is_empty(),
        "dispatch comes before authentication"
    );
}

#[tokio::test]
async fn out_of_scope_operations_are_invalid_action() {
    let state = state_for(MockBackend::empty());
    for action in [
        "AssumeRoot",
        "GetWebIdentityToken",
        "GetDelegatedAccessToken",
        "GetScopedCredentials",
        "assumerole",
    ] {
        let reply = send_signed(&state, &format!("Action={action}&Version=2011-06-15")).await;
        reply.assert_xml_error(StatusCode::BAD_REQUEST, "InvalidAction", action);
    }
}

#[tokio::test]
async fn wrong_or_missing_version_is_invalid_action() {
    let state = state_for(MockBackend::empty());
    let reply = send_signed(&state, "Action=GetCallerIdentity&Version=2010-05-08").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains(
        "<Message>Could not find operation GetCallerIdentity for version 2010-05-08</Message>"
    ));
    let reply = send_signed(&state, "Action=GetCallerIdentity").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("<Message>Could not find operation GetCallerIdentity for version NO_VERSION_SPECIFIED</Message>"));
}

#[tokio::test]
async fn missing_action_is_missing_action_400() {
    let state = state_for(MockBackend::empty());
    for body in [
        "",
        "Version=2011-06-15",
        "action=GetCallerIdentity&Version=2011-06-15",
    ] {
        let reply = send_signed(&state, body).await;
        reply.assert_xml_error(
            StatusCode::BAD_REQUEST,
            "MissingAction",
            &format!("{body:?}"),
        );
    }
}

#[tokio::test]
async fn unsigned_request_for_a_signed_operation_is_missing_authentication_token() {
    let backend = MockBackend::empty();
    let state = state_for(backend.clone());
    for action in [
        "GetCallerIdentity",
        "AssumeRole",
        "GetSessionToken",
        "GetFederationToken",
        "DecodeAuthorizationMessage",
        "GetAccessKeyInfo",
    ] {
        let reply = send_unsigned(&state, &format!("Action={action}&Version=2011-06-15")).await;
        reply.assert_xml_error(StatusCode::FORBIDDEN, "MissingAuthenticationToken", action);
        assert!(reply.body.contains("<Type>Sender</Type>"));
    }
    assert!(backend.calls().is_empty());
}

#[tokio::test]
async fn web_identity_and_saml_are_served_unsigned_and_a_signature_is_ignored() {
    let backend = MockBackend::empty();
    let state = state_for(backend.clone());
    let reply = send_unsigned(&state, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=r&RoleSessionName=s&WebIdentityToken=eyJ").await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = send_signed(
        &state,
        "Action=AssumeRoleWithSAML&Version=2011-06-15&SAMLAssertion=PHNhbWw%2B",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let calls = backend.calls();
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|call| call.caller.is_none()));
    assert_eq!(calls[1].param("SAMLAssertion"), Some("PHNhbWw+"));
    assert!(backend.authenticated().is_empty());
}

#[tokio::test]
async fn presigned_get_is_authenticated_and_auth_parameters_stay_out_of_params() {
    let backend = MockBackend::empty();
    let state = state_for(backend.clone());
    let target = "/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDPRESIGNED%2F20261129%2Feu-west-1%2Fsts%2Faws4_request&X-Amz-Date=20261129T082600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Security-Token=IQo%2B%2F%3D%3D&X-Amz-Signature=b0";
    let request = Request::get(target)
        .header("host", "127.0.0.1:18443")
        .body(Body::empty())
        .unwrap();
    let reply = send(&state, request).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let signed = &backend.authenticated()[0];
    assert_eq!(signed.query, target.trim_start_matches("/?"));
    assert!(signed
        .headers
        .contains(&("host".to_owned(), "127.0.0.1:18443".to_owned())));
    let call = &backend.calls()[0];
    assert!(call.params.is_empty(), "{:?}", call.params);
    assert_eq!(call.caller.as_ref().unwrap().access_key_id, "AKIDPRESIGNED");
}

#[tokio::test]
async fn authentication_faults_pass_through_with_their_status() {
    let backend = MockBackend::empty();
    let state = state_for(backend.clone());
    let request = Request::post("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXPIRED/20261129/us-east-1/sts/aws4_request",
        )
        .body(Body::from("Action=GetCallerIdentity&Version=2011-06-15"))
        .unwrap();
    let reply = send(&state, request).await;
    reply.assert_xml_error(StatusCode::FORBIDDEN, "ExpiredToken", "expired key");
    assert!(reply
        .body
        .contains("<Message>The security token included in the request is expired</Message>"));
    assert!(
        backend.calls().is_empty(),
        "call must not run after a failed authentication"
    );
}

#[tokio::test]
async fn backend_faults_keep_code_status_and_side() {
    let backend = MockBackend::new(|call| match call.param("RoleArn") {
        Some("denied") => Err(StsFault::new(
            "AccessDenied",
            "User: a is not authorized to perform: sts:AssumeRole on resource: <b> & c",
            403,
        )),
        Some("busy") => Err(StsFault::new("ServiceUnavailable", "try later", 503)),
        _ => Err(StsFault::new(
            "ValidationError",
            "1 validation error detected",
            400,
        )),
    });
    let state = state_for(backend);
    let reply = send_signed(
        &state,
        "Action=AssumeRole&Version=2011-06-15&RoleArn=denied",
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.body.contains("<Message>User: a is not authorized to perform: sts:AssumeRole on resource: &lt;b&gt; &amp; c</Message>"), "{}", reply.body);
    let reply = send_signed(&state, "Action=AssumeRole&Version=2011-06-15&RoleArn=busy").await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(reply.body.contains("<Type>Receiver</Type>"));
    let reply = send_signed(&state, "Action=AssumeRole&Version=2011-06-15").await;
    reply.assert_xml_error(StatusCode::BAD_REQUEST, "ValidationError", "no role");
}

#[tokio::test]
async fn a_panicking_backend_is_an_internal_failure_not_a_crash() {
    let backend = MockBackend::new(|_| panic!("backend bug"));
    let state = state_for(backend);
    let reply = send_signed(&state, "Action=GetCallerIdentity&Version=2011-06-15").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(reply
        .body
        .contains("<Type>Receiver</Type>\n    <Code>InternalFailure</Code>"));
}

#[tokio::test]
async fn accept_json_renders_the_json_envelope_with_epoch_seconds() {
    let state = state_for(MockBackend::new(|_| Ok(session_credentials())));
    let mut request = signed_post("Action=AssumeRole&Version=2011-06-15");
    request
        .headers_mut()
        .insert("accept", "application/json".parse().unwrap());
    let reply = send(&state, request).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type(), "application/json");
    let id = reply.request_id();
    assert_eq!(
        reply.body,
        format!("{{\"AssumeRoleResponse\":{{\"AssumeRoleResult\":{{\"AssumedRoleUser\":{{\"AssumedRoleId\":\"AROAEXAMPLE:s\",\"Arn\":\"arn:aws:sts::123456789012:assumed-role/demo/s\"}},\"Credentials\":{{\"AccessKeyId\":\"ASIANEWKEY\",\"SecretAccessKey\":\"SECRETKEYVALUE\",\"SessionToken\":\"SESSIONTOKENVALUE\",\"Expiration\":1.514869445E9}},\"PackedPolicySize\":6}},\"ResponseMetadata\":{{\"RequestId\":\"{id}\"}}}}}}")
    );
    let parsed: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(
        parsed["AssumeRoleResponse"]["AssumeRoleResult"]["Credentials"]["Expiration"],
        1_514_869_445.0
    );
}

#[tokio::test]
async fn accept_json_renders_errors_as_json_too() {
    let state = state_for(MockBackend::empty());
    let request = Request::post("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html, application/json;q=0.9")
        .body(Body::from("Action=GetCallerIdentity&Version=2011-06-15"))
        .unwrap();
    let reply = send(&state, request).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.content_type(), "application/json");
    let parsed: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(parsed["Error"]["Code"], "MissingAuthenticationToken");
    assert_eq!(parsed["Error"]["Type"], "Sender");
    assert_eq!(parsed["RequestId"], reply.request_id());
}

#[tokio::test]
async fn list_parameters_arrive_flattened_in_order() {
    let backend = MockBackend::empty();
    let state = state_for(backend.clone());
    let body = "Action=AssumeRole&Version=2011-06-15&RoleArn=r&RoleSessionName=s\
        &PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess\
        &PolicyArns.member.2.arn=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2FRole1policy\
        &Tags.member.1.Key=Project&Tags.member.1.Value=Blue+Sky\
        &Tags.member.2.Key=Cost-Center&Tags.member.2.Value=12345\
        &TransitiveTagKeys.member.1=Project";
    let reply = send_signed(&state, body).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let call = &backend.calls()[0];
    assert_eq!(
        params_of(call),
        vec![
            ("RoleArn", "r"),
            ("RoleSessionName", "s"),
            (
                "PolicyArns.member.1.arn",
                "arn:aws:iam::aws:policy/ReadOnlyAccess"
            ),
            (
                "PolicyArns.member.2.arn",
                "arn:aws:iam::123456789012:policy/Role1policy"
            ),
            ("Tags.member.1.Key", "Project"),
            ("Tags.member.1.Value", "Blue Sky"),
            ("Tags.member.2.Key", "Cost-Center"),
            ("Tags.member.2.Value", "12345"),
            ("TransitiveTagKeys.member.1", "Project"),
        ]
    );
}

#[tokio::test]
async fn empty_list_markers_and_empty_values_are_kept() {
    let backend = MockBackend::empty();
    let state = state_for(backend.clone());
    let reply = send_signed(
        &state,
        "Action=AssumeRole&Version=2011-06-15&PolicyArns=&Tags=&ExternalId=&SourceIdentity",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        params_of(&backend.calls()[0]),
        vec![
            ("PolicyArns", ""),
            ("Tags", ""),
            ("ExternalId", ""),
            ("SourceIdentity", "")
        ]
    );
}

#[tokio::test]
async fn plus_and_percent_twenty_both_decode_to_a_space_and_percent_2b_to_plus() {
    let backend = MockBackend::empty();
    let state = state_for(backend.clone());
    let reply = send_signed(&state, "Action=AssumeRole&Version=2011-06-15&Tags.member.1.Value=Blue+Sky&Tags.member.1.Key=Blue%20Sky&ExternalId=a%2Bb%2A").await;
    assert_eq!(reply.status, StatusCode::OK);
    let call = &backend.calls()[0];
    assert_eq!(call.param("Tags.member.1.Value"), Some("Blue Sky"));
    assert_eq!(call.param("Tags.member.1.Key"), Some("Blue Sky"));
    assert_eq!(call.param("ExternalId"), Some("a+b*"));
}

#[tokio::test]
async fn repeated_keys_are_rejected_in_the_body_and_across_query_and_body() {
    let backend = MockBackend::empty();
    let state = state_for(backend.clone());
    let reply = send_signed(
        &state,
        "Action=AssumeRole&Version=2011-06-15&RoleArn=a&RoleArn=b",
    )
    .await;
    reply.assert_xml_error(StatusCode::BAD_REQUEST, "ValidationError", "repeated key");
    assert!(reply
        .body
        .contains("parameter `RoleArn` appears more than once"));
    let request = signed_post_to(
        "/?Action=GetCallerIdentity",
        "Action=AssumeRole&Version=2011-06-15",
    );
    let reply = send(&state, request).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(backend.calls().is_empty());
}

#[tokio::test]
async fn query_and_body_parameters_merge_when_distinct() {
    let backend = MockBackend::empty();
    let state = state_for(backend.clone());
    let request = signed_post_to("/?Action=GetCallerIdentity", "Version=2011-06-15");
    assert_eq!(send(&state, request).await.status, StatusCode::OK);
}

#[tokio::test]
async fn list_gaps_are_rejected_before_the_backend() {
    let backend = MockBackend::empty();
    let state = state_for(backend.clone());
    let reply = send_signed(
        &state,
        "Action=AssumeRole&Version=2011-06-15&Tags.member.1.Key=a&Tags.member.3.Key=b",
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("list `Tags.member`"), "{}", reply.body);
    assert!(backend.calls().is_empty());
}

#[tokio::test]
async fn malformed_escapes_are_malformed_query_string_and_values_are_not_echoed() {
    let state = state_for(MockBackend::empty());
    let reply = send_unsigned(
        &state,
        "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken=sekrit%zz",
    )
    .await;
    reply.assert_xml_error(StatusCode::NOT_FOUND, "MalformedQueryString", "bad escape");
    assert!(!reply.body.contains("sekrit"));
    let request = Request::get("/?Action=GetCallerIdentity&Version=2011-06-15&X=%C3%28")
        .body(Body::empty())
        .unwrap();
    let reply = send(&state, request).await;
    assert!(reply.body.contains("<Code>MalformedQueryString</Code>"));
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_request_entity_too_large() {
    let config = AppConfig {
        max_body_bytes: 64,
        ..AppConfig::default()
    };
    let backend = MockBackend::empty();
    let state = AppState::new(backend.clone(), config);
    let body = format!(
        "Action=GetCallerIdentity&Version=2011-06-15&Pad={}",
        "x".repeat(64)
    );
    let reply = send_signed(&state, &body).await;
    reply.assert_xml_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "RequestEntityTooLarge",
        "oversized body",
    );
    assert!(backend.calls().is_empty());
    let fits = "Action=GetCallerIdentity&Version=2011-06-15";
    assert_eq!(send_signed(&state, fits).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_default_limit_accepts_a_large_saml_assertion() {
    let backend = MockBackend::empty();
    let state = state_for(backend.clone());
    let assertion = "A%2B".repeat(100_000);
    let reply = send_unsigned(
        &state,
        &format!("Action=AssumeRoleWithSAML&Version=2011-06-15&SAMLAssertion={assertion}"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        backend.calls()[0].param("SAMLAssertion").map(str::len),
        Some(200_000)
    );
}

#[tokio::test]
async fn a_post_body_of_another_content_type_is_not_read_as_parameters() {
    let state = state_for(MockBackend::empty());
    let request = Request::post("/")
        .header("content-type", "application/json")
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential={GOOD_KEY}/x"),
        )
        .body(Body::from("Action=GetCallerIdentity&Version=2011-06-15"))
        .unwrap();
    let reply = send(&state, request).await;
    reply.assert_xml_error(StatusCode::BAD_REQUEST, "MissingAction", "no action");
}

#[tokio::test]
async fn other_methods_get_405_with_an_error_envelope() {
    let state = state_for(MockBackend::empty());
    let request = Request::put("/?Action=GetCallerIdentity&Version=2011-06-15")
        .body(Body::empty())
        .unwrap();
    let reply = send(&state, request).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(reply.body.starts_with("<ErrorResponse"));
    assert!(reply.body.contains("<Code>MethodNotAllowed</Code>"));
}

#[tokio::test]
async fn xml_text_is_escaped_and_forbidden_characters_replaced() {
    let backend = answering("DecodedMessage", "{\"allowed\":false,\"x\":\"<a&b>\u{0}\"}");
    let state = state_for(backend);
    let reply = send_signed(
        &state,
        "Action=DecodeAuthorizationMessage&Version=2011-06-15&EncodedMessage=x",
    )
    .await;
    assert!(reply.body.contains("<DecodedMessage>{\"allowed\":false,\"x\":\"&lt;a&amp;b&gt;\u{FFFD}\"}</DecodedMessage>"), "{}", reply.body);
}

#[tokio::test]
async fn a_body_that_never_arrives_is_408_request_timeout() {
    let config = AppConfig {
        body_read_timeout: std::time::Duration::from_millis(100),
        ..AppConfig::default()
    };
    let backend = MockBackend::empty();
    let state = AppState::new(backend.clone(), config);
    let request = Request::post("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::new(Stalled))
        .unwrap();
    let reply = send(&state, request).await;
    reply.assert_xml_error(
        StatusCode::REQUEST_TIMEOUT,
        "RequestTimeout",
        "stalled body",
    );
    assert!(backend.calls().is_empty());
}

/// A body whose next frame never arrives (a client that stops sending).
struct Stalled;

impl hyper::body::Body for Stalled {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Pending
    }
}
