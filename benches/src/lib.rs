//! Shared inputs for the criterion benches: the reference data found through
//! `IAMCTL_DATA` (the AWS managed policies) and the benchmark workloads.
//!
//! Benches that need data print why they skip when it is missing, so `cargo bench`
//! works on a fresh clone.

use std::path::PathBuf;

/// The reference data directory from `IAMCTL_DATA`, if set and present.
pub fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("IAMCTL_DATA")?);
    dir.is_dir().then_some(dir)
}

/// The text of every AWS managed policy document, byte for byte as AWS returns it.
///
/// Returns `None` (and says why on stderr) when the data is not available.
pub fn managed_policy_texts() -> Option<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Record {
        document: Box<serde_json::value::RawValue>,
    }
    let Some(dir) = data_dir() else {
        eprintln!("skipped: IAMCTL_DATA not set (managed-policy benches need it)");
        return None;
    };
    let path = dir.join("aws-managed-policies/managed-policies.jsonl");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("skipped: cannot read {}: {e}", path.display());
            return None;
        }
    };
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Record>(line) {
            Ok(r) => out.push(r.document.get().to_string()),
            Err(e) => {
                eprintln!("skipped: bad record in {}: {e}", path.display());
                return None;
            }
        }
    }
    Some(out)
}
