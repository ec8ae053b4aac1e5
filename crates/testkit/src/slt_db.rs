//! The adapter between an [`Engine`](crate::Engine) and the `sqllogictest` crate's
//! [`DB`](sqllogictest::DB) trait.

use std::sync::{Arc, Mutex, PoisonError};

use sqllogictest::{DBOutput, DefaultColumnType};

use crate::engine::{EngineError, EngineOutput};
use crate::format::{OutputFormat, OutputStyle};
use crate::guard::GuardedEngine;

/// The expected column types of the query about to run, shared between the runner loop
/// (which knows the record) and the connection (which formats values).
pub type TypeHint = Arc<Mutex<Option<Vec<DefaultColumnType>>>>;

/// Engine failures (panics, timeouts, a dead engine) seen while running a record; the
/// runner counts a record during which one happened as failed, whatever it expected.
pub type EngineEvents = Arc<Mutex<Vec<String>>>;

/// One sqllogictest connection: a guarded engine plus the output style.
#[derive(Debug)]
pub struct SltDb {
    engine: GuardedEngine,
    style: OutputStyle,
    hint: TypeHint,
    events: EngineEvents,
}

impl SltDb {
    /// Wraps a guarded engine.
    pub fn new(
        engine: GuardedEngine,
        style: OutputStyle,
        hint: TypeHint,
        events: EngineEvents,
    ) -> SltDb {
        SltDb { engine, style, hint, events }
    }
}

impl sqllogictest::DB for SltDb {
    type Error = EngineError;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, EngineError> {
        let expected_types = self.hint.lock().unwrap_or_else(PoisonError::into_inner).take();
        let format = OutputFormat { style: self.style, expected_types };
        match self.engine.run(sql, &format) {
            Ok(EngineOutput::Rows { types, rows }) => Ok(DBOutput::Rows { types, rows }),
            Ok(EngineOutput::Complete(n)) => Ok(DBOutput::StatementComplete(n)),
            Err(e) => {
                if e.is_engine_failure() {
                    let first_line = sql.lines().next().unwrap_or_default();
                    self.events
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(format!("{e} [SQL] {first_line}"));
                }
                Err(e)
            }
        }
    }

    /// Conditions (`skipif postgresql`, `onlyif postgresql`) treat us as PostgreSQL.
    fn engine_name(&self) -> &str {
        "postgresql"
    }

    fn error_sql_state(err: &EngineError) -> Option<String> {
        err.sqlstate().map(str::to_string)
    }
}
