//! The hybrid logical clock that hands out commit timestamps.
//!
//! A timestamp is wall-clock microseconds since the Unix epoch, bumped by one whenever the
//! wall clock has not moved past the last timestamp handed out, so timestamps are strictly
//! increasing even when the wall clock stalls or steps back. The last commit timestamp is
//! written in every commit batch (meta key `clock`) and read back on open, so the clock
//! never goes backwards across restarts either.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use helios_common::Timestamp;

/// A source of wall-clock time. Tests inject a [`ManualClock`].
pub trait WallClock: Send + Sync + std::fmt::Debug + 'static {
    /// Microseconds since the Unix epoch.
    fn now_micros(&self) -> u64;
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl WallClock for SystemClock {
    fn now_micros(&self) -> u64 {
        // A clock before 1970 reads as 0; the logical part keeps timestamps increasing.
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0)
    }
}

/// A wall clock that moves only when told to; clones share the same time.
#[derive(Clone, Debug, Default)]
pub struct ManualClock {
    micros: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock reading `micros`.
    pub fn new(micros: u64) -> ManualClock {
        ManualClock { micros: Arc::new(AtomicU64::new(micros)) }
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: std::time::Duration) {
        self.micros.fetch_add(d.as_micros() as u64, Ordering::SeqCst);
    }

    /// Sets the clock (it may go backwards: the HLC must cope).
    pub fn set(&self, micros: u64) {
        self.micros.store(micros, Ordering::SeqCst);
    }
}

impl WallClock for ManualClock {
    fn now_micros(&self) -> u64 {
        self.micros.load(Ordering::SeqCst)
    }
}

/// The hybrid logical clock.
#[derive(Debug)]
pub struct Hlc {
    wall: Arc<dyn WallClock>,
    last: AtomicU64,
}

impl Hlc {
    /// A clock that never hands out a timestamp at or below `high_water`.
    pub fn new(wall: Arc<dyn WallClock>, high_water: Timestamp) -> Hlc {
        Hlc { wall, last: AtomicU64::new(high_water.0) }
    }

    /// The current reading, without advancing: `max(wall clock, last timestamp)`.
    pub fn now(&self) -> Timestamp {
        Timestamp(self.wall.now_micros().max(self.last.load(Ordering::SeqCst)))
    }

    /// The wall clock alone (for the retention horizon).
    pub fn wall(&self) -> Timestamp {
        Timestamp(self.wall.now_micros())
    }

    /// A new timestamp, strictly greater than every one handed out before.
    pub fn tick(&self) -> Timestamp {
        let wall = self.wall.now_micros();
        let mut last = self.last.load(Ordering::SeqCst);
        loop {
            let next = wall.max(last.saturating_add(1));
            match self.last.compare_exchange(last, next, Ordering::SeqCst, Ordering::SeqCst) {
                Ok(_) => return Timestamp(next),
                Err(seen) => last = seen,
            }
        }
    }

    /// Makes every later [`tick`](Hlc::tick) greater than `ts`.
    pub fn observe(&self, ts: Timestamp) {
        self.last.fetch_max(ts.0, Ordering::SeqCst);
    }

    /// The last timestamp handed out (or observed).
    pub fn last(&self) -> Timestamp {
        Timestamp(self.last.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictly_increasing_even_when_wall_clock_stalls_or_steps_back() {
        let wall = ManualClock::new(1_000);
        let hlc = Hlc::new(Arc::new(wall.clone()), Timestamp(0));
        let a = hlc.tick();
        let b = hlc.tick();
        assert_eq!(a, Timestamp(1_000));
        assert_eq!(b, Timestamp(1_001));
        wall.set(10);
        assert_eq!(hlc.tick(), Timestamp(1_002));
        wall.set(5_000);
        assert_eq!(hlc.tick(), Timestamp(5_000));
        // Restart with a persisted high-water mark above the wall clock.
        let hlc = Hlc::new(Arc::new(ManualClock::new(10)), Timestamp(5_000));
        assert_eq!(hlc.tick(), Timestamp(5_001));
        hlc.observe(Timestamp(9_000));
        assert_eq!(hlc.tick(), Timestamp(9_001));
    }
}
