//! Recall on real sentence embeddings: `../shared/datasets/minilm-debian` (384-d unit
//! vectors, see its README). Skipped with a message when the folder is absent, unless
//! `HELIOS_REQUIRE_SHARED=1`.
//!
//! The folder's ground truth is for the full 40 000 base vectors; the index tests use the
//! first 10 000 (to keep debug-mode runtime short) and recompute the exact top 10 with the
//! flat index, which is itself checked against the shipped ground truth.

mod common;

use std::path::PathBuf;

use common::recall;
use helios_vector::fvecs::{read_fvecs, read_ivecs, VecFile};
use helios_vector::pq::PqConfig;
use helios_vector::{
    FlatIndex, Hit, HnswIndex, HnswParams, Metric, Quantization, RowId, SearchOptions,
};

const BASE: usize = 10_000;
const QUERIES: usize = 200;

fn dataset() -> Option<PathBuf> {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets/minilm-debian");
    if dir.join("base.fvecs").is_file() {
        return Some(dir);
    }
    if std::env::var("HELIOS_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!("dataset {} is missing and HELIOS_REQUIRE_SHARED=1", dir.display());
    }
    eprintln!("skipping: dataset {} not found", dir.display());
    None
}

fn load(dir: &std::path::Path, base_rows: Option<usize>) -> (VecFile<f32>, VecFile<f32>) {
    let base = read_fvecs(&dir.join("base.fvecs"), base_rows).expect("base.fvecs");
    let queries = read_fvecs(&dir.join("query.fvecs"), Some(QUERIES)).expect("query.fvecs");
    assert_eq!((base.dim, queries.dim), (384, 384));
    (base, queries)
}

fn flat(base: &VecFile<f32>) -> FlatIndex {
    let mut f = FlatIndex::new(base.dim, Metric::Cosine);
    for i in 0..base.len() {
        f.insert(RowId(i as u64), base.row(i)).expect("valid");
    }
    f
}

#[test]
fn flat_index_matches_shipped_ground_truth() {
    let Some(dir) = dataset() else { return };
    let (base, queries) = load(&dir, None);
    assert_eq!(base.len(), 40_000);
    let truth = read_ivecs(&dir.join("groundtruth.ivecs"), Some(20)).expect("groundtruth");
    let exact = flat(&base);
    let mut total = 0.0;
    for i in 0..20 {
        let found = exact.search(queries.row(i), 10, &|_| true).expect("search");
        let expected: Vec<Hit> = truth.row(i)[..10]
            .iter()
            .map(|&id| Hit { row: RowId(id as u64), distance: 0.0 })
            .collect();
        total += recall(&found, &expected);
    }
    // Ties between equal descriptions may order differently; anything else is a bug.
    assert!(total / 20.0 >= 0.99, "flat recall vs ground truth {}", total / 20.0);
}

fn hnsw_recall(index: &HnswIndex, queries: &VecFile<f32>, truth: &[Vec<Hit>], ef: usize) -> f64 {
    let mut total = 0.0;
    for (i, t) in truth.iter().enumerate() {
        let opts = SearchOptions { ef_search: Some(ef), ..SearchOptions::new(10) };
        total += recall(&index.search_with(queries.row(i), &opts).expect("search"), t);
    }
    total / truth.len() as f64
}

#[test]
fn hnsw_and_pq_recall_on_minilm_subset() {
    let Some(dir) = dataset() else { return };
    let (base, queries) = load(&dir, Some(BASE));
    let exact = flat(&base);
    let truth: Vec<Vec<Hit>> = (0..QUERIES)
        .map(|i| exact.search(queries.row(i), 10, &|_| true).expect("search"))
        .collect();

    let params = HnswParams::new(384, Metric::Cosine);
    let mut index = HnswIndex::new(params).expect("valid");
    for i in 0..base.len() {
        index.insert(RowId(i as u64), base.row(i)).expect("insert");
    }
    let r = hnsw_recall(&index, &queries, &truth, 64);
    println!("float32 HNSW recall@10 (ef_search 64): {r:.3}");
    assert!(r >= 0.95, "float32 recall@10 = {r}");

    let pq = PqConfig { max_training_vectors: 4096, iterations: 8, ..PqConfig::new(48) };
    let params = HnswParams { quantization: Quantization::Pq(pq), ..params };
    let mut index = HnswIndex::train(params, &base.data[..4096 * 384]).expect("train");
    for i in 0..base.len() {
        index.insert(RowId(i as u64), base.row(i)).expect("insert");
    }
    let r = hnsw_recall(&index, &queries, &truth, 64);
    println!("PQ (pq_m 48) HNSW recall@10 (ef_search 64, re-ranked): {r:.3}");
    assert!(r >= 0.95, "PQ recall@10 = {r}");
    let stats = index.stats();
    assert!(stats.code_bytes * 8 <= base.data.len() * 4, "codes {}", stats.code_bytes);
}
