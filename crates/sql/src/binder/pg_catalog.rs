//! The `pg_catalog` relations that PostgreSQL clients read (psql's `\d` family, JDBC's
//! `DatabaseMetaData`, SQLAlchemy's reflection), computed from the catalog of the
//! statement's snapshot, so a branch or an `AS OF` query sees the catalog as it was.
//!
//! # OIDs
//!
//! PostgreSQL identifies catalog objects by OID; we derive stable ones from catalog ids:
//!
//! | object                         | OID                                       |
//! |--------------------------------|-------------------------------------------|
//! | schema `pg_catalog`            | 11                                        |
//! | schema `public`                | 2200                                      |
//! | schema `information_schema`    | 13000                                     |
//! | other schema with id `s`       | `100_000 + 100 * s`                       |
//! | table, view, sequence id `t`   | `100_000 + 100 * t`                       |
//! | index id `i` of table `t`      | `100_000 + 100 * t + i` (`1 <= i < 100`)  |
//! | constraint of table `t`        | `50_000_000 + 100 * t + n` (n-th)         |
//! | types                          | `helios_types::DataType::oid`             |
//! | the one role (session user)    | 10                                        |
//! | the one database               | 5                                         |
//! | access method `btree`/`hnsw`   | 403 / 16_380 (below 16384: built in)      |
//!
//! Catalog ids of schemas, tables, views and sequences come from one counter, so
//! these never collide. Tables without rows in our engine (triggers, policies, rules,
//! inheritance, extended statistics, descriptions) exist with PostgreSQL's columns and
//! no rows, so the queries clients send bind and answer "none".

use std::collections::HashSet;

use helios_types::{Array, DataType, Value};

use crate::catalog::{Catalog, ObjectAccess, Privileges, SequenceDef, TableDef};
use crate::expr::SessionInfo;

use DataType::{Bool, Float4, Int2, Int4, Int8, Text};

/// The OID of the single role, the session user.
pub const ROLE_OID: i64 = 10;
/// The OID of the `pg_database_owner` role, owner of schema `public`.
pub const DATABASE_OWNER_OID: i64 = 6171;
/// The OID of the single database.
pub const DATABASE_OID: i64 = 5;
/// The OID of the btree access method.
pub const BTREE_AM_OID: i64 = 403;
/// The OID of the hash access method.
pub const HASH_AM_OID: i64 = 405;
/// The OID of the hnsw access method.
pub const HNSW_AM_OID: i64 = 16_380;

/// The OID of a schema by name and catalog id.
pub fn schema_oid(name: &str, id: u32) -> i64 {
    match name {
        "pg_catalog" => 11,
        "public" => 2200,
        "information_schema" => 13_000,
        _ => 100_000 + 100 * i64::from(id),
    }
}

/// The OID of a table, view or sequence with catalog id `id`.
pub fn relation_oid(id: u32) -> i64 {
    100_000 + 100 * i64::from(id)
}

/// The OID of index `index` of table `table`.
pub fn index_oid(table: u32, index: u32) -> i64 {
    relation_oid(table) + i64::from(index % 100)
}

/// The column layout and rows of one system relation.
pub(super) type Relation = (Vec<(&'static str, DataType)>, Vec<Vec<Value>>);

fn text_array() -> DataType {
    DataType::Array(Box::new(Text))
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

fn oid(v: i64) -> Value {
    Value::Int8(v)
}

fn i16v(v: usize) -> Value {
    Value::Int2(i16::try_from(v).unwrap_or(i16::MAX))
}

fn int2_array(v: impl IntoIterator<Item = usize>) -> Value {
    Value::Array(std::sync::Arc::new(Array::new(Int2, v.into_iter().map(i16v).collect())))
}

/// PostgreSQL's text form of an int2vector: numbers separated by single spaces.
fn int2vector(v: impl IntoIterator<Item = usize>) -> Value {
    let parts: Vec<String> = v.into_iter().map(|n| n.to_string()).collect();
    text(parts.join(" "))
}

fn oid_array(v: impl IntoIterator<Item = i64>) -> Value {
    Value::Array(std::sync::Arc::new(Array::new(Int8, v.into_iter().map(oid).collect())))
}

/// The collation OID of column `c` of `t` (100, "default", for text types).
fn collation_of(t: &TableDef, c: usize) -> i64 {
    match t.columns.get(c).map(|c| &c.data_type) {
        Some(Text | DataType::Varchar(_) | DataType::Char(_)) => 100,
        _ => 0,
    }
}

pub(super) fn sorted_tables(catalog: &Catalog) -> Vec<&TableDef> {
    let mut tables: Vec<&TableDef> = catalog.tables.values().map(|t| t.as_ref()).collect();
    tables.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
    tables
}

fn ns_oid(catalog: &Catalog, schema: &str) -> Value {
    match catalog.schemas.get(schema) {
        Some(s) => oid(schema_oid(&s.name, s.id)),
        None => oid(schema_oid(schema, 0)),
    }
}

/// Schemas reported by pg_namespace: the catalog's plus the system ones.
pub(crate) fn namespaces(catalog: &Catalog) -> Vec<(i64, String)> {
    let mut out: Vec<(i64, String)> =
        vec![(11, "pg_catalog".to_string()), (13_000, "information_schema".to_string())];
    for s in catalog.schemas.values() {
        if !out.iter().any(|(_, n)| n == &s.name) {
            out.push((schema_oid(&s.name, s.id), s.name.clone()));
        }
    }
    out
}

/// Every type we have, with its PostgreSQL name, length and category.
pub(super) fn types() -> Vec<(DataType, &'static str, i16, &'static str)> {
    let base = vec![
        (Bool, "bool", 1, "B"),
        (DataType::Bytea, "bytea", -1, "U"),
        (Int8, "int8", 8, "N"),
        (Int2, "int2", 2, "N"),
        (Int4, "int4", 4, "N"),
        (Text, "text", -1, "S"),
        (DataType::Json, "json", -1, "U"),
        (Float4, "float4", 4, "N"),
        (DataType::Float8, "float8", 8, "N"),
        (DataType::Char(None), "bpchar", -1, "S"),
        (DataType::Varchar(None), "varchar", -1, "S"),
        (DataType::Date, "date", 4, "D"),
        (DataType::Time, "time", 8, "D"),
        (DataType::TimeTz, "timetz", 12, "D"),
        (DataType::Timestamp, "timestamp", 8, "D"),
        (DataType::TimestampTz, "timestamptz", 8, "D"),
        (DataType::Interval, "interval", 16, "T"),
        (DataType::Numeric(None), "numeric", -1, "N"),
        (DataType::Uuid, "uuid", 16, "U"),
        (DataType::Inet, "inet", -1, "I"),
        (DataType::Cidr, "cidr", -1, "I"),
        (DataType::MacAddr, "macaddr", 6, "U"),
        (DataType::Jsonb, "jsonb", -1, "U"),
        (DataType::JsonPath, "jsonpath", -1, "U"),
        (DataType::TsVector, "tsvector", -1, "U"),
        (DataType::TsQuery, "tsquery", -1, "U"),
        (DataType::Vector(None), "vector", -1, "U"),
    ];
    let mut out = base.clone();
    for (t, name, _, _) in base {
        if t.array_oid().is_some() {
            let leaked: &'static str = match name {
                "bool" => "_bool",
                "bytea" => "_bytea",
                "int8" => "_int8",
                "int2" => "_int2",
                "int4" => "_int4",
                "text" => "_text",
                "json" => "_json",
                "float4" => "_float4",
                "float8" => "_float8",
                "bpchar" => "_bpchar",
                "varchar" => "_varchar",
                "date" => "_date",
                "time" => "_time",
                "timetz" => "_timetz",
                "timestamp" => "_timestamp",
                "timestamptz" => "_timestamptz",
                "interval" => "_interval",
                "numeric" => "_numeric",
                "uuid" => "_uuid",
                "inet" => "_inet",
                "cidr" => "_cidr",
                "macaddr" => "_macaddr",
                "jsonb" => "_jsonb",
                "jsonpath" => "_jsonpath",
                _ => continue,
            };
            out.push((DataType::Array(Box::new(t)), leaked, -1, "A"));
        }
    }
    // The built-in range and multirange types and their array types.
    let ranges: [(&str, [&'static str; 4]); 6] = [
        ("int4range", ["int4range", "_int4range", "int4multirange", "_int4multirange"]),
        ("numrange", ["numrange", "_numrange", "nummultirange", "_nummultirange"]),
        ("tsrange", ["tsrange", "_tsrange", "tsmultirange", "_tsmultirange"]),
        ("tstzrange", ["tstzrange", "_tstzrange", "tstzmultirange", "_tstzmultirange"]),
        ("daterange", ["daterange", "_daterange", "datemultirange", "_datemultirange"]),
        ("int8range", ["int8range", "_int8range", "int8multirange", "_int8multirange"]),
    ];
    for (name, [r, ra, m, ma]) in ranges {
        let Some(t) = helios_types::RangeType::builtin(name) else { continue };
        out.push((DataType::Range(t.clone()), r, -1, "R"));
        out.push((DataType::Array(Box::new(DataType::Range(t.clone()))), ra, -1, "A"));
        out.push((DataType::Multirange(t.clone()), m, -1, "R"));
        out.push((DataType::Array(Box::new(DataType::Multirange(t))), ma, -1, "A"));
    }
    out
}

/// The atttypmod PostgreSQL stores for a column type (-1 when there is none).
fn typmod(t: &DataType) -> i32 {
    match t {
        DataType::Varchar(Some(n)) | DataType::Char(Some(n)) => {
            i32::try_from(*n).unwrap_or(i32::MAX - 4).saturating_add(4)
        }
        DataType::Numeric(Some((p, s))) => {
            let p = i32::try_from(*p).unwrap_or(0);
            let s = i32::try_from(*s).unwrap_or(0);
            ((p << 16) | (s & 0xffff)) + 4
        }
        DataType::Vector(Some(n)) => i32::try_from(*n).unwrap_or(-1),
        _ => -1,
    }
}

/// The rows and columns of a `pg_catalog` relation, or `None` when there is none.
pub(super) fn pg_catalog_relation(
    catalog: &Catalog,
    session: &SessionInfo,
    name: &str,
) -> Option<Relation> {
    let tables = std::cell::LazyCell::new(|| sorted_tables(catalog));
    let rel: Relation = match name {
        "pg_namespace" => (
            vec![("oid", Int8), ("nspname", Text), ("nspowner", Int8), ("nspacl", text_array())],
            namespaces(catalog)
                .into_iter()
                .map(|(o, n)| {
                    let schema = catalog.schemas.get(&n);
                    // PostgreSQL 15 gives `public` to the database owner role.
                    let owner = match schema {
                        Some(s) if !s.access.is_default() => {
                            super::pg_roles::owner_oid(s.access.owner)
                        }
                        _ if n == "public" => oid(DATABASE_OWNER_OID),
                        _ => oid(ROLE_OID),
                    };
                    let acl = schema.and_then(|s| {
                        s.access.acl_text(catalog, &session.session_user, Privileges::SCHEMA_ALL)
                    });
                    // `public` as PostgreSQL 15 makes it: USAGE for everyone.
                    let acl = match acl {
                        None if n == crate::catalog::DEFAULT_SCHEMA => Some(vec![
                            "pg_database_owner=UC/pg_database_owner".to_string(),
                            "=U/pg_database_owner".to_string(),
                        ]),
                        other => other,
                    };
                    let acl = acl.map_or(Value::Null, acl_array);
                    vec![oid(o), text(n), owner, acl]
                })
                .collect(),
        ),
        "pg_class" => pg_class(catalog, session, &tables),
        "pg_am" => (
            vec![("oid", Int8), ("amname", Text), ("amhandler", Text), ("amtype", Text)],
            vec![
                vec![oid(2), text("heap"), text("heap_tableam_handler"), text("t")],
                vec![oid(BTREE_AM_OID), text("btree"), text("bthandler"), text("i")],
                vec![oid(HASH_AM_OID), text("hash"), text("hashhandler"), text("i")],
                vec![oid(HNSW_AM_OID), text("hnsw"), text("hnswhandler"), text("i")],
            ],
        ),
        "pg_index" => pg_index(&tables),
        "pg_attribute" => pg_attribute(catalog, session, &tables),
        "pg_attrdef" => (
            vec![("oid", Int8), ("adrelid", Int8), ("adnum", Int2), ("adbin", Text)],
            tables
                .iter()
                .flat_map(|t| {
                    t.columns.iter().enumerate().filter_map(move |(i, c)| {
                        column_default(catalog, session, t, i)
                            .map(|d| {
                                vec![
                                    oid(super::pg_depend::attrdef_oid(t, i)),
                                    oid(relation_oid(t.id)),
                                    i16v(i + 1),
                                    text(d),
                                ]
                            })
                            .filter(|_| !c.name.is_empty())
                    })
                })
                .collect(),
        ),
        "pg_type" => (
            vec![
                ("oid", Int8),
                ("typname", Text),
                ("typnamespace", Int8),
                ("typowner", Int8),
                ("typlen", Int2),
                ("typbyval", Bool),
                ("typtype", Text),
                ("typcategory", Text),
                ("typisdefined", Bool),
                ("typdelim", Text),
                ("typrelid", Int8),
                ("typelem", Int8),
                ("typarray", Int8),
                ("typbasetype", Int8),
                ("typtypmod", Int4),
                ("typnotnull", Bool),
                ("typdefault", Text),
                ("typcollation", Int8),
                ("typacl", text_array()),
                ("typstorage", Text),
                ("typalign", Text),
            ],
            types()
                .into_iter()
                .map(|(t, n, len, cat)| {
                    let (storage, _, align) = type_storage(&t);
                    let elem = match &t {
                        DataType::Array(e) => i64::from(e.oid()),
                        _ => 0,
                    };
                    vec![
                        oid(i64::from(t.oid())),
                        text(n),
                        oid(11),
                        oid(ROLE_OID),
                        Value::Int2(len),
                        Value::Bool(matches!(len, 1 | 2 | 4 | 8)),
                        text(match &t {
                            DataType::Range(_) => "r",
                            DataType::Multirange(_) => "m",
                            _ => "b",
                        }),
                        text(cat),
                        Value::Bool(true),
                        text(","),
                        oid(0),
                        oid(elem),
                        oid(t.array_oid().map_or(0, i64::from)),
                        oid(0),
                        Value::Int4(-1),
                        Value::Bool(false),
                        Value::Null,
                        oid(if cat == "S" { 100 } else { 0 }),
                        Value::Null,
                        text(storage),
                        text(align),
                    ]
                })
                .chain(super::pg_types::user_type_rows(catalog).into_iter().map(|mut row| {
                    // User types: enums are 4-byte values, the rest variable-length
                    // (composites and ranges aligned for their widest members).
                    let (storage, align) = match (&row[4], &row[6]) {
                        (Value::Int2(-1), Value::Text(k)) if k == "c" || k == "r" => ("x", "d"),
                        (Value::Int2(-1), _) => ("x", "i"),
                        (Value::Int2(1), _) => ("p", "c"),
                        (Value::Int2(2), _) => ("p", "s"),
                        (Value::Int2(8), _) => ("p", "d"),
                        _ => ("p", "i"),
                    };
                    row.extend([text(storage), text(align)]);
                    row
                }))
                .collect(),
        ),
        "pg_enum" => super::pg_types::pg_enum(catalog),
        "pg_range" => super::pg_types::pg_range(catalog),
        "pg_constraint" => pg_constraint(catalog, &tables),
        "pg_database" => (
            vec![
                ("oid", Int8),
                ("datname", Text),
                ("datdba", Int8),
                ("encoding", Int4),
                ("datlocprovider", Text),
                ("datistemplate", Bool),
                ("datallowconn", Bool),
                ("datconnlimit", Int4),
                ("dattablespace", Int8),
                ("datcollate", Text),
                ("datctype", Text),
                ("daticulocale", Text),
                ("datcollversion", Text),
                ("datacl", text_array()),
            ],
            vec![vec![
                oid(DATABASE_OID),
                text(&session.database),
                oid(ROLE_OID),
                Value::Int4(6),
                text("c"),
                Value::Bool(false),
                Value::Bool(true),
                Value::Int4(-1),
                oid(1663),
                text("C"),
                text("C"),
                Value::Null,
                Value::Null,
                Value::Null,
            ]],
        ),
        "pg_roles" | "pg_authid" | "pg_user" => {
            super::pg_roles::roles_relation(catalog, session, name)
        }
        "pg_auth_members" => super::pg_roles::auth_members(catalog),
        "pg_sequence" => (
            vec![
                ("seqrelid", Int8),
                ("seqtypid", Int8),
                ("seqstart", Int8),
                ("seqincrement", Int8),
                ("seqmax", Int8),
                ("seqmin", Int8),
                ("seqcache", Int8),
                ("seqcycle", Bool),
            ],
            {
                let mut seqs: Vec<_> = catalog.sequences.values().collect();
                seqs.sort_by_key(|s| s.id);
                seqs.into_iter()
                    .map(|s| {
                        vec![
                            oid(relation_oid(s.id)),
                            oid(20),
                            Value::Int8(s.start),
                            Value::Int8(s.increment),
                            Value::Int8(s.max),
                            Value::Int8(s.min),
                            Value::Int8(1),
                            Value::Bool(s.cycle),
                        ]
                    })
                    .collect()
            },
        ),
        "pg_tablespace" => (
            vec![("oid", Int8), ("spcname", Text), ("spcowner", Int8), ("spcacl", text_array())],
            vec![
                vec![oid(1663), text("pg_default"), oid(ROLE_OID), Value::Null],
                vec![oid(1664), text("pg_global"), oid(ROLE_OID), Value::Null],
            ],
        ),
        "pg_settings" => (
            vec![
                ("name", Text),
                ("setting", Text),
                ("unit", Text),
                ("category", Text),
                ("short_desc", Text),
                ("context", Text),
                ("vartype", Text),
                ("source", Text),
            ],
            pg_settings(session),
        ),
        "pg_cursors" => (
            vec![
                ("name", Text),
                ("statement", Text),
                ("is_holdable", Bool),
                ("is_binary", Bool),
                ("is_scrollable", Bool),
                ("creation_time", DataType::TimestampTz),
            ],
            session
                .cursors
                .iter()
                .map(|c| {
                    vec![
                        text(&c.name),
                        text(&c.statement),
                        Value::Bool(c.holdable),
                        Value::Bool(false),
                        Value::Bool(c.scrollable),
                        Value::TimestampTz(c.created),
                    ]
                })
                .collect(),
        ),
        "pg_extension" => (
            vec![
                ("oid", Int8),
                ("extname", Text),
                ("extowner", Int8),
                ("extnamespace", Int8),
                ("extrelocatable", Bool),
                ("extversion", Text),
                ("extconfig", DataType::Array(Box::new(Int8))),
                ("extcondition", text_array()),
            ],
            std::iter::once(vec![
                oid(13_500),
                text("plpgsql"),
                oid(ROLE_OID),
                oid(11),
                Value::Bool(false),
                text("1.0"),
                Value::Null,
                Value::Null,
            ])
            .chain(catalog.extensions.values().map(|e| {
                vec![
                    oid(i64::from(e.id)),
                    text(e.name.clone()),
                    oid(ROLE_OID),
                    ns_oid(catalog, &e.schema),
                    Value::Bool(false),
                    text(e.version.clone()),
                    Value::Null,
                    Value::Null,
                ]
            }))
            .collect(),
        ),
        "pg_collation" => (
            vec![
                ("oid", Int8),
                ("collname", Text),
                ("collnamespace", Int8),
                ("collowner", Int8),
                ("collprovider", Text),
                ("collisdeterministic", Bool),
                ("collencoding", Int4),
                ("collcollate", Text),
                ("collctype", Text),
            ],
            vec![
                vec![
                    oid(100),
                    text("default"),
                    oid(11),
                    oid(ROLE_OID),
                    text("d"),
                    Value::Bool(true),
                    Value::Int4(-1),
                    Value::Null,
                    Value::Null,
                ],
                vec![
                    oid(950),
                    text("C"),
                    oid(11),
                    oid(ROLE_OID),
                    text("c"),
                    Value::Bool(true),
                    Value::Int4(-1),
                    text("C"),
                    text("C"),
                ],
            ],
        ),
        "pg_proc" => (
            vec![
                ("oid", Int8),
                ("proname", Text),
                ("pronamespace", Int8),
                ("proowner", Int8),
                ("prokind", Text),
                ("prorettype", Int8),
                ("proargtypes", DataType::Array(Box::new(Int8))),
                ("proretset", Bool),
                ("prosrc", Text),
                ("prolang", Int8),
                ("procost", Float4),
                ("prorows", Float4),
                ("provariadic", Int8),
                ("prosecdef", Bool),
                ("proleakproof", Bool),
                ("proisstrict", Bool),
                ("provolatile", Text),
                ("proparallel", Text),
                ("pronargs", Int2),
                ("pronargdefaults", Int2),
                ("proallargtypes", DataType::Array(Box::new(Int8))),
                ("proargmodes", text_array()),
                ("proargnames", text_array()),
                ("proconfig", text_array()),
                ("proacl", text_array()),
                ("probin", Text),
                ("prosqlbody", Text),
                ("proargdefaults", Text),
                ("prosupport", Int8),
            ],
            super::pg_routines::pg_proc_rows(catalog),
        ),
        "pg_opclass" => (
            vec![
                ("oid", Int8),
                ("opcmethod", Int8),
                ("opcname", Text),
                ("opcnamespace", Int8),
                ("opcowner", Int8),
                ("opcfamily", Int8),
                ("opcintype", Int8),
                ("opcdefault", Bool),
                ("opckeytype", Int8),
            ],
            vec![],
        ),
        "pg_description" => (
            vec![("objoid", Int8), ("classoid", Int8), ("objsubid", Int4), ("description", Text)],
            descriptions(&tables, catalog),
        ),
        "pg_depend" => super::pg_depend::pg_depend(catalog, session, &tables),
        "pg_inherits" => (
            vec![
                ("inhrelid", Int8),
                ("inhparent", Int8),
                ("inhseqno", Int4),
                ("inhdetachpending", Bool),
            ],
            super::pg_partitions::pg_inherits_rows(catalog),
        ),
        "pg_partitioned_table" => super::pg_partitions::pg_partitioned_table(catalog, session),
        "pg_trigger" => (
            vec![
                ("oid", Int8),
                ("tgrelid", Int8),
                ("tgparentid", Int8),
                ("tgname", Text),
                ("tgfoid", Int8),
                ("tgtype", Int2),
                ("tgenabled", Text),
                ("tgisinternal", Bool),
                ("tgconstraint", Int8),
                ("tgnargs", Int2),
            ],
            super::pg_routines::pg_trigger_rows(catalog),
        ),
        "pg_rewrite" => super::pg_depend::pg_rewrite(catalog),
        "pg_policy" => super::pg_roles::pg_policy(&tables),
        "pg_policies" => super::pg_roles::pg_policies(catalog, session, &tables),
        "pg_statistic_ext" => (
            vec![
                ("oid", Int8),
                ("stxrelid", Int8),
                ("stxname", Text),
                ("stxnamespace", Int8),
                ("stxowner", Int8),
                ("stxkeys", Text),
                ("stxkind", text_array()),
                ("stxstattarget", Int4),
            ],
            vec![],
        ),
        "pg_publication" => (
            vec![
                ("oid", Int8),
                ("pubname", Text),
                ("pubowner", Int8),
                ("puballtables", Bool),
                ("pubinsert", Bool),
                ("pubupdate", Bool),
                ("pubdelete", Bool),
                ("pubtruncate", Bool),
                ("pubviaroot", Bool),
            ],
            vec![],
        ),
        // The procedural languages a function can be written in, with PostgreSQL's OIDs.
        "pg_language" => (
            vec![
                ("oid", Int8),
                ("lanname", Text),
                ("lanowner", Int8),
                ("lanispl", Bool),
                ("lanpltrusted", Bool),
                ("lanplcallfoid", Int8),
                ("laninline", Int8),
                ("lanvalidator", Int8),
                ("lanacl", text_array()),
            ],
            [(12, "internal", false, false), (13, "c", false, false), (14, "sql", false, true)]
                .into_iter()
                .chain([(13_576, "plpgsql", true, true)])
                .map(|(o, name, pl, trusted)| {
                    vec![
                        oid(o),
                        text(name),
                        oid(ROLE_OID),
                        Value::Bool(pl),
                        Value::Bool(trusted),
                        oid(0),
                        oid(0),
                        oid(0),
                        Value::Null,
                    ]
                })
                .collect(),
        ),
        "pg_publication_namespace" => {
            (vec![("oid", Int8), ("pnpubid", Int8), ("pnnspid", Int8)], vec![])
        }
        "pg_publication_rel" => (
            vec![
                ("oid", Int8),
                ("prpubid", Int8),
                ("prrelid", Int8),
                ("prqual", Text),
                ("prattrs", DataType::Array(Box::new(Int2))),
            ],
            vec![],
        ),
        "pg_matviews" => (
            vec![
                ("schemaname", Text),
                ("matviewname", Text),
                ("matviewowner", Text),
                ("tablespace", Text),
                ("hasindexes", Bool),
                ("ispopulated", Bool),
                ("definition", Text),
            ],
            tables
                .iter()
                .filter_map(|t| {
                    let m = t.matview.as_ref()?;
                    Some(vec![
                        text(&t.schema),
                        text(&t.name),
                        text(&session.current_user),
                        Value::Null,
                        Value::Bool(!t.indexes.is_empty()),
                        Value::Bool(m.populated),
                        text(format!(" {};", m.query)),
                    ])
                })
                .collect(),
        ),
        "pg_sequences" => (
            vec![
                ("schemaname", Text),
                ("sequencename", Text),
                ("sequenceowner", Text),
                ("start_value", Int8),
                ("min_value", Int8),
                ("max_value", Int8),
                ("increment_by", Int8),
                ("cycle", Bool),
            ],
            {
                let mut seqs: Vec<_> = catalog.sequences.values().collect();
                seqs.sort_by(|a, b| (&a.schema, &a.name).cmp(&(&b.schema, &b.name)));
                seqs.into_iter()
                    .map(|s| {
                        vec![
                            text(&s.schema),
                            text(&s.name),
                            text(&session.session_user),
                            Value::Int8(s.start),
                            Value::Int8(s.min),
                            Value::Int8(s.max),
                            Value::Int8(s.increment),
                            Value::Bool(s.cycle),
                        ]
                    })
                    .collect()
            },
        ),
        other => return super::pg_catalog_empty::empty_catalog(other),
    };
    Some(rel)
}

/// The default expression PostgreSQL would show for column `i` of `t` (see
/// `default_display.rs`).
/// The default of column `i` of `t` as PostgreSQL prints it; a serial column's names its
/// sequence qualified when the sequence's schema is not on the search path, as
/// `regclass` output does.
pub(super) fn column_default(
    catalog: &Catalog,
    session: &SessionInfo,
    t: &TableDef,
    i: usize,
) -> Option<String> {
    let c = t.columns.get(i)?;
    if let Some(g) = &c.generated {
        return Some(g.clone());
    }
    match (&c.default, c.sequence) {
        (Some(d), _) => match super::default_display::display_default(d, &c.data_type) {
            super::default_display::ShownDefault::Text(shown) => {
                // `nextval('s'::regclass)` names its sequence as `regclass` output does
                // (a restored dump writes `nextval('public.s'::regclass)`).
                Some(match nextval_call(catalog, t, d) {
                    Some((seq, true)) => {
                        format!("nextval('{}'::regclass)", regclass_text(session, seq))
                    }
                    _ => shown,
                })
            }
            super::default_display::ShownDefault::None => None,
        },
        (None, Some(seq)) if c.identity.is_none() => {
            let name = match catalog.sequences.get(&seq) {
                Some(s) => regclass_text(session, s),
                None => format!("{}_{}_seq", t.name, c.name),
            };
            Some(format!("nextval('{name}'::regclass)"))
        }
        _ => None,
    }
}

/// A sequence's name as `regclass` output shows it (quoted for a string literal): with
/// its schema when that is not on the search path.
fn regclass_text(session: &SessionInfo, s: &SequenceDef) -> String {
    let q = crate::functions::format::quote_ident;
    let name = if session.search_path.contains(&s.schema) {
        q(&s.name)
    } else {
        format!("{}.{}", q(&s.schema), q(&s.name))
    };
    name.replace('\'', "''")
}

/// The sequence a default `nextval('name')` or `nextval('name'::regclass)` of a column of
/// `t` calls (an unqualified name is looked for in `t`'s schema, then `public`), and
/// whether the call has the cast. `None` for other defaults.
fn nextval_call<'c>(
    catalog: &'c Catalog,
    t: &TableDef,
    default: &str,
) -> Option<(&'c SequenceDef, bool)> {
    let text = default.trim();
    let lower = text.to_ascii_lowercase();
    let arg = lower.strip_prefix("nextval('")?.strip_suffix(')')?;
    let (inner, cast) = match arg.strip_suffix("'::regclass") {
        Some(inner) => (inner, true),
        None => (arg.strip_suffix('\'')?, false),
    };
    let name = &text["nextval('".len().."nextval('".len() + inner.len()];
    if name.contains(['"', '\'']) {
        return None;
    }
    let (schemas, bare) = match name.split_once('.') {
        Some((schema, bare)) => (vec![schema.to_ascii_lowercase()], bare),
        None => (vec![t.schema.clone(), crate::catalog::DEFAULT_SCHEMA.to_string()], name),
    };
    let bare = bare.to_ascii_lowercase();
    let seq = schemas.iter().find_map(|schema| {
        catalog.sequences.values().find(|s| s.name == bare && s.schema == *schema)
    })?;
    Some((seq, cast))
}

/// The sequence whose values column `i` of `t` defaults to: a serial column's own, or
/// the one its `nextval` default calls (what `pg_depend` records for the default).
pub(super) fn default_sequence<'c>(
    catalog: &'c Catalog,
    t: &TableDef,
    i: usize,
) -> Option<&'c SequenceDef> {
    let c = t.columns.get(i)?;
    match (&c.default, c.sequence) {
        (Some(d), _) => nextval_call(catalog, t, d).map(|(s, _)| s),
        (None, Some(seq)) if c.identity.is_none() => catalog.sequences.get(&seq).map(|s| &**s),
        _ => None,
    }
}

/// Positions of `pg_class` columns that rows fill in after [`pg_class`] builds them.
pub(super) const RELISPARTITION: usize = 26;
const RELACL: usize = 30;
pub(super) const RELPARTBOUND: usize = 32;

fn pg_class(catalog: &Catalog, session: &SessionInfo, tables: &[&TableDef]) -> Relation {
    let cols = vec![
        ("oid", Int8),
        ("relname", Text),
        ("relnamespace", Int8),
        ("reltype", Int8),
        ("reloftype", Int8),
        ("relowner", Int8),
        ("relam", Int8),
        ("relfilenode", Int8),
        ("reltablespace", Int8),
        ("relpages", Int4),
        ("reltuples", Float4),
        ("relallvisible", Int4),
        ("reltoastrelid", Int8),
        ("relhasindex", Bool),
        ("relisshared", Bool),
        ("relpersistence", Text),
        ("relkind", Text),
        ("relnatts", Int2),
        ("relchecks", Int2),
        ("relhasrules", Bool),
        ("relhastriggers", Bool),
        ("relhassubclass", Bool),
        ("relrowsecurity", Bool),
        ("relforcerowsecurity", Bool),
        ("relispopulated", Bool),
        ("relreplident", Text),
        ("relispartition", Bool),
        ("relrewrite", Int8),
        ("relfrozenxid", Int8),
        ("relminmxid", Int8),
        ("relacl", text_array()),
        ("reloptions", text_array()),
        ("relpartbound", Text),
    ];
    #[allow(clippy::too_many_arguments)]
    fn row(
        o: i64,
        name: &str,
        ns: Value,
        am: i64,
        hasindex: bool,
        kind: &str,
        natts: usize,
        checks: usize,
    ) -> Vec<Value> {
        vec![
            oid(o),
            text(name),
            ns,
            oid(0),
            oid(0),
            oid(ROLE_OID),
            oid(am),
            oid(o),
            oid(0),
            Value::Int4(0),
            Value::Float4(-1.0),
            Value::Int4(0),
            oid(0),
            Value::Bool(hasindex),
            Value::Bool(false),
            text("p"),
            text(kind),
            i16v(natts),
            i16v(checks),
            Value::Bool(false),
            Value::Bool(false),
            Value::Bool(false),
            Value::Bool(false),
            Value::Bool(false),
            Value::Bool(true),
            text("d"),
            Value::Bool(false),
            oid(0),
            Value::Int8(0),
            Value::Int8(0),
            Value::Null,
            Value::Null,
            Value::Null,
        ]
    }
    // PostgreSQL implements foreign keys with triggers on both tables; psql shows the
    // foreign-key sections of `\d` only when `relhastriggers` is set.
    let triggered: HashSet<u32> = tables
        .iter()
        .filter(|t| !t.foreign_keys.is_empty())
        .map(|t| t.id)
        .chain(tables.iter().flat_map(|t| t.foreign_keys.iter().map(|f| f.ref_table)))
        .chain(catalog.triggers.values().map(|tr| tr.table))
        .collect();
    let mut rows = Vec::new();
    for t in tables {
        let ns = ns_oid(catalog, &t.schema);
        let has_triggers = triggered.contains(&t.id);
        let partitioned = catalog.is_partitioned(t.id);
        let mut table_row = row(
            relation_oid(t.id),
            &t.name,
            ns.clone(),
            if partitioned { 0 } else { 2 },
            !t.indexes.is_empty(),
            if t.matview.is_some() {
                "m"
            } else if partitioned {
                "p"
            } else {
                "r"
            },
            t.columns.len(),
            t.checks.len(),
        );
        if !catalog.partitions.is_empty() {
            super::pg_partitions::set_partition_columns(&mut table_row, catalog, t.id);
        }
        if crate::session::is_temp_schema(&t.schema) {
            table_row[15] = text("t");
        } else if t.unlogged {
            table_row[15] = text("u");
        }
        table_row[20] = Value::Bool(has_triggers);
        set_access(&mut table_row, catalog, session, &t.access);
        table_row[22] = Value::Bool(t.row_security.enabled);
        table_row[23] = Value::Bool(t.row_security.forced);
        table_row[24] = Value::Bool(t.matview.as_ref().is_none_or(|m| m.populated));
        // `toast.` parameters belong to the TOAST table in PostgreSQL, not shown here.
        let options: Vec<Value> = t
            .storage_params
            .iter()
            .filter(|(k, _)| !k.starts_with("toast."))
            .map(|(k, v)| text(format!("{k}={v}")))
            .collect();
        if !options.is_empty() {
            let last = table_row.len() - 2;
            table_row[last] = Value::Array(std::sync::Arc::new(Array::new(Text, options)));
        }
        rows.push(table_row);
        for i in &t.indexes {
            rows.push(row(
                index_oid(t.id, i.id),
                &i.name,
                ns.clone(),
                match (&i.vector, i.hash) {
                    (Some(_), _) => HNSW_AM_OID,
                    (None, true) => HASH_AM_OID,
                    (None, false) => BTREE_AM_OID,
                },
                false,
                if partitioned { "I" } else { "i" },
                i.columns.len(),
                0,
            ));
        }
    }
    let mut views: Vec<_> = catalog.views.values().collect();
    views.sort_by_key(|v| v.id);
    for v in views {
        let mut view_row = row(
            relation_oid(v.id),
            &v.name,
            ns_oid(catalog, &v.schema),
            0,
            false,
            "v",
            v.columns.len(),
            0,
        );
        set_access(&mut view_row, catalog, session, &v.access);
        // reloptions, in the order PostgreSQL keeps them (as written).
        let mut options = Vec::new();
        if let Some(c) = &v.check_option {
            options.push(text(format!("check_option={c}")));
        }
        if v.security_barrier {
            options.push(text("security_barrier=true"));
        }
        if v.security_invoker {
            options.push(text("security_invoker=true"));
        }
        if !options.is_empty() {
            let last = view_row.len() - 2;
            view_row[last] = Value::Array(std::sync::Arc::new(Array::new(Text, options)));
        }
        rows.push(view_row);
    }
    let mut seqs: Vec<_> = catalog.sequences.values().collect();
    seqs.sort_by_key(|s| s.id);
    for s in seqs {
        let mut seq_row =
            row(relation_oid(s.id), &s.name, ns_oid(catalog, &s.schema), 0, false, "S", 3, 0);
        seq_row[5] = super::pg_roles::owner_oid(s.access.owner);
        seq_row[RELACL] = s
            .access
            .acl_text(catalog, &session.session_user, Privileges::SEQUENCE_ALL)
            .map_or(Value::Null, acl_array);
        rows.push(seq_row);
    }
    (cols, rows)
}

/// Fills `relowner` and `relacl` of a table or view row.
fn set_access(row: &mut [Value], catalog: &Catalog, session: &SessionInfo, access: &ObjectAccess) {
    row[5] = super::pg_roles::owner_oid(access.owner);
    row[RELACL] = access
        .acl_text(catalog, &session.session_user, Privileges::TABLE_ALL)
        .map_or(Value::Null, acl_array);
}

/// An `aclitem[]` shown as text items.
fn acl_array(items: Vec<String>) -> Value {
    Value::Array(std::sync::Arc::new(Array::new(
        Text,
        items.into_iter().map(Value::Text).collect(),
    )))
}

fn pg_index(tables: &[&TableDef]) -> Relation {
    let cols = vec![
        ("indexrelid", Int8),
        ("indrelid", Int8),
        ("indnatts", Int2),
        ("indnkeyatts", Int2),
        ("indisunique", Bool),
        ("indnullsnotdistinct", Bool),
        ("indisprimary", Bool),
        ("indisexclusion", Bool),
        ("indimmediate", Bool),
        ("indisclustered", Bool),
        ("indisvalid", Bool),
        ("indcheckxmin", Bool),
        ("indisready", Bool),
        ("indislive", Bool),
        ("indisreplident", Bool),
        // int2vectors print as "1 3"; `unnest`/`generate_subscripts` read that text.
        ("indkey", Text),
        ("indcollation", DataType::Array(Box::new(Int8))),
        ("indclass", DataType::Array(Box::new(Int8))),
        ("indoption", Text),
        ("indexprs", Text),
        ("indpred", Text),
    ];
    let rows = tables
        .iter()
        .flat_map(|t| {
            t.indexes.iter().map(move |i| {
                let n = i.columns.len();
                vec![
                    oid(index_oid(t.id, i.id)),
                    oid(relation_oid(t.id)),
                    i16v(n),
                    i16v(n),
                    Value::Bool(i.unique || i.primary),
                    Value::Bool(false),
                    Value::Bool(i.primary),
                    Value::Bool(false),
                    Value::Bool(true),
                    Value::Bool(false),
                    Value::Bool(true),
                    Value::Bool(false),
                    Value::Bool(true),
                    Value::Bool(true),
                    Value::Bool(false),
                    // An expression key is column 0, as in PostgreSQL.
                    int2vector(i.columns.iter().enumerate().map(|(k, c)| {
                        if i.expression(k).is_some() {
                            0
                        } else {
                            c + 1
                        }
                    })),
                    oid_array(i.columns.iter().map(|c| collation_of(t, *c))),
                    oid_array(std::iter::repeat_n(0, n)),
                    text(vec!["0"; n].join(" ")),
                    // PostgreSQL keeps node trees here; we keep the SQL text, which
                    // `pg_get_expr` returns as is.
                    if i.expressions.iter().any(Option::is_some) {
                        text(i.expressions.iter().flatten().cloned().collect::<Vec<_>>().join(", "))
                    } else {
                        Value::Null
                    },
                    i.predicate.clone().map_or(Value::Null, text),
                ]
            })
        })
        .collect();
    (cols, rows)
}

/// Storage, pass-by-value and alignment as PostgreSQL stores type `t` (what psql's \d+
/// shows as Storage; `typstorage`, `typbyval` and `typalign` of `pg_type`).
fn type_storage(t: &DataType) -> (&'static str, bool, &'static str) {
    match t {
        DataType::Bool => ("p", true, "c"),
        DataType::Int2 => ("p", true, "s"),
        DataType::Int4 | DataType::Float4 | DataType::Date => ("p", true, "i"),
        DataType::Int8
        | DataType::Float8
        | DataType::Time
        | DataType::Timestamp
        | DataType::TimestampTz => ("p", true, "d"),
        DataType::Interval | DataType::TimeTz => ("p", false, "d"),
        DataType::Uuid => ("p", false, "c"),
        DataType::Inet | DataType::Cidr => ("m", false, "i"),
        DataType::MacAddr => ("p", false, "i"),
        DataType::Numeric(_) => ("m", false, "i"),
        DataType::Vector(_) => ("e", false, "i"),
        // An array aligns as strictly as its elements.
        DataType::Array(e)
            if matches!(
                **e,
                DataType::Int8
                    | DataType::Float8
                    | DataType::Time
                    | DataType::Timestamp
                    | DataType::TimestampTz
                    | DataType::TimeTz
                    | DataType::Interval
            ) =>
        {
            ("x", false, "d")
        }
        _ => ("x", false, "i"),
    }
}

fn pg_attribute(catalog: &Catalog, session: &SessionInfo, tables: &[&TableDef]) -> Relation {
    let cols = vec![
        ("attrelid", Int8),
        ("attname", Text),
        ("atttypid", Int8),
        ("attlen", Int2),
        ("attnum", Int2),
        ("attndims", Int4),
        ("atttypmod", Int4),
        ("attnotnull", Bool),
        ("atthasdef", Bool),
        ("atthasmissing", Bool),
        ("attidentity", Text),
        ("attgenerated", Text),
        ("attisdropped", Bool),
        ("attislocal", Bool),
        ("attinhcount", Int4),
        ("attstattarget", Int4),
        ("attcollation", Int8),
        ("attacl", text_array()),
        ("attoptions", text_array()),
        ("attstorage", Text),
        ("attcompression", Text),
        ("attbyval", Bool),
        ("attalign", Text),
        ("attfdwoptions", text_array()),
        ("attmissingval", text_array()),
    ];
    #[allow(clippy::too_many_arguments)]
    fn row(
        rel: i64,
        name: &str,
        t: &DataType,
        num: usize,
        not_null: bool,
        has_def: bool,
        identity: &str,
        generated: bool,
    ) -> Vec<Value> {
        let collation = match t {
            Text | DataType::Varchar(_) | DataType::Char(_) => 100,
            _ => 0,
        };
        let (storage, byval, align) = type_storage(t);
        vec![
            oid(rel),
            text(name),
            oid(i64::from(t.oid())),
            Value::Int2(-1),
            i16v(num),
            Value::Int4(i32::from(matches!(t, DataType::Array(_)))),
            Value::Int4(typmod(t)),
            Value::Bool(not_null),
            Value::Bool(has_def),
            Value::Bool(false),
            text(identity),
            text(if generated { "s" } else { "" }),
            Value::Bool(false),
            Value::Bool(true),
            Value::Int4(0),
            Value::Int4(-1),
            oid(collation),
            Value::Null,
            Value::Null,
            text(storage),
            text(""),
            Value::Bool(byval),
            text(align),
            Value::Null,
            Value::Null,
        ]
    }
    let mut rows = Vec::new();
    for t in tables {
        for (n, c) in t.columns.iter().enumerate() {
            let identity = match c.identity {
                Some(crate::catalog::Identity::Always) => "a",
                Some(crate::catalog::Identity::ByDefault) => "d",
                None => "",
            };
            let mut r = row(
                relation_oid(t.id),
                &c.name,
                &c.data_type,
                n + 1,
                c.not_null,
                column_default(catalog, session, t, n).is_some(),
                identity,
                c.generated.is_some(),
            );
            // A domain column's type is the domain (psql's \d prints its name).
            if let Some(d) = c.domain {
                r[2] = oid(i64::from(d));
                r[6] = Value::Int4(-1);
            }
            rows.push(r);
        }
        for i in &t.indexes {
            for (n, c) in i.columns.iter().enumerate() {
                if let Some(col) = t.columns.get(*c) {
                    rows.push(row(
                        index_oid(t.id, i.id),
                        &col.name,
                        &col.data_type,
                        n + 1,
                        false,
                        false,
                        "",
                        false,
                    ));
                }
            }
        }
    }
    let mut views: Vec<_> = catalog.views.values().collect();
    views.sort_by_key(|v| v.id);
    for v in views {
        for (n, c) in v.columns.iter().enumerate() {
            rows.push(row(
                relation_oid(v.id),
                c,
                &v.column_type(n),
                n + 1,
                false,
                false,
                "",
                false,
            ));
        }
    }
    (cols, rows)
}

fn fk_action(a: &crate::catalog::FkAction) -> &'static str {
    use crate::catalog::FkAction::*;
    match a {
        NoAction => "a",
        Restrict => "r",
        Cascade => "c",
        SetNull => "n",
        SetDefault => "d",
    }
}

fn pg_constraint(catalog: &Catalog, tables: &[&TableDef]) -> Relation {
    let cols = vec![
        ("oid", Int8),
        ("conname", Text),
        ("connamespace", Int8),
        ("contype", Text),
        ("condeferrable", Bool),
        ("condeferred", Bool),
        ("convalidated", Bool),
        ("conrelid", Int8),
        ("contypid", Int8),
        ("conindid", Int8),
        ("conparentid", Int8),
        ("confrelid", Int8),
        ("confupdtype", Text),
        ("confdeltype", Text),
        ("confmatchtype", Text),
        ("conislocal", Bool),
        ("coninhcount", Int4),
        ("connoinherit", Bool),
        ("conkey", DataType::Array(Box::new(Int2))),
        ("confkey", DataType::Array(Box::new(Int2))),
        ("confdelsetcols", DataType::Array(Box::new(Int2))),
        ("conbin", Text),
    ];
    let mut rows = Vec::new();
    for t in tables {
        let ns = ns_oid(catalog, &t.schema);
        let rel = relation_oid(t.id);
        let mut n: i64 = 0;
        let mut next = || {
            n += 1;
            oid(50_000_000 + 100 * i64::from(t.id) + n)
        };
        for i in t.indexes.iter().filter(|i| i.primary || i.constraint) {
            rows.push(vec![
                next(),
                text(&i.name),
                ns.clone(),
                text(if i.primary { "p" } else { "u" }),
                Value::Bool(false),
                Value::Bool(false),
                Value::Bool(true),
                oid(rel),
                oid(0),
                oid(index_oid(t.id, i.id)),
                oid(0),
                oid(0),
                text(" "),
                text(" "),
                text(" "),
                Value::Bool(true),
                Value::Int4(0),
                Value::Bool(true),
                int2_array(i.columns.iter().map(|c| c + 1)),
                Value::Null,
                Value::Null,
                Value::Null,
            ]);
        }
        for c in &t.checks {
            rows.push(vec![
                next(),
                text(&c.name),
                ns.clone(),
                text("c"),
                Value::Bool(false),
                Value::Bool(false),
                Value::Bool(!c.not_valid),
                oid(rel),
                oid(0),
                oid(0),
                oid(0),
                oid(0),
                text(" "),
                text(" "),
                text(" "),
                Value::Bool(true),
                Value::Int4(0),
                Value::Bool(false),
                Value::Null,
                Value::Null,
                Value::Null,
                text(&c.expr),
            ]);
        }
        for f in &t.foreign_keys {
            let ref_index = catalog
                .tables
                .get(&f.ref_table)
                .and_then(|r| {
                    r.indexes.iter().find(|i| {
                        (i.unique || i.primary) && i.is_plain() && i.columns == f.ref_columns
                    })
                })
                .map_or(0, |i| index_oid(f.ref_table, i.id));
            rows.push(vec![
                next(),
                text(&f.name),
                ns.clone(),
                text("f"),
                Value::Bool(f.deferrable),
                Value::Bool(f.initially_deferred),
                Value::Bool(!f.not_valid),
                oid(rel),
                oid(0),
                oid(ref_index),
                oid(0),
                oid(relation_oid(f.ref_table)),
                text(fk_action(&f.on_update)),
                text(fk_action(&f.on_delete)),
                text(if f.match_full { "f" } else { "s" }),
                Value::Bool(true),
                Value::Int4(0),
                Value::Bool(true),
                int2_array(f.columns.iter().map(|c| c + 1)),
                int2_array(f.ref_columns.iter().map(|c| c + 1)),
                if f.delete_set_columns.is_empty() {
                    Value::Null
                } else {
                    int2_array(f.delete_set_columns.iter().map(|c| c + 1))
                },
                Value::Null,
            ]);
        }
    }
    rows.extend(super::pg_types::domain_constraint_rows(catalog));
    (cols, rows)
}

/// `pg_description`: the `COMMENT ON` texts of relations (tables, views, indexes and
/// sequences; subid 0) and table columns (subid = column number), under pg_class's OID.
/// A schema's comment; `public` has PostgreSQL's until one is set.
pub(crate) fn schema_comment(catalog: &Catalog, name: &str) -> Option<String> {
    match catalog.schemas.get(name).and_then(|s| s.comment.clone()) {
        None if name == crate::catalog::DEFAULT_SCHEMA => Some("standard public schema".into()),
        c => c,
    }
}

fn descriptions(tables: &[&TableDef], catalog: &Catalog) -> Vec<Vec<Value>> {
    const PG_CLASS: i64 = 1259;
    let row = |o: i64, sub: usize, text: &str| {
        vec![
            oid(o),
            oid(PG_CLASS),
            Value::Int4(i32::try_from(sub).unwrap_or(0)),
            Value::Text(text.into()),
        ]
    };
    let mut rows = Vec::new();
    for t in tables {
        if let Some(c) = &t.comment {
            rows.push(row(relation_oid(t.id), 0, c));
        }
        for (i, col) in t.columns.iter().enumerate() {
            if let Some(c) = t.column_comments.get(&col.name) {
                rows.push(row(relation_oid(t.id), i + 1, c));
            }
        }
        for i in &t.indexes {
            if let Some(c) = &i.comment {
                rows.push(row(index_oid(t.id, i.id), 0, c));
            }
        }
    }
    let mut sequences: Vec<_> = catalog.sequences.values().collect();
    sequences.sort_by_key(|q| q.id);
    for q in sequences {
        if let Some(c) = &q.comment {
            rows.push(row(relation_oid(q.id), 0, c));
        }
    }
    let mut views: Vec<_> = catalog.views.values().collect();
    views.sort_by_key(|v| v.id);
    for v in views {
        if let Some(c) = &v.comment {
            rows.push(row(relation_oid(v.id), 0, c));
        }
    }
    // Schema comments, under pg_namespace's OID.
    for (o, name) in namespaces(catalog) {
        if let Some(c) = schema_comment(catalog, &name) {
            let mut r = row(o, 0, &c);
            r[1] = oid(2615);
            rows.push(r);
        }
    }
    // Routine comments, under pg_proc's OID.
    let mut funcs: Vec<_> = catalog.functions.values().filter(|f| f.comment.is_some()).collect();
    funcs.sort_by_key(|f| f.id);
    for f in funcs {
        if let Some(c) = &f.comment {
            let mut r = row(super::pg_routines::routine_oid(f.id), 0, c);
            r[1] = oid(1255);
            rows.push(r);
        }
    }
    rows
}

/// The rows of `pg_settings`: the session's settings, and the compile-time limits
/// PostgreSQL reports (drivers read `max_index_keys` and `max_identifier_length`), by
/// name.
fn pg_settings(session: &SessionInfo) -> Vec<Vec<Value>> {
    const LIMITS: [(&str, &str); 4] = [
        ("block_size", "8192"),
        ("max_function_args", "100"),
        ("max_identifier_length", "63"),
        ("max_index_keys", "32"),
    ];
    let mut rows: Vec<(String, Vec<Value>)> = session
        .settings
        .iter()
        .map(|(k, v)| {
            let row = vec![
                text(k),
                text(v),
                Value::Null,
                text("Ungrouped"),
                Value::Null,
                text("user"),
                text("string"),
                text("session"),
            ];
            (k.clone(), row)
        })
        .collect();
    for (name, value) in LIMITS {
        if !session.settings.contains_key(name) {
            let row = vec![
                text(name),
                text(value),
                Value::Null,
                text("Preset Options"),
                Value::Null,
                text("internal"),
                text("integer"),
                text("default"),
            ];
            rows.push((name.to_string(), row));
        }
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows.into_iter().map(|(_, r)| r).collect()
}
