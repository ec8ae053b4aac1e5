//! `heliosdb-nano dump` and `restore`: a database as a plain SQL script (schema, data as
//! `COPY ... FROM stdin` blocks, then indexes, constraints, owners, grants and policies)
//! that `restore` and psql both load.
//!
//! The dump reads one REPEATABLE READ snapshot, so it is consistent while others keep
//! writing: through a running server (`--url`), or straight from a data directory no
//! server holds (`--data-dir`). The schema part comes from `helios_dump_schema()`
//! (see `helios_sql::catalog::script`), the rows from `COPY ... TO STDOUT`. A restore runs
//! the script in one transaction, so a failure leaves the target as it was.

use std::io::{IsTerminal, Read, Write};

use helios_server::copy::{run_copy_in, run_copy_out};
use helios_server::copy_stmt::parse_copy;
use helios_server::Session;

/// What a dump reads from or a restore writes to.
pub trait Target {
    /// Runs one or more statements.
    fn batch(&mut self, sql: &str) -> Result<(), TargetError>;
    /// The rows of a query, as text (`None` for NULL).
    fn rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, TargetError>;
    /// `COPY spec TO STDOUT` (text format) into `out`; returns the number of rows.
    fn copy_out(&mut self, spec: &str, out: &mut dyn Write) -> Result<u64, TargetError>;
    /// `COPY spec FROM STDIN` with text-format `data`; returns the number of rows.
    fn copy_in(&mut self, spec: &str, data: &[u8]) -> Result<u64, TargetError>;
}

/// An error from the database (with its SQLSTATE) or from I/O.
#[derive(Debug)]
pub struct TargetError {
    /// The SQLSTATE, when the database gave one.
    pub code: Option<String>,
    /// The message.
    pub message: String,
}

impl From<helios_common::Error> for TargetError {
    fn from(e: helios_common::Error) -> TargetError {
        TargetError {
            code: Some(e.sqlstate().code().to_string()),
            message: e.message().to_string(),
        }
    }
}

impl From<std::io::Error> for TargetError {
    fn from(e: std::io::Error) -> TargetError {
        TargetError { code: None, message: e.to_string() }
    }
}

impl From<postgres::Error> for TargetError {
    fn from(e: postgres::Error) -> TargetError {
        match e.as_db_error() {
            Some(db) => TargetError {
                code: Some(db.code().code().to_string()),
                message: db.message().to_string(),
            },
            None => TargetError { code: None, message: e.to_string() },
        }
    }
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.code {
            Some(c) => write!(f, "{c}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// A database opened in this process.
pub struct Embedded(pub Box<dyn Session>);

impl Target for Embedded {
    fn batch(&mut self, sql: &str) -> Result<(), TargetError> {
        match self.0.execute_batch(sql).error {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    }

    fn rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, TargetError> {
        let r = self.0.query(sql, &[])?;
        Ok(r.rows
            .iter()
            .map(|row| row.iter().map(|v| (!v.is_null()).then(|| v.to_pg_text())).collect())
            .collect())
    }

    fn copy_out(&mut self, spec: &str, out: &mut dyn Write) -> Result<u64, TargetError> {
        let stmt = parse_copy(&format!("COPY {spec} TO STDOUT"))?;
        let copied = run_copy_out(self.0.as_mut(), &stmt)?;
        for row in &copied.rows {
            out.write_all(row)?;
        }
        Ok(copied.rows.len() as u64)
    }

    fn copy_in(&mut self, spec: &str, data: &[u8]) -> Result<u64, TargetError> {
        let stmt = parse_copy(&format!("COPY {spec} FROM STDIN"))?;
        Ok(run_copy_in(self.0.as_mut(), &stmt, data)?)
    }
}

/// A server reached over the PostgreSQL protocol.
pub struct Remote(pub postgres::Client);

impl Target for Remote {
    fn batch(&mut self, sql: &str) -> Result<(), TargetError> {
        Ok(self.0.batch_execute(sql)?)
    }

    fn rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, TargetError> {
        let mut out = Vec::new();
        for m in self.0.simple_query(sql)? {
            if let postgres::SimpleQueryMessage::Row(r) = m {
                out.push((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect());
            }
        }
        Ok(out)
    }

    fn copy_out(&mut self, spec: &str, out: &mut dyn Write) -> Result<u64, TargetError> {
        let mut reader = self.0.copy_out(&format!("COPY {spec} TO STDOUT"))?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut rows = 0u64;
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                return Ok(rows);
            }
            rows += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
            out.write_all(&buf[..n])?;
        }
    }

    fn copy_in(&mut self, spec: &str, data: &[u8]) -> Result<u64, TargetError> {
        let mut w = self.0.copy_in(&format!("COPY {spec} FROM STDIN"))?;
        w.write_all(data)?;
        Ok(w.finish()?)
    }
}

/// One line of progress on standard error, when it is a terminal.
struct Progress {
    on: bool,
}

impl Progress {
    fn new() -> Progress {
        Progress { on: std::io::stderr().is_terminal() }
    }

    fn show(&self, what: &str) {
        if self.on {
            eprint!("\r\x1b[2K{what}");
        }
    }

    fn done(&self) {
        if self.on {
            eprint!("\r\x1b[2K");
        }
    }
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Writes the dump of `target` to `out`; returns (tables, rows).
pub fn dump(target: &mut dyn Target, out: &mut dyn Write) -> Result<(u64, u64), TargetError> {
    target.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
    let result = dump_in_snapshot(target, out);
    let end = target.batch("COMMIT");
    let counts = result?;
    end?;
    Ok(counts)
}

fn dump_in_snapshot(
    target: &mut dyn Target,
    out: &mut dyn Write,
) -> Result<(u64, u64), TargetError> {
    let script = target.rows("SELECT section, statement FROM helios_dump_schema()")?;
    let entries: Vec<(String, String)> = script
        .into_iter()
        .map(|r| {
            let mut it = r.into_iter();
            (it.next().flatten().unwrap_or_default(), it.next().flatten().unwrap_or_default())
        })
        .collect();
    let progress = Progress::new();
    writeln!(out, "-- HeliosDB Nano dump (plain SQL: heliosdb-nano restore or psql loads it)\n")?;
    for (_, sql) in entries.iter().filter(|(s, _)| s == "pre") {
        writeln!(out, "{sql}\n")?;
    }
    let tables: Vec<&String> = entries.iter().filter(|(s, _)| s == "table").map(|e| &e.1).collect();
    let mut rows = 0;
    for (n, spec) in tables.iter().enumerate() {
        progress.show(&format!("dump: table {}/{}: {spec}", n + 1, tables.len()));
        writeln!(out, "COPY {spec} FROM stdin;")?;
        rows += target.copy_out(spec, out)?;
        writeln!(out, "\\.\n")?;
    }
    for (_, seq) in entries.iter().filter(|(s, _)| s == "sequence") {
        let v = target.rows(&format!("SELECT last_value, is_called FROM {seq}"))?;
        if let Some([Some(last), Some(called)]) = v.first().map(Vec::as_slice) {
            let called = if called == "t" || called == "true" { "true" } else { "false" };
            writeln!(out, "SELECT pg_catalog.setval({}, {last}, {called});\n", quote_literal(seq))?;
        }
    }
    for (_, sql) in entries.iter().filter(|(s, _)| s == "post") {
        writeln!(out, "{sql}\n")?;
    }
    progress.done();
    Ok((tables.len() as u64, rows))
}

/// One piece of a script: SQL text, or a COPY block with its data.
enum Piece<'a> {
    Sql(&'a str),
    Copy { spec: &'a str, data: String, line: usize },
}

/// Splits a script into SQL and `COPY ... FROM stdin;` blocks (their data runs to a line
/// `\.`).
fn pieces(script: &str) -> Result<Vec<Piece<'_>>, TargetError> {
    let mut out = Vec::new();
    let mut sql_start = 0;
    let mut offset = 0;
    let mut lines = script.split_inclusive('\n').enumerate();
    while let Some((n, line)) = lines.next() {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_end();
        let upper = trimmed.to_ascii_uppercase();
        let pending = &script[sql_start..start];
        let at_statement_start =
            pending.trim().is_empty() || helios_server::split::ends_with_terminator(pending);
        let copy_line = trimmed.len() >= "COPY ".len() + " FROM stdin;".len()
            && upper.starts_with("COPY ")
            && upper.ends_with(" FROM STDIN;");
        if at_statement_start && copy_line {
            if !pending.trim().is_empty() {
                out.push(Piece::Sql(pending));
            }
            let spec = &trimmed[5..trimmed.len() - " FROM stdin;".len()];
            let mut data = String::new();
            let mut ended = false;
            for (_, l) in lines.by_ref() {
                offset += l.len();
                if l.trim_end_matches(['\n', '\r']) == "\\." {
                    ended = true;
                    break;
                }
                data.push_str(l);
            }
            if !ended {
                return Err(TargetError {
                    code: None,
                    message: format!("line {}: COPY data does not end with a line \\.", n + 1),
                });
            }
            out.push(Piece::Copy { spec, data, line: n + 1 });
            sql_start = offset;
        }
    }
    let rest = &script[sql_start..];
    if !rest.trim().is_empty() {
        out.push(Piece::Sql(rest));
    }
    Ok(out)
}

/// Loads `script` into `target` in one transaction; returns the rows copied. A `CREATE
/// ROLE` of a role that exists already is skipped (roles outlive databases, as
/// PostgreSQL's do).
pub fn restore(target: &mut dyn Target, script: &str) -> Result<u64, TargetError> {
    let pieces = pieces(script)?;
    target.batch("BEGIN")?;
    match restore_pieces(target, &pieces) {
        Ok(rows) => {
            target.batch("COMMIT")?;
            Ok(rows)
        }
        Err(e) => {
            let _ = target.batch("ROLLBACK");
            Err(e)
        }
    }
}

fn restore_pieces(target: &mut dyn Target, pieces: &[Piece<'_>]) -> Result<u64, TargetError> {
    let progress = Progress::new();
    let mut rows = 0;
    for piece in pieces {
        match piece {
            Piece::Sql(sql) => {
                for stmt in helios_server::split::split_statements(sql) {
                    let is_role = stmt.to_ascii_uppercase().starts_with("CREATE ROLE ");
                    if !is_role {
                        target.batch(stmt)?;
                        continue;
                    }
                    target.batch("SAVEPOINT helios_restore_role")?;
                    match target.batch(stmt) {
                        Err(e) if e.code.as_deref() == Some("42710") => {
                            target.batch("ROLLBACK TO SAVEPOINT helios_restore_role")?;
                            eprintln!("restore: {}; kept the existing role", e.message);
                        }
                        other => other?,
                    }
                    target.batch("RELEASE SAVEPOINT helios_restore_role")?;
                }
            }
            Piece::Copy { spec, data, line } => {
                progress.show(&format!("restore: {spec}"));
                rows += target.copy_in(spec, data.as_bytes()).map_err(|e| TargetError {
                    message: format!("COPY at line {line}: {}", e.message),
                    ..e
                })?;
            }
        }
    }
    progress.done();
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_split_into_sql_and_copy_blocks() {
        let script =
            "CREATE TABLE t (a int);\n\nCOPY public.t (a) FROM stdin;\n1\n\\N\n\\.\n\nSELECT 1;\n";
        let p = pieces(script).expect("pieces");
        assert_eq!(p.len(), 3);
        assert!(matches!(p[0], Piece::Sql(s) if s.contains("CREATE TABLE")));
        assert!(
            matches!(&p[1], Piece::Copy { spec, data, line: 3 } if *spec == "public.t (a)" && data == "1\n\\N\n")
        );
        assert!(matches!(p[2], Piece::Sql(s) if s.trim() == "SELECT 1;"));
        let broken = "COPY t (a) FROM stdin;\n1\n";
        assert!(pieces(broken).is_err());
        // A line that only looks like a COPY is SQL (and never a bad slice).
        let odd = "COPY FROM STDIN;\n";
        assert!(matches!(pieces(odd).expect("pieces")[..], [Piece::Sql(_)]));
    }
}
