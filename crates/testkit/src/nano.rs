//! The `heliosdb-nano` engine (memory and disk).
//!
//! Not available yet: the `heliosdb-nano` crate is still being written. Until it lands
//! every request for it fails with a clear message.

use crate::runner::ConnectionFactory;

/// Whatever must stay alive while a database is used (its temporary directory).
pub type Keep = Box<dyn std::any::Any>;

/// A fresh database on engine `kind` (`memory` or `disk`): a session factory plus what
/// must stay alive while it is used.
pub fn fresh_database(kind: &str) -> Result<(ConnectionFactory, Keep), String> {
    Err(format!("engine {kind}: heliosdb-nano is not built into this test kit yet"))
}
