//! Replays every saved fuzz input under `corpus/fuzz-regressions/<target>/` through the
//! matching `iam_policy::fuzzing::<target>` function.
//!
//! Input: the files in that folder. Output: pass/fail naming each input whose harness
//! panicked. To add a target, add a row to `TARGETS` and a folder of the same name.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

type Harness = fn(&[u8]);

/// Fuzz target name (its folder under `corpus/fuzz-regressions`) → harness function.
const TARGETS: &[(&str, Harness)] = &[
    ("json", iam_policy::fuzzing::json),
    ("policy", iam_policy::fuzzing::policy),
    ("evaluate", iam_policy::fuzzing::evaluate),
];

fn regressions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpus/fuzz-regressions")
}

/// The files (not folders) directly in `dir`, sorted.
fn files_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[test]
fn every_saved_fuzz_input_passes_its_harness() {
    let root = regressions_dir();
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (target, harness) in TARGETS {
        let dir = root.join(target);
        if !dir.is_dir() {
            continue;
        }
        for file in files_in(&dir).expect("readable regression folder") {
            let data = std::fs::read(&file).expect("readable regression input");
            replayed += 1;
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| harness(&data))) {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{target}/{}: {why}", file.display()));
            }
        }
    }
    assert!(
        replayed > 0,
        "no regression inputs under {}",
        root.display()
    );
    assert!(
        failures.is_empty(),
        "failing inputs:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_regression_folder_has_a_harness() {
    let root = regressions_dir();
    for entry in std::fs::read_dir(&root).expect("corpus/fuzz-regressions exists") {
        let path = entry.expect("directory entry").path();
        if !path.is_dir() {
            continue;
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        assert!(
            TARGETS.iter().any(|(t, _)| *t == name),
            "folder `{name}` has no row in TARGETS"
        );
    }
}

#[test]
fn the_json_target_has_seed_inputs() {
    let files =
        files_in(&regressions_dir().join("json")).expect("corpus/fuzz-regressions/json exists");
    assert!(!files.is_empty());
}
