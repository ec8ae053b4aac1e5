//! Model-based property test: random sequences of inserts, deletes, vacuums and
//! flush/reload against a plain map of live rows. Whatever the history, a search returns
//! only live rows accepted by the filter, without duplicates, nearest first, with exact
//! distances, and (thanks to widening) as many as `k` or as exist; an index reloaded from
//! its store answers exactly like the original.

use std::collections::BTreeMap;

use helios_vector::{HnswIndex, HnswParams, MemoryNodeStore, Metric, RowId, SearchOptions};
use proptest::prelude::*;

const DIM: usize = 4;

#[derive(Clone, Debug)]
enum Op {
    Insert(u64, [i8; DIM]),
    Delete(u64),
    Vacuum,
    Reload,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u64..60, any::<[i8; DIM]>()).prop_map(|(r, v)| Op::Insert(r, v)),
        3 => (0u64..60).prop_map(Op::Delete),
        1 => Just(Op::Vacuum),
        1 => Just(Op::Reload),
    ]
}

fn vector(v: &[i8; DIM]) -> Vec<f32> {
    v.iter().map(|&x| f32::from(x) / 16.0).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn index_agrees_with_model(ops in proptest::collection::vec(op(), 1..120), q in any::<[i8; DIM]>()) {
        let params = HnswParams { m: 4, ef_construction: 8, ..HnswParams::new(DIM, Metric::L2) };
        let mut index = HnswIndex::new(params).expect("valid");
        let mut store = MemoryNodeStore::new();
        let mut model: BTreeMap<u64, Vec<f32>> = BTreeMap::new();
        for op in &ops {
            match op {
                Op::Insert(r, v) => {
                    let res = index.insert(RowId(*r), &vector(v));
                    prop_assert_eq!(res.is_ok(), !model.contains_key(r));
                    model.entry(*r).or_insert_with(|| vector(v));
                }
                Op::Delete(r) => prop_assert_eq!(index.delete(RowId(*r)), model.remove(r).is_some()),
                Op::Vacuum => {
                    index.vacuum();
                    prop_assert_eq!(index.deleted_count(), 0);
                }
                Op::Reload => {
                    index.flush(&mut store).expect("flush");
                    let reloaded = HnswIndex::load(&store).expect("load");
                    let opts = SearchOptions::new(10);
                    prop_assert_eq!(
                        reloaded.search_with(&vector(&q), &opts).expect("search"),
                        index.search_with(&vector(&q), &opts).expect("search")
                    );
                    index = reloaded;
                }
            }
            prop_assert_eq!(index.len(), model.len());
        }
        let query = vector(&q);
        let odd = |r: RowId| r.0 % 2 == 1;
        for filter in [&(|_: RowId| true) as &dyn Fn(RowId) -> bool, &odd] {
            let hits = index.search(&query, 8, filter).expect("search");
            let expected = model.keys().filter(|r| filter(RowId(**r))).count().min(8);
            prop_assert_eq!(hits.len(), expected);
            let mut seen = std::collections::BTreeSet::new();
            for h in &hits {
                let v = model.get(&h.row.0);
                prop_assert!(v.is_some(), "row {} is not live", h.row);
                prop_assert!(filter(h.row));
                prop_assert!(seen.insert(h.row), "duplicate {}", h.row);
                let exact = Metric::L2.distance(&query, v.expect("checked"));
                prop_assert!((h.distance - exact).abs() < 1e-4);
            }
            prop_assert!(hits.windows(2).all(|w| w[0].distance <= w[1].distance));
        }
    }
}

/// Found by `index_agrees_with_model`: deleting the entry point and vacuuming left a live
/// node that no link led to, so a search returned fewer rows than exist.
#[test]
fn rows_left_unreachable_by_vacuum_are_still_found() {
    let params = HnswParams { m: 4, ef_construction: 8, ..HnswParams::new(DIM, Metric::L2) };
    let mut index = HnswIndex::new(params).expect("valid");
    for (row, v) in
        [(29, [0, 0, 0, 0]), (0, [0, 0, 0, -12]), (1, [0, 0, -76, 91]), (2, [0, 10, 3, 0])]
    {
        index.insert(RowId(row), &vector(&v)).expect("insert");
    }
    assert!(index.delete(RowId(29)));
    index.vacuum();
    let hits = index.search(&vector(&[0, 0, 0, 0]), 8, &|_| true).expect("search");
    let mut rows: Vec<u64> = hits.iter().map(|h| h.row.0).collect();
    rows.sort_unstable();
    assert_eq!(rows, vec![0, 1, 2]);
}
