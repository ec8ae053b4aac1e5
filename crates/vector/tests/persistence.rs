//! Persisting an index through a `NodeStore`: round trips, incremental flushes, and
//! corrupt records that must give errors, never panics.

mod common;

use common::uniform;
use helios_vector::pq::PqConfig;
use helios_vector::{
    HnswIndex, HnswParams, MemoryNodeStore, Metric, NodeId, NodeStore, Quantization, RowId,
    SearchOptions, VectorError,
};
use proptest::prelude::*;

const DIM: usize = 8;

fn results(index: &HnswIndex, queries: &[f32]) -> Vec<Vec<(RowId, f32)>> {
    queries
        .chunks_exact(DIM)
        .map(|q| {
            let opts = SearchOptions { ef_search: Some(20), ..SearchOptions::new(5) };
            let hits = index.search_with(q, &opts).expect("search");
            hits.into_iter().map(|h| (h.row, h.distance)).collect()
        })
        .collect()
}

fn insert_range(index: &mut HnswIndex, data: &[f32], rows: std::ops::Range<usize>) {
    for i in rows {
        index.insert(RowId(i as u64), &data[i * DIM..(i + 1) * DIM]).expect("insert");
    }
}

#[test]
fn round_trip_and_incremental_flushes() {
    let data = uniform(900, DIM, 31);
    let queries = uniform(20, DIM, 32);
    let mut index = HnswIndex::new(HnswParams::new(DIM, Metric::Cosine)).expect("valid");
    let mut store = MemoryNodeStore::new();
    insert_range(&mut index, &data, 0..500);
    for i in (0..500).step_by(7) {
        index.delete(RowId(i));
    }
    index.flush(&mut store).expect("flush");
    let mut loaded = HnswIndex::load(&store).expect("load");
    assert_eq!(results(&loaded, &queries), results(&index, &queries));
    assert_eq!(loaded.len(), index.len());
    assert_eq!(loaded.deleted_count(), index.deleted_count());

    // Both continue identically (the level RNG state was persisted), including vacuum.
    for idx in [&mut index, &mut loaded] {
        insert_range(idx, &data, 500..900);
        idx.vacuum();
        insert_range(idx, &data, 0..1);
    }
    assert_eq!(results(&loaded, &queries), results(&index, &queries));
    // Memory counts allocated bytes: release what growth left over on both sides.
    index.shrink_to_fit();
    loaded.shrink_to_fit();
    let shape = |i: &HnswIndex| {
        let s = i.stats();
        (s.live, s.deleted, s.slots, s.vector_bytes)
    };
    assert_eq!(shape(&loaded), shape(&index));

    // An incremental flush of the loaded index brings the store up to date.
    loaded.flush(&mut store).expect("flush");
    let reloaded = HnswIndex::load(&store).expect("load");
    assert_eq!(results(&reloaded, &queries), results(&index, &queries));
    assert_eq!(store.node_count(), index.len(), "vacuumed nodes removed from the store");
}

#[test]
fn quantized_round_trip() {
    let data = uniform(600, DIM, 33);
    let queries = uniform(10, DIM, 34);
    for (quantization, keep_vectors) in [
        (Quantization::Pq(PqConfig::new(4)), true),
        (Quantization::Pq(PqConfig::new(2)), false),
        (Quantization::Sq8, false),
    ] {
        let params = HnswParams { quantization, keep_vectors, ..HnswParams::new(DIM, Metric::L2) };
        let mut index = HnswIndex::train(params, &data).expect("train");
        insert_range(&mut index, &data, 0..600);
        let mut store = MemoryNodeStore::new();
        index.flush(&mut store).expect("flush");
        let loaded = HnswIndex::load(&store).expect("load");
        assert_eq!(loaded.params(), index.params());
        assert_eq!(results(&loaded, &queries), results(&index, &queries), "{quantization:?}");
    }
}

fn stored_index() -> (HnswIndex, MemoryNodeStore) {
    let data = uniform(200, DIM, 35);
    let mut index = HnswIndex::new(HnswParams::new(DIM, Metric::L2)).expect("valid");
    insert_range(&mut index, &data, 0..200);
    let mut store = MemoryNodeStore::new();
    index.flush(&mut store).expect("flush");
    (index, store)
}

#[test]
fn corrupt_records_are_errors() {
    let (_, store) = stored_index();
    let corrupted = |f: &dyn Fn(&mut MemoryNodeStore)| {
        let mut s = store.clone();
        f(&mut s);
        match HnswIndex::load(&s) {
            Err(VectorError::Corrupted(_)) => {}
            other => panic!("expected corruption error, got {other:?}"),
        }
    };
    corrupted(&|s| {
        let r = s.node_mut(NodeId(3)).expect("stored");
        r.pop();
    });
    corrupted(&|s| {
        let r = s.node_mut(NodeId(3)).expect("stored");
        r.push(0);
    });
    corrupted(&|s| {
        // First neighbour of node 3 on layer 0 points past the last slot.
        let r = s.node_mut(NodeId(3)).expect("stored");
        let at = 11 + DIM * 4 + 1;
        r[at..at + 4].copy_from_slice(&9999u32.to_le_bytes());
    });
    corrupted(&|s| {
        let r = s.node_mut(NodeId(3)).expect("stored");
        r[11..15].copy_from_slice(&f32::NAN.to_le_bytes());
    });
    corrupted(&|s| {
        let mut meta = s.get_meta().expect("meta").expect("stored");
        meta[0] = b'X';
        s.put_meta(meta).expect("put");
    });
    corrupted(&|s| {
        let mut meta = s.get_meta().expect("meta").expect("stored");
        meta.truncate(40);
        s.put_meta(meta).expect("put");
    });
    let e: helios_common::Error =
        HnswIndex::load(&MemoryNodeStore::new()).expect_err("empty").into();
    assert_eq!(e.sqlstate(), helios_common::SqlState::INDEX_CORRUPTED);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Arbitrary byte flips in a node record or the metadata never panic.
    #[test]
    fn random_corruption_never_panics(
        node in 0u32..200,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        in_meta in any::<bool>(),
    ) {
        let (_, mut store) = STORED.with(|s| s.clone());
        let mut bytes = if in_meta {
            store.get_meta().expect("meta").expect("stored")
        } else {
            store.get_node(NodeId(node)).expect("get").expect("stored")
        };
        for (at, value) in flips {
            let len = bytes.len();
            bytes[at % len] = value;
        }
        if in_meta {
            store.put_meta(bytes).expect("put");
        } else {
            store.put_node(NodeId(node), bytes).expect("put");
        }
        if let Ok(index) = HnswIndex::load(&store) {
            // Whatever decoded must be searchable without panicking.
            let _ = index.search(&[0.5; DIM], 5, &|_| true);
        }
    }
}

thread_local! {
    static STORED: (HnswIndex, MemoryNodeStore) = stored_index();
}
