//! The change feed: commits hand their change sets to subscribers, in commit order.

mod common;

use helios_common::BranchId;
use helios_storage::{Change, MergeStrategy, Storage, TxnOptions};

fn change(k: &str, old: Option<&str>, new: Option<&str>) -> Change {
    Change {
        key: k.as_bytes().to_vec(),
        old: old.map(|v| v.as_bytes().to_vec()),
        new: new.map(|v| v.as_bytes().to_vec()),
    }
}

#[test]
fn commits_and_merges_publish_change_sets_in_order() {
    for (_, engine) in common::engines() {
        let s = Storage::with_engine(engine, Default::default()).expect("open");
        let mut t = s.begin(TxnOptions::default()).expect("begin");
        t.put(b"a", b"1").expect("put");
        t.commit().expect("commit");
        let feed = s.subscribe();

        let mut t = s.begin(TxnOptions::default()).expect("begin");
        t.put(b"a", b"2").expect("put");
        t.put(b"b", b"1").expect("put");
        let c1 = t.commit().expect("commit");
        let dev = s.create_branch("dev", BranchId::MAIN, None).expect("create").id;
        let mut t = s.begin(TxnOptions { branch: dev, ..TxnOptions::default() }).expect("begin");
        let mut loser =
            s.begin(TxnOptions { branch: dev, ..TxnOptions::default() }).expect("begin");
        loser.set_lock_wait(helios_storage::LockWait {
            timeout: Some(std::time::Duration::from_millis(5)),
            cancel: None,
        });
        t.delete(b"a").expect("delete");
        loser.put(b"a", b"x").expect_err("locked");
        loser.put(b"b", b"x").expect("put");
        let c2 = t.commit().expect("commit");
        loser.put(b"a", b"x").expect_err("conflict");
        drop(loser);
        let merged = s.merge(dev, BranchId::MAIN, MergeStrategy::Fail).expect("merge");

        let sets: Vec<_> = feed.try_iter().collect();
        assert_eq!(sets.len(), 3, "the conflicting commit publishes nothing");
        assert_eq!(
            (sets[0].txn_id, sets[0].commit_ts, sets[0].branch),
            (c1.txn_id, c1.commit_ts, BranchId::MAIN)
        );
        assert_eq!(
            sets[0].changes,
            vec![change("a", Some("1"), Some("2")), change("b", None, Some("1"))]
        );
        assert_eq!(sets[1].commit_ts, c2.commit_ts);
        assert_eq!(sets[1].branch, dev);
        assert_eq!(
            sets[1].changes,
            vec![change("a", Some("2"), None)],
            "old value read through the parent"
        );
        assert_eq!(sets[2].commit_ts, merged.commit.expect("merge commit").commit_ts);
        assert_eq!(sets[2].changes, vec![change("a", Some("2"), None)]);
        drop(feed);
        let mut t = s.begin(TxnOptions::default()).expect("begin");
        t.put(b"c", b"1").expect("put");
        t.commit().expect("commit without subscribers");
    }
}
