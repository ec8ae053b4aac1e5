//! Quantized HNSW: recall with re-ranking, memory, fetching vectors through a callback.

mod common;

use common::{flat, recall, uniform};
use helios_vector::pq::PqConfig;
use helios_vector::{HnswIndex, HnswParams, Metric, Quantization, RowId, SearchOptions};

const DIM: usize = 32;

fn build(data: &[f32], params: HnswParams) -> HnswIndex {
    let mut index = HnswIndex::train(params, data).expect("trains");
    for (i, v) in data.chunks_exact(DIM).enumerate() {
        index.insert(RowId(i as u64), v).expect("insert");
    }
    index
}

fn pq_params(keep_vectors: bool) -> HnswParams {
    HnswParams {
        quantization: Quantization::Pq(PqConfig::new(DIM / 2)),
        keep_vectors,
        ..HnswParams::new(DIM, Metric::L2)
    }
}

fn mean_recall(index: &HnswIndex, data: &[f32], opts: &SearchOptions<'_>) -> f64 {
    let exact = flat(data, DIM, Metric::L2);
    let queries = uniform(50, DIM, 99);
    let mut total = 0.0;
    for q in queries.chunks_exact(DIM) {
        let found = index.search_with(q, opts).expect("search");
        total += recall(&found, &exact.search(q, 10, &|_| true).expect("flat"));
    }
    total / 50.0
}

#[test]
fn pq_hnsw_recall_with_reranking_and_memory() {
    let data = uniform(3000, DIM, 21);
    let mut index = build(&data, pq_params(true));
    index.shrink_to_fit();
    let opts = SearchOptions { ef_search: Some(64), ..SearchOptions::new(10) };
    let r = mean_recall(&index, &data, &opts);
    println!("PQ recall@10 re-ranked {r}");
    assert!(r >= 0.95, "PQ recall@10 with re-ranking = {r}");

    // Without re-ranking (only the 10 best approximate candidates) recall drops: the
    // re-ranking step is doing real work.
    let no_rerank = SearchOptions { rerank: Some(10), ..opts };
    let approx = mean_recall(&index, &data, &no_rerank);
    println!("PQ recall@10 approximate {approx}");
    assert!(approx < r, "approximate {approx} vs re-ranked {r}");

    let stats = index.stats();
    let float_bytes = 3000 * DIM * 4;
    assert_eq!(stats.code_bytes, 3000 * DIM / 2);
    assert!(stats.code_bytes * 8 <= float_bytes, "codes {} bytes", stats.code_bytes);
    assert_eq!(stats.vector_bytes, float_bytes);
    assert_eq!(stats.codebook_bytes, DIM * 256 * 4);
    assert_eq!(
        stats.total_bytes(),
        stats.graph_bytes + float_bytes + stats.code_bytes + stats.codebook_bytes
    );
}

#[test]
fn pq_without_stored_vectors_reranks_through_fetch() {
    let data = uniform(3000, DIM, 22);
    let index = build(&data, pq_params(false));
    assert_eq!(index.stats().vector_bytes, 0, "full vectors not kept");
    let fetch = |row: RowId, out: &mut Vec<f32>| {
        let i = row.0 as usize;
        out.extend_from_slice(&data[i * DIM..(i + 1) * DIM]);
        true
    };
    let opts = SearchOptions { ef_search: Some(64), fetch: Some(&fetch), ..SearchOptions::new(10) };
    let r = mean_recall(&index, &data, &opts);
    assert!(r >= 0.95, "PQ recall@10 re-ranked through fetch = {r}");
    // Exact distances after re-ranking.
    let q = &data[5 * DIM..6 * DIM];
    let hit = index.search_with(q, &opts).expect("search")[0];
    assert_eq!(hit.row, RowId(5));
    assert!(hit.distance.abs() < 1e-6);
    // A fetch returning a vector of the wrong size is an error, not a panic.
    let bad = |_: RowId, out: &mut Vec<f32>| {
        out.extend_from_slice(&[0.0; 3]);
        true
    };
    let opts = SearchOptions { fetch: Some(&bad), ..SearchOptions::new(10) };
    assert!(index.search_with(q, &opts).is_err());
}

#[test]
fn sq8_hnsw_recall_and_memory() {
    let data = uniform(3000, DIM, 23);
    let params = HnswParams {
        quantization: Quantization::Sq8,
        keep_vectors: false,
        ..HnswParams::new(DIM, Metric::L2)
    };
    let mut index = build(&data, params);
    index.shrink_to_fit();
    let opts = SearchOptions { ef_search: Some(64), ..SearchOptions::new(10) };
    // Scalar quantization is accurate enough to reach the bar without re-ranking.
    let r = mean_recall(&index, &data, &opts);
    println!("SQ8 recall@10 {r}");
    assert!(r >= 0.95, "SQ8 recall@10 without re-ranking = {r}");
    assert_eq!(index.stats().code_bytes, 3000 * DIM);
    assert_eq!(index.stats().vector_bytes, 0);
}

#[test]
fn pq_with_cosine_metric() {
    let data = uniform(2000, DIM, 24);
    let params = HnswParams {
        quantization: Quantization::Pq(PqConfig::new(DIM / 4)),
        ..HnswParams::new(DIM, Metric::Cosine)
    };
    let index = build(&data, params);
    let exact = flat(&data, DIM, Metric::Cosine);
    let mut total = 0.0;
    for q in uniform(30, DIM, 25).chunks_exact(DIM) {
        let found =
            index.search_with(q, &SearchOptions { ef_search: Some(64), ..SearchOptions::new(10) });
        let found = found.expect("search");
        let truth = exact.search(q, 10, &|_| true).expect("flat");
        assert!(
            (found[0].distance - truth[0].distance).abs() < 1e-5 || found[0].row != truth[0].row
        );
        total += recall(&found, &truth);
    }
    assert!(total / 30.0 >= 0.95, "cosine PQ recall {}", total / 30.0);
}

#[test]
fn quantized_index_needs_training() {
    assert!(HnswIndex::new(pq_params(true)).is_err());
    assert!(HnswIndex::train(pq_params(true), &uniform(100, DIM, 1)).is_err(), "too few vectors");
}
