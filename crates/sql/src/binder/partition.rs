//! Partition trees as statements use them: the partition key bound over the table's
//! row, bounds converted to the key's types, routing of a key to a partition, the
//! partition constraint of one partition, and the bound tests pruning and DDL share.
//!
//! The stored form is in [`crate::catalog::partition`]; this module turns it into
//! typed values once per statement (the catalog is cached, so a statement on a plain
//! table never comes here: callers ask [`Catalog::is_partitioned`] first).
//!
//! Range bounds compare as PostgreSQL's row comparison with `MINVALUE` below and
//! `MAXVALUE` above every value; a row whose range key holds a NULL belongs only to
//! the default partition. A list partition takes a NULL key when its list holds NULL.
//! Hash partitions take a key whose [`hash_key`] modulo the modulus equals the
//! remainder, computed as PostgreSQL does for integers, booleans, text and bytea, so
//! rows land in the same hash partitions as there.

use std::cmp::Ordering;
use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};

use super::Binder;
use crate::catalog::{
    BoundDatum, Catalog, PartitionBound, PartitionKey, PartitionStrategy, TableDef,
};
use crate::expr::{Expr, SessionInfo};

/// A partition key bound over its table's row.
#[derive(Debug, Clone)]
pub struct BoundKey {
    /// RANGE, LIST or HASH.
    pub strategy: PartitionStrategy,
    /// One expression per key item, over the table row.
    pub exprs: Vec<Expr>,
    /// The column each item reads when it is a plain column.
    pub columns: Vec<Option<usize>>,
    /// The items' types.
    pub types: Vec<DataType>,
    /// The items as SQL text (for messages).
    pub texts: Vec<String>,
}

/// One value of a typed range bound.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum {
    /// Below every value.
    Min,
    /// Above every value.
    Max,
    /// A value of the key item's type.
    Val(Value),
}

/// A bound with values of the key's types.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedBound {
    /// `[lo, hi)` in row comparison order.
    Range {
        /// Lower bound (included).
        lo: Vec<Datum>,
        /// Upper bound (excluded).
        hi: Vec<Datum>,
    },
    /// The listed values; `null` when NULL is listed.
    List {
        /// The non-NULL values.
        values: Vec<Value>,
        /// NULL is listed.
        null: bool,
    },
    /// `hash % modulus == remainder`.
    Hash {
        /// Modulus.
        modulus: u64,
        /// Remainder.
        remainder: u64,
    },
    /// Whatever no sibling takes.
    Default,
}

/// A partitioned table with its partitions, bounds typed.
#[derive(Debug, Clone)]
pub struct PartTree {
    /// The partitioned table.
    pub table: Arc<TableDef>,
    /// Its key.
    pub key: BoundKey,
    /// The partitions in bound order (the default partition last).
    pub children: Vec<PartNode>,
}

/// One partition of a [`PartTree`].
#[derive(Debug, Clone)]
pub struct PartNode {
    /// The partition.
    pub table: Arc<TableDef>,
    /// Its bound.
    pub bound: TypedBound,
    /// Its own partitions when it is partitioned too.
    pub sub: Option<PartTree>,
}

/// What one level of the partition tree demands of a partition's rows: its bound
/// under its parent's key, and for a default partition the bounds of its siblings.
#[derive(Debug, Clone)]
pub struct BoundLevel {
    /// The parent's key (over the partition's row, which has the parent's columns).
    pub key: BoundKey,
    /// The partition's bound.
    pub bound: TypedBound,
    /// For a default partition: the siblings' bounds, none of which may take the row.
    pub siblings: Vec<TypedBound>,
}

/// The partition constraint of a partition: every level from it up to the root.
#[derive(Debug, Clone)]
pub struct PartitionCheck {
    /// The partition's name (for messages).
    pub table: String,
    /// Its levels, nearest first.
    pub levels: Vec<BoundLevel>,
}

/// Binds a partition key over `table`'s row.
pub fn bind_key(
    catalog: &Catalog,
    info: &SessionInfo,
    table: &TableDef,
    key: &PartitionKey,
) -> Result<BoundKey> {
    let fields = super::table_row_fields(table);
    let mut out = BoundKey {
        strategy: key.strategy,
        exprs: Vec::new(),
        columns: Vec::new(),
        types: Vec::new(),
        texts: Vec::new(),
    };
    for item in &key.items {
        let ast = crate::parser::parse_expr(item)?;
        let mut binder = Binder::new(catalog, info, Vec::new());
        let e = binder.bind_scalar(&ast, &fields, Some("partition key expressions"))?;
        out.columns.push(match &e {
            Expr::Column(i, _) => Some(*i),
            _ => None,
        });
        out.types.push(e.data_type());
        out.exprs.push(e);
        out.texts.push(item.clone());
    }
    Ok(out)
}

/// Converts a bound's text values to the key's types.
pub fn typed_bound(bound: &PartitionBound, types: &[DataType]) -> Result<TypedBound> {
    let val = |text: &str, ty: &DataType| Value::Text(text.to_string()).cast(ty);
    Ok(match bound {
        PartitionBound::Range { from, to } => {
            let conv = |ds: &[BoundDatum]| -> Result<Vec<Datum>> {
                ds.iter()
                    .zip(types)
                    .map(|(d, ty)| {
                        Ok(match d {
                            BoundDatum::MinValue => Datum::Min,
                            BoundDatum::MaxValue => Datum::Max,
                            BoundDatum::Value(v) => Datum::Val(val(v, ty)?),
                        })
                    })
                    .collect()
            };
            TypedBound::Range { lo: conv(from)?, hi: conv(to)? }
        }
        PartitionBound::List { values } => {
            let ty = types.first().ok_or_else(|| Error::internal("list key without column"))?;
            let mut out = Vec::new();
            let mut null = false;
            for v in values {
                match v {
                    None => null = true,
                    Some(v) => out.push(val(v, ty)?),
                }
            }
            TypedBound::List { values: out, null }
        }
        PartitionBound::Hash { modulus, remainder } => {
            TypedBound::Hash { modulus: *modulus, remainder: *remainder }
        }
        PartitionBound::Default => TypedBound::Default,
    })
}

/// Compares a key with a range bound (row comparison; MINVALUE/MAXVALUE end it).
pub fn cmp_key_bound(key: &[Value], bound: &[Datum]) -> Ordering {
    for (k, b) in key.iter().zip(bound) {
        match b {
            Datum::Min => return Ordering::Greater,
            Datum::Max => return Ordering::Less,
            Datum::Val(v) => match k.pg_cmp(v) {
                Some(Ordering::Equal) => {}
                Some(o) => return o,
                None => return Ordering::Less,
            },
        }
    }
    Ordering::Equal
}

/// Compares two range bounds.
pub fn cmp_bounds(a: &[Datum], b: &[Datum]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x, y) {
            (Datum::Min, Datum::Min) | (Datum::Max, Datum::Max) => Ordering::Equal,
            (Datum::Min, _) | (_, Datum::Max) => Ordering::Less,
            (Datum::Max, _) | (_, Datum::Min) => Ordering::Greater,
            (Datum::Val(p), Datum::Val(q)) => p.pg_cmp(q).unwrap_or(Ordering::Equal),
        };
        if o.is_ne() {
            return o;
        }
        // After MINVALUE or MAXVALUE the remaining columns do not matter.
        if matches!(x, Datum::Min | Datum::Max) {
            return Ordering::Equal;
        }
    }
    Ordering::Equal
}

/// The hash deciding a key's hash partition: PostgreSQL's (see [`super::partition_hash`]).
/// Stored rows depend on it: it must never change.
pub fn hash_key(values: &[Value]) -> u64 {
    super::partition_hash::partition_hash(values)
}

impl TypedBound {
    /// Whether a key belongs to this (non-default) bound.
    pub fn contains(&self, key: &[Value]) -> bool {
        match self {
            TypedBound::Range { lo, hi } => {
                !key.iter().any(Value::is_null)
                    && cmp_key_bound(key, lo).is_ge()
                    && cmp_key_bound(key, hi).is_lt()
            }
            TypedBound::List { values, null } => match key.first() {
                Some(Value::Null) | None => *null,
                Some(k) => values.iter().any(|v| k.pg_eq(v)),
            },
            TypedBound::Hash { modulus, remainder } => {
                *modulus > 0 && hash_key(key) % modulus == *remainder
            }
            TypedBound::Default => false,
        }
    }

    /// Whether two bounds of siblings take a common key.
    pub fn overlaps(&self, other: &TypedBound) -> bool {
        match (self, other) {
            (TypedBound::Range { lo: a, hi: b }, TypedBound::Range { lo: c, hi: d }) => {
                cmp_bounds(a, d).is_lt() && cmp_bounds(c, b).is_lt()
            }
            (
                TypedBound::List { values: a, null: n1 },
                TypedBound::List { values: b, null: n2 },
            ) => (*n1 && *n2) || a.iter().any(|x| b.iter().any(|y| x.pg_eq(y))),
            (
                TypedBound::Hash { modulus: m1, remainder: r1 },
                TypedBound::Hash { modulus: m2, remainder: r2 },
            ) => {
                let (small, rs, rb) = if m1 <= m2 { (m1, r1, r2) } else { (m2, r2, r1) };
                *small > 0 && rb % small == *rs
            }
            (TypedBound::Default, TypedBound::Default) => true,
            _ => false,
        }
    }

    /// The key a bound sorts by among its siblings.
    fn order_cmp(&self, other: &TypedBound) -> Ordering {
        match (self, other) {
            (TypedBound::Default, TypedBound::Default) => Ordering::Equal,
            (TypedBound::Default, _) => Ordering::Greater,
            (_, TypedBound::Default) => Ordering::Less,
            (TypedBound::Range { lo: a, .. }, TypedBound::Range { lo: b, .. }) => cmp_bounds(a, b),
            (
                TypedBound::List { values: a, null: n1 },
                TypedBound::List { values: b, null: n2 },
            ) => {
                let min = |v: &[Value]| {
                    v.iter().min_by(|x, y| x.pg_cmp(y).unwrap_or(Ordering::Equal)).cloned()
                };
                match (min(a), min(b)) {
                    (Some(x), Some(y)) => x.pg_cmp(&y).unwrap_or(Ordering::Equal),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => n1.cmp(n2),
                }
            }
            (
                TypedBound::Hash { modulus: m1, remainder: r1 },
                TypedBound::Hash { modulus: m2, remainder: r2 },
            ) => (r1, m1).cmp(&(r2, m2)),
            _ => Ordering::Equal,
        }
    }
}

impl BoundLevel {
    /// Whether a key (under this level's key) meets the level.
    pub fn admits(&self, key: &[Value]) -> bool {
        match &self.bound {
            TypedBound::Default => !self.siblings.iter().any(|s| s.contains(key)),
            b => b.contains(key),
        }
    }
}

/// Builds the partition tree under `id` (which must be partitioned).
pub fn tree(catalog: &Catalog, info: &SessionInfo, id: u32) -> Result<PartTree> {
    let table = catalog.table(id).cloned().ok_or_else(|| Error::internal("table vanished"))?;
    let key_def =
        catalog.partition_key(id).ok_or_else(|| Error::internal("table is not partitioned"))?;
    let key = bind_key(catalog, info, &table, key_def)?;
    let mut children = Vec::new();
    for &child in catalog.partitions_of(id) {
        let Some((_, bound)) = catalog.partition_parent(child) else { continue };
        let ct = catalog.table(child).cloned().ok_or_else(|| Error::internal("table vanished"))?;
        let bound = typed_bound(bound, &key.types)?;
        let sub =
            if catalog.is_partitioned(child) { Some(tree(catalog, info, child)?) } else { None };
        children.push(PartNode { table: ct, bound, sub });
    }
    children.sort_by(|a, b| a.bound.order_cmp(&b.bound));
    Ok(PartTree { table, key, children })
}

impl PartTree {
    /// The leaf partitions (those holding rows), in bound order.
    pub fn leaves(&self) -> Vec<Arc<TableDef>> {
        let mut out = Vec::new();
        self.visit_leaves(&mut Vec::new(), &mut |t, _| out.push(t.clone()));
        out
    }

    /// Calls `f` for each leaf with the levels of bounds above it (nearest last).
    pub fn visit_leaves<'a>(
        &'a self,
        path: &mut Vec<BoundLevel>,
        f: &mut dyn FnMut(&Arc<TableDef>, &[BoundLevel]),
    ) {
        for c in &self.children {
            let siblings = match c.bound {
                TypedBound::Default => self
                    .children
                    .iter()
                    .filter(|s| s.bound != TypedBound::Default)
                    .map(|s| s.bound.clone())
                    .collect(),
                _ => Vec::new(),
            };
            path.push(BoundLevel { key: self.key.clone(), bound: c.bound.clone(), siblings });
            match &c.sub {
                Some(sub) => sub.visit_leaves(path, f),
                None => f(&c.table, path),
            }
            path.pop();
        }
    }

    /// The child taking `key` (the default partition when no other does).
    pub fn child_for(&self, key: &[Value]) -> Option<&PartNode> {
        self.children
            .iter()
            .find(|c| c.bound.contains(key))
            .or_else(|| self.children.iter().find(|c| c.bound == TypedBound::Default))
    }
}

/// The partition constraint of partition `id`, or `None` when it is not a partition.
pub fn partition_check(
    catalog: &Catalog,
    info: &SessionInfo,
    id: u32,
) -> Result<Option<PartitionCheck>> {
    let Some(table) = catalog.table(id) else { return Ok(None) };
    let mut levels = Vec::new();
    let mut cur = id;
    while let Some((parent, bound)) = catalog.partition_parent(cur) {
        let ptable = catalog.table(parent).ok_or_else(|| Error::internal("table vanished"))?;
        let key_def =
            catalog.partition_key(parent).ok_or_else(|| Error::internal("parent lost its key"))?;
        // The key is bound over the partition's own row (same columns as the parent).
        let _ = ptable;
        let key = bind_key(catalog, info, table, key_def)?;
        let typed = typed_bound(bound, &key.types)?;
        let siblings = if typed == TypedBound::Default {
            let mut s = Vec::new();
            for &sib in catalog.partitions_of(parent) {
                if sib == cur {
                    continue;
                }
                if let Some((_, b)) = catalog.partition_parent(sib) {
                    let b = typed_bound(b, &key.types)?;
                    if b != TypedBound::Default {
                        s.push(b);
                    }
                }
            }
            s
        } else {
            Vec::new()
        };
        levels.push(BoundLevel { key, bound: typed, siblings });
        cur = parent;
    }
    if levels.is_empty() {
        return Ok(None);
    }
    Ok(Some(PartitionCheck { table: table.name.clone(), levels }))
}

/// 23514 `new row for relation "p1" violates partition constraint`.
pub fn constraint_violation(table: &str, row: &[Value]) -> Error {
    Error::new(
        SqlState::CHECK_VIOLATION,
        format!("new row for relation \"{table}\" violates partition constraint"),
    )
    .with_detail(format!("Failing row contains ({}).", row_text(row)))
}

/// 23514 `no partition of relation "p" found for row`.
pub fn no_partition(table: &str, key: &BoundKey, values: &[Value]) -> Error {
    let vals: Vec<String> = values
        .iter()
        .map(|v| if v.is_null() { "null".to_string() } else { v.to_pg_text() })
        .collect();
    Error::new(
        SqlState::CHECK_VIOLATION,
        format!("no partition of relation \"{table}\" found for row"),
    )
    .with_detail(format!(
        "Partition key of the failing row contains ({}) = ({}).",
        key.texts.join(", "),
        vals.join(", ")
    ))
}

fn row_text(row: &[Value]) -> String {
    row.iter()
        .map(|v| if v.is_null() { "null".to_string() } else { v.to_pg_text() })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn i(v: i32) -> Datum {
        Datum::Val(Value::Int4(v))
    }

    #[test]
    fn range_bounds_include_lower_and_exclude_upper() {
        let b = TypedBound::Range { lo: vec![i(1)], hi: vec![i(10)] };
        assert!(b.contains(&[Value::Int4(1)]));
        assert!(b.contains(&[Value::Int4(9)]));
        assert!(!b.contains(&[Value::Int4(10)]));
        assert!(!b.contains(&[Value::Null]));
        let m = TypedBound::Range { lo: vec![i(1), Datum::Min], hi: vec![i(1), Datum::Max] };
        assert!(m.contains(&[Value::Int4(1), Value::Int4(-5)]));
        assert!(!m.contains(&[Value::Int4(2), Value::Int4(-5)]));
    }

    #[test]
    fn overlap_is_detected_per_strategy() {
        let a = TypedBound::Range { lo: vec![i(1)], hi: vec![i(10)] };
        let b = TypedBound::Range { lo: vec![i(10)], hi: vec![i(20)] };
        let c = TypedBound::Range { lo: vec![i(5)], hi: vec![i(15)] };
        assert!(!a.overlaps(&b));
        assert!(a.overlaps(&c));
        let h1 = TypedBound::Hash { modulus: 2, remainder: 0 };
        let h2 = TypedBound::Hash { modulus: 4, remainder: 2 };
        let h3 = TypedBound::Hash { modulus: 4, remainder: 1 };
        assert!(h1.overlaps(&h2));
        assert!(!h1.overlaps(&h3));
    }
}

impl Binder<'_> {
    /// The rows of partitioned table `table` read from FROM: an `Append` of its leaf
    /// partitions' scans (empty when it has none), with the parent's columns.
    pub(super) fn partitioned_scan(
        &mut self,
        table: &Arc<TableDef>,
        qualifier: &str,
    ) -> Result<crate::planner::Plan> {
        use crate::planner::{Field, Plan};
        let t = tree(self.catalog, self.session, table.id)?;
        let mut schema: Vec<Field> = table
            .columns
            .iter()
            .map(|c| Field {
                qualifier: Some(qualifier.to_string()),
                ..Field::new(c.name.clone(), c.data_type.clone())
            })
            .collect();
        // FOR UPDATE and friends: each leaf's rows carry their whole storage key, which
        // names the leaf they were read from.
        let key = self.lock_target(table, qualifier, true);
        let with_key = key.is_some();
        schema.extend(key);
        let mut inputs = Vec::new();
        for leaf in t.leaves() {
            let id = leaf.id;
            let scan = Plan::Scan {
                table: leaf,
                access: crate::planner::Access::Full,
                filter: None,
                with_key,
                needed: None,
                schema: schema.clone(),
            };
            let scan = if with_key { with_storage_key(scan, id) } else { scan };
            inputs.push(if self.tableoid { with_tableoid(scan, id) } else { scan });
        }
        let schema = match inputs.first() {
            Some(p) => p.schema(),
            None if self.tableoid => {
                with_tableoid(Plan::Values { rows: Vec::new(), schema }, table.id).schema()
            }
            None => schema,
        };
        if inputs.is_empty() {
            return Ok(Plan::Values { rows: Vec::new(), schema });
        }
        Ok(Plan::Append { inputs, schema })
    }
}

/// Checks bound over one table's row (its CHECK and domain constraints).
pub type Checks = Vec<(String, Expr)>;

/// A leaf partition ready for inserts: the INSERT re-targeted at it, with its checks.
#[derive(Debug, Clone)]
pub struct LeafInsert {
    /// The INSERT as it applies to the leaf (its table, layout and arbiter index).
    pub insert: super::BoundInsert,
    /// The leaf's CHECK constraints.
    pub checks: Checks,
}

/// What an INSERT into a partitioned table or a partition does beyond a plain insert.
#[derive(Debug, Clone)]
pub enum InsertPartition {
    /// The target is partitioned: each row goes to the leaf its key routes it to.
    Route {
        /// The target's partition tree.
        tree: PartTree,
        /// The leaves by table id.
        leaves: std::collections::HashMap<u32, LeafInsert>,
        /// The target's own partition constraint when it is itself a partition.
        check: Option<PartitionCheck>,
    },
    /// The target is a partition: each row must meet its bound.
    Check(PartitionCheck),
}

/// What an UPDATE of a partitioned table or a partition does beyond a plain update.
#[derive(Debug, Clone)]
pub enum UpdatePartition {
    /// The target is partitioned: the UPDATE runs on each leaf; rows whose new key
    /// leaves their partition move through `route`.
    Parent {
        /// The UPDATE of each leaf with the leaf's checks.
        leaves: Vec<(super::BoundUpdate, Checks)>,
        /// Where moved rows go.
        route: Box<InsertPartition>,
    },
    /// The target is a partition: new row versions must meet its bound (or move, when
    /// the UPDATE came through the parent).
    Check(PartitionCheck),
}

impl PartitionCheck {
    /// Whether `row` (of the partition) meets every level, keys evaluated by `eval`.
    pub fn admits(
        &self,
        row: &[Value],
        eval: &dyn Fn(&Expr, &[Value]) -> Result<Value>,
    ) -> Result<bool> {
        for level in &self.levels {
            let key: Vec<Value> =
                level.key.exprs.iter().map(|e| eval(e, row)).collect::<Result<_>>()?;
            if !level.admits(&key) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

impl PartTree {
    /// The leaf taking `row`, keys evaluated by `eval`; 23514 when none does.
    pub fn route(
        &self,
        row: &[Value],
        eval: &dyn Fn(&Expr, &[Value]) -> Result<Value>,
    ) -> Result<u32> {
        let mut node = self;
        loop {
            let key: Vec<Value> =
                node.key.exprs.iter().map(|e| eval(e, row)).collect::<Result<_>>()?;
            let child = node
                .child_for(&key)
                .ok_or_else(|| no_partition(&node.table.name, &node.key, &key))?;
            match &child.sub {
                Some(sub) => node = sub,
                None => return Ok(child.table.id),
            }
        }
    }
}

/// The arbiter index of `leaf` matching index `parent_index` of `parent`.
fn leaf_index(parent: &TableDef, leaf: &TableDef, parent_index: u32) -> Result<u32> {
    let pi = parent
        .indexes
        .iter()
        .find(|i| i.id == parent_index)
        .ok_or_else(|| Error::internal("arbiter index vanished"))?;
    leaf.indexes.iter().find(|i| i.unique && i.columns == pi.columns).map(|i| i.id).ok_or_else(
        || {
            Error::unsupported(format!(
                "ON CONFLICT on partition \"{}\" without a copy of index \"{}\"",
                leaf.name, pi.name
            ))
        },
    )
}

impl Binder<'_> {
    /// The partition handling of an INSERT into `b.table` (`None` for a plain table).
    pub(super) fn insert_partition(
        &mut self,
        b: &super::BoundInsert,
    ) -> Result<Option<Arc<InsertPartition>>> {
        let id = b.table.id;
        let check = match self.catalog.partition_parent(id) {
            Some(_) => partition_check(self.catalog, self.session, id)?,
            None => None,
        };
        if !self.catalog.is_partitioned(id) {
            return Ok(check.map(|c| Arc::new(InsertPartition::Check(c))));
        }
        Ok(Some(Arc::new(self.route_for(b, check)?)))
    }

    fn route_for(
        &mut self,
        b: &super::BoundInsert,
        check: Option<PartitionCheck>,
    ) -> Result<InsertPartition> {
        let t = tree(self.catalog, self.session, b.table.id)?;
        let mut leaves = std::collections::HashMap::new();
        for leaf in t.leaves() {
            let mut ins = b.clone();
            ins.partition = None;
            ins.layout = crate::exec::RowLayout::new(&leaf);
            ins.on_conflict = match &b.on_conflict {
                None => None,
                Some(super::OnConflict::Nothing { index }) => Some(super::OnConflict::Nothing {
                    index: match index {
                        Some(i) => Some(leaf_index(&b.table, &leaf, *i)?),
                        None => None,
                    },
                }),
                Some(super::OnConflict::Update { index, assignments, predicate }) => {
                    Some(super::OnConflict::Update {
                        index: leaf_index(&b.table, &leaf, *index)?,
                        assignments: assignments.clone(),
                        predicate: predicate.clone(),
                    })
                }
            };
            // Rows changed by ON CONFLICT DO UPDATE must stay in their partition.
            if matches!(ins.on_conflict, Some(super::OnConflict::Update { .. })) {
                ins.partition = partition_check(self.catalog, self.session, leaf.id)?
                    .map(|c| Arc::new(InsertPartition::Check(c)));
            }
            let checks = crate::session::bind_checks(self.catalog, self.session, &leaf)?;
            ins.table = leaf.clone();
            leaves.insert(leaf.id, LeafInsert { insert: ins, checks });
        }
        Ok(InsertPartition::Route { tree: t, leaves, check })
    }

    /// The partition handling of an UPDATE of `b.table` (`None` for a plain table);
    /// `upd` is the statement, re-bound against each leaf of a partitioned table.
    pub(super) fn update_partition(
        &mut self,
        upd: &sqlparser::ast::Update,
        b: &super::BoundUpdate,
    ) -> Result<Option<Arc<UpdatePartition>>> {
        let id = b.table.id;
        if !self.catalog.is_partitioned(id) {
            return Ok(match self.catalog.partition_parent(id) {
                Some(_) => partition_check(self.catalog, self.session, id)?
                    .map(|c| Arc::new(UpdatePartition::Check(c))),
                None => None,
            });
        }
        if b.table.row_security.enabled {
            return Err(Error::unsupported(
                "UPDATE of a partitioned table with row-level security",
            ));
        }
        let t = tree(self.catalog, self.session, id)?;
        let alias = match &upd.table.relation {
            sqlparser::ast::TableFactor::Table { alias, .. } => alias.clone(),
            _ => None,
        };
        let mut leaves = Vec::new();
        for leaf in t.leaves() {
            let mut stmt = upd.clone();
            if let sqlparser::ast::TableFactor::Table { name, alias: a, .. } =
                &mut stmt.table.relation
            {
                *name = leaf_name(&leaf);
                *a = Some(alias.clone().unwrap_or_else(|| table_alias(&b.table.name)));
            }
            let mut lb = self.bind_update(&stmt)?;
            lb.source = crate::optimizer::optimize(lb.source, self.catalog);
            let checks = crate::session::bind_checks(self.catalog, self.session, &leaf)?;
            leaves.push((lb, checks));
        }
        let check = match self.catalog.partition_parent(id) {
            Some(_) => partition_check(self.catalog, self.session, id)?,
            None => None,
        };
        let ins = self.moved_row_insert(b)?;
        let route = self.route_for(&ins, check)?;
        Ok(Some(Arc::new(UpdatePartition::Parent { leaves, route: Box::new(route) })))
    }

    /// The leaves' DELETEs of a DELETE from partitioned `table` (`None` for a plain
    /// table).
    pub(super) fn delete_partition(
        &mut self,
        del: &sqlparser::ast::Delete,
        table: &TableDef,
    ) -> Result<Option<Arc<Vec<super::BoundDelete>>>> {
        if !self.catalog.is_partitioned(table.id) {
            return Ok(None);
        }
        if table.row_security.enabled {
            return Err(Error::unsupported(
                "DELETE from a partitioned table with row-level security",
            ));
        }
        let t = tree(self.catalog, self.session, table.id)?;
        let mut out = Vec::new();
        for leaf in t.leaves() {
            let mut stmt = del.clone();
            let tables = match &mut stmt.from {
                sqlparser::ast::FromTable::WithFromKeyword(t)
                | sqlparser::ast::FromTable::WithoutKeyword(t) => t,
            };
            if let Some(sqlparser::ast::TableFactor::Table { name, alias, .. }) =
                tables.first_mut().map(|t| &mut t.relation)
            {
                *name = leaf_name(&leaf);
                if alias.is_none() {
                    *alias = Some(table_alias(&table.name));
                }
            }
            let mut lb = self.bind_delete(&stmt)?;
            lb.source = crate::optimizer::optimize(lb.source, self.catalog);
            out.push(lb);
        }
        Ok(Some(Arc::new(out)))
    }

    /// An INSERT of whole rows into `b.table`, used to place rows an UPDATE moves.
    fn moved_row_insert(&mut self, b: &super::BoundUpdate) -> Result<super::BoundInsert> {
        let schema: Vec<crate::planner::Field> = b
            .table
            .columns
            .iter()
            .map(|c| crate::planner::Field::new(c.name.clone(), c.data_type.clone()))
            .collect();
        let source = self.finish(crate::planner::Plan::Values { rows: Vec::new(), schema });
        let extra = self.finish(crate::planner::Plan::Empty { rows: 0 });
        Ok(super::BoundInsert {
            table: b.table.clone(),
            source,
            sequence_fill: Vec::new(),
            generated: b.generated.clone(),
            on_conflict: None,
            returning: None,
            policy_check: None,
            view_checks: Vec::new(),
            conflict_check: None,
            extra,
            layout: crate::exec::RowLayout::new(&b.table),
            partition: None,
            direct: std::sync::OnceLock::new(),
        })
    }
}

fn leaf_name(leaf: &TableDef) -> sqlparser::ast::ObjectName {
    sqlparser::ast::ObjectName::from(vec![
        sqlparser::ast::Ident::with_quote('"', leaf.schema.clone()),
        sqlparser::ast::Ident::with_quote('"', leaf.name.clone()),
    ])
}

fn table_alias(name: &str) -> sqlparser::ast::TableAlias {
    sqlparser::ast::TableAlias {
        explicit: true,
        name: sqlparser::ast::Ident::with_quote('"', name.to_string()),
        columns: Vec::new(),
        at: None,
    }
}

/// `plan` (a table's rows) followed by the hidden `tableoid` column holding table `id`'s
/// OID.
/// `scan` of leaf partition `id`, whose last column is the row's primary key, with that
/// column turned into the row's whole storage key (`keys::row_key`), as a lock target of
/// a partitioned table reads it.
fn with_storage_key(scan: crate::planner::Plan, id: u32) -> crate::planner::Plan {
    use crate::expr::BinaryOp;
    use crate::planner::Plan;
    let schema = scan.schema();
    let last = schema.len() - 1;
    let mut exprs: Vec<Expr> =
        schema.iter().enumerate().map(|(i, f)| Expr::Column(i, f.data_type.clone())).collect();
    let prefix = crate::encoding::keys::index_prefix(id, 0);
    exprs[last] = Expr::Binary {
        op: BinaryOp::Concat,
        left: Box::new(Expr::Literal(Value::Bytea(prefix), DataType::Bytea)),
        right: Box::new(Expr::Column(last, DataType::Bytea)),
        ty: DataType::Bytea,
    };
    Plan::Project { input: Box::new(scan), exprs, schema }
}

pub(super) fn with_tableoid(plan: crate::planner::Plan, id: u32) -> crate::planner::Plan {
    use crate::planner::{Field, Plan};
    let mut schema = plan.schema();
    let mut exprs: Vec<Expr> =
        schema.iter().enumerate().map(|(i, f)| Expr::Column(i, f.data_type.clone())).collect();
    let qualifier = schema.first().and_then(|f| f.qualifier.clone());
    exprs.push(Expr::Literal(Value::Int8(super::pg_catalog::relation_oid(id)), DataType::Int8));
    schema.push(Field { qualifier, hidden: true, ..Field::new("tableoid", DataType::Int8) });
    Plan::Project { input: Box::new(plan), exprs, schema }
}
