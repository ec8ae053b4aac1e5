//! Crash test for HNSW indexes on disk: a child process inserts rows into an indexed table
//! and now and then rebuilds the index (`DROP INDEX` + `CREATE INDEX`), and is killed with
//! SIGKILL at random moments, in the middle of an insert, a flush of the graph or a build.
//! After each kill the database reopens and the index is usable: every acknowledged row
//! is there, k-NN through the index returns exactly the nearest rows (compared with a
//! brute-force computation over the table), and new rows can be inserted and are found.
//!
//! The child is this test binary re-run with `HELIOS_VECTOR_CRASH_CHILD=<dir>|<first id>`;
//! `crash_child_process` then works forever, printing `ack <id>` after each commit.
//! `HELIOS_VECTOR_CRASH_CYCLES` sets the number of kills (default 8).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use helios_sql::{Engine, Session, StatementResult};
use helios_storage::{Storage, StorageOptions};
use helios_types::Value;

const CHILD_ENV: &str = "HELIOS_VECTOR_CRASH_CHILD";
const ROWS_PER_TXN: u64 = 4;

/// The vector of row `id`: deterministic, spread over a 4-d box.
fn vector(id: u64) -> [f32; 4] {
    let h = id.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let c = |s: u32| ((h >> s) & 0xff) as f32 / 16.0;
    [c(0), c(8), c(16), c(24)]
}

fn literal(v: &[f32]) -> String {
    let parts: Vec<String> = v.iter().map(|x| x.to_string()).collect();
    format!("[{}]", parts.join(","))
}

fn open(dir: &Path) -> (Arc<Engine>, Session) {
    let storage = Storage::open(dir, StorageOptions::default()).expect("open database");
    let engine = Engine::new(storage).expect("engine");
    let session = engine.session();
    (engine, session)
}

fn run(s: &mut Session, sql: &str) {
    let (_, err) = s.execute_batch(sql);
    assert!(err.is_none(), "{sql}: {err:?}");
}

fn rows(s: &mut Session, sql: &str) -> Vec<Vec<Value>> {
    match s.execute(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e:?}")) {
        StatementResult::Rows(r) => r.rows,
        other => panic!("{sql}: {other:?}"),
    }
}

/// The child: inserts rows forever, rebuilding the index every 8 transactions.
#[test]
fn crash_child_process() {
    let Ok(spec) = std::env::var(CHILD_ENV) else { return };
    let (dir, first) = spec.split_once('|').expect("dir|first");
    let mut id: u64 = first.parse().expect("first id");
    let (_engine, mut s) = open(Path::new(dir));
    let mut out = std::io::stdout().lock();
    let mut txns = 0u64;
    loop {
        if txns % 8 == 7 {
            run(
                &mut s,
                "DROP INDEX IF EXISTS items_e; \
                 CREATE INDEX items_e ON items USING hnsw (e vector_l2_ops) WITH (m = 4, ef_construction = 16)",
            );
        }
        let values: Vec<String> =
            (id..id + ROWS_PER_TXN).map(|i| format!("({i}, '{}')", literal(&vector(i)))).collect();
        run(&mut s, &format!("INSERT INTO items VALUES {}", values.join(", ")));
        writeln!(out, "ack {}", id + ROWS_PER_TXN - 1).expect("stdout");
        out.flush().expect("stdout");
        id += ROWS_PER_TXN;
        txns += 1;
    }
}

fn nearest_exact(all: &[(i64, [f32; 4])], q: &[f32; 4], k: usize) -> Vec<i64> {
    let d = |v: &[f32; 4]| v.iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum::<f32>();
    let mut by: Vec<(f32, i64)> = all.iter().map(|(id, v)| (d(v), *id)).collect();
    by.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    by.into_iter().take(k).map(|(_, id)| id).collect()
}

/// Reopens after a kill and checks the table and its index; returns the next free id.
fn verify(dir: &Path, acked: u64) -> u64 {
    let (_engine, mut s) = open(dir);
    let ids: Vec<i64> = rows(&mut s, "SELECT id FROM items ORDER BY id")
        .into_iter()
        .map(|r| match r[0] {
            Value::Int8(n) => n,
            ref other => panic!("{other:?}"),
        })
        .collect();
    for i in 1..=acked as i64 {
        assert!(ids.binary_search(&i).is_ok(), "acknowledged row {i} lost");
    }
    let max = ids.last().copied().unwrap_or(0);
    assert_eq!(ids.len() as i64, max, "rows come in whole transactions, no gaps");
    let all: Vec<(i64, [f32; 4])> = ids.iter().map(|&i| (i, vector(i as u64))).collect();

    // The index exists unless the kill fell between DROP INDEX and CREATE INDEX's commit
    // (they are separate transactions); then recreate it, as a user would.
    let has_index =
        !rows(&mut s, "SELECT 1 FROM pg_indexes WHERE indexname = 'items_e'").is_empty();
    if !has_index {
        run(&mut s, "CREATE INDEX items_e ON items USING hnsw (e vector_l2_ops) WITH (m = 4, ef_construction = 16)");
    }
    let plan = rows(&mut s, "EXPLAIN SELECT id FROM items ORDER BY e <-> '[1,1,1,1]' LIMIT 5");
    assert!(
        plan.iter()
            .any(|r| matches!(&r[0], Value::Text(t) if t.contains("Index Scan using items_e"))),
        "k-NN uses the index: {plan:?}"
    );
    // ef_search above the row count: the graph search is exhaustive, so any damage to the
    // index (a lost or wrong entry) shows as a difference from the exact answer.
    run(&mut s, "SET hnsw.ef_search = 1000");
    for probe in 0..6u64 {
        let q = vector(1_000_000 + probe);
        let got: Vec<i64> = rows(
            &mut s,
            &format!("SELECT id FROM items ORDER BY e <-> '{}', id LIMIT 5", literal(&q)),
        )
        .into_iter()
        .map(|r| match r[0] {
            Value::Int8(n) => n,
            ref other => panic!("{other:?}"),
        })
        .collect();
        assert_eq!(got, nearest_exact(&all, &q, 5), "k-NN after the crash (acked {acked})");
    }
    // The index takes new rows after recovery and finds them.
    let next = max as u64 + 1;
    let v = [100.0f32, 100.0, 100.0, 100.0];
    run(&mut s, &format!("INSERT INTO items VALUES ({next}, '{}')", literal(&v)));
    let got = rows(&mut s, "SELECT id FROM items ORDER BY e <-> '[99,99,99,99]' LIMIT 1");
    assert_eq!(got, vec![vec![Value::Int8(next as i64)]]);
    run(&mut s, &format!("DELETE FROM items WHERE id = {next}"));
    next
}

#[test]
fn a_killed_writer_leaves_a_usable_index() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let cycles: u32 =
        std::env::var("HELIOS_VECTOR_CRASH_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(8);
    let stamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let dir =
        std::env::temp_dir().join(format!("helios-vector-crash-{}-{stamp}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    {
        let (_engine, mut s) = open(&dir);
        run(&mut s, "CREATE TABLE items (id int8 PRIMARY KEY, e vector(4))");
        run(&mut s, "CREATE INDEX items_e ON items USING hnsw (e vector_l2_ops) WITH (m = 4, ef_construction = 16)");
    }
    let mut rng = fastrand::Rng::with_seed(u64::from(stamp));
    let mut next = 1u64;
    let mut acked = 0u64;
    for cycle in 0..cycles {
        let mut child = Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", "crash_child_process", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, format!("{}|{next}", dir.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("child stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(n) = line.strip_prefix("ack ").and_then(|n| n.parse::<u64>().ok()) {
                    if tx.send(n).is_err() {
                        return;
                    }
                }
            }
        });
        // Let it commit a few transactions (so a rebuild comes up), then kill it at a
        // random moment.
        let want = 3 + rng.u64(0..12);
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let mut seen = 0;
        while seen < want && std::time::Instant::now() < deadline {
            if let Ok(n) = rx.recv_timeout(Duration::from_millis(100)) {
                acked = acked.max(n);
                seen += 1;
            }
        }
        assert!(seen > 0, "cycle {cycle}: the child never acknowledged a commit");
        std::thread::sleep(Duration::from_millis(rng.u64(0..40)));
        child.kill().expect("kill child");
        let _ = child.wait();
        while let Ok(n) = rx.try_recv() {
            acked = acked.max(n);
        }
        next = verify(&dir, acked);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
