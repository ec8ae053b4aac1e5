//! Buffers whose memory a helper thread has already faulted in.
//!
//! A bulk load's write set grows by a hundred megabytes and more of fresh memory, and so
//! does the buffer of sealed pages its commit writes out. The first write to each fresh
//! page costs the writing thread a page fault in which the kernel zeroes and maps it
//! (about 2.5 us each on the machine of the benchmarks: a sixth of the time a load spent
//! in its INSERT statements). A [`Prefaulter`] moves that cost to a helper thread: asked
//! ahead of time for the next buffer a growing structure will need, it allocates it and
//! writes to every page of it, then hands it over. The helper only ever touches memory
//! it owns; the writer takes the buffer when it is ready and allocates as before when it
//! is not.
//!
//! ```text
//!   writer:  ask(n) ─────────────── fills its buffer ──────── take() ─▶ buffer ready
//!   helper:         allocate n, touch each page ──▶ ready
//! ```

use std::mem::MaybeUninit;
use std::sync::{mpsc, Arc};

use parking_lot::Mutex;

/// Bytes between two writes that fault in every page (the smallest page size).
const PAGE: usize = 4096;

type Job = Box<dyn FnOnce() + Send>;

/// A helper thread that prepares buffers (see the module docs). It ends when dropped.
#[derive(Debug)]
pub(crate) struct Prefaulter {
    jobs: mpsc::Sender<Job>,
}

impl Prefaulter {
    /// Starts the helper thread; `None` when no thread can be started (buffers are then
    /// allocated by the writer, as without a helper).
    pub(crate) fn start() -> Option<Prefaulter> {
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("helios-prefault".into())
            .spawn(move || rx.into_iter().for_each(|job| job()))
            .ok()?;
        Some(Prefaulter { jobs })
    }

    /// Asks for an empty vector with room for `capacity` elements, its memory faulted in.
    fn ask<T: Send + 'static>(&self, capacity: usize) -> Ready<T> {
        let slot = Arc::new(Mutex::new(None));
        let filled = Arc::downgrade(&slot);
        // A helper that is gone (it never is while `self` lives) leaves the slot empty:
        // the writer then allocates for itself. A buffer nobody waits for any more is
        // not prepared.
        let _ = self.jobs.send(Box::new(move || {
            if filled.strong_count() > 0 {
                let buf = touched(capacity);
                if let Some(slot) = filled.upgrade() {
                    *slot.lock() = Some(buf);
                }
            }
        }));
        Ready(slot)
    }
}

/// A buffer a [`Prefaulter`] is preparing.
#[derive(Debug)]
struct Ready<T>(Arc<Mutex<Option<Vec<T>>>>);

impl<T> Ready<T> {
    /// The buffer, when it is ready.
    fn take(&self) -> Option<Vec<T>> {
        self.0.try_lock().and_then(|mut slot| slot.take())
    }
}

/// The next chunk of a structure that grows by chunks of one size, prepared one ahead.
#[derive(Debug)]
pub(crate) struct NextChunk<T>(Option<Ready<T>>);

impl<T> Default for NextChunk<T> {
    fn default() -> Self {
        NextChunk(None)
    }
}

impl<T: Send + 'static> NextChunk<T> {
    /// An empty chunk with room for `capacity` elements (always the same for one
    /// structure): the prepared one when it is ready, else a new allocation. Asks
    /// `helper`, when given, to prepare the one after.
    pub(crate) fn take(&mut self, capacity: usize, helper: Option<&Prefaulter>) -> Vec<T> {
        let ready = self.0.as_ref().and_then(Ready::take);
        if ready.is_some() {
            self.0 = None;
        }
        if let (None, Some(helper)) = (&self.0, helper) {
            self.0 = Some(helper.ask(capacity));
        }
        ready.unwrap_or_else(|| Vec::with_capacity(capacity))
    }
}

/// An empty vector with room for `capacity` elements, every page of which was written.
fn touched<T>(capacity: usize) -> Vec<T> {
    let mut v: Vec<T> = Vec::with_capacity(capacity);
    let stride = (PAGE / size_of::<T>().max(1)).max(1);
    for slot in v.spare_capacity_mut().iter_mut().step_by(stride) {
        *slot = MaybeUninit::zeroed();
    }
    // The writes must happen here, not be dropped as stores nobody reads.
    std::hint::black_box(v.spare_capacity_mut().as_mut_ptr());
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_asked_for_arrives_empty_with_its_capacity() {
        let p = Prefaulter::start().expect("helper thread");
        let ready = p.ask::<(u64, [u8; 40])>(10_000);
        let v = loop {
            if let Some(v) = ready.take() {
                break v;
            }
            std::thread::yield_now();
        };
        assert!(v.is_empty());
        assert!(v.capacity() >= 10_000);
        // A second request is served too, and the helper ends with its owner.
        let bytes = p.ask::<u8>(3 * PAGE + 1);
        drop(p);
        let v = loop {
            if let Some(v) = bytes.take() {
                break v;
            }
            std::thread::yield_now();
        };
        assert!(v.capacity() > 3 * PAGE);
    }
}
