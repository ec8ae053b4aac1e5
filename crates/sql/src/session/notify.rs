//! LISTEN / UNLISTEN / NOTIFY and `pg_notify(channel, payload)`: the database's
//! notification hub.
//!
//! ```text
//!  session A                       hub (one per database)            session B
//!  NOTIFY c, 'x'  --queued-->  pending[A] = [(c, x)]
//!  COMMIT         --deliver-->  for every session listening on c:  inbox[B] += (c, x, A)
//!                                                                   B drains its inbox
//! ```
//!
//! As in PostgreSQL, everything is transactional: notifications are queued by the
//! transaction and delivered when it commits (a rollback drops them), and LISTEN /
//! UNLISTEN take effect at commit too. A transaction sends each (channel, payload) pair
//! once, in the order of first sending. Every session of the database listening on the
//! channel receives it, the sender included, whatever branch it is on. A session's
//! waker ([`NotifyHub::set_waker`]) is called when something reaches its inbox; the
//! server then sends the inbox as NotificationResponse messages (at once to an idle
//! client); the embedded API drains it with `Connection::notifications()`.
//!
//! `ROLLBACK TO SAVEPOINT` drops what was queued after the savepoint. Not built: a
//! size limit of the inbox (PostgreSQL's queue holds 8 GB).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};

use helios_common::{Error, Result, SqlState};
use parking_lot::Mutex;
use sqlparser::ast;

use super::{Session, StatementResult};
use crate::parser::ident_name;

/// Largest payload, in bytes (PostgreSQL's limit: less than 8000).
pub const MAX_PAYLOAD: usize = 7999;

/// Longest channel name, in bytes (NAMEDATALEN - 1).
const MAX_CHANNEL: usize = 63;

/// One notification as a listener receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The sending session's process id (`pg_backend_pid()` of the sender).
    pub pid: i32,
    /// The channel.
    pub channel: String,
    /// The payload (empty when none was given).
    pub payload: String,
}

/// A LISTEN or UNLISTEN waiting for its transaction to commit.
#[derive(Debug, Clone)]
enum ListenChange {
    Listen(String),
    Unlisten(String),
    UnlistenAll,
}

/// Called when a notification reaches a session's inbox (the server wakes the
/// connection to send it while the client is idle).
pub type Waker = std::sync::Arc<dyn Fn() + Send + Sync>;

#[derive(Default)]
struct SessionState {
    listening: BTreeSet<String>,
    changes: Vec<ListenChange>,
    pending: Vec<(String, String)>,
    inbox: VecDeque<Notification>,
    waker: Option<Waker>,
}

impl std::fmt::Debug for SessionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionState")
            .field("listening", &self.listening)
            .field("inbox", &self.inbox.len())
            .finish_non_exhaustive()
    }
}

/// How much a session had queued when a savepoint was set; `ROLLBACK TO` the
/// savepoint drops what was queued after it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NotifyMark {
    pending: usize,
    changes: usize,
}

/// The notification hub of one database, shared by its sessions (by session number).
#[derive(Debug, Default)]
pub struct NotifyHub {
    sessions: Mutex<HashMap<u64, SessionState>>,
    /// How many sessions have LISTEN / UNLISTEN / NOTIFY queued in their transaction:
    /// while none has, ending a transaction does not take the lock.
    queued: AtomicUsize,
}

impl SessionState {
    fn has_queued(&self) -> bool {
        !self.changes.is_empty() || !self.pending.is_empty()
    }
}

/// The process id a session reports (`pg_backend_pid()`), derived from its number so
/// that sessions of one process differ.
pub fn session_pid(session: u64) -> i32 {
    let base = i64::from(std::process::id());
    i32::try_from((base + i64::try_from(session % 1_000_000).unwrap_or(0)) % i64::from(i32::MAX))
        .unwrap_or(0)
}

fn check_channel(channel: &str) -> Result<()> {
    if channel.is_empty() {
        return Err(Error::new(SqlState::INVALID_PARAMETER_VALUE, "channel name cannot be empty"));
    }
    if channel.len() > MAX_CHANNEL {
        return Err(Error::new(SqlState::INVALID_PARAMETER_VALUE, "channel name too long"));
    }
    Ok(())
}

impl NotifyHub {
    /// Queues a notification in `session`'s transaction (22023 for an empty or too long
    /// channel name or a payload of 8000 bytes or more).
    pub fn notify(&self, session: u64, channel: &str, payload: &str) -> Result<()> {
        check_channel(channel)?;
        if payload.len() > MAX_PAYLOAD {
            return Err(Error::new(SqlState::INVALID_PARAMETER_VALUE, "payload string too long"));
        }
        let mut all = self.sessions.lock();
        let s = all.entry(session).or_default();
        if !s.pending.iter().any(|(c, p)| c == channel && p == payload) {
            if !s.has_queued() {
                self.queued.fetch_add(1, Ordering::SeqCst);
            }
            s.pending.push((channel.to_string(), payload.to_string()));
        }
        Ok(())
    }

    /// Queues `LISTEN channel` in `session`'s transaction.
    pub fn listen(&self, session: u64, channel: &str) -> Result<()> {
        check_channel(channel)?;
        self.queue_change(session, ListenChange::Listen(channel.to_string()));
        Ok(())
    }

    /// Queues `UNLISTEN channel` (`None`: `UNLISTEN *`) in `session`'s transaction.
    pub fn unlisten(&self, session: u64, channel: Option<&str>) {
        let change = match channel {
            Some(c) => ListenChange::Unlisten(c.to_string()),
            None => ListenChange::UnlistenAll,
        };
        self.queue_change(session, change);
    }

    fn queue_change(&self, session: u64, change: ListenChange) {
        let mut all = self.sessions.lock();
        let s = all.entry(session).or_default();
        if !s.has_queued() {
            self.queued.fetch_add(1, Ordering::SeqCst);
        }
        s.changes.push(change);
    }

    /// Ends `session`'s transaction: on commit its LISTEN / UNLISTEN take effect and its
    /// notifications reach every listening session; on rollback both are dropped.
    pub fn end_transaction(&self, session: u64, committed: bool) {
        // This session's own queue only changes on its own thread: when no session has
        // anything queued, neither has it.
        if self.queued.load(Ordering::SeqCst) == 0 {
            return;
        }
        let mut all = self.sessions.lock();
        let Some(s) = all.get_mut(&session) else { return };
        if !s.has_queued() {
            return;
        }
        self.queued.fetch_sub(1, Ordering::SeqCst);
        let changes = std::mem::take(&mut s.changes);
        let pending = std::mem::take(&mut s.pending);
        if !committed {
            return;
        }
        for change in changes {
            match change {
                ListenChange::Listen(c) => {
                    s.listening.insert(c);
                }
                ListenChange::Unlisten(c) => {
                    s.listening.remove(&c);
                }
                ListenChange::UnlistenAll => s.listening.clear(),
            }
        }
        if pending.is_empty() {
            return;
        }
        let pid = session_pid(session);
        let mut wake = Vec::new();
        for listener in all.values_mut() {
            let before = listener.inbox.len();
            for (channel, payload) in &pending {
                if listener.listening.contains(channel) {
                    listener.inbox.push_back(Notification {
                        pid,
                        channel: channel.clone(),
                        payload: payload.clone(),
                    });
                }
            }
            if listener.inbox.len() > before {
                wake.extend(listener.waker.clone());
            }
        }
        drop(all);
        for w in wake {
            w();
        }
    }

    /// What `session` has queued now (taken at SAVEPOINT).
    pub fn mark(&self, session: u64) -> NotifyMark {
        self.sessions
            .lock()
            .get(&session)
            .map(|s| NotifyMark { pending: s.pending.len(), changes: s.changes.len() })
            .unwrap_or_default()
    }

    /// Drops what `session` queued after `mark` (ROLLBACK TO SAVEPOINT).
    pub fn rollback_to(&self, session: u64, mark: NotifyMark) {
        if let Some(s) = self.sessions.lock().get_mut(&session) {
            let had = s.has_queued();
            s.pending.truncate(mark.pending);
            s.changes.truncate(mark.changes);
            if had && !s.has_queued() {
                self.queued.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }

    /// Sets the function called when a notification reaches `session`.
    pub fn set_waker(&self, session: u64, waker: Waker) {
        self.sessions.lock().entry(session).or_default().waker = Some(waker);
    }

    /// Stops every LISTEN of `session` at once (`DISCARD ALL`).
    pub fn unlisten_now(&self, session: u64) {
        if let Some(s) = self.sessions.lock().get_mut(&session) {
            if s.has_queued() {
                self.queued.fetch_sub(1, Ordering::SeqCst);
            }
            s.listening.clear();
            s.changes.clear();
            s.pending.clear();
        }
    }

    /// The channels `session` listens on (`pg_listening_channels()`).
    pub fn channels(&self, session: u64) -> Vec<String> {
        self.sessions
            .lock()
            .get(&session)
            .map(|s| s.listening.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Takes the notifications delivered to `session`, oldest first.
    pub fn drain(&self, session: u64) -> Vec<Notification> {
        match self.sessions.lock().get_mut(&session) {
            Some(s) => s.inbox.drain(..).collect(),
            None => Vec::new(),
        }
    }

    /// Forgets a session that ended.
    pub fn remove(&self, session: u64) {
        if self.sessions.lock().remove(&session).is_some_and(|s| s.has_queued()) {
            self.queued.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Session {
    /// Runs LISTEN, UNLISTEN or NOTIFY; `None` for any other statement.
    pub(super) fn run_notify(&mut self, stmt: &ast::Statement) -> Result<Option<StatementResult>> {
        let hub = &self.engine.notify;
        Ok(Some(match stmt {
            ast::Statement::LISTEN { channel } => {
                hub.listen(self.id, &ident_name(channel))?;
                StatementResult::command("LISTEN")
            }
            ast::Statement::UNLISTEN { channel } => {
                let all = channel.quote_style.is_none() && channel.value == "*";
                let name = ident_name(channel);
                hub.unlisten(self.id, (!all).then_some(name.as_str()));
                StatementResult::command("UNLISTEN")
            }
            ast::Statement::NOTIFY { channel, payload } => {
                hub.notify(self.id, &ident_name(channel), payload.as_deref().unwrap_or(""))?;
                StatementResult::command("NOTIFY")
            }
            _ => return Ok(None),
        }))
    }

    /// Takes the notifications delivered to this session since the last call, oldest
    /// first (the server sends them as NotificationResponse messages).
    pub fn notifications(&self) -> Vec<Notification> {
        self.engine.notify.drain(self.id)
    }

    /// Calls `waker` (from the committing session's thread) whenever a notification
    /// reaches this session.
    pub fn set_notification_waker(&self, waker: Waker) {
        self.engine.notify.set_waker(self.id, waker);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_is_at_commit_folded_and_dropped_on_rollback() {
        let hub = NotifyHub::default();
        hub.listen(2, "c").unwrap();
        hub.end_transaction(2, true);
        hub.notify(1, "c", "x").unwrap();
        hub.notify(1, "c", "x").unwrap();
        hub.notify(1, "c", "y").unwrap();
        hub.notify(1, "other", "z").unwrap();
        assert!(hub.drain(2).is_empty(), "nothing before the commit");
        hub.end_transaction(1, true);
        let got: Vec<String> = hub.drain(2).into_iter().map(|n| n.payload).collect();
        assert_eq!(got, ["x", "y"]);
        hub.notify(1, "c", "lost").unwrap();
        hub.end_transaction(1, false);
        assert!(hub.drain(2).is_empty());
        // A rolled back LISTEN never starts.
        hub.listen(3, "c").unwrap();
        hub.end_transaction(3, false);
        hub.notify(1, "c", "w").unwrap();
        hub.end_transaction(1, true);
        assert!(hub.drain(3).is_empty());
        assert_eq!(hub.drain(2).len(), 1);
        assert_eq!(hub.queued.load(Ordering::SeqCst), 0, "every queue was emptied");
    }

    #[test]
    fn limits_are_22023() {
        let hub = NotifyHub::default();
        let long = "x".repeat(8000);
        assert_eq!(
            hub.notify(1, "c", &long).unwrap_err().sqlstate(),
            SqlState::INVALID_PARAMETER_VALUE
        );
        assert!(hub.notify(1, "c", &long[..7999]).is_ok());
        assert_eq!(
            hub.notify(1, "", "p").unwrap_err().sqlstate(),
            SqlState::INVALID_PARAMETER_VALUE
        );
    }
}
