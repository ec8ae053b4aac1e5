//! LATERAL items inside a join chain that read FROM items before the chain.
//!
//! In `FROM a, b JOIN LATERAL (SELECT a.x + b.y) s ON true` the LATERAL item `s` may read
//! `a`, an earlier item of the FROM list, besides `b`, the left side of its own join
//! (PostgreSQL keeps the earlier items in its namespace as "lateral only"). The join
//! chain `b JOIN LATERAL s` is then itself a LATERAL item of the FROM list:
//!
//! ```text
//!   Nested Loop (lateral)            the chain runs once per row of `a`,
//!     Scan a                         which is its enclosing row
//!     Nested Loop (lateral)
//!       Scan b
//!       Project a.x + b.y            enclosing row of `s`: b ++ a ++ (outer query)
//! ```
//!
//! While the chain binds, the earlier items are an enclosing level whose columns no
//! name reaches (so a join condition naming `a` still fails as in PostgreSQL), except
//! from a LATERAL item of the chain's own query level, which sees them by name.
//!
//! A chain takes this shape only when one of its LATERAL items may read the earlier
//! items (names one of their columns unqualified, or qualifies a name with one of their
//! tables): otherwise it stays an ordinary join input, so `a, b JOIN LATERAL (..b.y..)`
//! with `WHERE a.id = b.id` still hash-joins `a` with the chain.
//!
//! The nested shape reads `b` once per row of `a`. The common `a, b JOIN LATERAL s ON c`
//! whose `s` reads `a` but names nothing of `b` (an inner join, `b` a table) is bound
//! as `(a, LATERAL s) JOIN b ON c` instead, so `c` hash-joins `b` (PostgreSQL reorders
//! such joins by cost; this is the one reordering done here):
//!
//! ```text
//!   Project a.*, b.*, s.*            the written column order
//!     Hash Join  c
//!       Nested Loop (lateral)
//!         Scan a
//!         (s)
//!       Scan b
//! ```

use std::ops::ControlFlow;

use helios_common::{Error, Result, SqlState};
use sqlparser::ast::{self, Visit, Visitor};

use super::from::{check_distinct_names, join_plans};
use super::Binder;
use crate::expr::Expr;
use crate::planner::{Field, JoinKind, Plan, Schema};

/// An enclosing level holding earlier FROM items, seen by name only from LATERAL items.
#[derive(Debug)]
pub(super) struct LateralPrefix {
    /// Its index in the binder's enclosing levels.
    level: usize,
    /// The earlier items' fields while they are hidden (swapped with the level's).
    fields: Schema,
    /// The level holds the named fields (a LATERAL item of the chain is binding).
    shown: bool,
}

impl Binder<'_> {
    /// Binds FROM list item `twj` after the earlier items `left` and joins them.
    pub(super) fn bind_from_item(&mut self, left: Plan, twj: &ast::TableWithJoins) -> Result<Plan> {
        let prefix = left.schema();
        if chain_mentions(twj, &prefix) {
            let left = match self.bind_reassociated(left, twj)? {
                Ok(joined) => return Ok(joined),
                Err(left) => left,
            };
            let chain = self.bind_nested_chain(twj, &prefix)?;
            check_distinct_names(&prefix, &chain.schema())?;
            return Ok(join_plans(left, chain, JoinKind::Inner, None, true));
        }
        // Only LATERAL items reach the earlier items; for the others they are
        // unreachable, as in PostgreSQL's error.
        let item =
            self.with_unreachable(&prefix.clone(), |b| b.bind_table_with_joins(twj, Some(prefix)))?;
        check_distinct_names(&left.schema(), &item.0.schema())?;
        Ok(join_plans(left, item.0, JoinKind::Inner, None, item.1))
    }

    /// `p, b JOIN LATERAL s ON c` (`b` a table, `s` naming nothing of `b`) bound as
    /// `(p, LATERAL s) JOIN b ON c`: the same rows for an inner join, as `s` depends on
    /// the row of `p` only, but `c` can hash-join `b` instead of `b` being read once per
    /// row of `p`. Columns come out in the written order (`p`, `b`, `s`). `Err(left)`
    /// when the chain has another shape.
    fn bind_reassociated(
        &mut self,
        left: Plan,
        twj: &ast::TableWithJoins,
    ) -> Result<std::result::Result<Plan, Plan>> {
        use ast::JoinOperator as J;
        let [join] = twj.joins.as_slice() else { return Ok(Err(left)) };
        let on = match &join.join_operator {
            J::Join(c) | J::Inner(c) | J::CrossJoin(c) => match c {
                ast::JoinConstraint::On(e) => Some(e),
                ast::JoinConstraint::None => None,
                _ => return Ok(Err(left)),
            },
            _ => return Ok(Err(left)),
        };
        let table = matches!(&twj.relation, ast::TableFactor::Table { args: None, .. });
        if !table || !is_lateral_item(&join.relation) {
            return Ok(Err(left));
        }
        let prefix = left.schema();
        let marks = (self.subqueries.len(), self.ctes.len());
        let b = self
            .with_unreachable(&prefix, |b| {
                b.bind_table_with_joins(
                    &ast::TableWithJoins { relation: twj.relation.clone(), joins: Vec::new() },
                    None,
                )
            })?
            .0;
        let b_fields = b.schema();
        if chain_mentions(twj, &b_fields) {
            // Bound again on the general path: drop what this binding registered.
            self.subqueries.truncate(marks.0);
            self.ctes.truncate(marks.1);
            return Ok(Err(left));
        }
        // As `p, LATERAL s`: `p` is the left side of its own join.
        let (s, lateral) = self.bind_factor(&join.relation, Some(&prefix))?;
        let s_fields = s.schema();
        check_distinct_names(&b_fields, &s_fields)?;
        check_distinct_names(&prefix, &b_fields)?;
        check_distinct_names(&prefix, &s_fields)?;
        let ps = join_plans(left, s, JoinKind::Inner, None, lateral);
        let mut fields: Schema = prefix.iter().map(masked).collect();
        fields.extend(s_fields.iter().cloned());
        fields.extend(b_fields.iter().cloned());
        let on =
            match on {
                Some(e) => Some(self.with_unreachable(&prefix, |bd| {
                    bd.bind_condition(e, &fields, "JOIN/ON", false)
                })?),
                None => None,
            };
        let joined = join_plans(ps, b, JoinKind::Inner, on, false);
        // Back to the written column order.
        let (np, ns) = (prefix.len(), s_fields.len());
        let order = (0..np).chain(np + ns..np + ns + b_fields.len()).chain(np..np + ns);
        let all = joined.schema();
        let exprs: Vec<Expr> = order
            .clone()
            .filter_map(|i| all.get(i).map(|f| Expr::Column(i, f.data_type.clone())))
            .collect();
        let schema: Schema = order.filter_map(|i| all.get(i).cloned()).collect();
        Ok(Ok(Plan::Project { input: Box::new(joined), exprs, schema }))
    }

    /// Binds chain `twj` as a LATERAL item over the earlier items `prefix`: they form an
    /// enclosing level that only its LATERAL items see.
    fn bind_nested_chain(&mut self, twj: &ast::TableWithJoins, prefix: &[Field]) -> Result<Plan> {
        let level = self.outer.len();
        self.outer.push(prefix.iter().map(masked).collect());
        self.correlated.push(super::Correlation::default());
        self.lateral_prefixes.push(LateralPrefix { level, fields: prefix.to_vec(), shown: false });
        let bound = self.with_unreachable(prefix, |b| b.bind_table_with_joins(twj, None));
        self.lateral_prefixes.pop();
        self.outer.pop();
        self.correlated.pop();
        Ok(bound?.0)
    }

    /// Runs `f` (binding a LATERAL item) with the earlier FROM items of its own query
    /// level's join chain visible by name.
    pub(super) fn with_lateral_prefix<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        let depth = self.outer.len();
        let shown: Vec<usize> = (0..self.lateral_prefixes.len())
            .filter(|&i| self.lateral_prefixes[i].level + 1 == depth)
            .collect();
        self.swap_prefixes(&shown);
        let result = f(self);
        self.swap_prefixes(&shown);
        result
    }

    /// Exchanges the hidden and the named fields of the given prefixes' levels.
    fn swap_prefixes(&mut self, which: &[usize]) {
        for &i in which {
            let Some(p) = self.lateral_prefixes.get_mut(i) else { continue };
            if let Some(level) = self.outer.get_mut(p.level) {
                std::mem::swap(level, &mut p.fields);
                p.shown = !p.shown;
            }
        }
    }

    /// Fails (42702) when a name found in enclosing level `j`, the left side of a
    /// LATERAL item's join, is also a column of the earlier FROM items shown next to it:
    /// for PostgreSQL both are one namespace.
    pub(super) fn check_lateral_ambiguity(
        &self,
        j: usize,
        qualifier: Option<&str>,
        name: &str,
    ) -> Result<()> {
        let beside = self.lateral_prefixes.iter().find(|p| p.shown && p.level + 1 == j);
        let Some(p) = beside else { return Ok(()) };
        let found = match self.outer.get(p.level) {
            Some(fields) => super::scope::find_field(fields, qualifier, name)?,
            None => None,
        };
        if found.is_none() {
            return Ok(());
        }
        let shown = match qualifier {
            Some(q) => format!("{q}.{name}"),
            None => name.to_string(),
        };
        Err(Error::new(
            SqlState::AMBIGUOUS_COLUMN,
            format!("column reference \"{shown}\" is ambiguous"),
        ))
    }
}

/// A field no name finds (its position and type stay).
fn masked(f: &Field) -> Field {
    Field { name: String::new(), data_type: f.data_type.clone(), qualifier: None, hidden: true }
}

/// Whether a LATERAL item among the joins of `twj` (nested joins included) may read
/// `prefix`: names a column of it unqualified, or qualifies a name (or a `.*`) with one
/// of its tables. Conservative: a name found nearer still counts.
fn chain_mentions(twj: &ast::TableWithJoins, prefix: &[Field]) -> bool {
    let mut m = Mentions { columns: Vec::new(), tables: Vec::new() };
    for f in prefix {
        m.columns.push(f.name.to_lowercase());
        if let Some(q) = &f.qualifier {
            m.tables.push(q.to_lowercase());
        }
    }
    // The chain's first item, when LATERAL, reads them as any FROM list item does; the
    // LATERAL items of a first nested join need the chain shape.
    let mut items = Vec::new();
    if let ast::TableFactor::NestedJoin { .. } = &twj.relation {
        lateral_items(&twj.relation, &mut items);
    }
    for j in &twj.joins {
        lateral_items(&j.relation, &mut items);
    }
    items.iter().any(|item| item.visit(&mut m).is_break())
}

/// Finds names that may refer to the earlier FROM items (lowercased: a quoted name in
/// other case only counts once more).
struct Mentions {
    columns: Vec<String>,
    tables: Vec<String>,
}

impl Mentions {
    fn table(&self, i: &ast::Ident) -> bool {
        self.tables.contains(&i.value.to_lowercase())
    }

    /// A `.*` of one of the tables in the select lists of `body`.
    fn wildcard_in(&self, body: &ast::SetExpr) -> bool {
        match body {
            ast::SetExpr::Select(s) => s.projection.iter().any(|item| match item {
                ast::SelectItem::QualifiedWildcard(
                    ast::SelectItemQualifiedWildcardKind::ObjectName(name),
                    _,
                ) => name.0.last().and_then(|p| p.as_ident()).is_some_and(|i| self.table(i)),
                _ => false,
            }),
            ast::SetExpr::SetOperation { left, right, .. } => {
                self.wildcard_in(left) || self.wildcard_in(right)
            }
            ast::SetExpr::Query(q) => self.wildcard_in(&q.body),
            _ => false,
        }
    }
}

impl Visitor for Mentions {
    type Break = ();

    fn pre_visit_query(&mut self, query: &ast::Query) -> ControlFlow<()> {
        match self.wildcard_in(&query.body) {
            true => ControlFlow::Break(()),
            false => ControlFlow::Continue(()),
        }
    }

    fn pre_visit_expr(&mut self, expr: &ast::Expr) -> ControlFlow<()> {
        let found = match expr {
            ast::Expr::Identifier(i) => {
                self.columns.contains(&i.value.to_lowercase()) || self.table(i)
            }
            ast::Expr::CompoundIdentifier(parts) => {
                parts.split_last().is_some_and(|(_, quals)| quals.iter().any(|q| self.table(q)))
            }
            ast::Expr::QualifiedWildcard(name, _) => {
                name.0.iter().filter_map(|p| p.as_ident()).any(|i| self.table(i))
            }
            _ => false,
        };
        match found {
            true => ControlFlow::Break(()),
            false => ControlFlow::Continue(()),
        }
    }
}

/// Whether `factor` is a LATERAL item: a LATERAL subquery or a function call.
pub(super) fn is_lateral_item(factor: &ast::TableFactor) -> bool {
    matches!(
        factor,
        ast::TableFactor::Derived { lateral: true, .. }
            | ast::TableFactor::Table { args: Some(_), .. }
            | ast::TableFactor::Function { .. }
            | ast::TableFactor::UNNEST { .. }
    )
}

/// The LATERAL items of `factor`, looking into nested joins.
fn lateral_items<'a>(factor: &'a ast::TableFactor, out: &mut Vec<&'a ast::TableFactor>) {
    match factor {
        f if is_lateral_item(f) => out.push(f),
        ast::TableFactor::NestedJoin { table_with_joins, .. } => {
            lateral_items(&table_with_joins.relation, out);
            for j in &table_with_joins.joins {
                lateral_items(&j.relation, out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use helios_types::DataType;

    fn chain(sql: &str) -> ast::TableWithJoins {
        let stmts = crate::parser::parse(sql).expect("test SQL parses");
        let Some(crate::parser::Statement::Sql(stmt)) = stmts.into_iter().next() else {
            panic!("not a query")
        };
        let ast::Statement::Query(q) = *stmt else { panic!("not a query") };
        let ast::SetExpr::Select(s) = *q.body else { panic!("not a select") };
        s.from.into_iter().nth(1).expect("two FROM items")
    }

    fn prefix() -> Vec<Field> {
        let mut f = Field::new("x", DataType::Int4);
        f.qualifier = Some("a".into());
        vec![f]
    }

    #[test]
    fn mention_of_an_earlier_item_is_found() {
        let twj = chain("SELECT * FROM a, b JOIN LATERAL (SELECT A.x + b.y AS z) s ON true");
        assert!(chain_mentions(&twj, &prefix()));
        let twj = chain("SELECT * FROM a, b JOIN generate_series(1, x) g ON true");
        assert!(chain_mentions(&twj, &prefix()));
        let twj =
            chain("SELECT * FROM a, b JOIN (c JOIN LATERAL (SELECT a.* FROM d) s ON true) ON true");
        assert!(chain_mentions(&twj, &prefix()));
    }

    #[test]
    fn chains_without_a_mention_stay_joins() {
        let twj = chain("SELECT * FROM a, b JOIN LATERAL (SELECT b.y AS z) s ON a.x = 1");
        assert!(!chain_mentions(&twj, &prefix()));
        let twj =
            chain("SELECT * FROM a, b JOIN LATERAL (SELECT c.x FROM c WHERE c.y = b.y) s ON true");
        assert!(!chain_mentions(&twj, &prefix()));
        let twj = chain("SELECT * FROM a, b JOIN (SELECT 1 AS x) s ON true");
        assert!(!chain_mentions(&twj, &prefix()));
    }
}
