//! HNSW behaviour through the public API: recall against exact search, deletion, filters,
//! widening, errors.

mod common;

use common::{clustered, flat, recall, uniform};
use helios_vector::{HnswIndex, HnswParams, Metric, RowId, SearchOptions, VectorError};

fn build(data: &[f32], params: HnswParams) -> HnswIndex {
    let mut index = HnswIndex::new(params).expect("valid params");
    for (i, v) in data.chunks_exact(params.dim).enumerate() {
        index.insert(RowId(i as u64), v).expect("insert");
    }
    index
}

fn mean_recall(index: &HnswIndex, data: &[f32], queries: &[f32], metric: Metric, ef: usize) -> f64 {
    let dim = index.params().dim;
    let exact = flat(data, dim, metric);
    let mut total = 0.0;
    let n = queries.len() / dim;
    for q in queries.chunks_exact(dim) {
        let truth = exact.search(q, 10, &|_| true).expect("flat search");
        let opts = SearchOptions { ef_search: Some(ef), ..SearchOptions::new(10) };
        let found = index.search_with(q, &opts).expect("search");
        assert_eq!(found.len(), 10);
        assert!(found.windows(2).all(|w| w[0].distance <= w[1].distance), "sorted");
        total += recall(&found, &truth);
    }
    total / n as f64
}

#[test]
fn recall_at_10_on_uniform_random_vectors() {
    let dim = 24;
    let data = uniform(3000, dim, 1);
    let queries = uniform(100, dim, 2);
    let index = build(&data, HnswParams::new(dim, Metric::L2));
    let r = mean_recall(&index, &data, &queries, Metric::L2, 64);
    assert!(r >= 0.95, "recall@10 = {r}");
    // The distances are the SQL operator's: the exact L2 of the returned row.
    let q = &queries[..dim];
    let hit = index.search(q, 1, &|_| true).expect("search")[0];
    let v = &data[hit.row.0 as usize * dim..(hit.row.0 as usize + 1) * dim];
    assert!((hit.distance - Metric::L2.distance(q, v)).abs() < 1e-5);
}

#[test]
fn recall_for_cosine_and_inner_product() {
    let dim = 16;
    let data = uniform(2000, dim, 3);
    let queries = uniform(50, dim, 4);
    for metric in [Metric::Cosine, Metric::InnerProduct] {
        let index = build(&data, HnswParams::new(dim, metric));
        let r = mean_recall(&index, &data, &queries, metric, 64);
        assert!(r >= 0.95, "{metric:?} recall@10 = {r}");
    }
}

#[test]
fn recall_on_clustered_vectors() {
    let dim = 16;
    let data = clustered(2000, dim, 3);
    let queries = clustered(50, dim, 4);
    let index = build(&data, HnswParams::new(dim, Metric::L2));
    let r = mean_recall(&index, &data, &queries, Metric::L2, 100);
    assert!(r >= 0.95, "recall@10 = {r}");
}

#[test]
fn deleted_rows_are_never_returned_and_vacuum_repairs() {
    let dim = 12;
    let data = uniform(2000, dim, 5);
    let queries = uniform(40, dim, 6);
    let mut index = build(&data, HnswParams::new(dim, Metric::L2));
    // Delete every third row, including whatever the entry point is.
    for i in (0..2000u64).filter(|i| i.is_multiple_of(3)) {
        assert!(index.delete(RowId(i)));
    }
    assert!(!index.delete(RowId(0)), "already deleted");
    assert_eq!(index.len(), 2000 - 667);
    assert!(index.needs_vacuum());
    let mut survivors = flat(&[], dim, Metric::L2);
    for (i, v) in data.chunks_exact(dim).enumerate() {
        if !i.is_multiple_of(3) {
            survivors.insert(RowId(i as u64), v).expect("valid");
        }
    }
    let check = |index: &HnswIndex| {
        let mut total = 0.0;
        for q in queries.chunks_exact(dim) {
            let found = index.search(q, 10, &|_| true).expect("search");
            assert!(found.iter().all(|h| !h.row.0.is_multiple_of(3)), "deleted row returned");
            total += recall(&found, &survivors.search(q, 10, &|_| true).expect("flat"));
        }
        total / 40.0
    };
    let before = check(&index);
    assert!(before >= 0.9, "recall with tombstones {before}");
    assert_eq!(index.vacuum(), 667);
    assert_eq!(index.deleted_count(), 0);
    let after = check(&index);
    assert!(after >= 0.9, "recall after vacuum {after}");
    // Freed slots are reused and the re-inserted rows are found again.
    let slots_before = index.stats().slots;
    for i in (0..2000u64).filter(|i| i.is_multiple_of(3)).take(100) {
        let v = &data[i as usize * dim..(i as usize + 1) * dim];
        index.insert(RowId(i), v).expect("reinsert");
    }
    assert_eq!(index.stats().slots, slots_before, "no new slots");
    let v = &data[3 * dim..4 * dim];
    assert_eq!(index.search(v, 1, &|_| true).expect("search")[0].row, RowId(3));
}

#[test]
fn filter_is_respected_and_search_widens() {
    let dim = 12;
    let data = uniform(3000, dim, 7);
    let index = build(&data, HnswParams::new(dim, Metric::L2));
    let exact = flat(&data, dim, Metric::L2);
    let queries = uniform(30, dim, 8);
    // 10% of rows pass: the default ef of 40 would find only ~4 of them per search.
    let filter = |r: RowId| r.0.is_multiple_of(10);
    let mut total = 0.0;
    for q in queries.chunks_exact(dim) {
        let found = index.search(q, 10, &filter).expect("search");
        assert_eq!(found.len(), 10, "widened until k rows passed");
        assert!(found.iter().all(|h| filter(h.row)));
        total += recall(&found, &exact.search(q, 10, &filter).expect("flat"));
    }
    assert!(total / 30.0 >= 0.9, "filtered recall {}", total / 30.0);

    // Only five rows pass: widening must exhaust the graph and return all five.
    let rare = |r: RowId| [17, 923, 1500, 2222, 2999].contains(&r.0);
    let found = index.search(&queries[..dim], 10, &rare).expect("search");
    let mut rows: Vec<u64> = found.iter().map(|h| h.row.0).collect();
    rows.sort_unstable();
    assert_eq!(rows, vec![17, 923, 1500, 2222, 2999]);
    assert!(index.search(&queries[..dim], 10, &|_| false).expect("search").is_empty());
}

#[test]
fn filter_is_asked_only_about_candidates() {
    let dim = 8;
    let data = uniform(2000, dim, 9);
    let index = build(&data, HnswParams::new(dim, Metric::L2));
    let calls = std::cell::Cell::new(0usize);
    let filter = |_: RowId| {
        calls.set(calls.get() + 1);
        true
    };
    index.search(&data[..dim], 10, &filter).expect("search");
    assert!(calls.get() < 500, "filter called {} times", calls.get());
}

#[test]
fn rejects_bad_input_with_errors() {
    let mut index = HnswIndex::new(HnswParams::new(3, Metric::L2)).expect("valid");
    assert!(index.search(&[1.0, 2.0, 3.0], 5, &|_| true).expect("empty").is_empty());
    assert!(matches!(
        index.insert(RowId(1), &[1.0, 2.0]),
        Err(VectorError::DimensionMismatch { expected: 3, actual: 2 })
    ));
    assert!(matches!(index.insert(RowId(1), &[1.0, f32::NAN, 0.0]), Err(VectorError::NaN)));
    index.insert(RowId(1), &[1.0, 2.0, 3.0]).expect("insert");
    assert!(matches!(index.insert(RowId(1), &[1.0, 2.0, 3.0]), Err(VectorError::DuplicateRow(_))));
    assert!(index.search(&[1.0], 5, &|_| true).is_err());
    let hits = index.search(&[1.0, 2.0, 3.0], 5, &|_| true).expect("search");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].distance, 0.0);
    let e: helios_common::Error =
        HnswIndex::new(HnswParams { m: 200, ..HnswParams::new(3, Metric::L2) })
            .expect_err("m out of bounds")
            .into();
    assert_eq!(e.message(), "value 200 out of bounds for option \"m\"");
}

#[test]
fn same_seed_builds_the_same_index() {
    let dim = 8;
    let data = uniform(500, dim, 11);
    let a = build(&data, HnswParams::new(dim, Metric::L2));
    let b = build(&data, HnswParams::new(dim, Metric::L2));
    for q in uniform(10, dim, 12).chunks_exact(dim) {
        let opts = SearchOptions { ef_search: Some(10), ..SearchOptions::new(5) };
        assert_eq!(a.search_with(q, &opts).expect("a"), b.search_with(q, &opts).expect("b"));
    }
}
