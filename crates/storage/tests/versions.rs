//! `Storage::versions` and `Storage::commits`: version history across a branch chain.

use std::ops::Bound;

use helios_common::BranchId;
use helios_storage::{Storage, TxnOptions};

fn write(
    s: &Storage,
    branch: BranchId,
    key: &[u8],
    value: Option<&[u8]>,
) -> helios_storage::CommitInfo {
    let mut t = s.begin(TxnOptions { branch, ..TxnOptions::default() }).expect("begin");
    match value {
        Some(v) => t.put(key, v).expect("put"),
        None => t.delete(key).expect("delete"),
    }
    t.commit().expect("commit")
}

#[test]
fn lists_every_version_with_its_transaction_and_previous_value() {
    let s = Storage::open_memory().expect("open");
    let all = (Bound::Unbounded, Bound::Unbounded);
    let c1 = write(&s, BranchId::MAIN, b"a", Some(b"1"));
    let c2 = write(&s, BranchId::MAIN, b"a", Some(b"2"));
    write(&s, BranchId::MAIN, b"b", Some(b"x"));
    let dev = s.create_branch("dev", BranchId::MAIN, None).expect("branch");
    let c4 = write(&s, dev.id, b"a", None);
    write(&s, BranchId::MAIN, b"a", Some(b"main-only"));

    let v = s.versions(dev.id, &all, c1.commit_ts, s.now()).expect("versions");
    let a: Vec<_> = v.iter().filter(|r| r.key == b"a").collect();
    assert_eq!(a.len(), 3, "{v:?}");
    assert_eq!((a[0].value.as_deref(), a[0].previous.as_deref()), (Some(&b"1"[..]), None));
    assert_eq!(a[0].txn, Some(c1.txn_id));
    assert_eq!(
        (a[1].value.as_deref(), a[1].previous.as_deref()),
        (Some(&b"2"[..]), Some(&b"1"[..]))
    );
    assert_eq!(a[2].value, None);
    assert_eq!(a[2].previous.as_deref(), Some(&b"2"[..]));
    assert_eq!(a[2].txn, Some(c4.txn_id));

    // A window starting after the first write leaves it out.
    let later = s.versions(BranchId::MAIN, &all, c2.commit_ts, s.now()).expect("versions");
    assert_eq!(later.iter().filter(|r| r.key == b"a").count(), 2);

    let commits = s.commits(c1.commit_ts, c2.commit_ts).expect("commits");
    assert_eq!(commits.iter().map(|c| c.txn).collect::<Vec<_>>(), vec![c1.txn_id, c2.txn_id]);
}
