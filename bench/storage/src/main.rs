//! Storage benchmarks: the same key-value work on HeliosDB Nano's storage layer (MVCC over
//! the redb disk engine) and on SQLite (rusqlite, WAL mode, a `WITHOUT ROWID` table), in
//! one run, printing throughput and the HeliosDB/SQLite ratio.
//!
//! Durability is matched: "durable" is HeliosDB `Durability::Durable` vs SQLite
//! `synchronous=FULL`; "relaxed" is `Durability::Relaxed` vs `synchronous=NORMAL`.
//!
//! `BENCH_ROWS` (default 1,000,000) sets the bulk-load size; `BENCH_SECONDS` (default 2)
//! the duration of each commit-throughput run.

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

struct Report;

impl Report {
    fn pair(&mut self, name: &str, unit: &str, helios: f64, sqlite: f64) {
        let line = format!(
            "| {name} | {helios:.0} {unit} | {sqlite:.0} {unit} | {:.2}x |",
            helios / sqlite
        );
        println!("{line}");
    }

    fn solo(&mut self, name: &str, text: String) {
        let line = format!("| {name} | {text} | | |");
        println!("{line}");
    }
}

fn bulk_and_reads(report: &mut Report, rows: u64) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let storage = helios_open(&tmp.path().join("helios"), Durability::Durable, None);
    let mut sqlite = sqlite_open(&tmp.path().join("sqlite.db"), true);

    let t = Instant::now();
    helios_load(&storage, rows);
    let h = per_sec(rows, t.elapsed());
    let t = Instant::now();
    sqlite_load(&mut sqlite, rows);
    let s = per_sec(rows, t.elapsed());
    report.pair(&format!("bulk load {rows} rows, one transaction"), "rows/s", h, s);

    let gets = 200_000;
    let mut rng = Lcg(7);
    let t = Instant::now();
    for _ in 0..gets {
        let txn = storage.begin(TxnOptions { read_only: true, ..TxnOptions::default() });
        let v = txn.expect("begin").get(&key(rng.next(rows))).expect("get");
        assert!(v.is_some());
    }
    let h = per_sec(gets, t.elapsed());
    let mut rng = Lcg(7);
    let mut stmt = sqlite.prepare("SELECT v FROM kv WHERE k = ?1").expect("prepare");
    let t = Instant::now();
    for _ in 0..gets {
        let v: Vec<u8> =
            stmt.query_row(params![key(rng.next(rows))], |r| r.get(0)).expect("select");
        assert_eq!(v.len(), VALUE_LEN);
    }
    let s = per_sec(gets, t.elapsed());
    report.pair("point get (own read transaction each)", "ops/s", h, s);
    drop(stmt);

    let scans = 100;
    let len = 10_000;
    let mut rng = Lcg(11);
    let t = Instant::now();
    for _ in 0..scans {
        let start = key(rng.next(rows - len));
        let txn = storage.begin(TxnOptions { read_only: true, ..TxnOptions::default() });
        let range = (std::ops::Bound::Included(start), std::ops::Bound::Unbounded);
        let got = txn.expect("begin").scan(range, false, len as usize).expect("scan");
        assert_eq!(got.len() as u64, len);
    }
    let h = per_sec(scans * len, t.elapsed());
    let mut rng = Lcg(11);
    let mut stmt =
        sqlite.prepare("SELECT k, v FROM kv WHERE k >= ?1 ORDER BY k LIMIT ?2").expect("prep");
    let t = Instant::now();
    for _ in 0..scans {
        let start = key(rng.next(rows - len));
        let mut n = 0;
        let mut q = stmt.query(params![start, len as i64]).expect("query");
        while let Some(row) = q.next().expect("row") {
            let v: Vec<u8> = row.get(1).expect("v");
            n += v.len() / VALUE_LEN;
        }
        assert_eq!(n as u64, len);
    }
    let s = per_sec(scans * len, t.elapsed());
    report.pair("range scan of 10k rows", "rows/s", h, s);
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
    let mut timings = Vec::new();
    for encrypted in [false, true] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let source = encrypted.then(|| KeySource::EnvVar(BENCH_KEY_VAR.to_string()));
        let storage = helios_open(&tmp.path().join("db"), Durability::Durable, source);
        let t = Instant::now();
        helios_load(&storage, rows);
        let mut rng = Lcg(3);
        for _ in 0..100_000 {
            let txn = storage.begin(TxnOptions { read_only: true, ..TxnOptions::default() });
            txn.expect("begin").get(&key(rng.next(rows))).expect("get");
        }
        timings.push(t.elapsed());
    }
    let ratio = timings[1].as_secs_f64() / timings[0].as_secs_f64();
    report.solo(
        &format!("encryption on vs off ({rows}-row load + 100k gets)"),
        format!("{:.2?} vs {:.2?}: {ratio:.2}x time", timings[1], timings[0]),
    );
}

fn branch_creation(report: &mut Report) {
    for rows in [10_000u64, 1_000_000] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let storage = helios_open(&tmp.path().join("db"), Durability::Durable, None);
        helios_load(&storage, rows);
        let n = 50;
        let t = Instant::now();
        for b in 0..n {
            storage.create_branch(&format!("b{b}"), BranchId::MAIN, None).expect("branch");
        }
        let each = t.elapsed() / n;
        report.solo(&format!("create branch at {rows} rows"), format!("{each:.2?} each"));
    }
}

fn main() {
    let rows = env_u64("BENCH_ROWS", 1_000_000);
    let seconds = env_u64("BENCH_SECONDS", 2);
    // A fixed benchmark key, read by `KeySource::EnvVar` (never a real secret).
    std::env::set_var(BENCH_KEY_VAR, "42".repeat(32));
    let mut report = Report;
    println!("| workload | HeliosDB | SQLite (WAL) | ratio |");
    println!("|---|---|---|---|");
    bulk_and_reads(&mut report, rows);
    commit_throughput(&mut report, seconds);
    encryption_overhead(&mut report, rows / 5);
    branch_creation(&mut report);
}
