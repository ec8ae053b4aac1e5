//! HeliosDB Nano: a PostgreSQL-compatible SQL database embedded in your Rust program.
//!
//! Open a [`Database`] (on disk or in memory), [`connect`](Database::connect) to get a
//! [`Connection`] (one session: its own transaction, settings and prepared statements)
//! and run SQL with PostgreSQL's syntax, types, NULL rules and error codes.
//!
//! ```
//! use heliosdb_nano::{Database, RowsExt, Value};
//!
//! # fn main() -> heliosdb_nano::Result<()> {
//! let db = Database::open_in_memory()?;
//! let mut conn = db.connect();
//! conn.execute("CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL)", &[])?;
//! conn.execute("INSERT INTO users (name) VALUES ($1), ($2)", &[Value::Text("ada".into()), Value::Text("bob".into())])?;
//! let result = conn.query("SELECT id, name FROM users WHERE name <> ? ORDER BY id", &[Value::Text("bob".into())])?;
//! for row in result.iter_rows() {
//!     let id: i32 = row.get("id")?;
//!     let name: String = row.get(1)?;
//!     assert_eq!((id, name.as_str()), (1, "ada"));
//! }
//! // Errors carry their SQLSTATE.
//! let err = conn.execute("INSERT INTO users (name) VALUES (NULL)", &[]).unwrap_err();
//! assert_eq!(err.sqlstate().code(), "23502");
//! # Ok(())
//! # }
//! ```
//!
//! Transactions: run `BEGIN`/`COMMIT` as SQL, or take a [`Transaction`] guard from
//! [`Connection::transaction`] that rolls back when dropped without `commit`.

mod branches;
mod connection;
mod database;
mod row;
mod transaction;

/// Role passwords as stored and checked (for a server's password authentication).
pub mod auth {
    pub use helios_sql::session::password::{
        encrypt, md5_challenge_answer, LoginSecret, ScramVerifier, StoredPassword,
    };
}

pub use branches::{BranchChange, BranchInfo, OnConflict, Timestamp, TxnId};
pub use connection::{BatchOutcome, CancelHandle, Connection, SettingReader, Statement};
pub use database::{Database, Options};
pub use helios_common::{Error, Result, SqlState};
pub use helios_sql::exec::kept_rows::KeptRows;
pub use helios_sql::routine::{Notice, NoticeLevel};
pub use helios_sql::session::notify::Notification;
pub use helios_sql::session::{Column, QueryResult, StatementResult, TxnStatus};
pub use helios_storage::{Durability, KeySource};
pub use helios_types::{DataType, Value};
pub use row::{ColumnIndex, FromValue, Row, RowsExt};
pub use transaction::Transaction;
