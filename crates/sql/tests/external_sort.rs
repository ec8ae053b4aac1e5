//! ORDER BY beyond `work_mem`: the sort writes sorted runs to temporary files and merges
//! them, returning the same rows in the same order as a sort held in memory; rows of
//! an encrypted database never reach those files in clear.

use std::sync::Arc;

use helios_sql::exec::external_sort::runs_written;
use helios_sql::{Engine, Session, StatementResult};
use helios_storage::{KeySource, Storage, StorageOptions};
use helios_types::Value;

/// Rows of the main test: about 50MB of rows and keys in memory, far past 64kB.
const ROWS: i64 = 50_000;

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

fn load(s: &mut Session, n: i64) {
    run(s, "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
    run(
        s,
        "CREATE TABLE big (id int, a int, t text, n numeric, f float8, m mood, \
         j jsonb, arr int[], iv interval, b bytea)",
    );
    run(
        s,
        &format!(
            "INSERT INTO big SELECT g, \
               CASE WHEN g % 13 = 0 THEN NULL ELSE g % 97 END, \
               CASE WHEN g % 11 = 0 THEN NULL ELSE 'row-' || (g % 389) END, \
               CASE WHEN g % 7 = 0 THEN NULL ELSE (g % 50) / 8.0 END, \
               (g % 31) * 0.5, \
               (ARRAY['sad', 'ok', 'happy']::mood[])[g % 3 + 1], \
               jsonb_build_object('g', g, 'tag', 'v' || (g % 5)), \
               ARRAY[g % 4, NULL, g], \
               make_interval(days => g % 9, secs => g % 60), \
               decode(lpad(to_hex(g), 8, '0'), 'hex') \
             FROM generate_series(1, {n}) g"
        ),
    );
}

/// A session over a new database with `n` rows in table `big`.
fn session(n: i64) -> Session {
    let engine: Arc<Engine> = Engine::open_memory().expect("engine");
    let mut s = engine.session();
    load(&mut s, n);
    s
}

/// The rows of `q` with `work_mem` set to `mem`, and how many runs the sort wrote.
fn sorted(s: &mut Session, mem: &str, q: &str) -> (Vec<Vec<Value>>, u64) {
    run(s, &format!("SET work_mem = '{mem}'"));
    let before = runs_written();
    let r = rows(s, q);
    (r, runs_written() - before)
}

const ORDERED: &str = "SELECT id, a, t, n, f, m, j, arr, iv, b FROM big \
                       ORDER BY a DESC NULLS FIRST, t, n DESC NULLS LAST, m, id";

#[test]
fn a_sort_past_work_mem_spills_and_returns_the_in_memory_order() {
    let mut s = session(ROWS);
    let (memory, runs) = sorted(&mut s, "1GB", ORDERED);
    assert_eq!(runs, 0, "a large work_mem keeps the sort in memory");
    assert_eq!(memory.len(), ROWS as usize);
    let (spilled, runs) = sorted(&mut s, "64kB", ORDERED);
    assert!(runs > 10, "a 64kB sort of {ROWS} rows writes runs ({runs})");
    assert_eq!(spilled, memory);
    // The order really is the one asked for: NULLs of `a` first, then `a` descending.
    assert!(memory[0][1].is_null());
    assert_eq!(memory.last().expect("rows")[1], Value::Int4(0));
}

#[test]
fn ties_and_expression_keys_survive_the_spill() {
    let mut s = session(10_000);
    // Keys that are expressions (stored with the rows) and ties broken only by id.
    let q = "SELECT id, j ->> 'tag', arr[1] FROM big \
             ORDER BY j ->> 'tag' DESC, arr[1] NULLS FIRST, iv, id DESC";
    let (memory, _) = sorted(&mut s, "1GB", q);
    let (spilled, runs) = sorted(&mut s, "100kB", q);
    assert!(runs > 0);
    assert_eq!(spilled, memory);
    // Ties of the whole key list: same keys in the same order, same rows overall.
    let q = "SELECT m, id FROM big ORDER BY m DESC";
    let (memory, _) = sorted(&mut s, "1GB", q);
    let (spilled, runs) = sorted(&mut s, "64kB", q);
    assert!(runs > 0);
    let keys = |r: &[Vec<Value>]| r.iter().map(|x| format!("{:?}", x[0])).collect::<Vec<_>>();
    assert_eq!(keys(&spilled), keys(&memory));
    let ids = |r: &[Vec<Value>]| {
        let mut v: Vec<String> = r.iter().map(|x| format!("{:?}", x[1])).collect();
        v.sort();
        v
    };
    assert_eq!(ids(&spilled), ids(&memory));
}

#[test]
fn a_streamed_sort_hands_out_merged_rows_and_can_stop_early() {
    let mut s = session(10_000);
    let (memory, _) = sorted(&mut s, "1GB", ORDERED);
    run(&mut s, "SET work_mem = '64kB'");
    let before = runs_written();
    let mut got = Vec::new();
    s.execute_streaming(ORDERED, &[], &mut |_, row| {
        got.push(row.to_vec());
        Ok(got.len() < 25)
    })
    .expect("streaming");
    assert!(runs_written() > before);
    assert_eq!(got, memory[..25].to_vec());
}

/// The bytes of this process's open, deleted sort run files (Linux `/proc`).
fn run_file_bytes() -> Option<Vec<u8>> {
    let dir = std::fs::read_dir("/proc/self/fd").ok()?;
    let mut out = Vec::new();
    for entry in dir.flatten() {
        let target = std::fs::read_link(entry.path()).unwrap_or_default();
        if target.to_string_lossy().contains("helios-run-") {
            out.extend(std::fs::read(entry.path()).unwrap_or_default());
        }
    }
    Some(out)
}

/// Sorts rows carrying `marker` with a small `work_mem` and returns the run files'
/// bytes seen while the merge hands out its first row.
fn run_bytes_while_sorting(options: StorageOptions, marker: &str) -> Option<Vec<u8>> {
    let storage = Storage::with_engine(Arc::new(helios_storage::kv::MemoryEngine::new()), options)
        .expect("storage");
    let engine = Engine::new(storage).expect("engine");
    let mut s = engine.session();
    run(&mut s, "CREATE TABLE secrets (id int, note text)");
    run(
        &mut s,
        &format!("INSERT INTO secrets SELECT g, '{marker}' || g FROM generate_series(1, 5000) g"),
    );
    run(&mut s, "SET work_mem = '64kB'");
    let mut bytes = None;
    s.execute_streaming("SELECT note FROM secrets ORDER BY id DESC", &[], &mut |_, _| {
        bytes = run_file_bytes();
        Ok(false)
    })
    .expect("sort");
    bytes
}

#[test]
fn runs_are_sealed_when_the_database_is_encrypted() {
    let contains = |hay: &[u8], m: &str| hay.windows(m.len()).any(|w| w == m.as_bytes());
    let Some(plain) = run_bytes_while_sorting(StorageOptions::default(), "PLAINMARK-4-") else {
        eprintln!("skipped: no /proc/self/fd on this system");
        return;
    };
    assert!(contains(&plain, "PLAINMARK-4-"), "a plain database's runs hold readable rows");
    let options = StorageOptions {
        encryption: Some(KeySource::passphrase("sort runs")),
        ..StorageOptions::default()
    };
    let sealed = run_bytes_while_sorting(options, "SEALMARK-7-").expect("run bytes");
    assert!(!sealed.is_empty(), "the encrypted database's sort spilled too");
    assert!(!contains(&sealed, "SEALMARK-7-"), "no row is readable in its runs");
}

#[test]
fn computed_values_of_every_kind_survive_the_spill() {
    let engine: Arc<Engine> = Engine::open_memory().expect("engine");
    let mut s = engine.session();
    run(&mut s, "CREATE TYPE pair AS (x int, y text)");
    let q = "SELECT g, ROW(g, 'r' || g), (g, 'p' || g)::pair, int4range(g, g + 5), \
             int4multirange(int4range(g, g + 2), int4range(g + 4, g + 6)), \
             ARRAY[[g, g + 1], [NULL, g]]::bigint[], ARRAY['a' || g, NULL], \
             ('{\"k\": ' || g || '}')::json, to_tsvector('simple', 'w' || g), \
             (g || ' days')::interval, now() - now(), (g % 3 = 0), g::float4 / 3, \
             gen_random_uuid() IS NOT NULL, NULL::text, NULL \
             FROM generate_series(1, 3000) g ORDER BY g % 10, g DESC";
    let (memory, runs) = sorted(&mut s, "1GB", q);
    assert_eq!(runs, 0);
    let (spilled, runs) = sorted(&mut s, "64kB", q);
    assert!(runs > 0);
    assert_eq!(format!("{spilled:?}"), format!("{memory:?}"));
}
