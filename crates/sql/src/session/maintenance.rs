//! `VACUUM` and `ANALYZE`.
//!
//! `VACUUM` (every form: plain, `FULL`, `ANALYZE`, `VERBOSE`, with or without tables)
//! runs the storage garbage collector, which removes the versions no reader can need
//! any more (older than the time-travel retention window and every open snapshot). GC
//! works on the whole database, so naming tables only checks that they exist. Like
//! PostgreSQL, `VACUUM` refuses to run inside a transaction block (25001).
//!
//! `ANALYZE` checks its tables and does nothing else: the planner keeps no statistics.

use helios_common::{Error, Result, SqlState};

use super::{Mode, Session, StatementResult};
use crate::parser::maintenance::Maintenance;
use crate::parser::object_name;

impl Session {
    /// Runs `VACUUM` or `ANALYZE`.
    pub(super) fn run_maintenance(&mut self, m: &Maintenance) -> Result<StatementResult> {
        if m.vacuum && (self.mode == Mode::Explicit || self.txn.is_some()) {
            return Err(Error::new(
                SqlState::ACTIVE_SQL_TRANSACTION,
                "VACUUM cannot run inside a transaction block",
            ));
        }
        let search_path = self.settings.search_path();
        self.with_read_txn(|s, txn| {
            let catalog = s.engine.catalogs.get(txn)?;
            for t in &m.tables {
                let qn = object_name(t)?;
                if catalog.resolve(qn.schema.as_deref(), &qn.name, &search_path).is_none() {
                    return Err(Error::new(
                        SqlState::UNDEFINED_TABLE,
                        format!("relation \"{t}\" does not exist"),
                    ));
                }
            }
            Ok(())
        })?;
        if !m.vacuum {
            return Ok(StatementResult::command("ANALYZE"));
        }
        self.engine.storage.gc()?;
        Ok(StatementResult::command("VACUUM"))
    }
}
