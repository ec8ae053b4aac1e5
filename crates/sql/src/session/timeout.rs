//! `statement_timeout`: one timer thread for the whole process cancels statements that
//! run past their deadline, through the same flag a client's cancel request sets.
//!
//! Arming costs a lock and a map insertion; statements without a timeout do nothing.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The deadlines waiting to fire, ordered by time (the id keeps equal instants apart).
#[derive(Default)]
struct Deadlines {
    pending: BTreeMap<(Instant, u64), Arc<Armed>>,
    next_id: u64,
}

struct Armed {
    cancel: Arc<AtomicBool>,
    fired: AtomicBool,
}

struct Timer {
    deadlines: Mutex<Deadlines>,
    wake: Condvar,
}

fn timer() -> &'static Timer {
    static TIMER: OnceLock<&'static Timer> = OnceLock::new();
    TIMER.get_or_init(|| {
        let timer: &'static Timer = Box::leak(Box::new(Timer {
            deadlines: Mutex::new(Deadlines::default()),
            wake: Condvar::new(),
        }));
        // If the thread cannot start, statements simply run without a timeout.
        let _ =
            std::thread::Builder::new().name("statement-timeout".into()).spawn(move || timer.run());
        timer
    })
}

impl Timer {
    fn run(&self) {
        let mut guard = match self.deadlines.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        loop {
            let now = Instant::now();
            while let Some(entry) = guard.pending.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                let armed = entry.remove();
                armed.fired.store(true, Ordering::SeqCst);
                armed.cancel.store(true, Ordering::SeqCst);
            }
            let wait = guard.pending.keys().next().map(|(at, _)| at.saturating_duration_since(now));
            guard = match wait {
                Some(d) => match self.wake.wait_timeout(guard, d) {
                    Ok((g, _)) => g,
                    Err(p) => p.into_inner().0,
                },
                None => match self.wake.wait(guard) {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                },
            };
        }
    }
}

/// A running statement's deadline; disarmed when dropped.
pub(super) struct StatementTimer {
    key: (Instant, u64),
    armed: Arc<Armed>,
}

impl StatementTimer {
    /// Sets `cancel` once `after` has passed, unless the returned guard is dropped first.
    pub(super) fn arm(after: Duration, cancel: Arc<AtomicBool>) -> StatementTimer {
        let timer = timer();
        let armed = Arc::new(Armed { cancel, fired: AtomicBool::new(false) });
        let at = Instant::now() + after;
        let mut d = match timer.deadlines.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        d.next_id += 1;
        let key = (at, d.next_id);
        let earliest = d.pending.keys().next().is_none_or(|first| key < *first);
        d.pending.insert(key, armed.clone());
        drop(d);
        if earliest {
            timer.wake.notify_one();
        }
        StatementTimer { key, armed }
    }

    /// The deadline passed and the statement was cancelled by it.
    pub(super) fn fired(&self) -> bool {
        self.armed.fired.load(Ordering::SeqCst)
    }
}

impl Drop for StatementTimer {
    fn drop(&mut self) {
        let mut d = match timer().deadlines.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        d.pending.remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_after_the_deadline_and_not_after_disarming() {
        let flag = Arc::new(AtomicBool::new(false));
        let t = StatementTimer::arm(Duration::from_millis(20), flag.clone());
        let start = Instant::now();
        while !flag.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(flag.load(Ordering::SeqCst) && t.fired());

        let quiet = Arc::new(AtomicBool::new(false));
        drop(StatementTimer::arm(Duration::from_millis(10), quiet.clone()));
        std::thread::sleep(Duration::from_millis(50));
        assert!(!quiet.load(Ordering::SeqCst), "a disarmed timer must not cancel");
    }
}
