//! CancelRequest handling.
//!
//! Each authenticated connection gets a process id and secret key (sent to the client in
//! `BackendKeyData`). A CancelRequest arrives on a new connection carrying that pair; when
//! it matches a live connection, that connection's [`CancelToken`] makes its running
//! statement fail with `57014`. A wrong key does nothing, as in PostgreSQL.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use parking_lot::Mutex;
use pgwire::api::cancel::CancelHandler;
use pgwire::messages::cancel::CancelRequest;

use crate::session::CancelToken;

type Key = (i32, Bytes);

/// Live connections by (process id, secret key).
#[derive(Default)]
pub struct CancelRegistry {
    tokens: Mutex<HashMap<Key, Arc<dyn CancelToken>>>,
}

impl std::fmt::Debug for CancelRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancelRegistry").field("connections", &self.tokens.lock().len()).finish()
    }
}

impl CancelRegistry {
    /// Registers a connection; it stays cancellable until the guard is dropped.
    pub fn register(
        self: &Arc<Self>,
        pid: i32,
        secret: Bytes,
        token: Arc<dyn CancelToken>,
    ) -> CancelGuard {
        let key = (pid, secret);
        self.tokens.lock().insert(key.clone(), token);
        CancelGuard { registry: Arc::clone(self), key }
    }

    /// Cancels the running statement of every connection (server shutdown).
    pub fn cancel_all(&self) {
        let tokens: Vec<Arc<dyn CancelToken>> = self.tokens.lock().values().cloned().collect();
        for t in tokens {
            t.cancel();
        }
    }

    /// Cancels the statement of the matching connection; false when none matches.
    pub fn cancel(&self, pid: i32, secret: &Bytes) -> bool {
        let token = self.tokens.lock().get(&(pid, secret.clone())).cloned();
        match token {
            Some(t) => {
                t.cancel();
                true
            }
            None => false,
        }
    }
}

/// Removes a connection from the registry when the connection ends.
#[derive(Debug)]
pub struct CancelGuard {
    registry: Arc<CancelRegistry>,
    key: Key,
}

impl Drop for CancelGuard {
    fn drop(&mut self) {
        self.registry.tokens.lock().remove(&self.key);
    }
}

/// pgwire's cancel hook over a [`CancelRegistry`].
#[derive(Debug)]
pub struct Canceller {
    /// The registry shared with the startup handler.
    pub registry: Arc<CancelRegistry>,
}

#[async_trait]
impl CancelHandler for Canceller {
    async fn on_cancel_request(&self, request: CancelRequest) {
        self.registry.cancel(request.pid, &request.secret_key.to_bytes());
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    struct Count(AtomicUsize);
    impl CancelToken for Count {
        fn cancel(&self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn only_the_right_key_cancels() {
        let reg = Arc::new(CancelRegistry::default());
        let token = Arc::new(Count(AtomicUsize::new(0)));
        let guard = reg.register(7, Bytes::from_static(b"abcd"), token.clone());
        assert!(!reg.cancel(7, &Bytes::from_static(b"abce")));
        assert!(reg.cancel(7, &Bytes::from_static(b"abcd")));
        assert_eq!(token.0.load(Ordering::SeqCst), 1);
        drop(guard);
        assert!(!reg.cancel(7, &Bytes::from_static(b"abcd")));
    }
}
