//! k-NN through SQL on the 40k MiniLM set: HeliosDB Nano (HNSW float32 and PQ) against
//! pgvector 0.8 on PostgreSQL (`bash /work/shared/tools/start-postgres.sh`), same `m` and
//! `ef_construction`, `ef_search` swept; prints build time, QPS and recall@10 and the
//! QPS ratio at the smallest `ef_search` reaching recall@10 ≥ 0.95 on each side.
//!
//! Run: `cd bench && cargo run --release -p bench-vector-sql` (data from
//! `../shared/datasets/minilm-debian`; `PG_URL` overrides the peer's address; without a
//! reachable peer only our side runs).

use std::path::PathBuf;
use std::time::Instant;

use helios_vector::fvecs::{read_fvecs, read_ivecs};
use heliosdb_nano::{Connection, DataType, Database, StatementResult, Value};

const EFS: &[usize] = &[10, 20, 40, 80, 160];

fn efs() -> Vec<usize> {
    std::env::var("EFS")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| EFS.to_vec())
}

struct Run {
    build_s: f64,
    /// Index memory as `helios_vector_index_stats` reports it (graph, vectors or codes,
    /// codebooks), or pgvector's `pg_relation_size` of the index.
    memory_bytes: f64,
    points: Vec<(usize, f64, f64)>,
}

fn literal(v: &[f32]) -> String {
    let p: Vec<String> = v.iter().map(|x| x.to_string()).collect();
    format!("[{}]", p.join(","))
}

fn recall(got: &[i64], truth: &[i32]) -> f64 {
    got.iter().filter(|id| truth[..10].contains(&((**id - 1) as i32))).count() as f64 / 10.0
}

fn ours(base: &[Vec<f32>], queries: &[Vec<f32>], truth: &[Vec<i32>], with: &str) -> Run {
    let db = Database::open_in_memory().expect("open");
    let mut c: Connection = db.connect();
    let dim = base[0].len();
    c.execute(&format!("CREATE TABLE items (id int8 PRIMARY KEY, embedding vector({dim}))"), &[])
        .expect("create");
    let ins = c
        .prepare("INSERT INTO items VALUES ($1, $2)", &[DataType::Int8, DataType::Vector(None)])
        .expect("prepare");
    c.execute("BEGIN", &[]).expect("begin");
    for (i, v) in base.iter().enumerate() {
        c.execute_prepared(&ins, &[Value::Int8(i as i64 + 1), Value::Vector(v.clone().into())])
            .expect("insert");
    }
    c.execute("COMMIT", &[]).expect("commit");
    let t = Instant::now();
    c.execute(
        &format!(
            "CREATE INDEX items_idx ON items USING hnsw (embedding vector_l2_ops) WITH ({with})"
        ),
        &[],
    )
    .expect("index");
    let build_s = t.elapsed().as_secs_f64();
    let memory_bytes = match c
        .query("SELECT memory_bytes FROM helios_vector_index_stats('items_idx')", &[])
        .expect("stats")
        .rows
        .first()
        .and_then(|r| r.first())
    {
        Some(Value::Int8(n)) => *n as f64,
        other => panic!("memory_bytes: {other:?}"),
    };
    let q = c
        .prepare(
            "SELECT id FROM items ORDER BY embedding <-> $1 LIMIT 10",
            &[DataType::Vector(None)],
        )
        .expect("prepare");
    let rerank: usize = std::env::var("RERANK").ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    c.execute(&format!("SET helios.hnsw_rerank = {rerank}"), &[]).expect("set rerank");
    let mut points = Vec::new();
    for ef in efs() {
        c.execute(&format!("SET hnsw.ef_search = {ef}"), &[]).expect("set");
        let t = Instant::now();
        let mut r = 0.0;
        for (qv, tr) in queries.iter().zip(truth) {
            let StatementResult::Rows(rows) =
                c.execute_prepared(&q, &[Value::Vector(qv.clone().into())]).expect("query")
            else {
                panic!("no rows")
            };
            let ids: Vec<i64> = rows
                .rows
                .iter()
                .map(|row| match row[0] {
                    Value::Int8(n) => n,
                    _ => -1,
                })
                .collect();
            r += recall(&ids, tr);
        }
        let secs = t.elapsed().as_secs_f64();
        points.push((ef, queries.len() as f64 / secs, r / queries.len() as f64));
    }
    Run { build_s, memory_bytes, points }
}

fn pgvector(url: &str, base: &[Vec<f32>], queries: &[Vec<f32>], truth: &[Vec<i32>]) -> Option<Run> {
    let mut c = match postgres::Client::connect(url, postgres::NoTls) {
        Ok(c) => c,
        Err(e) => {
            println!("pgvector not reachable at {url}: {e}; peer skipped");
            return None;
        }
    };
    let dim = base[0].len();
    c.batch_execute(&format!(
        "CREATE EXTENSION IF NOT EXISTS vector; DROP TABLE IF EXISTS items;
         CREATE TABLE items (id int8 PRIMARY KEY, embedding vector({dim}));
         SET max_parallel_maintenance_workers = 0;"
    ))
    .ok()?;
    let mut tx = c.transaction().ok()?;
    for chunk in base.chunks(500).enumerate() {
        let (ci, rows) = chunk;
        let values: Vec<String> = rows
            .iter()
            .enumerate()
            .map(|(j, v)| format!("({}, '{}')", ci * 500 + j + 1, literal(v)))
            .collect();
        tx.batch_execute(&format!("INSERT INTO items VALUES {}", values.join(","))).ok()?;
    }
    tx.commit().ok()?;
    let t = Instant::now();
    c.batch_execute("CREATE INDEX ON items USING hnsw (embedding vector_l2_ops) WITH (m = 16, ef_construction = 64)")
        .ok()?;
    let build_s = t.elapsed().as_secs_f64();
    let memory_bytes = c
        .query_one("SELECT pg_relation_size('items_embedding_idx')::int8", &[])
        .ok()?
        .get::<_, i64>(0) as f64;
    let stmt =
        c.prepare("SELECT id FROM items ORDER BY embedding <-> $1::text::vector LIMIT 10").ok()?;
    let mut points = Vec::new();
    for ef in efs() {
        c.batch_execute(&format!("SET hnsw.ef_search = {ef}")).ok()?;
        let texts: Vec<String> = queries.iter().map(|q| literal(q)).collect();
        let t = Instant::now();
        let mut r = 0.0;
        for (qt, tr) in texts.iter().zip(truth) {
            let rows = c.query(&stmt, &[qt]).ok()?;
            let ids: Vec<i64> = rows.iter().map(|row| row.get::<_, i64>(0)).collect();
            r += recall(&ids, tr);
        }
        let secs = t.elapsed().as_secs_f64();
        points.push((ef, queries.len() as f64 / secs, r / queries.len() as f64));
    }
    Some(Run { build_s, memory_bytes, points })
}

fn first_at(run: &Run, target: f64) -> Option<(usize, f64, f64)> {
    run.points.iter().copied().find(|p| p.2 >= target)
}

fn report(title: &str, a: &Run, b: Option<&Run>) {
    println!("\n### {title}\n");
    match b {
        Some(b) => println!(
            "build: {:.2} s vs {:.2} s (ours/peer {:.2})\n",
            a.build_s,
            b.build_s,
            a.build_s / b.build_s
        ),
        None => println!("build: {:.2} s\n", a.build_s),
    }
    match b {
        Some(b) => println!(
            "index memory: {:.1} MB vs {:.1} MB on disk (ours/peer {:.2})\n",
            a.memory_bytes / 1e6,
            b.memory_bytes / 1e6,
            a.memory_bytes / b.memory_bytes
        ),
        None => println!("index memory: {:.1} MB\n", a.memory_bytes / 1e6),
    }
    println!(
        "| ef_search | QPS ours | QPS peer | QPS ours/peer | recall@10 ours | recall@10 peer |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for (i, (ef, qps, r)) in a.points.iter().enumerate() {
        let (pq, pr) = b.map(|b| (b.points[i].1, b.points[i].2)).unwrap_or((f64::NAN, f64::NAN));
        println!("| {ef} | {qps:.0} | {pq:.0} | {:.2} | {r:.3} | {pr:.3} |", qps / pq);
    }
    if let (Some(x), Some(y)) = (first_at(a, 0.95), b.and_then(|b| first_at(b, 0.95))) {
        println!(
            "\nat recall@10 >= 0.95: ours ef_search={} {:.0} QPS ({:.3}), peer ef_search={} {:.0} QPS ({:.3}); QPS ours/peer {:.2}",
            x.0, x.1, x.2, y.0, y.1, y.2, x.1 / y.1
        );
    }
}

fn main() {
    let dir = PathBuf::from(
        std::env::var("MINILM_DIR")
            .unwrap_or_else(|_| "../../shared/datasets/minilm-debian".into()),
    );
    if !dir.exists() {
        println!("{} is absent; nothing to run", dir.display());
        return;
    }
    let base = read_fvecs(&dir.join("base.fvecs"), None).expect("base");
    let nq: usize = std::env::var("QUERIES").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let queries = read_fvecs(&dir.join("query.fvecs"), Some(nq)).expect("queries");
    let truth = read_ivecs(&dir.join("groundtruth.ivecs"), Some(nq)).expect("truth");
    let base: Vec<Vec<f32>> = (0..base.len()).map(|i| base.row(i).to_vec()).collect();
    let queries: Vec<Vec<f32>> = (0..queries.len()).map(|i| queries.row(i).to_vec()).collect();
    let truth: Vec<Vec<i32>> = (0..truth.len()).map(|i| truth.row(i).to_vec()).collect();
    println!(
        "{} base vectors, {} queries, {} dimensions",
        base.len(),
        queries.len(),
        base[0].len()
    );
    let url = std::env::var("PG_URL").unwrap_or_else(|_| {
        "host=127.0.0.1 port=5433 user=bench password=bench dbname=bench".into()
    });
    let peer = if std::env::var("PEER").is_ok_and(|v| v == "0") {
        None
    } else {
        pgvector(&url, &base, &queries, &truth)
    };
    let variants = std::env::var("VARIANTS").unwrap_or_else(|_| "f32,pq".into());
    let mut f32_memory = None;
    if variants.split(',').any(|v| v == "f32") {
        let f32run = ours(&base, &queries, &truth, "m = 16, ef_construction = 64");
        report("HNSW float32 vs pgvector", &f32run, peer.as_ref());
        f32_memory = Some(f32run.memory_bytes);
    }
    let pq_m: usize = std::env::var("PQ_M").ok().and_then(|s| s.parse().ok()).unwrap_or(32);
    if variants.split(',').any(|v| v == "pq") {
        let pq = ours(
            &base,
            &queries,
            &truth,
            &format!("m = 16, ef_construction = 64, quantization = 'pq', pq_m = {pq_m}"),
        );
        report(&format!("HNSW PQ (pq_m={pq_m}) vs pgvector float32"), &pq, peer.as_ref());
        if let Some(f) = f32_memory {
            println!(
                "\nPQ index memory / float32 index memory: {:.3} (1/{:.1})",
                pq.memory_bytes / f,
                f / pq.memory_bytes
            );
        }
    }
}
