//! A real PostgreSQL server as an [`Engine`]: the reference our corpus is verified on.
//!
//! [`PgScratchDatabase`] creates a fresh database for one file (and drops it afterwards),
//! so every file starts as empty as it does on `heliosdb-nano`. Sessions are set up the
//! way our engine behaves by default: `TimeZone=UTC`, `DateStyle=ISO, MDY`,
//! `IntervalStyle=postgres`, English messages.

use std::sync::atomic::{AtomicU64, Ordering};

use postgres::{Client, Config, NoTls, SimpleQueryMessage};
use sqllogictest::DefaultColumnType;

use crate::engine::{Canceller, Engine, EngineError, EngineOutput};
use crate::format::{pg_text_cell, sqlite_cell, Cell, OutputFormat, OutputStyle};
use crate::runner::ConnectionFactory;

/// Session settings every verification connection uses.
const SESSION_OPTIONS: &str = "-c TimeZone=UTC -c DateStyle=ISO,MDY -c IntervalStyle=postgres \
     -c extra_float_digits=1 -c lc_messages=C -c client_min_messages=warning";

/// One PostgreSQL session.
pub struct PostgresEngine {
    client: Client,
}

impl std::fmt::Debug for PostgresEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresEngine").finish_non_exhaustive()
    }
}

impl PostgresEngine {
    /// Connects with `config` plus the standard session settings.
    pub fn connect(config: &Config) -> Result<PostgresEngine, EngineError> {
        let mut config = config.clone();
        config.options(SESSION_OPTIONS);
        let client = config.connect(NoTls).map_err(|e| to_engine_error(&e))?;
        Ok(PostgresEngine { client })
    }
}

impl Engine for PostgresEngine {
    fn name(&self) -> String {
        "postgresql".to_string()
    }

    fn run(&mut self, sql: &str, format: &OutputFormat) -> Result<EngineOutput, EngineError> {
        let messages = self.client.simple_query(sql).map_err(|e| to_engine_error(&e))?;
        let mut last = EngineOutput::Complete(0);
        let mut current: Option<Vec<Vec<String>>> = None;
        let mut width = 0;
        for message in messages {
            match message {
                SimpleQueryMessage::RowDescription(columns) => {
                    width = columns.len();
                    current = Some(Vec::new());
                }
                SimpleQueryMessage::Row(row) => {
                    let cells =
                        (0..row.len()).map(|i| format_text(row.get(i), i, format)).collect();
                    current.get_or_insert_with(Vec::new).push(cells);
                }
                SimpleQueryMessage::CommandComplete(n) => {
                    last = match current.take() {
                        Some(rows) => {
                            EngineOutput::Rows { types: vec![DefaultColumnType::Any; width], rows }
                        }
                        None => EngineOutput::Complete(n),
                    };
                }
                _ => {}
            }
        }
        Ok(last)
    }

    fn canceller(&self) -> Option<Canceller> {
        let token = self.client.cancel_token();
        Some(Box::new(move || {
            let _ = token.cancel_query(NoTls);
        }))
    }
}

fn format_text(text: Option<&str>, i: usize, format: &OutputFormat) -> String {
    match format.style {
        OutputStyle::PgText => pg_text_cell(text),
        OutputStyle::Sqlite => {
            let cell = match text {
                None => Cell::Null,
                // Booleans arrive as `t`/`f`; SQLite's ODBC driver read them as 1/0.
                Some("t") if format.expected(i) == Some(&DefaultColumnType::Integer) => {
                    Cell::Bool(true)
                }
                Some("f") if format.expected(i) == Some(&DefaultColumnType::Integer) => {
                    Cell::Bool(false)
                }
                Some(t) if t.parse::<i64>().is_ok() => Cell::Int(t.parse().unwrap_or_default()),
                Some(t) if t.parse::<f64>().is_ok() => Cell::Decimal(t.to_string()),
                Some(t) => Cell::Text(t.to_string()),
            };
            sqlite_cell(&cell, format.expected(i))
        }
    }
}

fn to_engine_error(e: &postgres::Error) -> EngineError {
    match e.as_db_error() {
        Some(db) => EngineError::sql(db.code().code(), db.message()),
        None if e.is_closed() => EngineError::Dead(format!("connection closed: {e}")),
        None => EngineError::Sql { sqlstate: None, message: e.to_string() },
    }
}

/// A database created for one test file on a PostgreSQL server, dropped when this value
/// is dropped.
pub struct PgScratchDatabase {
    admin: Client,
    config: Config,
    name: String,
}

impl std::fmt::Debug for PgScratchDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgScratchDatabase").field("name", &self.name).finish_non_exhaustive()
    }
}

static NEXT_DB: AtomicU64 = AtomicU64::new(0);

impl PgScratchDatabase {
    /// Connects to the server at `url` (a user allowed to create databases) and creates
    /// a new, empty database.
    pub fn create(url: &str) -> Result<PgScratchDatabase, EngineError> {
        let config: Config =
            url.parse().map_err(|e: postgres::Error| EngineError::Dead(format!("bad URL: {e}")))?;
        let mut admin = config.connect(NoTls).map_err(|e| to_engine_error(&e))?;
        let name = format!(
            "helios_slt_{}_{}",
            std::process::id(),
            NEXT_DB.fetch_add(1, Ordering::Relaxed)
        );
        for sql in [
            format!("DROP DATABASE IF EXISTS {name}"),
            format!("CREATE DATABASE {name} TEMPLATE template0"),
        ] {
            admin.batch_execute(&sql).map_err(|e| to_engine_error(&e))?;
        }
        let mut config = config;
        config.dbname(&name);
        Ok(PgScratchDatabase { admin, config, name })
    }

    /// A factory of sessions on this database, for [`crate::runner::run_file`].
    pub fn factory(&self) -> ConnectionFactory {
        let config = self.config.clone();
        Box::new(move || PostgresEngine::connect(&config).map(|e| Box::new(e) as Box<dyn Engine>))
    }
}

impl Drop for PgScratchDatabase {
    fn drop(&mut self) {
        let _ = self
            .admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}
