//! Properties of evaluation: adding a Deny never turns a deny into an allow; adding a
//! boundary or a session layer never widens; evaluation never panics.
#![expect(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    reason = "test helpers index fixed tables and fail loudly on fixture errors"
)]

use std::sync::Arc;

use iam_policy::layers::ResourceKind;
use iam_policy::{CompileOptions, Decision, Layers, PolicySet, PolicyType, Request};
use proptest::prelude::*;

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:*",
    "ec2:Describe*",
    "*",
    "iam:?etUser",
    "sqs:SendMessage",
];
const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::data/*",
    "arn:aws:s3:::data/x",
    "arn:aws:s3:*",
    "arn:aws:ec2:*:111122223333:instance/*",
    "arn:aws:sqs:us-east-1:444455556666:q",
];
const PRINCIPALS: &[&str] = &[
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::444455556666:user/bob",
    "arn:aws:sts::111122223333:assumed-role/app/s1",
    "arn:aws:sts::111122223333:federated-user/fed1",
    "arn:aws:iam::111122223333:root",
    "anonymous",
    "sns.amazonaws.com",
];
const POLICY_PRINCIPALS: &[&str] = &[
    r#""*""#,
    r#"{"AWS":"111122223333"}"#,
    r#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#,
    r#"{"AWS":"arn:aws:iam::111122223333:role/team/app"}"#,
    r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/app/s1"}"#,
    r#"{"Service":"sns.amazonaws.com"}"#,
];
const CONDITIONS: &[&str] = &[
    "",
    r#","Condition":{"StringEquals":{"aws:username":"alice"}}"#,
    r#","Condition":{"Bool":{"aws:SecureTransport":"true"}}"#,
];

#[derive(Debug, Clone)]
struct Stmt {
    deny: bool,
    not_action: bool,
    action: usize,
    resource: usize,
    principal: usize,
    condition: usize,
}

fn stmt() -> impl Strategy<Value = Stmt> {
    (
        any::<bool>(),
        any::<bool>(),
        0..ACTIONS.len(),
        0..RESOURCES.len(),
        0..POLICY_PRINCIPALS.len(),
        0..CONDITIONS.len(),
    )
        .prop_map(
            |(deny, not_action, action, resource, principal, condition)| Stmt {
                deny,
                not_action,
                action,
                resource,
                principal,
                condition,
            },
        )
}

fn render(stmts: &[Stmt], with_principal: bool) -> String {
    let body: Vec<String> = stmts
        .iter()
        .map(|s| {
            let principal = if with_principal {
                format!(r#""Principal":{},"#, POLICY_PRINCIPALS[s.principal])
            } else {
                String::new()
            };
            format!(
                r#"{{"Effect":"{}",{principal}"{}":"{}","Resource":"{}"{}}}"#,
                if s.deny { "Deny" } else { "Allow" },
                if s.not_action { "NotAction" } else { "Action" },
                ACTIONS[s.action],
                RESOURCES[s.resource],
                CONDITIONS[s.condition]
            )
        })
        .collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        body.join(",")
    )
}

fn set(stmts: &[Stmt], t: PolicyType) -> Arc<PolicySet> {
    let with_principal = matches!(t, PolicyType::Resource);
    Arc::new(
        PolicySet::from_json(
            &render(stmts, with_principal),
            t,
            &CompileOptions::default(),
        )
        .unwrap(),
    )
}

#[derive(Debug, Clone)]
struct Scenario {
    identity: Vec<Stmt>,
    resource: Option<Vec<Stmt>>,
    kms: bool,
    scp: Option<Vec<Stmt>>,
    principal: usize,
    action: usize,
    resource_arn: usize,
    username: bool,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        prop::collection::vec(stmt(), 1..4),
        prop::option::of(prop::collection::vec(stmt(), 1..4)),
        any::<bool>(),
        prop::option::of(prop::collection::vec(stmt(), 1..3)),
        0..PRINCIPALS.len(),
        0..ACTIONS.len(),
        0..RESOURCES.len(),
        any::<bool>(),
    )
        .prop_map(
            |(identity, resource, kms, scp, principal, action, resource_arn, username)| Scenario {
                identity,
                resource,
                kms,
                scp,
                principal,
                action,
                resource_arn,
                username,
            },
        )
}

fn layers(s: &Scenario) -> Layers {
    let mut l = Layers::new().identity(set(&s.identity, PolicyType::Identity));
    if let Some(r) = &s.resource {
        l = l.resource(
            set(r, PolicyType::Resource),
            if s.kms {
                ResourceKind::KmsKey
            } else {
                ResourceKind::Standard
            },
        );
    }
    if let Some(scp) = &s.scp {
        l = l.scp_level(vec![set(scp, PolicyType::Scp)]);
    }
    l
}

fn request(s: &Scenario) -> Request {
    // Request actions must be concrete: replace wildcards.
    let action = ACTIONS[s.action].replace(['*', '?'], "x");
    let action = if action == "x" {
        "s3:GetObject".to_string()
    } else {
        action
    };
    let resource = match RESOURCES[s.resource_arn] {
        "*" => "*".to_string(),
        "arn:aws:s3:*" => "arn:aws:s3:::other".to_string(),
        r => r.replace('*', "y"),
    };
    let mut b = Request::builder()
        .principal(PRINCIPALS[s.principal])
        .action(action)
        .resource(resource)
        .resource_account("111122223333");
    b = b.context_value(
        "aws:SecureTransport",
        iam_policy::context::ContextValue::Single("true".into()),
    );
    if s.username {
        b = b.context_value(
            "aws:username",
            iam_policy::context::ContextValue::Single("alice".into()),
        );
    }
    b.build().unwrap()
}

fn deny_stmt() -> impl Strategy<Value = Stmt> {
    stmt().prop_map(|mut s| {
        s.deny = true;
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn adding_a_deny_never_turns_a_deny_into_an_allow(s in scenario(), extra in deny_stmt(), layer in 0..3usize) {
        let req = request(&s);
        let before = layers(&s).build().unwrap().evaluate(&req).decision();
        let mut t = s.clone();
        match layer {
            0 => t.identity.push(extra),
            1 => t.resource.get_or_insert_with(Vec::new).push(extra),
            _ => t.scp.get_or_insert_with(Vec::new).push(extra),
        }
        let after = layers(&t).build().unwrap().evaluate(&req).decision();
        if before != Decision::Allow {
            prop_assert_ne!(after, Decision::Allow);
        }
        if before == Decision::ExplicitDeny {
            prop_assert_eq!(after, Decision::ExplicitDeny);
        }
    }

    #[test]
    fn adding_a_boundary_or_session_layer_never_widens(s in scenario(), extra in prop::collection::vec(stmt(), 1..3), which in any::<bool>()) {
        // A federated user always has a session layer (without a policy it grants
        // nothing), so "adding a session layer" is about the other principals.
        prop_assume!(which || !PRINCIPALS[s.principal].contains("federated-user"));
        let req = request(&s);
        let before = layers(&s).build().unwrap().evaluate(&req).decision();
        let l = layers(&s);
        let l = if which {
            l.boundary(set(&extra, PolicyType::Boundary))
        } else {
            l.session(set(&extra, PolicyType::Session))
        };
        let after = l.build().unwrap().evaluate(&req).decision();
        if after == Decision::Allow {
            prop_assert_eq!(before, Decision::Allow);
        }
    }

    #[test]
    fn evaluate_and_explain_agree_and_never_panic(s in scenario()) {
        let req = request(&s);
        let perms = layers(&s).build().unwrap();
        let e = perms.evaluate(&req).decision();
        prop_assert_eq!(perms.explain(&req).decision, e);
    }

    #[test]
    fn arbitrary_request_text_never_panics(p in ".{0,40}", a in ".{0,20}", r in ".{0,40}") {
        let perms = Layers::new().identity(set(&[Stmt { deny: false, not_action: false, action: 4, resource: 0, principal: 0, condition: 0 }], PolicyType::Identity)).build().unwrap();
        if let Ok(req) = Request::builder().principal(p).action(a).resource(r).build() {
            let _ = perms.evaluate(&req);
        }
    }
}
