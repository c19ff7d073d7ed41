//! The `corpus/sts/*.json` cases: AssumeRole steps (each from the previous step's session)
//! with their expected answers, then requests of the last session with expected decisions.
//! The directory is `corpus/sts/ops-directory/`; the clock is fixed and the random seeded.
#![cfg(test)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use iam_policy::context::Context;
use iam_sts::clock::{FixedClock, SeededRandom};
use iam_sts::directory::SharedDirectory;
use iam_sts::keyring::KeyRing;
use iam_sts::service::{AssumeRoleParams, ServiceConfig, TokenService};
use iam_sts::token::SessionTag;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    description: String,
    caller: String,
    steps: Vec<Step>,
    requests: Vec<Req>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    assume_role: Params,
    expect: Expect,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct Params {
    role_arn: Option<String>,
    role_session_name: Option<String>,
    policy: Option<String>,
    #[serde(default)]
    policy_arns: Vec<String>,
    duration_seconds: Option<i64>,
    #[serde(default)]
    tags: Vec<TagJson>,
    #[serde(default)]
    transitive_tag_keys: Vec<String>,
    external_id: Option<String>,
    source_identity: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct TagJson {
    key: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    error: Option<String>,
    message: Option<String>,
    arn: Option<String>,
    assumed_role_id: Option<String>,
    duration: Option<i64>,
    packed_policy_size: Option<u32>,
    source_identity: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Req {
    action: String,
    resource: String,
    #[serde(default)]
    context: BTreeMap<String, String>,
    decision: String,
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpus/sts")
}

fn run(path: &Path) -> Vec<String> {
    let mut failures = Vec::new();
    let name = path.display().to_string();
    let case: Case = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let start = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap();
    let random = Arc::new(SeededRandom::new(3));
    let ring = KeyRing::generate(start - chrono::Duration::days(1), random.as_ref()).unwrap();
    let dir = SharedDirectory::load(corpus().join("ops-directory/directory.toml")).unwrap();
    let svc = TokenService::new(
        dir,
        ring,
        Arc::new(FixedClock::new(start)),
        random,
        ServiceConfig::default(),
    );
    let mut caller = svc.caller_for_key(&case.caller, None).unwrap().0;
    for (i, step) in case.steps.iter().enumerate() {
        let p = &step.assume_role;
        let params = AssumeRoleParams {
            role_arn: p.role_arn.clone(),
            role_session_name: p.role_session_name.clone(),
            policy: p.policy.clone(),
            policy_arns: p.policy_arns.clone(),
            duration_seconds: p.duration_seconds,
            tags: p
                .tags
                .iter()
                .map(|t| SessionTag {
                    key: t.key.clone(),
                    value: t.value.clone(),
                })
                .collect(),
            transitive_tag_keys: p.transitive_tag_keys.clone(),
            external_id: p.external_id.clone(),
            source_identity: p.source_identity.clone(),
            ..AssumeRoleParams::default()
        };
        let e = &step.expect;
        let at = format!("{name} ({}) step {i}", case.description);
        match svc.assume_role(&caller, &params) {
            Err(err) => {
                if e.error.as_deref() != Some(err.code()) {
                    failures.push(format!(
                        "{at}: got error {} `{}`",
                        err.code(),
                        err.message()
                    ));
                }
                if let Some(m) = &e.message {
                    if *m != err.message() {
                        failures.push(format!("{at}: message `{}`", err.message()));
                    }
                }
            }
            Ok(out) => {
                if let Some(code) = &e.error {
                    failures.push(format!("{at}: expected {code}, got credentials"));
                    continue;
                }
                let user = out.assumed_role_user.clone().unwrap();
                let checks = [
                    (e.arn.as_deref(), Some(user.arn.as_str()), "arn"),
                    (
                        e.assumed_role_id.as_deref(),
                        Some(user.assumed_role_id.as_str()),
                        "assumed_role_id",
                    ),
                    (
                        e.source_identity.as_deref(),
                        out.source_identity.as_deref(),
                        "source_identity",
                    ),
                ];
                for (want, got, what) in checks {
                    if want.is_some() && want != got {
                        failures.push(format!("{at}: {what} {got:?}, expected {want:?}"));
                    }
                }
                if let Some(d) = e.duration {
                    if out.credentials.expiration != start + chrono::Duration::seconds(d) {
                        failures.push(format!("{at}: expiration {}", out.credentials.expiration));
                    }
                }
                if e.packed_policy_size.is_some() && e.packed_policy_size != out.packed_policy_size
                {
                    failures.push(format!("{at}: packed size {:?}", out.packed_policy_size));
                }
                let cr = &out.credentials;
                caller = svc
                    .caller_for_key(&cr.access_key_id, Some(cr.session_token.expose()))
                    .unwrap()
                    .0;
            }
        }
    }
    for r in &case.requests {
        let mut extra = Context::new();
        for (k, v) in &r.context {
            extra.insert(k, iam_policy::context::ContextValue::Single(v.clone()));
        }
        let got = svc
            .authorize(
                &caller,
                &r.action,
                &r.resource,
                Some("111122223333"),
                &extra,
            )
            .unwrap();
        if got.decision.as_str() != r.decision {
            failures.push(format!(
                "{name}: {} on {}: {} (expected {})",
                r.action, r.resource, got.decision, r.decision
            ));
        }
    }
    failures
}

#[test]
fn every_sts_corpus_case_gives_its_expected_answers() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 5, "corpus/sts has too few cases: {cases:?}");
    let failures: Vec<String> = cases.iter().flat_map(|p| run(p)).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
