//! Partitioned tables end to end: they survive a reopen of a disk database, stay on
//! their branch, read as they were through time travel, and EXPLAIN leaves out the
//! partitions a constant condition rules out (but not for a parameter).

use heliosdb_nano::{Connection, Database, Options, Value};

fn texts(c: &mut Connection, sql: &str) -> Vec<String> {
    let q = c.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}"));
    q.rows.iter().map(|r| r.iter().map(|v| v.to_pg_text()).collect::<Vec<_>>().join("|")).collect()
}

fn run(c: &mut Connection, sql: &str) {
    if let Some(e) = c.execute_batch(sql).error {
        panic!("{sql}: {e}");
    }
}

fn plan(c: &mut Connection, sql: &str) -> String {
    texts(c, &format!("EXPLAIN {sql}")).join("\n")
}

const SCHEMA: &str = "
    CREATE TABLE ev (id int, day date, v text) PARTITION BY RANGE (day);
    CREATE TABLE ev_2024 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE ev_2025 PARTITION OF ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')
        PARTITION BY LIST (v);
    CREATE TABLE ev_2025_a PARTITION OF ev_2025 FOR VALUES IN ('a');
    CREATE TABLE ev_2025_other PARTITION OF ev_2025 DEFAULT;
    INSERT INTO ev VALUES (1, '2024-05-01', 'a'), (2, '2025-05-01', 'a'), (3, '2025-06-01', 'b');
";

#[test]
fn partitions_survive_a_reopen_of_a_disk_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let db = Database::open(dir.path(), Options::default()).expect("open");
        let mut c = db.connect();
        run(&mut c, SCHEMA);
    }
    let db = Database::open(dir.path(), Options::default()).expect("reopen");
    let mut c = db.connect();
    assert_eq!(texts(&mut c, "SELECT id FROM ev ORDER BY id"), vec!["1", "2", "3"]);
    assert_eq!(texts(&mut c, "SELECT id FROM ev_2025_other"), vec!["3"]);
    assert_eq!(texts(&mut c, "SELECT pg_get_partkeydef('ev_2025'::regclass)"), vec!["LIST (v)"]);
    // Routing still works after the reopen, including the sub-partition's default.
    run(&mut c, "INSERT INTO ev VALUES (4, '2025-07-01', 'c')");
    assert_eq!(texts(&mut c, "SELECT id FROM ev_2025_other ORDER BY id"), vec!["3", "4"]);
    let e = c.run("INSERT INTO ev VALUES (5, '2030-01-01', 'a')", &[]).expect_err("no partition");
    assert_eq!(e.sqlstate().code(), "23514");
}

#[test]
fn partitions_are_branched_and_time_travel_reads_them_as_they_were() {
    let db = Database::open_in_memory().expect("open");
    let mut c = db.connect();
    run(&mut c, SCHEMA);
    run(&mut c, "CREATE TABLE marks (ts timestamptz)");
    run(&mut c, "INSERT INTO marks SELECT helios_current_timestamp()");
    run(&mut c, "CREATE BRANCH dev");
    run(&mut c, "USE BRANCH dev");
    // A new partition and rows on the branch only.
    run(
        &mut c,
        "CREATE TABLE ev_2026 PARTITION OF ev FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
         INSERT INTO ev VALUES (10, '2026-02-02', 'z');
         UPDATE ev SET day = '2024-12-31' WHERE id = 2",
    );
    assert_eq!(texts(&mut c, "SELECT id FROM ev ORDER BY id"), vec!["1", "2", "3", "10"]);
    assert_eq!(texts(&mut c, "SELECT id FROM ev_2024 ORDER BY id"), vec!["1", "2"]);

    let mut m = db.connect();
    assert_eq!(texts(&mut m, "SELECT id FROM ev ORDER BY id"), vec!["1", "2", "3"]);
    assert_eq!(texts(&mut m, "SELECT id FROM ev_2025_a"), vec!["2"]);
    let e = m.run("INSERT INTO ev VALUES (11, '2026-02-02', 'z')", &[]).expect_err("main");
    assert_eq!(e.sqlstate().code(), "23514");

    // Time travel on main: rows deleted since are seen through every partition.
    run(&mut m, "DELETE FROM ev WHERE id IN (1, 3)");
    assert_eq!(texts(&mut m, "SELECT id FROM ev"), vec!["2"]);
    assert_eq!(
        texts(&mut m, "SELECT id FROM ev AS OF TIMESTAMP (SELECT ts FROM marks) ORDER BY id"),
        vec!["1", "2", "3"]
    );
}

#[test]
fn explain_leaves_out_pruned_partitions() {
    let db = Database::open_in_memory().expect("open");
    let mut c = db.connect();
    run(&mut c, SCHEMA);
    let p = plan(&mut c, "SELECT * FROM ev WHERE day = '2024-06-01'");
    assert!(p.contains("Seq Scan on ev_2024"), "{p}");
    assert!(!p.contains("ev_2025"), "{p}");
    let p = plan(&mut c, "SELECT * FROM ev WHERE day >= '2025-03-01' AND v = 'a'");
    assert!(p.contains("Seq Scan on ev_2025_a"), "{p}");
    assert!(!p.contains("ev_2024") && !p.contains("ev_2025_other"), "{p}");
    let p = plan(&mut c, "SELECT * FROM ev WHERE day < '2024-01-01'");
    assert!(!p.contains("Seq Scan"), "{p}");
    // UPDATE and DELETE prune their partitions too.
    let p = plan(&mut c, "DELETE FROM ev WHERE day BETWEEN '2024-02-01' AND '2024-03-01'");
    assert!(p.contains("Seq Scan on ev_2024") && !p.contains("Seq Scan on ev_2025"), "{p}");
    // A parameter is not a constant: the prepared plan keeps every partition and gives
    // the right rows for each value.
    let st = c.prepare("SELECT id FROM ev WHERE day = $1", &[]).expect("prepare");
    for (day, want) in [("2024-05-01", 1), ("2025-06-01", 3)] {
        let d = c.query(&format!("SELECT '{day}'::date"), &[]).expect("date").rows[0][0].clone();
        match c.execute_prepared(&st, &[d]).expect("run") {
            heliosdb_nano::StatementResult::Rows(q) => {
                assert_eq!(q.rows, vec![vec![Value::Int4(want)]])
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn partition_features_not_built_are_refused_with_0a000() {
    let db = Database::open_in_memory().expect("open");
    let mut c = db.connect();
    run(&mut c, SCHEMA);
    run(
        &mut c,
        "CREATE TABLE src (id int PRIMARY KEY, day date, v text);
         CREATE TABLE other_order (day date, v text, id int)",
    );
    for sql in [
        "MERGE INTO ev USING src ON ev.id = src.id WHEN NOT MATCHED THEN INSERT VALUES (src.id, src.day, src.v)",
        "ALTER TABLE ev RENAME COLUMN day TO d",
        "ALTER TABLE ev ATTACH PARTITION other_order FOR VALUES FROM ('2030-01-01') TO ('2031-01-01')",
        "ALTER TABLE ev DETACH PARTITION ev_2024 CONCURRENTLY",
    ] {
        let e = c.run(sql, &[]).expect_err(sql);
        assert_eq!(e.sqlstate().code(), "0A000", "{sql}: {e}");
    }
    // Row-level security on the parent would not reach the partitions' UPDATE/DELETE.
    run(&mut c, "ALTER TABLE ev ENABLE ROW LEVEL SECURITY");
    for sql in ["UPDATE ev SET v = 'q'", "DELETE FROM ev"] {
        let e = c.run(sql, &[]).expect_err(sql);
        assert_eq!(e.sqlstate().code(), "0A000", "{sql}: {e}");
    }
    // Nothing was changed by the refused statements.
    assert_eq!(texts(&mut c, "SELECT count(*) FROM ev"), vec!["3"]);
}

#[test]
fn the_dump_script_rebuilds_the_partition_tree_and_copies_rows_once() {
    let db = Database::open_in_memory().expect("open");
    let mut c = db.connect();
    run(&mut c, SCHEMA);
    run(&mut c, "CREATE INDEX ev_v_idx ON ev (v)");
    let q = c.query("SELECT section, statement FROM helios_dump_schema()", &[]).expect("dump");
    let rows: Vec<(String, String)> =
        q.rows.iter().map(|r| (r[0].to_pg_text(), r[1].to_pg_text())).collect();
    // Rows are dumped from the partitions only: the parent would repeat them.
    let data: Vec<&str> =
        rows.iter().filter(|(s, _)| s == "table").map(|(_, t)| t.as_str()).collect();
    assert!(data.iter().any(|t| t.starts_with("public.ev_2024 ")), "{data:?}");
    assert!(!data.iter().any(|t| t.starts_with("public.ev ") || t.starts_with("public.ev_2025 ")));
    // Replaying the schema part in a new database gives the same tree.
    let db2 = Database::open_in_memory().expect("open");
    let mut d = db2.connect();
    for (section, sql) in &rows {
        if section == "pre" || section == "post" {
            run(&mut d, sql);
        }
    }
    assert_eq!(texts(&mut d, "SELECT pg_get_partkeydef('ev_2025'::regclass)"), vec!["LIST (v)"]);
    assert_eq!(
        texts(
            &mut d,
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_class c \
             WHERE c.relispartition ORDER BY 1"
        ),
        vec![
            "ev_2024|FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
            "ev_2025|FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
            "ev_2025_a|FOR VALUES IN ('a')",
            "ev_2025_other|DEFAULT",
        ]
    );
    assert_eq!(
        texts(&mut d, "SELECT indexname FROM pg_indexes WHERE tablename = 'ev_2024' AND NOT indexname LIKE '%pkey'"),
        vec!["ev_2024_v_idx"]
    );
    run(&mut d, "INSERT INTO ev VALUES (9, '2025-02-02', 'zz')");
    assert_eq!(texts(&mut d, "SELECT id FROM ev_2025_other"), vec!["9"]);
}
