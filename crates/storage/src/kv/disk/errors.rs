//! Turning redb errors into database errors with the right SQLSTATE.

use helios_common::{Error, SqlState};

use super::paged_backend::PageCorrupted;

/// Maps any redb error to a [`helios_common::Error`]; `context` says what was being done.
pub(crate) fn from_redb(context: &str, err: impl Into<redb::Error>) -> Error {
    let err: redb::Error = err.into();
    match err {
        redb::Error::Io(io) => from_io(context, &io),
        redb::Error::Corrupted(msg) => {
            Error::corrupted(format!("{context}: data file is corrupted: {msg}"))
        }
        redb::Error::DatabaseAlreadyOpen => Error::new(
            SqlState::OBJECT_IN_USE,
            format!("{context}: the database is already open in this or another process"),
        ),
        redb::Error::ValueTooLarge(n) => Error::new(
            SqlState::PROGRAM_LIMIT_EXCEEDED,
            format!("{context}: value of {n} bytes is too large to store"),
        ),
        redb::Error::UpgradeRequired(v) => {
            Error::unsupported(format!("data file format version {v}"))
        }
        redb::Error::PreviousIo => Error::new(
            SqlState::IO_ERROR,
            format!("{context}: an earlier I/O error left the data file in a failed state"),
        )
        .with_hint("the database must be reopened"),
        other => Error::internal(format!("{context}: storage engine error: {other}")),
    }
}

/// Runs `f`, turning a panic inside redb into a corruption error.
///
/// redb trusts the bytes its backend returns: damaged bytes can make it panic instead of
/// returning an error (its documentation says as much). The paged backend hands redb only
/// pages that passed their checksum or authentication, so this is a backstop: the engine's
/// promise is an error, never a panic, so every call into redb goes through here.
pub(crate) fn guard<T>(
    context: &str,
    f: impl FnOnce() -> helios_common::Result<T>,
) -> helios_common::Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("unknown failure");
            Err(Error::corrupted(format!(
                "{context}: data file is corrupted: storage engine check failed ({what})"
            )))
        }
    }
}

/// Maps an I/O error, recognising pages that failed authentication.
pub(crate) fn from_io(context: &str, err: &std::io::Error) -> Error {
    if let Some(p) = err.get_ref().and_then(|e| e.downcast_ref::<PageCorrupted>()) {
        return Error::corrupted(format!("{context}: {p}"));
    }
    Error::io(context, err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_corruption_errors() {
        let e = guard("could not read", || -> helios_common::Result<()> { panic!("bad page") })
            .unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::DATA_CORRUPTED);
        assert!(e.message().contains("bad page"), "{e:?}");
        assert_eq!(guard("x", || Ok(5)).unwrap(), 5);
    }

    #[test]
    fn page_corruption_is_xx001_and_io_is_58030() {
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            PageCorrupted { page: 3, encrypted: true },
        );
        let e = from_redb("could not read", redb::StorageError::Io(io));
        assert_eq!(e.sqlstate(), SqlState::DATA_CORRUPTED);
        assert!(e.message().contains("page 3"), "{e:?}");
        let io = std::io::Error::other("disk on fire");
        assert_eq!(from_redb("x", redb::StorageError::Io(io)).sqlstate(), SqlState::IO_ERROR);
    }
}
