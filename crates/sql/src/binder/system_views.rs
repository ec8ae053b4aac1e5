//! Read-only system relations computed from the catalog: the commonly used parts of
//! `information_schema` (tables, columns, schemata, views) and `pg_catalog`
//! (pg_namespace, pg_class, pg_tables, pg_views, pg_indexes), enough for tools that
//! check for tables and columns.

use std::cell::LazyCell;
use std::sync::Arc;

use helios_types::{DataType, Value};

use crate::catalog::{Catalog, ViewDef};
use crate::expr::SessionInfo;
use crate::functions::table::BoundTableFunction;
use crate::planner::Plan;

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

fn int(i: usize) -> Value {
    Value::Int4(i32::try_from(i).unwrap_or(i32::MAX))
}

fn opt_int(i: Option<u32>) -> Value {
    match i {
        Some(n) => Value::Int4(i32::try_from(n).unwrap_or(i32::MAX)),
        None => Value::Null,
    }
}

/// The name information_schema reports for a type (`character varying`, `ARRAY`, ...).
fn info_type_name(t: &DataType) -> String {
    match t {
        DataType::Array(_) => "ARRAY".into(),
        DataType::Varchar(_) => "character varying".into(),
        DataType::Char(_) => "character".into(),
        DataType::Numeric(_) => "numeric".into(),
        DataType::Vector(_) | DataType::Enum(_) => "USER-DEFINED".into(),
        other => other.to_string(),
    }
}

/// The rows and columns of a system relation, or `None` when there is no such relation.
pub fn system_relation(
    catalog: &Catalog,
    session: &SessionInfo,
    schema: &str,
    name: &str,
) -> Option<Plan> {
    if (schema, name) == ("pg_catalog", "pg_stat_progress_create_index") {
        let func = crate::exec::progress_relation::ProgressRelation::default();
        return Some(BoundTableFunction::relation_plan(Arc::new(func)));
    }
    // In name order, listed only for the relations that show them.
    let tables = LazyCell::new(|| super::pg_catalog::sorted_tables(catalog));
    let views = LazyCell::new(|| {
        let mut views: Vec<&ViewDef> = catalog.views.values().map(|v| v.as_ref()).collect();
        views.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
        views
    });
    let (columns, rows): (Vec<(&str, DataType)>, Vec<Vec<Value>>) = match (schema, name) {
        ("information_schema", "tables") => {
            (
                vec![
                    ("table_catalog", DataType::Text),
                    ("table_schema", DataType::Text),
                    ("table_name", DataType::Text),
                    ("table_type", DataType::Text),
                ],
                tables
                    .iter()
                    .filter(|t| t.matview.is_none())
                    .map(|t| {
                        // PostgreSQL reports temporary tables as LOCAL TEMPORARY.
                        let kind = if crate::session::is_temp_schema(&t.schema) {
                            "LOCAL TEMPORARY"
                        } else {
                            "BASE TABLE"
                        };
                        vec![text("postgres"), text(&t.schema), text(&t.name), text(kind)]
                    })
                    .chain(views.iter().map(|v| {
                        vec![text("postgres"), text(&v.schema), text(&v.name), text("VIEW")]
                    }))
                    .collect(),
            )
        }
        ("information_schema", "columns") => (
            vec![
                ("table_catalog", DataType::Text),
                ("table_schema", DataType::Text),
                ("table_name", DataType::Text),
                ("column_name", DataType::Text),
                ("ordinal_position", DataType::Int4),
                ("column_default", DataType::Text),
                ("is_nullable", DataType::Text),
                ("data_type", DataType::Text),
                ("character_maximum_length", DataType::Int4),
                ("numeric_precision", DataType::Int4),
                ("numeric_scale", DataType::Int4),
                ("is_generated", DataType::Text),
                ("generation_expression", DataType::Text),
            ],
            tables
                .iter()
                .flat_map(|t| {
                    t.columns.iter().enumerate().map(move |(i, c)| {
                        let default = match c.generated {
                            Some(_) => Value::Null,
                            None => super::pg_catalog::column_default(catalog, session, t, i)
                                .map_or(Value::Null, text),
                        };
                        let mut row = column_row(
                            &t.schema,
                            &t.name,
                            &c.name,
                            i,
                            default,
                            c.not_null,
                            &c.data_type,
                        );
                        if let Some(g) = &c.generated {
                            let n = row.len();
                            row[n - 2] = text("ALWAYS");
                            row[n - 1] = text(super::generated::display_expression(g));
                        }
                        row
                    })
                })
                .chain(views.iter().flat_map(|v| {
                    v.columns.iter().enumerate().map(move |(i, c)| {
                        let ty = v.column_type(i);
                        column_row(&v.schema, &v.name, c, i, Value::Null, false, &ty)
                    })
                }))
                .collect(),
        ),
        ("information_schema", "schemata") => (
            vec![("catalog_name", DataType::Text), ("schema_name", DataType::Text)],
            catalog.schemas.keys().map(|s| vec![text("postgres"), text(s)]).collect(),
        ),
        // Which columns each generated column reads.
        ("information_schema", "column_column_usage") => (
            vec![
                ("table_catalog", DataType::Text),
                ("table_schema", DataType::Text),
                ("table_name", DataType::Text),
                ("column_name", DataType::Text),
                ("dependent_column", DataType::Text),
            ],
            tables
                .iter()
                .flat_map(|t| {
                    t.columns.iter().filter_map(|g| g.generated.as_ref().map(|e| (g, e))).flat_map(
                        move |(g, e)| {
                            t.columns
                                .iter()
                                .filter(move |c| super::generated::expression_reads(e, &c.name))
                                .map(move |c| {
                                    vec![
                                        text("postgres"),
                                        text(&t.schema),
                                        text(&t.name),
                                        text(&c.name),
                                        text(&g.name),
                                    ]
                                })
                        },
                    )
                })
                .collect(),
        ),
        ("information_schema", "views") => (
            vec![
                ("table_catalog", DataType::Text),
                ("table_schema", DataType::Text),
                ("table_name", DataType::Text),
                ("view_definition", DataType::Text),
            ],
            views
                .iter()
                .map(|v| vec![text("postgres"), text(&v.schema), text(&v.name), text(&v.query)])
                .collect(),
        ),
        ("pg_catalog", "pg_tables") => (
            vec![
                ("schemaname", DataType::Text),
                ("tablename", DataType::Text),
                ("tableowner", DataType::Text),
            ],
            tables
                .iter()
                .filter(|t| t.matview.is_none())
                .map(|t| vec![text(&t.schema), text(&t.name), text("postgres")])
                .collect(),
        ),
        ("pg_catalog", "pg_views") => (
            vec![
                ("schemaname", DataType::Text),
                ("viewname", DataType::Text),
                ("definition", DataType::Text),
            ],
            views.iter().map(|v| vec![text(&v.schema), text(&v.name), text(&v.query)]).collect(),
        ),
        ("pg_catalog", "pg_indexes") => (
            vec![
                ("schemaname", DataType::Text),
                ("tablename", DataType::Text),
                ("indexname", DataType::Text),
                ("indexdef", DataType::Text),
            ],
            tables
                .iter()
                .flat_map(|t| {
                    t.indexes.iter().map(move |i| {
                        let def = super::pg_objects::index_def(t, i);
                        vec![text(&t.schema), text(&t.name), text(&i.name), text(def)]
                    })
                })
                .collect(),
        ),
        ("pg_catalog", other) => super::pg_catalog::pg_catalog_relation(catalog, session, other)?,
        _ => return None,
    };
    let mut columns: Vec<(String, DataType)> =
        columns.into_iter().map(|(n, t)| (n.to_string(), t)).collect();
    let mut rows = rows;
    // A catalog table's `tableoid` system column (clients such as pg_dump read it to
    // tell the classes of objects apart): hidden, the table's OID in every row.
    let tableoid = if schema == "pg_catalog" { catalog_table_oid(name) } else { None };
    if let Some(oid) = tableoid {
        columns.push(("tableoid".to_string(), DataType::Int8));
        for r in &mut rows {
            r.push(Value::Int8(oid));
        }
    }
    let rows = crate::exec::system_rows::SystemRows::new(name, columns, rows);
    let mut plan = BoundTableFunction::relation_plan(Arc::new(rows));
    if let (Some(_), Plan::TableFunction { schema, .. }) = (tableoid, &mut plan) {
        if let Some(last) = schema.last_mut() {
            last.hidden = true;
        }
    }
    Some(plan)
}

/// PostgreSQL's OID of the catalog table `name` (`pg_class` is 1259), for its hidden
/// `tableoid` column.
fn catalog_table_oid(name: &str) -> Option<i64> {
    Some(match name {
        "pg_aggregate" => 2600,
        "pg_am" => 2601,
        "pg_amop" => 2602,
        "pg_amproc" => 2603,
        "pg_attrdef" => 2604,
        "pg_cast" => 2605,
        "pg_constraint" => 2606,
        "pg_conversion" => 2607,
        "pg_depend" => 2608,
        "pg_description" => 2609,
        "pg_index" => 2610,
        "pg_inherits" => 2611,
        "pg_language" => 2612,
        "pg_largeobject" => 2613,
        "pg_namespace" => 2615,
        "pg_opclass" => 2616,
        "pg_operator" => 2617,
        "pg_rewrite" => 2618,
        "pg_statistic" => 2619,
        "pg_trigger" => 2620,
        "pg_opfamily" => 2753,
        "pg_class" => 1259,
        "pg_attribute" => 1249,
        "pg_proc" => 1255,
        "pg_type" => 1247,
        "pg_authid" => 1260,
        "pg_auth_members" => 1261,
        "pg_database" => 1262,
        "pg_tablespace" => 1213,
        "pg_shdepend" => 1214,
        "pg_shdescription" => 2396,
        "pg_sequence" => 2224,
        "pg_collation" => 3456,
        "pg_extension" => 3079,
        "pg_event_trigger" => 3466,
        "pg_policy" => 3256,
        "pg_default_acl" => 826,
        "pg_init_privs" => 3394,
        "pg_foreign_data_wrapper" => 2328,
        "pg_foreign_server" => 1417,
        "pg_foreign_table" => 3118,
        "pg_user_mapping" => 1418,
        "pg_enum" => 3501,
        "pg_range" => 3541,
        "pg_statistic_ext" => 3381,
        "pg_publication" => 6104,
        "pg_publication_rel" => 6106,
        "pg_publication_namespace" => 6237,
        "pg_subscription" => 6100,
        "pg_transform" => 3576,
        "pg_ts_config" => 3602,
        "pg_ts_dict" => 3600,
        "pg_ts_parser" => 3601,
        "pg_ts_template" => 3764,
        "pg_partitioned_table" => 3350,
        "pg_db_role_setting" => 2964,
        "pg_largeobject_metadata" => 2995,
        _ => return None,
    })
}

/// One row of `information_schema.columns`.
fn column_row(
    schema: &str,
    table: &str,
    name: &str,
    index: usize,
    default: Value,
    not_null: bool,
    ty: &DataType,
) -> Vec<Value> {
    let len = match ty {
        DataType::Varchar(n) | DataType::Char(n) => *n,
        _ => None,
    };
    let (prec, scale) = match ty {
        DataType::Numeric(Some((p, s))) => (Some(*p), Some(*s)),
        DataType::Int2 => (Some(16), Some(0)),
        DataType::Int4 => (Some(32), Some(0)),
        DataType::Int8 => (Some(64), Some(0)),
        _ => (None, None),
    };
    vec![
        text("postgres"),
        text(schema),
        text(table),
        text(name),
        int(index + 1),
        default,
        text(if not_null { "NO" } else { "YES" }),
        text(info_type_name(ty)),
        opt_int(len),
        opt_int(prec),
        opt_int(scale),
        text("NEVER"),
        Value::Null,
    ]
}
