//! A transaction guard that rolls back on drop.

use std::ops::{Deref, DerefMut};

use helios_common::Result;

use crate::Connection;

/// A transaction block on a [`Connection`]. Statements run through it (it derefs to the
/// connection); [`commit`](Transaction::commit) ends it; dropping it without commit
/// rolls back.
#[derive(Debug)]
pub struct Transaction<'c> {
    conn: &'c mut Connection,
    done: bool,
}

impl<'c> Transaction<'c> {
    pub(crate) fn new(conn: &'c mut Connection) -> Transaction<'c> {
        Transaction { conn, done: false }
    }

    /// Commits the transaction. In a failed block this rolls back and returns the
    /// 25P02-style error PostgreSQL's COMMIT reports as ROLLBACK.
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        let failed = self.conn.transaction_status() == crate::TxnStatus::Failed;
        self.conn.run("COMMIT", &[])?;
        if failed {
            return Err(helios_common::Error::new(
                helios_common::SqlState::IN_FAILED_SQL_TRANSACTION,
                "transaction was aborted; COMMIT rolled it back",
            ));
        }
        Ok(())
    }

    /// Rolls the transaction back.
    pub fn rollback(mut self) -> Result<()> {
        self.done = true;
        self.conn.run("ROLLBACK", &[]).map(|_| ())
    }
}

impl Deref for Transaction<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl DerefMut for Transaction<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done {
            // Rolling back cannot fail in a way the caller could act on here.
            let _ = self.conn.run("ROLLBACK", &[]);
        }
    }
}
