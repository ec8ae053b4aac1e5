//! `helios-slt`: run sqllogictest files from the command line.
//!
//! ```text
//! helios-slt [--engine memory|disk|postgres] [--against-postgres URL]
//!            [--style pg|sqlite] [--label L]... [--timeout SECS] [--max-records N]
//!            [--verbose] PATH...
//! helios-slt [--engine ...] --random N [--seed S]
//! ```
//!
//! `--random N` runs N random queries (see `random_query`) on a fresh database and
//! reports how many succeeded, the SQLSTATEs of the errors, and any panic or hang.
//! With `--differential URL` (feature `postgres`) the same queries also run on that
//! PostgreSQL and every disagreement (rows, success vs error, SQLSTATE) is printed.
//!
//! PATH is a file or a directory (searched for `*.slt` and `*.test`). Every file runs on
//! a fresh database. Prints one line per file and the totals; exits with 1 when any
//! record failed, so `--against-postgres` doubles as a check that the corpus is right.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use helios_testkit::corpus::files_with_extension;
use helios_testkit::runner::{run_file, ConnectionFactory, RunOptions};
use helios_testkit::OutputStyle;

struct Args {
    engine: String,
    pg_url: Option<String>,
    opts: RunOptions,
    verbose: bool,
    random: Option<usize>,
    seed: u64,
    differential: Option<String>,
    paths: Vec<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        engine: "memory".to_string(),
        pg_url: None,
        opts: RunOptions::pg_text(),
        verbose: false,
        random: None,
        seed: 1,
        differential: None,
        paths: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--engine" => args.engine = value("--engine")?,
            "--against-postgres" | "--pg" => {
                args.engine = "postgres".to_string();
                args.pg_url = Some(value("--against-postgres")?);
            }
            "--style" => {
                args.opts.style = match value("--style")?.as_str() {
                    "pg" => OutputStyle::PgText,
                    "sqlite" => {
                        args.opts.hash_threshold = 8;
                        OutputStyle::Sqlite
                    }
                    other => return Err(format!("unknown style {other}")),
                }
            }
            "--label" => args.opts.labels.push(value("--label")?),
            "--timeout" => {
                let secs = value("--timeout")?.parse::<u64>().map_err(|e| e.to_string())?;
                args.opts.timeout = Duration::from_secs(secs);
            }
            "--max-records" => {
                args.opts.max_records =
                    Some(value("--max-records")?.parse().map_err(|e| format!("{e}"))?);
            }
            "-v" | "--verbose" => args.verbose = true,
            "--random" => {
                args.random = Some(value("--random")?.parse().map_err(|e| format!("{e}"))?)
            }
            "--seed" => args.seed = value("--seed")?.parse().map_err(|e| format!("{e}"))?,
            "--differential" => args.differential = Some(value("--differential")?),
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            path => args.paths.push(PathBuf::from(path)),
        }
    }
    if args.paths.is_empty() && args.random.is_none() {
        return Err("no test files given".to_string());
    }
    Ok(args)
}

/// A factory of sessions on a fresh database for one file, plus whatever must stay
/// alive while the file runs (a scratch database, a temporary directory).
fn fresh_database(args: &Args) -> Result<(ConnectionFactory, Box<dyn std::any::Any>), String> {
    match args.engine.as_str() {
        #[cfg(feature = "postgres")]
        "postgres" => {
            let url =
                args.pg_url.as_deref().ok_or("--engine postgres needs --against-postgres URL")?;
            let db = helios_testkit::postgres_engine::PgScratchDatabase::create(url)
                .map_err(|e| e.to_string())?;
            Ok((db.factory(), Box::new(db)))
        }
        #[cfg(not(feature = "postgres"))]
        "postgres" => Err("built without the `postgres` feature".to_string()),
        other => helios_testkit::nano::fresh_database(other),
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("helios-slt: {e}");
            }
            eprintln!(
                "usage: helios-slt [--engine memory|disk|postgres] [--against-postgres URL] \
                 [--style pg|sqlite] [--label L] [--timeout SECS] [--max-records N] [-v] PATH..."
            );
            return ExitCode::from(2);
        }
    };
    if let Some(n) = args.random {
        return run_random_mode(&args, n);
    }
    let mut files = Vec::new();
    for p in &args.paths {
        files.extend(files_with_extension(p, "slt"));
        if p.is_dir() {
            files.extend(files_with_extension(p, "test"));
        }
    }
    let (mut passed, mut total, mut bad_files, mut engine_failures) = (0, 0, 0, 0);
    for file in &files {
        let (factory, keep) = match fresh_database(&args) {
            Ok(x) => x,
            Err(e) => {
                eprintln!("helios-slt: cannot create a database: {e}");
                return ExitCode::from(2);
            }
        };
        let report = run_file(file, factory, &args.opts);
        drop(keep);
        println!("{}", report.summary_line());
        if args.verbose || report.failed > 0 {
            for f in report.failures.iter().chain(report.panics.iter()) {
                println!("    {}", f.replace('\n', "\n    "));
            }
        }
        passed += report.passed;
        total += report.total();
        engine_failures += report.panics.len();
        if report.failed > 0 {
            bad_files += 1;
        }
    }
    let pct = if total == 0 { 100.0 } else { 100.0 * passed as f64 / total as f64 };
    println!(
        "total: {passed}/{total} records passed ({pct:.1}%), {} files, {bad_files} with failures, \
         {engine_failures} engine failures",
        files.len()
    );
    if passed == total {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn run_random_mode(args: &Args, n: usize) -> ExitCode {
    if let Some(url) = &args.differential {
        return run_differential_mode(args, n, url);
    }
    let (factory, keep) = match fresh_database(args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("helios-slt: cannot create a database: {e}");
            return ExitCode::from(2);
        }
    };
    let report = helios_testkit::random_query::run_random(factory, n, args.seed, args.opts.timeout);
    drop(keep);
    match report {
        Ok(r) => {
            println!("random queries (seed {}): {}", args.seed, r.summary());
            for (i, sql, what) in &r.failures {
                println!("    #{i}: {what}\n        {sql}");
            }
            if r.failures.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("helios-slt: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(feature = "postgres")]
fn run_differential_mode(args: &Args, n: usize, url: &str) -> ExitCode {
    use helios_testkit::postgres_engine::PgScratchDatabase;
    let reference = match PgScratchDatabase::create(url) {
        Ok(db) => db,
        Err(e) => {
            eprintln!("helios-slt: cannot create a PostgreSQL database: {e}");
            return ExitCode::from(2);
        }
    };
    let (factory, keep) = match fresh_database(args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("helios-slt: cannot create a database: {e}");
            return ExitCode::from(2);
        }
    };
    let report = helios_testkit::random_query::run_differential(
        factory,
        reference.factory(),
        n,
        args.seed,
        args.opts.timeout,
    );
    drop(keep);
    drop(reference);
    match report {
        Ok(r) => {
            for (i, sql, a, b) in &r.mismatches {
                println!("MISMATCH #{i}: {sql}\n    ours:       {a}\n    postgresql: {b}");
            }
            if args.verbose {
                for (i, sql, a, b) in &r.different_errors {
                    println!("SQLSTATE #{i}: {sql}\n    ours:       {a}\n    postgresql: {b}");
                }
            }
            println!(
                "differential (seed {}): {} agree, {} mismatches, {} with a different SQLSTATE",
                args.seed,
                r.agreed,
                r.mismatches.len(),
                r.different_errors.len()
            );
            if r.mismatches.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("helios-slt: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(not(feature = "postgres"))]
fn run_differential_mode(_: &Args, _: usize, _: &str) -> ExitCode {
    eprintln!("helios-slt: --differential needs the `postgres` feature");
    ExitCode::from(2)
}
