//! Branch and time-travel benchmarks through SQL on an in-memory database:
//!
//! 1. `CREATE BRANCH` on a table of 10k rows and of 1M rows (goal: flat, under 10 ms);
//! 2. an aggregate query `AS OF TIMESTAMP` next to the same query on current data (goal:
//!    at most 1.5x);
//! 3. `MERGE BRANCH` of a branch that changed 100k rows.
//!
//! `cargo run --release -p bench-branch [-- SMALL LARGE CHANGED]` (defaults 10000
//! 1000000 100000). `BENCH_DISK=DIR` runs on a durable database on disk under `DIR`
//! instead of in memory. Prints figures; there is no peer with branches to compare
//! against.

use std::time::{Duration, Instant};

use heliosdb_nano::{Connection, Database, Options, Value};

fn run(c: &mut Connection, sql: &str) {
    if let Some(e) = c.execute_batch(sql).error {
        panic!("{sql}: {e}");
    }
}

/// A fresh database: in memory, or durable on disk under `BENCH_DISK`.
fn open(tag: &str) -> Database {
    match std::env::var("BENCH_DISK") {
        Ok(dir) => {
            let path = std::path::Path::new(&dir).join(format!("bench-branch-{tag}"));
            let _ = std::fs::remove_dir_all(&path);
            Database::open(&path, Options::default()).expect("open on disk")
        }
        Err(_) => Database::open_in_memory().expect("open"),
    }
}

fn load(rows: u64) -> (Database, Connection) {
    let db = open(&rows.to_string());
    let mut c = db.connect();
    run(&mut c, "CREATE TABLE t (id bigint PRIMARY KEY, v bigint, pad text)");
    let chunk = 50_000;
    let mut start = 1;
    while start <= rows {
        let end = (start + chunk - 1).min(rows);
        run(
            &mut c,
            &format!(
                "INSERT INTO t SELECT g, g % 97, 'padding-padding' FROM generate_series({start}, {end}) g"
            ),
        );
        start = end + 1;
    }
    (db, c)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<F: FnMut()>(reps: usize, mut f: F) -> Duration {
    median(
        (0..reps)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let small = args.first().copied().unwrap_or(10_000);
    let large = args.get(1).copied().unwrap_or(1_000_000);
    let changed = args.get(2).copied().unwrap_or(100_000).min(large);

    let place = match std::env::var("BENCH_DISK") {
        Ok(d) => format!("durable database on disk under {d}"),
        Err(_) => "in-memory database".into(),
    };
    println!("# branch benchmarks ({place}, median of repetitions)");
    let mut create = Vec::new();
    for rows in [small, large] {
        let t = Instant::now();
        let (_db, mut c) = load(rows);
        println!("load {rows} rows: {:.0} ms", ms(t.elapsed()));
        let mut n = 0;
        let d = time(21, || {
            n += 1;
            run(&mut c, &format!("CREATE BRANCH b{n}"));
        });
        println!("CREATE BRANCH at {rows} rows: {:.3} ms", ms(d));
        create.push(d);
    }
    println!(
        "CREATE BRANCH ratio {large}/{small} rows: {:.2}x (goal: flat, each under 10 ms)",
        create[1].as_secs_f64() / create[0].as_secs_f64()
    );

    let (db, mut c) = load(large);
    let ts = db.last_commit_timestamp();
    let q = c.query("SELECT helios_current_timestamp()", &[]).expect("ts");
    let Value::TimestampTz(_) = q.rows[0][0] else { panic!("not a timestamp") };
    run(
        &mut c,
        "CREATE TABLE marks (ts timestamptz); INSERT INTO marks SELECT helios_current_timestamp()",
    );
    // Newer versions the AS OF read has to skip.
    run(&mut c, &format!("UPDATE t SET v = v + 1 WHERE id <= {changed}"));
    let current = "SELECT count(*), sum(v) FROM t";
    let past = "SELECT count(*), sum(v) FROM t AS OF TIMESTAMP (SELECT ts FROM marks)";
    let d_now = time(5, || {
        c.query(current, &[]).expect("current");
    });
    let d_past = time(5, || {
        c.query(past, &[]).expect("as of");
    });
    let d_api = time(5, || {
        c.query_as_of(current, &[], ts).expect("query_as_of");
    });
    println!("aggregate over {large} rows, current: {:.1} ms", ms(d_now));
    println!(
        "same AS OF TIMESTAMP ({changed} newer versions): {:.1} ms = {:.2}x (goal <= 1.5x)",
        ms(d_past),
        d_past.as_secs_f64() / d_now.as_secs_f64()
    );
    println!(
        "same through Connection::query_as_of: {:.1} ms = {:.2}x",
        ms(d_api),
        d_api.as_secs_f64() / d_now.as_secs_f64()
    );

    run(&mut c, "CREATE BRANCH m");
    run(&mut c, "USE BRANCH m");
    run(&mut c, &format!("UPDATE t SET v = v + 1 WHERE id <= {changed}"));
    run(&mut c, "USE BRANCH main");
    let t = Instant::now();
    let n = c.run("MERGE BRANCH m INTO main", &[]).expect("merge").rows_affected();
    println!("MERGE BRANCH of {n} changed rows (table of {large}): {:.0} ms", ms(t.elapsed()));
}
