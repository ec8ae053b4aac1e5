//! SQL benchmarks: the same SQL work through HeliosDB Nano's embedded API
//! (`heliosdb_nano`) and through SQLite (rusqlite, bundled, WAL mode), in one run,
//! printing throughput, the HeliosDB/SQLite wall-clock ratio and the CPU-time ratio.
//!
//! Durability is matched: HeliosDB `Durability::Durable` vs SQLite `synchronous=FULL`
//! (`BENCH_RELAXED=1`: `Relaxed` vs `synchronous=NORMAL`).
//!
//! Workloads (one table `orders (id bigint primary key, cust bigint, amount bigint,
//! note text)` of `BENCH_ROWS` rows, default 1,000,000, and `customers (id bigint primary
//! key, region text)` of 10,000 rows):
//! - bulk insert of all orders in one transaction with a prepared, parameterised INSERT;
//! - `BENCH_POINTS` (default 100,000) prepared primary-key point selects;
//! - `BENCH_SCANS` (default 200) range scans of 10,000 rows (`WHERE id BETWEEN ? AND ?`);
//! - a join + GROUP BY over all orders, `BENCH_JOINS` (default 3) times.
//!
//! Point selects and range scans run twice on the HeliosDB side: collecting each result
//! (`execute_prepared`, rows as `Vec<Vec<Value>>`), and streaming the rows into the same
//! Rust tuples the SQLite side reads them into (`query_prepared_each`). The streamed
//! lines compare with SQLite reading into tuples; the collected range scan also with
//! SQLite collecting the same shape (`Vec<Vec<rusqlite::types::Value>>`). The range
//! scans run `BENCH_ROUNDS` times (default 3) each way, in alternating order, and report
//! medians.
//!
//! The bulk insert runs `BENCH_LOADS` times (default 3), alternating the engines, each
//! load into a fresh database (the last one into the one the other workloads read);
//! its line gives each engine's median wall-clock and CPU time (a load ends when its
//! COMMIT returned, durable), the ratios of every pair follow it, and a line compares
//! each engine's fastest load (neighbours on a shared machine only ever add time). One
//! run on a shared machine easily moves by a third.
//!
//! Each load is followed by a checkpoint, measured on its own: HeliosDB's `CHECKPOINT`
//! (which waits for the background flush that writes a large commit's journal record
//! into the data file) and SQLite's `PRAGMA wal_checkpoint(TRUNCATE)`. So no engine's
//! background work runs into the other's measurement, and a last line compares load
//! plus checkpoint: the whole cost until the rows are in each engine's data file, every
//! thread's CPU time included.
//!
//! `BENCH_ONLY` (comma-separated: `insert,point,range,join`) runs a subset after the load.
//! `BENCH_PHASES=1` prints each load's split between its statements and its commit.

use std::time::{Duration, Instant};

use heliosdb_nano::{Connection, DataType, Database, Durability, Options, StatementResult, Value};
use rusqlite::params;

const REGIONS: [&str; 8] = ["north", "south", "east", "west", "centre", "coast", "hills", "isles"];
const CUSTOMERS: i64 = 10_000;
const RANGE: i64 = 10_000;

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

/// CPU time used so far by the whole process, every thread included (also threads that
/// have ended, such as a commit's helper thread), from `getrusage` (microseconds). On a
/// shared, overloaded machine the wall-clock ratio mostly measures the neighbours; the
/// CPU-time ratio measures the work, wherever it ran.
fn process_cpu() -> Duration {
    // SAFETY: `getrusage` only writes the struct it is given, which is zero-initialised
    // plain data.
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut u) != 0 {
            return Duration::ZERO;
        }
        u
    };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Wall-clock and CPU time of one measured piece of work.
#[derive(Clone, Copy)]
struct Cost {
    wall: Duration,
    cpu: Duration,
}

/// Runs `f` and returns what it cost.
fn measure(f: impl FnOnce()) -> Cost {
    let (t, c) = (Instant::now(), process_cpu());
    f();
    Cost { wall: t.elapsed(), cpu: process_cpu().saturating_sub(c) }
}

fn per_sec(ops: u64, d: Duration) -> f64 {
    ops as f64 / d.as_secs_f64()
}

/// Prints one table row: throughput by wall clock, and the CPU-time ratio (>1 means
/// HeliosDB used less CPU than SQLite for the same work).
fn row(name: &str, unit: &str, ops: u64, helios: Cost, sqlite: Cost) {
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

fn rows_of(r: StatementResult) -> Vec<Vec<Value>> {
    match r {
        StatementResult::Rows(q) => q.rows,
        StatementResult::Command { .. } => panic!("expected rows"),
    }
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int2(x) => i64::from(*x),
        Value::Int4(x) => i64::from(*x),
        Value::Int8(x) => *x,
        Value::Numeric(_) => v.to_pg_text().parse().expect("integral numeric"),
        other => panic!("expected an integer, got {other:?}"),
    }
}

fn note(i: i64) -> String {
    format!("order note {i}")
}

fn amount(i: i64) -> i64 {
    (i * 7919) % 1000
}

/// The median of some durations (the upper one of an even count).
fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The median wall-clock and the median CPU time of some measurements.
fn median_cost(v: &[Cost]) -> Cost {
    Cost {
        wall: median(v.iter().map(|c| c.wall).collect()),
        cpu: median(v.iter().map(|c| c.cpu).collect()),
    }
}

/// The smallest wall-clock and the smallest CPU time of some measurements.
fn fastest(v: &[Cost]) -> Cost {
    Cost {
        wall: v.iter().map(|c| c.wall).min().unwrap_or_default(),
        cpu: v.iter().map(|c| c.cpu).min().unwrap_or_default(),
    }
}

/// The range-scan workload: `scans` scans of `RANGE` consecutive ids out of `rows`, at
/// the same pseudo-random starts for every way of reading them.
struct Scans {
    rows: i64,
    scans: u64,
}

impl Scans {
    fn starts(&self) -> impl Iterator<Item = i64> + '_ {
        let mut rng = Lcg(11);
        (0..self.scans).map(move |_| rng.next((self.rows - RANGE) as u64) as i64)
    }

    /// HeliosDB, each result collected (`Vec<Vec<Value>>`).
    fn helios_collected(&self, h: &mut Connection, sel: &heliosdb_nano::Statement) {
        for lo in self.starts() {
            let p = [Value::Int8(lo), Value::Int8(lo + RANGE - 1)];
            let r = rows_of(h.execute_prepared(sel, &p).expect("scan"));
            assert_eq!(r.len() as i64, RANGE);
        }
    }

    /// HeliosDB, the rows streamed into Rust tuples.
    fn helios_streamed(&self, h: &mut Connection, sel: &heliosdb_nano::Statement) {
        for lo in self.starts() {
            let p = [Value::Int8(lo), Value::Int8(lo + RANGE - 1)];
            let mut got: Vec<(i64, i64, i64, String)> = Vec::new();
            h.query_prepared_each(sel, &p, |r| {
                got.push((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?));
                Ok(true)
            })
            .expect("scan");
            assert_eq!(got.len() as i64, RANGE);
        }
    }

    /// SQLite, the rows read into Rust tuples.
    fn sqlite_tuples(&self, sel: &mut rusqlite::Statement<'_>) {
        for lo in self.starts() {
            let mut q = sel.query(params![lo, lo + RANGE - 1]).expect("scan");
            let mut got: Vec<(i64, i64, i64, String)> = Vec::new();
            while let Some(r) = q.next().expect("row") {
                got.push((
                    r.get(0).expect("an integer or text column"),
                    r.get(1).expect("an integer or text column"),
                    r.get(2).expect("an integer or text column"),
                    r.get(3).expect("an integer or text column"),
                ));
            }
            assert_eq!(got.len() as i64, RANGE);
        }
    }

    /// SQLite, each result collected as HeliosDB's is: one vector of dynamically typed
    /// values per row, text as an owned string.
    fn sqlite_values(&self, sel: &mut rusqlite::Statement<'_>) {
        for lo in self.starts() {
            let mut q = sel.query(params![lo, lo + RANGE - 1]).expect("scan");
            let mut got: Vec<Vec<rusqlite::types::Value>> = Vec::new();
            while let Some(r) = q.next().expect("row") {
                got.push((0..4).map(|i| r.get(i).expect("an integer or text column")).collect());
            }
            assert_eq!(got.len() as i64, RANGE);
        }
    }
}

/// The orders table's columns, in both engines' spelling.
const HELIOS_ORDERS: &str =
    "(id bigint PRIMARY KEY, cust bigint NOT NULL, amount bigint NOT NULL, note text)";
const SQLITE_ORDERS: &str =
    "(id INTEGER PRIMARY KEY, cust INTEGER NOT NULL, amount INTEGER NOT NULL, note TEXT)";

/// Loads `rows` orders into `table` in one transaction, one prepared INSERT per row.
fn helios_load_orders(h: &mut Connection, table: &str, rows: i64) {
    let start = Mark::now();
    h.execute("BEGIN", &[]).expect("begin");
    let ins = h
        .prepare(
            &format!("INSERT INTO {table} VALUES ($1, $2, $3, $4)"),
            &[DataType::Int8, DataType::Int8, DataType::Int8, DataType::Text],
        )
        .expect("prepare");
    for i in 0..rows {
        let p = [
            Value::Int8(i),
            Value::Int8(i % CUSTOMERS),
            Value::Int8(amount(i)),
            Value::Text(note(i)),
        ];
        h.execute_prepared(&ins, &p).expect("insert");
    }
    let commit = Mark::now();
    h.execute("COMMIT", &[]).expect("commit");
    phases("HeliosDB", start, commit);
}

fn sqlite_load_orders(s: &mut rusqlite::Connection, table: &str, rows: i64) {
    let start = Mark::now();
    let t = s.transaction().expect("begin");
    {
        let mut ins =
            t.prepare(&format!("INSERT INTO {table} VALUES (?1, ?2, ?3, ?4)")).expect("prep");
        for i in 0..rows {
            ins.execute(params![i, i % CUSTOMERS, amount(i), note(i)]).expect("insert");
        }
    }
    let commit = Mark::now();
    t.commit().expect("commit");
    phases("SQLite", start, commit);
}

/// HeliosDB's checkpoint: every commit written into the data file (background flush
/// included).
fn helios_checkpoint(h: &mut Connection) {
    h.execute("CHECKPOINT", &[]).expect("checkpoint");
}

/// SQLite's: the write-ahead log copied into the database file and emptied.
fn sqlite_checkpoint(s: &rusqlite::Connection) {
    let busy: i64 =
        s.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0)).expect("checkpoint");
    assert_eq!(busy, 0, "SQLite's checkpoint could not finish");
}

/// A moment of a load: wall-clock time and the calling thread's time on a CPU.
#[derive(Clone, Copy)]
struct Mark {
    wall: Instant,
    on_cpu: Option<Duration>,
}

impl Mark {
    fn now() -> Mark {
        // Linux: the first field of the thread's schedstat is its time on a CPU, in ns.
        let on_cpu = std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok())
            .map(Duration::from_nanos);
        Mark { wall: Instant::now(), on_cpu }
    }
}

/// With `BENCH_PHASES=1`, prints how a load's time splits between its statements and
/// its commit, wall-clock and on the calling thread's CPU (to stderr, so the tables
/// stay clean). The thread's CPU time moves less with the neighbours than wall-clock.
fn phases(engine: &str, start: Mark, commit: Mark) {
    if std::env::var("BENCH_PHASES").is_ok_and(|v| v == "1") {
        let end = Mark::now();
        let cpu = |a: Mark, b: Mark| b.on_cpu.zip(a.on_cpu).map(|(b, a)| b.saturating_sub(a));
        eprintln!(
            "{engine:>8} load: statements {:>9.1?} (thread CPU {:>9.1?}), commit {:>9.1?} (thread CPU {:>9.1?})",
            commit.wall - start.wall,
            cpu(start, commit).unwrap_or_default(),
            end.wall - commit.wall,
            cpu(commit, end).unwrap_or_default(),
        );
    }
}

fn helios_open(dir: &std::path::Path, relaxed: bool) -> Connection {
    let durability = if relaxed { Durability::Relaxed } else { Durability::Durable };
    let db = Database::open(dir, Options { durability, ..Options::default() }).expect("open");
    let mut c = db.connect();
    let out = c.execute_batch(&format!(
        "CREATE TABLE customers (id bigint PRIMARY KEY, region text NOT NULL);
         CREATE TABLE orders {HELIOS_ORDERS}"
    ));
    assert!(out.error.is_none(), "{:?}", out.error);
    c
}

fn sqlite_open(path: &std::path::Path, relaxed: bool) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(path).expect("open SQLite");
    c.pragma_update(None, "journal_mode", "WAL").expect("WAL");
    c.pragma_update(None, "synchronous", if relaxed { "NORMAL" } else { "FULL" }).expect("sync");
    c.execute_batch(&format!(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, region TEXT NOT NULL);
         CREATE TABLE orders {SQLITE_ORDERS}"
    ))
    .expect("schema");
    c
}

fn helios_load_customers(c: &mut Connection) {
    c.execute("BEGIN", &[]).expect("begin");
    let ins = c.prepare("INSERT INTO customers VALUES ($1, $2)", &[]).expect("prepare");
    for i in 0..CUSTOMERS {
        let region = Value::Text(REGIONS[i as usize % REGIONS.len()].to_string());
        c.execute_prepared(&ins, &[Value::Int8(i), region]).expect("insert");
    }
    c.execute("COMMIT", &[]).expect("commit");
}

fn sqlite_load_customers(c: &mut rusqlite::Connection) {
    let t = c.transaction().expect("begin");
    {
        let mut ins = t.prepare("INSERT INTO customers VALUES (?1, ?2)").expect("prepare");
        for i in 0..CUSTOMERS {
            ins.execute(params![i, REGIONS[i as usize % REGIONS.len()]]).expect("insert");
        }
    }
    t.commit().expect("commit");
}

fn main() {
    let rows = env_u64("BENCH_ROWS", 1_000_000) as i64;
    let points = env_u64("BENCH_POINTS", 100_000);
    let scans = env_u64("BENCH_SCANS", 200);
    let joins = env_u64("BENCH_JOINS", 3);
    let loads = env_u64("BENCH_LOADS", 3).max(1);
    let rounds = env_u64("BENCH_ROUNDS", 3).max(1);
    let relaxed = std::env::var("BENCH_RELAXED").is_ok_and(|v| v == "1");
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let run = |name: &str| only.is_empty() || only.split(',').any(|o| o.trim() == name);

    let tmp = tempfile::tempdir().expect("tempdir");
    let mut h = helios_open(&tmp.path().join("helios"), relaxed);
    let mut s = sqlite_open(&tmp.path().join("sqlite.db"), relaxed);
    helios_load_customers(&mut h);
    sqlite_load_customers(&mut s);

    println!("| workload | HeliosDB | SQLite (WAL) | ratio (wall) | ratio (CPU time) |");
    println!("|---|---|---|---|---|");

    // Bulk insert: one transaction, prepared INSERT with parameters, `loads` times,
    // alternating the engines; the last load fills `orders`.
    let (mut hs, mut ss) = (Vec::new(), Vec::new());
    let (mut hk, mut sk) = (Vec::new(), Vec::new());
    for round in 1..loads {
        // Earlier loads go into databases of their own, removed afterwards, so the reads
        // below see one table of `rows` rows in each engine.
        let dir = tmp.path().join(format!("load-{round}"));
        std::fs::create_dir(&dir).expect("load directory");
        let mut hx = helios_open(&dir.join("helios"), relaxed);
        let mut sx = sqlite_open(&dir.join("sqlite.db"), relaxed);
        hs.push(measure(|| helios_load_orders(&mut hx, "orders", rows)));
        hk.push(measure(|| helios_checkpoint(&mut hx)));
        ss.push(measure(|| sqlite_load_orders(&mut sx, "orders", rows)));
        sk.push(measure(|| sqlite_checkpoint(&sx)));
        drop((hx, sx));
        std::fs::remove_dir_all(&dir).expect("remove load directory");
    }
    hs.push(measure(|| helios_load_orders(&mut h, "orders", rows)));
    hk.push(measure(|| helios_checkpoint(&mut h)));
    ss.push(measure(|| sqlite_load_orders(&mut s, "orders", rows)));
    sk.push(measure(|| sqlite_checkpoint(&s)));
    row(
        &format!("bulk insert {rows} rows, one txn (prepared; median of {loads})"),
        "rows/s",
        rows as u64,
        median_cost(&hs),
        median_cost(&ss),
    );
    let pairs: Vec<String> = hs
        .iter()
        .zip(&ss)
        .map(|(h, s)| {
            format!(
                "{:.2}x / {:.2}x",
                s.wall.as_secs_f64() / h.wall.as_secs_f64(),
                s.cpu.as_secs_f64() / h.cpu.as_secs_f64()
            )
        })
        .collect();
    println!("| (each load: ratio wall / CPU) | {} | | | |", pairs.join(", "));
    // The fastest load of each engine: on a shared machine the neighbours only ever add
    // time, so the minimum is the steadiest estimate of each engine's own cost.
    row(
        &format!("bulk insert, fastest of {loads} loads each"),
        "rows/s",
        rows as u64,
        fastest(&hs),
        fastest(&ss),
    );
    let through = |loads: &[Cost], checkpoints: &[Cost]| -> Vec<Cost> {
        loads
            .iter()
            .zip(checkpoints)
            .map(|(l, k)| Cost { wall: l.wall + k.wall, cpu: l.cpu + k.cpu })
            .collect()
    };
    row(
        &format!("bulk insert and checkpoint (median of {loads})"),
        "rows/s",
        rows as u64,
        median_cost(&through(&hs, &hk)),
        median_cost(&through(&ss, &sk)),
    );

    if run("point") {
        let sel = h.prepare("SELECT cust, amount, note FROM orders WHERE id = $1", &[]).expect("p");
        let mut rng = Lcg(7);
        let hc = measure(|| {
            for _ in 0..points {
                let id = rng.next(rows as u64) as i64;
                let r = rows_of(h.execute_prepared(&sel, &[Value::Int8(id)]).expect("select"));
                assert_eq!(int(&r[0][1]), amount(id));
            }
        });
        let mut ssel = s.prepare("SELECT cust, amount, note FROM orders WHERE id = ?1").expect("p");
        let mut rng = Lcg(7);
        let sc = measure(|| {
            for _ in 0..points {
                let id = rng.next(rows as u64) as i64;
                let (_c, a, _n): (i64, i64, String) = ssel
                    .query_row(params![id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .expect("select");
                assert_eq!(a, amount(id));
            }
        });
        row("point select by primary key (prepared)", "ops/s", points, hc, sc);
        // The same reads through the streaming API, into the tuple the SQLite side builds.
        let mut rng = Lcg(7);
        let hs = measure(|| {
            for _ in 0..points {
                let id = rng.next(rows as u64) as i64;
                let mut got: Option<(i64, i64, String)> = None;
                h.query_prepared_each(&sel, &[Value::Int8(id)], |r| {
                    got = Some((r.get(0)?, r.get(1)?, r.get(2)?));
                    Ok(true)
                })
                .expect("select");
                assert_eq!(got.map(|g| g.1), Some(amount(id)));
            }
        });
        row("point select, rows streamed into tuples", "ops/s", points, hs, sc);
    }

    if run("range") {
        let sql = "SELECT id, cust, amount, note FROM orders WHERE id BETWEEN $1 AND $2";
        let hsel = h.prepare(sql, &[]).expect("prepare");
        let mut ssel = s
            .prepare("SELECT id, cust, amount, note FROM orders WHERE id BETWEEN ?1 AND ?2")
            .expect("prepare");
        let scan = Scans { rows, scans };
        // `rounds` rounds of the four ways, in alternating order; medians of each way.
        let mut costs: [Vec<Cost>; 4] = Default::default();
        for round in 0..rounds {
            let order = if round % 2 == 0 { [0, 1, 2, 3] } else { [3, 2, 1, 0] };
            for way in order {
                costs[way].push(match way {
                    0 => measure(|| scan.helios_collected(&mut h, &hsel)),
                    1 => measure(|| scan.sqlite_tuples(&mut ssel)),
                    2 => measure(|| scan.helios_streamed(&mut h, &hsel)),
                    _ => measure(|| scan.sqlite_values(&mut ssel)),
                });
            }
        }
        let [hc, sc, hs, sv] = costs.map(|c| median_cost(&c));
        let n = scans * RANGE as u64;
        let what = format!("range scan {RANGE} rows (BETWEEN, prepared; median of {rounds})");
        row(&format!("{what}, collected vs SQLite tuples"), "rows/s", n, hc, sc);
        row(&format!("{what}, both collected as value vectors"), "rows/s", n, hc, sv);
        row(&format!("{what}, both streamed into tuples"), "rows/s", n, hs, sc);
    }

    if run("join") {
        let sql = "SELECT c.region, count(*), sum(o.amount) FROM orders o \
                   JOIN customers c ON o.cust = c.id GROUP BY c.region";
        let mut htotal = 0;
        let hc = measure(|| {
            for _ in 0..joins {
                let r = h.query(sql, &[]).expect("join").rows;
                assert_eq!(r.len(), REGIONS.len());
                htotal = r.iter().map(|x| int(&x[1])).sum::<i64>();
            }
        });
        let mut stotal = 0;
        let sc = measure(|| {
            for _ in 0..joins {
                let mut st = s.prepare_cached(sql).expect("prepare");
                let mut q = st.query([]).expect("join");
                let mut n = 0;
                stotal = 0;
                while let Some(r) = q.next().expect("row") {
                    let (_region, count, _sum): (String, i64, i64) = (
                        r.get(0).expect("an integer or text column"),
                        r.get(1).expect("an integer or text column"),
                        r.get(2).expect("an integer or text column"),
                    );
                    stotal += count;
                    n += 1;
                }
                assert_eq!(n, REGIONS.len());
            }
        });
        assert_eq!(htotal, rows);
        assert_eq!(stotal, rows);
        row(
            &format!("join {rows} x {CUSTOMERS} + GROUP BY region"),
            "rows/s",
            joins * rows as u64,
            hc,
            sc,
        );
    }
}
