//! Branch statements of a session: `CREATE / USE / SHOW / MERGE / DROP BRANCH`, the
//! `helios.branch` and `helios.retention` settings.
//!
//! The session's branch is per connection: `USE BRANCH` (or `SET helios.branch`) changes
//! where this session's later transactions read and write; other sessions are
//! unaffected. Branch statements take effect at once and cannot run inside a
//! transaction block (25001), like PostgreSQL's `CREATE DATABASE`.
//!
//! Merging goes through storage's three-way merge. Before it, keys the SQL layer keeps
//! as counters (the catalog version token, the object id counter, sequence values) are
//! reconciled on both branches so that they never show up as conflicts; after it, the
//! destination gets a fresh catalog version so every session re-reads its schema.

use std::time::Duration;

use helios_common::{BranchId, Error, Result, SqlState};
use helios_storage::{MergeStrategy, TxnOptions, MERGE_CONFLICT};
use helios_types::Value;

use super::branch_rows::{branch_rows, conflict_rows, BRANCH_COLUMNS};
use super::{Column, Mode, QueryResult, Session, StatementResult};
use crate::catalog::CatalogStore;
use crate::encoding::keys;
use crate::exec::vector_index;
use crate::parser::helios::{HeliosStatement, OnConflict};

/// How many sessions use each branch other than `main`.
pub type BranchUsers = super::use_counts::UseCounts<BranchId>;

impl Drop for Session {
    fn drop(&mut self) {
        self.drop_temp_objects();
        self.engine.advisory.release(self.id, true, true);
        self.engine.notify.remove(self.id);
        self.engine.branch_users.leave(self.branch);
        if let Some(role) = self.login_role {
            self.engine.role_logins.leave(role);
        }
    }
}

/// 42704 `branch "x" does not exist`.
pub(crate) fn unknown_branch(name: &str) -> Error {
    Error::new(SqlState::UNDEFINED_OBJECT, format!("branch \"{name}\" does not exist"))
}

/// Parses a retention period such as `7 days`, `12h`, `30 min` or a number of seconds.
fn parse_retention(text: &str) -> Result<Duration> {
    let bad = || {
        Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("invalid value for parameter \"helios.retention\": \"{text}\""),
        )
        .with_hint("Use a number followed by a unit: s, min, h, d, e.g. '7 days'.")
    };
    let t = text.trim().to_ascii_lowercase();
    let split = t.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.trim().parse().map_err(|_| bad())?;
    let secs = match unit.trim() {
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "min" | "mins" | "minute" | "minutes" => 60.0,
        "h" | "hour" | "hours" => 3600.0,
        "d" | "day" | "days" => 86400.0,
        _ => return Err(bad()),
    };
    let total = n * secs;
    if !total.is_finite() || !(0.0..=1e12).contains(&total) {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(total))
}

/// Shows a retention period the way `helios.retention` is set.
fn show_retention(d: Duration) -> String {
    let s = d.as_secs();
    if s.is_multiple_of(86400) && s > 0 {
        format!("{} days", s / 86400)
    } else if s.is_multiple_of(3600) && s > 0 {
        format!("{} hours", s / 3600)
    } else {
        format!("{s} s")
    }
}

/// The result columns of one of our statements (for Describe).
pub(super) fn result_columns(stmt: &HeliosStatement) -> Vec<Column> {
    match stmt {
        HeliosStatement::ShowBranches => BRANCH_COLUMNS
            .iter()
            .map(|(n, t)| Column { name: n.to_string(), data_type: t.clone() })
            .collect(),
        _ => Vec::new(),
    }
}

impl Session {
    /// The name of the session's branch.
    pub fn branch_name(&self) -> String {
        self.engine
            .storage
            .branch_by_id(self.branch)
            .ok()
            .flatten()
            .map(|b| b.name)
            .unwrap_or_else(|| "main".into())
    }

    /// Switches this session to branch `name` (42704 when it does not exist, 25001 inside
    /// a transaction).
    pub fn use_branch(&mut self, name: &str) -> Result<()> {
        if self.mode == Mode::Explicit || self.mode == Mode::Failed || self.txn.is_some() {
            return Err(Error::new(
                SqlState::ACTIVE_SQL_TRANSACTION,
                "cannot change branch inside a transaction block",
            ));
        }
        let info = self.engine.storage.branch(name)?.ok_or_else(|| unknown_branch(name))?;
        if info.id != self.branch {
            self.engine.branch_users.leave(self.branch);
            self.engine.branch_users.enter(info.id);
            self.branch = info.id;
        }
        self.settings.set("helios.branch", &info.name)
    }

    /// `SET helios.*`: `true` when the setting was one of ours.
    pub(super) fn set_helios_setting(&mut self, name: &str, value: &str) -> Result<bool> {
        match name.to_ascii_lowercase().as_str() {
            "helios.branch" => {
                self.use_branch(value)?;
                Ok(true)
            }
            "helios.retention" => {
                self.engine.storage.set_retention(parse_retention(value)?)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// `SHOW helios.*` values that live outside the session's settings.
    pub(super) fn show_helios_setting(&self, name: &str) -> Option<String> {
        match name {
            "helios.branch" => Some(self.branch_name()),
            "helios.retention" => Some(show_retention(self.engine.storage.retention())),
            _ => None,
        }
    }

    /// Runs one of our statements.
    pub(super) fn run_helios(&mut self, stmt: &HeliosStatement) -> Result<StatementResult> {
        if self.mode == Mode::Failed {
            return Err(Error::new(
                SqlState::IN_FAILED_SQL_TRANSACTION,
                "current transaction is aborted, commands ignored until end of transaction block",
            ));
        }
        if let HeliosStatement::Maintenance(m) = stmt {
            return self.run_maintenance(m);
        }
        if let HeliosStatement::Checkpoint = stmt {
            // As in PostgreSQL, also inside a transaction block; it writes what was
            // committed, not the block's own changes.
            self.engine.storage.checkpoint()?;
            return Ok(StatementResult::command("CHECKPOINT"));
        }
        if let HeliosStatement::ShowBranches = stmt {
            let rows = branch_rows(&self.engine)?;
            let n = rows.len();
            return Ok(StatementResult::Rows(QueryResult {
                columns: result_columns(stmt),
                rows,
                tag: format!("SHOW {n}"),
            }));
        }
        if self.mode == Mode::Explicit || self.txn.is_some() {
            let what = match stmt {
                HeliosStatement::CreateBranch { .. } => "CREATE BRANCH",
                HeliosStatement::UseBranch(_) => "USE BRANCH",
                HeliosStatement::MergeBranch { .. } => "MERGE BRANCH",
                _ => "DROP BRANCH",
            };
            return Err(Error::new(
                SqlState::ACTIVE_SQL_TRANSACTION,
                format!("{what} cannot run inside a transaction block"),
            ));
        }
        match stmt {
            HeliosStatement::CreateBranch { name, parent, as_of } => {
                let storage = &self.engine.storage;
                let parent = match parent {
                    Some(p) => storage.branch(p)?.ok_or_else(|| unknown_branch(p))?.id,
                    None => self.branch,
                };
                let at = match as_of {
                    Some(a) => {
                        let info = self.info();
                        let ctx = info.helios.clone().ok_or_else(|| Error::internal("no ctx"))?;
                        Some(ctx.timestamp_of(a, &info)?)
                    }
                    None => None,
                };
                storage.create_branch(name, parent, at)?;
                Ok(StatementResult::command("CREATE BRANCH"))
            }
            HeliosStatement::UseBranch(name) => {
                self.use_branch(name)?;
                Ok(StatementResult::command("USE BRANCH"))
            }
            HeliosStatement::MergeBranch { source, target, on_conflict } => {
                let n = self.merge_branches(source, target, *on_conflict)?;
                Ok(StatementResult::Command { tag: "MERGE BRANCH".into(), rows_affected: n })
            }
            HeliosStatement::DropBranch { name, if_exists, cascade } => {
                self.drop_branch(name, *if_exists, *cascade)?;
                Ok(StatementResult::command("DROP BRANCH"))
            }
            HeliosStatement::ShowBranches
            | HeliosStatement::Maintenance(_)
            | HeliosStatement::Checkpoint => Err(Error::internal("handled above")),
        }
    }

    fn drop_branch(&mut self, name: &str, if_exists: bool, cascade: bool) -> Result<()> {
        let storage = &self.engine.storage;
        if name == "main" {
            return Err(Error::new(
                SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                "cannot drop branch \"main\"",
            ));
        }
        let Some(info) = storage.branch(name)? else {
            if if_exists {
                return Ok(());
            }
            return Err(unknown_branch(name));
        };
        // The branch and its descendants, children before parents.
        let all = storage.branches()?;
        let mut order = vec![info.clone()];
        let mut i = 0;
        while i < order.len() {
            let id = order[i].id;
            order.extend(all.iter().filter(|b| b.parent == Some(id)).cloned());
            i += 1;
        }
        if !cascade && order.len() > 1 {
            let children: Vec<String> = order[1..].iter().map(|b| b.name.clone()).collect();
            return Err(Error::new(
                SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
                format!("cannot drop branch \"{name}\" because other branches depend on it"),
            )
            .with_detail(format!("branches forked from it: {}", children.join(", ")))
            .with_hint("Use DROP BRANCH ... CASCADE to drop them too."));
        }
        for b in &order {
            if b.id == self.branch {
                return Err(Error::new(
                    SqlState::OBJECT_IN_USE,
                    format!("cannot drop branch \"{}\" while this connection uses it", b.name),
                )
                .with_hint("USE BRANCH main first."));
            }
            let users = self.engine.branch_users.count(b.id);
            if users > 0 && !cascade {
                return Err(Error::new(
                    SqlState::OBJECT_IN_USE,
                    format!("branch \"{}\" is being used by {users} other connection(s)", b.name),
                )
                .with_hint("Use DROP BRANCH ... CASCADE to drop it anyway."));
            }
        }
        for b in order.iter().rev() {
            storage.drop_branch(&b.name)?;
        }
        Ok(())
    }

    fn merge_branches(&mut self, source: &str, target: &str, on: OnConflict) -> Result<u64> {
        let storage = self.engine.storage.clone();
        let src = storage.branch(source)?.ok_or_else(|| unknown_branch(source))?;
        let dst = storage.branch(target)?.ok_or_else(|| unknown_branch(target))?;
        let strategy = match on {
            OnConflict::Fail => MergeStrategy::Fail,
            OnConflict::Ours => MergeStrategy::Ours,
            OnConflict::Theirs => MergeStrategy::Theirs,
        };
        if src.id == dst.id {
            return Err(Error::new(
                SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!("cannot merge branch \"{source}\" into itself"),
            ));
        }
        if strategy == MergeStrategy::Fail {
            let conflicts = conflict_rows(&self.engine, src.id, dst.id)?;
            if !conflicts.is_empty() {
                let lines: Vec<String> = conflicts
                    .iter()
                    .map(|r| {
                        let t = |i: usize| match &r[i] {
                            Value::Null => "absent".to_string(),
                            v => v.to_pg_text(),
                        };
                        format!(
                            "{} key {}: base {}, ours {}, theirs {}",
                            t(0),
                            t(1),
                            t(2),
                            t(3),
                            t(4)
                        )
                    })
                    .collect();
                return Err(Error::new(
                    MERGE_CONFLICT,
                    format!(
                        "merge of branch \"{source}\" into \"{target}\" has {} conflicting rows",
                        conflicts.len()
                    ),
                )
                .with_detail(lines.join("\n"))
                .with_hint(
                    "Merge WITH (on_conflict = 'ours') or 'theirs', or change one side; \
                     helios_merge_conflicts() lists the rows.",
                ));
            }
        }
        self.reconcile_counters(src.id, dst.id)?;
        let indexed =
            self.set_aside_vector_indexes(src.id)? | self.set_aside_vector_indexes(dst.id)?;
        let report = storage.merge(src.id, dst.id, strategy)?;
        let touched_catalog = report.applied.iter().any(|(k, _)| k.first() == Some(&keys::CATALOG));
        if touched_catalog {
            self.bump_catalog_version(dst.id)?;
        }
        let rows = report
            .applied
            .iter()
            .filter(|(k, _)| k.first() == Some(&keys::DATA) && k.get(5..9) == Some(&[0, 0, 0, 0]))
            .count();
        if indexed {
            self.rebuild_vector_indexes(dst.id)?;
        }
        Ok(rows as u64)
    }

    /// Deletes the HNSW graph records on `branch` before a merge (see
    /// [`vector_index::drop_all_records`]); whether the branch had any vector index.
    fn set_aside_vector_indexes(&self, branch: BranchId) -> Result<bool> {
        let mut txn = self.engine.storage.begin(TxnOptions { branch, ..TxnOptions::default() })?;
        let catalog = self.engine.catalogs.get(&txn)?;
        if vector_index::drop_all_records(&self.engine.vectors, &mut txn, &catalog)? {
            txn.commit()?;
            Ok(true)
        } else {
            txn.rollback();
            Ok(false)
        }
    }

    /// Rebuilds and persists the HNSW graphs of `branch` over its merged rows.
    fn rebuild_vector_indexes(&self, branch: BranchId) -> Result<()> {
        let mut txn = self.engine.storage.begin(TxnOptions { branch, ..TxnOptions::default() })?;
        let catalog = self.engine.catalogs.get(&txn)?;
        if vector_index::rebuild_all(&self.engine.vectors, &mut txn, &catalog)? {
            txn.commit()?;
        } else {
            txn.rollback();
        }
        Ok(())
    }

    /// Makes the counter keys (catalog version, object ids, sequences) agree on both
    /// branches, so the merge neither reports them nor moves a counter backwards.
    fn reconcile_counters(&self, src: BranchId, dst: BranchId) -> Result<()> {
        let storage = &self.engine.storage;
        let preview = storage.merge_preview(src, dst, MergeStrategy::Ours)?;
        let mut fixes: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        let mut version = false;
        for c in &preview.conflicts {
            let (Some(s), Some(t)) = (&c.source, &c.target) else { continue };
            if c.key == keys::catalog_version() {
                version = true;
            } else if c.key == keys::next_object_id() {
                let n = |b: &[u8]| b.get(..4).map(|x| u32::from_be_bytes([x[0], x[1], x[2], x[3]]));
                fixes.push((c.key.clone(), if n(s) >= n(t) { s.clone() } else { t.clone() }));
            } else if c.key.first() == Some(&keys::SEQUENCE) {
                let n = |b: &[u8]| {
                    b.get(..8).map(|x| i64::from_be_bytes(x.try_into().unwrap_or([0; 8])))
                };
                fixes.push((c.key.clone(), if n(s) >= n(t) { s.clone() } else { t.clone() }));
            }
        }
        if version {
            let token = self.engine.next_catalog_version();
            fixes.push((keys::catalog_version(), token.to_be_bytes().to_vec()));
        }
        if fixes.is_empty() {
            return Ok(());
        }
        for b in [src, dst] {
            let mut txn = storage.begin(TxnOptions { branch: b, ..TxnOptions::default() })?;
            for (k, v) in &fixes {
                txn.put(k, v)?;
            }
            txn.commit()?;
        }
        if version {
            // The shared token must not outlive the merge on the source either.
            self.bump_catalog_version(src)?;
        }
        Ok(())
    }

    fn bump_catalog_version(&self, branch: BranchId) -> Result<()> {
        let mut txn = self.engine.storage.begin(TxnOptions { branch, ..TxnOptions::default() })?;
        CatalogStore::set_version(&mut txn, self.engine.next_catalog_version())?;
        txn.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_retention_periods() {
        assert_eq!(parse_retention("7 days").unwrap(), Duration::from_secs(7 * 86400));
        assert_eq!(parse_retention("12h").unwrap(), Duration::from_secs(12 * 3600));
        assert_eq!(parse_retention("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_retention("30 min").unwrap(), Duration::from_secs(1800));
        assert!(parse_retention("soon").is_err());
        assert!(parse_retention("-1 days").is_err());
        assert_eq!(show_retention(Duration::from_secs(7 * 86400)), "7 days");
    }
}
