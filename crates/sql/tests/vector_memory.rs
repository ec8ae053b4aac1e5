//! What `helios_vector_index_stats` reports as an HNSW index's memory, and the entry map
//! behind it: the map from graph entries to primary keys is counted, and a reload that
//! finds the entry numbers too sparse (records lost with a rolled-back statement)
//! rebuilds the index from the table without losing a row.

use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use helios_sql::{Engine, Session, StatementResult};
use helios_storage::{Storage, StorageOptions};
use helios_types::Value;

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

fn int(v: &Value) -> i64 {
    match v {
        Value::Int4(n) => i64::from(*n),
        Value::Int8(n) => *n,
        other => panic!("{other:?}"),
    }
}

#[test]
fn memory_counts_the_primary_keys_of_the_entries() {
    let engine: Arc<Engine> = Engine::open_memory().expect("engine");
    let mut s = engine.session();
    run(&mut s, "CREATE TABLE items (k text PRIMARY KEY, e vector(3))");
    // 400 entries with 300-byte keys: 120 kB of keys, far more than the graph and the
    // 3-d vectors (about 40 kB).
    let values: Vec<String> =
        (0..400).map(|i| format!("('{}{i:04}', '[{i},{},1]')", "k".repeat(296), i % 7)).collect();
    run(&mut s, &format!("INSERT INTO items VALUES {}", values.join(", ")));
    run(&mut s, "CREATE INDEX items_e ON items USING hnsw (e vector_l2_ops)");
    let stats =
        rows(&mut s, "SELECT memory_bytes, vector_bytes FROM helios_vector_index_stats('items_e')");
    let (memory, vectors) = (int(&stats[0][0]), int(&stats[0][1]));
    assert_eq!(vectors, 400 * 3 * 4);
    assert!(memory >= vectors + 400 * 300, "memory_bytes {memory} leaves out the keys");
    assert!(memory < vectors + 400 * 300 + 100_000, "memory_bytes {memory} is too large");
    // The keys are found again through the map.
    let hit = rows(&mut s, "SELECT k FROM items ORDER BY e <-> '[123,4,1]' LIMIT 1");
    assert_eq!(hit[0][0], Value::Text(format!("{}0123", "k".repeat(296))));
}

fn open(dir: &Path) -> (Arc<Engine>, Session) {
    let storage = Storage::open(dir, StorageOptions::default()).expect("open database");
    let engine = Engine::new(storage).expect("engine");
    let session = engine.session();
    (engine, session)
}

#[test]
fn sparse_entry_numbers_after_a_rollback_rebuild_on_reload() {
    let stamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let dir =
        std::env::temp_dir().join(format!("helios-vector-memory-{}-{stamp}", std::process::id()));
    {
        let (_engine, mut s) = open(&dir);
        run(&mut s, "CREATE TABLE items (id int PRIMARY KEY, e vector(2))");
        run(&mut s, "CREATE INDEX items_e ON items USING hnsw (e vector_l2_ops)");
        // 3000 entries numbered and then lost with the statement's records.
        let values: Vec<String> = (0..3000).map(|i| format!("({i}, '[{i},0]')")).collect();
        run(&mut s, &format!("BEGIN; INSERT INTO items VALUES {}; ROLLBACK", values.join(", ")));
        run(&mut s, "INSERT INTO items VALUES (1, '[1,1]'), (2, '[2,2]'), (3, '[30,30]')");
        let ids = rows(&mut s, "SELECT id FROM items ORDER BY e <-> '[0,0]' LIMIT 5");
        assert_eq!(ids.iter().map(|r| int(&r[0])).collect::<Vec<_>>(), vec![1, 2, 3]);
    }
    {
        let (_engine, mut s) = open(&dir);
        let ids = rows(&mut s, "SELECT id FROM items ORDER BY e <-> '[0,0]' LIMIT 5");
        assert_eq!(ids.iter().map(|r| int(&r[0])).collect::<Vec<_>>(), vec![1, 2, 3]);
        let stats =
            rows(&mut s, "SELECT entries, loaded_from FROM helios_vector_index_stats('items_e')");
        assert_eq!(int(&stats[0][0]), 3, "numbered afresh: only the rows");
        assert_eq!(stats[0][1], Value::Text("table".into()));
        run(&mut s, "INSERT INTO items VALUES (4, '[0.5,0.5]')");
        let ids = rows(&mut s, "SELECT id FROM items ORDER BY e <-> '[0,0]' LIMIT 2");
        assert_eq!(ids.iter().map(|r| int(&r[0])).collect::<Vec<_>>(), vec![4, 1]);
    }
    {
        // The rebuilt index was written by the insert: it now loads from its records.
        let (_engine, mut s) = open(&dir);
        let stats =
            rows(&mut s, "SELECT entries, loaded_from FROM helios_vector_index_stats('items_e')");
        assert_eq!(int(&stats[0][0]), 4);
        assert_eq!(stats[0][1], Value::Text("records".into()));
        let ids = rows(&mut s, "SELECT id FROM items ORDER BY e <-> '[0,0]' LIMIT 5");
        assert_eq!(ids.iter().map(|r| int(&r[0])).collect::<Vec<_>>(), vec![4, 1, 2, 3]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
