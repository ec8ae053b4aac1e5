//! The suite driver behind the cargo tests: runs many files on many engines, compares
//! the per-file pass counts with a committed baseline, and prints the totals.
//!
//! ```text
//! for each engine (memory, disk):
//!     for each file: fresh database → run_file → FileReport      (panics caught per file)
//! compare { "area/file.slt@engine" → passed/total } with the baseline file
//!     fewer passing than the baseline  → failure (regression)
//!     more passing                     → reported, so the baseline can be raised
//! HELIOS_UPDATE_BASELINE=1              → rewrite the baseline from this run instead
//! ```

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use crate::baseline::{update_requested, Baseline};
use crate::guard::panic_text;
use crate::nano;
use crate::runner::{count_records, run_file, FileReport, RunOptions};

/// What to run.
#[derive(Debug, Clone)]
pub struct Suite {
    /// A title for the printed report.
    pub title: String,
    /// `(key, path)`: the key names the file in the baseline (`area/topic.slt`).
    pub files: Vec<(String, PathBuf)>,
    /// Engines to run every file on (`memory`, `disk`).
    pub engines: Vec<String>,
    /// Suffix appended to every baseline key (e.g. `@sample100`), may be empty.
    pub key_suffix: String,
    /// How to run each file.
    pub options: RunOptions,
    /// The committed baseline file.
    pub baseline: PathBuf,
    /// The comment written at the top of the baseline when it is rewritten.
    pub baseline_header: String,
    /// Print every failure message (not only the per-file lines).
    pub verbose: bool,
}

/// The outcome of a suite run.
#[derive(Debug, Clone, Default)]
pub struct SuiteResult {
    /// One report per (engine, file), keyed like the baseline.
    pub reports: BTreeMap<String, FileReport>,
    /// Records passed over all files.
    pub passed: usize,
    /// Records run over all files.
    pub total: usize,
    /// Engine panics / hangs over all files.
    pub engine_failures: usize,
    /// Files passing fewer records than their baseline: `(key, baseline, now)`.
    pub regressions: Vec<(String, usize, usize)>,
}

impl SuiteResult {
    /// The pass percentage.
    pub fn percent(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            100.0 * self.passed as f64 / self.total as f64
        }
    }
}

/// Runs every file on every engine; prints the report; updates or compares the baseline.
pub fn run_suite(suite: &Suite) -> Result<SuiteResult, String> {
    let mut result = SuiteResult::default();
    for engine in &suite.engines {
        for (key, path) in &suite.files {
            let key = format!("{key}@{engine}{}", suite.key_suffix);
            let report = run_one(engine, path, &suite.options);
            result.passed += report.passed;
            result.total += report.total();
            result.engine_failures += report.panics.len();
            result.reports.insert(key, report);
        }
    }

    println!("== {} ==", suite.title);
    for (key, r) in &result.reports {
        let mut line =
            format!("{key} {}/{} [{:.1}s]", r.passed, r.total(), r.elapsed.as_secs_f64());
        if !r.panics.is_empty() {
            line.push_str(&format!("  ENGINE PANICS/HANGS: {}", r.panics.len()));
        }
        if let Some(why) = &r.stopped {
            line.push_str(&format!("  (stopped: {why})"));
        }
        println!("{line}");
        for p in &r.panics {
            println!("    BUG: {}", p.replace('\n', " "));
        }
        if suite.verbose {
            for f in &r.failures {
                println!("    {}", f.replace('\n', "\n    "));
            }
        }
    }

    let run: BTreeMap<String, (usize, usize)> =
        result.reports.iter().map(|(k, r)| (k.clone(), (r.passed, r.total()))).collect();
    let baseline = Baseline::load(&suite.baseline)
        .map_err(|e| format!("cannot read {}: {e}", suite.baseline.display()))?;
    if update_requested() {
        baseline
            .updated_with(&run)
            .save(&suite.baseline, &suite.baseline_header)
            .map_err(|e| format!("cannot write {}: {e}", suite.baseline.display()))?;
        println!("baseline rewritten: {}", suite.baseline.display());
    } else {
        let cmp = baseline.compare(&run);
        for (key, base, now) in &cmp.improvements {
            println!(
                "improved: {key} {base} -> {now} (raise the baseline: HELIOS_UPDATE_BASELINE=1)"
            );
        }
        for key in &cmp.new_keys {
            println!("not in baseline: {key} (add it: HELIOS_UPDATE_BASELINE=1)");
        }
        result.regressions = cmp.regressions;
    }
    println!(
        "total: {}/{} records passed ({:.1}%) in {} file runs; {} engine panics/hangs",
        result.passed,
        result.total,
        result.percent(),
        result.reports.len(),
        result.engine_failures
    );
    if result.regressions.is_empty() {
        Ok(result)
    } else {
        let lines: Vec<String> = result
            .regressions
            .iter()
            .map(|(k, b, n)| format!("{k}: {n} passing, baseline {b}"))
            .collect();
        Err(format!("files pass fewer records than their baseline:\n{}", lines.join("\n")))
    }
}

/// Runs one file on a fresh database of `engine`; a panic anywhere becomes a failed report.
fn run_one(engine: &str, path: &std::path::Path, options: &RunOptions) -> FileReport {
    let name = path.display().to_string();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let (factory, keep) = nano::fresh_database(engine)?;
        let report = run_file(path, factory, options);
        drop(keep);
        Ok::<FileReport, String>(report)
    }));
    match outcome {
        Ok(Ok(report)) => report,
        Ok(Err(e)) => FileReport {
            name,
            failed: count_records(path, options),
            stopped: Some(format!("cannot open a database: {e}")),
            ..FileReport::default()
        },
        Err(payload) => FileReport {
            name,
            failed: 1,
            panics: vec![format!("panicked outside a statement: {}", panic_text(&*payload))],
            ..FileReport::default()
        },
    }
}

/// The engines to run: `HELIOS_SLT_ENGINES` (comma-separated), else `default`.
pub fn engines_from_env(default: &str) -> Vec<String> {
    std::env::var("HELIOS_SLT_ENGINES")
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}
