//! Encryption at rest: cost of the encrypting backend against the plain one.
//!
//! Bulk load (batches of 1,000 keys, the last one durable), then random point reads: right
//! after reopening with a 64 MiB cache (pages come through the backend once),
//! again with that cache warm, and with a 256 KiB cache (nearly every page read goes
//! through the backend: the worst case for encryption).
//! Prints wall-clock and CPU times (of the benchmark thread: steadier on a shared machine)
//! and the encrypted/plain ratios; the goal is a ratio of at most 1.10. "Plain" files are
//! checksummed page by page (format 2), so the ratio is the cost of AES-GCM over a checksum.
//!
//! Run: `cargo bench -p helios-storage --bench encryption` (`HELIOS_BENCH_KEYS` sets the
//! number of keys, default 200,000).

use std::path::Path;
use std::time::{Duration, Instant};

use helios_storage::crypto::KeySource;
use helios_storage::kv::{open_disk_with, DiskOptions, Engine, WriteBatch};
use zeroize::Zeroizing;

fn key(i: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&i.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes());
    k[8..].copy_from_slice(&i.to_be_bytes());
    k
}

fn options(encrypted: bool, cache: usize) -> DiskOptions {
    let base = if encrypted {
        DiskOptions::encrypted(KeySource::Key(Zeroizing::new([9u8; 32])))
    } else {
        DiskOptions::plain()
    };
    DiskOptions { cache_size: cache, ..base }
}

/// CPU time (user + system) used so far by this thread (Linux; zero elsewhere).
fn thread_cpu() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/thread-self/stat") else {
        return Duration::ZERO;
    };
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| f.get(n - 3).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
    Duration::from_millis((field(14) + field(15)) * 10)
}

/// Wall-clock and CPU time of one piece of work.
#[derive(Clone, Copy)]
struct Cost {
    wall: Duration,
    cpu: Duration,
}

impl Cost {
    fn min(self, o: Cost) -> Cost {
        Cost { wall: self.wall.min(o.wall), cpu: self.cpu.min(o.cpu) }
    }
}

fn measure(f: impl FnOnce()) -> Cost {
    let (t, c) = (Instant::now(), thread_cpu());
    f();
    Cost { wall: t.elapsed(), cpu: thread_cpu().saturating_sub(c) }
}

fn load(engine: &dyn Engine, n: u64) -> Cost {
    measure(|| load_keys(engine, n))
}

fn load_keys(engine: &dyn Engine, n: u64) {
    let value = [0xA5u8; 100];
    let mut i = 0;
    while i < n {
        let mut b = WriteBatch::default();
        for j in i..(i + 1000).min(n) {
            b.put(key(j).to_vec(), value.to_vec());
        }
        i += 1000;
        engine.write(b, i >= n).expect("bulk write");
    }
}

fn reads(engine: &dyn Engine, n: u64, count: u64) -> Cost {
    let snap = engine.snapshot().expect("snapshot");
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    measure(|| {
        for _ in 0..count {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = snap.get(&key(x % n)).expect("get");
            assert!(v.is_some());
        }
    })
}

struct Times {
    load: Cost,
    reopened: Cost,
    warm: Cost,
    small: Cost,
}

fn run(dir: &Path, encrypted: bool, n: u64) -> Times {
    let engine = open_disk_with(dir, &options(encrypted, 64 << 20)).expect("open");
    let load = load(engine.as_ref(), n);
    drop(engine);
    let engine = open_disk_with(dir, &options(encrypted, 64 << 20)).expect("reopen");
    let reopened = reads(engine.as_ref(), n, n / 2);
    let warm = reads(engine.as_ref(), n, n / 2);
    drop(engine);
    let engine = open_disk_with(dir, &options(encrypted, 256 << 10)).expect("reopen");
    let small = reads(engine.as_ref(), n, n / 2);
    Times { load, reopened, warm, small }
}

/// Raw AES-256-GCM throughput of the page cipher, for reading the ratios above.
fn cipher_throughput() -> f64 {
    use helios_storage::crypto::{DataKey, PageCipher, SEALED_OVERHEAD};
    let cipher = PageCipher::new(&DataKey::random().expect("key")).expect("cipher");
    let plain = vec![7u8; 4096];
    let mut sealed = vec![0u8; 4096 + SEALED_OVERHEAD];
    let mut out = vec![0u8; 4096];
    let rounds = 20_000;
    let start = Instant::now();
    for _ in 0..rounds {
        cipher.seal(b"aad", &plain, &mut sealed);
        cipher.open(b"aad", &sealed, &mut out).expect("open");
    }
    (2 * rounds * 4096) as f64 / start.elapsed().as_secs_f64() / 1e6
}

fn main() {
    println!("page cipher: {:.0} MB/s (seal + open)", cipher_throughput());
    let n: u64 =
        std::env::var("HELIOS_BENCH_KEYS").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    // Plain and encrypted runs alternate, so load from other processes hits both alike.
    let mut plain: Option<Times> = None;
    let mut enc: Option<Times> = None;
    for _ in 0..3 {
        for (encrypted, slot) in [(false, &mut plain), (true, &mut enc)] {
            let dir = tempfile::tempdir().expect("tempdir");
            let t = run(dir.path(), encrypted, n);
            *slot = Some(match slot.take() {
                None => t,
                Some(b) => Times {
                    load: b.load.min(t.load),
                    reopened: b.reopened.min(t.reopened),
                    warm: b.warm.min(t.warm),
                    small: b.small.min(t.small),
                },
            });
        }
    }
    let (plain, enc) = (plain.expect("runs"), enc.expect("runs"));
    println!("encryption at rest, {n} keys of 16 bytes with 100-byte values (best of 3)");
    println!(
        "{:<24} {:>10} {:>10} {:>6}   {:>9} {:>9} {:>6}",
        "workload", "plain", "encrypted", "ratio", "plain CPU", "enc. CPU", "ratio"
    );
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let ratio = |e: Duration, p: Duration| e.as_secs_f64() / p.as_secs_f64().max(1e-9);
    for (name, p, e) in [
        ("bulk load", plain.load, enc.load),
        ("reads after reopen", plain.reopened, enc.reopened),
        ("reads, warm cache", plain.warm, enc.warm),
        ("reads, 256 KiB cache", plain.small, enc.small),
    ] {
        println!(
            "{name:<24} {:>8.1}ms {:>8.1}ms {:>6.3}   {:>7.0}ms {:>7.0}ms {:>6.3}",
            ms(p.wall),
            ms(e.wall),
            ratio(e.wall, p.wall),
            ms(p.cpu),
            ms(e.cpu),
            ratio(e.cpu, p.cpu)
        );
    }
}
