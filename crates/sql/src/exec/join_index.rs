//! The build side of a hash join, indexed by join key: which build rows match a probe
//! row.
//!
//! A single integer key (both sides `smallint`/`integer`/`bigint`, the usual foreign
//! key) is indexed by its `i64` value: a plain array over the key range when the keys are
//! dense (an id column), else a hash map; rows sharing a key are chained. Other keys use
//! a [`KeyTable`] of value lists. Either way a probe allocates nothing and matches come
//! in build-row order.

use hashbrown::HashMap;
use helios_common::{Error, Result};
use helios_types::{DataType, Value};

use super::context::{ExecCtx, Row};
use super::keyed::{KeyExprs, KeyTable};
use crate::expr::Expr;

/// End of a chain of build rows.
const END: u32 = u32::MAX;

/// Build rows by join key.
#[derive(Debug)]
pub struct JoinIndex<'e> {
    probe: KeyExprs<'e>,
    lookup: Lookup,
}

#[derive(Debug)]
enum Lookup {
    /// One integer key: the first build row of each key, each row's successor, and how
    /// many rows have a key.
    Int { heads: IntHeads, next: Vec<u32>, keyed: usize },
    /// Any keys.
    Keys(KeyTable<Vec<usize>>),
}

/// The first build row of each integer key.
#[derive(Debug)]
enum IntHeads {
    /// `heads[key - min]`, for keys spanning a small range.
    Dense { min: i64, heads: Vec<u32> },
    /// Keys spread wide.
    Hashed(HashMap<i64, u32>),
}

impl IntHeads {
    fn get(&self, key: i64) -> u32 {
        match self {
            IntHeads::Dense { min, heads } => key
                .checked_sub(*min)
                .and_then(|off| usize::try_from(off).ok())
                .and_then(|off| heads.get(off).copied())
                .unwrap_or(END),
            IntHeads::Hashed(map) => map.get(&key).copied().unwrap_or(END),
        }
    }

    fn slot(&mut self, key: i64) -> Result<&mut u32> {
        match self {
            IntHeads::Dense { min, heads } => key
                .checked_sub(*min)
                .and_then(|off| usize::try_from(off).ok())
                .and_then(|off| heads.get_mut(off))
                .ok_or_else(|| Error::internal("join key outside its dense range")),
            IntHeads::Hashed(map) => Ok(map.entry(key).or_insert(END)),
        }
    }
}

/// An integer key value (`None` for NULL).
fn int_key(v: &Value) -> Result<Option<i64>> {
    match v {
        Value::Null => Ok(None),
        Value::Int8(x) => Ok(Some(*x)),
        Value::Int4(x) => Ok(Some(i64::from(*x))),
        Value::Int2(x) => Ok(Some(i64::from(*x))),
        other => Err(Error::internal(format!("integer join key is {}", other.data_type()))),
    }
}

fn is_int(t: &DataType) -> bool {
    matches!(t, DataType::Int2 | DataType::Int4 | DataType::Int8)
}

impl<'e> JoinIndex<'e> {
    /// Indexes `rows` (the build side, `widths.1` columns) by the right expressions of
    /// `equi`; probe rows (`widths.0` columns) are keyed by the left ones. Rows with a
    /// NULL key are left out (they match nothing).
    pub fn build(
        ctx: &ExecCtx<'_>,
        rows: &[Row],
        equi: &'e [(Expr, Expr)],
        widths: (usize, usize),
        outer: &[Value],
    ) -> Result<JoinIndex<'e>> {
        let probe = KeyExprs::new(equi.iter().map(|(le, _)| le), widths.0);
        let mut build = KeyExprs::new(equi.iter().map(|(_, re)| re), widths.1);
        let int = matches!(equi, [(l, r)] if is_int(&l.data_type()) && is_int(&r.data_type()));
        let lookup = if int && u32::try_from(rows.len()).is_ok_and(|n| n < END) {
            let mut keys: Vec<Option<i64>> = Vec::with_capacity(rows.len());
            for r in rows {
                build.load(ctx, r, outer)?;
                let v = build.values(r).next().unwrap_or(&Value::Null);
                keys.push(int_key(v)?);
            }
            int_lookup(&keys)?
        } else {
            let mut table: KeyTable<Vec<usize>> = KeyTable::default();
            for (ri, r) in rows.iter().enumerate() {
                build.load(ctx, r, outer)?;
                if build.has_null(r) {
                    continue;
                }
                let h = table.hash(build.values(r));
                match table.get_mut(h, &build, r) {
                    Some(list) => list.push(ri),
                    None => table.insert_new(h, build.to_owned(r), vec![ri]),
                }
            }
            Lookup::Keys(table)
        };
        Ok(JoinIndex { probe, lookup })
    }

    /// Whether no build row can match anything.
    pub fn is_empty(&self) -> bool {
        match &self.lookup {
            Lookup::Int { keyed, .. } => *keyed == 0,
            Lookup::Keys(t) => t.is_empty(),
        }
    }

    /// Puts into `out` (cleared first) the build rows matching `row`, in build order.
    pub fn probe(
        &mut self,
        ctx: &ExecCtx<'_>,
        row: &[Value],
        outer: &[Value],
        out: &mut Vec<usize>,
    ) -> Result<()> {
        out.clear();
        self.probe.load(ctx, row, outer)?;
        match &self.lookup {
            Lookup::Int { heads, next, .. } => {
                let v = self.probe.values(row).next().unwrap_or(&Value::Null);
                let Some(key) = int_key(v)? else { return Ok(()) };
                let mut at = heads.get(key);
                while at != END {
                    let i = at as usize;
                    out.push(i);
                    at = next.get(i).copied().unwrap_or(END);
                }
            }
            Lookup::Keys(table) => {
                if self.probe.has_null(row) {
                    return Ok(());
                }
                let h = table.hash(self.probe.values(row));
                if let Some(list) = table.get(h, &self.probe, row) {
                    out.extend_from_slice(list);
                }
            }
        }
        Ok(())
    }
}

/// The integer index of the build rows' keys (`None`: NULL, left out).
fn int_lookup(keys: &[Option<i64>]) -> Result<Lookup> {
    let present = keys.iter().flatten();
    let (min, max) = match (present.clone().min(), present.clone().max()) {
        (Some(a), Some(b)) => (*a, *b),
        _ => {
            let heads = IntHeads::Hashed(HashMap::new());
            return Ok(Lookup::Int { heads, next: Vec::new(), keyed: 0 });
        }
    };
    let count = present.count();
    // Dense when an array over the range costs at most a few entries per key.
    let span = i128::from(max) - i128::from(min) + 1;
    let dense_limit = 4 * count as i128 + 1024;
    let mut heads = if span <= dense_limit {
        let len = usize::try_from(span).map_err(|_| Error::internal("dense join key span"))?;
        IntHeads::Dense { min, heads: vec![END; len] }
    } else {
        IntHeads::Hashed(HashMap::with_capacity(count))
    };
    let mut next = vec![END; keys.len()];
    // Last row first, so that each chain lists its rows in build order.
    for (ri, key) in keys.iter().enumerate().rev() {
        let Some(key) = key else { continue };
        let head = heads.slot(*key)?;
        next[ri] = *head;
        *head = u32::try_from(ri).map_err(|_| Error::internal("too many build rows"))?;
    }
    Ok(Lookup::Int { heads, next, keyed: count })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The build rows chained under `key`.
    fn rows_of(lookup: &Lookup, key: i64) -> Vec<usize> {
        let Lookup::Int { heads, next, .. } = lookup else { panic!("not an integer index") };
        let mut out = Vec::new();
        let mut at = heads.get(key);
        while at != END {
            out.push(at as usize);
            at = next[at as usize];
        }
        out
    }

    fn is_dense(lookup: &Lookup) -> bool {
        matches!(lookup, Lookup::Int { heads: IntHeads::Dense { .. }, .. })
    }

    #[test]
    fn dense_keys_chain_duplicates_in_build_order() {
        let keys = [Some(5), Some(3), None, Some(5), Some(4), Some(5)];
        let l = int_lookup(&keys).expect("index");
        assert!(is_dense(&l));
        assert_eq!(rows_of(&l, 5), vec![0, 3, 5]);
        assert_eq!(rows_of(&l, 3), vec![1]);
        assert_eq!(rows_of(&l, 4), vec![4]);
        // Outside the range, below and above, and far away.
        assert!(rows_of(&l, 2).is_empty());
        assert!(rows_of(&l, 6).is_empty());
        assert!(rows_of(&l, i64::MIN).is_empty());
        assert!(rows_of(&l, i64::MAX).is_empty());
        let Lookup::Int { keyed, .. } = l else { panic!("not an integer index") };
        assert_eq!(keyed, 5);
    }

    #[test]
    fn spread_keys_are_hashed() {
        let keys = [Some(i64::MIN), Some(0), Some(i64::MAX), Some(0), Some(-7)];
        let l = int_lookup(&keys).expect("index");
        assert!(!is_dense(&l));
        assert_eq!(rows_of(&l, i64::MIN), vec![0]);
        assert_eq!(rows_of(&l, 0), vec![1, 3]);
        assert_eq!(rows_of(&l, i64::MAX), vec![2]);
        assert_eq!(rows_of(&l, -7), vec![4]);
        assert!(rows_of(&l, 1).is_empty());
    }

    #[test]
    fn only_null_keys_index_nothing() {
        let l = int_lookup(&[None, None]).expect("index");
        assert!(matches!(l, Lookup::Int { keyed: 0, .. }));
        assert!(rows_of(&l, 0).is_empty());
        assert!(int_key(&Value::Text("x".into())).is_err());
        assert_eq!(int_key(&Value::Int2(-3)).expect("int"), Some(-3));
    }
}
