//! BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE, ROLLBACK TO and SET TRANSACTION.

use helios_common::{Error, Result, SqlState};
use helios_storage::Isolation;
use sqlparser::ast;

use super::{Mode, Session, StatementResult};
use crate::parser::ident_name;

fn serializable_error() -> Error {
    Error::new(
        SqlState::FEATURE_NOT_SUPPORTED,
        "SERIALIZABLE isolation is not supported yet; use REPEATABLE READ or READ COMMITTED",
    )
    .with_hint("HeliosDB Nano rejects SERIALIZABLE rather than silently running a weaker level.")
}

/// Isolation and read-only flag requested by transaction modes (`None` = unchanged).
fn parse_modes(modes: &[ast::TransactionMode]) -> Result<(Option<Isolation>, Option<bool>)> {
    let mut iso = None;
    let mut ro = None;
    for m in modes {
        match m {
            ast::TransactionMode::IsolationLevel(l) => {
                iso = Some(match l {
                    ast::TransactionIsolationLevel::ReadUncommitted
                    | ast::TransactionIsolationLevel::ReadCommitted => Isolation::ReadCommitted,
                    ast::TransactionIsolationLevel::RepeatableRead
                    | ast::TransactionIsolationLevel::Snapshot => Isolation::RepeatableRead,
                    ast::TransactionIsolationLevel::Serializable => {
                        return Err(serializable_error())
                    }
                })
            }
            ast::TransactionMode::AccessMode(a) => {
                ro = Some(matches!(a, ast::TransactionAccessMode::ReadOnly))
            }
        }
    }
    Ok((iso, ro))
}

fn isolation_name(i: Isolation) -> &'static str {
    match i {
        Isolation::ReadCommitted => "read committed",
        Isolation::RepeatableRead => "repeatable read",
    }
}

impl Session {
    /// Handles transaction-control statements; `None` for anything else.
    pub(super) fn transaction_control(
        &mut self,
        stmt: &ast::Statement,
    ) -> Result<Option<StatementResult>> {
        match stmt {
            ast::Statement::StartTransaction { modes, .. } => {
                if self.mode == Mode::Failed {
                    return Err(in_failed());
                }
                let (iso, ro) = parse_modes(modes)?;
                match self.mode {
                    Mode::Explicit => {
                        // PostgreSQL only warns: there is already a transaction in progress.
                    }
                    Mode::Implicit => {
                        // BEGIN inside a multi-statement batch turns its implicit
                        // transaction into a block; modes apply if nothing ran yet.
                        self.mode = Mode::Explicit;
                        self.settings_begin();
                        let default_iso = self.default_isolation()?;
                        let iso = iso.unwrap_or(default_iso);
                        let ro = ro.unwrap_or(false);
                        self.pending = Some((iso, ro));
                        self.settings_set_txn(iso, ro);
                        if !self.statement_ran {
                            if let Some(t) = self.txn.take() {
                                t.rollback();
                            }
                        }
                        self.ensure_txn()?;
                    }
                    _ => {
                        self.mode = Mode::Explicit;
                        self.settings_begin();
                        let default_iso = self.default_isolation()?;
                        let iso = iso.unwrap_or(default_iso);
                        let ro = ro.unwrap_or(false);
                        self.pending = Some((iso, ro));
                        self.settings_set_txn(iso, ro);
                        self.ensure_txn()?;
                    }
                }
                Ok(Some(StatementResult::command("BEGIN")))
            }
            ast::Statement::Commit { chain, .. } => {
                if *chain {
                    return Err(Error::unsupported("COMMIT AND CHAIN"));
                }
                if self.mode != Mode::Failed {
                    if let Err(e) = self.check_deferred(None) {
                        // A deferred constraint that fails at commit rolls the block back.
                        if let Some(t) = self.txn.take() {
                            t.rollback();
                        }
                        self.end_block();
                        self.settings_end(false);
                        self.engine.advisory.release(self.id, false, true);
                        self.engine.notify.end_transaction(self.id, false);
                        return Err(e);
                    }
                    // Leaves the block open on error: the COMMIT fails like a statement.
                    self.run_on_commit()?;
                }
                let tag = if self.mode == Mode::Failed { "ROLLBACK" } else { "COMMIT" };
                let txn = self.txn.take();
                let failed = self.mode == Mode::Failed;
                self.end_block();
                let committed = match txn {
                    Some(t) if !failed => t.commit().map(|_| true),
                    Some(t) => {
                        t.rollback();
                        Ok(false)
                    }
                    None => Ok(false),
                };
                self.settings_end(!failed && committed.is_ok());
                // Transaction-level advisory locks end with the transaction (after the
                // commit, so a waiter sees its writes); notifications go out.
                self.engine.advisory.release(self.id, false, true);
                self.engine.notify.end_transaction(self.id, matches!(committed, Ok(true)));
                if committed? {
                    self.cursors.committed(self.block_seq);
                }
                Ok(Some(StatementResult::command(tag)))
            }
            ast::Statement::Rollback { chain, savepoint } => {
                if *chain {
                    return Err(Error::unsupported("ROLLBACK AND CHAIN"));
                }
                match savepoint {
                    None => {
                        if let Some(t) = self.txn.take() {
                            t.rollback();
                        }
                        self.engine.advisory.release(self.id, false, true);
                        self.engine.notify.end_transaction(self.id, false);
                        self.end_block();
                        self.settings_end(false);
                        Ok(Some(StatementResult::command("ROLLBACK")))
                    }
                    Some(name) => {
                        let name = ident_name(name);
                        self.require_block("ROLLBACK TO SAVEPOINT")?;
                        let pos = self
                            .savepoints
                            .iter()
                            .rposition(|(n, ..)| *n == name)
                            .ok_or_else(|| no_savepoint(&name))?;
                        let (sp, mark) = (self.savepoints[pos].1, self.savepoints[pos].2);
                        let settings = self.savepoints[pos].3.clone();
                        self.settings_rollback_to(settings.as_ref());
                        self.savepoints.truncate(pos + 1);
                        if let Some(t) = &mut self.txn {
                            t.rollback_to(sp)?;
                        }
                        self.engine.notify.rollback_to(self.id, mark);
                        self.mode = Mode::Explicit;
                        Ok(Some(StatementResult::command("ROLLBACK")))
                    }
                }
            }
            ast::Statement::Savepoint { name } => {
                if self.mode == Mode::Failed {
                    return Err(in_failed());
                }
                self.require_block("SAVEPOINT")?;
                self.ensure_txn()?;
                let sp = match &mut self.txn {
                    Some(t) => t.savepoint(),
                    None => return Err(Error::internal("no transaction for SAVEPOINT")),
                };
                let mark = self.engine.notify.mark(self.id);
                let settings = self.settings_mark();
                self.savepoints.push((ident_name(name), sp, mark, settings));
                Ok(Some(StatementResult::command("SAVEPOINT")))
            }
            ast::Statement::ReleaseSavepoint { name } => {
                if self.mode == Mode::Failed {
                    return Err(in_failed());
                }
                self.require_block("RELEASE SAVEPOINT")?;
                let name = ident_name(name);
                let pos = self
                    .savepoints
                    .iter()
                    .rposition(|(n, ..)| *n == name)
                    .ok_or_else(|| no_savepoint(&name))?;
                self.savepoints.truncate(pos);
                Ok(Some(StatementResult::command("RELEASE")))
            }
            ast::Statement::Set(ast::Set::SetTransaction { modes, session, .. }) => {
                if self.mode == Mode::Failed {
                    return Err(in_failed());
                }
                let (iso, ro) = parse_modes(modes)?;
                if *session {
                    if let Some(i) = iso {
                        self.settings.set("default_transaction_isolation", isolation_name(i))?;
                    }
                    if let Some(r) = ro {
                        self.settings
                            .set("default_transaction_read_only", if r { "on" } else { "off" })?;
                    }
                    return Ok(Some(StatementResult::command("SET")));
                }
                if self.mode != Mode::Explicit {
                    // PostgreSQL warns and ignores SET TRANSACTION outside a block.
                    return Ok(Some(StatementResult::command("SET")));
                }
                if iso.is_some() && self.txn.as_ref().is_some_and(|_| self.statement_ran) {
                    return Err(Error::new(
                        SqlState::ACTIVE_SQL_TRANSACTION,
                        "SET TRANSACTION ISOLATION LEVEL must be called before any query",
                    ));
                }
                let (cur_iso, cur_ro) = self.pending.unwrap_or((Isolation::ReadCommitted, false));
                let new = (iso.unwrap_or(cur_iso), ro.unwrap_or(cur_ro));
                self.pending = Some(new);
                self.settings_set_txn(new.0, new.1);
                // Restart the (still unused) storage transaction with the new options.
                if let Some(t) = self.txn.take() {
                    t.rollback();
                }
                self.ensure_txn()?;
                Ok(Some(StatementResult::command("SET")))
            }
            _ => Ok(None),
        }
    }

    fn settings_set_txn(&mut self, iso: Isolation, ro: bool) {
        // These are session-visible mirrors of the block's modes; errors cannot happen
        // for these known names and values.
        let _ = self.settings.set("transaction_isolation", isolation_name(iso));
        let _ = self.settings.set("transaction_read_only", if ro { "on" } else { "off" });
    }

    pub(super) fn require_block(&self, what: &str) -> Result<()> {
        match self.mode {
            Mode::Explicit | Mode::Failed => Ok(()),
            _ => Err(Error::new(
                SqlState::NO_ACTIVE_SQL_TRANSACTION,
                format!("{what} can only be used in transaction blocks"),
            )),
        }
    }

    /// Leaves the transaction block (after COMMIT or ROLLBACK).
    /// Verifies the deferred foreign key checks (those of `only` constraints, as
    /// `(table, name)`, or all of them), dropping them from the queue.
    pub(super) fn check_deferred(&mut self, only: Option<&[(u32, String)]>) -> Result<()> {
        if self.deferred_fk.is_empty() {
            return Ok(());
        }
        let Some(txn) = self.txn.as_ref() else {
            self.deferred_fk.clear();
            return Ok(());
        };
        let catalog = self.engine.catalogs.get(txn)?;
        let (now, keep): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.deferred_fk).into_iter().partition(|c| {
                only.is_none_or(|o| o.iter().any(|(t, n)| *t == c.table && *n == c.constraint))
            });
        self.deferred_fk = keep;
        for check in &now {
            crate::exec::fk_check::verify(txn, &catalog, check)?;
        }
        Ok(())
    }

    fn end_block(&mut self) {
        self.deferred_fk.clear();
        self.constraint_modes = Default::default();
        self.mode = if self.mode == Mode::Implicit { Mode::Implicit } else { Mode::Autocommit };
        self.savepoints.clear();
        self.pending = None;
        self.statement_ran = false;
        let default_iso = self
            .settings
            .get("default_transaction_isolation")
            .unwrap_or_else(|| "read committed".into());
        let _ = self.settings.set("transaction_isolation", &default_iso);
        let _ = self.settings.set("transaction_read_only", "off");
    }
}

fn in_failed() -> Error {
    Error::new(
        SqlState::IN_FAILED_SQL_TRANSACTION,
        "current transaction is aborted, commands ignored until end of transaction block",
    )
}

fn no_savepoint(name: &str) -> Error {
    Error::new(SqlState::from_code("3B001"), format!("savepoint \"{name}\" does not exist"))
}
