//! Branches: isolation, reads through the fork point, diff, merge strategies, drop.

mod common;

use std::ops::Bound;

use helios_common::{BranchId, SqlState};
use helios_storage::{MergeStrategy, Storage, TxnOptions, MERGE_CONFLICT};

fn on(branch: BranchId) -> TxnOptions {
    TxnOptions { branch, ..TxnOptions::default() }
}

fn write(s: &Storage, branch: BranchId, kvs: &[(&str, Option<&str>)]) {
    let mut t = s.begin(on(branch)).expect("begin");
    for (k, v) in kvs {
        match v {
            Some(v) => t.put(k.as_bytes(), v.as_bytes()).expect("put"),
            None => t.delete(k.as_bytes()).expect("delete"),
        }
    }
    t.commit().expect("commit");
}

fn state(s: &Storage, branch: BranchId) -> Vec<(String, String)> {
    let t = s.begin(on(branch)).expect("begin");
    let rows = t.scan((Bound::Unbounded, Bound::Unbounded), false, usize::MAX).expect("scan");
    rows.into_iter()
        .map(|(k, v)| (String::from_utf8(k).expect("utf8"), String::from_utf8(v).expect("utf8")))
        .collect()
}

fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn writes_on_two_branches_are_isolated() {
    for (_, engine) in common::engines() {
        let s = Storage::with_engine(engine, Default::default()).expect("open");
        write(&s, BranchId::MAIN, &[("a", Some("1")), ("b", Some("1"))]);
        let x = s.create_branch("x", BranchId::MAIN, None).expect("create x").id;
        let y = s.create_branch("y", BranchId::MAIN, None).expect("create y").id;
        write(&s, x, &[("a", Some("x")), ("c", Some("x"))]);
        write(&s, y, &[("a", Some("y")), ("b", None)]);
        write(&s, BranchId::MAIN, &[("b", Some("main"))]);
        assert_eq!(state(&s, x), kv(&[("a", "x"), ("b", "1"), ("c", "x")]));
        assert_eq!(state(&s, y), kv(&[("a", "y")]));
        assert_eq!(state(&s, BranchId::MAIN), kv(&[("a", "1"), ("b", "main")]));
        // Branch of a branch reads through both ancestors.
        let z = s.create_branch("z", x, None).expect("create z").id;
        write(&s, x, &[("c", Some("later"))]);
        assert_eq!(state(&s, z), kv(&[("a", "x"), ("b", "1"), ("c", "x")]));
        assert_eq!(s.branches().expect("list").len(), 4);
        let zi = s.branch_by_id(z).expect("lookup").expect("exists");
        assert_eq!((zi.name.as_str(), zi.parent), ("z", Some(x)));
        let dup = s.create_branch("x", BranchId::MAIN, None).expect_err("duplicate");
        assert_eq!(dup.sqlstate(), SqlState::DUPLICATE_OBJECT);
    }
}

#[test]
fn branch_at_a_past_timestamp_sees_the_past() {
    for (_, engine) in common::engines() {
        let s = Storage::with_engine(engine, Default::default()).expect("open");
        write(&s, BranchId::MAIN, &[("k", Some("old"))]);
        let past = s.begin(TxnOptions::default()).expect("begin").read_ts();
        write(&s, BranchId::MAIN, &[("k", Some("new")), ("j", Some("new"))]);
        let b = s.create_branch("past", BranchId::MAIN, Some(past)).expect("create");
        assert_eq!(b.fork_ts, past);
        assert_eq!(state(&s, b.id), kv(&[("k", "old")]));
        assert_eq!(state(&s, BranchId::MAIN), kv(&[("j", "new"), ("k", "new")]));
    }
}

#[test]
fn non_conflicting_merge_applies_and_diff_lists_changes() {
    for (_, engine) in common::engines() {
        let s = Storage::with_engine(engine, Default::default()).expect("open");
        write(&s, BranchId::MAIN, &[("a", Some("1")), ("b", Some("1")), ("c", Some("1"))]);
        let dev = s.create_branch("dev", BranchId::MAIN, None).expect("create").id;
        write(&s, dev, &[("a", Some("dev")), ("b", None), ("d", Some("dev"))]);
        write(&s, BranchId::MAIN, &[("c", Some("main"))]);
        let diff = s.diff(BranchId::MAIN, dev).expect("diff");
        let keys: Vec<_> = diff.iter().map(|d| d.key.clone()).collect();
        assert_eq!(keys, vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec(), b"d".to_vec()]);
        assert_eq!(diff[1].old, Some(b"1".to_vec()));
        assert_eq!(diff[1].new, None);
        let report = s.merge(dev, BranchId::MAIN, MergeStrategy::Fail).expect("merge");
        assert!(report.conflicts.is_empty());
        assert_eq!(report.applied.len(), 3);
        assert!(report.commit.is_some());
        assert_eq!(state(&s, BranchId::MAIN), kv(&[("a", "dev"), ("c", "main"), ("d", "dev")]));
        // Merging again changes nothing: the same changes compare equal.
        let again = s.merge(dev, BranchId::MAIN, MergeStrategy::Fail).expect("merge again");
        assert!(again.applied.is_empty() && again.commit.is_none());
    }
}

#[test]
fn conflicting_merge_fail_ours_theirs() {
    for (_, engine) in common::engines() {
        let s = Storage::with_engine(engine, Default::default()).expect("open");
        write(&s, BranchId::MAIN, &[("a", Some("1")), ("b", Some("1")), ("c", Some("1"))]);
        let dev = s.create_branch("dev", BranchId::MAIN, None).expect("create").id;
        write(&s, dev, &[("a", Some("dev")), ("b", Some("dev")), ("n", Some("dev"))]);
        write(&s, BranchId::MAIN, &[("a", Some("main")), ("b", None), ("c", Some("main"))]);
        let before = state(&s, BranchId::MAIN);

        let err = s.merge(dev, BranchId::MAIN, MergeStrategy::Fail).expect_err("conflict");
        assert_eq!(err.sqlstate(), MERGE_CONFLICT);
        let detail = err.detail().expect("detail");
        assert!(detail.contains("\"a\"") && detail.contains("\"b\""), "{detail}");
        assert!(!detail.contains("\"n\"") && !detail.contains("\"c\""), "{detail}");
        assert_eq!(state(&s, BranchId::MAIN), before, "fail changes nothing");
        let preview = s.merge_preview(dev, BranchId::MAIN, MergeStrategy::Fail).expect("preview");
        let conflicts: Vec<_> = preview.conflicts.iter().map(|c| c.key.clone()).collect();
        assert_eq!(conflicts, vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(preview.conflicts[0].base, Some(b"1".to_vec()));
        assert_eq!(preview.conflicts[0].source, Some(b"dev".to_vec()));
        assert_eq!(preview.conflicts[0].target, Some(b"main".to_vec()));

        let ours = s.create_branch("ours", BranchId::MAIN, None).expect("create").id;
        let theirs = s.create_branch("theirs", BranchId::MAIN, None).expect("create").id;
        // Merging dev into a sibling: the base is main at the earlier fork (dev's).
        s.merge(dev, ours, MergeStrategy::Ours).expect("ours");
        s.merge(dev, theirs, MergeStrategy::Theirs).expect("theirs");
        assert_eq!(state(&s, ours), kv(&[("a", "main"), ("c", "main"), ("n", "dev")]));
        assert_eq!(
            state(&s, theirs),
            kv(&[("a", "dev"), ("b", "dev"), ("c", "main"), ("n", "dev")])
        );
        let r = s.merge(dev, BranchId::MAIN, MergeStrategy::Theirs).expect("theirs into main");
        assert_eq!(r.conflicts.len(), 2);
        assert_eq!(
            state(&s, BranchId::MAIN),
            kv(&[("a", "dev"), ("b", "dev"), ("c", "main"), ("n", "dev")])
        );
    }
}

#[test]
fn drop_frees_the_branch_keys_and_refuses_parents() {
    for (_, engine) in common::engines() {
        let s = Storage::with_engine(engine.clone(), Default::default()).expect("open");
        write(&s, BranchId::MAIN, &[("a", Some("1"))]);
        let data = [0x01u8];
        let before = common::count_keys(&engine, &data);
        let dev = s.create_branch("dev", BranchId::MAIN, None).expect("create").id;
        assert_eq!(common::count_keys(&engine, &data), before, "creating copies nothing");
        for i in 0..20u8 {
            write(&s, dev, &[("a", Some("x")), (&format!("k{i}"), Some("v"))]);
        }
        let prefix = helios_storage::mvcc::keys::branch_prefix(dev);
        assert_eq!(common::count_keys(&engine, &prefix), 40);
        let child = s.create_branch("child", dev, None).expect("create child");
        let err = s.drop_branch("dev").expect_err("has children");
        assert_eq!(err.sqlstate(), SqlState::DEPENDENT_OBJECTS_STILL_EXIST);
        let mut t = s.begin(on(child.id)).expect("begin");
        t.put(b"c", b"1").expect("put");
        s.drop_branch("child").expect("drop child");
        assert_eq!(t.commit().expect_err("branch gone").sqlstate(), SqlState::UNDEFINED_OBJECT);
        s.drop_branch("dev").expect("drop");
        assert_eq!(common::count_keys(&engine, &prefix), 0);
        assert_eq!(common::count_keys(&engine, &data), before);
        assert!(s.branch("dev").expect("lookup").is_none());
        assert_eq!(
            s.drop_branch("main").expect_err("main").sqlstate(),
            SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE
        );
        assert_eq!(state(&s, BranchId::MAIN), kv(&[("a", "1")]));
        // GC forgets the dropped branch's queue entries.
        s.gc().expect("gc");
    }
}

#[test]
fn registry_and_data_survive_reopen() {
    for (_, engine) in common::engines() {
        let s = Storage::with_engine(engine.clone(), Default::default()).expect("open");
        let dev = s.create_branch("dev", BranchId::MAIN, None).expect("create").id;
        write(&s, dev, &[("a", Some("dev"))]);
        let last = s.now();
        drop(s);
        let s = Storage::with_engine(engine, Default::default()).expect("reopen");
        assert_eq!(s.branch("dev").expect("lookup").map(|b| b.id), Some(dev));
        assert_eq!(state(&s, dev), kv(&[("a", "dev")]));
        let next = s.create_branch("next", BranchId::MAIN, None).expect("create");
        assert!(next.id.0 > dev.0, "ids are not reused");
        let mut t = s.begin(TxnOptions::default()).expect("begin");
        t.put(b"z", b"1").expect("put");
        assert!(t.commit().expect("commit").commit_ts > last, "clock never goes back");
    }
}

#[test]
fn repeated_merges_use_the_last_merge_as_base() {
    for (_, engine) in common::engines() {
        let s = Storage::with_engine(engine, Default::default()).expect("open");
        write(&s, BranchId::MAIN, &[("a", Some("1")), ("b", Some("1"))]);
        let dev = s.create_branch("dev", BranchId::MAIN, None).expect("create").id;
        write(&s, dev, &[("a", Some("dev"))]);
        s.merge(dev, BranchId::MAIN, MergeStrategy::Fail).expect("first merge");
        write(&s, BranchId::MAIN, &[("a", Some("main2"))]);
        write(&s, dev, &[("b", Some("dev"))]);
        // `a` changed on main since the merge, not on dev: no conflict, main keeps it.
        let r = s.merge(dev, BranchId::MAIN, MergeStrategy::Fail).expect("second merge");
        assert_eq!(r.applied, vec![(b"b".to_vec(), Some(b"dev".to_vec()))]);
        assert_eq!(state(&s, BranchId::MAIN), kv(&[("a", "main2"), ("b", "dev")]));
        // Both change `a` after the last merge: a real conflict.
        write(&s, dev, &[("a", Some("dev2"))]);
        let err = s.merge(dev, BranchId::MAIN, MergeStrategy::Fail).expect_err("conflict");
        assert_eq!(err.sqlstate(), MERGE_CONFLICT);
        // Merging back the other way takes main's changes made since the last merge.
        let mut t = s.begin(on(dev)).expect("begin");
        t.put(b"a", b"main2").expect("put");
        t.commit().expect("commit");
        write(&s, BranchId::MAIN, &[("c", Some("main"))]);
        let r = s.merge(BranchId::MAIN, dev, MergeStrategy::Fail).expect("merge back");
        assert_eq!(r.applied, vec![(b"c".to_vec(), Some(b"main".to_vec()))]);
        assert_eq!(state(&s, dev), kv(&[("a", "main2"), ("b", "dev"), ("c", "main")]));
    }
}
