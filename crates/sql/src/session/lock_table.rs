//! `LOCK TABLE name [, ...] [IN mode MODE] [NOWAIT]`.
//!
//! There is no table-level lock manager: readers never block DDL, they keep reading the
//! catalog and rows of their snapshot. That gives `ACCESS SHARE` (what pg_dump takes on
//! every table it dumps) its purpose exactly in a REPEATABLE READ transaction: the
//! tables stay as the snapshot saw them, whatever other sessions drop or alter. Under
//! READ COMMITTED a later statement would see such a change, so the lock is refused
//! there, as are the stronger modes (they would have to block other writers): 0A000.

use helios_common::{Error, Result};
use helios_storage::Isolation;
use sqlparser::ast;

use super::{Session, StatementResult};
use crate::catalog::Privileges;

impl Session {
    pub(super) fn lock_tables(&mut self, lock: &ast::Lock) -> Result<StatementResult> {
        self.require_block("LOCK TABLE")?;
        let mode = lock.lock_mode.clone().unwrap_or(ast::LockTableMode::AccessExclusive);
        if mode != ast::LockTableMode::AccessShare {
            return Err(Error::unsupported(format!("LOCK TABLE ... IN {mode} MODE")));
        }
        let catalog = self.txn_catalog()?;
        let search_path = self.settings.search_path();
        for target in &lock.tables {
            let table = super::partition_ddl::table_by_name(&catalog, &search_path, &target.name)?;
            self.require_table_privilege(&catalog, &table, Privileges::SELECT)?;
        }
        let isolation = self.txn.as_ref().map(|t| t.isolation());
        if isolation != Some(Isolation::RepeatableRead) {
            return Err(Error::unsupported(
                "LOCK TABLE ... IN ACCESS SHARE MODE under READ COMMITTED",
            )
            .with_hint(
                "A REPEATABLE READ transaction keeps the tables as its snapshot saw them.",
            ));
        }
        Ok(StatementResult::command("LOCK TABLE"))
    }
}
