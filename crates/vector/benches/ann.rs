//! ANN benchmark on the MiniLM Debian embeddings (40 000 × 384, 1 000 queries): build time,
//! single-thread QPS and recall@10 over an `ef_search` sweep, and index memory, for our
//! float32 HNSW and PQ-HNSW against FAISS (HNSWFlat, HNSWPQ + exact refine) run on the
//! same data in the same run by `bench/vector/faiss_hnsw.py`. Prints ratios.
//!
//! Run with `bench/vector/run.sh` (or `cargo bench -p helios-vector --bench ann`).
//! Environment: `HELIOS_DATASET` (default `../shared/datasets/minilm-debian` from the repo
//! root), `HELIOS_PYTHON` (default `python3`), `HELIOS_BENCH_SKIP_PEER=1` to skip FAISS.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use helios_vector::fvecs::{read_fvecs, read_ivecs, VecFile};
use helios_vector::pq::PqConfig;
use helios_vector::{HnswIndex, HnswParams, Metric, Quantization, RowId, SearchOptions};

const M: usize = 16;
const EF_CONSTRUCTION: usize = 64;
const PQ_M: usize = 48;
const EFS: [usize; 6] = [10, 20, 40, 64, 100, 200];

struct Point {
    ef: usize,
    qps: f64,
    recall: f64,
}

struct Run {
    name: String,
    build_s: f64,
    bytes: usize,
    sweep: Vec<Point>,
}

fn sweep(index: &HnswIndex, queries: &VecFile<f32>, truth: &VecFile<i32>) -> Vec<Point> {
    EFS.iter()
        .map(|&ef| {
            let opts = SearchOptions { ef_search: Some(ef), ..SearchOptions::new(10) };
            let start = Instant::now();
            let results: Vec<_> = (0..queries.len())
                .map(|i| index.search_with(queries.row(i), &opts).expect("search"))
                .collect();
            let elapsed = start.elapsed().as_secs_f64();
            let hits: usize = results
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let t = &truth.row(i)[..10];
                    r.iter().filter(|h| t.contains(&(h.row.0 as i32))).count()
                })
                .sum();
            Point {
                ef,
                qps: queries.len() as f64 / elapsed,
                recall: hits as f64 / (10 * queries.len()) as f64,
            }
        })
        .collect()
}

fn build(params: HnswParams, base: &VecFile<f32>) -> (HnswIndex, f64) {
    let start = Instant::now();
    let mut index = HnswIndex::train(params, &base.data).expect("train");
    if params.quantization != Quantization::None {
        println!("training took {:.2} s", start.elapsed().as_secs_f64());
    }
    for i in 0..base.len() {
        index.insert(RowId(i as u64), base.row(i)).expect("insert");
    }
    // As the SQL layer does after CREATE INDEX: memory is counted by capacity, and the
    // layer-0 lists are rewritten at their exact length.
    index.shrink_to_fit();
    (index, start.elapsed().as_secs_f64())
}

fn point(p: &serde_json::Value) -> Point {
    Point {
        ef: p["ef"].as_u64().unwrap_or(0) as usize,
        qps: p["qps"].as_f64().unwrap_or(f64::NAN),
        recall: p["recall"].as_f64().unwrap_or(f64::NAN),
    }
}

fn peer(dir: &std::path::Path) -> Vec<Run> {
    if std::env::var("HELIOS_BENCH_SKIP_PEER").as_deref() == Ok("1") {
        return Vec::new();
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/vector/faiss_hnsw.py");
    let python = std::env::var("HELIOS_PYTHON").unwrap_or_else(|_| "python3".into());
    let efs: Vec<String> = EFS.iter().map(|e| e.to_string()).collect();
    let output = Command::new(python)
        .arg(script)
        .arg(dir)
        .args([M.to_string(), EF_CONSTRUCTION.to_string(), PQ_M.to_string(), efs.join(",")])
        .output();
    let output = match output {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            eprintln!("FAISS peer failed: {}", String::from_utf8_lossy(&o.stderr));
            return Vec::new();
        }
        Err(e) => {
            eprintln!("FAISS peer not run: {e}");
            return Vec::new();
        }
    };
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| Run {
            name: v["index"].as_str().unwrap_or("?").to_string(),
            build_s: v["build_s"].as_f64().unwrap_or(f64::NAN),
            bytes: v["bytes"].as_u64().unwrap_or(0) as usize,
            sweep: v["sweep"].as_array().map(|a| a.iter().map(point).collect()).unwrap_or_default(),
        })
        .collect()
}

fn print_pair(ours: &Run, theirs: Option<&Run>) {
    println!("\n### {} vs {}", ours.name, theirs.map_or("(no peer)", |t| t.name.as_str()));
    let Some(t) = theirs else {
        println!("build: {:.2} s; memory: {:.1} MB", ours.build_s, ours.bytes as f64 / 1e6);
        println!("| ef_search | QPS | recall@10 |");
        println!("|---:|---:|---:|");
        for p in &ours.sweep {
            println!("| {} | {:.0} | {:.3} |", p.ef, p.qps, p.recall);
        }
        return;
    };
    println!(
        "build: {:.2} s vs {:.2} s (ours/peer {:.2}); memory: {:.1} MB vs {:.1} MB (ours/peer {:.2})",
        ours.build_s,
        t.build_s,
        ours.build_s / t.build_s,
        ours.bytes as f64 / 1e6,
        t.bytes as f64 / 1e6,
        ours.bytes as f64 / t.bytes as f64
    );
    println!(
        "| ef_search | QPS ours | QPS peer | QPS ours/peer | recall@10 ours | recall@10 peer |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for p in &ours.sweep {
        if let Some(q) = t.sweep.iter().find(|q| q.ef == p.ef) {
            println!(
                "| {} | {:.0} | {:.0} | {:.2} | {:.3} | {:.3} |",
                p.ef,
                p.qps,
                q.qps,
                p.qps / q.qps,
                p.recall,
                q.recall
            );
        }
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = std::env::var("HELIOS_DATASET").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets/minilm-debian")
    });
    if !dir.join("base.fvecs").is_file() {
        eprintln!("skipping: dataset {} not found", dir.display());
        return;
    }
    let base = read_fvecs(&dir.join("base.fvecs"), None).expect("base.fvecs");
    let queries = read_fvecs(&dir.join("query.fvecs"), None).expect("query.fvecs");
    let truth = read_ivecs(&dir.join("groundtruth.ivecs"), None).expect("groundtruth.ivecs");
    println!(
        "dataset: {} base, {} queries, {} dims; m = {M}, ef_construction = {EF_CONSTRUCTION}, \
         pq_m = {PQ_M}; single thread, one query at a time",
        base.len(),
        queries.len(),
        base.dim
    );

    let params = HnswParams {
        m: M,
        ef_construction: EF_CONSTRUCTION,
        ..HnswParams::new(base.dim, Metric::L2)
    };
    let (float, build_s) = build(params, &base);
    let stats = float.stats();
    println!("helios float32 memory: {stats:?}");
    let ours_float = Run {
        name: "helios HNSW float32".into(),
        build_s,
        bytes: stats.total_bytes(),
        sweep: sweep(&float, &queries, &truth),
    };
    drop(float);

    let pq_config = PqConfig { max_training_vectors: 16_384, ..PqConfig::new(PQ_M) };
    let pq_params = HnswParams { quantization: Quantization::Pq(pq_config), ..params };
    let (pq, build_s) = build(pq_params, &base);
    let stats = pq.stats();
    println!("helios PQ memory: {stats:?}");
    // Like FAISS's serialized HNSWPQ, count graph + codes + codebook: the full vectors used
    // for re-ranking are the table's (FAISS's RefineFlat keeps its own copy too).
    let ours_pq = Run {
        name: "helios HNSW PQ (re-ranked)".into(),
        build_s,
        bytes: stats.total_bytes() - stats.vector_bytes,
        sweep: sweep(&pq, &queries, &truth),
    };
    drop(pq);

    let peers = peer(&dir);
    let flat_peer = peers.iter().find(|r| r.name.contains("Flat") && !r.name.contains("PQ"));
    print_pair(&ours_float, flat_peer);
    print_pair(&ours_pq, peers.iter().find(|r| r.name.contains("PQ")));
}
