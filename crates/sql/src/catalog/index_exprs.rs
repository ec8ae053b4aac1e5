//! Expression and partial indexes: the bound form of an index's key expressions and
//! predicate.
//!
//! The catalog keeps them as SQL text ([`IndexDef::expressions`], [`IndexDef::predicate`])
//! over the table's column names, as PostgreSQL prints them (`lower(email)`,
//! `(deleted_at IS NULL)`). Writers and the planner need them bound over the table row;
//! [`IndexDef::bound`] binds them once per catalog snapshot and keeps the result in the
//! definition ([`IndexExprCache`], never stored).
//!
//! Binding uses only built-in functions and types, with PostgreSQL's rules checked when
//! the index is created ([`check_index_expr`]): functions must be immutable (42P17), no
//! aggregates (42803), window functions (42P20) or subqueries (0A000).
//!
//! A row is in a partial index when its predicate is true (false and NULL: not indexed),
//! so a partial unique index constrains only those rows.

use std::sync::{Arc, OnceLock};

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};
use sqlparser::ast;

use super::{IndexDef, TableDef};
use crate::expr::context::{ExprScope, SessionInfo, SimpleContext};
use crate::expr::node::{SubqueryId, SubqueryKind};
use crate::expr::{bind_expr, resolve_unknown, Expr};

/// An index's key expressions and predicate, bound over its table's row.
#[derive(Debug)]
pub struct BoundIndex {
    /// Per key position: the expression, or `None` for a plain column.
    pub keys: Vec<Option<Expr>>,
    /// Per key position: the key's type.
    pub types: Vec<DataType>,
    /// The predicate of a partial index.
    pub predicate: Option<Expr>,
}

impl BoundIndex {
    /// Whether `row` belongs in the index: always for a full index, else when the
    /// predicate is true.
    pub fn covers(&self, row: &[Value]) -> Result<bool> {
        match &self.predicate {
            None => Ok(true),
            Some(p) => Ok(matches!(with_context(|c| p.eval(row, c))?, Value::Bool(true))),
        }
    }

    /// The key values of `row`.
    pub fn values(&self, columns: &[usize], row: &[Value]) -> Result<Vec<Value>> {
        with_context(|ctx| {
            columns
                .iter()
                .zip(&self.keys)
                .map(|(c, k)| match k {
                    Some(e) => e.eval(row, ctx),
                    None => Ok(row.get(*c).cloned().unwrap_or(Value::Null)),
                })
                .collect()
        })
    }
}

/// Runs `f` with the evaluation context of index expressions: immutable expressions
/// read no parameter, setting or clock, so one context per thread serves every row
/// (building one costs several allocations).
fn with_context<T>(f: impl FnOnce(&SimpleContext) -> T) -> T {
    thread_local! {
        static CONTEXT: SimpleContext = SimpleContext::default();
    }
    CONTEXT.with(|c| f(c))
}

/// The cached [`BoundIndex`] of an [`IndexDef`]. Not part of the definition: it compares
/// equal to any other, and a clone starts empty.
#[derive(Debug, Default)]
pub struct IndexExprCache(OnceLock<Arc<BoundIndex>>);

impl Clone for IndexExprCache {
    fn clone(&self) -> IndexExprCache {
        IndexExprCache::default()
    }
}

impl PartialEq for IndexExprCache {
    fn eq(&self, _: &IndexExprCache) -> bool {
        true
    }
}

impl IndexDef {
    /// Whether the index has only plain column keys and no predicate (every consumer
    /// that reasons about `columns` alone — foreign keys, ON CONFLICT, the column
    /// planner — looks only at those).
    pub fn is_plain(&self) -> bool {
        self.expressions.iter().all(Option::is_none) && self.predicate.is_none()
    }

    /// Whether `other` indexes the same keys the same way (a partition's copy of its
    /// parent's index).
    pub fn same_keys(&self, other: &IndexDef) -> bool {
        self.columns == other.columns
            && self.unique == other.unique
            && self.expressions == other.expressions
            && self.predicate == other.predicate
            && self.hash == other.hash
    }

    /// The key expression text at key position `i`, if it is an expression.
    pub fn expression(&self, i: usize) -> Option<&str> {
        self.expressions.get(i).and_then(|e| e.as_deref())
    }

    /// Whether the index reads column `pos` of `table` (as a key, in a key expression or
    /// in its predicate): dropping the column drops the index, as in PostgreSQL.
    pub fn reads_column(&self, table: &TableDef, pos: usize) -> bool {
        if self.is_plain() {
            return self.columns.contains(&pos);
        }
        let Ok(b) = self.bound(table) else { return true };
        let reads = |e: &Expr| {
            let mut found = false;
            e.walk(&mut |n| found |= matches!(n, Expr::Column(i, _) if *i == pos));
            found
        };
        b.keys.iter().zip(&self.columns).any(|(k, c)| match k {
            Some(e) => reads(e),
            None => *c == pos,
        }) || b.predicate.as_ref().is_some_and(reads)
    }

    /// The key expressions and predicate bound over `table`'s row (built on first use).
    pub fn bound(&self, table: &TableDef) -> Result<Arc<BoundIndex>> {
        if let Some(b) = self.bound_cache.0.get() {
            return Ok(b.clone());
        }
        let built = Arc::new(bind_index(table, self)?);
        let _ = self.bound_cache.0.set(built.clone());
        Ok(built)
    }
}

/// Binds the expressions and predicate of `index` over `table`.
fn bind_index(table: &TableDef, index: &IndexDef) -> Result<BoundIndex> {
    let mut keys = Vec::with_capacity(index.columns.len());
    let mut types = Vec::with_capacity(index.columns.len());
    for (i, c) in index.columns.iter().enumerate() {
        match index.expression(i) {
            Some(text) => {
                let e = bind_text(table, text, IndexPart::Expression)?;
                types.push(e.data_type());
                keys.push(Some(e));
            }
            None => {
                let col = table.columns.get(*c).ok_or_else(|| {
                    Error::corrupted(format!("index \"{}\" names a missing column", index.name))
                })?;
                types.push(col.data_type.clone());
                keys.push(None);
            }
        }
    }
    let predicate = match &index.predicate {
        Some(text) => Some(bind_text(table, text, IndexPart::Predicate)?),
        None => None,
    };
    Ok(BoundIndex { keys, types, predicate })
}

/// Which part of an index an expression is, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexPart {
    /// A key expression.
    Expression,
    /// The `WHERE` predicate.
    Predicate,
}

impl IndexPart {
    fn singular(self) -> &'static str {
        match self {
            IndexPart::Expression => "index expression",
            IndexPart::Predicate => "index predicate",
        }
    }

    fn plural(self) -> &'static str {
        match self {
            IndexPart::Expression => "index expressions",
            IndexPart::Predicate => "index predicates",
        }
    }
}

fn bind_text(table: &TableDef, text: &str, part: IndexPart) -> Result<Expr> {
    bind_ast(table, &crate::parser::parse_expr(text)?, part)
}

/// Binds one key expression or predicate over `table`'s columns (built-in functions
/// only). A predicate must be boolean.
pub fn bind_ast(table: &TableDef, e: &ast::Expr, part: IndexPart) -> Result<Expr> {
    let mut scope = IndexScope { table, part, session: SessionInfo::default() };
    let bound = bind_expr(e, &mut scope)?;
    match part {
        IndexPart::Expression => resolve_unknown(bound, &mut scope),
        IndexPart::Predicate => crate::binder::coerce_condition(bound, "WHERE"),
    }
}

/// PostgreSQL's checks of a key expression or predicate (see the module docs).
pub fn check_index_expr(e: &Expr, part: IndexPart) -> Result<()> {
    if e.contains_window() {
        return Err(Error::new(
            SqlState::from_code("42P20"),
            format!("window functions are not allowed in {}", part.plural()),
        ));
    }
    if e.contains_aggregate() {
        return Err(Error::new(
            SqlState::from_code("42803"),
            format!("aggregate functions are not allowed in {}", part.plural()),
        ));
    }
    let mut mutable = false;
    e.walk(&mut |n| {
        mutable |= match n {
            Expr::Function { func, .. } => {
                func.volatile || crate::binder::generated::NOT_IMMUTABLE.contains(&func.name)
            }
            Expr::Cast { expr, to, .. } => {
                crate::binder::generated::stable_cast(&expr.data_type(), to)
            }
            Expr::UserCall(_) | Expr::Param(..) => true,
            _ => false,
        };
    });
    if mutable {
        return Err(Error::new(
            SqlState::from_code("42P17"),
            format!("functions in {} must be marked IMMUTABLE", part.singular()),
        ));
    }
    Ok(())
}

/// The scope an index expression is bound in: the table's columns, nothing else.
struct IndexScope<'a> {
    table: &'a TableDef,
    part: IndexPart,
    session: SessionInfo,
}

impl ExprScope for IndexScope<'_> {
    fn resolve_column(&self, qualifier: Option<&str>, name: &str) -> Result<(usize, DataType)> {
        if let Some(q) = qualifier {
            if q != self.table.name && q != format!("{}.{}", self.table.schema, self.table.name) {
                return Err(Error::new(
                    SqlState::UNDEFINED_TABLE,
                    format!("missing FROM-clause entry for table \"{q}\""),
                ));
            }
        }
        match self.table.column_index(name) {
            Some(i) => Ok((i, self.table.columns[i].data_type.clone())),
            None => Err(Error::new(
                SqlState::UNDEFINED_COLUMN,
                format!("column \"{name}\" does not exist"),
            )),
        }
    }

    fn bind_subquery(
        &mut self,
        _query: &ast::Query,
        _kind: SubqueryKind,
    ) -> Result<(SubqueryId, Vec<DataType>)> {
        Err(Error::new(
            SqlState::FEATURE_NOT_SUPPORTED,
            format!("cannot use subquery in {}", self.part.singular()),
        ))
    }

    fn param_type(&mut self, _index: usize, _hint: Option<&DataType>) -> Result<DataType> {
        Err(Error::new(
            SqlState::from_code("42P02"),
            format!("there is no parameter ${}", _index + 1),
        ))
    }

    fn session(&self) -> &SessionInfo {
        &self.session
    }

    fn aggregates_allowed(&self) -> std::result::Result<(), &'static str> {
        Err(self.part.plural())
    }
}

/// The SQL text of a bound key expression or predicate as PostgreSQL prints it, over
/// `table`'s column names (what the catalog stores).
pub fn expr_text(table: &TableDef, e: &Expr) -> String {
    e.to_sql(&|i| {
        table
            .columns
            .get(i)
            .map_or_else(|| format!("#{i}"), |c| crate::functions::format::quote_ident(&c.name))
    })
}

/// How a key expression is shown in a key list (`pg_get_indexdef`, the DETAIL of a
/// unique violation): a function call bare, anything else in parentheses.
pub fn key_text(text: &str) -> String {
    let bare = text.ends_with(')')
        && text.find('(').is_some_and(|p| {
            p > 0 && text[..p].chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        });
    if bare {
        text.to_string()
    } else {
        format!("({text})")
    }
}

/// Whether the conjuncts `facts` (of a query's WHERE, or an ON CONFLICT's) imply the
/// predicate `pred` of a partial index: every conjunct of `pred` is one of `facts`, or
/// is `x IS NOT NULL` where a fact is a comparison of `x` with `=`, `<`, `<=`, `>` or
/// `>=` (strict: a NULL `x` makes it not true). Weaker than PostgreSQL's prover, never
/// wrong.
pub fn implies(facts: &[Expr], pred: &Expr) -> bool {
    let mut wanted = Vec::new();
    split_and(pred, &mut wanted);
    wanted.iter().all(|w| {
        facts.iter().any(|f| f == *w)
            || match w {
                Expr::IsNull { expr, negated: true } => facts.iter().any(|f| compares(f, expr)),
                _ => false,
            }
    })
}

fn split_and<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::Binary { op: crate::expr::BinaryOp::And, left, right, .. } => {
            split_and(left, out);
            split_and(right, out);
        }
        other => out.push(other),
    }
}

/// Whether `fact` is a strict comparison of `x` with something.
fn compares(fact: &Expr, x: &Expr) -> bool {
    use crate::expr::BinaryOp;
    match fact {
        Expr::Binary {
            op: BinaryOp::Eq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq,
            left,
            right,
            ..
        } => left.as_ref() == x || right.as_ref() == x,
        _ => false,
    }
}

/// Rewrites the stored key expressions and predicates of `table`'s indexes after a
/// column rename: bound over `before` (the old names), printed with the new ones.
pub fn rename_columns(before: &TableDef, table: &mut TableDef) -> Result<()> {
    let mut renamed = Vec::with_capacity(table.indexes.len());
    for (i, index) in table.indexes.iter().enumerate() {
        if index.is_plain() {
            continue;
        }
        let b = before.indexes.get(i).unwrap_or(index).bound(before)?;
        let exprs: Vec<Option<String>> =
            b.keys.iter().map(|k| k.as_ref().map(|e| expr_text(table, e))).collect();
        let pred = b.predicate.as_ref().map(|p| expr_text(table, p));
        renamed.push((i, exprs, pred));
    }
    for (i, exprs, pred) in renamed {
        let index = &mut table.indexes[i];
        if !index.expressions.is_empty() {
            index.expressions = exprs;
        }
        index.predicate = pred;
        index.bound_cache = IndexExprCache::default();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{bind_sql, StaticScope};

    fn bind(sql: &str) -> Expr {
        let mut scope = StaticScope::with_columns(&[("a", DataType::Int4), ("b", DataType::Int4)]);
        bind_sql(sql, &mut scope).expect("binds")
    }

    fn conjuncts(sql: &str) -> Vec<Expr> {
        let mut out = Vec::new();
        crate::optimizer::conjuncts::split(bind(sql), &mut out);
        out
    }

    #[test]
    fn a_predicate_is_implied_by_its_conjuncts_among_the_query_s() {
        let pred = bind("a > 0 AND b IS NULL");
        assert!(implies(&conjuncts("b IS NULL AND a = 3 AND a > 0"), &pred));
        assert!(!implies(&conjuncts("a > 0"), &pred));
        assert!(!implies(&conjuncts("a > 1 AND b IS NULL"), &pred), "no range reasoning");
    }

    #[test]
    fn is_not_null_is_implied_by_a_strict_comparison() {
        let pred = bind("a IS NOT NULL");
        assert!(implies(&conjuncts("a = 5"), &pred));
        assert!(implies(&conjuncts("3 < a"), &pred));
        assert!(!implies(&conjuncts("b = 5"), &pred));
        assert!(!implies(&conjuncts("a IS NULL"), &pred));
    }

    #[test]
    fn key_text_wraps_everything_but_a_function_call() {
        assert_eq!(key_text("lower(email)"), "lower(email)");
        assert_eq!(key_text("(a + b)"), "((a + b))");
        assert_eq!(key_text("(a)::text"), "((a)::text)");
    }
}
