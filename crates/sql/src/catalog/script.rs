//! The catalog as a SQL script, for `heliosdb-nano dump`: the statements that re-create
//! every object of a branch in a new database, in an order that loads.
//! Functions and procedures go before the tables, triggers after the data.
//!
//! The script comes in sections, as pg_dump's: `pre` (roles, extensions, schemas,
//! sequences, tables with their keys and checks, views) runs before the data; `data`
//! names each table to copy (`schema.table (columns)`, generated columns left out: the
//! load computes them) and each sequence whose value to
//! carry over; `post` (indexes, foreign keys, materialized views, comments, owners,
//! grants, row-level security) runs after it, so loading does not check or index row by
//! row. Temporary objects are left out.

use std::fmt::Write;

use super::access::{ObjectAccess, PolicyCommand, Privileges, BOOTSTRAP_ROLE, PUBLIC};
use super::{Catalog, Identity, TableDef};
use crate::binder::pg_objects::{constraint_def, index_def, ConstraintRef};
use crate::catalog::vector_index::VectorQuantization;
use crate::functions::format::{quote_ident, quote_literal};

/// Where a statement of the script goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Before the data.
    Pre,
    /// A table to copy (`schema.table (a, b)`), for the dumper to fill in.
    Table,
    /// A sequence whose value to carry over (`schema.sequence`).
    Sequence,
    /// After the data.
    Post,
}

impl Section {
    /// The section's name in `helios_dump_schema()`.
    pub fn name(self) -> &'static str {
        match self {
            Section::Pre => "pre",
            Section::Table => "table",
            Section::Sequence => "sequence",
            Section::Post => "post",
        }
    }
}

fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

/// The script of `catalog`; `login` names the bootstrap superuser (see
/// [`Catalog::role_name`]).
pub fn schema_script(catalog: &Catalog, login: &str) -> Vec<(Section, String)> {
    let mut out = Vec::new();
    let mut pre = |s: String| out.push((Section::Pre, s));
    roles(catalog, login, &mut pre);
    for e in catalog.extensions.values() {
        pre(format!("CREATE EXTENSION IF NOT EXISTS {};", quote_ident(&e.name)));
    }
    let mut schemas: Vec<_> = catalog.schemas.values().filter(|s| keep(&s.name)).collect();
    schemas.sort_by_key(|s| s.id);
    for s in &schemas {
        if s.name != super::DEFAULT_SCHEMA {
            pre(format!("CREATE SCHEMA {};", quote_ident(&s.name)));
        }
    }
    user_types(catalog, &mut pre);
    let mut sequences: Vec<_> = catalog.sequences.values().filter(|s| keep(&s.schema)).collect();
    sequences.sort_by_key(|s| s.id);
    for s in sequences.iter().filter(|s| s.owned_by.is_none()) {
        pre(format!(
            "CREATE SEQUENCE {} INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {}{};",
            qualified(&s.schema, &s.name),
            s.increment,
            s.min,
            s.max,
            s.start,
            if s.cycle { " CYCLE" } else { "" }
        ));
    }
    // Functions come before tables: defaults and checks may call them.
    let mut functions: Vec<_> = catalog.functions.values().filter(|f| keep(&f.schema)).collect();
    functions.sort_by_key(|f| f.id);
    for f in &functions {
        pre(format!("{};", crate::binder::pg_routines::function_def(f).trim_end()));
        if let (Some(c), true) = (&f.comment, f.aggregate.is_some()) {
            pre(format!(
                "COMMENT ON AGGREGATE {}({}) IS '{}';",
                qualified(&f.schema, &f.name),
                crate::binder::pg_routines::function_arguments(f, false),
                c.replace('\'', "''")
            ));
        }
    }
    let mut tables: Vec<_> = catalog.tables.values().filter(|t| keep(&t.schema)).collect();
    tables.sort_by_key(|t| t.id);
    for t in tables.iter().filter(|t| t.matview.is_none()) {
        pre(create_table(catalog, t));
    }
    // Partitions are made as tables, then attached (as pg_dump does).
    for t in &tables {
        if let Some((parent, bound)) = catalog.partition_parent(t.id) {
            if let Some(p) = catalog.table(parent) {
                pre(format!(
                    "ALTER TABLE {} ATTACH PARTITION {} {};",
                    qualified(&p.schema, &p.name),
                    qualified(&t.schema, &t.name),
                    bound.definition()
                ));
            }
        }
    }
    let mut views: Vec<_> = catalog.views.values().filter(|v| keep(&v.schema)).collect();
    views.sort_by_key(|v| v.id);
    for v in &views {
        let cols: Vec<String> = v.columns.iter().map(|c| quote_ident(c)).collect();
        pre(format!(
            "CREATE VIEW {} ({}) AS {};",
            qualified(&v.schema, &v.name),
            cols.join(", "),
            v.query.trim().trim_end_matches(';')
        ));
    }
    // A partitioned table's rows are its partitions'.
    for t in tables.iter().filter(|t| t.matview.is_none() && !catalog.is_partitioned(t.id)) {
        // Generated columns are computed again when the rows are loaded.
        let cols: Vec<String> = t
            .columns
            .iter()
            .filter(|c| c.generated.is_none())
            .map(|c| quote_ident(&c.name))
            .collect();
        out.push((
            Section::Table,
            format!("{} ({})", qualified(&t.schema, &t.name), cols.join(", ")),
        ));
    }
    // By name, so a restored database (whose ids differ) dumps in the same order.
    let mut by_name: Vec<String> =
        sequences.iter().map(|s| qualified(&s.schema, &s.name)).collect();
    by_name.sort();
    for s in by_name {
        out.push((Section::Sequence, s));
    }
    let mut post = |s: String| out.push((Section::Post, s));
    // Triggers come after the data, so loading it does not fire them.
    let mut triggers: Vec<_> = catalog
        .triggers
        .values()
        .filter(|t| catalog.table(t.table).is_some_and(|tab| keep(&tab.schema)))
        .collect();
    triggers.sort_by_key(|t| t.id);
    for t in triggers {
        post(format!("{};", crate::binder::pg_routines::trigger_def(catalog, t)));
        if !t.enabled {
            if let Some(tab) = catalog.table(t.table) {
                post(format!(
                    "ALTER TABLE {} DISABLE TRIGGER {};",
                    qualified(&tab.schema, &tab.name),
                    quote_ident(&t.name)
                ));
            }
        }
    }
    for t in &tables {
        // A partition's copies of its parent's indexes come back with the parent's.
        let parent = catalog.partition_parent(t.id).and_then(|(p, _)| catalog.table(p));
        let inherited = |i: &super::IndexDef| {
            parent.is_some_and(|p| p.indexes.iter().any(|pi| pi.same_keys(i)))
        };
        for i in t.indexes.iter().filter(|i| !i.constraint && !i.primary && !inherited(i)) {
            let mut def = index_def(t, i);
            if let Some(v) = &i.vector {
                let _ = write!(def, " WITH (m = {}, ef_construction = {}", v.m, v.ef_construction);
                match v.quantization {
                    VectorQuantization::None => {}
                    VectorQuantization::Sq8 => def.push_str(", quantization = 'sq8'"),
                    VectorQuantization::Pq { pq_m } => {
                        let _ = write!(def, ", quantization = 'pq', pq_m = {pq_m}");
                    }
                }
                def.push(')');
            }
            post(format!("{def};"));
        }
    }
    for t in &tables {
        let parent = catalog.partition_parent(t.id).and_then(|(p, _)| catalog.table(p));
        for c in t.checks.iter().filter(|c| c.not_valid) {
            if parent.is_some_and(|p| p.checks.iter().any(|pc| pc.name == c.name)) {
                continue;
            }
            post(format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {};",
                qualified(&t.schema, &t.name),
                quote_ident(&c.name),
                constraint_def(catalog, t, ConstraintRef::Check(c), true)
            ));
        }
        for f in t
            .foreign_keys
            .iter()
            .filter(|f| !parent.is_some_and(|p| p.foreign_keys.iter().any(|pf| pf.name == f.name)))
        {
            post(format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {};",
                qualified(&t.schema, &t.name),
                quote_ident(&f.name),
                constraint_def(catalog, t, ConstraintRef::Foreign(f), true)
            ));
        }
    }
    for t in tables.iter().filter(|t| t.matview.is_some()) {
        let m = t.matview.as_ref().map_or("", |m| m.query.as_str());
        post(format!(
            "CREATE MATERIALIZED VIEW {} AS {} WITH {}DATA;",
            qualified(&t.schema, &t.name),
            m.trim().trim_end_matches(';'),
            if t.matview.as_ref().is_some_and(|m| m.populated) { "" } else { "NO " }
        ));
    }
    comments(&schemas, &tables, &views, &sequences, &mut post);
    access(catalog, login, &schemas, &tables, &views, &sequences, &mut post);
    for t in &tables {
        row_security(catalog, login, t, &mut post);
    }
    out
}

/// Whether objects of `schema` belong in a dump (not a session's temporary schema).
fn keep(schema: &str) -> bool {
    !crate::session::is_temp_schema(schema)
}

fn roles(catalog: &Catalog, login: &str, emit: &mut impl FnMut(String)) {
    for r in catalog.roles.values() {
        let flag =
            |on: bool, yes: &str, no: &str| if on { yes.to_string() } else { no.to_string() };
        let mut s = format!(
            "CREATE ROLE {} WITH {} {} {} {} {} {} {}",
            quote_ident(&r.name),
            flag(r.superuser, "SUPERUSER", "NOSUPERUSER"),
            flag(r.inherit, "INHERIT", "NOINHERIT"),
            flag(r.create_role, "CREATEROLE", "NOCREATEROLE"),
            flag(r.create_db, "CREATEDB", "NOCREATEDB"),
            flag(r.login, "LOGIN", "NOLOGIN"),
            flag(r.replication, "REPLICATION", "NOREPLICATION"),
            flag(r.bypass_rls, "BYPASSRLS", "NOBYPASSRLS"),
        );
        if r.connection_limit >= 0 {
            let _ = write!(s, " CONNECTION LIMIT {}", r.connection_limit);
        }
        if let Some(p) = &r.password {
            let _ = write!(s, " PASSWORD {}", quote_literal(p));
        }
        if let Some(t) = r.valid_until {
            // Written in UTC with its offset, so any session TimeZone reads it back.
            let at = helios_types::Value::TimestampTz(t).to_pg_text();
            let _ = write!(s, " VALID UNTIL {}", quote_literal(&at));
        }
        s.push(';');
        emit(s);
    }
    for r in catalog.roles.values() {
        for m in &r.member_of {
            emit(format!(
                "GRANT {} TO {}{};",
                quote_ident(&catalog.role_name(m.role, login)),
                quote_ident(&r.name),
                if m.admin { " WITH ADMIN OPTION" } else { "" }
            ));
        }
    }
}

/// The SQL spelling of a column type: user-defined types schema-qualified, a domain
/// column by its domain.
fn column_type(catalog: &Catalog, domain: Option<u32>, ty: &helios_types::DataType) -> String {
    use helios_types::DataType;
    if let Some(d) = domain.and_then(|d| catalog.types.get(&d)) {
        return qualified(&d.schema, &d.name);
    }
    match ty {
        DataType::Enum(e) => qualified(&e.schema, &e.name),
        DataType::Record(r) if !r.is_anonymous() => qualified(&r.schema, &r.name),
        DataType::Range(r) if !r.is_builtin() => qualified(&r.schema, &r.name),
        DataType::Multirange(r) if !r.is_builtin() => qualified(&r.schema, &r.multirange_name),
        DataType::Array(elem)
            if super::user_types::uses_any_enum(elem) || matches!(**elem, DataType::Record(_)) =>
        {
            format!("{}[]", column_type(catalog, None, elem))
        }
        other => other.to_string(),
    }
}

/// `CREATE TYPE ... AS RANGE` for a range type.
fn create_range_type(catalog: &Catalog, t: &super::TypeDef, r: &super::RangeDef) -> String {
    format!(
        "CREATE TYPE {} AS RANGE (SUBTYPE = {}, MULTIRANGE_TYPE_NAME = {});",
        qualified(&t.schema, &t.name),
        column_type(catalog, r.domain, &r.subtype),
        qualified(&t.schema, &r.multirange_name)
    )
}

/// `CREATE TYPE ... AS ENUM` for every enum, `CREATE TYPE ... AS (...)` for every composite
/// type, `CREATE TYPE ... AS RANGE` for the range types not over a domain, then `CREATE DOMAIN` for every domain (whose base may be an
/// enum or a range) and the remaining range types, before the tables that use them.
fn user_types(catalog: &Catalog, emit: &mut impl FnMut(String)) {
    let kept = || catalog.types.values().filter(|t| keep(&t.schema));
    for t in kept() {
        if let super::TypeKind::Enum(labels) = &t.kind {
            let labels: Vec<String> = labels.iter().map(|l| quote_literal(&l.label)).collect();
            emit(format!(
                "CREATE TYPE {} AS ENUM ({});",
                qualified(&t.schema, &t.name),
                labels.join(", ")
            ));
        }
    }
    // Composite types in id order: a nested type was created before its container.
    for t in kept() {
        if let super::TypeKind::Composite(attrs) = &t.kind {
            let attrs: Vec<String> = attrs
                .iter()
                .map(|a| {
                    format!("{} {}", quote_ident(&a.name), column_type(catalog, None, &a.data_type))
                })
                .collect();
            emit(format!(
                "CREATE TYPE {} AS ({});",
                qualified(&t.schema, &t.name),
                attrs.join(", ")
            ));
        }
    }
    for t in kept() {
        if let super::TypeKind::Range(r) = &t.kind {
            if r.domain.is_none() {
                emit(create_range_type(catalog, t, r));
            }
        }
    }
    for t in kept() {
        if let super::TypeKind::Domain(d) = &t.kind {
            let mut s = format!(
                "CREATE DOMAIN {} AS {}",
                qualified(&t.schema, &t.name),
                column_type(catalog, d.parent, &d.base)
            );
            if let Some(def) = &d.default {
                let _ = write!(s, " DEFAULT {def}");
            }
            if d.not_null {
                if let Some(n) = &d.not_null_name {
                    let _ = write!(s, " CONSTRAINT {}", quote_ident(n));
                }
                s.push_str(" NOT NULL");
            }
            for c in &d.checks {
                let _ = write!(s, " CONSTRAINT {} CHECK ({})", quote_ident(&c.name), c.expr);
            }
            s.push(';');
            emit(s);
        }
    }
    for t in kept() {
        if let super::TypeKind::Range(r) = &t.kind {
            if r.domain.is_some() {
                emit(create_range_type(catalog, t, r));
            }
        }
    }
}

fn create_table(catalog: &Catalog, t: &TableDef) -> String {
    let mut parts = Vec::new();
    for c in &t.columns {
        let serial = c.sequence.is_some() && c.identity.is_none() && c.default.is_none();
        let ty = match (&c.data_type, serial) {
            (helios_types::DataType::Int2, true) => "smallserial".to_string(),
            (helios_types::DataType::Int4, true) => "serial".to_string(),
            (helios_types::DataType::Int8, true) => "bigserial".to_string(),
            (ty, _) => column_type(catalog, c.domain, ty),
        };
        let mut s = format!("    {} {ty}", quote_ident(&c.name));
        match c.identity {
            Some(Identity::Always) => s.push_str(" GENERATED ALWAYS AS IDENTITY"),
            Some(Identity::ByDefault) => s.push_str(" GENERATED BY DEFAULT AS IDENTITY"),
            None => {}
        }
        if let Some(d) = &c.default {
            let _ = write!(s, " DEFAULT {d}");
        }
        if let Some(g) = &c.generated {
            let _ = write!(s, " GENERATED ALWAYS AS ({g}) STORED");
        }
        if c.not_null && !serial && c.identity.is_none() {
            s.push_str(" NOT NULL");
        }
        parts.push(s);
    }
    for i in t.indexes.iter().filter(|i| i.primary || i.constraint) {
        parts.push(format!(
            "    CONSTRAINT {} {}",
            quote_ident(&i.name),
            constraint_def(catalog, t, ConstraintRef::Key(i), true)
        ));
    }
    // A NOT VALID check may not hold for the stored rows: it is added after the data.
    for c in t.checks.iter().filter(|c| !c.not_valid) {
        parts.push(format!(
            "    CONSTRAINT {} {}",
            quote_ident(&c.name),
            constraint_def(catalog, t, ConstraintRef::Check(c), true)
        ));
    }
    let partition_by = match catalog.partition_key(t.id) {
        Some(k) => format!(" PARTITION BY {}", k.definition()),
        None => String::new(),
    };
    format!(
        "CREATE {}TABLE {} (\n{}\n){partition_by};",
        if t.unlogged { "UNLOGGED " } else { "" },
        qualified(&t.schema, &t.name),
        parts.join(",\n")
    )
}

fn comments(
    schemas: &[&super::SchemaDef],
    tables: &[&std::sync::Arc<TableDef>],
    views: &[&std::sync::Arc<super::ViewDef>],
    sequences: &[&std::sync::Arc<super::SequenceDef>],
    emit: &mut impl FnMut(String),
) {
    for sc in schemas {
        if let Some(c) = &sc.comment {
            emit(format!("COMMENT ON SCHEMA {} IS {};", quote_ident(&sc.name), quote_literal(c)));
        }
    }
    for q in sequences {
        if let Some(c) = &q.comment {
            emit(format!(
                "COMMENT ON SEQUENCE {} IS {};",
                qualified(&q.schema, &q.name),
                quote_literal(c)
            ));
        }
    }
    for t in tables {
        let kind = if t.matview.is_some() { "MATERIALIZED VIEW" } else { "TABLE" };
        if let Some(c) = &t.comment {
            emit(format!(
                "COMMENT ON {kind} {} IS {};",
                qualified(&t.schema, &t.name),
                quote_literal(c)
            ));
        }
        for (col, c) in &t.column_comments {
            emit(format!(
                "COMMENT ON COLUMN {}.{} IS {};",
                qualified(&t.schema, &t.name),
                quote_ident(col),
                quote_literal(c)
            ));
        }
        for i in &t.indexes {
            if let Some(c) = &i.comment {
                emit(format!(
                    "COMMENT ON INDEX {} IS {};",
                    qualified(&t.schema, &i.name),
                    quote_literal(c)
                ));
            }
        }
    }
    for v in views {
        if let Some(c) = &v.comment {
            emit(format!(
                "COMMENT ON VIEW {} IS {};",
                qualified(&v.schema, &v.name),
                quote_literal(c)
            ));
        }
    }
}

/// `ALTER ... OWNER TO` and GRANT / REVOKE that give every object the owner and ACL it
/// has.
#[allow(clippy::too_many_arguments)]
fn access(
    catalog: &Catalog,
    login: &str,
    schemas: &[&super::SchemaDef],
    tables: &[&std::sync::Arc<TableDef>],
    views: &[&std::sync::Arc<super::ViewDef>],
    sequences: &[&std::sync::Arc<super::SequenceDef>],
    emit: &mut impl FnMut(String),
) {
    let role = |id: u32| {
        if id == PUBLIC {
            "PUBLIC".to_string()
        } else {
            quote_ident(&catalog.role_name(id, login))
        }
    };
    let mut object = |kind: &str,
                      name: String,
                      a: &ObjectAccess,
                      all: Privileges,
                      public: Privileges| {
        if a.owner != BOOTSTRAP_ROLE {
            emit(format!("ALTER {kind} {name} OWNER TO {};", role(a.owner)));
        }
        // A materialized ACL may have taken away what PUBLIC has by default.
        if !a.acl.is_empty() && !public.is_empty() {
            let held = a
                .acl
                .iter()
                .filter(|i| i.grantee == PUBLIC)
                .fold(Privileges::default(), |p, i| p.with(i.privileges));
            let lost = public.without(held);
            if !lost.is_empty() {
                let names: Vec<&str> = lost.names().map(|(_, n)| n).collect();
                emit(format!("REVOKE {} ON {kind} {name} FROM PUBLIC;", names.join(", ")));
            }
        }
        for item in &a.acl {
            let granted = item.privileges.without(if item.grantee == PUBLIC {
                public
            } else {
                Privileges::default()
            });
            if granted.is_empty() {
                continue;
            }
            let names: Vec<&str> = if granted == all {
                vec!["ALL"]
            } else {
                granted.names().map(|(_, n)| n).collect()
            };
            emit(format!("GRANT {} ON {kind} {name} TO {};", names.join(", "), role(item.grantee)));
        }
    };
    for s in schemas {
        object(
            "SCHEMA",
            quote_ident(&s.name),
            &s.access,
            Privileges::SCHEMA_ALL,
            s.public_default(),
        );
    }
    for t in tables {
        let kind = if t.matview.is_some() { "MATERIALIZED VIEW" } else { "TABLE" };
        object(
            kind,
            qualified(&t.schema, &t.name),
            &t.access,
            Privileges::TABLE_ALL,
            Privileges::default(),
        );
    }
    for v in views {
        object(
            "VIEW",
            qualified(&v.schema, &v.name),
            &v.access,
            Privileges::TABLE_ALL,
            Privileges::default(),
        );
    }
    for s in sequences.iter().filter(|s| s.owned_by.is_none()) {
        object(
            "SEQUENCE",
            qualified(&s.schema, &s.name),
            &s.access,
            Privileges::SEQUENCE_ALL,
            Privileges::default(),
        );
    }
    // Serial sequences follow their table's owner; their grants are their own.
    for s in sequences.iter().filter(|s| s.owned_by.is_some()) {
        let mut a = s.access.clone();
        a.owner = BOOTSTRAP_ROLE;
        object(
            "SEQUENCE",
            qualified(&s.schema, &s.name),
            &a,
            Privileges::SEQUENCE_ALL,
            Privileges::default(),
        );
    }
}

fn row_security(catalog: &Catalog, login: &str, t: &TableDef, emit: &mut impl FnMut(String)) {
    let name = qualified(&t.schema, &t.name);
    let rs = &t.row_security;
    if rs.enabled {
        emit(format!("ALTER TABLE {name} ENABLE ROW LEVEL SECURITY;"));
    }
    if rs.forced {
        emit(format!("ALTER TABLE {name} FORCE ROW LEVEL SECURITY;"));
    }
    for p in &rs.policies {
        let mut s = format!(
            "CREATE POLICY {} ON {name} AS {} FOR {}",
            quote_ident(&p.name),
            if p.permissive { "PERMISSIVE" } else { "RESTRICTIVE" },
            p.command.name()
        );
        if !p.roles.is_empty() {
            let roles: Vec<String> =
                p.roles.iter().map(|r| quote_ident(&catalog.role_name(*r, login))).collect();
            let _ = write!(s, " TO {}", roles.join(", "));
        }
        if let Some(u) = &p.using {
            let _ = write!(s, " USING ({u})");
        }
        if let Some(c) = &p.check {
            if p.command != PolicyCommand::Select && p.command != PolicyCommand::Delete {
                let _ = write!(s, " WITH CHECK ({c})");
            }
        }
        s.push(';');
        emit(s);
    }
}
