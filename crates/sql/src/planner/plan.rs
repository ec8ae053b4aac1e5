//! Plan nodes.

use std::fmt;
use std::ops::Bound;
use std::sync::Arc;

use helios_types::DataType;

use crate::catalog::TableDef;
use crate::expr::{AggregateCall, Expr, WindowCall};

/// One output column of a plan node.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Column name (`?column?` when PostgreSQL has none).
    pub name: String,
    /// Column type.
    pub data_type: DataType,
    /// The table name or alias that qualifies it in the enclosing scope.
    pub qualifier: Option<String>,
    /// Not visible to `*` and unqualified names (e.g. the key column of a DML scan).
    pub hidden: bool,
}

impl Field {
    /// A visible, unqualified field.
    pub fn new(name: impl Into<String>, data_type: DataType) -> Field {
        Field { name: name.into(), data_type, qualifier: None, hidden: false }
    }
}

/// The output columns of a plan node.
pub type Schema = Vec<Field>;

/// Join types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    /// INNER and CROSS.
    Inner,
    /// LEFT OUTER.
    Left,
    /// RIGHT OUTER.
    Right,
    /// FULL OUTER.
    Full,
    /// Rows of the left side with a match (EXISTS/IN after decorrelation).
    Semi,
    /// Rows of the left side without a match.
    Anti,
    /// `NOT IN` as an anti join: rows of the left side without a match, where the
    /// condition counts a NULL in the `NOT IN` comparison as a match (it holds a
    /// `(x = y) IS NOT FALSE` conjunct). Its last hash key, if any, is that comparison:
    /// the build side is probed null-aware (see `exec/join.rs`).
    NullAwareAnti,
}

impl JoinKind {
    /// Whether only left rows come out, each at most once (semi and anti joins).
    pub fn is_semi_or_anti(self) -> bool {
        matches!(self, JoinKind::Semi | JoinKind::Anti | JoinKind::NullAwareAnti)
    }
}

/// Set operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOpKind {
    /// UNION
    Union,
    /// INTERSECT
    Intersect,
    /// EXCEPT
    Except,
}

/// What a sequence call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceOp {
    /// `nextval`
    Next,
    /// `currval`
    Current,
    /// `setval`
    Set,
}

/// One ORDER BY key.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    /// The key.
    pub expr: Expr,
    /// Ascending.
    pub asc: bool,
    /// NULLs sort first.
    pub nulls_first: bool,
}

/// A range over the leading columns of an index: equal values for a prefix of the
/// columns, then optional bounds on the next column.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyRange {
    /// Values (constant expressions) for the first `eq.len()` index columns.
    pub eq: Vec<Expr>,
    /// Lower bound on the next column.
    pub lower: Bound<Expr>,
    /// Upper bound on the next column.
    pub upper: Bound<Expr>,
}

/// How a table scan reads rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Access {
    /// Every row, in primary key order.
    Full,
    /// Rows whose primary key lies in the range.
    Primary(KeyRange),
    /// Rows found through a secondary index.
    Index {
        /// The index id.
        index: u32,
        /// The range over its columns.
        range: KeyRange,
    },
    /// The nearest rows found through an HNSW index.
    Vector(super::VectorAccess),
}

/// A table whose rows [`Plan::LockRows`] locks.
#[derive(Debug, Clone)]
pub struct LockTarget {
    /// The table id.
    pub table: u32,
    /// The table name (for messages).
    pub name: String,
    /// How strongly each row is locked.
    pub strength: helios_storage::RowLockStrength,
    /// What happens when another transaction holds a row: wait, fail (NOWAIT) or leave
    /// the row out (SKIP LOCKED).
    pub wait: helios_storage::RowLockWait,
    /// The key column holds each row's whole storage key (`keys::row_key` of the leaf
    /// partition it was read from) rather than its primary key in `table`: the target
    /// is a partitioned table.
    pub full_key: bool,
}

/// A logical plan node.
#[derive(Debug, Clone)]
pub enum Plan {
    /// `rows` rows of no columns (`SELECT 1` reads one such row).
    Empty {
        /// How many rows.
        rows: usize,
    },
    /// `VALUES (...), (...)`.
    Values {
        /// The rows' expressions (no column references).
        rows: Vec<Vec<Expr>>,
        /// Output columns.
        schema: Schema,
    },
    /// A table scan; with `with_key` one more hidden bytea column holds each row's
    /// primary key bytes (for UPDATE and DELETE).
    Scan {
        /// The table.
        table: Arc<TableDef>,
        /// How rows are found.
        access: Access,
        /// A condition on the table's columns applied while scanning.
        filter: Option<Expr>,
        /// Adds the key column.
        with_key: bool,
        /// The table columns the plan above reads (`None`: all of them); the others come
        /// out NULL without being decoded. Set by the optimizer's column pruning.
        needed: Option<Vec<bool>>,
        /// Output columns.
        schema: Schema,
    },
    /// Rows for which the predicate is true.
    Filter {
        /// Input.
        input: Box<Plan>,
        /// The condition.
        predicate: Expr,
    },
    /// Computes new columns.
    Project {
        /// Input.
        input: Box<Plan>,
        /// One expression per output column.
        exprs: Vec<Expr>,
        /// Output columns.
        schema: Schema,
    },
    /// Grouping and aggregates: output is one representative input row of the group
    /// (hidden; correlated subqueries evaluated above the aggregate read their outer
    /// columns from it), then the group keys, the aggregates and the grouping set index.
    Aggregate {
        /// Input.
        input: Box<Plan>,
        /// Group keys.
        group_by: Vec<Expr>,
        /// Grouping sets as lists of positions in `group_by`; one set of all keys for
        /// plain GROUP BY.
        sets: Vec<Vec<usize>>,
        /// The aggregate calls.
        aggs: Vec<AggregateCall>,
        /// Output columns.
        schema: Schema,
    },
    /// Window functions: output is the input columns followed by one column per call.
    Window {
        /// Input.
        input: Box<Plan>,
        /// The calls (named windows already resolved).
        calls: Vec<WindowCall>,
        /// Output columns.
        schema: Schema,
    },
    /// A join; output is the left columns then the right columns.
    Join {
        /// Left input.
        left: Box<Plan>,
        /// Right input; with `lateral`, re-run for every left row.
        right: Box<Plan>,
        /// Join type.
        kind: JoinKind,
        /// The join condition over left ++ right columns.
        on: Option<Expr>,
        /// Equi-join key pairs (left expr, right expr) found by the optimizer.
        equi: Vec<(Expr, Expr)>,
        /// The right side refers to the left side's columns.
        lateral: bool,
        /// Output columns.
        schema: Schema,
    },
    /// Sorts rows.
    Sort {
        /// Input.
        input: Box<Plan>,
        /// Keys, most significant first.
        keys: Vec<SortKey>,
        /// Keep only the first `limit` rows (top-K), when the optimizer knows it.
        limit: Option<usize>,
    },
    /// LIMIT / OFFSET.
    Limit {
        /// Input.
        input: Box<Plan>,
        /// LIMIT expression (constant or parameter).
        limit: Option<Expr>,
        /// OFFSET expression.
        offset: Option<Expr>,
    },
    /// DISTINCT (all columns) or DISTINCT ON (keys: the first row per key wins).
    Distinct {
        /// Input.
        input: Box<Plan>,
        /// DISTINCT ON keys.
        on: Option<Vec<Expr>>,
    },
    /// The rows of each input in turn (the partitions of a partitioned table); every
    /// input has the output's columns.
    Append {
        /// The inputs.
        inputs: Vec<Plan>,
        /// Output columns.
        schema: Schema,
    },
    /// UNION / INTERSECT / EXCEPT [ALL].
    SetOp {
        /// Left input.
        left: Box<Plan>,
        /// Right input.
        right: Box<Plan>,
        /// Operation.
        op: SetOpKind,
        /// Keep duplicates.
        all: bool,
        /// Output columns.
        schema: Schema,
    },
    /// The rows of a set-returning function (`generate_series`, `unnest`, ...); its
    /// arguments may read the enclosing row (LATERAL).
    TableFunction {
        /// The function and its bound arguments.
        func: crate::functions::table::BoundTableFunction,
        /// Output columns.
        schema: Schema,
    },
    /// One row with the result of `nextval` / `currval` / `setval`.
    Sequence {
        /// The call.
        op: SequenceOp,
        /// The sequence id.
        sequence: u32,
        /// `setval`'s value.
        value: Option<Expr>,
        /// `setval`'s third argument.
        is_called: Option<Expr>,
        /// Output columns.
        schema: Schema,
    },
    /// The rows of a WITH query, computed once per statement execution.
    CteScan {
        /// The CTE's id in [`PlannedQuery::ctes`].
        id: usize,
        /// For a WITH query that reads columns of an enclosing query (inside a correlated
        /// subquery): how many leading values of the enclosing row to drop to reach the
        /// row it was bound against. Such a query runs afresh for every use and is never
        /// cached; `None` for the usual, uncorrelated kind.
        outer_skip: Option<usize>,
        /// Output columns.
        schema: Schema,
    },
    /// The working table of a recursive CTE while its recursive term runs.
    WorkTable {
        /// The recursive CTE's id.
        id: usize,
        /// Output columns.
        schema: Schema,
    },
    /// `FOR UPDATE` / `FOR SHARE`: locks the rows behind the trailing row-key columns of
    /// its input as they pass (after ORDER BY, before LIMIT, as PostgreSQL's LockRows), and
    /// drops those columns. A row another transaction holds is waited for, fails the
    /// statement (NOWAIT) or is left out (SKIP LOCKED).
    LockRows {
        /// Input: the query's columns, then one row-key column per locked table.
        input: Box<Plan>,
        /// The table of each trailing key column, in order.
        tables: Vec<LockTarget>,
        /// Output columns (the input's without the key columns).
        schema: Schema,
    },
    /// `WITH RECURSIVE` term: the base rows, then the recursive term repeated over the
    /// previous iteration's rows until it yields none.
    RecursiveUnion {
        /// The CTE id the recursive term reads through [`Plan::WorkTable`].
        id: usize,
        /// Non-recursive term.
        base: Box<Plan>,
        /// Recursive term.
        recursive: Box<Plan>,
        /// UNION ALL (keep duplicates).
        all: bool,
        /// Output columns.
        schema: Schema,
    },
}

impl Plan {
    /// The output columns.
    pub fn schema(&self) -> Schema {
        match self {
            Plan::Empty { .. } => Vec::new(),
            Plan::Values { schema, .. }
            | Plan::Scan { schema, .. }
            | Plan::Project { schema, .. }
            | Plan::Aggregate { schema, .. }
            | Plan::Window { schema, .. }
            | Plan::Join { schema, .. }
            | Plan::SetOp { schema, .. }
            | Plan::Append { schema, .. }
            | Plan::CteScan { schema, .. }
            | Plan::TableFunction { schema, .. }
            | Plan::Sequence { schema, .. }
            | Plan::WorkTable { schema, .. }
            | Plan::LockRows { schema, .. }
            | Plan::RecursiveUnion { schema, .. } => schema.clone(),
            Plan::Filter { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. }
            | Plan::Distinct { input, .. } => input.schema(),
        }
    }

    /// The number of output columns.
    pub fn width(&self) -> usize {
        match self {
            Plan::Empty { .. } => 0,
            Plan::Values { schema, .. }
            | Plan::Scan { schema, .. }
            | Plan::Project { schema, .. }
            | Plan::Aggregate { schema, .. }
            | Plan::Window { schema, .. }
            | Plan::Join { schema, .. }
            | Plan::SetOp { schema, .. }
            | Plan::Append { schema, .. }
            | Plan::CteScan { schema, .. }
            | Plan::TableFunction { schema, .. }
            | Plan::Sequence { schema, .. }
            | Plan::WorkTable { schema, .. }
            | Plan::LockRows { schema, .. }
            | Plan::RecursiveUnion { schema, .. } => schema.len(),
            Plan::Filter { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. }
            | Plan::Distinct { input, .. } => input.width(),
        }
    }

    /// The node's inputs.
    pub fn inputs(&self) -> Vec<&Plan> {
        match self {
            Plan::Empty { .. }
            | Plan::Values { .. }
            | Plan::Scan { .. }
            | Plan::CteScan { .. }
            | Plan::TableFunction { .. }
            | Plan::Sequence { .. }
            | Plan::WorkTable { .. } => vec![],
            Plan::Filter { input, .. }
            | Plan::Project { input, .. }
            | Plan::Aggregate { input, .. }
            | Plan::Window { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. }
            | Plan::LockRows { input, .. }
            | Plan::Distinct { input, .. } => vec![input],
            Plan::Join { left, right, .. } | Plan::SetOp { left, right, .. } => vec![left, right],
            Plan::Append { inputs, .. } => inputs.iter().collect(),
            Plan::RecursiveUnion { base, recursive, .. } => vec![base, recursive],
        }
    }

    /// The one-line description EXPLAIN shows for this node.
    pub fn explain_line(&self) -> String {
        match self {
            Plan::Empty { rows } => format!("Result (rows={rows})"),
            Plan::Values { rows, .. } => format!("Values Scan (rows={})", rows.len()),
            Plan::Scan { table, access, .. } => {
                let s = match access {
                    Access::Full => format!("Seq Scan on {}", table.name),
                    Access::Primary(r) => {
                        format!(
                            "Index Scan using {}_pkey on {}{}",
                            table.name,
                            table.name,
                            range_text(r)
                        )
                    }
                    Access::Index { index, range } => {
                        let name = table
                            .indexes
                            .iter()
                            .find(|i| i.id == *index)
                            .map(|i| i.name.clone())
                            .unwrap_or_else(|| format!("index {index}"));
                        format!("Index Scan using {name} on {}{}", table.name, range_text(range))
                    }
                    Access::Vector(v) => {
                        let name = table
                            .indexes
                            .iter()
                            .find(|i| i.id == v.index)
                            .map(|i| i.name.clone())
                            .unwrap_or_else(|| format!("index {}", v.index));
                        format!(
                            "Index Scan using {name} on {} (Order By: ({}))",
                            table.name, v.order_by
                        )
                    }
                };
                s
            }
            Plan::Filter { .. } => "Filter".into(),
            Plan::Project { .. } => "Project".into(),
            Plan::Aggregate { group_by, sets, .. } => {
                if sets.len() > 1 {
                    "MixedAggregate".into()
                } else if group_by.is_empty() {
                    "Aggregate".into()
                } else {
                    "HashAggregate".into()
                }
            }
            Plan::Window { .. } => "WindowAgg".into(),
            Plan::Join { kind, equi, lateral, .. } => {
                // PostgreSQL's names: "Hash Join", "Hash Semi Join", "Nested Loop Anti Join".
                let kind = match kind {
                    JoinKind::Inner => "",
                    JoinKind::Left => " Left",
                    JoinKind::Right => " Right",
                    JoinKind::Full => " Full",
                    JoinKind::Semi => " Semi",
                    JoinKind::Anti => " Anti",
                    JoinKind::NullAwareAnti => " Null-Aware Anti",
                };
                if *lateral {
                    format!("Nested Loop{kind} (lateral)")
                } else if equi.is_empty() {
                    if kind.is_empty() {
                        "Nested Loop".into()
                    } else {
                        format!("Nested Loop{kind} Join")
                    }
                } else {
                    format!("Hash{kind} Join")
                }
            }
            Plan::Sort { limit: Some(k), .. } => format!("Top-K Sort (k={k})"),
            Plan::Sort { .. } => "Sort".into(),
            Plan::Limit { .. } => "Limit".into(),
            Plan::LockRows { .. } => "LockRows".into(),
            Plan::Distinct { on: Some(_), .. } => "Unique (DISTINCT ON)".into(),
            Plan::Distinct { .. } => "HashAggregate (DISTINCT)".into(),
            Plan::Append { .. } => "Append".into(),
            Plan::SetOp { op, all, .. } => {
                format!("{op:?}{}", if *all { " All" } else { "" })
            }
            Plan::CteScan { id, .. } => format!("CTE Scan (cte {id})"),
            Plan::TableFunction { func, .. } => format!("Function Scan on {}", func.func.name()),
            Plan::Sequence { op, .. } => format!("Sequence {op:?}"),
            Plan::WorkTable { id, .. } => format!("WorkTable Scan (cte {id})"),
            Plan::RecursiveUnion { .. } => "Recursive Union".into(),
        }
    }
}

impl Plan {
    /// The detail lines EXPLAIN shows under this node (conditions and keys, with
    /// column names).
    pub fn explain_details(&self) -> Vec<String> {
        let names = |schema: Schema| {
            move |i: usize| match schema.get(i) {
                Some(f) => match &f.qualifier {
                    Some(q) if !f.hidden => format!("{q}.{}", f.name),
                    _ => f.name.clone(),
                },
                None => format!("${}", i + 1),
            }
        };
        let mut out = Vec::new();
        match self {
            Plan::Scan { filter: Some(f), schema, .. } => {
                out.push(format!("Filter: {}", f.to_sql(&names(schema.clone()))));
            }
            Plan::Filter { input, predicate } => {
                out.push(format!("Filter: {}", predicate.to_sql(&names(input.schema()))));
            }
            Plan::Sort { input, keys, .. } => {
                let n = names(input.schema());
                let ks: Vec<String> = keys
                    .iter()
                    .map(|k| {
                        let mut t = k.expr.to_sql(&n);
                        if !k.asc {
                            t.push_str(" DESC");
                        }
                        t
                    })
                    .collect();
                out.push(format!("Sort Key: {}", ks.join(", ")));
            }
            Plan::Aggregate { input, group_by, .. } if !group_by.is_empty() => {
                let n = names(input.schema());
                let ks: Vec<String> = group_by.iter().map(|g| g.to_sql(&n)).collect();
                out.push(format!("Group Key: {}", ks.join(", ")));
            }
            Plan::Join { left, right, on, equi, .. } => {
                let mut all = left.schema();
                all.extend(right.schema());
                let n = names(all);
                if !equi.is_empty() {
                    let (l, r) = (names(left.schema()), names(right.schema()));
                    let conds: Vec<String> = equi
                        .iter()
                        .map(|(a, b)| format!("({} = {})", a.to_sql(&l), b.to_sql(&r)))
                        .collect();
                    out.push(format!("Hash Cond: {}", conds.join(" AND ")));
                }
                if let Some(o) = on {
                    out.push(format!("Join Filter: {}", o.to_sql(&n)));
                }
            }
            _ => {}
        }
        out
    }
}

fn range_text(r: &KeyRange) -> String {
    let bounded = !matches!(r.lower, Bound::Unbounded) || !matches!(r.upper, Bound::Unbounded);
    format!(" (eq={}{})", r.eq.len(), if bounded { ", range" } else { "" })
}

/// A subquery used inside an expression.
#[derive(Debug, Clone)]
pub struct SubqueryPlan {
    /// The plan.
    pub plan: Plan,
    /// Refers to columns of the enclosing query (must be re-run per outer row).
    pub correlated: bool,
    /// The positions of the enclosing row a correlated subquery reads (its result
    /// depends on those values only); `None` when unknown (it may read the whole row).
    pub outer_refs: Option<Vec<usize>>,
}

/// A bound query with the subqueries and WITH queries its expressions refer to.
#[derive(Debug, Clone)]
pub struct PlannedQuery {
    /// The root.
    pub plan: Plan,
    /// Subqueries by [`crate::expr::SubqueryId`].
    pub subqueries: Vec<SubqueryPlan>,
    /// WITH queries by id (non-recursive ones are computed on first use).
    pub ctes: Vec<Plan>,
}

impl PlannedQuery {
    /// Marks in `used` the subqueries `plan` refers to, directly or through other
    /// subqueries.
    fn mark_subqueries(&self, plan: &Plan, used: &mut [bool]) {
        let mut found = Vec::new();
        plan.for_each_expr(&mut |e, _| {
            e.walk(&mut |n| {
                if let Expr::Subquery { id, .. } = n {
                    found.push(id.0 as usize);
                }
            });
        });
        for id in found {
            if let (Some(seen @ false), Some(sub)) = (used.get_mut(id), self.subqueries.get(id)) {
                *seen = true;
                self.mark_subqueries(&sub.plan, used);
            }
        }
        for input in plan.inputs() {
            self.mark_subqueries(input, used);
        }
    }
}

impl fmt::Display for PlannedQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn walk(p: &Plan, depth: usize, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let indent = if depth == 0 {
                String::new()
            } else {
                format!("{}->  ", "  ".repeat(depth * 2 - 1))
            };
            writeln!(f, "{indent}{}", p.explain_line())?;
            let detail_indent = " ".repeat(if depth == 0 { 2 } else { depth * 4 + 4 });
            for d in p.explain_details() {
                writeln!(f, "{detail_indent}{d}")?;
            }
            for i in p.inputs() {
                walk(i, depth + 1, f)?;
            }
            Ok(())
        }
        walk(&self.plan, 0, f)?;
        // Subqueries follow the main tree, numbered as expressions show them; those
        // the optimizer turned into joins are no longer referred to and not shown.
        let mut used = vec![false; self.subqueries.len()];
        for p in std::iter::once(&self.plan).chain(&self.ctes) {
            self.mark_subqueries(p, &mut used);
        }
        for (i, sub) in self.subqueries.iter().enumerate() {
            if !used[i] {
                continue;
            }
            writeln!(f, "  SubPlan {}", i + 1)?;
            walk(&sub.plan, 1, f)?;
        }
        Ok(())
    }
}
