//! The storage crate's error enum and its conversion into [`helios_common::Error`].

use helios_common::{Error, SqlState, Timestamp};

/// SQLSTATE of a merge that found conflicting keys under `MergeStrategy::Fail`.
///
/// PostgreSQL has no merge, so this is an implementation-defined code in the `HB` class
/// (classes starting with `H`–`Z` are free for implementations).
pub const MERGE_CONFLICT: SqlState = SqlState::from_code("HB001");

/// SQLSTATE `3B001 invalid_savepoint_specification`.
const INVALID_SAVEPOINT: SqlState = SqlState::from_code("3B001");

/// Everything that can go wrong in the storage layer above the key-value engine.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// First committer wins: another transaction committed a key this one wrote.
    #[error("could not serialize access due to concurrent update")]
    SerializationFailure {
        /// The conflicting key, printable.
        key: String,
    },
    /// Waiting for a row lock closed a cycle of waiting transactions.
    #[error("deadlock detected")]
    Deadlock,
    /// A lock wait outlasted `lock_timeout`.
    #[error("canceling statement due to lock timeout")]
    LockTimeout,
    /// A lock wait was cancelled.
    #[error("canceling statement due to user request")]
    LockWaitCanceled,
    /// A read at a time before the retention horizon.
    #[error("snapshot too old: timestamp {requested} is before the retention horizon {horizon}")]
    SnapshotTooOld {
        /// The timestamp asked for.
        requested: Timestamp,
        /// The oldest timestamp still readable.
        horizon: Timestamp,
    },
    /// A write in a read-only (or time-travel) transaction.
    #[error("cannot execute {what} in a read-only transaction")]
    ReadOnly {
        /// What was attempted (`put`, `delete`).
        what: &'static str,
    },
    /// No branch with that name.
    #[error("branch \"{0}\" does not exist")]
    BranchNotFound(String),
    /// No branch with that id.
    #[error("branch with id {0} does not exist")]
    BranchIdNotFound(u32),
    /// A branch with that name exists already.
    #[error("branch \"{0}\" already exists")]
    BranchExists(String),
    /// A branch name that is empty or too long.
    #[error("invalid branch name \"{0}\"")]
    InvalidBranchName(String),
    /// Dropping a branch that other branches fork from.
    #[error("cannot drop branch \"{name}\" because other branches depend on it")]
    BranchHasChildren {
        /// The branch.
        name: String,
        /// Names of its children.
        children: Vec<String>,
    },
    /// Dropping `main`.
    #[error("cannot drop branch \"main\"")]
    DropMain,
    /// A merge of a branch into itself.
    #[error("cannot merge branch \"{0}\" into itself")]
    MergeIntoSelf(String),
    /// A merge under `MergeStrategy::Fail` found keys changed on both sides.
    #[error("merge of branch \"{src}\" into \"{dst}\" has {} conflicting keys", keys.len())]
    MergeConflict {
        /// Source branch name.
        src: String,
        /// Destination branch name.
        dst: String,
        /// The conflicting keys, printable.
        keys: Vec<String>,
    },
    /// A savepoint that was released by rolling back past it.
    #[error("savepoint does not exist")]
    InvalidSavepoint,
    /// Stored bytes that do not decode.
    #[error("corrupted storage: {0}")]
    Corrupted(String),
}

impl From<StorageError> for Error {
    fn from(e: StorageError) -> Error {
        let message = e.to_string();
        match e {
            StorageError::SerializationFailure { key } => {
                Error::new(SqlState::SERIALIZATION_FAILURE, message)
                    .with_detail(format!(
                        "key {key} was changed by a transaction that committed first"
                    ))
                    .with_hint("The transaction might succeed if retried.")
            }
            StorageError::Deadlock => Error::new(SqlState::DEADLOCK_DETECTED, message).with_detail(
                "The transaction waited for a row locked by a transaction that was itself \
                     waiting for it.",
            ),
            StorageError::LockTimeout => Error::new(SqlState::LOCK_NOT_AVAILABLE, message),
            StorageError::LockWaitCanceled => Error::new(SqlState::QUERY_CANCELED, message),
            StorageError::SnapshotTooOld { .. } => Error::new(SqlState::SNAPSHOT_TOO_OLD, message)
                .with_hint("Read at a later timestamp or raise the retention period."),
            StorageError::ReadOnly { .. } => {
                Error::new(SqlState::READ_ONLY_SQL_TRANSACTION, message)
            }
            StorageError::BranchNotFound(_) | StorageError::BranchIdNotFound(_) => {
                Error::new(SqlState::UNDEFINED_OBJECT, message)
            }
            StorageError::BranchExists(_) => Error::new(SqlState::DUPLICATE_OBJECT, message),
            StorageError::InvalidBranchName(_) => Error::new(SqlState::INVALID_NAME, message),
            StorageError::BranchHasChildren { children, .. } => {
                Error::new(SqlState::DEPENDENT_OBJECTS_STILL_EXIST, message)
                    .with_detail(format!("branches forked from it: {}", children.join(", ")))
            }
            StorageError::DropMain | StorageError::MergeIntoSelf(_) => {
                Error::new(SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE, message)
            }
            StorageError::MergeConflict { keys, .. } => Error::new(MERGE_CONFLICT, message)
                .with_detail(format!("conflicting keys: {}", keys.join(", ")))
                .with_hint("Merge with strategy ours or theirs, or change one side."),
            StorageError::InvalidSavepoint => Error::new(INVALID_SAVEPOINT, message),
            StorageError::Corrupted(_) => Error::corrupted(message),
        }
    }
}

/// Shows a key for messages: printable ASCII as text, otherwise `\x` hex, in double quotes.
pub(crate) fn show_key(key: &[u8]) -> String {
    if key.iter().all(|b| b.is_ascii_graphic() || *b == b' ') && !key.contains(&b'"') {
        format!("\"{}\"", String::from_utf8_lossy(key))
    } else {
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        format!("\"\\x{hex}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_to_sqlstates() {
        let e: Error = StorageError::SerializationFailure { key: show_key(b"a") }.into();
        assert_eq!(e.sqlstate(), SqlState::SERIALIZATION_FAILURE);
        assert!(e.is_retryable());
        let e: Error =
            StorageError::SnapshotTooOld { requested: Timestamp(1), horizon: Timestamp(2) }.into();
        assert_eq!(e.sqlstate().code(), "72000");
        assert_eq!(show_key(&[0, 1]), "\"\\x0001\"");
    }
}
