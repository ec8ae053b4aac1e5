//! Catalog functions that read the catalog while the statement runs: the `pg_get_*def`
//! family (`pg_get_indexdef`, `pg_get_constraintdef`, `pg_get_viewdef`,
//! `pg_get_serial_sequence`), `to_regclass` and friends, and the conversions behind the
//! `reg*` casts (`'t'::regclass` is the OID of `t`, `oid::regclass` prints its name).
//!
//! The `reg*` types are not types of their own here: the binder turns a cast of text to
//! `regclass` into `helios_regclass_in(text)` (an `int8` OID, 42P01 when the relation is
//! missing) and a cast of a number into `helios_regclass_out(int8)` (the name as text,
//! the number when no relation has that OID), see `expr/bind.rs`. All of them are
//! volatile so they are never folded at plan time, where there is no transaction.

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};

use crate::binder::pg_objects::{
    constraint_by_oid, constraint_def_in, index_column, index_def_pretty, relation_by_oid,
    relation_display_name, relation_oid_by_name, schema_name_by_oid, split_qualified, view_def_in,
    RelationRef,
};
use crate::binder::pg_routines as routines;
use crate::catalog::{Catalog, CatalogStore};
use crate::expr::EvalContext;
use crate::functions::format::quote_ident;
use crate::functions::registry::{p, Registry, ReturnType};

use DataType::{Bool, Int2, Int4, Int8, Text};

/// The catalog of the statement's snapshot.
fn catalog(ctx: &dyn EvalContext) -> Result<Arc<Catalog>> {
    statement_catalog(ctx)
}

/// The catalog of the statement's snapshot (for functions that read it).
pub(crate) fn statement_catalog(ctx: &dyn EvalContext) -> Result<Arc<Catalog>> {
    let txn = ctx
        .transaction()
        .ok_or_else(|| Error::unsupported("catalog functions outside a statement"))?;
    match &ctx.session().helios {
        Some(h) => h.engine.catalogs.get(txn),
        None => CatalogStore::load(txn).map(Arc::new),
    }
}

/// A text about the routine whose OID is the first argument (NULL when none has it).
fn routine_text(
    a: &[Value],
    ctx: &dyn EvalContext,
    f: impl Fn(&Catalog, &crate::catalog::FunctionDef) -> String,
) -> Result<Value> {
    let Some(oid) = oid_arg(&a[0]) else { return Ok(Value::Null) };
    let catalog = catalog(ctx)?;
    Ok(routines::function_by_oid(&catalog, oid)
        .map_or(Value::Null, |d| Value::Text(f(&catalog, d))))
}

fn trigger_text(a: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
    let Some(oid) = oid_arg(&a[0]) else { return Ok(Value::Null) };
    let catalog = catalog(ctx)?;
    Ok(routines::trigger_by_oid(&catalog, oid)
        .map_or(Value::Null, |t| Value::Text(routines::trigger_def(&catalog, t))))
}

fn oid_arg(v: &Value) -> Option<i64> {
    match v {
        Value::Int8(n) => Some(*n),
        Value::Int4(n) => Some(i64::from(*n)),
        Value::Int2(n) => Some(i64::from(*n)),
        _ => None,
    }
}

fn text_arg(v: &Value) -> &str {
    match v {
        Value::Text(s) => s,
        _ => "",
    }
}

fn pretty_arg(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Bool(true)))
}

fn indexdef(a: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
    let c = catalog(ctx)?;
    let Some(RelationRef::Index(t, i)) = oid_arg(&a[0]).and_then(|o| relation_by_oid(&c, o)) else {
        return Ok(Value::Null);
    };
    let column = match a.get(1) {
        Some(Value::Int4(n)) => usize::try_from(*n).unwrap_or(0),
        _ => 0,
    };
    Ok(if column == 0 {
        Value::Text(index_def_pretty(t, i, pretty_arg(a.get(2))))
    } else {
        index_column(t, i, column).map_or(Value::Null, Value::Text)
    })
}

fn constraintdef(a: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
    let c = catalog(ctx)?;
    let Some((t, con)) = oid_arg(&a[0]).and_then(|o| constraint_by_oid(&c, o)) else {
        return Ok(oid_arg(&a[0])
            .and_then(|o| crate::binder::pg_types::domain_constraint_def(&c, o))
            .map_or(Value::Null, Value::Text));
    };
    let path = &ctx.session().search_path;
    Ok(Value::Text(constraint_def_in(&c, t, con, pretty_arg(a.get(1)), Some(path))))
}

fn viewdef_by_oid(a: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
    let c = catalog(ctx)?;
    Ok(match oid_arg(&a[0]).and_then(|o| relation_by_oid(&c, o)) {
        Some(RelationRef::View(v)) => Value::Text(view_def_in(&c, v, &ctx.session().search_path)),
        _ => Value::Null,
    })
}

fn viewdef_by_name(a: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
    let c = catalog(ctx)?;
    let name = text_arg(&a[0]);
    let oid = relation_oid_by_name(&c, &ctx.session().search_path, name)
        .ok_or_else(|| undefined_relation(name))?;
    Ok(match relation_by_oid(&c, oid) {
        Some(RelationRef::View(v)) => Value::Text(view_def_in(&c, v, &ctx.session().search_path)),
        _ => Value::Null,
    })
}

/// `obj_description(oid [, catalog])`: the comment (`COMMENT ON`) of a relation
/// (`pg_class`), a routine (`pg_proc`) or a schema (`pg_namespace`); without a catalog,
/// of the relation or routine that has the OID.
/// NULL for other catalogs and objects without one.
fn obj_description(a: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
    let catalog_name = a.get(1).map(text_arg);
    let (relations, routines) = match catalog_name {
        None => (true, true),
        Some("pg_class") => (true, false),
        Some("pg_proc") => (false, true),
        Some("pg_namespace") => (false, false),
        Some(_) => return Ok(Value::Null),
    };
    let c = catalog(ctx)?;
    let Some(oid) = oid_arg(&a[0]) else { return Ok(Value::Null) };
    if catalog_name == Some("pg_namespace") {
        let name = crate::binder::pg_catalog::namespaces(&c)
            .into_iter()
            .find(|(o, _)| *o == oid)
            .map(|(_, n)| n);
        let comment = name.and_then(|n| crate::binder::pg_catalog::schema_comment(&c, &n));
        return Ok(comment.map_or(Value::Null, Value::Text));
    }
    let relation = match relations.then(|| relation_by_oid(&c, oid)).flatten() {
        Some(RelationRef::Table(t)) => t.comment.clone(),
        Some(RelationRef::View(v)) => v.comment.clone(),
        Some(RelationRef::Index(_, i)) => i.comment.clone(),
        Some(RelationRef::Sequence(q)) => q.comment.clone(),
        None => None,
    };
    let comment = relation.or_else(|| {
        routines
            .then(|| routines::function_by_oid(&c, oid))
            .flatten()
            .and_then(|f| f.comment.clone())
    });
    Ok(comment.map_or(Value::Null, Value::Text))
}

/// `col_description(table oid, column number)`: the comment of a table column.
fn col_description(a: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
    let c = catalog(ctx)?;
    let Some(RelationRef::Table(t)) = oid_arg(&a[0]).and_then(|o| relation_by_oid(&c, o)) else {
        return Ok(Value::Null);
    };
    let column = oid_arg(&a[1])
        .and_then(|n| usize::try_from(n).ok())
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| t.columns.get(i));
    Ok(column
        .and_then(|col| t.column_comments.get(&col.name))
        .map_or(Value::Null, |s| Value::Text(s.clone())))
}

fn undefined_relation(name: &str) -> Error {
    Error::new(SqlState::UNDEFINED_TABLE, format!("relation \"{name}\" does not exist"))
}

/// `pg_get_serial_sequence(table, column)`: the qualified name of the sequence owned by
/// the column (serial or identity), NULL when it has none.
fn serial_sequence(a: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
    let c = catalog(ctx)?;
    let table = text_arg(&a[0]);
    let column = text_arg(&a[1]);
    let oid = relation_oid_by_name(&c, &ctx.session().search_path, table)
        .ok_or_else(|| undefined_relation(table))?;
    let Some(RelationRef::Table(t)) = relation_by_oid(&c, oid) else {
        return Err(Error::new(SqlState::WRONG_OBJECT_TYPE, format!("\"{table}\" is not a table")));
    };
    let col = t.columns.iter().find(|x| x.name == column).ok_or_else(|| {
        Error::new(
            SqlState::UNDEFINED_COLUMN,
            format!("column \"{column}\" of relation \"{}\" does not exist", t.name),
        )
    })?;
    Ok(match col.sequence.and_then(|id| c.sequences.get(&id)) {
        Some(s) => Value::Text(format!("{}.{}", quote_ident(&s.schema), quote_ident(&s.name))),
        None => Value::Null,
    })
}

fn regclass_lookup(a: &[Value], ctx: &dyn EvalContext) -> Result<Option<i64>> {
    let c = catalog(ctx)?;
    Ok(relation_oid_by_name(&c, &ctx.session().search_path, text_arg(&a[0])))
}

fn regclass_in(a: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
    match regclass_lookup(a, ctx)? {
        Some(o) => Ok(Value::Int8(o)),
        None => Err(undefined_relation(text_arg(&a[0]))),
    }
}

fn regclass_out(a: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
    let Some(o) = oid_arg(&a[0]) else { return Ok(Value::Null) };
    let c = catalog(ctx)?;
    Ok(Value::Text(
        relation_display_name(&c, &ctx.session().search_path, o).unwrap_or_else(|| o.to_string()),
    ))
}

/// The OID of a type name (`integer`, `int4`, `pg_catalog.text`, `varchar(10)`).
fn type_oid_by_name(name: &str, ctx: &dyn EvalContext) -> Option<i64> {
    let name = name.trim();
    if let Ok(n) = name.parse::<i64>() {
        return Some(n);
    }
    let ty = crate::parser::parse_data_type(name).ok()?;
    if let Ok(t) = crate::expr::types::data_type_from_ast(&ty) {
        return Some(i64::from(t.oid()));
    }
    // A user-defined type (enum, domain, or an array of one).
    let c = catalog(ctx).ok()?;
    let scope = crate::catalog::typename::TypeScope {
        catalog: &c,
        search_path: &ctx.session().search_path,
    };
    let user = crate::catalog::typename::resolve_user_column_type(&ty, Some(scope)).ok()?;
    Some(i64::from(match user.domain {
        Some(d) => d.id,
        None => user.column.data_type.oid(),
    }))
}

fn regtype_in(a: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
    let name = text_arg(&a[0]);
    type_oid_by_name(name, ctx).map(Value::Int8).ok_or_else(|| {
        Error::new(SqlState::UNDEFINED_OBJECT, format!("type \"{name}\" does not exist"))
    })
}

fn regtype_out(a: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
    let Some(o) = oid_arg(&a[0]) else { return Ok(Value::Null) };
    Ok(match u32::try_from(o).ok().and_then(DataType::from_oid) {
        Some(t) => Value::Text(t.to_string()),
        None if o == 0 => Value::Text("-".into()),
        None => Value::Text(
            u32::try_from(o)
                .ok()
                .and_then(|o| catalog(ctx).ok()?.user_type_name(o, &ctx.session().search_path))
                .unwrap_or_else(|| o.to_string()),
        ),
    })
}

fn schema_oid_by_name(c: &Catalog, name: &str) -> Option<i64> {
    let parts = split_qualified(name)?;
    let [name] = parts.as_slice() else { return None };
    match name.as_str() {
        "pg_catalog" => Some(11),
        "information_schema" => Some(13_000),
        _ => c.schemas.get(name).map(|s| crate::binder::pg_catalog::schema_oid(&s.name, s.id)),
    }
}

fn regnamespace_in(a: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
    let c = catalog(ctx)?;
    let name = text_arg(&a[0]);
    if let Ok(n) = name.trim().parse::<i64>() {
        return Ok(Value::Int8(n));
    }
    schema_oid_by_name(&c, name).map(Value::Int8).ok_or_else(|| {
        Error::new(SqlState::INVALID_SCHEMA_NAME, format!("schema \"{name}\" does not exist"))
    })
}

fn regnamespace_out(a: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
    let Some(o) = oid_arg(&a[0]) else { return Ok(Value::Null) };
    let c = catalog(ctx)?;
    Ok(Value::Text(schema_name_by_oid(&c, o).map_or_else(|| o.to_string(), |s| quote_ident(&s))))
}

fn regrole_in(a: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
    let name = text_arg(&a[0]);
    if let Ok(n) = name.trim().parse::<i64>() {
        return Ok(Value::Int8(n));
    }
    let user = &ctx.session().session_user;
    if split_qualified(name).as_deref() == Some(std::slice::from_ref(user)) || name == user {
        return Ok(Value::Int8(crate::binder::pg_catalog::ROLE_OID));
    }
    Err(Error::new(SqlState::UNDEFINED_OBJECT, format!("role \"{name}\" does not exist")))
}

fn regrole_out(a: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
    let Some(o) = oid_arg(&a[0]) else { return Ok(Value::Null) };
    Ok(Value::Text(if o == crate::binder::pg_catalog::ROLE_OID {
        quote_ident(&ctx.session().session_user)
    } else if o == 0 {
        "-".into()
    } else {
        o.to_string()
    }))
}

/// `regproc` / `regprocedure` input: a user routine by `[schema.]name`, optionally
/// with its argument types (`name(int, text)`), or a number.
fn regproc_in(a: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
    let name = text_arg(&a[0]);
    if let Ok(catalog) = catalog(ctx) {
        let (routine, args) = match name.trim().strip_suffix(')').and_then(|n| n.split_once('(')) {
            Some((n, args)) => (n, Some(split_type_list(args))),
            None => (name, None),
        };
        let (schema, bare) = match routine.split_once('.') {
            Some((s, n)) => (Some(s), n),
            None => (None, routine),
        };
        let mut found = catalog.functions_named(schema, bare.trim(), &ctx.session().search_path);
        if let Some(args) = args {
            let mut wanted = Vec::with_capacity(args.len());
            for t in &args {
                wanted.push(type_oid_by_name(t, ctx).ok_or_else(|| {
                    Error::new(SqlState::UNDEFINED_OBJECT, format!("type \"{t}\" does not exist"))
                })?);
            }
            found.retain(|f| {
                let oids: Vec<i64> = f.arg_types().iter().map(|t| i64::from(t.oid())).collect();
                oids == wanted
            });
        }
        if let Some((_, oid)) = BUILTIN_PROCS.iter().find(|(n, _)| *n == bare.trim()) {
            if found.is_empty() {
                return Ok(Value::Int8(*oid));
            }
        }
        match found.as_slice() {
            [one] => return Ok(Value::Int8(routines::routine_oid(one.id))),
            [_, _, ..] => {
                return Err(Error::new(
                    SqlState::AMBIGUOUS_FUNCTION,
                    format!("more than one function named \"{name}\""),
                ))
            }
            [] => {}
        }
    }
    name.trim().parse::<i64>().map(Value::Int8).map_err(|_| {
        Error::new(SqlState::UNDEFINED_FUNCTION, format!("function \"{name}\" does not exist"))
    })
}

/// The type names of a `regprocedure` argument list, split at top-level commas.
fn split_type_list(args: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in args.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(args[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = args[start..].trim();
    if !last.is_empty() || !out.is_empty() {
        out.push(last);
    }
    out
}

/// Built-in functions `regproc` names that catalogs refer to (access method handlers),
/// with PostgreSQL's OIDs.
const BUILTIN_PROCS: &[(&str, i64)] = &[
    ("heap_tableam_handler", 3),
    ("bthandler", 330),
    ("hashhandler", 331),
    ("hnswhandler", 16_381),
];

fn regproc_out(a: &[Value], ctx: &dyn EvalContext) -> Result<Value> {
    let Some(o) = oid_arg(&a[0]) else { return Ok(Value::Null) };
    if let Some((name, _)) = BUILTIN_PROCS.iter().find(|(_, oid)| *oid == o) {
        return Ok(Value::Text((*name).to_string()));
    }
    if let Ok(catalog) = catalog(ctx) {
        if let Some(f) = routines::function_by_oid(&catalog, o) {
            return Ok(Value::Text(f.name.clone()));
        }
    }
    Ok(Value::Text(if o == 0 { "-".into() } else { o.to_string() }))
}

/// `v[i]` of an int2vector (text here: `"1 3"`), what subscripting `pg_index.indkey`
/// or `indoption` gives: 0-based as in PostgreSQL, NULL outside the vector.
fn int2vector_get(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let Value::Int4(i) = a[1] else { return Ok(Value::Null) };
    let items = crate::functions::table::int2vector_elements(&a[0])?;
    Ok(usize::try_from(i).ok().and_then(|i| items.get(i).cloned()).unwrap_or(Value::Null))
}

/// Registers the functions.
pub(crate) fn register(r: &mut Registry) {
    let ret = ReturnType::Exact;
    r.add("helios_int2vector_get", vec![p(Text), p(Int4)], ret(Int2), int2vector_get);
    r.add("helios_name_char", vec![p(Text), p(Int4)], ret(Text), |a, _| {
        let (Value::Text(s), Value::Int4(i)) = (&a[0], &a[1]) else { return Ok(Value::Null) };
        let byte = usize::try_from(*i).ok().and_then(|i| s.as_bytes().get(i));
        Ok(byte.map_or(Value::Null, |b| Value::Text(char::from(*b).to_string())))
    });
    r.add("pg_get_indexdef", vec![p(Int8)], ret(Text), indexdef).volatile();
    r.add("pg_get_indexdef", vec![p(Int8), p(Int4), p(Bool)], ret(Text), indexdef).volatile();
    r.add("pg_get_constraintdef", vec![p(Int8)], ret(Text), constraintdef).volatile();
    r.add("pg_get_constraintdef", vec![p(Int8), p(Bool)], ret(Text), constraintdef).volatile();
    r.add("pg_get_partkeydef", vec![p(Int8)], ret(Text), |a, ctx| {
        let Some(oid) = oid_arg(&a[0]) else { return Ok(Value::Null) };
        let catalog = catalog(ctx)?;
        let id = catalog
            .partitions
            .values()
            .find(|p| crate::binder::pg_catalog::relation_oid(p.id) == oid)
            .map(|p| p.id);
        Ok(id
            .and_then(|id| catalog.partition_key(id))
            .map_or(Value::Null, |k| Value::Text(k.definition())))
    })
    .volatile();
    r.add("pg_get_partition_constraintdef", vec![p(Int8)], ret(Text), |a, ctx| {
        let Some(oid) = oid_arg(&a[0]) else { return Ok(Value::Null) };
        let catalog = catalog(ctx)?;
        let id = catalog
            .partitions
            .values()
            .find(|p| crate::binder::pg_catalog::relation_oid(p.id) == oid)
            .map(|p| p.id);
        Ok(id
            .and_then(|id| crate::binder::pg_partitions::partition_constraint_def(&catalog, id))
            .map_or(Value::Null, Value::Text))
    })
    .volatile();
    r.add("pg_get_viewdef", vec![p(Int8)], ret(Text), viewdef_by_oid).volatile();
    r.add("pg_get_viewdef", vec![p(Int8), p(Bool)], ret(Text), viewdef_by_oid).volatile();
    r.add("pg_get_viewdef", vec![p(Int8), p(Int4)], ret(Text), viewdef_by_oid).volatile();
    r.add("pg_get_viewdef", vec![p(Text)], ret(Text), viewdef_by_name).volatile();
    r.add("pg_get_viewdef", vec![p(Text), p(Bool)], ret(Text), viewdef_by_name).volatile();
    r.add("pg_get_serial_sequence", vec![p(Text), p(Text)], ret(Text), serial_sequence).volatile();
    r.add("obj_description", vec![p(Int8)], ret(Text), obj_description).volatile();
    r.add("obj_description", vec![p(Int8), p(Text)], ret(Text), obj_description).volatile();
    r.add("col_description", vec![p(Int8), p(Int4)], ret(Text), col_description).volatile();
    r.add("to_regclass", vec![p(Text)], ret(Int8), |a, ctx| {
        Ok(regclass_lookup(a, ctx)?.map_or(Value::Null, Value::Int8))
    })
    .volatile();
    r.add("to_regtype", vec![p(Text)], ret(Int8), |a, ctx| {
        Ok(type_oid_by_name(text_arg(&a[0]), ctx).map_or(Value::Null, Value::Int8))
    });
    r.add("to_regnamespace", vec![p(Text)], ret(Int8), |a, ctx| {
        Ok(schema_oid_by_name(&*catalog(ctx)?, text_arg(&a[0])).map_or(Value::Null, Value::Int8))
    })
    .volatile();
    r.add("helios_regclass_in", vec![p(Text)], ret(Int8), regclass_in).volatile();
    r.add("helios_regclass_out", vec![p(Int8)], ret(Text), regclass_out).volatile();
    r.add("helios_regtype_in", vec![p(Text)], ret(Int8), regtype_in).volatile();
    r.add("helios_regtype_out", vec![p(Int8)], ret(Text), regtype_out).volatile();
    r.add("helios_regnamespace_in", vec![p(Text)], ret(Int8), regnamespace_in).volatile();
    r.add("helios_regnamespace_out", vec![p(Int8)], ret(Text), regnamespace_out).volatile();
    r.add("helios_regrole_in", vec![p(Text)], ret(Int8), regrole_in).volatile();
    r.add("helios_regrole_out", vec![p(Int8)], ret(Text), regrole_out).volatile();
    r.add("helios_regproc_in", vec![p(Text)], ret(Int8), regproc_in).volatile();
    r.add("helios_regproc_out", vec![p(Int8)], ret(Text), regproc_out).volatile();
    r.add("pg_get_function_result", vec![p(Int8)], ret(Text), |a, ctx| {
        routine_text(a, ctx, |_, f| routines::function_result(f))
    })
    .volatile();
    r.add("pg_get_function_arguments", vec![p(Int8)], ret(Text), |a, ctx| {
        routine_text(a, ctx, |_, f| routines::function_arguments(f, true))
    })
    .volatile();
    r.add("pg_get_function_identity_arguments", vec![p(Int8)], ret(Text), |a, ctx| {
        routine_text(a, ctx, |_, f| routines::function_arguments(f, false))
    })
    .volatile();
    r.add("pg_get_functiondef", vec![p(Int8)], ret(Text), |a, ctx| {
        routine_text(a, ctx, |_, f| routines::function_def(f))
    })
    .volatile();
    r.add("pg_relation_is_publishable", vec![p(Int8)], ret(Bool), |_, _| Ok(Value::Bool(false)));
    r.add("pg_get_triggerdef", vec![p(Int8)], ret(Text), trigger_text).volatile();
    r.add("pg_get_triggerdef", vec![p(Int8), p(Bool)], ret(Text), trigger_text).volatile();
    r.add("pg_get_statisticsobjdef_columns", vec![p(Int8)], ret(Text), |_, _| Ok(Value::Null));
}
