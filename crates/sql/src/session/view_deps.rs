//! What views and materialized views read, so that DDL on what they read keeps them
//! working or is refused, as PostgreSQL's dependency tracking does:
//!
//! - DROP of a table, view or materialized view that views read fails with 2BP01 and
//!   lists them; with CASCADE they are dropped too, and what reads them;
//! - DROP COLUMN of a column a view may read: the same; ALTER COLUMN TYPE of it: 0A000;
//! - RENAME of a table or view rewrites the queries that name it: `FROM old` becomes
//!   `FROM new AS old`, so every `old.column` in them still means the same;
//! - RENAME COLUMN rewrites the column's name in the queries that read it where the name
//!   can mean nothing else, and is refused (0A000) where it could.
//!
//! A view's dependencies are found by binding its query without privilege checks
//! ([`Binder::dependency_probe`]) and taking the relations the query names itself, so a
//! catalog needs no dependency records and views made before this work too. A column
//! counts as read by a view that names its table when the query names the column, or
//! selects `*` and the view has an output column of that name (a `*` expands when the
//! view is made); a column of another table with the same name counts too (the cautious
//! side: a needless refusal, never a broken view).

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use helios_common::{Error, Result, SqlState};
use sqlparser::ast::{self, VisitMut, VisitorMut};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::Session;
use crate::binder::Binder;
use crate::catalog::{Catalog, CatalogStore, Relation};
use crate::encoding::keys::CatalogKind;
use crate::exec::table_io;
use crate::expr::SessionInfo;

/// A view or materialized view that reads some relation.
#[derive(Debug, Clone)]
pub(super) struct Dependent {
    pub id: u32,
    pub materialized: bool,
    pub name: String,
    pub query: String,
    /// Its output column names (what a `*` in its query expanded to when it was made).
    pub columns: Vec<String>,
    /// The search path its query's names are found in (a view's recorded one; empty:
    /// the session's).
    pub search_path: Vec<String>,
}

impl Dependent {
    /// The search path its query's names are found in: its own, else `info`'s.
    fn path<'a>(&'a self, info: &'a SessionInfo) -> &'a [String] {
        if self.search_path.is_empty() {
            &info.search_path
        } else {
            &self.search_path
        }
    }

    /// The session facts its query is bound with: `info` with [`Dependent::path`].
    fn bound_with<'i>(&self, info: &'i SessionInfo) -> std::borrow::Cow<'i, SessionInfo> {
        if self.search_path.is_empty() {
            return std::borrow::Cow::Borrowed(info);
        }
        let mut home = info.clone();
        home.search_path = self.search_path.clone();
        std::borrow::Cow::Owned(home)
    }

    /// `view v` / `materialized view m`, as PostgreSQL's messages name it.
    pub fn describe(&self) -> String {
        let kind = if self.materialized { "materialized view" } else { "view" };
        format!("{kind} {}", self.name)
    }
}

/// The relations `query` names itself; `None` when it no longer binds (it reads
/// something that is gone), which makes it depend on nothing.
pub(crate) fn relations_named(
    catalog: &Catalog,
    info: &SessionInfo,
    query: &str,
) -> Option<Vec<u32>> {
    let parsed = crate::parser::parse_query(query).ok()?;
    let mut binder = Binder::dependency_probe(catalog, info);
    binder.bind_query(&parsed).ok()?;
    Some(binder.relations_named)
}

/// Every view and materialized view of the catalog.
fn all_views(catalog: &Catalog) -> impl Iterator<Item = Dependent> + '_ {
    let views = catalog.views.values().map(|v| Dependent {
        id: v.id,
        materialized: false,
        name: v.name.clone(),
        query: v.query.clone(),
        columns: v.columns.clone(),
        search_path: v.search_path.clone(),
    });
    let matviews = catalog.tables.values().filter_map(|t| {
        t.matview.as_ref().map(|m| Dependent {
            id: t.id,
            materialized: true,
            name: t.name.clone(),
            query: m.query.clone(),
            columns: t.columns.iter().map(|c| c.name.clone()).collect(),
            search_path: m.search_path.clone(),
        })
    });
    views.chain(matviews)
}

/// The views and materialized views whose queries name relation `target`, ordered by
/// name (the order of PostgreSQL's DETAIL lines is not defined; this one is stable).
pub(super) fn views_reading(catalog: &Catalog, info: &SessionInfo, target: u32) -> Vec<Dependent> {
    let mut out: Vec<Dependent> = all_views(catalog)
        .filter(|d| d.id != target)
        .filter(|d| {
            relations_named(catalog, &d.bound_with(info), &d.query)
                .is_some_and(|r| r.contains(&target))
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    out
}

/// `views_reading`, then what reads those, and so on: each once, with the relation it
/// depends on (for DETAIL lines).
fn views_reading_closure(
    catalog: &Catalog,
    info: &SessionInfo,
    target: u32,
    target_desc: &str,
) -> Vec<(Dependent, String)> {
    let mut seen = BTreeSet::from([target]);
    let mut out = Vec::new();
    let mut queue = vec![(target, target_desc.to_string())];
    while let Some((id, desc)) = queue.pop() {
        for d in views_reading(catalog, info, id) {
            if seen.insert(d.id) {
                queue.insert(0, (d.id, d.describe()));
                out.push((d, desc.clone()));
            }
        }
    }
    out
}

/// Whether a view may read column `column` of a table its query names: the query names
/// the column, or selects `*` and the view has an output column of that name (a `*`
/// expanded when the view was made, as in PostgreSQL, so a column added since is not
/// read).
fn may_read_column(view: &Dependent, column: &str) -> bool {
    names_or_selects_all(&view.query, column)
        .is_some_and(|wildcard_only| !wildcard_only || view.columns.iter().any(|c| c == column))
}

/// `Some(false)` when `query` names `column`, `Some(true)` when it only selects `*`,
/// `None` when neither (see [`may_read_column`]).
fn names_or_selects_all(query: &str, column: &str) -> Option<bool> {
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, query).tokenize() else {
        return Some(false);
    };
    let mut previous: Option<&Token> = None;
    let mut wildcard = false;
    for t in tokens.iter().filter(|t| !matches!(t, Token::Whitespace(_))) {
        match t {
            Token::Word(w) => {
                let name =
                    if w.quote_style.is_some() { w.value.clone() } else { w.value.to_lowercase() };
                if name == column {
                    return Some(false);
                }
            }
            Token::Mul => {
                wildcard |= match previous {
                    None | Some(Token::Comma | Token::Period) => true,
                    Some(Token::Word(w)) => {
                        matches!(
                            w.value.to_ascii_uppercase().as_str(),
                            "SELECT" | "DISTINCT" | "ALL"
                        ) && w.quote_style.is_none()
                    }
                    _ => false,
                };
            }
            _ => {}
        }
        previous = Some(t);
    }
    wildcard.then_some(true)
}

fn dependents_error(what: &str, deps: &[(Dependent, String)]) -> Error {
    let detail: Vec<String> =
        deps.iter().map(|(d, on)| format!("{} depends on {on}", d.describe())).collect();
    Error::new(
        SqlState::DEPENDENT_OBJECTS_STILL_EXIST,
        format!("cannot drop {what} because other objects depend on it"),
    )
    .with_detail(detail.join("\n"))
    .with_hint("Use DROP ... CASCADE to drop the dependent objects too.")
}

/// Renames, in a stored query, every reference to relation `target` to `new_name` (in
/// schema `new_schema` when it moved there), keeping the old name as the reference's
/// alias when it had none. `Ok(None)` when the query does not name it.
fn rename_relation_in(
    catalog: &Catalog,
    search_path: &[String],
    query: &str,
    target: u32,
    new_name: &str,
    new_schema: Option<&str>,
) -> Result<Option<String>> {
    struct Renamer<'c> {
        catalog: &'c Catalog,
        search_path: &'c [String],
        ctes: BTreeSet<String>,
        target: u32,
        new_name: &'c str,
        new_schema: Option<&'c str>,
        changed: bool,
    }
    impl VisitorMut for Renamer<'_> {
        type Break = ();
        fn pre_visit_query(&mut self, q: &mut ast::Query) -> ControlFlow<()> {
            self.ctes.extend(crate::parser::cte_names(q));
            ControlFlow::Continue(())
        }
        fn pre_visit_table_factor(&mut self, tf: &mut ast::TableFactor) -> ControlFlow<()> {
            let ast::TableFactor::Table { name, alias, .. } = tf else {
                return ControlFlow::Continue(());
            };
            let Ok(qn) = crate::parser::object_name(name) else { return ControlFlow::Continue(()) };
            if qn.schema.is_none() && self.ctes.contains(&qn.name) {
                return ControlFlow::Continue(());
            }
            let found = self.catalog.resolve(qn.schema.as_deref(), &qn.name, self.search_path);
            let is_target = matches!(found, Some((_, Relation::Table(id) | Relation::View(id))) if id == self.target);
            if !is_target {
                return ControlFlow::Continue(());
            }
            if alias.is_none() {
                *alias = Some(ast::TableAlias {
                    explicit: true,
                    name: quoted(&qn.name),
                    columns: Vec::new(),
                    at: None,
                });
            }
            match self.new_schema {
                Some(schema) => {
                    name.0 = vec![
                        ast::ObjectNamePart::Identifier(quoted(schema)),
                        ast::ObjectNamePart::Identifier(quoted(self.new_name)),
                    ];
                }
                None => {
                    if let Some(last) = name.0.last_mut() {
                        *last = ast::ObjectNamePart::Identifier(quoted(self.new_name));
                    }
                }
            }
            self.changed = true;
            ControlFlow::Continue(())
        }
    }
    let mut parsed = crate::parser::parse_query(query)?;
    let mut r = Renamer {
        catalog,
        search_path,
        ctes: BTreeSet::new(),
        target,
        new_name,
        new_schema,
        changed: false,
    };
    let _ = parsed.visit(&mut r);
    Ok(r.changed.then(|| parsed.to_string()))
}

/// An identifier for `name`, quoted only when it must be.
fn quoted(name: &str) -> ast::Ident {
    if crate::functions::format::quote_ident(name) == name {
        ast::Ident::new(name)
    } else {
        ast::Ident::with_quote('"', name)
    }
}

/// Renames column `old` to `new` in a stored query that reads table `table`, when the
/// name cannot mean anything else there: no other relation it names has a column `old`
/// or `new`, and it has no WITH, no subquery in FROM and no output alias `old`.
fn rename_column_in(
    catalog: &Catalog,
    info: &SessionInfo,
    query: &str,
    table: u32,
    old: &str,
    new: &str,
) -> Option<String> {
    let named = relations_named(catalog, info, query)?;
    let has_column = |id: u32, c: &str| match (catalog.table(id), catalog.views.get(&id)) {
        (Some(t), _) => t.column_index(c).is_some(),
        (_, Some(v)) => v.columns.iter().any(|x| x == c),
        _ => false,
    };
    if named.iter().any(|&id| id != table && (has_column(id, old) || has_column(id, new))) {
        return None;
    }
    struct Columns<'a> {
        old: &'a str,
        new: &'a str,
        safe: bool,
    }
    impl VisitorMut for Columns<'_> {
        type Break = ();
        fn pre_visit_query(&mut self, q: &mut ast::Query) -> ControlFlow<()> {
            if q.with.is_some() {
                self.safe = false;
            }
            ControlFlow::Continue(())
        }
        fn pre_visit_select(&mut self, s: &mut ast::Select) -> ControlFlow<()> {
            for item in &s.projection {
                if let ast::SelectItem::ExprWithAlias { alias, .. } = item {
                    let a = crate::parser::ident_name(alias);
                    if a == self.old || a == self.new {
                        self.safe = false;
                    }
                }
            }
            ControlFlow::Continue(())
        }
        fn pre_visit_table_factor(&mut self, tf: &mut ast::TableFactor) -> ControlFlow<()> {
            match tf {
                ast::TableFactor::Table { .. } => {}
                _ => self.safe = false,
            }
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, e: &mut ast::Expr) -> ControlFlow<()> {
            let rename = |i: &mut ast::Ident, old: &str, new: &str| {
                if crate::parser::ident_name(i) == old {
                    *i = quoted(new);
                }
            };
            match e {
                ast::Expr::Identifier(i) => rename(i, self.old, self.new),
                ast::Expr::CompoundIdentifier(parts) => {
                    if let Some(last) = parts.last_mut() {
                        rename(last, self.old, self.new);
                    }
                }
                _ => {}
            }
            ControlFlow::Continue(())
        }
    }
    let mut parsed = crate::parser::parse_query(query).ok()?;
    let mut c = Columns { old, new, safe: true };
    let _ = parsed.visit(&mut c);
    // `JOIN ... USING (old)` or NATURAL joins on it need another relation with a column
    // `old`, which makes the rename unsafe above.
    c.safe.then(|| parsed.to_string())
}

impl Session {
    /// Before DROP of relation `target` (`what`: `table a`, `view v`...): refuses with
    /// 2BP01 when views read it, unless `cascade`, which drops them (and what reads
    /// them) first.
    pub(super) fn drop_views_reading(
        &mut self,
        catalog: &Catalog,
        target: u32,
        what: &str,
        cascade: bool,
    ) -> Result<()> {
        let info = self.info();
        let deps = views_reading_closure(catalog, &info, target, what);
        if deps.is_empty() {
            return Ok(());
        }
        self.drop_dependents(what, deps, cascade)
    }

    /// Before DROP COLUMN `column` of table `table` (named `table_name`): as
    /// [`Session::drop_views_reading`], for the views that may read the column.
    pub(super) fn drop_views_reading_column(
        &mut self,
        catalog: &Catalog,
        table: u32,
        table_name: &str,
        column: &str,
        cascade: bool,
    ) -> Result<()> {
        let info = self.info();
        let direct: Vec<Dependent> = views_reading(catalog, &info, table)
            .into_iter()
            .filter(|d| may_read_column(d, column))
            .collect();
        if direct.is_empty() {
            return Ok(());
        }
        let on = format!("column {column} of table {table_name}");
        let mut deps: Vec<(Dependent, String)> = Vec::new();
        for d in direct {
            let further = views_reading_closure(catalog, &info, d.id, &d.describe());
            deps.push((d, on.clone()));
            for f in further {
                if !deps.iter().any(|(x, _)| x.id == f.0.id) {
                    deps.push(f);
                }
            }
        }
        self.drop_dependents(&on, deps, cascade)
    }

    /// Refuses (2BP01, listing `deps`) what would drop `what` unless `cascade`, which
    /// drops the dependent views and materialized views.
    fn drop_dependents(
        &mut self,
        what: &str,
        deps: Vec<(Dependent, String)>,
        cascade: bool,
    ) -> Result<()> {
        if !cascade {
            return Err(dependents_error(what, &deps));
        }
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        let triggers: Vec<_> = self.engine.catalogs.get(txn)?.triggers.values().cloned().collect();
        for (d, _) in deps {
            if d.materialized {
                table_io::clear_table(txn, d.id)?;
                CatalogStore::delete(txn, CatalogKind::Table, d.id)?;
            } else {
                CatalogStore::delete(txn, CatalogKind::View, d.id)?;
            }
            for t in &triggers {
                if t.table == d.id {
                    CatalogStore::delete(txn, CatalogKind::Trigger, t.id)?;
                }
            }
        }
        Ok(())
    }

    /// Before ALTER COLUMN TYPE: 0A000 when a view may read the column.
    pub(super) fn refuse_type_change_read_by_views(
        &self,
        catalog: &Catalog,
        table: u32,
        column: &str,
    ) -> Result<()> {
        let info = self.info();
        match views_reading(catalog, &info, table).into_iter().find(|d| may_read_column(d, column))
        {
            None => Ok(()),
            Some(d) => Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                format!(
                    "cannot alter type of a column used by a {}",
                    if d.materialized { "materialized view" } else { "view or rule" }
                ),
            )
            .with_detail(format!(
                "rule _RETURN on {} depends on column \"{column}\"",
                d.describe()
            ))),
        }
    }

    /// Before relation `target` is renamed to `new_name`: rewrites the queries of the
    /// views that name it (see the module docs). `catalog` is from before the rename.
    pub(super) fn rename_in_views(
        &mut self,
        catalog: &Catalog,
        target: u32,
        new_name: &str,
    ) -> Result<()> {
        self.rewrite_views_naming(catalog, target, new_name, None)
    }

    /// Before relation `target` (named `name`) moves to schema `schema`: the views that
    /// name it name it there (`FROM s.t` becomes `FROM s2.t AS t`).
    pub(super) fn move_in_views(
        &mut self,
        catalog: &Catalog,
        target: u32,
        name: &str,
        schema: &str,
    ) -> Result<()> {
        self.rewrite_views_naming(catalog, target, name, Some(schema))
    }

    /// The queries of the views that read relations `moved` (table and view ids), as
    /// they must read once those moved to schema `new_schema` (a schema rename moves
    /// everything in it): view id to new query text.
    pub(super) fn view_queries_after_move(
        &self,
        catalog: &Catalog,
        moved: &[u32],
        new_schema: &str,
    ) -> Result<std::collections::HashMap<u32, String>> {
        let info = self.info();
        let mut out: std::collections::HashMap<u32, String> = std::collections::HashMap::new();
        for &id in moved {
            let name = match (catalog.table(id), catalog.views.get(&id)) {
                (Some(t), _) => t.name.clone(),
                (_, Some(v)) => v.name.clone(),
                _ => continue,
            };
            for d in views_reading(catalog, &info, id) {
                let current = out.get(&d.id).cloned().unwrap_or_else(|| d.query.clone());
                let path = d.path(&info);
                if let Some(text) =
                    rename_relation_in(catalog, path, &current, id, &name, Some(new_schema))?
                {
                    out.insert(d.id, text);
                }
            }
        }
        Ok(out)
    }

    fn rewrite_views_naming(
        &mut self,
        catalog: &Catalog,
        target: u32,
        new_name: &str,
        new_schema: Option<&str>,
    ) -> Result<()> {
        let info = self.info();
        for d in views_reading(catalog, &info, target) {
            let path = d.path(&info);
            let Some(text) =
                rename_relation_in(catalog, path, &d.query, target, new_name, new_schema)?
            else {
                continue;
            };
            self.store_view_query(catalog, &d, text)?;
        }
        Ok(())
    }

    /// Before column `old` of table `table` is renamed to `new`: rewrites the views that
    /// read it, or refuses (0A000) when a view's query could mean another column by it.
    pub(super) fn rename_column_in_views(
        &mut self,
        catalog: &Catalog,
        table: u32,
        old: &str,
        new: &str,
    ) -> Result<()> {
        let info = self.info();
        let readers: Vec<Dependent> = views_reading(catalog, &info, table)
            .into_iter()
            .filter(|d| may_read_column(d, old))
            .collect();
        for d in readers {
            match rename_column_in(catalog, &d.bound_with(&info), &d.query, table, old, new) {
                Some(text) => self.store_view_query(catalog, &d, text)?,
                None => {
                    return Err(Error::new(
                        SqlState::FEATURE_NOT_SUPPORTED,
                        format!(
                            "cannot rename column \"{old}\": {} reads it in a way that cannot be rewritten",
                            d.describe()
                        ),
                    )
                    .with_hint("Drop the view, rename the column, and create the view again."))
                }
            }
        }
        Ok(())
    }

    fn store_view_query(&mut self, catalog: &Catalog, d: &Dependent, text: String) -> Result<()> {
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        if d.materialized {
            if let Some(t) = catalog.table(d.id) {
                let mut t = t.as_ref().clone();
                if let Some(m) = t.matview.as_mut() {
                    m.query = text;
                }
                CatalogStore::put_table(txn, &t)?;
            }
        } else if let Some(v) = catalog.views.get(&d.id) {
            let mut v = v.as_ref().clone();
            v.query = text;
            CatalogStore::put_view(txn, &v)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::names_or_selects_all as reads;

    #[test]
    fn columns_a_query_names_or_selects_with_a_wildcard() {
        assert_eq!(reads("SELECT a, b FROM t", "b"), Some(false));
        assert_eq!(reads("SELECT t.\"B\" FROM t", "B"), Some(false));
        assert_eq!(reads("SELECT t.\"B\" FROM t", "b"), None);
        assert_eq!(reads("SELECT * FROM t", "z"), Some(true));
        assert_eq!(reads("SELECT DISTINCT * FROM t", "z"), Some(true));
        assert_eq!(reads("SELECT a, t.* FROM t", "z"), Some(true));
        assert_eq!(reads("SELECT * FROM t WHERE z > 1", "z"), Some(false));
        assert_eq!(reads("SELECT count(*) FROM t", "z"), None);
        assert_eq!(reads("SELECT a * 2 FROM t", "z"), None);
        assert_eq!(reads("SELECT 1 FROM t JOIN u USING (z)", "z"), Some(false));
    }
}
