//! Runs our SQL corpus `tests/slt/**/*.slt` on the memory and disk engines and compares
//! the per-file pass counts with `tests/slt/baseline.txt`.
//!
//! - A file passing fewer records than its baseline fails the test.
//! - More is reported; raise the baseline with `HELIOS_UPDATE_BASELINE=1 cargo test -p
//!   helios-testkit --test slt`.
//! - `HELIOS_SLT_ENGINES=memory` limits the engines; `HELIOS_SLT_VERBOSE=1` prints every
//!   failure; `HELIOS_SLT_FILTER=join` runs only files whose path contains `join`.

use helios_testkit::corpus::{files_with_extension, relative_key, repo_root};
use helios_testkit::harness::{engines_from_env, run_suite, Suite};
use helios_testkit::runner::RunOptions;

#[test]
fn slt_corpus_does_not_regress() {
    let root = repo_root().join("tests").join("slt");
    let filter = std::env::var("HELIOS_SLT_FILTER").unwrap_or_default();
    let files: Vec<_> = files_with_extension(&root, "slt")
        .into_iter()
        .map(|p| (relative_key(&p, &root), p))
        .filter(|(k, _)| k.contains(&filter))
        .collect();
    assert!(
        files.len() >= if filter.is_empty() { 16 } else { 1 },
        "the corpus went missing: {} files under {}",
        files.len(),
        root.display()
    );
    let suite = Suite {
        title: "tests/slt".to_string(),
        files,
        engines: engines_from_env("memory,disk"),
        key_suffix: String::new(),
        options: RunOptions::pg_text(),
        baseline: root.join("baseline.txt"),
        baseline_header:
            "Records passing per file and engine (passed/total). May only go up.\n\
                          Rewrite: HELIOS_UPDATE_BASELINE=1 cargo test -p helios-testkit --test slt"
                .to_string(),
        verbose: std::env::var("HELIOS_SLT_VERBOSE").is_ok_and(|v| v == "1"),
    };
    if let Err(e) = run_suite(&suite) {
        panic!("{e}");
    }
}
