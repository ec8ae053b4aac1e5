//! Retention and garbage collection with an injected clock.

mod common;

use std::time::Duration;

use helios_common::{BranchId, SqlState, Timestamp};
use helios_storage::{Storage, TxnOptions};

fn put(s: &Storage, branch: BranchId, k: &str, v: Option<&str>) -> Timestamp {
    let mut t = s.begin(TxnOptions { branch, ..TxnOptions::default() }).expect("begin");
    match v {
        Some(v) => t.put(k.as_bytes(), v.as_bytes()).expect("put"),
        None => t.delete(k.as_bytes()).expect("delete"),
    }
    t.commit().expect("commit").commit_ts
}

fn get_at(s: &Storage, branch: BranchId, k: &str, at: Option<Timestamp>) -> Option<String> {
    let t = s.begin(TxnOptions { branch, as_of: at, ..TxnOptions::default() }).expect("begin");
    t.get(k.as_bytes()).expect("get").map(|v| String::from_utf8(v).expect("utf8"))
}

const DATA: &[u8] = &[0x01];
const MIN: Duration = Duration::from_secs(60);

#[test]
fn superseded_versions_go_after_the_horizon_current_data_stays() {
    for (_, engine) in common::engines() {
        let (s, clock) = common::storage_with_clock(engine.clone());
        s.set_retention(10 * MIN).expect("retention");
        for i in 0..50 {
            put(&s, BranchId::MAIN, &format!("static{i:02}"), Some("x"));
        }
        let t1 = put(&s, BranchId::MAIN, "hot", Some("1"));
        clock.advance(MIN);
        let t2 = put(&s, BranchId::MAIN, "hot", Some("2"));
        clock.advance(MIN);
        let t3 = put(&s, BranchId::MAIN, "hot", Some("3"));
        let tg = put(&s, BranchId::MAIN, "gone", Some("x"));
        let t4 = put(&s, BranchId::MAIN, "gone", None);
        assert_eq!(common::count_keys(&engine, DATA), 50 + 3 + 2);

        // Inside the horizon nothing is collected and every version is readable.
        let stats = s.gc().expect("gc");
        assert_eq!(stats.removed_versions, 0);
        assert_eq!(get_at(&s, BranchId::MAIN, "hot", Some(t1)).as_deref(), Some("1"));
        assert_eq!(get_at(&s, BranchId::MAIN, "gone", Some(tg)).as_deref(), Some("x"));

        // Horizon between t2 and t3: v1 is garbage, v2 is the newest at or below it.
        clock.set(t2.0 + (10 * MIN).as_micros() as u64 + 1);
        let stats = s.gc().expect("gc");
        assert_eq!(stats.removed_versions, 1);
        assert_eq!(stats.examined, 1, "only queued versions are looked at, not the 50 static keys");
        assert_eq!(
            get_at(&s, BranchId::MAIN, "hot", Some(Timestamp(t2.0 + 1))).as_deref(),
            Some("2")
        );
        let e =
            s.begin(TxnOptions { as_of: Some(t1), ..TxnOptions::default() }).expect_err("too old");
        assert_eq!(e.sqlstate(), SqlState::SNAPSHOT_TOO_OLD);

        // Far past everything: only current data remains; the deleted key leaves no trace.
        clock.advance(60 * MIN);
        let stats = s.gc().expect("gc");
        assert_eq!(stats.removed_versions, 3, "v2, the old value of gone, and its tombstone");
        assert!(stats.horizon > t4);
        assert_eq!(common::count_keys(&engine, DATA), 50 + 1);
        assert_eq!(get_at(&s, BranchId::MAIN, "hot", None).as_deref(), Some("3"));
        assert_eq!(get_at(&s, BranchId::MAIN, "gone", None), None);
        assert_eq!(get_at(&s, BranchId::MAIN, "static07", None).as_deref(), Some("x"));
        // Raising retention cannot bring collected history back.
        s.set_retention(1000 * MIN).expect("retention");
        let e = s
            .begin(TxnOptions { as_of: Some(t3), ..TxnOptions::default() })
            .expect_err("collected");
        assert_eq!(e.sqlstate(), SqlState::SNAPSHOT_TOO_OLD);
    }
}

#[test]
fn child_branch_fork_point_keeps_parent_versions() {
    for (_, engine) in common::engines() {
        let (s, clock) = common::storage_with_clock(engine.clone());
        s.set_retention(MIN).expect("retention");
        put(&s, BranchId::MAIN, "k", Some("at-fork"));
        let child = s.create_branch("child", BranchId::MAIN, None).expect("create").id;
        clock.advance(Duration::from_secs(1));
        put(&s, BranchId::MAIN, "k", Some("later"));
        put(&s, BranchId::MAIN, "k", Some("latest"));
        clock.advance(60 * MIN);
        let stats = s.gc().expect("gc");
        assert_eq!(stats.removed_versions, 1, "only 'later' is garbage");
        assert_eq!(stats.kept, 1, "'at-fork' is kept for the child");
        assert_eq!(get_at(&s, child, "k", None).as_deref(), Some("at-fork"));
        assert_eq!(get_at(&s, BranchId::MAIN, "k", None).as_deref(), Some("latest"));
        s.drop_branch("child").expect("drop");
        let stats = s.gc().expect("gc");
        assert_eq!(stats.removed_versions, 1, "freed once the child is gone");
        assert_eq!(common::count_keys(&engine, DATA), 1);
    }
}

#[test]
fn retention_is_persisted_and_time_travel_is_checked() {
    for (_, engine) in common::engines() {
        let (s, clock) = common::storage_with_clock(engine.clone());
        assert_eq!(s.retention(), helios_storage::DEFAULT_RETENTION);
        s.set_retention(5 * MIN).expect("retention");
        let t = put(&s, BranchId::MAIN, "k", Some("v"));
        clock.advance(6 * MIN);
        let e =
            s.begin(TxnOptions { as_of: Some(t), ..TxnOptions::default() }).expect_err("too old");
        assert_eq!(e.sqlstate().code(), "72000");
        assert!(e.message().contains("snapshot too old"), "{}", e.message());
        let e = s.create_branch("old", BranchId::MAIN, Some(t)).expect_err("too old");
        assert_eq!(e.sqlstate(), SqlState::SNAPSHOT_TOO_OLD);
        let future = Timestamp(s.now().0 + 1_000_000);
        let e = s
            .begin(TxnOptions { as_of: Some(future), ..TxnOptions::default() })
            .expect_err("future");
        assert_eq!(e.sqlstate(), SqlState::INVALID_PARAMETER_VALUE);
        drop(s);
        let s = Storage::with_engine(engine, Default::default()).expect("reopen");
        assert_eq!(s.retention(), 5 * MIN, "persisted value wins over the default option");
    }
}

#[test]
fn background_collector_removes_garbage() {
    for (_, engine) in common::engines() {
        let (s, clock) = common::storage_with_clock(engine.clone());
        s.set_retention(MIN).expect("retention");
        put(&s, BranchId::MAIN, "k", Some("1"));
        put(&s, BranchId::MAIN, "k", Some("2"));
        clock.advance(2 * MIN);
        let worker = s.spawn_gc(Duration::from_millis(1)).expect("spawn");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while common::count_keys(&engine, DATA) > 1 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        assert_eq!(common::count_keys(&engine, DATA), 1);
        assert!(worker.last_result().expect("ran").is_ok());
        drop(worker);
        assert_eq!(get_at(&s, BranchId::MAIN, "k", None).as_deref(), Some("2"));
    }
}

#[test]
fn merge_base_versions_survive_gc() {
    for (_, engine) in common::engines() {
        let (s, clock) = common::storage_with_clock(engine);
        s.set_retention(MIN).expect("retention");
        put(&s, BranchId::MAIN, "k", Some("1"));
        let dev = s.create_branch("dev", BranchId::MAIN, None).expect("create").id;
        put(&s, dev, "k", Some("d1"));
        s.merge(dev, BranchId::MAIN, helios_storage::MergeStrategy::Fail).expect("merge");
        clock.advance(Duration::from_secs(1));
        put(&s, dev, "k", Some("d2"));
        put(&s, dev, "k", Some("d3"));
        clock.advance(60 * MIN);
        let stats = s.gc().expect("gc");
        assert_eq!(stats.removed_versions, 1, "d2 is garbage; d1 is the recorded merge base");
        let r =
            s.merge(dev, BranchId::MAIN, helios_storage::MergeStrategy::Fail).expect("no conflict");
        assert_eq!(r.applied, vec![(b"k".to_vec(), Some(b"d3".to_vec()))]);
        assert_eq!(get_at(&s, BranchId::MAIN, "k", None).as_deref(), Some("d3"));
    }
}

/// The change-index entries of `branch` (one per commit and chunk).
fn change_entries(engine: &std::sync::Arc<dyn helios_storage::kv::Engine>, b: BranchId) -> usize {
    let mut prefix = vec![0x05];
    prefix.extend_from_slice(&b.0.to_be_bytes());
    common::count_keys(engine, &prefix)
}

#[test]
fn gc_drops_the_change_index_below_the_horizon_and_every_fork_point() {
    for (name, engine) in common::engines() {
        let (s, clock) = common::storage_with_clock(engine.clone());
        s.set_retention(10 * MIN).expect("retention");
        for i in 0..20 {
            put(&s, BranchId::MAIN, &format!("old{i:02}"), Some("x"));
        }
        clock.advance(MIN);
        let dev = s.create_branch("dev", BranchId::MAIN, None).expect("branch").id;
        clock.advance(MIN);
        for i in 0..10 {
            put(&s, BranchId::MAIN, &format!("new{i:02}"), Some("main"));
        }
        for i in 0..5 {
            put(&s, dev, &format!("dev{i:02}"), Some("dev"));
        }
        put(&s, dev, "old03", Some("changed on dev"));
        assert_eq!(change_entries(&engine, BranchId::MAIN), 30, "{name}");
        assert_eq!(change_entries(&engine, dev), 6, "{name}");
        let diff_before = s.diff(BranchId::MAIN, dev).expect("diff");
        assert_eq!(diff_before.len(), 10 + 5 + 1, "{name}");

        // Inside the retention window nothing goes.
        assert_eq!(s.gc().expect("gc").removed_changes, 0, "{name}");
        assert_eq!(change_entries(&engine, BranchId::MAIN), 30, "{name}");

        // Past the horizon, main's entries up to dev's fork point go; the later ones (which
        // diff and merge with dev read) and dev's own stay.
        clock.advance(60 * MIN);
        let stats = s.gc().expect("gc");
        assert_eq!(stats.removed_changes, 20, "{name}");
        assert_eq!(change_entries(&engine, BranchId::MAIN), 10, "{name}");
        assert_eq!(change_entries(&engine, dev), 6, "{name}");
        assert_eq!(s.diff(BranchId::MAIN, dev).expect("diff"), diff_before, "{name}");
        let merged =
            s.merge(dev, BranchId::MAIN, helios_storage::MergeStrategy::Fail).expect("merge");
        assert_eq!(merged.applied.len(), 6, "{name}");
        assert!(s
            .diff(BranchId::MAIN, dev)
            .expect("diff")
            .iter()
            .all(|d| d.key.starts_with(b"new")));

        // Once dev is dropped and the horizon passes the merge, main keeps no entries.
        s.drop_branch("dev").expect("drop");
        assert_eq!(change_entries(&engine, dev), 0, "{name}");
        clock.advance(60 * MIN);
        s.gc().expect("gc");
        assert_eq!(change_entries(&engine, BranchId::MAIN), 0, "{name}");
        // A branch created afterwards still diffs and merges correctly.
        let fix = s.create_branch("fix", BranchId::MAIN, None).expect("branch").id;
        put(&s, fix, "old05", Some("fixed"));
        let d = s.diff(BranchId::MAIN, fix).expect("diff");
        assert_eq!(d.len(), 1, "{name}");
        assert_eq!(d[0].key, b"old05");
    }
}
