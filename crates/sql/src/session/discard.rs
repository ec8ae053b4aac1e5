//! `DISCARD ALL | PLANS | SEQUENCES | TEMP`: what connection poolers run to hand a
//! session to the next client as if it were new.

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;

use super::{Mode, Session, StatementResult};

impl Session {
    /// Runs a DISCARD statement.
    pub(super) fn discard(&mut self, what: ast::DiscardObject) -> Result<StatementResult> {
        match what {
            ast::DiscardObject::PLANS => self.discard_plans(),
            ast::DiscardObject::SEQUENCES => self.currvals.lock().clear(),
            ast::DiscardObject::TEMP => self.discard_temp()?,
            ast::DiscardObject::ALL => {
                if self.mode == Mode::Explicit {
                    return Err(Error::new(
                        SqlState::ACTIVE_SQL_TRANSACTION,
                        "DISCARD ALL cannot run inside a transaction block",
                    ));
                }
                // PostgreSQL's order: CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT;
                // RESET ALL; DEALLOCATE ALL; pg_advisory_unlock_all(); DISCARD PLANS,
                // TEMP and SEQUENCES.
                self.cursors.clear();
                let login = self.login.clone();
                self.login_as(&login)?;
                self.settings.reset_all();
                self.prepared.clear();
                self.engine.advisory.release(self.id, true, false);
                self.engine.notify.unlisten_now(self.id);
                self.discard_plans();
                self.discard_temp()?;
                self.currvals.lock().clear();
            }
        }
        Ok(StatementResult::command(format!("DISCARD {what}")))
    }

    /// Forgets every cached plan (the simple-protocol cache and prepared statements').
    fn discard_plans(&mut self) {
        self.plan_cache = super::plan_cache::PlanCache::default();
        for p in self.prepared.values() {
            p.forget_plan();
        }
    }

    /// Drops the session's temporary tables (its temporary schema on this branch).
    fn discard_temp(&mut self) -> Result<()> {
        let Some(name) = self.settings.temp_schema().map(str::to_string) else { return Ok(()) };
        let out = self.execute_batch(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"));
        match out.1 {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
