//! Runs one test file record by record and reports per-record pass/fail.
//!
//! Statements and queries are the records that count: each one passes, fails or is
//! skipped (by `skipif`/`onlyif`). Control records (`hash-threshold`, `control`,
//! conditions, `connection`) are applied but not counted. A record during which the
//! engine panicked, timed out or died fails whatever it expected (a panic never satisfies
//! `statement error`); when the engine is dead the rest of the file fails without running.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sqllogictest::{
    default_validator, DefaultColumnType, Normalizer, QueryExpect, Record, RecordOutput, Runner,
};

use crate::engine::{Engine, EngineError};
use crate::format::OutputStyle;
use crate::guard::{panic_text, GuardedEngine};
use crate::preprocess::preprocess;
use crate::slt_db::{EngineEvents, SltDb, TypeHint};

/// Makes a new session (connection) on the database a file runs against. Called once
/// for the default connection and once per extra `connection <name>` in the file.
pub type ConnectionFactory = Box<dyn FnMut() -> Result<Box<dyn Engine>, EngineError> + Send>;

/// How to run a file.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Result text convention.
    pub style: OutputStyle,
    /// Labels for `skipif`/`onlyif` besides the engine name `postgresql`.
    pub labels: Vec<String>,
    /// Per-statement timeout.
    pub timeout: Duration,
    /// Stop after this many counted records (a prefix sample); `None` runs the whole
    /// file.
    pub max_records: Option<usize>,
    /// Run only every n-th `query` record (all statements still run, so the data is
    /// the same); `None` or `Some(1)` runs every query.
    pub query_stride: Option<usize>,
    /// How many failure messages to keep in the report.
    pub keep_failures: usize,
    /// Results with more values than this are compared by MD5 (`N values hashing to
    /// <md5>`) until a `hash-threshold` record changes it; 0 never hashes.
    pub hash_threshold: usize,
}

impl RunOptions {
    /// Options for our own corpus: PostgreSQL text output.
    pub fn pg_text() -> RunOptions {
        RunOptions {
            style: OutputStyle::PgText,
            labels: Vec::new(),
            timeout: default_timeout(),
            max_records: None,
            query_stride: None,
            keep_failures: 20,
            hash_threshold: 0,
        }
    }

    /// Options for the SQLite corpus: its expected results were written with a hash
    /// threshold of 8 (files without a `hash-threshold` record rely on that default).
    pub fn sqlite_corpus() -> RunOptions {
        RunOptions { style: OutputStyle::Sqlite, hash_threshold: 8, ..RunOptions::pg_text() }
    }
}

/// The per-statement timeout: `HELIOS_SLT_TIMEOUT_SECS`, else 20 s.
pub fn default_timeout() -> Duration {
    let secs = std::env::var("HELIOS_SLT_TIMEOUT_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(20);
    Duration::from_secs(secs)
}

/// What running one file gave.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    /// The file's name as given.
    pub name: String,
    /// Records that passed.
    pub passed: usize,
    /// Records that failed (including those not run after the engine died).
    pub failed: usize,
    /// Records skipped by conditions.
    pub skipped: usize,
    /// Engine panics (and timeouts / death), one line each. Every panic is a bug.
    pub panics: Vec<String>,
    /// The first failures, as `line: message`.
    pub failures: Vec<String>,
    /// Why the file stopped early, if it did (parse error, dead engine, sample limit).
    pub stopped: Option<String>,
    /// Wall-clock time the file took.
    pub elapsed: Duration,
}

impl FileReport {
    /// Records that ran (passed + failed).
    pub fn total(&self) -> usize {
        self.passed + self.failed
    }

    /// One line: `name passed/total (skipped, panics)`.
    pub fn summary_line(&self) -> String {
        let mut s = format!("{} {}/{}", self.name, self.passed, self.total());
        if self.skipped > 0 {
            s.push_str(&format!(" skipped={}", self.skipped));
        }
        if !self.panics.is_empty() {
            s.push_str(&format!(" ENGINE-FAILURES={}", self.panics.len()));
        }
        if let Some(why) = &self.stopped {
            s.push_str(&format!(" (stopped: {why})"));
        }
        s
    }
}

/// Runs the file at `path`.
pub fn run_file(path: &Path, factory: ConnectionFactory, opts: &RunOptions) -> FileReport {
    let name = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(script) => run_script(&name, &script, factory, opts),
        Err(e) => FileReport {
            name,
            failed: 1,
            stopped: Some(format!("cannot read: {e}")),
            ..FileReport::default()
        },
    }
}

/// Runs a script given as text (`name` is used in messages).
pub fn run_script(
    name: &str,
    script: &str,
    factory: ConnectionFactory,
    opts: &RunOptions,
) -> FileReport {
    let started = std::time::Instant::now();
    let mut report = run_records(name, script, factory, opts);
    report.elapsed = started.elapsed();
    report
}

fn run_records(
    name: &str,
    script: &str,
    factory: ConnectionFactory,
    opts: &RunOptions,
) -> FileReport {
    let mut report = FileReport { name: name.to_string(), ..FileReport::default() };
    let mut labels: Vec<&str> = vec!["postgresql"];
    labels.extend(opts.labels.iter().map(String::as_str));
    let text = preprocess(script, &labels);
    let records = match sqllogictest::parse_with_name::<DefaultColumnType>(&text, name) {
        Ok(r) => r,
        Err(e) => {
            report.failed = 1;
            report.stopped = Some(format!("parse error: {e}"));
            return report;
        }
    };

    let hint: TypeHint = Arc::new(Mutex::new(None));
    let events: EngineEvents = Arc::new(Mutex::new(Vec::new()));
    let mut runner = make_runner(factory, opts, hint.clone(), events.clone());
    for label in &opts.labels {
        runner.add_label(label);
    }
    runner.with_hash_threshold(opts.hash_threshold);
    if opts.style == OutputStyle::Sqlite {
        runner.with_validator(row_or_value_validator);
    }

    let mut dead: Option<String> = None;
    let mut query_ordinal = 0usize;
    for record in records {
        let counted = matches!(record, Record::Statement { .. } | Record::Query { .. });
        if matches!(record, Record::Halt { .. }) {
            break;
        }
        if matches!(record, Record::Query { .. }) {
            query_ordinal += 1;
            if let Some(stride) = opts.query_stride.filter(|&n| n > 1) {
                if query_ordinal % stride != 1 {
                    continue;
                }
            }
        }
        if counted {
            if let Some(max) = opts.max_records {
                if report.total() >= max {
                    report.stopped = Some(format!("sample of {max} records"));
                    break;
                }
            }
            if dead.is_some() {
                report.failed += 1;
                continue;
            }
        }
        let line = record_line(&record);
        if let Record::Query { expected: QueryExpect::Results { types, .. }, .. } = &record {
            *hint.lock().unwrap_or_else(PoisonError::into_inner) = Some(types.clone());
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| runner.run(record)));
        hint.lock().unwrap_or_else(PoisonError::into_inner).take();
        let engine_trouble: Vec<String> =
            std::mem::take(&mut *events.lock().unwrap_or_else(PoisonError::into_inner));
        if !counted {
            if let Err(payload) = outcome {
                report
                    .panics
                    .push(format!("line {line}: runner panicked: {}", panic_text(&*payload)));
            }
            continue;
        }
        match outcome {
            Err(payload) => {
                report.failed += 1;
                report
                    .panics
                    .push(format!("line {line}: runner panicked: {}", panic_text(&*payload)));
            }
            Ok(_) if !engine_trouble.is_empty() => {
                report.failed += 1;
                for t in &engine_trouble {
                    report.panics.push(format!("line {line}: {t}"));
                    if t.starts_with("engine unusable") {
                        dead = Some(t.clone());
                    }
                }
                keep(&mut report, opts, line, engine_trouble.join("; "));
            }
            Ok(Ok(RecordOutput::Nothing)) => report.skipped += 1,
            Ok(Ok(_)) => report.passed += 1,
            Ok(Err(e)) => {
                report.failed += 1;
                keep(&mut report, opts, line, e.display(false).to_string());
            }
        }
        if dead.is_none() {
            // A timeout that could not be cancelled kills the engine.
            if let Some(t) = report.panics.last() {
                if t.contains("engine unusable") || t.contains("did not stop") {
                    dead = Some(t.clone());
                }
            }
        }
    }
    if let Some(why) = dead {
        report.stopped.get_or_insert(why);
    }
    report
}

/// The number of statement and query records a file holds (after preprocessing for the
/// run's labels), or 1 when it cannot be read or parsed. Used to count a whole file as
/// failed when its database cannot even be opened.
pub fn count_records(path: &Path, opts: &RunOptions) -> usize {
    let Ok(script) = std::fs::read_to_string(path) else { return 1 };
    let mut labels: Vec<&str> = vec!["postgresql"];
    labels.extend(opts.labels.iter().map(String::as_str));
    let text = preprocess(&script, &labels);
    match sqllogictest::parse_with_name::<DefaultColumnType>(&text, "count") {
        Ok(records) => {
            let stride = opts.query_stride.unwrap_or(1).max(1);
            let statements =
                records.iter().filter(|r| matches!(r, Record::Statement { .. })).count();
            let queries = records.iter().filter(|r| matches!(r, Record::Query { .. })).count();
            let n = statements + queries.div_ceil(stride);
            opts.max_records.map_or(n, |max| n.min(max)).max(1)
        }
        Err(_) => 1,
    }
}

fn keep(report: &mut FileReport, opts: &RunOptions, line: u32, msg: String) {
    if report.failures.len() < opts.keep_failures {
        report.failures.push(format!("line {line}: {msg}"));
    }
}

fn make_runner(
    mut factory: ConnectionFactory,
    opts: &RunOptions,
    hint: TypeHint,
    events: EngineEvents,
) -> Runner<SltDb, impl sqllogictest::MakeConnection<Conn = SltDb>> {
    let style = opts.style;
    let timeout = opts.timeout;
    Runner::new(move || {
        let conn = catch_unwind(AssertUnwindSafe(&mut factory))
            .unwrap_or_else(|p| Err(EngineError::Panic(panic_text(&*p))))
            .and_then(|engine| {
                GuardedEngine::spawn(engine, timeout)
                    .map_err(|e| EngineError::Dead(format!("cannot start engine thread: {e}")))
            })
            .map(|g| SltDb::new(g, style, hint.clone(), events.clone()));
        if let Err(e) = &conn {
            events
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(format!("engine unusable: cannot open a connection: {e}"));
        }
        std::future::ready(conn)
    })
}

fn record_line(record: &Record<DefaultColumnType>) -> u32 {
    match record {
        Record::Statement { loc, .. } | Record::Query { loc, .. } => loc.line(),
        _ => 0,
    }
}

/// The SQLite corpus lists one value per line; our engines return rows. Accept either
/// layout: row-wise (columns joined by a space) or value-wise.
#[allow(clippy::ptr_arg)]
fn row_or_value_validator(
    normalizer: Normalizer,
    actual: &[Vec<String>],
    expected: &[String],
) -> bool {
    if default_validator(normalizer, actual, expected) {
        return true;
    }
    let values: Vec<String> = actual.iter().flatten().map(normalizer).collect();
    let expected: Vec<String> = expected.iter().map(normalizer).collect();
    values == expected
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EngineOutput;
    use crate::format::{sqlite_cell, Cell, OutputFormat};

    /// `SELECT n[, m...]` returns one row; `ROWS n` returns n rows 1..n; `FAIL` fails
    /// with 42601; `PANIC` panics; anything else completes.
    struct Toy;

    impl Engine for Toy {
        fn name(&self) -> String {
            "toy".into()
        }
        fn run(&mut self, sql: &str, f: &OutputFormat) -> Result<EngineOutput, EngineError> {
            let sql = sql.trim();
            let fmt = |i: usize, v: i64| match f.style {
                OutputStyle::PgText => v.to_string(),
                OutputStyle::Sqlite => sqlite_cell(&Cell::Int(v), f.expected(i)),
            };
            if let Some(list) = sql.strip_prefix("SELECT ") {
                let row: Vec<String> = list
                    .split(',')
                    .enumerate()
                    .map(|(i, v)| fmt(i, v.trim().parse().unwrap_or(0)))
                    .collect();
                let types = vec![DefaultColumnType::Integer; row.len()];
                return Ok(EngineOutput::Rows { types, rows: vec![row] });
            }
            if let Some(n) = sql.strip_prefix("ROWS ") {
                let n: i64 = n.parse().unwrap_or(0);
                let rows = (1..=n).map(|v| vec![fmt(0, v)]).collect();
                return Ok(EngineOutput::Rows { types: vec![DefaultColumnType::Integer], rows });
            }
            match sql {
                "FAIL" => Err(EngineError::sql("42601", "syntax error at or near \"FAIL\"")),
                "PANIC" => panic!("toy engine panic"),
                _ => Ok(EngineOutput::Complete(1)),
            }
        }
    }

    fn toy() -> ConnectionFactory {
        Box::new(|| Ok(Box::new(Toy) as Box<dyn Engine>))
    }

    #[test]
    fn counts_pass_fail_and_skip_per_record() {
        let script = "\
statement ok
CREATE

query I
SELECT 1
----
1

query II
SELECT 1, 2
----
1 3

statement error (42601)
FAIL

statement error syntax error
FAIL

statement ok
FAIL

skipif postgresql
statement ok
FAIL

onlyif mysql
statement ok
FAIL
";
        let r = run_script("t.slt", script, toy(), &RunOptions::pg_text());
        assert_eq!((r.passed, r.failed, r.skipped), (4, 2, 2), "{r:?}");
        assert!(r.panics.is_empty());
        assert_eq!(r.failures.len(), 2);
        assert!(r.failures[0].starts_with("line 9:"), "{:?}", r.failures);
    }

    #[test]
    fn a_panic_fails_even_an_expected_error() {
        crate::guard::quiet_expected_panics();
        let script = "statement error\nPANIC\n\nquery I\nSELECT 5\n----\n5\n";
        let r = run_script("p.slt", script, toy(), &RunOptions::pg_text());
        assert_eq!((r.passed, r.failed), (1, 1), "{r:?}");
        assert_eq!(r.panics.len(), 1);
        assert!(r.panics[0].contains("toy engine panic"), "{:?}", r.panics);
    }

    #[test]
    fn sqlite_corpus_conventions() {
        // Hash threshold 8 by default, values one per line, conditional halt.
        let script = "\
query I nosort
ROWS 9
----
9 values hashing to 22e400a2ddbb013acf2a5852d6ab69fc

query II nosort
SELECT 1, 2
----
1
2

query R nosort
SELECT 3
----
3.000

onlyif mssql
halt

query I nosort
SELECT 4
----
4

onlyif postgresql
halt

query I nosort
SELECT 5
----
5
";
        let r = run_script("s.test", script, toy(), &RunOptions::sqlite_corpus());
        assert_eq!((r.passed, r.failed), (4, 0), "{r:?}");
    }

    #[test]
    fn query_stride_runs_every_nth_query_and_all_statements() {
        let script =
            "statement ok\nA\n\nquery I\nSELECT 1\n----\n1\n\nquery I\nSELECT 2\n----\n9\n\n\
                      query I\nSELECT 3\n----\n3\n\nstatement ok\nB\n";
        let opts = RunOptions { query_stride: Some(2), ..RunOptions::pg_text() };
        let r = run_script("q.slt", script, toy(), &opts);
        // Queries 1 and 3 run (the wrong answer of query 2 is never seen), both statements run.
        assert_eq!((r.passed, r.failed), (4, 0), "{r:?}");
    }

    #[test]
    fn sampling_stops_after_max_records() {
        let script = "statement ok\nA\n\nstatement ok\nB\n\nstatement ok\nC\n";
        let opts = RunOptions { max_records: Some(2), ..RunOptions::pg_text() };
        let r = run_script("m.slt", script, toy(), &opts);
        assert_eq!(r.total(), 2);
        assert!(r.stopped.is_some());
    }
}
