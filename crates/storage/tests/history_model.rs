//! Property test: branches, time travel and GC against a model of the full history.
//!
//! Random commits on random branches, branches created from random branches at random
//! past timestamps, clock advances and GC runs. After every step, every branch read at
//! every recorded timestamp must equal the model — or fail with `72000` when the
//! timestamp is before the horizon. GC must never change an answer that is still allowed.

mod common;

use std::collections::BTreeMap;
use std::ops::Bound;
use std::time::Duration;

use helios_common::{BranchId, Timestamp};
use helios_storage::TxnOptions;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Write(usize, u8, Option<u8>),
    Branch(usize, usize),
    Advance(u64),
    Gc,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..4, 0u8..4, proptest::option::weighted(0.7, 0u8..4)).prop_map(|(b, k, v)| Op::Write(b, k, v)),
        2 => (0usize..4, 0usize..16).prop_map(|(b, t)| Op::Branch(b, t)),
        2 => (1u64..40).prop_map(Op::Advance),
        2 => Just(Op::Gc),
    ]
}

struct ModelBranch {
    id: BranchId,
    parent: Option<usize>,
    fork: Timestamp,
    /// (commit ts, key, value)
    writes: Vec<(Timestamp, u8, Option<u8>)>,
}

fn model_state(branches: &[ModelBranch], b: usize, at: Timestamp) -> BTreeMap<u8, u8> {
    let br = &branches[b];
    let mut state = match br.parent {
        Some(p) => model_state(branches, p, at.min(br.fork)),
        None => BTreeMap::new(),
    };
    let mut own: BTreeMap<u8, Option<u8>> = BTreeMap::new();
    for (ts, k, v) in &br.writes {
        if *ts <= at {
            own.insert(*k, *v);
        }
    }
    for (k, v) in own {
        match v {
            Some(v) => state.insert(k, v),
            None => state.remove(&k),
        };
    }
    state
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    for (_, engine) in common::engines() {
        let (s, clock) = common::storage_with_clock(engine);
        s.set_retention(Duration::from_secs(60)).expect("retention");
        let mut branches = vec![ModelBranch {
            id: BranchId::MAIN,
            parent: None,
            fork: Timestamp::ZERO,
            writes: Vec::new(),
        }];
        let mut stamps: Vec<Timestamp> = Vec::new();
        for (n, op) in ops.iter().enumerate() {
            match *op {
                Op::Write(b, k, v) => {
                    let b = b % branches.len();
                    let mut t = s
                        .begin(TxnOptions { branch: branches[b].id, ..TxnOptions::default() })
                        .expect("begin");
                    match v {
                        Some(v) => t.put(&[k], &[v]).expect("put"),
                        None => t.delete(&[k]).expect("delete"),
                    }
                    let ts = t.commit().expect("commit").commit_ts;
                    branches[b].writes.push((ts, k, v));
                    stamps.push(ts);
                }
                Op::Branch(b, t) => {
                    let b = b % branches.len();
                    let at = if stamps.is_empty() { None } else { Some(stamps[t % stamps.len()]) };
                    match s.create_branch(&format!("b{n}"), branches[b].id, at) {
                        Ok(info) => branches.push(ModelBranch {
                            id: info.id,
                            parent: Some(b),
                            fork: info.fork_ts,
                            writes: Vec::new(),
                        }),
                        Err(e) => {
                            let at = at.expect("a failing fork has a timestamp");
                            prop_assert_eq!(
                                e.sqlstate(),
                                helios_common::SqlState::SNAPSHOT_TOO_OLD
                            );
                            prop_assert!(at < s.horizon());
                        }
                    }
                }
                Op::Advance(secs) => clock.advance(Duration::from_secs(secs)),
                Op::Gc => {
                    s.gc().expect("gc");
                }
            }
            // Checking everything after every step is slow; check after the steps that can
            // change history (GC, clock moves, new branches) and at the end.
            let last = n + 1 == ops.len();
            if !last && matches!(op, Op::Write(..)) {
                continue;
            }
            let horizon = s.horizon();
            for (b, br) in branches.iter().enumerate() {
                for &at in stamps.iter().chain([Timestamp::MAX].iter()) {
                    let opts =
                        TxnOptions { branch: br.id, as_of: Some(at), ..TxnOptions::default() };
                    match s.begin(opts) {
                        Ok(t) => {
                            prop_assert!(at >= horizon);
                            let rows = t
                                .scan((Bound::Unbounded, Bound::Unbounded), false, usize::MAX)
                                .expect("scan");
                            let got: BTreeMap<u8, u8> =
                                rows.into_iter().map(|(k, v)| (k[0], v[0])).collect();
                            let at = if at == Timestamp::MAX { s.now() } else { at };
                            let expected = model_state(&branches, b, at);
                            let rev = t
                                .scan((Bound::Unbounded, Bound::Unbounded), true, 2)
                                .expect("scan");
                            let rev: Vec<(u8, u8)> =
                                rev.into_iter().map(|(k, v)| (k[0], v[0])).collect();
                            let last2: Vec<(u8, u8)> =
                                expected.iter().rev().take(2).map(|(k, v)| (*k, *v)).collect();
                            prop_assert_eq!(rev, last2, "reverse scan of branch {} at {:?}", b, at);
                            prop_assert_eq!(got, expected, "branch {} at {:?}", b, at);
                        }
                        Err(e) => {
                            prop_assert_eq!(
                                e.sqlstate(),
                                helios_common::SqlState::SNAPSHOT_TOO_OLD
                            );
                            prop_assert!(at < horizon);
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn branches_time_travel_and_gc_match_the_history(ops in proptest::collection::vec(op(), 1..60)) {
        run(ops)?;
    }
}
