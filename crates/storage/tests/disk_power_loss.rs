//! Power-loss simulation: the disk engine over a simulated disk that, at a random moment,
//! loses power. Everything synced survives; each write since the last sync survives
//! whole, not at all, or *torn* (a random subset of its 512-byte sectors). The database
//! reopened from that image must hold every acknowledged durable batch and no partial
//! batch — on the plain and on the encrypted backend. Each of the paged backend's
//! safeguards (double-buffered page 0, the sealed mark in page 0, and the recovery switch
//! `PagedBackend::recovery` that lets redb's checksums judge torn pages after a crash)
//! makes this test fail when switched off.

mod disk_support;

use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex};

use disk_support::all;
use helios_storage::crypto::DataKey;
use helios_storage::kv::{DiskEngine, Engine, WriteBatch};
use redb::StorageBackend;
use zeroize::Zeroizing;

const SECTOR: usize = 512;

enum Op {
    Write(u64, Vec<u8>),
    SetLen(u64),
}

struct Sim {
    current: Vec<u8>,
    durable: Vec<u8>,
    pending: Vec<Op>,
    /// Operations left before the power goes; `None` when not armed.
    fuse: Option<u64>,
    /// What the disk holds after the power loss.
    image: Option<Vec<u8>>,
    rng: u64,
}

impl Sim {
    fn random(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }

    fn tick(&mut self) -> io::Result<()> {
        if self.image.is_some() {
            return Err(io::Error::other("the power is off"));
        }
        match self.fuse {
            Some(0) => {
                self.lose_power();
                Err(io::Error::other("power lost"))
            }
            Some(n) => {
                self.fuse = Some(n - 1);
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn lose_power(&mut self) {
        let mut image = self.durable.clone();
        let pending = std::mem::take(&mut self.pending);
        for op in &pending {
            let fate = self.random() % 3;
            match op {
                Op::SetLen(n) if fate != 1 => image.resize(*n as usize, 0),
                Op::SetLen(_) => {}
                Op::Write(offset, data) => {
                    let start = *offset as usize;
                    let end = start + data.len();
                    if image.len() < end && fate != 1 {
                        image.resize(end, 0);
                    }
                    let mut pos = start;
                    while pos < end {
                        let next = ((pos / SECTOR) + 1) * SECTOR;
                        let next = next.min(end);
                        let keep = match fate {
                            0 => true,
                            1 => false,
                            _ => self.random() & 1 == 0,
                        };
                        if keep {
                            image[pos..next].copy_from_slice(&data[pos - start..next - start]);
                        }
                        pos = next;
                    }
                }
            }
        }
        self.image = Some(image);
    }
}

#[derive(Clone)]
struct SimDisk(Arc<Mutex<Sim>>);

impl std::fmt::Debug for SimDisk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimDisk")
    }
}

impl SimDisk {
    fn new(image: Vec<u8>, seed: u64) -> SimDisk {
        SimDisk(Arc::new(Mutex::new(Sim {
            current: image.clone(),
            durable: image,
            pending: Vec::new(),
            fuse: None,
            image: None,
            rng: seed | 1,
        })))
    }

    fn sim(&self) -> std::sync::MutexGuard<'_, Sim> {
        self.0.lock().expect("sim lock")
    }
}

impl StorageBackend for SimDisk {
    fn len(&self) -> io::Result<u64> {
        Ok(self.sim().current.len() as u64)
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
        let sim = self.sim();
        let start = offset as usize;
        let src = sim.current.get(start..start + out.len()).ok_or(io::ErrorKind::UnexpectedEof)?;
        out.copy_from_slice(src);
        Ok(())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut sim = self.sim();
        sim.tick()?;
        sim.current.resize(len as usize, 0);
        sim.pending.push(Op::SetLen(len));
        Ok(())
    }

    fn sync_data(&self) -> io::Result<()> {
        let mut sim = self.sim();
        sim.tick()?;
        sim.durable = sim.current.clone();
        sim.pending.clear();
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut sim = self.sim();
        sim.tick()?;
        let start = offset as usize;
        if sim.current.len() < start + data.len() {
            sim.current.resize(start + data.len(), 0);
        }
        sim.current[start..start + data.len()].copy_from_slice(data);
        sim.pending.push(Op::Write(offset, data.to_vec()));
        Ok(())
    }
}

fn value(batch: u64, key: usize) -> Vec<u8> {
    format!("batch {batch} key {key} ").repeat(6).into_bytes()
}

fn batch(family: &str, n: u64) -> WriteBatch {
    let mut b = WriteBatch::default();
    for k in 0..4 {
        b.put(format!("{family}{n:08}/{k}"), value(n, k));
    }
    b.put(format!("{family}-last"), n.to_string());
    b
}

/// Checks the reopened database; returns the highest durable batch present.
fn verify(engine: &dyn Engine, acked: u64, what: &str) -> u64 {
    let s = engine.snapshot().expect("snapshot");
    let mut counts: std::collections::BTreeMap<(u8, u64), usize> = Default::default();
    let mut last = std::collections::BTreeMap::new();
    for (k, v) in all(s.as_ref()) {
        let key = String::from_utf8(k).expect("utf8");
        let family = key.as_bytes()[0];
        if key.ends_with("-last") {
            last.insert(family, String::from_utf8(v).expect("utf8").parse::<u64>().expect("n"));
            continue;
        }
        let n: u64 = key[1..9].parse().expect("batch");
        let j: usize = key[10..].parse().expect("key");
        assert_eq!(v, value(n, j), "{what}: wrong value at {key}");
        *counts.entry((family, n)).or_default() += 1;
    }
    for ((family, n), c) in &counts {
        assert_eq!(*c, 4, "{what}: batch {}{n} is partly visible", *family as char);
    }
    for n in 1..=acked {
        assert!(counts.contains_key(&(b'd', n)), "{what}: acknowledged batch {n} lost");
    }
    for family in [b'd', b'r'] {
        let max = counts.keys().filter(|(f, _)| *f == family).map(|(_, n)| *n).max();
        assert_eq!(last.get(&family).copied(), max, "{what}: \"-last\" disagrees");
    }
    counts.keys().filter(|(f, _)| *f == b'd').map(|(_, n)| *n).max().unwrap_or(0)
}

fn run(encrypted: bool, cycles: u64) {
    let key = DataKey::from_bytes(Zeroizing::new([0x33; 32]));
    let key = encrypted.then_some(&key);
    let what = if encrypted { "encrypted" } else { "plain" };
    let mut seed = 0x0123_4567_89AB_CDEF_u64 ^ u64::from(encrypted);
    let mut image = Vec::new();
    let (mut acked, mut relaxed) = (0u64, 0u64);
    let mut torn_cycles = 0;
    for cycle in 0..cycles {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let disk = SimDisk::new(image.clone(), seed);
        let name = format!("{what} cycle {cycle}");
        let engine =
            DiskEngine::with_backend(Path::new("sim"), Box::new(disk.clone()), key, 1 << 20)
                .unwrap_or_else(|e| panic!("{name}: reopen after power loss failed: {e:?}"));
        let present = verify(&engine, acked, &name);
        let mut next = present + 1;
        disk.sim().fuse = Some((seed >> 20) % 120);
        for i in 0.. {
            let durable = i % 3 != 2;
            let result = if durable {
                engine.write(batch("d", next), true)
            } else {
                relaxed += 1;
                engine.write(batch("r", relaxed), false)
            };
            match result {
                Ok(()) if durable => {
                    acked = next;
                    next += 1;
                }
                Ok(()) => {}
                Err(_) => break,
            }
            if i == 40 {
                disk.sim().lose_power();
                break;
            }
        }
        drop(engine);
        let sim = disk.sim();
        image = sim.image.clone().expect("the power was lost");
        torn_cycles += usize::from(image != sim.durable);
    }
    assert!(acked > cycles, "{what}: only {acked} batches acknowledged");
    assert!(torn_cycles > 0, "{what}: no power loss ever hit unsynced writes");
}

/// Cycles per backend: `HELIOS_POWER_LOSS_CYCLES`, default 30.
fn cycles() -> u64 {
    std::env::var("HELIOS_POWER_LOSS_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(30)
}

#[test]
fn power_loss_keeps_acknowledged_batches_plain() {
    run(false, cycles());
}

#[test]
fn power_loss_keeps_acknowledged_batches_encrypted() {
    run(true, cycles());
}
