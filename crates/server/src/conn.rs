//! Per-connection state kept in pgwire's session extensions: the database session, the
//! COPY FROM STDIN in progress, and prepared statements waiting to be released.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Arc;

use helios_common::Error;
use parking_lot::Mutex;
use pgwire::api::ClientInfo;
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::response::{NotificationResponse, TransactionStatus};
use pgwire::messages::PgWireBackendMessage;

use crate::copy::CopyIn;
use crate::error::to_pgwire;
use crate::output::{Output, SharedSocket, StreamTarget};
use crate::session::{Session, TxnStatus};
use crate::text::OutputStyle;

/// Everything the handlers need about one client connection.
pub struct ConnState {
    session: Arc<Mutex<Box<dyn Session>>>,
    /// The COPY FROM STDIN being received, if any.
    pub(crate) copy_in: Mutex<Option<CopyIn>>,
    /// Prepared statements dropped by the protocol layer, released before the next call.
    pub(crate) closed_statements: Arc<Mutex<Vec<u64>>>,
    /// The values of reported settings the client was last told about, and the
    /// session's settings generation when they were compared (`None`: compare next time).
    reported: Mutex<(HashMap<String, String>, Option<u64>)>,
    /// The client's socket, for results streamed while their statement runs; set by the
    /// conversation once startup made this state.
    socket: Mutex<Option<StreamTarget>>,
    /// The text output style and the settings generation it was read at.
    style: Mutex<Option<(u64, OutputStyle)>>,
}

/// Settings whose changes are reported to the client with `ParameterStatus`, as
/// PostgreSQL does (drivers read `TimeZone` and `DateStyle` to parse values).
pub const REPORTED_SETTINGS: [&str; 6] = [
    "application_name",
    "TimeZone",
    "DateStyle",
    "IntervalStyle",
    "is_superuser",
    "session_authorization",
];

impl std::fmt::Debug for ConnState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnState").finish_non_exhaustive()
    }
}

impl ConnState {
    /// Wraps a freshly opened session.
    pub fn new(session: Box<dyn Session>) -> ConnState {
        ConnState {
            session: Arc::new(Mutex::new(session)),
            copy_in: Mutex::new(None),
            closed_statements: Arc::new(Mutex::new(Vec::new())),
            reported: Mutex::new((HashMap::new(), None)),
            socket: Mutex::new(None),
            style: Mutex::new(None),
        }
    }

    /// Lets statements stream their results to `socket`.
    pub fn set_socket(&self, socket: SharedSocket) {
        let cancel = self.session.lock().cancel_token();
        *self.socket.lock() = Some(StreamTarget { socket, cancel });
    }

    /// An empty output for the next statement's result, streaming to the client's
    /// socket (when known). The caller flushes the framed connection first.
    pub fn output(&self) -> Output {
        Output::new(self.socket.lock().clone())
    }

    /// The session's text output style ([`OutputStyle::from_settings`]), read again only
    /// when a setting changed since the last time.
    pub fn output_style(&self, session: &dyn Session) -> OutputStyle {
        let generation = session.settings_generation();
        let mut cached = self.style.lock();
        match (*cached, generation) {
            (Some((g, style)), Some(now)) if g == now => style,
            _ => {
                let style = OutputStyle::from_settings(|k| session.setting(k));
                *cached = generation.map(|g| (g, style));
                style
            }
        }
    }

    /// Records a setting value the client has been sent.
    pub fn remember_reported(&self, name: &str, value: &str) {
        let mut reported = self.reported.lock();
        reported.0.insert(name.to_owned(), value.to_owned());
        reported.1 = None;
    }

    /// Reported settings whose value changed since the client was last told; they are
    /// remembered as told.
    pub fn changed_settings(&self) -> Vec<(String, String)> {
        let session = self.session.lock();
        let mut reported = self.reported.lock();
        // After most statements no setting moved: one number says so.
        let generation = session.settings_generation();
        if generation.is_some() && generation == reported.1 {
            return Vec::new();
        }
        let mut changed = Vec::new();
        for name in REPORTED_SETTINGS {
            if let Some(value) = session.setting(name) {
                if reported.0.get(name) != Some(&value) {
                    reported.0.insert(name.to_owned(), value.clone());
                    changed.push((name.to_owned(), value));
                }
            }
        }
        reported.1 = generation;
        changed
    }

    /// The notifications delivered to the session, as NotificationResponse messages.
    pub fn notification_messages(&self) -> Vec<PgWireBackendMessage> {
        self.session
            .lock()
            .notifications()
            .into_iter()
            .map(|n| {
                PgWireBackendMessage::NotificationResponse(NotificationResponse::new(
                    n.pid, n.channel, n.payload,
                ))
            })
            .collect()
    }

    /// Calls `waker` when a notification reaches the session.
    pub fn set_notification_waker(&self, waker: Arc<dyn Fn() + Send + Sync>) {
        self.session.lock().set_notification_waker(waker);
    }

    /// Runs `f` on the session: in place on a connection's own thread (see
    /// [`crate::server`]), elsewhere in the blocking thread pool (statements may take long
    /// and must not stall threads that serve other connections).
    pub async fn run<T, F>(&self, f: F) -> PgWireResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Session) -> T + Send + 'static,
    {
        let session = Arc::clone(&self.session);
        let closed = Arc::clone(&self.closed_statements);
        blocking(move || {
            let mut guard = session.lock();
            for id in std::mem::take(&mut *closed.lock()) {
                guard.close_prepared(id);
            }
            f(&mut **guard)
        })
        .await
    }

    /// The session's transaction status in wire form.
    pub fn wire_status(&self) -> TransactionStatus {
        match self.session.lock().transaction_status() {
            TxnStatus::Idle => TransactionStatus::Idle,
            TxnStatus::InTransaction => TransactionStatus::Transaction,
            TxnStatus::Failed => TransactionStatus::Error,
        }
    }
}

thread_local! {
    /// Set on the threads that serve one connection each.
    static CONNECTION_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Marks the current thread as serving a single connection: work that may block runs
/// in place on it.
pub(crate) fn mark_connection_thread() {
    CONNECTION_THREAD.with(|c| c.set(true));
}

/// Runs blocking work for a connection: in place on a connection's own thread, which
/// nothing else needs while it runs; elsewhere in the runtime's blocking pool.
pub(crate) async fn blocking<T, F>(f: F) -> PgWireResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    if CONNECTION_THREAD.with(Cell::get) {
        // A panic is a bug, but it must end only its statement (XX000), not the
        // connection, as when the work ran in the blocking pool.
        return std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            to_pgwire(&Error::internal(format!("statement execution failed: {message}")))
        });
    }
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| to_pgwire(&Error::internal(format!("statement execution failed: {e}"))))
}

/// The connection state of an authenticated client.
pub fn conn_state<C: ClientInfo + ?Sized>(client: &C) -> PgWireResult<Arc<ConnState>> {
    client.session_extensions().get::<ConnState>().ok_or(PgWireError::NotReadyForQuery)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_on_a_connection_thread_is_an_error_not_an_unwind() {
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        mark_connection_thread();
        let r: PgWireResult<()> = runtime.block_on(blocking(|| panic!("boom in a statement")));
        let e = r.expect_err("the panic becomes an error");
        let text = format!("{e:?}");
        assert!(text.contains("boom in a statement") && text.contains("XX000"), "{text}");
        // The thread goes on serving.
        assert_eq!(runtime.block_on(blocking(|| 7)).ok(), Some(7));
    }
}
