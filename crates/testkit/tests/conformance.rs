//! Runs the SQLite sqllogictest corpus from `../shared/conformance/sqllogictest` (relative
//! to the repository root) as engine `postgresql` and compares per-file pass counts with
//! `tests/conformance/sqllogictest-baseline.txt`.
//!
//! The full corpus (~360,000 records that apply to PostgreSQL) takes about ten minutes
//! in a debug build, too slow for every `cargo test`. By default every statement runs
//! (so the data is complete) but only every `HELIOS_CONFORMANCE_STRIDE`-th query
//! (default 20), and of the numbered `slt_good_N.test` files only the first of each
//! directory (29 of 52 files), each cut after `HELIOS_CONFORMANCE_MAX` (default 1500)
//! counted records (the `index/delete` files are almost all statements).
//! `HELIOS_CONFORMANCE=full` runs everything. Sampled and
//! full counts are kept under different baseline keys (`file@memory@every20max1500`,
//! `file@memory@full`).
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
    let stride = std::env::var("HELIOS_CONFORMANCE_STRIDE")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(20);
    let mut seen_dirs = std::collections::HashSet::new();
    let files: Vec<_> = files_with_extension(&corpus, "test")
        .into_iter()
        .map(|p| (relative_key(&p, &corpus), p))
        .filter(|(key, path)| {
            // Numbered files of one directory are generated alike: one stands for all.
            let numbered = key.contains("slt_good_");
            full || !numbered || seen_dirs.insert(path.parent().map(|d| d.to_path_buf()))
        })
        .collect();
    assert!(!files.is_empty(), "no .test files under {}", corpus.display());
    let mut options = RunOptions::sqlite_corpus();
    let max = std::env::var("HELIOS_CONFORMANCE_MAX")
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(1500);
    options.query_stride = if full { None } else { Some(stride) };
    options.max_records = if full { None } else { Some(max) };
    let suite = Suite {
        title: format!(
            "sqllogictest conformance ({})",
            if full {
                "full".to_string()
            } else {
                format!(
                    "sample: first slt_good file per directory, all statements, every {stride}th \
                 query, at most {max} records per file"
                )
            }
        ),
        files,
        engines: engines_from_env("memory"),
        key_suffix: if full { "@full".to_string() } else { format!("@every{stride}max{max}") },
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
