//! `EffectivePermissions::evaluate` does not allocate on the common path (explain off):
//! policies are compiled and requests built before measuring. Uses the counting
//! allocator of `stats_alloc`, so this crate needs no `unsafe`. One test function only,
//! so no other test thread allocates while a region is measured.

use std::alloc::System;
use std::path::PathBuf;

use iam_policy::cases::Case;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn assert_no_alloc(name: &str, case: &Case) {
    let region = Region::new(GLOBAL);
    let mut allowed = 0;
    for _ in 0..100 {
        if std::hint::black_box(case.evaluate()).is_allowed() {
            allowed += 1;
        }
    }
    let stats = region.change();
    assert_eq!(
        (stats.allocations, stats.reallocations),
        (0, 0),
        "{name}: evaluate allocated"
    );
    std::hint::black_box(allowed);
}

const LOCAL: &str = r#"{"id": "local", "policies": {
  "identity": [{"Version": "2012-10-17", "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:List*"], "Resource": "arn:aws:s3:::app-${aws:username}/*",
     "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
    {"Sid": "NoDelete", "Effect": "Deny", "NotAction": "s3:Get*", "Resource": "*"}]}],
  "resource": {"Version": "2012-10-17", "Statement": [{"Sid": "Grant", "Effect": "Allow",
     "Principal": {"AWS": "111122223333"}, "Action": "s3:*", "Resource": "*"}]},
  "boundary": {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}},
  "scps": [[{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}]],
  "rcps": null, "session": null},
  "request": {"principal": "arn:aws:iam::111122223333:user/alice", "action": "s3:GetObject",
    "resource": "arn:aws:s3:::app-alice/k", "resourceAccount": "111122223333",
    "context": {"aws:SecureTransport": "true", "aws:username": "alice"}}}"#;

fn workloads() -> Option<serde_json::Value> {
    let path = match std::env::var_os("IAMCTL_BENCH") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(std::env::var_os("IAMCTL_DATA")?).join("../bench/workloads.json"),
    };
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

#[test]
fn evaluate_allocates_nothing_on_w1_w2_w3() {
    let local = Case::parse(LOCAL).unwrap();
    assert!(local.evaluate().is_allowed());
    assert_no_alloc("local", &local);
    let Some(w) = workloads() else {
        eprintln!(
            "skipped: IAMCTL_DATA not set (and no IAMCTL_BENCH): workloads W1-W3 not measured"
        );
        return;
    };
    for name in ["W1", "W2", "W3"] {
        let case = Case::from_value(&w[name]).unwrap();
        assert_eq!(Some(case.evaluate().decision()), case.expect(), "{name}");
        assert_no_alloc(name, &case);
    }
}
