//! Diff and merge look only at keys from the change index; they must give exactly what a
//! comparison of the branches' full visible states gives.

mod common;

use std::collections::BTreeMap;
use std::ops::Bound;

use helios_common::{BranchId, Timestamp};
use helios_storage::{MergeStrategy, Storage, TxnOptions};

/// A tiny deterministic generator.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % bound
    }
}

type State = BTreeMap<Vec<u8>, Vec<u8>>;

fn state(s: &Storage, branch: BranchId, as_of: Option<Timestamp>) -> State {
    let txn = s.begin(TxnOptions { branch, as_of, ..TxnOptions::default() }).expect("begin");
    txn.scan((Bound::Unbounded, Bound::Unbounded), false, usize::MAX)
        .expect("scan")
        .into_iter()
        .collect()
}

/// A few random commits of puts and deletes on `branch`.
fn churn(s: &Storage, branch: BranchId, rng: &mut Lcg, tag: &str) {
    for _ in 0..3 {
        let mut txn = s.begin(TxnOptions { branch, ..TxnOptions::default() }).expect("begin");
        for _ in 0..15 {
            let k = vec![b'k', rng.next(3) as u8, rng.next(40) as u8];
            if rng.next(4) == 0 {
                txn.delete(&k).expect("delete");
            } else {
                txn.put(&k, format!("{tag}{}", rng.next(3)).as_bytes()).expect("put");
            }
        }
        txn.commit().expect("commit");
    }
}

/// `(key, value on a, value on b)`.
type Diff = Vec<(Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>)>;

fn brute_diff(a: &State, b: &State) -> Diff {
    let keys: std::collections::BTreeSet<_> = a.keys().chain(b.keys()).cloned().collect();
    keys.into_iter()
        .filter_map(|k| {
            let (x, y) = (a.get(&k).cloned(), b.get(&k).cloned());
            (x != y).then_some((k, x, y))
        })
        .collect()
}

fn check_diff(s: &Storage, a: BranchId, b: BranchId) {
    let got: Vec<_> =
        s.diff(a, b).expect("diff").into_iter().map(|d| (d.key, d.old, d.new)).collect();
    assert_eq!(got, brute_diff(&state(s, a, None), &state(s, b, None)), "diff {a:?} {b:?}");
}

#[test]
fn diff_and_merge_match_full_state_comparison() {
    for seed in 1..6u64 {
        for (_, engine) in common::engines() {
            let s = Storage::with_engine(engine, Default::default()).expect("open");
            let mut rng = Lcg(seed);
            churn(&s, BranchId::MAIN, &mut rng, "m");
            let dev = s.create_branch("dev", BranchId::MAIN, None).expect("branch");
            churn(&s, dev.id, &mut rng, "d");
            churn(&s, BranchId::MAIN, &mut rng, "M");
            let feat = s.create_branch("feat", dev.id, None).expect("branch");
            churn(&s, feat.id, &mut rng, "f");
            churn(&s, dev.id, &mut rng, "D");
            for (a, b) in [(BranchId::MAIN, dev.id), (dev.id, feat.id), (feat.id, BranchId::MAIN)] {
                check_diff(&s, a, b);
                check_diff(&s, b, a);
            }

            // The first merge of dev into main: three-way against main as of the fork.
            let base = state(&s, BranchId::MAIN, Some(dev.fork_ts));
            let (src, dst) = (state(&s, dev.id, None), state(&s, BranchId::MAIN, None));
            let keys: std::collections::BTreeSet<_> =
                base.keys().chain(src.keys()).chain(dst.keys()).cloned().collect();
            let mut want_applied = Vec::new();
            let mut want_conflicts = Vec::new();
            for k in keys {
                let (b, x, y) = (base.get(&k), src.get(&k), dst.get(&k));
                if x == b || x == y {
                    continue;
                }
                want_applied.push((k.clone(), x.cloned()));
                if y != b {
                    want_conflicts.push(k);
                }
            }
            let report = s.merge(dev.id, BranchId::MAIN, MergeStrategy::Theirs).expect("merge");
            assert_eq!(report.applied, want_applied, "seed {seed}");
            let conflicts: Vec<_> = report.conflicts.into_iter().map(|c| c.key).collect();
            assert_eq!(conflicts, want_conflicts, "seed {seed}");
            // After merging with Theirs, main reads as dev wherever dev changed something.
            check_diff(&s, BranchId::MAIN, dev.id);
            check_diff(&s, feat.id, BranchId::MAIN);
        }
    }
}
