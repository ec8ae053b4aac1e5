//! Branches and time travel through the embedded API.
//!
//! Everything here is also reachable through SQL (`CREATE BRANCH`, `USE BRANCH`,
//! `MERGE BRANCH`, `DROP BRANCH`, `helios_branch_diff`, `... AS OF TIMESTAMP`); these
//! methods are typed shortcuts for programs and for the REPL.

pub use helios_common::{Timestamp, TxnId};
pub use helios_sql::parser::helios::OnConflict;

use helios_common::{Error, Result};
use helios_sql::session::{from_sql_timestamp, QueryResult, StatementResult};
use helios_types::Value;

use crate::{Connection, Database};

/// One branch, as `SHOW BRANCHES` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct BranchInfo {
    /// The branch name.
    pub name: String,
    /// The branch it was forked from (`None` for `main`).
    pub parent: Option<String>,
    /// The commit timestamp it was forked at.
    pub fork_timestamp: Timestamp,
    /// When it was created.
    pub created_at: Timestamp,
    /// Rows it changed itself (`None` for `main`).
    pub changed_rows: Option<u64>,
}

/// One row that differs between two branches (`helios_branch_diff`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchChange {
    /// The table (`helios_catalog` for schema records).
    pub table: String,
    /// The row's primary key, as text.
    pub key: String,
    /// `insert`, `update` or `delete` (going from the first branch to the second).
    pub change: String,
    /// The row on the first branch, as text.
    pub old_row: Option<String>,
    /// The row on the second branch, as text.
    pub new_row: Option<String>,
}

/// A SQL identifier, quoted.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Text(s) => Some(s.clone()),
        other => Some(other.to_pg_text()),
    }
}

fn rows(r: StatementResult) -> Result<QueryResult> {
    match r {
        StatementResult::Rows(q) => Ok(q),
        StatementResult::Command { tag, .. } => {
            Err(Error::internal(format!("expected rows, got {tag}")))
        }
    }
}

impl Connection {
    /// Switches this connection to branch `name` (`USE BRANCH`); other connections
    /// are unaffected.
    pub fn use_branch(&mut self, name: &str) -> Result<()> {
        self.session_mut().use_branch(name)
    }

    /// The branch this connection reads and writes.
    pub fn current_branch(&self) -> String {
        self.session().branch_name()
    }

    /// Creates branch `name` from `from` (default: this connection's branch) as of
    /// `as_of` (default: now). O(1): no data is copied.
    pub fn create_branch(
        &mut self,
        name: &str,
        from: Option<&str>,
        as_of: Option<Timestamp>,
    ) -> Result<()> {
        let mut sql = format!("CREATE BRANCH {}", ident(name));
        if let Some(f) = from {
            sql.push_str(&format!(" FROM {}", ident(f)));
        }
        if let Some(ts) = as_of {
            let v = helios_sql::session::to_sql_timestamp(ts);
            sql.push_str(&format!(" AS OF TIMESTAMP '{}'", v.to_pg_text()));
        }
        self.run(&sql, &[]).map(|_| ())
    }

    /// Merges `source` into `target`; returns the number of rows written.
    pub fn merge_branch(&mut self, source: &str, target: &str, on: OnConflict) -> Result<u64> {
        let strategy = match on {
            OnConflict::Fail => "fail",
            OnConflict::Ours => "ours",
            OnConflict::Theirs => "theirs",
        };
        let sql = format!(
            "MERGE BRANCH {} INTO {} WITH (on_conflict = '{strategy}')",
            ident(source),
            ident(target)
        );
        Ok(self.run(&sql, &[])?.rows_affected())
    }

    /// Drops branch `name` (`cascade`: with its children, even while in use).
    pub fn drop_branch(&mut self, name: &str, cascade: bool) -> Result<()> {
        let sql = format!("DROP BRANCH {}{}", ident(name), if cascade { " CASCADE" } else { "" });
        self.run(&sql, &[]).map(|_| ())
    }

    /// Every branch.
    pub fn branches(&mut self) -> Result<Vec<BranchInfo>> {
        let q = rows(self.run("SHOW BRANCHES", &[])?)?;
        q.rows
            .iter()
            .map(|r| {
                Ok(BranchInfo {
                    name: text(&r[0]).unwrap_or_default(),
                    parent: text(&r[1]),
                    fork_timestamp: from_sql_timestamp(&r[2])?,
                    created_at: from_sql_timestamp(&r[3])?,
                    changed_rows: match r[4] {
                        Value::Int8(n) => Some(n.max(0) as u64),
                        _ => None,
                    },
                })
            })
            .collect()
    }

    /// The rows whose latest values differ between branches `a` and `b`.
    pub fn branch_diff(&mut self, a: &str, b: &str) -> Result<Vec<BranchChange>> {
        let q = self.query(
            "SELECT * FROM helios_branch_diff($1, $2)",
            &[Value::Text(a.into()), Value::Text(b.into())],
        )?;
        Ok(q.rows
            .iter()
            .map(|r| BranchChange {
                table: text(&r[0]).unwrap_or_default(),
                key: text(&r[1]).unwrap_or_default(),
                change: text(&r[2]).unwrap_or_default(),
                old_row: text(&r[3]),
                new_row: text(&r[4]),
            })
            .collect())
    }

    /// Runs one query reading every table as it was at `ts` on this connection's branch.
    pub fn query_as_of(
        &mut self,
        sql: &str,
        params: &[Value],
        ts: Timestamp,
    ) -> Result<QueryResult> {
        rows(self.session_mut().execute_as_of(sql, params, ts)?)
    }
}

impl Database {
    /// The timestamp of the latest commit: a later `query_as_of` at it sees everything
    /// committed so far.
    pub fn last_commit_timestamp(&self) -> Timestamp {
        self.engine().storage.visible_ts()
    }

    /// The id and commit timestamp of the latest committed transaction.
    pub fn last_commit(&self) -> Result<Option<(TxnId, Timestamp)>> {
        let storage = &self.engine().storage;
        Ok(storage.commits(storage.visible_ts(), Timestamp::MAX)?.first().map(|c| (c.txn, c.ts)))
    }

    /// Sets how long superseded versions stay readable (persisted, database-wide).
    pub fn set_retention(&self, retention: std::time::Duration) -> Result<()> {
        self.engine().storage.set_retention(retention)
    }

    /// Every branch.
    pub fn branches(&self) -> Result<Vec<BranchInfo>> {
        self.connect().branches()
    }

    /// Creates branch `name` from `from` (default `main`) as of `as_of` (default now).
    pub fn create_branch(
        &self,
        name: &str,
        from: Option<&str>,
        as_of: Option<Timestamp>,
    ) -> Result<()> {
        self.connect().create_branch(name, from, as_of)
    }

    /// Merges `source` into `target`; returns the number of rows written.
    pub fn merge_branch(&self, source: &str, target: &str, on: OnConflict) -> Result<u64> {
        self.connect().merge_branch(source, target, on)
    }

    /// Drops branch `name` (refused while a connection uses it, unless `cascade`).
    pub fn drop_branch(&self, name: &str, cascade: bool) -> Result<()> {
        self.connect().drop_branch(name, cascade)
    }

    /// The rows whose latest values differ between branches `a` and `b`.
    pub fn branch_diff(&self, a: &str, b: &str) -> Result<Vec<BranchChange>> {
        self.connect().branch_diff(a, b)
    }
}
