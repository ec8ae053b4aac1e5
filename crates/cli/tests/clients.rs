//! Real PostgreSQL clients against `heliosdb-nano start`: runs every
//! `tests/clients/*/run.sh` (psql, pgbench, psycopg, asyncpg, node-postgres, JDBC,
//! SQLAlchemy, ...) and the graded pg_regress runner `tests/pg_regress/run.sh`, with
//! `HELIOS_BIN` pointing at this package's binary so no nested cargo build happens.
//!
//! Each script starts its own server on a free loopback port and prints
//! `<name>: N passed, M failed`; a script skips (exit 0, with a message) when its client
//! tool is not installed unless `HELIOS_REQUIRE_CLIENTS=1` (`tests/clients/install.sh`
//! installs them). The pgbench TPC-B run lasts `PGBENCH_SECONDS` (30 with
//! `HELIOS_CI=1`, else 5). The scripts run one at a time so they do not compete for CPU.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

static SERIAL: Mutex<()> = Mutex::new(());

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs one script; returns its summary lines, or an error message with its output.
fn run_script(script: &Path) -> Result<Vec<String>, String> {
    let mut cmd = Command::new("bash");
    cmd.arg(script).env("HELIOS_BIN", env!("CARGO_BIN_EXE_heliosdb-nano")).current_dir(repo_root());
    if std::env::var_os("PGBENCH_SECONDS").is_none() {
        let ci = std::env::var("HELIOS_CI").is_ok_and(|v| v == "1");
        cmd.env("PGBENCH_SECONDS", if ci { "30" } else { "5" });
    }
    let out = cmd.output().map_err(|e| format!("{}: cannot run: {e}", script.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary: Vec<String> = stdout
        .lines()
        .filter(|l| l.contains(" passed, ") || l.contains("skipped") || l.contains("totals:"))
        .map(str::to_owned)
        .collect();
    if out.status.success() {
        Ok(summary)
    } else {
        Err(format!(
            "{} exited with {}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
            script.display(),
            out.status
        ))
    }
}

#[test]
fn client_programs_pass() {
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = repo_root().join("tests/clients");
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/clients exists")
        .filter_map(|e| e.ok().map(|e| e.path().join("run.sh")))
        .filter(|p| p.is_file())
        .collect();
    scripts.sort();
    assert!(scripts.len() >= 7, "expected the client scripts, found {scripts:?}");
    let mut failures = Vec::new();
    for script in &scripts {
        match run_script(script) {
            Ok(lines) => lines.iter().for_each(|l| println!("{l}")),
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn pg_regress_does_not_regress() {
    let _guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    match run_script(&repo_root().join("tests/pg_regress/run.sh")) {
        Ok(lines) => lines.iter().for_each(|l| println!("{l}")),
        Err(e) => panic!("{e}"),
    }
}
