//! Parse + validate of every AWS managed policy, side by side with
//! `serde_json::from_str::<serde_json::Value>` on the same bytes.
#![expect(
    missing_docs,
    reason = "criterion_group! generates undocumented public functions"
)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use iam_policy::{check_policy, ParseOptions, PolicyType};

fn managed_corpus(c: &mut Criterion) {
    let Some(docs) = iamctl_benches::managed_policy_texts() else {
        return;
    };
    let bytes: usize = docs.iter().map(String::len).sum();
    let options = ParseOptions {
        policy_type: PolicyType::Identity,
        managed: true,
        check_size: false,
        ..ParseOptions::default()
    };
    let mut group = c.benchmark_group("managed_policies");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(20);
    group.bench_function("iamctl_parse_validate", |b| {
        b.iter(|| {
            let mut errors = 0usize;
            for d in &docs {
                let checked = check_policy(black_box(d), &options);
                errors += checked.diagnostics.len();
            }
            errors
        })
    });
    group.bench_function("serde_json_value", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for d in &docs {
                if serde_json::from_str::<serde_json::Value>(black_box(d)).is_ok() {
                    n += 1;
                }
            }
            n
        })
    });
    group.finish();
    eprintln!(
        "managed policies: {} documents, {} bytes (divide the per-iteration time by {} for µs per document)",
        docs.len(),
        bytes,
        docs.len()
    );
}

fn adversarial(c: &mut Criterion) {
    let deep = "[".repeat(1 << 20);
    let stars = format!(
        "{{\"Version\":\"2012-10-17\",\"Statement\":{{\"Effect\":\"Allow\",\"Action\":\"s3:{}\",\"Resource\":\"*\"}}}}",
        "*a".repeat(2000)
    );
    let options = ParseOptions::default();
    c.bench_function("adversarial/1MiB_of_brackets", |b| {
        b.iter(|| check_policy(black_box(&deep), &options).diagnostics.len())
    });
    c.bench_function("adversarial/many_stars", |b| {
        b.iter(|| check_policy(black_box(&stars), &options).diagnostics.len())
    });
}

criterion_group!(
    name = benches;
    config = Criterion::default();
    targets = managed_corpus, adversarial
);
criterion_main!(benches);
