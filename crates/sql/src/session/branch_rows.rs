//! The rows behind `SHOW BRANCHES` and the branch functions and views
//! (`helios_branches`, `helios_commits`, `helios_branch_diff`, `helios_merge_conflicts`):
//! storage keys decoded through the catalog into table names, keys and rows as text.
//!
//! Keys the SQL layer keeps as counters (catalog version, object id counter, sequence
//! values) and secondary index entries are not shown: they follow the rows.
//! Catalog records are shown as table `helios_catalog`, key `table <name>` (or view,
//! sequence, schema), with the record's JSON text as the row.

use std::sync::Arc;

use helios_common::{BranchId, Result, Timestamp};
use helios_storage::{MergeStrategy, TxnOptions};
use helios_types::{DataType, Value};

use super::branch::unknown_branch;
use super::time_travel::to_sql_timestamp;
use crate::catalog::{Catalog, TableDef};
use crate::encoding::keys;
use crate::engine::Engine;
use crate::exec::table_io::decode_row;

/// Columns of `SHOW BRANCHES` / `helios_branches`.
pub const BRANCH_COLUMNS: &[(&str, DataType)] = &[
    ("name", DataType::Text),
    ("parent", DataType::Text),
    ("fork_timestamp", DataType::TimestampTz),
    ("created_at", DataType::TimestampTz),
    ("changed_rows", DataType::Int8),
];

/// Columns of `helios_commits`.
pub const COMMIT_COLUMNS: &[(&str, DataType)] =
    &[("txid", DataType::Int8), ("commit_time", DataType::TimestampTz), ("branch", DataType::Text)];

/// Columns of `helios_branch_diff(a, b)`.
pub const DIFF_COLUMNS: &[(&str, DataType)] = &[
    ("table_name", DataType::Text),
    ("key", DataType::Text),
    ("change", DataType::Text),
    ("old_row", DataType::Text),
    ("new_row", DataType::Text),
];

/// Columns of `helios_merge_conflicts(src, dst)`.
pub const CONFLICT_COLUMNS: &[(&str, DataType)] = &[
    ("table_name", DataType::Text),
    ("key", DataType::Text),
    ("base", DataType::Text),
    ("ours", DataType::Text),
    ("theirs", DataType::Text),
];

/// Is `key` a table row (not an index entry)?
fn is_row_key(key: &[u8]) -> bool {
    key.first() == Some(&keys::DATA) && key.get(5..9) == Some(&[0, 0, 0, 0])
}

/// One row per branch: name, parent, fork timestamp, created at, rows it changed.
pub fn branch_rows(engine: &Engine) -> Result<Vec<Vec<Value>>> {
    let storage = &engine.storage;
    let all = storage.branches()?;
    let mut out = Vec::with_capacity(all.len());
    for b in &all {
        let parent = b
            .parent
            .and_then(|p| all.iter().find(|x| x.id == p))
            .map_or(Value::Null, |p| Value::Text(p.name.clone()));
        let changed = if b.parent.is_some() {
            Value::Int8(storage.count_own_keys(b.id, &|k| is_row_key(k))? as i64)
        } else {
            Value::Null
        };
        out.push(vec![
            Value::Text(b.name.clone()),
            parent,
            to_sql_timestamp(b.fork_ts),
            to_sql_timestamp(b.created_at),
            changed,
        ]);
    }
    out.sort_by(|a, b| a[0].to_pg_text().cmp(&b[0].to_pg_text()));
    Ok(out)
}

/// Commits still in the commit log within the retention window: txid, time, branch.
pub fn commit_rows(engine: &Engine) -> Result<Vec<Vec<Value>>> {
    let storage = &engine.storage;
    let all = storage.branches()?;
    let commits = storage.commits(storage.horizon(), Timestamp::MAX)?;
    Ok(commits
        .into_iter()
        .map(|c| {
            let branch = all
                .iter()
                .find(|b| b.id == c.branch)
                .map_or_else(|| format!("#{}", c.branch.0), |b| b.name.clone());
            vec![
                Value::Int8(i64::try_from(c.txn.0).unwrap_or(i64::MAX)),
                to_sql_timestamp(c.ts),
                Value::Text(branch),
            ]
        })
        .collect())
}

/// The catalog of `branch` now.
fn catalog_of(engine: &Engine, branch: BranchId) -> Result<Arc<Catalog>> {
    let txn =
        engine.storage.begin(TxnOptions { branch, read_only: true, ..TxnOptions::default() })?;
    let c = engine.catalogs.get(&txn);
    txn.rollback();
    c
}

fn branch_id(engine: &Engine, name: &str) -> Result<BranchId> {
    Ok(engine.storage.branch(name)?.ok_or_else(|| unknown_branch(name))?.id)
}

/// A value list as PostgreSQL shows a record: `(1,abc,)`.
fn record_text(values: &[Value]) -> String {
    let parts: Vec<String> = values
        .iter()
        .map(|v| match v {
            Value::Null => String::new(),
            v => {
                let t = v.to_pg_text();
                if t.is_empty() || t.contains([',', '(', ')', '"', ' ', '\\']) {
                    format!("\"{}\"", t.replace('\\', "\\\\").replace('"', "\\\""))
                } else {
                    t
                }
            }
        })
        .collect();
    format!("({})", parts.join(","))
}

/// What a storage key stands for, decoded with the catalogs of both sides.
struct Decoder {
    catalogs: Vec<Arc<Catalog>>,
}

/// One decoded key: table, key text, and a decoder for its values.
struct Decoded {
    table: String,
    key: String,
    /// The table id for rows; `None` for catalog records.
    table_id: Option<u32>,
}

impl Decoder {
    fn table(&self, id: u32) -> Option<&TableDef> {
        self.catalogs.iter().find_map(|c| c.table(id).map(|t| t.as_ref()))
    }

    /// The table's definition in catalog `side` (falling back to the others).
    fn table_on(&self, side: usize, id: u32) -> Option<&TableDef> {
        self.catalogs
            .get(side)
            .and_then(|c| c.table(id))
            .map(|t| t.as_ref())
            .or_else(|| self.table(id))
    }

    /// A value of `d` as text, decoded with the schema of catalog `side`.
    fn value_text(&self, d: &Decoded, side: usize, v: Option<&[u8]>) -> Value {
        match (v, d.table_id) {
            (None, _) => Value::Null,
            (Some(bytes), Some(id)) => {
                match self.table_on(side, id).map(|t| decode_row(t, bytes)) {
                    Some(Ok(row)) => Value::Text(record_text(&row)),
                    _ => Value::Text(hex(bytes)),
                }
            }
            (Some(bytes), None) => Value::Text(String::from_utf8_lossy(bytes).into_owned()),
        }
    }

    fn decode(&self, key: &[u8], any_value: Option<&[u8]>) -> Option<Decoded> {
        if is_row_key(key) {
            let id = u32::from_be_bytes([key[1], key[2], key[3], key[4]]);
            let def = self.table(id)?;
            let key_text = match (def.primary_key(), any_value) {
                (Some(pk), Some(v)) => match decode_row(def, v) {
                    Ok(row) => {
                        let vals: Vec<Value> =
                            pk.columns.iter().filter_map(|&i| row.get(i).cloned()).collect();
                        record_text(&vals)
                    }
                    Err(_) => hex(&key[9..]),
                },
                _ => hex(&key[9..]),
            };
            return Some(Decoded { table: def.name.clone(), key: key_text, table_id: Some(id) });
        }
        if key.first() == Some(&keys::CATALOG) && key.len() == 6 {
            let kind = match key[1] {
                2 => "schema",
                3 => "table",
                4 => "sequence",
                5 => "view",
                _ => return None,
            };
            let name = any_value
                .and_then(|v| serde_json::from_slice::<serde_json::Value>(v).ok())
                .and_then(|j| j.get("name").and_then(|n| n.as_str()).map(str::to_string))
                .unwrap_or_else(|| hex(&key[2..]));
            return Some(Decoded {
                table: "helios_catalog".into(),
                key: format!("{kind} {name}"),
                table_id: None,
            });
        }
        None
    }
}

fn hex(b: &[u8]) -> String {
    let mut s = String::from("\\x");
    for x in b {
        s.push_str(&format!("{x:02x}"));
    }
    s
}

/// `helios_branch_diff(a, b)`: rows whose latest values differ, as a change from `a` to `b`.
pub fn diff_rows(engine: &Engine, a: &str, b: &str) -> Result<Vec<Vec<Value>>> {
    let (ia, ib) = (branch_id(engine, a)?, branch_id(engine, b)?);
    let dec = Decoder { catalogs: vec![catalog_of(engine, ib)?, catalog_of(engine, ia)?] };
    let mut out = Vec::new();
    for e in engine.storage.diff(ia, ib)? {
        let Some(d) = dec.decode(&e.key, e.new.as_deref().or(e.old.as_deref())) else { continue };
        let change = match (&e.old, &e.new) {
            (None, _) => "insert",
            (_, None) => "delete",
            _ => "update",
        };
        out.push(vec![
            Value::Text(d.table.clone()),
            Value::Text(d.key.clone()),
            Value::Text(change.into()),
            dec.value_text(&d, 1, e.old.as_deref()),
            dec.value_text(&d, 0, e.new.as_deref()),
        ]);
    }
    Ok(out)
}

/// `helios_merge_conflicts(src, dst)`: rows a merge of `src` into `dst` finds changed on
/// both sides: table, key, base, ours (`dst`), theirs (`src`).
pub fn conflict_rows(engine: &Engine, src: BranchId, dst: BranchId) -> Result<Vec<Vec<Value>>> {
    let dec = Decoder { catalogs: vec![catalog_of(engine, dst)?, catalog_of(engine, src)?] };
    let report = engine.storage.merge_preview(src, dst, MergeStrategy::Ours)?;
    let mut out = Vec::new();
    for c in &report.conflicts {
        let any = c.target.as_deref().or(c.source.as_deref()).or(c.base.as_deref());
        let Some(d) = dec.decode(&c.key, any) else { continue };
        out.push(vec![
            Value::Text(d.table.clone()),
            Value::Text(d.key.clone()),
            dec.value_text(&d, 0, c.base.as_deref()),
            dec.value_text(&d, 0, c.target.as_deref()),
            dec.value_text(&d, 1, c.source.as_deref()),
        ]);
    }
    Ok(out)
}

/// [`conflict_rows`] by branch names.
pub fn conflict_rows_by_name(engine: &Engine, src: &str, dst: &str) -> Result<Vec<Vec<Value>>> {
    conflict_rows(engine, branch_id(engine, src)?, branch_id(engine, dst)?)
}
