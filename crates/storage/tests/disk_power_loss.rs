//! Power-loss simulation: the disk engine over a simulated disk that, at a random moment,
//! loses power. Everything synced survives; each write since the last sync survives
//! whole, not at all, or *torn* (a random subset of its 512-byte sectors). The database
//! reopened from that image must hold every acknowledged durable batch and no partial
//! batch — on the plain and on the encrypted backend. Each of the paged backend's
//! safeguards (double-buffered page 0, the sealed mark in page 0, and the recovery switch
//! `PagedBackend::recovery` that lets redb's checksums judge torn pages after a crash)
//! makes this test fail when switched off.
//!
//! Each backend runs twice: without the commit journal (every durable batch a durable redb
//! commit), and with a small journal on a second simulated file that loses power at the
//! same moment (durable batches synced through journal records, redb checkpointed every
//! few batches; some batches written as large commits are, flushed into redb in the
//! background).

mod disk_support;

use std::path::Path;

use disk_support::all;
use disk_support::sim::SimDisk;
use helios_storage::crypto::DataKey;
use helios_storage::kv::{DiskEngine, Engine, WriteBatch};
use redb::StorageBackend;
use zeroize::Zeroizing;

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

fn run(encrypted: bool, journal: bool, cycles: u64) {
    let key = DataKey::from_bytes(Zeroizing::new([0x33; 32]));
    let key = encrypted.then_some(&key);
    let what = format!("{}, journal {journal}", if encrypted { "encrypted" } else { "plain" });
    let mut seed = 0x0123_4567_89AB_CDEF_u64 ^ u64::from(encrypted) ^ (u64::from(journal) << 1);
    let mut images = vec![Vec::new(); if journal { 2 } else { 1 }];
    let (mut acked, mut relaxed) = (0u64, 0u64);
    let mut torn_cycles = 0;
    for cycle in 0..cycles {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let disks = SimDisk::new(images.clone(), seed);
        let name = format!("{what} cycle {cycle}");
        // A journal of about 12 records: checkpoints happen within most cycles.
        let journal_file =
            disks.get(1).map(|d| (Box::new(d.clone()) as Box<dyn StorageBackend>, 12 * 800));
        let engine = DiskEngine::with_backends(
            Path::new("sim"),
            Box::new(disks[0].clone()),
            journal_file,
            key,
            1 << 20,
        )
        .unwrap_or_else(|e| panic!("{name}: reopen after power loss failed: {e:?}"));
        let present = verify(&engine, acked, &name);
        let mut next = present + 1;
        disks[0].sim().fuse = Some((seed >> 20) % 120);
        for i in 0.. {
            let durable = i % 3 != 2;
            let result = if durable && i % 4 == 1 {
                disk_support::write_large(&engine, &batch("d", next), true)
            } else if durable {
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
                disks[0].sim().lose_power();
                break;
            }
        }
        drop(engine);
        let sim = disks[0].sim();
        images = sim.image.clone().expect("the power was lost");
        let durable: Vec<_> = sim.files.iter().map(|f| f.durable.clone()).collect();
        torn_cycles += usize::from(images != durable);
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
    run(false, false, cycles());
}

#[test]
fn power_loss_keeps_acknowledged_batches_encrypted() {
    run(true, false, cycles());
}

#[test]
fn power_loss_keeps_acknowledged_batches_plain_journal() {
    run(false, true, cycles());
}

#[test]
fn power_loss_keeps_acknowledged_batches_encrypted_journal() {
    run(true, true, cycles());
}
