//! Robustness: truncated and corrupted account exports and configs never panic the
//! loader; they load or yield errors, each with a position in an existing file.

use std::path::{Path, PathBuf};

use iam_sts::directory::Directory;

fn corpus(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../corpus/sts/directory")
        .join(rel)
}

fn temp_dir(tag: &str) -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("iamctl-mangled-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Load `config` and check every error names a file that exists (or the config).
fn load_checked(config: &Path) -> bool {
    match Directory::load(config) {
        Ok(_) => true,
        Err(errors) => {
            for e in errors.errors() {
                assert!(e.file.exists(), "{e}");
                assert!(!e.message.is_empty());
            }
            false
        }
    }
}

/// Variants of `text`: every prefix at a stride, and single characters replaced by
/// JSON/TOML-significant ones.
fn variants(text: &str, stride: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    for cut in (0..chars.len()).step_by(stride) {
        out.push(chars.iter().take(cut).collect());
    }
    let swaps = ['"', '{', '}', '[', ']', ',', ':', '\\', '%', 'é', '\n', '='];
    for (i, at) in (0..chars.len()).step_by(stride).enumerate() {
        let swap = swaps.iter().cycle().nth(i).copied().unwrap_or('"');
        out.push(
            chars
                .iter()
                .enumerate()
                .map(|(j, c)| if j == at { swap } else { *c })
                .collect(),
        );
    }
    out
}

#[test]
fn mangled_account_exports_never_panic() {
    let dir = temp_dir("export").unwrap();
    let original = std::fs::read_to_string(corpus("good/accounts/prod.json")).unwrap();
    let config = dir.join("directory.toml");
    std::fs::write(
        &config,
        "[[account]]\nid = \"111122223333\"\nfile = \"prod.json\"\n",
    )
    .unwrap();
    let mut loaded = 0;
    let all = variants(&original, 11);
    for v in &all {
        std::fs::write(dir.join("prod.json"), v).unwrap();
        if load_checked(&config) {
            loaded += 1;
        }
    }
    // Some single-character swaps land inside string values and still load.
    assert!(loaded < all.len());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn mangled_configs_never_panic() {
    let dir = temp_dir("config").unwrap();
    let good = corpus("good");
    let original = std::fs::read_to_string(good.join("directory.toml")).unwrap();
    // Keep the referenced files reachable from the temp folder.
    let rebased = original.replace("file = \"", &format!("file = \"{}/", good.display()));
    let config = dir.join("directory.toml");
    let mut failed = 0;
    for v in variants(&rebased, 13) {
        std::fs::write(&config, v).unwrap();
        if !load_checked(&config) {
            failed += 1;
        }
    }
    assert!(failed > 0);
    std::fs::remove_dir_all(&dir).ok();
}
