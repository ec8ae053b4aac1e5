//! `pg_proc` and `pg_trigger` rows for user-defined routines and triggers, and the
//! definitions `pg_get_functiondef`, `pg_get_function_result`,
//! `pg_get_function_arguments` and `pg_get_triggerdef` print (also used by dumps).

use helios_types::{DataType, Value};

use super::pg_catalog::{relation_oid, schema_oid};
use crate::catalog::routine_defs::{Language, Returns, Volatility};
use crate::catalog::{Catalog, FunctionDef, TriggerDef};
use crate::expr::types::pg_type_name;
use crate::functions::format::quote_ident;

/// The OID of a routine or trigger with catalog id `id` (ids are unique over all
/// catalog objects, so this cannot collide with a relation's).
pub fn routine_oid(id: u32) -> i64 {
    relation_oid(id)
}

/// `pg_language` OIDs.
fn language_oid(l: Language) -> i64 {
    match l {
        Language::Sql => 14,
        Language::Plpgsql => 13_576,
    }
}

fn type_oid(t: &DataType) -> i64 {
    i64::from(t.oid())
}

/// The rows of `pg_proc` (columns as declared in `pg_catalog.rs`).
pub(super) fn pg_proc_rows(catalog: &Catalog) -> Vec<Vec<Value>> {
    let mut funcs: Vec<&FunctionDef> = catalog.functions.values().map(|f| f.as_ref()).collect();
    funcs.sort_by_key(|f| f.id);
    let oids = |ts: Vec<i64>| {
        Value::Array(std::sync::Arc::new(helios_types::value::Array::new(
            DataType::Int8,
            ts.into_iter().map(Value::Int8).collect(),
        )))
    };
    funcs
        .into_iter()
        .map(|f| {
            let schema_id = catalog.schemas.get(&f.schema).map_or(0, |s| s.id);
            let ret = match &f.returns {
                Returns::Scalar(t) | Returns::SetOf(t) => type_oid(t),
                Returns::Table(_) => 2249,
                Returns::Void => 2278,
                Returns::Trigger => 2279,
            };
            let given: Vec<&str> = f.params.iter().filter_map(|p| p.default.as_deref()).collect();
            let defaults = if given.is_empty() {
                Value::Null
            } else {
                Value::Text(format!("({})", given.join(", ")))
            };
            let names: Vec<Value> =
                f.params.iter().map(|p| Value::Text(p.name.clone().unwrap_or_default())).collect();
            vec![
                Value::Int8(routine_oid(f.id)),
                Value::Text(f.name.clone()),
                Value::Int8(schema_oid(&f.schema, schema_id)),
                super::pg_roles::owner_oid(f.owner),
                Value::Text(
                    if f.procedure {
                        "p"
                    } else if f.aggregate.is_some() {
                        "a"
                    } else {
                        "f"
                    }
                    .into(),
                ),
                Value::Int8(ret),
                oids(f.params.iter().map(|p| type_oid(&p.data_type)).collect()),
                Value::Bool(f.returns_set()),
                Value::Text(f.body.clone()),
                Value::Int8(language_oid(f.language)),
                Value::Float4(100.0),
                Value::Float4(if f.returns_set() { 1000.0 } else { 0.0 }),
                // provariadic: the element type of a VARIADIC array parameter.
                Value::Int8(match f.params.last().map(|p| &p.data_type) {
                    Some(DataType::Array(e)) if f.variadic => type_oid(e),
                    Some(DataType::Pseudo(helios_types::Pseudo::AnyArray)) if f.variadic => 2283,
                    Some(DataType::Pseudo(helios_types::Pseudo::AnyCompatibleArray))
                        if f.variadic =>
                    {
                        5077
                    }
                    _ => 0,
                }),
                Value::Bool(false),
                Value::Bool(false),
                Value::Bool(f.strict),
                Value::Text(f.volatility.code().into()),
                Value::Text(f.parallel.clone()),
                Value::Int2(f.params.len() as i16),
                Value::Int2(f.params.iter().filter(|p| p.default.is_some()).count() as i16),
                Value::Null,
                Value::Null,
                if names.iter().all(|n| matches!(n, Value::Text(s) if s.is_empty())) {
                    Value::Null
                } else {
                    Value::Array(std::sync::Arc::new(helios_types::value::Array::new(
                        DataType::Text,
                        names,
                    )))
                },
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                defaults,
                Value::Int8(0),
            ]
        })
        .collect()
}

/// The rows of `pg_trigger`.
pub(super) fn pg_trigger_rows(catalog: &Catalog) -> Vec<Vec<Value>> {
    let mut trigs: Vec<&TriggerDef> = catalog.triggers.values().map(|t| t.as_ref()).collect();
    trigs.sort_by_key(|t| t.id);
    // A row trigger of a partitioned table shows on each partition below it too, as the
    // clone PostgreSQL makes (tgparentid names the original).
    let mut entries: Vec<(&TriggerDef, u32, i64)> = Vec::new();
    for t in trigs {
        entries.push((t, t.table, 0));
        if t.for_each_row && catalog.is_partitioned(t.table) {
            for part in catalog.partition_tree(t.table).into_iter().filter(|p| *p != t.table) {
                entries.push((t, part, routine_oid(t.id)));
            }
        }
    }
    entries
        .into_iter()
        .map(|(t, table, parent)| {
            let oid = if parent == 0 {
                routine_oid(t.id)
            } else {
                (i64::from(table) << 32) | i64::from(t.id)
            };
            vec![
                Value::Int8(oid),
                Value::Int8(relation_oid(table)),
                Value::Int8(parent),
                Value::Text(t.name.clone()),
                Value::Int8(routine_oid(t.function)),
                Value::Int2(t.tgtype()),
                Value::Text(if t.enabled { "O" } else { "D" }.into()),
                Value::Bool(false),
                Value::Int8(0),
                Value::Int2(t.args.len() as i16),
            ]
        })
        .collect()
}

/// The routine with `oid`.
pub fn function_by_oid(catalog: &Catalog, oid: i64) -> Option<&FunctionDef> {
    catalog.functions.values().find(|f| routine_oid(f.id) == oid).map(|f| f.as_ref())
}

/// The trigger with `oid`.
pub fn trigger_by_oid(catalog: &Catalog, oid: i64) -> Option<&TriggerDef> {
    catalog.triggers.values().find(|t| routine_oid(t.id) == oid).map(|t| t.as_ref())
}

/// `pg_get_function_result`.
pub fn function_result(f: &FunctionDef) -> String {
    match &f.returns {
        Returns::Scalar(t) => pg_type_name(t),
        Returns::SetOf(t) => format!("SETOF {}", pg_type_name(t)),
        Returns::Table(cols) => format!(
            "TABLE({})",
            cols.iter()
                .map(|c| format!("{} {}", quote_ident(&c.name), pg_type_name(&c.data_type)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Returns::Void if f.procedure => String::new(),
        Returns::Void => "void".into(),
        Returns::Trigger => "trigger".into(),
    }
}

/// `pg_get_function_arguments` (with defaults) or the identity arguments (without):
/// input parameters (INOUT marked), then OUT parameters.
pub fn function_arguments(f: &FunctionDef, defaults: bool) -> String {
    let is_out = |p: &crate::catalog::routine_defs::ParamDef| {
        p.name.is_some() && f.outs.iter().any(|o| o.name == p.name)
    };
    let show = |mode: &str, p: &crate::catalog::routine_defs::ParamDef| {
        let mut s = match &p.name {
            Some(n) => format!("{mode}{} {}", quote_ident(n), pg_type_name(&p.data_type)),
            None => format!("{mode}{}", pg_type_name(&p.data_type)),
        };
        if let (true, Some(d)) = (defaults, &p.default) {
            s.push_str(&format!(" DEFAULT {d}"));
        }
        s
    };
    if f.aggregate.as_ref().is_some_and(|a| a.star) {
        return "*".into();
    }
    let last = f.params.len().saturating_sub(1);
    let mut out: Vec<String> = f
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mode = match (is_out(p), f.variadic && i == last) {
                (true, _) => "INOUT ",
                (false, true) => "VARIADIC ",
                (false, false) => "",
            };
            show(mode, p)
        })
        .collect();
    if defaults {
        out.extend(
            f.outs
                .iter()
                .filter(|o| o.name.is_none() || !f.params.iter().any(|p| p.name == o.name))
                .map(|o| show("OUT ", o)),
        );
    }
    out.join(", ")
}

/// The CREATE OR REPLACE AGGREGATE statement that recreates aggregate `f` (for dumps).
fn aggregate_def(f: &FunctionDef, agg: &crate::catalog::routine_defs::AggregateDef) -> String {
    let literal = |t: &str| format!("'{}'", t.replace('\'', "''"));
    let mut opts =
        vec![format!("SFUNC = {}", agg.sfunc), format!("STYPE = {}", pg_type_name(&agg.stype))];
    if let Some(ff) = &agg.finalfunc {
        opts.push(format!("FINALFUNC = {ff}"));
    }
    if agg.finalfunc_extra {
        opts.push("FINALFUNC_EXTRA".into());
    }
    if let Some(init) = &agg.initcond {
        opts.push(format!("INITCOND = {}", literal(init)));
    }
    for (name, value) in &agg.options {
        let value = if name.ends_with("initcond") { literal(value) } else { value.clone() };
        opts.push(format!("{} = {value}", name.to_uppercase()));
    }
    format!(
        "CREATE OR REPLACE AGGREGATE {}.{}({}) (\n    {}\n)\n",
        quote_ident(&f.schema),
        quote_ident(&f.name),
        function_arguments(f, false),
        opts.join(",\n    ")
    )
}

/// `pg_get_functiondef`: the CREATE OR REPLACE statement that recreates `f`.
pub fn function_def(f: &FunctionDef) -> String {
    if let Some(agg) = &f.aggregate {
        return aggregate_def(f, agg);
    }
    let kind = if f.procedure { "PROCEDURE" } else { "FUNCTION" };
    let mut out = format!(
        "CREATE OR REPLACE {kind} {}.{}({})\n",
        quote_ident(&f.schema),
        quote_ident(&f.name),
        function_arguments(f, true)
    );
    if !f.procedure {
        let result = if f.outs.len() > 1 || f.out_set {
            format!("{}record", if f.out_set { "SETOF " } else { "" })
        } else {
            function_result(f)
        };
        out.push_str(&format!(" RETURNS {result}\n"));
    }
    out.push_str(&format!(" LANGUAGE {}\n", f.language.name()));
    let mut attrs = Vec::new();
    match f.volatility {
        Volatility::Immutable => attrs.push("IMMUTABLE"),
        Volatility::Stable => attrs.push("STABLE"),
        Volatility::Volatile => {}
    }
    if f.strict {
        attrs.push("STRICT");
    }
    match f.parallel.as_str() {
        "s" => attrs.push("PARALLEL SAFE"),
        "r" => attrs.push("PARALLEL RESTRICTED"),
        _ => {}
    }
    if !attrs.is_empty() {
        out.push_str(&format!(" {}\n", attrs.join(" ")));
    }
    let base = if f.procedure { "procedure" } else { "function" };
    let mut tag = base.to_string();
    let mut n = 0;
    while f.body.contains(&format!("${tag}$")) {
        n += 1;
        tag = format!("{base}{n}");
    }
    out.push_str(&format!("AS ${tag}${}${tag}$\n", f.body));
    out
}

/// `pg_get_triggerdef`: the CREATE TRIGGER statement of `t`.
pub fn trigger_def(catalog: &Catalog, t: &TriggerDef) -> String {
    let table = catalog
        .table(t.table)
        .map(|tab| format!("{}.{}", quote_ident(&tab.schema), quote_ident(&tab.name)))
        .or_else(|| {
            catalog
                .views
                .get(&t.table)
                .map(|v| format!("{}.{}", quote_ident(&v.schema), quote_ident(&v.name)))
        })
        .unwrap_or_default();
    let func = catalog
        .functions
        .get(&t.function)
        .map(|f| {
            if f.schema == "public" {
                quote_ident(&f.name)
            } else {
                format!("{}.{}", quote_ident(&f.schema), quote_ident(&f.name))
            }
        })
        .unwrap_or_default();
    let mut events = Vec::new();
    if t.on_insert {
        events.push("INSERT".to_string());
    }
    if t.on_delete {
        events.push("DELETE".to_string());
    }
    if t.on_update {
        if t.update_columns.is_empty() {
            events.push("UPDATE".to_string());
        } else {
            events.push(format!(
                "UPDATE OF {}",
                t.update_columns.iter().map(|c| quote_ident(c)).collect::<Vec<_>>().join(", ")
            ));
        }
    }
    let mut referencing = String::new();
    if let Some(o) = &t.old_table {
        referencing.push_str(&format!(" OLD TABLE AS {}", quote_ident(o)));
    }
    if let Some(n) = &t.new_table {
        referencing.push_str(&format!(" NEW TABLE AS {}", quote_ident(n)));
    }
    if !referencing.is_empty() {
        referencing.insert_str(0, " REFERENCING");
    }
    let mut out = format!(
        "CREATE TRIGGER {} {} {} ON {table}{referencing} FOR EACH {}",
        quote_ident(&t.name),
        t.timing.name(),
        events.join(" OR "),
        if t.for_each_row { "ROW" } else { "STATEMENT" }
    );
    if let Some(w) = &t.when {
        out.push_str(&format!(" WHEN ({w})"));
    }
    let args: Vec<String> = t.args.iter().map(|a| format!("'{}'", a.replace('\'', "''"))).collect();
    out.push_str(&format!(" EXECUTE FUNCTION {func}({})", args.join(", ")));
    out
}
