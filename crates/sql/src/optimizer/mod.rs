//! The optimizer: an ordered list of rewrite rules, one file each.
//!
//! First, [`decorrelate`] turns correlated `EXISTS` / `NOT EXISTS` / `IN` subqueries
//! AND-ed into a WHERE into semi and anti joins (it needs the query's subqueries, so it
//! runs on the whole query before the per-plan rules). Then [`keyed_exists`] turns the
//! correlated EXISTS tests left (under OR, in a select list) that correlate through
//! equalities only into lookups in a hash of an uncorrelated subquery.
//!
//! 1. [`predicate_pushdown`]: WHERE conjuncts move into joins and table scans, so fewer
//!    rows flow and join conditions are visible to the join.
//! 2. [`index_selection`]: a scan's conditions on leading primary-key or index columns
//!    become a key range (equality prefix plus a range on the next column).
//! 3. [`hash_join`]: equality conditions between the two sides of a join become hash
//!    keys.
//! 4. [`top_k`]: `ORDER BY ... LIMIT n` keeps only n rows while sorting.
//! 5. [`vector_index`]: `ORDER BY col <op> q LIMIT k` over a table with a matching HNSW
//!    index reads the k nearest rows through the index.
//! 6. [`column_pruning`]: every table scan learns which columns the plan above reads and
//!    decodes only those.
//!
//! Right after pushdown, [`partition_pruning`] drops scans of partitions whose bound the
//! pushed-down filter rules out (it needs the catalog, so it is not in the list).
//!
//! Each rule is semantics-preserving on its own; the order matters only for
//! effectiveness (pushdown first exposes conditions to the later rules).

mod column_pruning;
pub(crate) mod conjuncts;
mod decorrelate;
mod hash_join;
mod index_selection;
mod keyed_exists;
mod partition_pruning;
mod predicate_pushdown;
mod top_k;
mod vector_index;

use crate::catalog::Catalog;
use crate::planner::{Plan, PlannedQuery};

/// One rewrite rule over a plan tree.
type Rule = fn(Plan) -> Plan;

const RULES: &[Rule] = &[
    predicate_pushdown::apply,
    index_selection::apply,
    hash_join::apply,
    top_k::apply,
    vector_index::apply,
    column_pruning::apply,
];

/// Optimizes a query and its subqueries and WITH queries.
pub fn optimize(mut query: PlannedQuery, catalog: &Catalog) -> PlannedQuery {
    decorrelate::apply(&mut query);
    keyed_exists::apply(&mut query);
    query.plan = run(query.plan, catalog);
    for s in &mut query.subqueries {
        s.plan = run(std::mem::replace(&mut s.plan, Plan::Empty { rows: 0 }), catalog);
    }
    for c in &mut query.ctes {
        *c = run(std::mem::replace(c, Plan::Empty { rows: 0 }), catalog);
    }
    query
}

fn run(mut plan: Plan, catalog: &Catalog) -> Plan {
    for (i, rule) in RULES.iter().enumerate() {
        plan = rule(plan);
        if i == 0 {
            // Right after predicate pushdown: index selection may move conditions out
            // of the filters pruning reads.
            plan = partition_pruning::apply(plan, catalog);
        }
    }
    plan
}

/// Rebuilds a node with its inputs transformed by `f` (bottom-up helpers use this).
pub(crate) fn map_inputs(plan: Plan, f: &mut dyn FnMut(Plan) -> Plan) -> Plan {
    let b = |p: Box<Plan>, f: &mut dyn FnMut(Plan) -> Plan| Box::new(f(*p));
    match plan {
        Plan::Filter { input, predicate } => Plan::Filter { input: b(input, f), predicate },
        Plan::Project { input, exprs, schema } => {
            Plan::Project { input: b(input, f), exprs, schema }
        }
        Plan::Aggregate { input, group_by, sets, aggs, schema } => {
            Plan::Aggregate { input: b(input, f), group_by, sets, aggs, schema }
        }
        Plan::Window { input, calls, schema } => Plan::Window { input: b(input, f), calls, schema },
        Plan::Join { left, right, kind, on, equi, lateral, schema } => {
            Plan::Join { left: b(left, f), right: b(right, f), kind, on, equi, lateral, schema }
        }
        Plan::Sort { input, keys, limit } => Plan::Sort { input: b(input, f), keys, limit },
        Plan::Limit { input, limit, offset } => Plan::Limit { input: b(input, f), limit, offset },
        Plan::Distinct { input, on } => Plan::Distinct { input: b(input, f), on },
        Plan::LockRows { input, tables, schema } => {
            Plan::LockRows { input: b(input, f), tables, schema }
        }
        Plan::SetOp { left, right, op, all, schema } => {
            Plan::SetOp { left: b(left, f), right: b(right, f), op, all, schema }
        }
        Plan::Append { inputs, schema } => {
            Plan::Append { inputs: inputs.into_iter().map(&mut *f).collect(), schema }
        }
        Plan::RecursiveUnion { id, base, recursive, all, schema } => {
            Plan::RecursiveUnion { id, base: b(base, f), recursive: b(recursive, f), all, schema }
        }
        leaf => leaf,
    }
}
