//! Runs the SQLite sqllogictest corpus from `../shared/conformance/sqllogictest` (relative
//! to the repository root) as engine `postgresql` and compares per-file pass counts with
//! `tests/conformance/sqllogictest-baseline.txt`.
//!
//! The full corpus (~500,000 records) is too slow for every `cargo test`, so by default
//! each file runs only its first `HELIOS_CONFORMANCE_SAMPLE` (default 150) records — a
//! prefix, so every file's setup statements run. `HELIOS_CONFORMANCE=full` runs
//! everything. Sampled and full counts are kept under different baseline keys
//! (`file@engine@sample150`, `file@engine@full`).
//!
//! Without `../shared` the test is skipped with a message, unless
//! `HELIOS_REQUIRE_SHARED=1`, where absence fails.

use helios_testkit::corpus::{files_with_extension, relative_key, repo_root};
use helios_testkit::harness::{engines_from_env, run_suite, Suite};
use helios_testkit::runner::RunOptions;

#[test]
fn sqlite_corpus_does_not_regress() {
    let repo = repo_root();
    let corpus = repo.join("..").join("shared").join("conformance").join("sqllogictest");
    if !corpus.is_dir() {
        let require = std::env::var("HELIOS_REQUIRE_SHARED").is_ok_and(|v| v == "1");
        assert!(!require, "HELIOS_REQUIRE_SHARED=1 but {} is missing", corpus.display());
        println!(
            "skipped: {} not found (set HELIOS_REQUIRE_SHARED=1 to fail instead)",
            corpus.display()
        );
        return;
    }
    let full = std::env::var("HELIOS_CONFORMANCE").is_ok_and(|v| v == "full");
    let sample = std::env::var("HELIOS_CONFORMANCE_SAMPLE")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(150);
    let files: Vec<_> = files_with_extension(&corpus, "test")
        .into_iter()
        .map(|p| (relative_key(&p, &corpus), p))
        .collect();
    assert!(!files.is_empty(), "no .test files under {}", corpus.display());
    let mut options = RunOptions::sqlite_corpus();
    options.max_records = if full { None } else { Some(sample) };
    let suite = Suite {
        title: format!(
            "sqllogictest conformance ({})",
            if full { "full".to_string() } else { format!("first {sample} records per file") }
        ),
        files,
        engines: engines_from_env("memory"),
        key_suffix: if full { "@full".to_string() } else { format!("@sample{sample}") },
        options,
        baseline: repo.join("tests").join("conformance").join("sqllogictest-baseline.txt"),
        baseline_header: "SQLite sqllogictest corpus: records passing per file (passed/total).\n\
                          May only go up. Rewrite: HELIOS_UPDATE_BASELINE=1 cargo test -p \
                          helios-testkit --test conformance (add HELIOS_CONFORMANCE=full for the \
                          full corpus)"
            .to_string(),
        verbose: std::env::var("HELIOS_SLT_VERBOSE").is_ok_and(|v| v == "1"),
    };
    if let Err(e) = run_suite(&suite) {
        panic!("{e}");
    }
}
