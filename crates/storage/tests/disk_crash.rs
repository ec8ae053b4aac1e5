//! Crash test: a writer process is killed with SIGKILL at random moments; after each kill
//! the database reopens with every acknowledged batch present and no batch half there.
//! Every third batch is written as a large commit is (`Engine::write_with` of changes held
//! in memory: one journal record, flushed into redb in the background).
//!
//! The writer is this test binary itself, re-run with `HELIOS_CRASH_CHILD` set to
//! `<dir>|<plain|encrypted>|<first batch>`: then `crash_writer_child_process` writes durable
//! batches forever, printing `ack <n>` after each one returns. Without the variable that
//! test returns at once. `HELIOS_CRASH_CYCLES` sets the number of kills (default 50).

mod disk_support;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use disk_support::{all, test_key, write_large};
use helios_storage::kv::{open_disk_with, DiskOptions, WriteBatch};

const CHILD_ENV: &str = "HELIOS_CRASH_CHILD";
const KEYS_PER_BATCH: usize = 4;

fn options(mode: &str) -> DiskOptions {
    match mode {
        "encrypted" => DiskOptions::encrypted(test_key()),
        _ => DiskOptions::plain(),
    }
}

fn value(batch: u64, key: usize) -> Vec<u8> {
    format!("batch {batch} key {key} ").repeat(8).into_bytes()
}

/// The writer side; does nothing unless started by `run_cycles`.
#[test]
fn crash_writer_child_process() {
    let Ok(spec) = std::env::var(CHILD_ENV) else { return };
    let mut parts = spec.split('|');
    let dir = parts.next().expect("dir");
    let mode = parts.next().expect("mode");
    let mut n: u64 = parts.next().expect("start").parse().expect("start number");
    let engine = open_disk_with(Path::new(dir), &options(mode)).expect("child opens database");
    let mut out = std::io::stdout().lock();
    loop {
        let mut b = WriteBatch::default();
        for k in 0..KEYS_PER_BATCH {
            b.put(format!("b{n:010}/k{k}"), value(n, k));
        }
        b.put("last", n.to_string());
        if n.is_multiple_of(3) {
            write_large(engine.as_ref(), &b, true).expect("durable write");
        } else {
            engine.write(b, true).expect("durable write");
        }
        writeln!(out, "ack {n}").expect("stdout");
        out.flush().expect("stdout");
        n += 1;
    }
}

/// Checks the recovered database; returns the highest batch present.
fn verify(dir: &Path, mode: &str, acked: u64) -> u64 {
    let engine = open_disk_with(dir, &options(mode)).expect("reopen after kill");
    let s = engine.snapshot().expect("snapshot");
    let pairs = all(s.as_ref());
    let mut batches: std::collections::BTreeMap<u64, usize> = Default::default();
    let mut last = None;
    for (k, v) in &pairs {
        if k == b"last" {
            last = Some(String::from_utf8(v.clone()).expect("utf8").parse::<u64>().expect("n"));
            continue;
        }
        let key = std::str::from_utf8(k).expect("utf8 key");
        let n: u64 = key[1..11].parse().expect("batch number");
        let j: usize = key[13..].parse().expect("key number");
        assert_eq!(v, &value(n, j), "{mode}: wrong value at {key}");
        *batches.entry(n).or_default() += 1;
    }
    for (n, keys) in &batches {
        assert_eq!(*keys, KEYS_PER_BATCH, "{mode}: batch {n} is partly visible");
    }
    for n in 1..=acked {
        assert!(batches.contains_key(&n), "{mode}: acknowledged batch {n} lost");
    }
    let max = batches.keys().next_back().copied().unwrap_or(0);
    assert!(max <= acked + 1, "{mode}: batch {max} appeared from nowhere (acked {acked})");
    assert_eq!(last, (max > 0).then_some(max), "{mode}: \"last\" disagrees with the batches");
    max
}

fn run_cycles(mode: &str) {
    let cycles: u64 =
        std::env::var("HELIOS_CRASH_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(50);
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = std::env::current_exe().expect("test binary path");
    let mut seed =
        SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_nanos() as u64 | 1;
    let mut acked = 0u64;
    let mut present = 0u64;
    for cycle in 0..cycles {
        let mut child = Command::new(&exe)
            .args(["crash_writer_child_process", "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, format!("{}|{mode}|{}", dir.path().display(), present + 1))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn writer");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(n) = line.strip_prefix("ack ") {
                    let _ = tx.send(n.parse::<u64>().expect("ack number"));
                }
            }
        });
        let first = rx.recv_timeout(Duration::from_secs(60));
        assert!(first.is_ok(), "{mode}: writer acknowledged nothing in cycle {cycle}");
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_micros(seed % 20_000));
        child.kill().expect("SIGKILL writer");
        child.wait().expect("reap writer");
        reader.join().expect("reader thread");
        if let Some(max) = first.into_iter().chain(rx.try_iter()).max() {
            acked = acked.max(max);
        }
        present = verify(dir.path(), mode, acked);
    }
    assert!(acked >= cycles, "{mode}: only {acked} batches acknowledged in {cycles} cycles");
}

#[test]
fn killed_writer_loses_nothing_acknowledged_plain() {
    run_cycles("plain");
}

#[test]
fn killed_writer_loses_nothing_acknowledged_encrypted() {
    run_cycles("encrypted");
}
