//! Storage benchmarks: the same key-value work on HeliosDB Nano's storage layer (MVCC over
//! the redb disk engine) and on SQLite (rusqlite, WAL mode, a `WITHOUT ROWID` table), in
//! one run, printing throughput and the HeliosDB/SQLite ratio.
//!
//! Durability is matched: "durable" is HeliosDB `Durability::Durable` vs SQLite
//! `synchronous=FULL`; "relaxed" is `Durability::Relaxed` vs `synchronous=NORMAL`.
//!
//! `BENCH_ROWS` (default 1,000,000) sets the bulk-load size; `BENCH_SECONDS` (default 2)
//! the duration of each commit-throughput run; `BENCH_ONLY` (comma-separated section names)
//! runs a subset.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use helios_common::BranchId;
use helios_storage::{Durability, KeySource, Storage, StorageOptions, TxnOptions};
use rusqlite::{params, Connection};

const VALUE_LEN: usize = 100;
const BENCH_KEY_VAR: &str = "HELIOS_BENCH_KEY";

fn key(i: u64) -> Vec<u8> {
    format!("key{i:013}").into_bytes()
}

fn value(i: u64) -> Vec<u8> {
    let mut v = format!("value-{i}-").into_bytes();
    v.resize(VALUE_LEN, b'x');
    v
}

/// A tiny deterministic generator so both engines see the same key sequence.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % bound
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn helios_open(dir: &std::path::Path, durability: Durability, key: Option<KeySource>) -> Storage {
    let options = StorageOptions { durability, encryption: key, ..StorageOptions::default() };
    Storage::open(dir, options).expect("open HeliosDB storage")
}

fn sqlite_open(path: &std::path::Path, durable: bool) -> Connection {
    let conn = Connection::open(path).expect("open SQLite");
    conn.pragma_update(None, "journal_mode", "WAL").expect("WAL");
    conn.pragma_update(None, "synchronous", if durable { "FULL" } else { "NORMAL" })
        .expect("synchronous");
    conn.busy_timeout(Duration::from_secs(30)).expect("busy timeout");
    conn.execute_batch("CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID")
        .expect("create table");
    conn
}

fn helios_load(storage: &Storage, rows: u64) {
    let mut txn = storage.begin(TxnOptions::default()).expect("begin");
    for i in 0..rows {
        txn.put(&key(i), &value(i)).expect("put");
    }
    txn.commit().expect("commit");
}

fn sqlite_load(conn: &mut Connection, rows: u64) {
    let txn = conn.transaction().expect("begin");
    {
        let mut stmt = txn.prepare("INSERT INTO kv (k, v) VALUES (?1, ?2)").expect("prepare");
        for i in 0..rows {
            stmt.execute(params![key(i), value(i)]).expect("insert");
        }
    }
    txn.commit().expect("commit");
}

fn per_sec(ops: u64, elapsed: Duration) -> f64 {
    ops as f64 / elapsed.as_secs_f64()
}

/// CPU time (user + system) used so far by the calling thread, from
/// `/proc/thread-self/stat` (Linux; zero elsewhere). On a shared, overloaded machine the
/// wall-clock ratio mostly measures the neighbours; the CPU-time ratio measures the work.
fn thread_cpu() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/thread-self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line (the first after the name is 3);
    // clock ticks are 100 per second on Linux.
    let field = |n: usize| f.get(n - 3).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
    let ticks = field(14) + field(15);
    Duration::from_millis(ticks * 10)
}

/// Wall-clock and CPU time of one measured piece of work.
#[derive(Clone, Copy)]
struct Cost {
    wall: Duration,
    cpu: Duration,
}

/// Runs `f` on this thread and returns what it cost.
fn measure(f: impl FnOnce()) -> Cost {
    let (t, c) = (Instant::now(), thread_cpu());
    f();
    Cost { wall: t.elapsed(), cpu: thread_cpu().saturating_sub(c) }
}

struct Report;

impl Report {
    fn pair(&mut self, name: &str, unit: &str, helios: f64, sqlite: f64) {
        let line = format!(
            "| {name} | {helios:.0} {unit} | {sqlite:.0} {unit} | {:.2}x | |",
            helios / sqlite
        );
        println!("{line}");
    }

    /// A pair measured on this thread: throughput by wall clock, and the CPU-time ratio.
    fn costs(&mut self, name: &str, unit: &str, ops: u64, helios: Cost, sqlite: Cost) {
        let (h, s) = (per_sec(ops, helios.wall), per_sec(ops, sqlite.wall));
        let cpu = if helios.cpu.is_zero() {
            String::new()
        } else {
            format!(
                "{:.2}x ({:.2?} vs {:.2?})",
                sqlite.cpu.as_secs_f64() / helios.cpu.as_secs_f64(),
                helios.cpu,
                sqlite.cpu
            )
        };
        println!("| {name} | {h:.0} {unit} | {s:.0} {unit} | {:.2}x | {cpu} |", h / s);
    }

    fn solo(&mut self, name: &str, text: String) {
        let line = format!("| {name} | {text} | | | |");
        println!("{line}");
    }
}

/// `BENCH_PROFILE=1`: HeliosDB's bulk load, gets and scans only, for `perf record`.
fn profile_helios(rows: u64) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let storage = helios_open(&tmp.path().join("helios"), Durability::Durable, None);
    let show = |what: &str, c: Cost| println!("{what}: {:.2?} wall, {:.2?} CPU", c.wall, c.cpu);
    show("load", measure(|| helios_load(&storage, rows)));
    let file = tmp.path().join("helios").join("data.redb");
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    println!("data file: {} MiB", size >> 20);
    let mut rng = Lcg(7);
    show(
        "200k gets",
        measure(|| {
            for _ in 0..200_000 {
                let txn = storage.begin(TxnOptions { read_only: true, ..TxnOptions::default() });
                assert!(txn.expect("begin").get(&key(rng.next(rows))).expect("get").is_some());
            }
        }),
    );
    show(
        "100 scans of 10k",
        measure(|| {
            for _ in 0..100 {
                let start = key(rng.next(rows - 10_000));
                let txn = storage.begin(TxnOptions { read_only: true, ..TxnOptions::default() });
                let range = (std::ops::Bound::Included(start), std::ops::Bound::Unbounded);
                let got = txn.expect("begin").scan(range, false, 10_000).expect("scan");
                assert_eq!(got.len(), 10_000);
            }
        }),
    );
}

fn bulk_and_reads(report: &mut Report, rows: u64) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let storage = helios_open(&tmp.path().join("helios"), Durability::Durable, None);
    let mut sqlite = sqlite_open(&tmp.path().join("sqlite.db"), true);

    let h = measure(|| helios_load(&storage, rows));
    let s = measure(|| sqlite_load(&mut sqlite, rows));
    report.costs(&format!("bulk load {rows} rows, one transaction"), "rows/s", rows, h, s);

    let gets = 200_000;
    let mut rng = Lcg(7);
    let h = measure(|| {
        for _ in 0..gets {
            let txn = storage.begin(TxnOptions { read_only: true, ..TxnOptions::default() });
            let v = txn.expect("begin").get(&key(rng.next(rows))).expect("get");
            assert!(v.is_some());
        }
    });
    let mut rng = Lcg(7);
    let mut stmt = sqlite.prepare("SELECT v FROM kv WHERE k = ?1").expect("prepare");
    let s = measure(|| {
        for _ in 0..gets {
            let v: Vec<u8> =
                stmt.query_row(params![key(rng.next(rows))], |r| r.get(0)).expect("select");
            assert_eq!(v.len(), VALUE_LEN);
        }
    });
    report.costs("point get (own read transaction each)", "ops/s", gets, h, s);
    drop(stmt);

    let scans = 100;
    let len = 10_000;
    let mut rng = Lcg(11);
    let h = measure(|| {
        for _ in 0..scans {
            let start = key(rng.next(rows - len));
            let txn = storage.begin(TxnOptions { read_only: true, ..TxnOptions::default() });
            let range = (std::ops::Bound::Included(start), std::ops::Bound::Unbounded);
            let got = txn.expect("begin").scan(range, false, len as usize).expect("scan");
            assert_eq!(got.len() as u64, len);
        }
    });
    let mut rng = Lcg(11);
    let mut stmt =
        sqlite.prepare("SELECT k, v FROM kv WHERE k >= ?1 ORDER BY k LIMIT ?2").expect("prep");
    let s = measure(|| {
        for _ in 0..scans {
            let start = key(rng.next(rows - len));
            let mut n = 0;
            let mut q = stmt.query(params![start, len as i64]).expect("query");
            while let Some(row) = q.next().expect("row") {
                let k: Vec<u8> = row.get(0).expect("k");
                let v: Vec<u8> = row.get(1).expect("v");
                n += (k.len() > 0 && v.len() == VALUE_LEN) as u64;
            }
            assert_eq!(n, len);
        }
    });
    report.costs("range scan of 10k rows", "rows/s", scans * len, h, s);
}

fn run_for<F: Fn(u64) + Send + Sync + 'static>(threads: u64, seconds: u64, op: F) -> f64 {
    let op = Arc::new(op);
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (op, stop, count) = (op.clone(), stop.clone(), count.clone());
            std::thread::spawn(move || {
                let mut i = t << 40;
                while !stop.load(Ordering::Relaxed) {
                    op(i);
                    i += 1;
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().expect("worker");
    }
    per_sec(count.load(Ordering::Relaxed), start.elapsed())
}

fn commit_throughput(report: &mut Report, seconds: u64) {
    for durable in [true, false] {
        for threads in [1u64, 8] {
            let tmp = tempfile::tempdir().expect("tempdir");
            let durability = if durable { Durability::Durable } else { Durability::Relaxed };
            let storage = helios_open(&tmp.path().join("helios"), durability, None);
            let h = run_for(threads, seconds, move |i| {
                let mut txn = storage.begin(TxnOptions::default()).expect("begin");
                txn.put(&key(i), &value(i)).expect("put");
                txn.commit().expect("commit");
            });
            let path = tmp.path().join("sqlite.db");
            drop(sqlite_open(&path, durable));
            let conns: Vec<_> = (0..threads)
                .map(|_| parking_mutex(sqlite_open(&path, durable)))
                .collect::<Vec<_>>();
            let conns = Arc::new(conns);
            let s = run_for(threads, seconds, move |i| {
                let conn = conns[(i >> 40) as usize].lock().expect("lock");
                conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
                conn.execute(
                    "INSERT OR REPLACE INTO kv (k, v) VALUES (?1, ?2)",
                    params![key(i), value(i)],
                )
                .expect("insert");
                conn.execute_batch("COMMIT").expect("commit");
            });
            let mode = if durable { "durable" } else { "relaxed" };
            report.pair(
                &format!("commit throughput, {mode}, {threads} thread(s), 1 row each"),
                "commits/s",
                h,
                s,
            );
        }
    }
}

fn parking_mutex(conn: Connection) -> std::sync::Mutex<Connection> {
    std::sync::Mutex::new(conn)
}

fn encryption_overhead(report: &mut Report, rows: u64) {
    // Plain and encrypted runs alternate, three rounds, best of each: neighbours' load on a
    // shared machine then hits both alike.
    let mut best = [(Duration::MAX, Duration::MAX); 2];
    for _ in 0..3 {
        for (i, encrypted) in [false, true].into_iter().enumerate() {
            let tmp = tempfile::tempdir().expect("tempdir");
            let source = encrypted.then(|| KeySource::Env(BENCH_KEY_VAR.to_string()));
            let storage = helios_open(&tmp.path().join("db"), Durability::Durable, source);
            let c = measure(|| {
                helios_load(&storage, rows);
                let mut rng = Lcg(3);
                for _ in 0..100_000 {
                    let txn =
                        storage.begin(TxnOptions { read_only: true, ..TxnOptions::default() });
                    txn.expect("begin").get(&key(rng.next(rows))).expect("get");
                }
            });
            best[i] = (best[i].0.min(c.wall), best[i].1.min(c.cpu));
        }
    }
    let [(pw, pc), (ew, ec)] = best;
    let cpu = if pc.is_zero() {
        String::new()
    } else {
        format!(", CPU {ec:.2?} vs {pc:.2?}: {:.2}x", ec.as_secs_f64() / pc.as_secs_f64())
    };
    report.solo(
        &format!("encryption on vs off ({rows}-row load + 100k gets, best of 3)"),
        format!("wall {ew:.2?} vs {pw:.2?}: {:.2}x time{cpu}", ew.as_secs_f64() / pw.as_secs_f64()),
    );
}

fn branch_creation(report: &mut Report) {
    for rows in [10_000u64, 1_000_000] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let storage = helios_open(&tmp.path().join("db"), Durability::Durable, None);
        helios_load(&storage, rows);
        let n = 50;
        let mut times = Vec::with_capacity(n);
        for b in 0..n {
            let t = Instant::now();
            storage.create_branch(&format!("b{b}"), BranchId::MAIN, None).expect("branch");
            times.push(t.elapsed());
        }
        let mean = times.iter().sum::<Duration>() / n as u32;
        let first = times[0];
        times.sort();
        let (median, max) = (times[n / 2], times[n - 1]);
        report.solo(
            &format!("create branch at {rows} rows (durable)"),
            format!("mean {mean:.2?}, median {median:.2?}, first {first:.2?}, max {max:.2?}"),
        );
    }
}

/// Peak resident set size of this process so far (`VmHWM` in `/proc/self/status`).
fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.trim_start_matches("VmHWM:").trim().to_string())
}

/// One transaction inserting `HELIOS_BIG_TXN_ROWS` (default 10 million) rows: its write set
/// spills, and the process's peak memory stays bounded. Opt-in (`HELIOS_BIG_TXN=1`).
fn big_transaction(report: &mut Report) {
    let rows = env_u64("HELIOS_BIG_TXN_ROWS", 10_000_000);
    let tmp = tempfile::tempdir().expect("tempdir");
    let storage = helios_open(&tmp.path().join("db"), Durability::Durable, None);
    let before = peak_rss().unwrap_or_default();
    let t = Instant::now();
    let mut txn = storage.begin(TxnOptions::default()).expect("begin");
    for i in 0..rows {
        txn.put(&key(i), &value(i)).expect("put");
    }
    let buffered = t.elapsed();
    txn.commit().expect("commit");
    let total = t.elapsed();
    let check = storage.begin(TxnOptions::default()).expect("begin");
    assert_eq!(check.get(&key(rows - 1)).expect("get"), Some(value(rows - 1)));
    report.solo(
        &format!("one transaction of {rows} rows (spills)"),
        format!(
            "{total:.2?} ({buffered:.2?} buffering), {:.0} rows/s, peak RSS {} (before: {before})",
            per_sec(rows, total),
            peak_rss().unwrap_or_default()
        ),
    );
}

/// Merge of a branch with `rows` changed keys into `main`, which holds `total` rows.
fn merge_changed(report: &mut Report, rows: u64, total: u64) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let storage = helios_open(&tmp.path().join("db"), Durability::Durable, None);
    helios_load(&storage, total.max(rows));
    let dev = storage.create_branch("dev", BranchId::MAIN, None).expect("branch");
    let mut txn =
        storage.begin(TxnOptions { branch: dev.id, ..TxnOptions::default() }).expect("begin");
    for i in 0..rows {
        txn.put(&key(i), b"changed on dev").expect("put");
    }
    txn.commit().expect("commit");
    let t = Instant::now();
    let merged =
        storage.merge(dev.id, BranchId::MAIN, helios_storage::MergeStrategy::Fail).expect("merge");
    assert_eq!(merged.applied.len() as u64, rows);
    report.solo(
        &format!("merge {rows} changed rows into main ({} rows)", total.max(rows)),
        format!("{:.2?}", t.elapsed()),
    );
}

fn main() {
    let rows = env_u64("BENCH_ROWS", 1_000_000);
    let seconds = env_u64("BENCH_SECONDS", 2);
    // A fixed benchmark key, read by `KeySource::EnvVar` (never a real secret).
    std::env::set_var(BENCH_KEY_VAR, "42".repeat(32));
    let mut report = Report;
    // `BENCH_ONLY=bulk,commit,encryption,branch,merge`; `HELIOS_BIG_TXN=1` adds the
    // 10-million-row transaction runs a subset (profiling one part).
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let run = |name: &str| only.is_empty() || only.split(',').any(|o| o.trim() == name);
    if std::env::var("BENCH_PROFILE").is_ok_and(|v| v == "1") {
        profile_helios(rows);
        return;
    }
    println!("| workload | HeliosDB | SQLite (WAL) | ratio (wall) | ratio (CPU time) |");
    println!("|---|---|---|---|---|");
    if run("bulk") {
        bulk_and_reads(&mut report, rows);
    }
    if run("commit") {
        commit_throughput(&mut report, seconds);
    }
    if run("encryption") {
        encryption_overhead(&mut report, rows / 5);
    }
    if run("branch") {
        branch_creation(&mut report);
    }
    if run("merge") {
        merge_changed(&mut report, 100_000, rows);
    }
    if std::env::var("HELIOS_BIG_TXN").is_ok_and(|v| v == "1") {
        big_transaction(&mut report);
    }
}
