//! Catalog objects found by the OIDs `pg_catalog` hands out (see the OID table in
//! `pg_catalog.rs`), and the SQL text PostgreSQL's `pg_get_*def` functions print for
//! them: `CREATE INDEX ...`, `PRIMARY KEY (id)`, `FOREIGN KEY (a) REFERENCES t(id)`.
//!
//! Used by `pg_catalog` rows (so `pg_indexes.indexdef` and `pg_get_indexdef` agree) and
//! by the catalog functions, which look objects up while a statement runs.

use crate::catalog::{
    Catalog, CheckDef, FkAction, ForeignKeyDef, IndexDef, SequenceDef, TableDef, ViewDef,
};
use crate::functions::format::quote_ident;

use super::pg_catalog::{index_oid, relation_oid, schema_oid};

/// The first constraint OID (constraint `n` of table `t` is `BASE + 100 * t + n`).
pub(crate) const CONSTRAINT_OID_BASE: i64 = 50_000_000;

/// A relation (`pg_class` row) found by OID.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RelationRef<'a> {
    /// A table.
    Table(&'a TableDef),
    /// An index of a table.
    Index(&'a TableDef, &'a IndexDef),
    /// A view.
    View(&'a ViewDef),
    /// A sequence.
    Sequence(&'a SequenceDef),
}

impl<'a> RelationRef<'a> {
    /// The relation's schema and name.
    pub(crate) fn qualified(&self) -> (&'a str, &'a str) {
        match self {
            RelationRef::Table(t) => (&t.schema, &t.name),
            RelationRef::Index(t, i) => (&t.schema, &i.name),
            RelationRef::View(v) => (&v.schema, &v.name),
            RelationRef::Sequence(s) => (&s.schema, &s.name),
        }
    }

    /// The relation's OID.
    pub(crate) fn oid(&self) -> i64 {
        match self {
            RelationRef::Table(t) => relation_oid(t.id),
            RelationRef::Index(t, i) => index_oid(t.id, i.id),
            RelationRef::View(v) => relation_oid(v.id),
            RelationRef::Sequence(s) => relation_oid(s.id),
        }
    }
}

/// The relation with OID `oid`, if there is one.
pub(crate) fn relation_by_oid(catalog: &Catalog, oid: i64) -> Option<RelationRef<'_>> {
    if !(100_000..CONSTRAINT_OID_BASE).contains(&oid) {
        return None;
    }
    let id = u32::try_from((oid - 100_000) / 100).ok()?;
    let sub = u32::try_from((oid - 100_000) % 100).ok()?;
    if sub != 0 {
        let t = catalog.tables.get(&id)?;
        return t.indexes.iter().find(|i| i.id % 100 == sub).map(|i| RelationRef::Index(t, i));
    }
    if let Some(t) = catalog.tables.get(&id) {
        return Some(RelationRef::Table(t));
    }
    if let Some(v) = catalog.views.get(&id) {
        return Some(RelationRef::View(v));
    }
    catalog.sequences.get(&id).map(|s| RelationRef::Sequence(s))
}

/// Every relation of the catalog (tables, their indexes, views, sequences).
pub(crate) fn relations(catalog: &Catalog) -> Vec<RelationRef<'_>> {
    let mut out = Vec::new();
    for t in catalog.tables.values() {
        out.push(RelationRef::Table(t));
        out.extend(t.indexes.iter().map(|i| RelationRef::Index(t, i)));
    }
    out.extend(catalog.views.values().map(|v| RelationRef::View(v)));
    out.extend(catalog.sequences.values().map(|s| RelationRef::Sequence(s)));
    out
}

/// The system catalogs `regclass` knows, with PostgreSQL's OIDs (clients compare
/// `classoid` with `'pg_catalog.pg_class'::regclass`).
const SYSTEM_RELATIONS: &[(&str, i64)] = &[
    ("pg_am", 2601),
    ("pg_attrdef", 2604),
    ("pg_attribute", 1249),
    ("pg_authid", 1260),
    ("pg_class", 1259),
    ("pg_collation", 3456),
    ("pg_constraint", 2606),
    ("pg_database", 1262),
    ("pg_depend", 2608),
    ("pg_description", 2609),
    ("pg_extension", 3079),
    ("pg_index", 2610),
    ("pg_inherits", 2611),
    ("pg_namespace", 2615),
    ("pg_opclass", 2616),
    ("pg_proc", 1255),
    ("pg_rewrite", 2618),
    ("pg_sequence", 2224),
    ("pg_tablespace", 1213),
    ("pg_trigger", 2620),
    ("pg_type", 1247),
];

/// The OID of a relation named like PostgreSQL's `regclass` input: `name`,
/// `schema.name`, quoted parts; unqualified names search `search_path` then
/// `pg_catalog`. A number is taken as the OID itself.
pub(crate) fn relation_oid_by_name(
    catalog: &Catalog,
    search_path: &[String],
    input: &str,
) -> Option<i64> {
    let input = input.trim();
    if let Ok(n) = input.parse::<i64>() {
        return Some(n);
    }
    let parts = split_qualified(input)?;
    let rels = relations(catalog);
    let find = |schema: &str, name: &str| {
        rels.iter().find(|r| r.qualified() == (schema, name)).map(RelationRef::oid)
    };
    let system = |name: &str| SYSTEM_RELATIONS.iter().find(|(n, _)| *n == name).map(|(_, o)| *o);
    match parts.as_slice() {
        [name] => search_path.iter().find_map(|s| find(s, name)).or_else(|| system(name)),
        [schema, name] | [_, schema, name] if schema == "pg_catalog" => system(name),
        [schema, name] | [_, schema, name] => find(schema, name),
        _ => None,
    }
}

/// Splits `a.b."C d"` into its identifiers (unquoted parts lowercased).
pub(crate) fn split_qualified(input: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut chars = input.chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    '"' => break,
                    c => part.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' {
                    break;
                }
                part.extend(c.to_lowercase());
                chars.next();
            }
            part = part.trim().to_string();
        }
        if part.is_empty() {
            return None;
        }
        parts.push(part);
        match chars.next() {
            None => return Some(parts),
            Some('.') => {}
            Some(_) => return None,
        }
    }
}

/// The name `regclass` output prints: qualified when the schema is not on the path.
pub(crate) fn relation_display_name(
    catalog: &Catalog,
    search_path: &[String],
    oid: i64,
) -> Option<String> {
    if let Some((name, _)) = SYSTEM_RELATIONS.iter().find(|(_, o)| *o == oid) {
        return Some((*name).to_string());
    }
    let rel = relation_by_oid(catalog, oid)?;
    let (schema, name) = rel.qualified();
    let first_hit = search_path.iter().find_map(|s| {
        relations(catalog)
            .into_iter()
            .find(|r| r.qualified() == (s.as_str(), name))
            .map(|r| r.oid())
    });
    Some(if first_hit == Some(oid) {
        quote_ident(name)
    } else {
        format!("{}.{}", quote_ident(schema), quote_ident(name))
    })
}

/// The schema name of a namespace OID.
pub(crate) fn schema_name_by_oid(catalog: &Catalog, oid: i64) -> Option<String> {
    match oid {
        11 => return Some("pg_catalog".into()),
        13_000 => return Some("information_schema".into()),
        _ => {}
    }
    catalog.schemas.values().find(|s| schema_oid(&s.name, s.id) == oid).map(|s| s.name.clone())
}

/// A constraint of a table, in the order `pg_constraint` numbers them.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ConstraintRef<'a> {
    /// PRIMARY KEY or UNIQUE, backed by an index.
    Key(&'a IndexDef),
    /// CHECK.
    Check(&'a CheckDef),
    /// FOREIGN KEY.
    Foreign(&'a ForeignKeyDef),
}

/// The constraints of `t` with their OIDs.
pub(crate) fn constraints(t: &TableDef) -> Vec<(i64, ConstraintRef<'_>)> {
    let keys = t.indexes.iter().filter(|i| i.primary || i.constraint).map(ConstraintRef::Key);
    let checks = t.checks.iter().map(ConstraintRef::Check);
    let fks = t.foreign_keys.iter().map(ConstraintRef::Foreign);
    keys.chain(checks)
        .chain(fks)
        .enumerate()
        .map(|(n, c)| (CONSTRAINT_OID_BASE + 100 * i64::from(t.id) + n as i64 + 1, c))
        .collect()
}

/// The constraint with OID `oid` and its table.
pub(crate) fn constraint_by_oid(
    catalog: &Catalog,
    oid: i64,
) -> Option<(&TableDef, ConstraintRef<'_>)> {
    let rel = oid.checked_sub(CONSTRAINT_OID_BASE)?;
    let t = catalog.tables.get(&u32::try_from(rel / 100).ok()?)?;
    constraints(t).into_iter().find(|(o, _)| *o == oid).map(|(_, c)| (t.as_ref(), c))
}

fn column_list(t: &TableDef, cols: &[usize]) -> String {
    cols.iter()
        .map(|c| t.columns.get(*c).map_or_else(|| "?".to_string(), |c| quote_ident(&c.name)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `pg_get_indexdef`: `CREATE [UNIQUE] INDEX name ON schema.table USING btree (keys)
/// [WHERE predicate]`.
pub(crate) fn index_def(t: &TableDef, i: &IndexDef) -> String {
    index_def_pretty(t, i, false)
}

/// [`index_def`]; `pretty` (`pg_get_indexdef(oid, 0, true)`, what `\d` shows) drops
/// the parentheses around the predicate and the schema of a table in `public`.
pub(crate) fn index_def_pretty(t: &TableDef, i: &IndexDef, pretty: bool) -> String {
    let (method, cols) = match &i.vector {
        Some(v) => ("hnsw", format!("{} {}", column_list(t, &i.columns), v.opclass)),
        None if i.hash => ("hash", index_keys(t, i, pretty)),
        None => ("btree", index_keys(t, i, pretty)),
    };
    let predicate = match &i.predicate {
        Some(p) if pretty => format!(" WHERE {}", pretty_condition(p)),
        Some(p) => format!(" WHERE {p}"),
        None => String::new(),
    };
    // Pretty output names the table unqualified when it is visible (the default
    // search path's schema here).
    let table = if pretty && t.schema == crate::catalog::DEFAULT_SCHEMA {
        quote_ident(&t.name)
    } else {
        format!("{}.{}", quote_ident(&t.schema), quote_ident(&t.name))
    };
    format!(
        "CREATE {}INDEX {} ON {table} USING {method} ({cols}){predicate}",
        if i.unique || i.primary { "UNIQUE " } else { "" },
        quote_ident(&i.name),
    )
}

/// The key list of a B-tree index: columns, and expressions as PostgreSQL shows them.
fn index_keys(t: &TableDef, i: &IndexDef, pretty: bool) -> String {
    (0..i.columns.len())
        .map(|k| match i.expression(k) {
            Some(e) if pretty => crate::catalog::index_exprs::key_text(strip_outer_parens(e)),
            Some(e) => crate::catalog::index_exprs::key_text(e),
            None => column_list(t, &i.columns[k..=k]),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A stored condition as PostgreSQL's pretty printer shows it: without its outer
/// parentheses, and a chain of one of `AND` / `OR` without the parentheses around items
/// that hold neither (comparisons bind tighter).
fn pretty_condition(text: &str) -> String {
    let inner = strip_outer_parens(text);
    for op in [" AND ", " OR "] {
        let parts = split_top(inner, op);
        if parts.len() > 1 {
            return parts
                .iter()
                .map(|p| {
                    let item = strip_outer_parens(p);
                    let simple = item.len() < p.len()
                        && split_top(item, " AND ").len() == 1
                        && split_top(item, " OR ").len() == 1;
                    if simple {
                        item
                    } else {
                        p
                    }
                })
                .collect::<Vec<_>>()
                .join(op);
        }
    }
    inner.to_string()
}

/// `s` split at `sep` where it is outside parentheses and quotes.
fn split_top<'s>(s: &'s str, sep: &str) -> Vec<&'s str> {
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0);
    let bytes = s.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth -= 1,
            _ if !quoted && depth == 0 && bytes[at..].starts_with(sep.as_bytes()) => {
                parts.push(&s[start..at]);
                at += sep.len();
                start = at;
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    parts.push(&s[start..]);
    parts
}

/// `(x)` without its parentheses when they enclose all of it.
fn strip_outer_parens(s: &str) -> &str {
    let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) else { return s };
    let mut depth = 0i32;
    for ch in inner.chars() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return s;
                }
            }
            _ => {}
        }
    }
    if depth == 0 {
        inner
    } else {
        s
    }
}

/// `pg_get_indexdef(oid, column, ...)` with a column number: that key column's name,
/// or its expression.
pub(crate) fn index_column(t: &TableDef, i: &IndexDef, column: usize) -> Option<String> {
    let at = column.checked_sub(1)?;
    if let Some(e) = i.expression(at) {
        return Some(e.to_string());
    }
    let c = i.columns.get(at)?;
    t.columns.get(*c).map(|c| quote_ident(&c.name))
}

fn action(a: FkAction) -> Option<&'static str> {
    match a {
        FkAction::NoAction => None,
        FkAction::Restrict => Some("RESTRICT"),
        FkAction::Cascade => Some("CASCADE"),
        FkAction::SetNull => Some("SET NULL"),
        FkAction::SetDefault => Some("SET DEFAULT"),
    }
}

/// `pg_get_constraintdef`: the constraint clause as `\d` prints it. `pretty` drops the
/// extra parentheses PostgreSQL puts around a CHECK expression.
pub(crate) fn constraint_def(
    catalog: &Catalog,
    t: &TableDef,
    c: ConstraintRef<'_>,
    pretty: bool,
) -> String {
    constraint_def_in(catalog, t, c, pretty, None)
}

/// [`constraint_def`] as `pg_get_constraintdef` prints it with `search_path`: a foreign
/// key's referenced table carries its schema when that is not on the path (without a
/// path: when it is not the constrained table's schema).
pub(crate) fn constraint_def_in(
    catalog: &Catalog,
    t: &TableDef,
    c: ConstraintRef<'_>,
    pretty: bool,
    search_path: Option<&[String]>,
) -> String {
    match c {
        ConstraintRef::Key(i) => format!(
            "{} ({})",
            if i.primary { "PRIMARY KEY" } else { "UNIQUE" },
            column_list(t, &i.columns)
        ),
        ConstraintRef::Check(c) => {
            // A condition kept with its own parentheses (as a restored dump writes it)
            // prints as one written without them.
            let e = strip_outer_parens(c.expr.trim());
            let def = if pretty { format!("CHECK ({e})") } else { format!("CHECK (({e}))") };
            if c.not_valid {
                format!("{def} NOT VALID")
            } else {
                def
            }
        }
        ConstraintRef::Foreign(f) => {
            let (ref_name, ref_cols) = match catalog.tables.get(&f.ref_table) {
                Some(r) => {
                    let visible = match search_path {
                        Some(path) => path.contains(&r.schema),
                        None => r.schema == t.schema,
                    };
                    let name = if visible {
                        quote_ident(&r.name)
                    } else {
                        format!("{}.{}", quote_ident(&r.schema), quote_ident(&r.name))
                    };
                    (name, column_list(r, &f.ref_columns))
                }
                None => ("?".to_string(), String::new()),
            };
            let mut s = format!(
                "FOREIGN KEY ({}) REFERENCES {ref_name}({ref_cols})",
                column_list(t, &f.columns)
            );
            if f.match_full {
                s.push_str(" MATCH FULL");
            }
            if let Some(a) = action(f.on_update) {
                s.push_str(" ON UPDATE ");
                s.push_str(a);
            }
            if let Some(a) = action(f.on_delete) {
                s.push_str(" ON DELETE ");
                s.push_str(a);
                if !f.delete_set_columns.is_empty() {
                    s.push_str(&format!(" ({})", column_list(t, &f.delete_set_columns)));
                }
            }
            if f.deferrable {
                s.push_str(" DEFERRABLE");
            }
            if f.initially_deferred {
                s.push_str(" INITIALLY DEFERRED");
            }
            if f.not_valid {
                s.push_str(" NOT VALID");
            }
            s
        }
    }
}

/// `pg_get_viewdef`: the defining query, as PostgreSQL prints it (a leading space and a
/// trailing semicolon).
pub(crate) fn view_def(v: &ViewDef) -> String {
    format!(" {};", v.query.trim().trim_end_matches(';'))
}

/// [`view_def`] as read with `search_path`: the relations the query names without a
/// schema (found in the view's schema or `public`) get their schema where it is not on
/// that path, as PostgreSQL prints names that are not visible (pg_dump empties the
/// path). The query is then printed from its syntax tree.
pub(crate) fn view_def_in(catalog: &Catalog, v: &ViewDef, search_path: &[String]) -> String {
    use std::ops::ControlFlow;

    use sqlparser::ast::{self, VisitMut, VisitorMut};

    struct Qualify<'a> {
        catalog: &'a Catalog,
        home: Vec<String>,
        search_path: &'a [String],
        ctes: Vec<String>,
        changed: bool,
    }
    impl VisitorMut for Qualify<'_> {
        type Break = ();
        fn pre_visit_query(&mut self, q: &mut ast::Query) -> ControlFlow<()> {
            self.ctes.extend(crate::parser::cte_names(q));
            ControlFlow::Continue(())
        }
        fn pre_visit_table_factor(&mut self, tf: &mut ast::TableFactor) -> ControlFlow<()> {
            let ast::TableFactor::Table { name, .. } = tf else { return ControlFlow::Continue(()) };
            let Ok(qn) = crate::parser::object_name(name) else { return ControlFlow::Continue(()) };
            if qn.schema.is_some() || self.ctes.contains(&qn.name) {
                return ControlFlow::Continue(());
            }
            if let Some((schema, _)) = self.catalog.resolve(None, &qn.name, &self.home) {
                if !self.search_path.contains(&schema) {
                    name.0.insert(0, ast::ObjectNamePart::Identifier(ast::Ident::new(schema)));
                    self.changed = true;
                }
            }
            ControlFlow::Continue(())
        }
    }
    let Ok(mut q) = crate::parser::parse_query(&v.query) else { return view_def(v) };
    let home = vec![v.schema.clone(), crate::catalog::DEFAULT_SCHEMA.to_string()];
    let mut visitor = Qualify { catalog, home, search_path, ctes: Vec::new(), changed: false };
    let _ = q.visit(&mut visitor);
    if visitor.changed {
        format!(" {q};")
    } else {
        view_def(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_qualified_names() {
        assert_eq!(split_qualified("a.b"), Some(vec!["a".to_string(), "b".to_string()]));
        assert_eq!(split_qualified("Foo"), Some(vec!["foo".to_string()]));
        assert_eq!(split_qualified("\"Foo\"\"x\".b"), Some(vec!["Foo\"x".into(), "b".into()]));
        assert_eq!(split_qualified("a..b"), None);
        assert_eq!(split_qualified("\"open"), None);
    }
}
