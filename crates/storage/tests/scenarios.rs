//! Scenario tests: scripts in `tests/scenarios/*.txt` with their expected output.
//!
//! A script is a series of blocks. Each block is some commands, a line `---`, and the
//! output the commands print, ending at a blank line. Lines starting with `#` are
//! comments. State (transactions, clock, branches) carries over between the blocks of one
//! file. Every file starts on a fresh database with a manual clock.
//!
//! To regenerate the expected output after an intended change, run
//! `UPDATE_SCENARIOS=1 cargo test -p helios-storage --test scenarios` and review the diff.
//!
//! Commands (`tN` names a transaction, any name works):
//!
//! ```text
//! tN: begin [read_committed|repeatable_read] [read_only] [as_of=LABEL] [branch=NAME]
//! tN: get KEY              tN: put KEY=VALUE        tN: delete KEY
//! tN: scan [FROM..TO] [reverse] [limit=N]          (FROM/TO optional, TO exclusive)
//! tN: statement            (READ COMMITTED: new snapshot)
//!
//! A write of a key locked by another open transaction waits 5 ms, then fails with 55P03
//! (one thread runs every transaction, so the holder cannot end meanwhile).
//! tN: savepoint NAME       tN: rollback_to NAME
//! tN: commit [as LABEL]    tN: rollback
//! mark LABEL               (remember the current clock reading)
//! clock advance N(us|ms|s|m|h)
//! retention N(us|ms|s|m|h)
//! gc                       versions
//! branch create NAME [from=PARENT] [at=LABEL]      branch drop NAME
//! diff A B                 merge SRC into DST [fail|ours|theirs]
//! ```

mod common;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::Bound;
use std::path::Path;
use std::time::Duration;

use helios_common::{BranchId, Error, Result, Timestamp};
use helios_storage::{
    Isolation, LockWait, ManualClock, MergeStrategy, Savepoint, Storage, Transaction, TxnOptions,
};

struct Runner {
    storage: Storage,
    clock: ManualClock,
    txns: HashMap<String, Transaction>,
    savepoints: HashMap<(String, String), Savepoint>,
    labels: HashMap<String, Timestamp>,
}

fn show_err(e: &Error) -> String {
    match e.detail() {
        Some(d) => format!("ERROR {}: {} ({d})", e.sqlstate(), e.message()),
        None => format!("ERROR {}: {}", e.sqlstate(), e.message()),
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn opt(v: &Option<Vec<u8>>) -> String {
    v.as_deref().map_or("∅".to_string(), text)
}

fn duration(s: &str) -> Duration {
    let split = s.find(|c: char| !c.is_ascii_digit()).expect("duration unit");
    let n: u64 = s[..split].parse().expect("duration number");
    match &s[split..] {
        "us" => Duration::from_micros(n),
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        u => panic!("unknown unit {u}"),
    }
}

impl Runner {
    fn new(engine: std::sync::Arc<dyn helios_storage::kv::Engine>) -> Runner {
        let (storage, clock) = common::storage_with_clock(engine);
        Runner {
            storage,
            clock,
            txns: HashMap::new(),
            savepoints: HashMap::new(),
            labels: HashMap::new(),
        }
    }

    fn branch_id(&self, name: &str) -> Result<BranchId> {
        match self.storage.branch(name)? {
            Some(b) => Ok(b.id),
            None => Err(Error::new(
                helios_common::SqlState::UNDEFINED_OBJECT,
                format!("no branch {name}"),
            )),
        }
    }

    fn label(&self, l: &str) -> Timestamp {
        *self.labels.get(l).unwrap_or_else(|| panic!("unknown label {l}"))
    }

    fn txn(&mut self, name: &str) -> &mut Transaction {
        self.txns.get_mut(name).unwrap_or_else(|| panic!("no transaction {name}"))
    }

    fn run(&mut self, line: &str) -> Result<String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let Some(t) = words[0].strip_suffix(':') {
            return self.run_txn(t, &words[1..]);
        }
        match words.as_slice() {
            ["mark", label] => {
                self.labels.insert(label.to_string(), self.storage.now());
                Ok("ok".into())
            }
            ["clock", "advance", d] => {
                self.clock.advance(duration(d));
                Ok("ok".into())
            }
            ["retention", d] => self.storage.set_retention(duration(d)).map(|()| "ok".into()),
            ["gc"] => {
                let s = self.storage.gc()?;
                Ok(format!("removed={} kept={}", s.removed_versions, s.kept))
            }
            ["versions"] => Ok(common::count_keys(self.storage.engine(), &[0x01]).to_string()),
            ["branch", "create", name, rest @ ..] => {
                let mut parent = BranchId::MAIN;
                let mut at = None;
                for w in rest {
                    if let Some(p) = w.strip_prefix("from=") {
                        parent = self.branch_id(p)?;
                    } else if let Some(l) = w.strip_prefix("at=") {
                        at = Some(self.label(l));
                    }
                }
                self.storage.create_branch(name, parent, at).map(|_| "ok".into())
            }
            ["branch", "drop", name] => self.storage.drop_branch(name).map(|()| "ok".into()),
            ["diff", a, b] => {
                let d = self.storage.diff(self.branch_id(a)?, self.branch_id(b)?)?;
                let items: Vec<String> = d
                    .iter()
                    .map(|e| format!("{}: {} -> {}", text(&e.key), opt(&e.old), opt(&e.new)))
                    .collect();
                Ok(format!("[{}]", items.join(", ")))
            }
            ["merge", src, "into", dst, rest @ ..] => {
                let strategy = match rest.first() {
                    None | Some(&"fail") => MergeStrategy::Fail,
                    Some(&"ours") => MergeStrategy::Ours,
                    Some(&"theirs") => MergeStrategy::Theirs,
                    Some(s) => panic!("unknown strategy {s}"),
                };
                let r = self.storage.merge(self.branch_id(src)?, self.branch_id(dst)?, strategy)?;
                let applied: Vec<String> =
                    r.applied.iter().map(|(k, v)| format!("{}={}", text(k), opt(v))).collect();
                let conflicts: Vec<String> = r.conflicts.iter().map(|c| text(&c.key)).collect();
                Ok(format!("applied [{}] conflicts [{}]", applied.join(", "), conflicts.join(", ")))
            }
            _ => panic!("unknown command: {line}"),
        }
    }

    fn run_txn(&mut self, t: &str, words: &[&str]) -> Result<String> {
        match words {
            ["begin", rest @ ..] => {
                let mut o = TxnOptions::default();
                for w in rest {
                    match *w {
                        "read_committed" => o.isolation = Isolation::ReadCommitted,
                        "repeatable_read" => o.isolation = Isolation::RepeatableRead,
                        "read_only" => o.read_only = true,
                        w if w.starts_with("as_of=") => o.as_of = Some(self.label(&w[6..])),
                        w if w.starts_with("branch=") => o.branch = self.branch_id(&w[7..])?,
                        w => panic!("unknown begin option {w}"),
                    }
                }
                let mut txn = self.storage.begin(o)?;
                // One thread runs every transaction: a write that would wait for another
                // open transaction's lock shows as a lock timeout instead.
                txn.set_lock_wait(LockWait {
                    timeout: Some(Duration::from_millis(5)),
                    cancel: None,
                });
                self.txns.insert(t.to_string(), txn);
                Ok("ok".into())
            }
            ["get", k] => Ok(opt(&self.txn(t).get(k.as_bytes())?)),
            ["put", kv] => {
                let (k, v) = kv.split_once('=').expect("put KEY=VALUE");
                self.txn(t).put(k.as_bytes(), v.as_bytes()).map(|()| "ok".into())
            }
            ["delete", k] => self.txn(t).delete(k.as_bytes()).map(|()| "ok".into()),
            ["scan", rest @ ..] => {
                let (mut range, mut reverse, mut limit) =
                    ((Bound::Unbounded, Bound::Unbounded), false, usize::MAX);
                for w in rest {
                    if *w == "reverse" {
                        reverse = true;
                    } else if let Some(n) = w.strip_prefix("limit=") {
                        limit = n.parse().expect("limit");
                    } else if let Some((a, b)) = w.split_once("..") {
                        let bound = |s: &str, f: fn(Vec<u8>) -> Bound<Vec<u8>>| {
                            if s.is_empty() {
                                Bound::Unbounded
                            } else {
                                f(s.as_bytes().to_vec())
                            }
                        };
                        range = (bound(a, Bound::Included), bound(b, Bound::Excluded));
                    }
                }
                let rows = self.txn(t).scan(range, reverse, limit)?;
                let items: Vec<String> =
                    rows.iter().map(|(k, v)| format!("{}={}", text(k), text(v))).collect();
                Ok(format!("[{}]", items.join(", ")))
            }
            ["statement"] => {
                self.txn(t).new_statement();
                Ok("ok".into())
            }
            ["savepoint", name] => {
                let sp = self.txn(t).savepoint();
                self.savepoints.insert((t.to_string(), name.to_string()), sp);
                Ok("ok".into())
            }
            ["rollback_to", name] => {
                let sp = self.savepoints[&(t.to_string(), name.to_string())];
                self.txn(t).rollback_to(sp).map(|()| "ok".into())
            }
            ["commit", rest @ ..] => {
                let txn = self.txns.remove(t).expect("transaction");
                let info = txn.commit()?;
                if let ["as", label] = rest {
                    self.labels.insert(label.to_string(), info.commit_ts);
                }
                Ok("ok".into())
            }
            ["rollback"] => {
                self.txns.remove(t).expect("transaction").rollback();
                Ok("ok".into())
            }
            _ => panic!("unknown transaction command: {words:?}"),
        }
    }
}

/// Runs one script; returns the file text with actual outputs.
fn run_script(input: &str, engine: std::sync::Arc<dyn helios_storage::kv::Engine>) -> String {
    let mut runner = Runner::new(engine);
    let mut out = String::new();
    let mut lines = input.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim().is_empty() || line.starts_with('#') {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut commands = vec![line];
        for l in lines.by_ref() {
            if l == "---" {
                break;
            }
            commands.push(l);
        }
        while lines.peek().is_some_and(|l| !l.trim().is_empty()) {
            lines.next();
        }
        let mut results = String::new();
        for c in &commands {
            out.push_str(c);
            out.push('\n');
            if c.starts_with('#') {
                continue;
            }
            let r = runner.run(c).unwrap_or_else(|e| show_err(&e));
            let _ = writeln!(results, "{c} → {r}");
        }
        out.push_str("---\n");
        out.push_str(&results);
    }
    out
}

#[test]
fn scenarios() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let update = std::env::var("UPDATE_SCENARIOS").is_ok_and(|v| v == "1");
    let mut files: Vec<_> =
        std::fs::read_dir(&dir).expect("scenario dir").map(|e| e.expect("entry").path()).collect();
    files.sort();
    let mut failures = Vec::new();
    let mut count = 0;
    for path in files.iter().filter(|p| p.extension().is_some_and(|e| e == "txt")) {
        count += 1;
        let input = std::fs::read_to_string(path).expect("read scenario");
        let mut expected = input.clone();
        for (i, (engine_name, engine)) in common::engines().into_iter().enumerate() {
            let actual = run_script(&input, engine);
            if update && i == 0 {
                // The first engine defines the output; every other engine must match it.
                std::fs::write(path, &actual).expect("write scenario");
                expected = actual;
            } else if actual != expected {
                failures.push(format!(
                    "{} on {engine_name}:\n--- expected\n{expected}\n--- actual\n{actual}",
                    path.display()
                ));
            }
        }
    }
    assert!(count >= 8, "expected the scenario files, found {count}");
    assert!(
        failures.is_empty(),
        "scenarios differ (UPDATE_SCENARIOS=1 regenerates):\n{}",
        failures.join("\n")
    );
}
