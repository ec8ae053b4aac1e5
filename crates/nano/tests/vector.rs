//! Vector search through SQL: HNSW index results against exact search, visibility of
//! deleted, updated and uncommitted rows, transactions, persistence.

use heliosdb_nano::{Connection, Database, Options, Value};

fn run(c: &mut Connection, sql: &str) {
    let out = c.execute_batch(sql);
    if let Some(e) = out.error {
        panic!("{sql}: {e:?}");
    }
}

fn texts(c: &mut Connection, sql: &str) -> Vec<String> {
    let r = c.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    r.rows
        .iter()
        .map(|row| row.iter().map(Value::to_pg_text).collect::<Vec<_>>().join("|"))
        .collect()
}

fn ids(c: &mut Connection, sql: &str) -> Vec<i64> {
    texts(c, sql).iter().map(|t| t.parse().unwrap_or_else(|_| panic!("not an id: {t}"))).collect()
}

/// Deterministic pseudo-random vectors (xorshift), clustered a little so the graph
/// has structure.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    fn vector(&mut self, dim: usize) -> Vec<f32> {
        let centre = (self.next() * 4.0).round();
        (0..dim).map(|_| centre + self.next()).collect()
    }
}

fn literal(v: &[f32]) -> String {
    let parts: Vec<String> = v.iter().map(|x| format!("{x}")).collect();
    format!("[{}]", parts.join(","))
}

fn l2(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| f64::from(x - y) * f64::from(x - y)).sum::<f64>().sqrt()
}

/// The ids of the `k` nearest rows by exact L2 distance.
fn exact(rows: &[(i64, Vec<f32>)], q: &[f32], k: usize) -> Vec<i64> {
    let mut d: Vec<(f64, i64)> = rows.iter().map(|(id, v)| (l2(v, q), *id)).collect();
    d.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    d.into_iter().take(k).map(|(_, id)| id).collect()
}

fn insert_rows(c: &mut Connection, rows: &[(i64, Vec<f32>)]) {
    for chunk in rows.chunks(250) {
        let values: Vec<String> =
            chunk.iter().map(|(id, v)| format!("({id}, '{}', {})", literal(v), id % 5)).collect();
        run(c, &format!("INSERT INTO items VALUES {}", values.join(",")));
    }
}

const DIM: usize = 16;

/// 3000 rows, half inserted before `CREATE INDEX` and half after (DML maintenance).
fn setup(c: &mut Connection, g: &mut Gen) -> Vec<(i64, Vec<f32>)> {
    let rows: Vec<(i64, Vec<f32>)> = (1..=3000).map(|id| (id, g.vector(DIM))).collect();
    run(c, &format!("CREATE TABLE items (id int8 PRIMARY KEY, embedding vector({DIM}), cat int)"));
    insert_rows(c, &rows[..1500]);
    run(c, "CREATE INDEX items_idx ON items USING hnsw (embedding vector_l2_ops) WITH (m = 16, ef_construction = 64)");
    insert_rows(c, &rows[1500..]);
    rows
}

fn recall(c: &mut Connection, rows: &[(i64, Vec<f32>)], g: &mut Gen, filter: Option<i64>) -> f64 {
    let mut found = 0usize;
    let queries = 30;
    for _ in 0..queries {
        let q = g.vector(DIM);
        let cond = filter.map(|cat| format!("WHERE cat = {cat}")).unwrap_or_default();
        let got = ids(
            c,
            &format!(
                "SELECT id FROM items {cond} ORDER BY embedding <-> '{}' LIMIT 10",
                literal(&q)
            ),
        );
        assert_eq!(got.len(), 10);
        let candidates: Vec<(i64, Vec<f32>)> =
            rows.iter().filter(|(id, _)| filter.is_none_or(|cat| id % 5 == cat)).cloned().collect();
        let want = exact(&candidates, &q, 10);
        found += got.iter().filter(|id| want.contains(id)).count();
        if let Some(cat) = filter {
            assert!(got.iter().all(|id| id % 5 == cat), "a row failing the filter came back");
        }
    }
    found as f64 / (queries * 10) as f64
}

#[test]
fn index_matches_exact_search() {
    let mut c = Database::open_in_memory().expect("open").connect();
    let mut g = Gen(0x9e37_79b9_7f4a_7c15);
    let rows = setup(&mut c, &mut g);
    let plan = texts(
        &mut c,
        &format!(
            "EXPLAIN SELECT id FROM items ORDER BY embedding <-> '{}' LIMIT 10",
            literal(&rows[0].1)
        ),
    );
    assert!(plan.iter().any(|l| l.contains("Index Scan using items_idx")), "{plan:?}");
    let r = recall(&mut c, &rows, &mut g, None);
    assert!(r >= 0.95, "recall@10 = {r}");
    let r = recall(&mut c, &rows, &mut g, Some(3));
    assert!(r >= 0.95, "filtered recall@10 = {r}");
    // The returned order is by exact distance.
    let q = g.vector(DIM);
    let d = texts(
        &mut c,
        &format!(
            "SELECT embedding <-> '{0}' FROM items ORDER BY embedding <-> '{0}' LIMIT 10",
            literal(&q)
        ),
    );
    let d: Vec<f64> = d.iter().map(|t| t.parse().expect("float")).collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
    let stats =
        texts(&mut c, "SELECT entries, loaded_from FROM helios_vector_index_stats('items_idx')");
    assert_eq!(stats, vec!["3000|built".to_string()]);
}

#[test]
fn deleted_and_updated_rows_are_never_returned() {
    let mut c = Database::open_in_memory().expect("open").connect();
    let mut g = Gen(42);
    let mut rows = setup(&mut c, &mut g);
    // Delete every third row, move every seventh row far away.
    run(&mut c, "DELETE FROM items WHERE id % 3 = 0");
    rows.retain(|(id, _)| id % 3 != 0);
    let far = vec![100.0f32; DIM];
    run(&mut c, &format!("UPDATE items SET embedding = '{}' WHERE id % 7 = 0", literal(&far)));
    for (id, v) in rows.iter_mut() {
        if *id % 7 == 0 {
            *v = far.clone();
        }
    }
    for _ in 0..20 {
        let q = g.vector(DIM);
        let got = ids(
            &mut c,
            &format!("SELECT id FROM items ORDER BY embedding <-> '{}' LIMIT 10", literal(&q)),
        );
        assert_eq!(got.len(), 10);
        assert!(got.iter().all(|id| id % 3 != 0), "a deleted row came back: {got:?}");
        assert!(
            got.iter().all(|id| id % 7 != 0),
            "an updated row came back at its old place: {got:?}"
        );
    }
    // The moved rows are found at their new place.
    let got = ids(
        &mut c,
        &format!("SELECT id FROM items ORDER BY embedding <-> '{}' LIMIT 5", literal(&far)),
    );
    assert!(got.iter().all(|id| id % 7 == 0), "{got:?}");
    let r = recall(&mut c, &rows, &mut g, None);
    assert!(r >= 0.95, "recall@10 after deletes = {r}");
}

#[test]
fn transactions_see_their_own_rows_only() {
    let db = Database::open_in_memory().expect("open");
    let mut c = db.connect();
    let mut other = db.connect();
    let mut g = Gen(7);
    setup(&mut c, &mut g);
    let q = vec![50.0f32; DIM];
    let sql = format!("SELECT id FROM items ORDER BY embedding <-> '{}' LIMIT 1", literal(&q));
    run(&mut c, "BEGIN");
    run(&mut c, &format!("INSERT INTO items VALUES (9001, '{}', 0)", literal(&q)));
    assert_eq!(ids(&mut c, &sql), vec![9001]);
    assert_ne!(ids(&mut other, &sql), vec![9001], "an uncommitted row was visible");
    run(&mut c, "ROLLBACK");
    assert_ne!(ids(&mut c, &sql), vec![9001], "a rolled-back row was visible");
    run(&mut c, &format!("INSERT INTO items VALUES (9002, '{}', 0)", literal(&q)));
    assert_eq!(ids(&mut other, &sql), vec![9002]);
}

#[test]
fn index_persists_across_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut g = Gen(99);
    let q = g.vector(DIM);
    let sql = format!("SELECT id FROM items ORDER BY embedding <-> '{}' LIMIT 10", literal(&q));
    let before;
    {
        let db = Database::open(dir.path(), Options::default()).expect("open");
        let mut c = db.connect();
        let rows: Vec<(i64, Vec<f32>)> = (1..=400).map(|id| (id, g.vector(DIM))).collect();
        run(
            &mut c,
            &format!("CREATE TABLE items (id int8 PRIMARY KEY, embedding vector({DIM}), cat int)"),
        );
        run(&mut c, "CREATE INDEX items_idx ON items USING hnsw (embedding vector_l2_ops)");
        insert_rows(&mut c, &rows);
        run(&mut c, "DELETE FROM items WHERE id = 1");
        before = ids(&mut c, &sql);
    }
    let db = Database::open(dir.path(), Options::default()).expect("reopen");
    let mut c = db.connect();
    assert_eq!(ids(&mut c, &sql), before);
    let stats =
        texts(&mut c, "SELECT entries, loaded_from FROM helios_vector_index_stats('items_idx')");
    assert_eq!(stats, vec!["400|records".to_string()]);
}

#[test]
fn parameters_and_plans() {
    let mut c = Database::open_in_memory().expect("open").connect();
    let mut g = Gen(5);
    let rows = setup(&mut c, &mut g);
    let stmt = c
        .prepare(
            "SELECT id FROM items ORDER BY embedding <-> $1 LIMIT $2",
            &[heliosdb_nano::DataType::Vector(None), heliosdb_nano::DataType::Int8],
        )
        .expect("prepare");
    let q = g.vector(DIM);
    let out = c
        .execute_prepared(&stmt, &[Value::Vector(q.clone().into()), Value::Int8(10)])
        .expect("run");
    let heliosdb_nano::StatementResult::Rows(r) = out else { panic!("no rows") };
    let got: Vec<i64> = r.rows.iter().map(|row| row[0].to_pg_text().parse().expect("id")).collect();
    let want = exact(&rows, &q, 10);
    let hit = got.iter().filter(|id| want.contains(id)).count();
    assert!(hit >= 9, "prepared k-NN found {hit}/10: {got:?} vs {want:?}");
    let explain = c
        .prepare(
            "EXPLAIN SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 5",
            &[heliosdb_nano::DataType::Vector(None)],
        )
        .expect("prepare explain");
    let out = c.execute_prepared(&explain, &[Value::Vector(q.clone().into())]).expect("explain");
    let heliosdb_nano::StatementResult::Rows(r) = out else { panic!("no plan") };
    let plan: Vec<String> = r.rows.iter().map(|row| row[0].to_pg_text()).collect();
    assert!(
        plan.iter().any(|l| l.contains("Index Scan using items_idx") && l.contains("$1")),
        "{plan:?}"
    );
    // Descending distance or no LIMIT cannot use the index.
    let lit = literal(&q);
    for sql in [
        format!("EXPLAIN SELECT id FROM items ORDER BY embedding <-> '{lit}' DESC LIMIT 5"),
        format!("EXPLAIN SELECT id FROM items ORDER BY embedding <-> '{lit}'"),
        format!("EXPLAIN SELECT id FROM items ORDER BY embedding <=> '{lit}' LIMIT 5"),
    ] {
        let plan = texts(&mut c, &sql);
        assert!(plan.iter().all(|l| !l.contains("items_idx")), "{sql}: {plan:?}");
    }
    assert!(ids(&mut c, &format!("SELECT id FROM items ORDER BY embedding <-> '{lit}' LIMIT 0"))
        .is_empty());
}

#[test]
fn a_running_index_build_shows_in_pg_stat_progress_create_index() {
    let db = Database::open_in_memory().expect("open");
    let mut c = db.connect();
    let mut g = Gen(0x5eed);
    let rows: Vec<(i64, Vec<f32>)> = (1..=4000).map(|id| (id, g.vector(32))).collect();
    run(&mut c, "CREATE TABLE items (id int8 PRIMARY KEY, embedding vector(32), cat int)");
    insert_rows(&mut c, &rows);
    let build = std::thread::spawn(move || {
        run(&mut c, "CREATE INDEX items_idx ON items USING hnsw (embedding vector_l2_ops)");
    });
    let mut watcher = db.connect();
    let query = "SELECT c.relname, p.command, p.phase, p.tuples_done, p.tuples_total \
                 FROM pg_stat_progress_create_index p JOIN pg_class c ON c.oid = p.relid";
    let mut seen = Vec::new();
    while !build.is_finished() {
        seen.extend(texts(&mut watcher, query));
    }
    build.join().expect("build");
    assert!(!seen.is_empty(), "the build was never seen");
    for row in &seen {
        let f: Vec<&str> = row.split('|').collect();
        assert_eq!(&f[..2], ["items", "CREATE INDEX"], "{row}");
        assert!(["scanning table", "building index", "writing index"].contains(&f[2]), "{row}");
        let (done, total): (u64, u64) = (f[3].parse().unwrap(), f[4].parse().unwrap());
        assert!(done <= total && (total == 4000 || f[2] == "scanning table"), "{row}");
    }
    assert!(texts(&mut watcher, query).is_empty(), "a finished build is gone from the view");
}
