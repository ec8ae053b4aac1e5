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
//! A chain takes this shape only when one of its LATERAL items mentions a name of the
//! earlier items (a word of its text equal to one of their column or table names):
//! otherwise it stays an ordinary join input, so `a, b JOIN LATERAL (..b..)` with
//! `WHERE a.id = b.id` still hash-joins `a` with the chain.

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;

use super::Binder;
use crate::planner::{Field, Plan, Schema};

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
    /// Binds join chain `twj` after the FROM items `prefix` as a LATERAL item over them,
    /// when one of its LATERAL items mentions them; `None` when it need not be.
    pub(super) fn bind_chain_over(
        &mut self,
        twj: &ast::TableWithJoins,
        prefix: &[Field],
    ) -> Result<Option<Plan>> {
        if !chain_mentions(twj, prefix) {
            return Ok(None);
        }
        let level = self.outer.len();
        self.outer.push(prefix.iter().map(masked).collect());
        self.correlated.push(super::Correlation::default());
        self.lateral_prefixes.push(LateralPrefix { level, fields: prefix.to_vec(), shown: false });
        let bound = self.with_unreachable(prefix, |b| b.bind_table_with_joins(twj, None));
        self.lateral_prefixes.pop();
        self.outer.pop();
        self.correlated.pop();
        Ok(Some(bound?.0))
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

/// Whether a LATERAL item among the joins of `twj` (nested joins included) mentions a
/// column or table name of `prefix`.
fn chain_mentions(twj: &ast::TableWithJoins, prefix: &[Field]) -> bool {
    let mut names: Vec<String> = Vec::new();
    for f in prefix {
        names.push(f.name.to_lowercase());
        if let Some(q) = &f.qualifier {
            names.push(q.to_lowercase());
        }
    }
    // A leading LATERAL item reads them anyway (as any FROM item's); one in a leading
    // nested join does not.
    let mut items = Vec::new();
    if let ast::TableFactor::NestedJoin { .. } = &twj.relation {
        lateral_items(&twj.relation, &mut items);
    }
    for j in &twj.joins {
        lateral_items(&j.relation, &mut items);
    }
    items.iter().any(|item| words(&item.to_string()).any(|w| names.contains(&w)))
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

/// The identifier-like words of SQL text, lowercased.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;
    use helios_types::DataType;

    fn chain(sql: &str) -> ast::TableWithJoins {
        let stmts = crate::parser::parse(sql).expect("test SQL parses");
        let Some(ast::Statement::Query(q)) = stmts.into_iter().next() else {
            panic!("not a query")
        };
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
    }

    #[test]
    fn chains_without_a_mention_stay_joins() {
        let twj = chain("SELECT * FROM a, b JOIN LATERAL (SELECT b.y AS z) s ON a.x = 1");
        assert!(!chain_mentions(&twj, &prefix()));
        let twj = chain("SELECT * FROM a, b JOIN (SELECT 1 AS x) s ON true");
        assert!(!chain_mentions(&twj, &prefix()));
    }
}
