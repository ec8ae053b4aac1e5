//! Hash tables keyed by lists of values under PostgreSQL equality (hash joins, hash
//! aggregation), probed without cloning the probing row's key values.
//!
//! A [`KeyExprs`] computes a row's key: plain column references are read in place,
//! other expressions are evaluated into a reused buffer. A [`KeyTable`] stores owned
//! keys and is probed with the hash and equality of [`helios_types::hash`], so a probe
//! allocates nothing; only a new entry clones its key.

use std::hash::{BuildHasher, Hasher};

use hashbrown::hash_table::HashTable;
use hashbrown::DefaultHashBuilder;
use helios_common::Result;
use helios_types::hash::hash_eq;
use helios_types::Value;

use super::context::ExecCtx;
use crate::expr::Expr;

/// Where one key value comes from.
#[derive(Debug)]
enum Source<'e> {
    /// A column of the input row.
    Column(usize),
    /// An expression evaluated into the buffer.
    Expr(&'e Expr),
}

/// The key expressions of one operator, with a buffer for computed values.
#[derive(Debug)]
pub struct KeyExprs<'e> {
    sources: Vec<Source<'e>>,
    computed: Vec<Value>,
}

impl<'e> KeyExprs<'e> {
    /// Key expressions over input rows of `width` columns.
    pub fn new(exprs: impl IntoIterator<Item = &'e Expr>, width: usize) -> KeyExprs<'e> {
        let sources: Vec<Source<'e>> = exprs
            .into_iter()
            .map(|e| match e {
                Expr::Column(i, _) if *i < width => Source::Column(*i),
                other => Source::Expr(other),
            })
            .collect();
        let computed = vec![Value::Null; sources.len()];
        KeyExprs { sources, computed }
    }

    /// Evaluates the computed key values of `row` (call before reading its key).
    pub fn load(&mut self, ctx: &ExecCtx<'_>, row: &[Value], outer: &[Value]) -> Result<()> {
        for (s, slot) in self.sources.iter().zip(&mut self.computed) {
            if let Source::Expr(e) = s {
                *slot = ctx.eval(e, row, outer)?;
            }
        }
        Ok(())
    }

    /// Key value `j` of the loaded row.
    fn value<'a>(&'a self, row: &'a [Value], j: usize) -> &'a Value {
        match self.sources[j] {
            Source::Column(i) => &row[i],
            Source::Expr(_) => &self.computed[j],
        }
    }

    /// Key values of the loaded row, in order.
    pub fn values<'a>(&'a self, row: &'a [Value]) -> impl Iterator<Item = &'a Value> + 'a {
        (0..self.sources.len()).map(move |j| self.value(row, j))
    }

    /// Whether a key value of the loaded row is NULL.
    pub fn has_null(&self, row: &[Value]) -> bool {
        self.values(row).any(Value::is_null)
    }

    /// The loaded row's key, cloned.
    pub fn to_owned(&self, row: &[Value]) -> Vec<Value> {
        self.values(row).cloned().collect()
    }
}

/// A hash table from keys (lists of values) to `V`.
#[derive(Debug)]
pub struct KeyTable<V> {
    table: HashTable<(Vec<Value>, V)>,
    hasher: DefaultHashBuilder,
}

impl<V> Default for KeyTable<V> {
    fn default() -> Self {
        KeyTable { table: HashTable::new(), hasher: DefaultHashBuilder::default() }
    }
}

impl<V> KeyTable<V> {
    /// The hash of a key.
    pub fn hash<'a>(&self, key: impl Iterator<Item = &'a Value>) -> u64 {
        let mut h = self.hasher.build_hasher();
        for v in key {
            v.hash_key(&mut h);
        }
        h.finish()
    }

    /// The entry of the loaded row's key.
    pub fn get_mut(&mut self, hash: u64, keys: &KeyExprs<'_>, row: &[Value]) -> Option<&mut V> {
        self.table
            .find_mut(hash, |(k, _)| k.iter().zip(keys.values(row)).all(|(a, b)| hash_eq(a, b)))
            .map(|(_, v)| v)
    }

    /// The entry of the loaded row's key.
    pub fn get(&self, hash: u64, keys: &KeyExprs<'_>, row: &[Value]) -> Option<&V> {
        self.table
            .find(hash, |(k, _)| k.iter().zip(keys.values(row)).all(|(a, b)| hash_eq(a, b)))
            .map(|(_, v)| v)
    }

    /// Adds a key that is not in the table yet.
    pub fn insert_new(&mut self, hash: u64, key: Vec<Value>, value: V) {
        let hasher = &self.hasher;
        self.table.insert_unique(hash, (key, value), |(k, _)| {
            let mut h = hasher.build_hasher();
            for v in k {
                v.hash_key(&mut h);
            }
            h.finish()
        });
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}
