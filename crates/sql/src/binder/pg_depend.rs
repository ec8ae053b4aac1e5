//! `pg_depend` and `pg_rewrite`: the dependencies clients order objects by (pg_dump
//! creates a serial column's sequence after its table and before the default that
//! calls it, and a view after what it reads).
//!
//! Rows, with PostgreSQL's class OIDs (`pg_class` 1259, `pg_attrdef` 2604,
//! `pg_rewrite` 2618):
//!
//! - a sequence owned by a column (serial or OWNED BY: `a`, identity: `i`) depends on
//!   that column;
//! - a column default depends on its column (`a`) and on the sequence it calls (`n`);
//! - a view's `_RETURN` rule depends on its view (`i`) and on each relation its query
//!   names (`n`), found by binding the query as view DDL does (`session/view_deps.rs`).

use helios_types::{DataType, Value};

use super::pg_catalog::{relation_oid, Relation};
use crate::catalog::{Catalog, TableDef};
use crate::expr::SessionInfo;

const PG_CLASS: i64 = 1259;
const PG_ATTRDEF: i64 = 2604;
const PG_REWRITE: i64 = 2618;

/// The OID of the `pg_attrdef` row of column `i` of table `t` (as `pg_attrdef` shows it).
pub(super) fn attrdef_oid(t: &TableDef, i: usize) -> i64 {
    60_000_000 + 100 * i64::from(t.id) + i as i64
}

/// The OID of the `_RETURN` rule of view `id`.
fn rule_oid(id: u32) -> i64 {
    80_000_000 + i64::from(id)
}

fn dep(
    class: i64,
    obj: i64,
    sub: i64,
    ref_class: i64,
    ref_obj: i64,
    ref_sub: i64,
    t: &str,
) -> Vec<Value> {
    vec![
        Value::Int8(class),
        Value::Int8(obj),
        Value::Int4(sub as i32),
        Value::Int8(ref_class),
        Value::Int8(ref_obj),
        Value::Int4(ref_sub as i32),
        Value::Text(t.to_string()),
    ]
}

/// `pg_depend`.
pub(super) fn pg_depend(
    catalog: &Catalog,
    session: &SessionInfo,
    tables: &[&TableDef],
) -> Relation {
    use DataType::{Int4, Int8, Text};
    let cols = vec![
        ("classid", Int8),
        ("objid", Int8),
        ("objsubid", Int4),
        ("refclassid", Int8),
        ("refobjid", Int8),
        ("refobjsubid", Int4),
        ("deptype", Text),
    ];
    let mut rows = Vec::new();
    for t in tables {
        let table = relation_oid(t.id);
        for i in 0..t.columns.len() {
            if super::pg_catalog::column_default(catalog, session, t, i).is_none() {
                continue;
            }
            let def = attrdef_oid(t, i);
            rows.push(dep(PG_ATTRDEF, def, 0, PG_CLASS, table, i as i64 + 1, "a"));
            if let Some(seq) = super::pg_catalog::default_sequence(catalog, t, i) {
                rows.push(dep(PG_ATTRDEF, def, 0, PG_CLASS, relation_oid(seq.id), 0, "n"));
            }
        }
    }
    // Ownership is the sequence's (serial, identity, ALTER SEQUENCE ... OWNED BY).
    let mut sequences: Vec<_> = catalog.sequences.values().collect();
    sequences.sort_by_key(|s| s.id);
    for s in sequences {
        let Some((owner, column)) = &s.owned_by else { continue };
        let Some(t) = catalog.tables.get(owner) else { continue };
        let Some(pos) = t.columns.iter().position(|c| c.name == *column) else { continue };
        let kind = if t.columns[pos].identity.is_some() { "i" } else { "a" };
        let col = pos as i64 + 1;
        rows.push(dep(PG_CLASS, relation_oid(s.id), 0, PG_CLASS, relation_oid(t.id), col, kind));
    }
    let mut views: Vec<_> = catalog.views.values().collect();
    views.sort_by_key(|v| v.id);
    // A view's names are found in the search path it was created with (or, when it
    // recorded none, its own schema and `public`), whatever the reader's (pg_dump
    // empties it).
    let mut home = session.clone();
    for v in views {
        let rule = rule_oid(v.id);
        rows.push(dep(PG_REWRITE, rule, 0, PG_CLASS, relation_oid(v.id), 0, "i"));
        home.search_path = if v.search_path.is_empty() {
            vec![v.schema.clone(), crate::catalog::DEFAULT_SCHEMA.to_string()]
        } else {
            v.search_path.clone()
        };
        let read = crate::session::view_deps::relations_named(catalog, &home, &v.query);
        for r in read.unwrap_or_default() {
            if r != v.id {
                rows.push(dep(PG_REWRITE, rule, 0, PG_CLASS, relation_oid(r), 0, "n"));
            }
        }
    }
    (cols, rows)
}

/// `pg_rewrite`: the `_RETURN` rule of each view.
pub(super) fn pg_rewrite(catalog: &Catalog) -> Relation {
    use DataType::{Bool, Int8, Text};
    let cols = vec![
        ("oid", Int8),
        ("rulename", Text),
        ("ev_class", Int8),
        ("ev_type", Text),
        ("ev_enabled", Text),
        ("is_instead", Bool),
    ];
    let mut views: Vec<_> = catalog.views.values().collect();
    views.sort_by_key(|v| v.id);
    let rows = views
        .into_iter()
        .map(|v| {
            vec![
                Value::Int8(rule_oid(v.id)),
                Value::Text("_RETURN".into()),
                Value::Int8(relation_oid(v.id)),
                Value::Text("1".into()),
                Value::Text("O".into()),
                Value::Bool(true),
            ]
        })
        .collect();
    (cols, rows)
}
