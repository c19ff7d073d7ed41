//! Byte-level checks against recorded AWS responses and replay of captured SDK requests
//! (`IAMCTL_DATA/sts-fixtures`).

#![cfg(test)]

mod common;

use std::fs;
use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{fixtures, send, send_signed, state_for, MockBackend};
use iam_server::{Element, StsFault, StsOutput, Value};
use quick_xml::events::Event;
use quick_xml::Reader;

/// A parsed XML element: name, text, children.
#[derive(Debug, Clone)]
struct Node {
    name: String,
    text: String,
    children: Vec<Node>,
}

fn parse_xml(text: &str) -> Node {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Node> = vec![Node {
        name: String::new(),
        text: String::new(),
        children: Vec::new(),
    }];
    loop {
        match reader.read_event().unwrap() {
            Event::Start(start) => stack.push(Node {
                name: String::from_utf8(start.name().as_ref().to_vec()).unwrap(),
                text: String::new(),
                children: Vec::new(),
            }),
            Event::Text(text) => {
                let decoded = text.decode().unwrap();
                stack.last_mut().unwrap().text.push_str(&decoded);
            }
            Event::GeneralRef(reference) => {
                let name = reference.decode().unwrap();
                let resolved = match name.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity {other}"),
                };
                stack.last_mut().unwrap().text.push_str(resolved);
            }
            Event::End(_) => {
                let node = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(node);
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) => {}
            other => panic!("unexpected XML event {other:?}"),
        }
    }
    stack.pop().unwrap().children.remove(0)
}

fn to_element(node: &Node) -> Element {
    if node.children.is_empty() {
        Element::text(node.name.clone(), node.text.clone())
    } else {
        Element::nested(
            node.name.clone(),
            node.children.iter().map(to_element).collect(),
        )
    }
}

fn child<'a>(node: &'a Node, name: &str) -> &'a Node {
    node.children
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no <{name}>"))
}

/// Serves the response recorded in `xml` through the app and compares the body byte for byte.
async fn replay_response(xml: &str, status: u16) {
    let root = parse_xml(xml);
    let (action, outcome, request_id) = if root.name == "ErrorResponse" {
        let error = child(&root, "Error");
        let mut fault = StsFault::new(
            child(error, "Code").text.clone(),
            child(error, "Message").text.clone(),
            status,
        );
        assert_eq!(fault.side.as_str(), child(error, "Type").text);
        fault.http_status = status;
        (
            "GetSessionToken".to_owned(),
            Err(fault),
            child(&root, "RequestId").text.clone(),
        )
    } else {
        let action = root.name.strip_suffix("Response").unwrap().to_owned();
        let result = child(&root, &format!("{action}Result"));
        let elements = result.children.iter().map(to_element).collect();
        let id = child(child(&root, "ResponseMetadata"), "RequestId")
            .text
            .clone();
        (action, Ok(StsOutput::new(elements)), id)
    };
    let backend = MockBackend::new(move |_| outcome.clone());
    let state = state_for(backend);
    let request = Request::post("/")
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDFIXTURE/20261129/us-east-1/sts/aws4_request",
        )
        .body(Body::from(format!("Action={action}&Version=2011-06-15")))
        .unwrap();
    let reply = send(&state, request).await;
    assert_eq!(reply.status.as_u16(), status);
    assert_eq!(reply.content_type(), "text/xml");
    let ours = reply.body.replace(&reply.request_id(), &request_id);
    assert_eq!(ours, xml, "rendered body differs from the recorded one");
}

/// A botocore response-parsing fixture (`responses/…` or `errors/…`), or `None` without
/// `IAMCTL_DATA`.
fn botocore_response(relative: &str) -> Option<String> {
    let dir = fixtures()?;
    Some(fs::read_to_string(dir.join("botocore/response-parsing").join(relative)).unwrap())
}

#[tokio::test]
async fn botocore_get_session_token_success_renders_byte_for_byte() {
    let Some(xml) = botocore_response("responses/sts-get-session-token.xml") else {
        return;
    };
    replay_response(&xml, 200).await;
}

#[tokio::test]
async fn botocore_access_denied_error_renders_byte_for_byte() {
    let Some(xml) = botocore_response("errors/sts-get-session-token.xml") else {
        return;
    };
    replay_response(&xml, 403).await;
}

#[tokio::test]
async fn typed_timestamp_with_milliseconds_matches_the_botocore_fixture() {
    let Some(xml) = botocore_response("responses/sts-get-session-token.xml") else {
        return;
    };
    let root = parse_xml(&xml);
    let credentials = child(child(&root, "GetSessionTokenResult"), "Credentials");
    let mut elements: Vec<Element> = credentials.children.iter().map(to_element).collect();
    for element in &mut elements {
        if element.name == "Expiration" {
            // 2011-07-11T19:55:29.611Z
            element.value = Value::Timestamp(1_310_414_129_611);
        }
    }
    let output = StsOutput::new(vec![Element::nested("Credentials", elements)]);
    let state = state_for(MockBackend::new(move |_| Ok(output.clone())));
    let reply = send_signed(&state, "Action=GetSessionToken&Version=2011-06-15").await;
    let id = child(child(&root, "ResponseMetadata"), "RequestId")
        .text
        .clone();
    assert_eq!(reply.body.replace(&reply.request_id(), &id), xml);
}

/// Every recorded STS XML response in the smithy-rs traffic files.
fn smithy_responses(dir: &Path) -> Vec<(String, String, u16)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.join("smithy-rs-aws-config")];
    while let Some(path) = stack.pop() {
        for entry in fs::read_dir(&path).unwrap() {
            let entry = entry.unwrap().path();
            if entry.is_dir() {
                stack.push(entry);
            } else if entry.file_name().unwrap() == "http-traffic.json" {
                let traffic: serde_json::Value =
                    serde_json::from_str(&fs::read_to_string(&entry).unwrap()).unwrap();
                let mut status = 0;
                for event in traffic["events"].as_array().unwrap() {
                    let action = &event["action"];
                    if let Some(code) = action["Response"]["response"]["Ok"]["status"].as_u64() {
                        status = u16::try_from(code).unwrap();
                    }
                    let data = &action["Data"];
                    if data["direction"] == "Response" {
                        if let Some(text) = data["data"]["Utf8"].as_str() {
                            if text.contains("xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"")
                            {
                                found.push((entry.display().to_string(), text.to_owned(), status));
                            }
                        }
                    }
                }
            }
        }
    }
    found.sort();
    found
}

#[tokio::test]
async fn smithy_rs_recorded_aws_responses_render_byte_for_byte() {
    let Some(dir) = fixtures() else { return };
    let responses = smithy_responses(&dir);
    assert!(
        responses.len() >= 5,
        "expected recorded STS responses, found {}",
        responses.len()
    );
    let mut kinds = std::collections::BTreeSet::new();
    for (file, xml, status) in &responses {
        eprintln!("replaying {file}");
        kinds.insert(parse_xml(xml).name);
        replay_response(xml, *status).await;
    }
    for kind in [
        "AssumeRoleResponse",
        "AssumeRoleWithWebIdentityResponse",
        "ErrorResponse",
    ] {
        assert!(kinds.contains(kind), "no {kind} among the recordings");
    }
}

#[tokio::test]
async fn captured_sdk_requests_dispatch_and_reach_the_backend_intact() {
    let Some(dir) = fixtures() else { return };
    let mut replayed = 0;
    for name in [
        "botocore-1.44.8.json",
        "awscli-1.46.3.json",
        "aws-sdk-js-v3-3.1177.json",
        "aws-sdk-rust-sts-1.124.json",
    ] {
        let capture: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.join("captured").join(name)).unwrap())
                .unwrap();
        for captured in capture["requests"].as_array().unwrap() {
            let operation = captured["operation"].as_str().unwrap();
            let body = captured["body"].as_str().unwrap().to_owned();
            let mut builder = Request::builder()
                .method(captured["method"].as_str().unwrap())
                .uri(captured["target"].as_str().unwrap());
            for header in captured["headers"].as_array().unwrap() {
                builder = builder.header(header[0].as_str().unwrap(), header[1].as_str().unwrap());
            }
            let backend = MockBackend::empty();
            let state = state_for(backend.clone());
            let reply = send(&state, builder.body(Body::from(body.clone())).unwrap()).await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "{name} {operation}: {}",
                reply.body
            );
            assert!(
                reply.body.starts_with(&format!("<{operation}Response ")),
                "{name} {operation}"
            );
            let calls = backend.calls();
            assert_eq!(calls.len(), 1);
            assert_eq!(calls[0].action, operation);
            let authenticated = backend.authenticated();
            if captured["signed"].as_bool().unwrap() {
                assert_eq!(authenticated.len(), 1, "{name} {operation}");
                assert_eq!(authenticated[0].body, body.as_bytes(), "{name} {operation}");
                let authorization = captured["headers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case("authorization"));
                if let Some(header) = authorization {
                    assert!(authenticated[0].headers.contains(&(
                        "authorization".to_owned(),
                        header[1].as_str().unwrap().to_owned()
                    )));
                }
            } else {
                assert!(authenticated.is_empty(), "{name} {operation} is unsigned");
                assert!(calls[0].caller.is_none());
            }
            assert!(calls[0]
                .params
                .iter()
                .all(|(n, _)| n != "Action" && n != "Version" && !n.starts_with("X-Amz-")));
            replayed += 1;
        }
    }
    assert!(replayed >= 20, "replayed only {replayed} captured requests");
}

#[tokio::test]
async fn captured_presigned_urls_are_authenticated_with_their_raw_query() {
    let Some(dir) = fixtures() else { return };
    let capture: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(dir.join("captured/botocore-1.44.8.json")).unwrap(),
    )
    .unwrap();
    let urls = capture["presigned_urls"].as_object().unwrap();
    assert!(!urls.is_empty());
    let mut replayed = 0;
    for (label, url) in urls {
        let url = url.as_str().unwrap();
        let Some(start) = url.find("/?") else {
            continue;
        }; // the `note` entry
        let (_, target) = url.split_at(start);
        replayed += 1;
        let backend = MockBackend::empty();
        let state = state_for(backend.clone());
        let request = Request::get(target)
            .header("host", "127.0.0.1:18443")
            .body(Body::empty())
            .unwrap();
        let reply = send(&state, request).await;
        assert_eq!(reply.status, StatusCode::OK, "{label}");
        let authenticated = backend.authenticated();
        assert_eq!(authenticated.len(), 1, "{label}");
        assert_eq!(
            authenticated[0].query,
            target.trim_start_matches("/?"),
            "{label}"
        );
        assert!(backend.calls()[0].params.is_empty(), "{label}");
    }
    assert_eq!(replayed, 2);
}
