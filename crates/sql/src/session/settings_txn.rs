//! Settings inside transactions, kept as PostgreSQL keeps them:
//!
//! - a `SET` (or `RESET`, `set_config(..., false)`, `SET ROLE`) made in a transaction
//!   that rolls back is undone; once the transaction commits it stays;
//! - `SET LOCAL` (and `set_config(..., true)`) lasts until the transaction ends, whether
//!   it commits or not; outside a transaction block it has no effect (a warning);
//! - `ROLLBACK TO SAVEPOINT` undoes the changes made since the savepoint.
//!
//! A transaction block keeps the settings it began with ([`Settings`] clones share their
//! values, so this costs a reference count) and, for each setting changed with
//! `SET LOCAL`, the value a commit gives back.

use helios_common::Result;

use super::{Mode, Session, Settings};
use crate::expr::SettingChange;

/// The settings state of the open transaction block.
#[derive(Debug, Clone)]
pub(super) struct SettingsTxn {
    /// The settings when the block began (what a rollback restores).
    at_start: Settings,
    /// Settings changed with `SET LOCAL`, each with the value a commit restores: the
    /// value before its first `SET LOCAL`, or what a later plain `SET` gave it.
    locals: Vec<(String, Option<String>)>,
}

/// What `ROLLBACK TO SAVEPOINT` restores.
#[derive(Debug, Clone)]
pub(super) struct SettingsMark {
    settings: Settings,
    locals: Vec<(String, Option<String>)>,
}

impl Session {
    /// Starts tracking settings for a transaction block (no-op when already tracking).
    pub(super) fn settings_begin(&mut self) {
        if self.settings_txn.is_none() {
            self.settings_txn =
                Some(SettingsTxn { at_start: self.settings.clone(), locals: Vec::new() });
        }
    }

    /// Ends the block's settings: a commit keeps them except those set with `SET LOCAL`,
    /// a rollback restores the settings the block began with.
    pub(super) fn settings_end(&mut self, committed: bool) {
        let Some(txn) = self.settings_txn.take() else { return };
        if committed {
            for (name, value) in txn.locals {
                self.settings.restore(&name, value);
            }
        } else {
            self.settings = txn.at_start;
        }
    }

    /// The state a savepoint returns to.
    pub(super) fn settings_mark(&self) -> Option<SettingsMark> {
        self.settings_txn
            .as_ref()
            .map(|t| SettingsMark { settings: self.settings.clone(), locals: t.locals.clone() })
    }

    /// `ROLLBACK TO SAVEPOINT`: the settings as they were at the savepoint.
    pub(super) fn settings_rollback_to(&mut self, mark: Option<&SettingsMark>) {
        if let (Some(mark), Some(txn)) = (mark, self.settings_txn.as_mut()) {
            self.settings = mark.settings.clone();
            txn.locals = mark.locals.clone();
        }
    }

    /// Changes setting `name` (lowercase) with `change`: for the session, or with `local`
    /// until the transaction block ends. Returns `false` when a local change was ignored
    /// because no block is open (PostgreSQL warns).
    pub(super) fn change_setting(
        &mut self,
        name: &str,
        local: bool,
        change: impl FnOnce(&mut Settings) -> Result<()>,
    ) -> Result<bool> {
        let in_block = self.mode != Mode::Autocommit;
        if in_block {
            self.settings_begin();
        }
        if local {
            let Some(txn) = self.settings_txn.as_mut() else { return Ok(false) };
            if !txn.locals.iter().any(|(n, _)| n == name) {
                txn.locals.push((name.to_string(), self.settings.get(name)));
            }
            change(&mut self.settings)?;
            return Ok(true);
        }
        change(&mut self.settings)?;
        if let Some(txn) = self.settings_txn.as_mut() {
            // A plain SET after SET LOCAL: the commit keeps the plain value.
            for (n, value) in &mut txn.locals {
                if n == name || name == "all" {
                    *value = self.settings.get(n);
                }
            }
        }
        Ok(true)
    }

    /// PostgreSQL's warning for `SET LOCAL` outside a transaction block (25P01).
    pub(super) fn warn_set_local_outside_block(&self) {
        self.notices.lock().push(crate::routine::Notice {
            level: crate::routine::NoticeLevel::Warning,
            code: "25P01".into(),
            message: "SET LOCAL can only be used in transaction blocks".into(),
            detail: None,
            hint: None,
        });
    }

    /// Applies the `set_config` calls of the statement that just finished.
    pub(super) fn apply_setting_changes(&mut self) -> Result<()> {
        let changes: Vec<SettingChange> = {
            let mut pending = self.setting_changes.0.lock();
            if pending.is_empty() {
                return Ok(());
            }
            std::mem::take(&mut *pending)
        };
        for c in changes {
            if c.local && self.mode == Mode::Autocommit {
                // The statement's own transaction has ended: a local value is gone.
                continue;
            }
            self.change_setting(&c.name, c.local, |s| s.set(&c.name, &c.value))?;
        }
        Ok(())
    }

    /// Forgets the `set_config` calls of a statement that failed.
    pub(super) fn drop_setting_changes(&self) {
        let mut pending = self.setting_changes.0.lock();
        if !pending.is_empty() {
            pending.clear();
        }
    }
}
