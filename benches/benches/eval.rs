//! Evaluation benches: the three workloads of `workloads.json` (read from
//! `$IAMCTL_BENCH`, else `$IAMCTL_DATA/../bench/workloads.json`; skipped with a message
//! when neither exists) and a scaling bench with 10 … 10,000 statements of which one
//! matches. Policies are compiled and requests built once; only evaluation is timed.

#![expect(
    missing_docs,
    reason = "criterion_group! generates an undocumented public function"
)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use iam_policy::cases::Case;
use iam_policy::{CompileOptions, Layers, PolicySet, PolicyType, Request};

fn workloads() -> Option<serde_json::Value> {
    let path = match std::env::var_os("IAMCTL_BENCH") {
        Some(p) => PathBuf::from(p),
        None => match std::env::var_os("IAMCTL_DATA") {
            Some(d) => PathBuf::from(d).join("../bench/workloads.json"),
            None => {
                eprintln!("skipped: workload benches (set IAMCTL_BENCH or IAMCTL_DATA)");
                return None;
            }
        },
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).ok(),
        Err(e) => {
            eprintln!(
                "skipped: workload benches: cannot read {}: {e}",
                path.display()
            );
            None
        }
    }
}

fn bench_workloads(c: &mut Criterion) {
    let Some(w) = workloads() else { return };
    let mut group = c.benchmark_group("eval/workload");
    for name in ["W1", "W2", "W3"] {
        let Some(value) = w.get(name) else {
            eprintln!("skipped: workload {name} missing");
            continue;
        };
        let case = match Case::from_value(value) {
            Ok(case) => case,
            Err(e) => {
                eprintln!("skipped: workload {name}: {e}");
                continue;
            }
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                black_box(
                    case.permissions()
                        .evaluate(black_box(case.request()))
                        .decision(),
                )
            })
        });
    }
    group.finish();
}

/// `n` statements over `n` different services, one of which matches the request.
fn scaled(n: usize) -> Option<(iam_policy::EffectivePermissions, Request)> {
    let mut stmts: Vec<String> = (0..n.saturating_sub(1))
        .map(|i| {
            format!(r#"{{"Effect":"Allow","Action":"s{i}:Get*","Resource":"arn:aws:s{i}:::t/*"}}"#)
        })
        .collect();
    stmts.insert(
        n / 2,
        r#"{"Sid":"Match","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/*"}"#.to_string(),
    );
    let text = format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        stmts.join(",")
    );
    let set = PolicySet::from_json(&text, PolicyType::Identity, &CompileOptions::default()).ok()?;
    let perms = Layers::new().identity(set).build().ok()?;
    let req = Request::builder()
        .principal("arn:aws:iam::111122223333:user/alice")
        .action("s3:GetObject")
        .resource("arn:aws:s3:::data/report.csv")
        .build()
        .ok()?;
    Some((perms, req))
}

fn bench_scaling(c: &mut Criterion) {
    let mut group = c.benchmark_group("eval/scaling");
    for n in [10usize, 100, 1_000, 10_000] {
        let Some((perms, req)) = scaled(n) else {
            eprintln!("skipped: scaling bench with {n} statements did not compile");
            continue;
        };
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| black_box(perms.evaluate(black_box(&req)).decision()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_workloads, bench_scaling);
criterion_main!(benches);
