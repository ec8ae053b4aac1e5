//! Property test: the MVCC layer against a simple reference model of snapshot isolation
//! with first-committer-wins, under random interleavings of concurrent transactions.
//!
//! The model keeps every committed version of every key with a logical commit number. A
//! transaction reads the newest version at or below its snapshot number, overlaid with
//! its own writes; commit fails when a written key got a version after the snapshot at
//! which the transaction first wrote it. Writers lock keys: a write of a key another open
//! transaction locked waits (one thread runs everything, so it times out with 55P03), and a
//! write of a key with a version newer than the snapshot fails with 40001 (READ COMMITTED
//! also asks for a statement restart). The real storage must give the same answers and
//! the same conflicts, operation by operation.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::time::Duration;

use helios_storage::{Isolation, LockWait, Storage, Transaction, TxnOptions};
use proptest::prelude::*;

const SLOTS: usize = 3;

#[derive(Clone, Debug)]
enum Op {
    Begin(usize, bool),
    Get(usize, u8),
    Scan(usize, u8, u8, bool, usize),
    Put(usize, u8, u8),
    Delete(usize, u8),
    Statement(usize),
    Savepoint(usize),
    RollbackTo(usize),
    Commit(usize),
    Abort(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let slot = 0..SLOTS;
    let key = 0u8..5;
    prop_oneof![
        2 => (slot.clone(), any::<bool>()).prop_map(|(s, rr)| Op::Begin(s, rr)),
        3 => (slot.clone(), key.clone()).prop_map(|(s, k)| Op::Get(s, k)),
        2 => (slot.clone(), key.clone(), key.clone(), any::<bool>(), 0usize..4)
            .prop_map(|(s, a, b, r, l)| Op::Scan(s, a.min(b), a.max(b), r, l)),
        4 => (slot.clone(), key.clone(), any::<u8>()).prop_map(|(s, k, v)| Op::Put(s, k, v)),
        2 => (slot.clone(), key).prop_map(|(s, k)| Op::Delete(s, k)),
        1 => slot.clone().prop_map(Op::Statement),
        1 => slot.clone().prop_map(Op::Savepoint),
        1 => slot.clone().prop_map(Op::RollbackTo),
        2 => slot.clone().prop_map(Op::Commit),
        1 => slot.prop_map(Op::Abort),
    ]
}

type Map = BTreeMap<Vec<u8>, Option<Vec<u8>>>;
/// A transaction's writes: key -> (value, snapshot number of the first write).
type Writes = BTreeMap<Vec<u8>, (Option<Vec<u8>>, u64)>;
/// Committed versions: key -> [(commit number, value)], oldest first.
type Versions = BTreeMap<Vec<u8>, Vec<(u64, Option<Vec<u8>>)>>;

/// One transaction of the model.
struct ModelTxn {
    rr: bool,
    snapshot: u64,
    writes: Writes,
    savepoint: Option<Writes>,
    /// Keys locked (held until the transaction ends).
    locks: BTreeSet<Vec<u8>>,
}

#[derive(Default)]
struct Model {
    versions: Versions,
    last_commit: u64,
}

impl Model {
    fn read(&self, snapshot: u64, key: &[u8]) -> Option<Vec<u8>> {
        self.versions
            .get(key)?
            .iter()
            .rev()
            .find(|(n, _)| *n <= snapshot)
            .and_then(|(_, v)| v.clone())
    }

    fn state(&self, t: &ModelTxn) -> Map {
        let mut m: Map =
            self.versions.keys().map(|k| (k.clone(), self.read(t.snapshot, k))).collect();
        for (k, (v, _)) in &t.writes {
            m.insert(k.clone(), v.clone());
        }
        m
    }
}

fn k(b: u8) -> Vec<u8> {
    // Keys with a zero byte and a shared prefix exercise the escaping.
    vec![b'k', b % 2, b]
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    for (_, engine) in common::engines() {
        let storage = Storage::with_engine(engine, Default::default()).expect("open");
        let mut model = Model::default();
        let mut real: Vec<Option<Transaction>> = (0..SLOTS).map(|_| None).collect();
        let mut mtx: Vec<Option<ModelTxn>> = (0..SLOTS).map(|_| None).collect();
        let mut sps = [None; SLOTS];
        for op in &ops {
            match *op {
                Op::Begin(s, rr) => {
                    if real[s].is_some() {
                        continue;
                    }
                    let isolation =
                        if rr { Isolation::RepeatableRead } else { Isolation::ReadCommitted };
                    let mut t = storage
                        .begin(TxnOptions { isolation, ..TxnOptions::default() })
                        .expect("begin");
                    t.set_lock_wait(LockWait {
                        timeout: Some(Duration::from_millis(1)),
                        cancel: None,
                    });
                    real[s] = Some(t);
                    mtx[s] = Some(ModelTxn {
                        rr,
                        snapshot: model.last_commit,
                        writes: BTreeMap::new(),
                        savepoint: None,
                        locks: BTreeSet::new(),
                    });
                    sps[s] = None;
                }
                Op::Get(s, key) => {
                    let (Some(t), Some(m)) = (&real[s], &mtx[s]) else { continue };
                    let expected = match m.writes.get(&k(key)) {
                        Some((v, _)) => v.clone(),
                        None => model.read(m.snapshot, &k(key)),
                    };
                    prop_assert_eq!(t.get(&k(key)).expect("get"), expected.clone(), "{:?}", op);
                    let lent =
                        t.get_with(&k(key), |v| Ok(v.map(<[u8]>::to_vec))).expect("get_with");
                    prop_assert_eq!(lent, expected, "get_with {:?}", op);
                }
                Op::Scan(s, a, b, reverse, limit) => {
                    let (Some(t), Some(m)) = (&real[s], &mtx[s]) else { continue };
                    let range = (Bound::Included(k(a)), Bound::Excluded(k(b)));
                    let mut expected: Vec<(Vec<u8>, Vec<u8>)> = model
                        .state(m)
                        .into_iter()
                        .filter(|(key, _)| std::ops::RangeBounds::contains(&range, key))
                        .filter_map(|(key, v)| v.map(|v| (key, v)))
                        .collect();
                    if reverse {
                        expected.reverse();
                    }
                    expected.truncate(limit);
                    let mut visited = Vec::new();
                    t.visit(&range, reverse, &mut |key, v| {
                        if visited.len() < limit {
                            visited.push((key.to_vec(), v.to_vec()));
                        }
                        Ok(visited.len() < limit)
                    })
                    .expect("visit");
                    prop_assert_eq!(&visited, &expected, "visit {:?}", op);
                    if !reverse {
                        let mut values = Vec::new();
                        t.visit_values(&range, &mut |v| {
                            if values.len() < limit {
                                values.push(v.to_vec());
                            }
                            Ok(values.len() < limit)
                        })
                        .expect("visit_values");
                        let want: Vec<Vec<u8>> = expected.iter().map(|(_, v)| v.clone()).collect();
                        prop_assert_eq!(values, want, "visit_values {:?}", op);
                    }
                    prop_assert_eq!(
                        t.scan(range, reverse, limit).expect("scan"),
                        expected,
                        "{:?}",
                        op
                    );
                }
                Op::Put(s, key, _) | Op::Delete(s, key) if real[s].is_some() => {
                    let value = match *op {
                        Op::Put(_, _, v) => Some(vec![v]),
                        _ => None,
                    };
                    let locked_elsewhere = mtx.iter().enumerate().any(|(o, m)| {
                        o != s && m.as_ref().is_some_and(|m| m.locks.contains(&k(key)))
                    });
                    let (Some(t), Some(m)) = (&mut real[s], &mut mtx[s]) else { continue };
                    let result = match &value {
                        Some(v) => t.put(&k(key), v),
                        None => t.delete(&k(key)),
                    };
                    if locked_elsewhere {
                        let e = result.expect_err("model says locked");
                        let state = e.sqlstate();
                        prop_assert_eq!(state.code(), "55P03", "{:?}", op);
                        continue;
                    }
                    if m.locks.insert(k(key)) {
                        let newer = model
                            .versions
                            .get(&k(key))
                            .is_some_and(|vs| vs.iter().any(|(n, _)| *n > m.snapshot));
                        if newer {
                            let e = result.expect_err("model says newer version");
                            let state = e.sqlstate();
                            prop_assert_eq!(state.code(), "40001", "{:?}", op);
                            prop_assert_eq!(t.take_statement_restart(), !m.rr);
                            continue;
                        }
                    }
                    result.map_err(|e| TestCaseError::fail(format!("{op:?}: unexpected {e:?}")))?;
                    let since = m.writes.get(&k(key)).map_or(m.snapshot, |(_, s)| *s);
                    m.writes.insert(k(key), (value, since));
                }
                Op::Put(..) | Op::Delete(..) => {}
                Op::Statement(s) => {
                    let (Some(t), Some(m)) = (&mut real[s], &mut mtx[s]) else { continue };
                    t.new_statement();
                    if !m.rr {
                        m.snapshot = model.last_commit;
                    }
                }
                Op::Savepoint(s) => {
                    let (Some(t), Some(m)) = (&mut real[s], &mut mtx[s]) else { continue };
                    sps[s] = Some(t.savepoint());
                    m.savepoint = Some(m.writes.clone());
                }
                Op::RollbackTo(s) => {
                    let (Some(t), Some(m), Some(sp)) = (&mut real[s], &mut mtx[s], sps[s]) else {
                        continue;
                    };
                    t.rollback_to(sp).expect("rollback to");
                    m.writes = m.savepoint.clone().expect("model savepoint");
                }
                Op::Commit(s) => {
                    let (Some(t), Some(m)) = (real[s].take(), mtx[s].take()) else { continue };
                    let conflict = m.writes.iter().any(|(key, (_, since))| {
                        model.versions.get(key).is_some_and(|vs| vs.iter().any(|(n, _)| n > since))
                    });
                    let result = t.commit();
                    if conflict {
                        let e = result.expect_err("model says conflict");
                        let state = e.sqlstate();
                        prop_assert_eq!(state.code(), "40001");
                    } else {
                        result.map_err(|e| {
                            TestCaseError::fail(format!("{op:?}: unexpected {e:?}"))
                        })?;
                        if !m.writes.is_empty() {
                            model.last_commit += 1;
                            for (key, (v, _)) in m.writes {
                                model.versions.entry(key).or_default().push((model.last_commit, v));
                            }
                        }
                    }
                }
                Op::Abort(s) => {
                    real[s].take();
                    mtx[s].take();
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn mvcc_matches_the_model(ops in proptest::collection::vec(op(), 1..60)) {
        run(ops)?;
    }
}
