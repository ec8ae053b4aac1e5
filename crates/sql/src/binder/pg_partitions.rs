//! The partitioning side of the system catalogs: `pg_inherits` (one row per
//! partition), `pg_partitioned_table`, and the `pg_class` columns `relkind` `p`,
//! `relispartition`, `relhassubclass` and `relpartbound` (the bound as
//! `pg_get_expr(relpartbound, oid)` prints it: the stored text is already that).

use helios_types::{DataType, Value};

use super::pg_catalog::{relation_oid, Relation};
use crate::catalog::Catalog;
use crate::expr::SessionInfo;

/// `pg_inherits` rows: (partition, parent, 1, false).
pub(super) fn pg_inherits_rows(catalog: &Catalog) -> Vec<Vec<Value>> {
    let mut out: Vec<(u32, u32)> =
        catalog.partitions.values().filter_map(|p| p.parent.map(|parent| (p.id, parent))).collect();
    out.sort_unstable();
    out.into_iter()
        .map(|(child, parent)| {
            vec![
                Value::Int8(relation_oid(child)),
                Value::Int8(relation_oid(parent)),
                Value::Int4(1),
                Value::Bool(false),
            ]
        })
        .collect()
}

/// `pg_partitioned_table`: strategy, key columns (`partattrs`, `0` for an expression
/// item) and the default partition.
pub(super) fn pg_partitioned_table(catalog: &Catalog, session: &SessionInfo) -> Relation {
    use DataType::{Int2, Int8, Text};
    let cols = vec![
        ("partrelid", Int8),
        ("partstrat", Text),
        ("partnatts", Int2),
        ("partdefid", Int8),
        ("partattrs", Text),
        ("partclass", DataType::Array(Box::new(Int8))),
        ("partcollation", Text),
        ("partexprs", Text),
    ];
    let mut ids: Vec<u32> =
        catalog.partitions.values().filter(|p| p.key.is_some()).map(|p| p.id).collect();
    ids.sort_unstable();
    let mut rows = Vec::new();
    for id in ids {
        let (Some(key), Some(table)) = (catalog.partition_key(id), catalog.table(id)) else {
            continue;
        };
        let bound = super::partition::bind_key(catalog, session, table, key).ok();
        let attrs: Vec<String> = match &bound {
            Some(b) => b.columns.iter().map(|c| c.map_or(0, |i| i + 1).to_string()).collect(),
            None => vec!["0".to_string(); key.items.len()],
        };
        let exprs: Vec<&String> = match &bound {
            Some(b) => key
                .items
                .iter()
                .zip(&b.columns)
                .filter(|(_, c)| c.is_none())
                .map(|(t, _)| t)
                .collect(),
            None => key.items.iter().collect(),
        };
        let default = catalog
            .partitions_of(id)
            .iter()
            .find(|c| {
                matches!(
                    catalog.partition_parent(**c),
                    Some((_, crate::catalog::PartitionBound::Default))
                )
            })
            .map_or(0, |c| relation_oid(*c));
        rows.push(vec![
            Value::Int8(relation_oid(id)),
            Value::Text(key.strategy.code().to_string()),
            Value::Int2(key.items.len() as i16),
            Value::Int8(default),
            Value::Text(attrs.join(" ")),
            Value::Array(std::sync::Arc::new(helios_types::Array::new(
                Int8,
                vec![Value::Int8(0); key.items.len()],
            ))),
            Value::Text(vec!["0"; key.items.len()].join(" ")),
            if exprs.is_empty() {
                Value::Null
            } else {
                Value::Text(exprs.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
            },
        ]);
    }
    (cols, rows)
}

/// Fills `relhassubclass`, `relispartition` and `relpartbound` of a table's
/// `pg_class` row.
pub(super) fn set_partition_columns(row: &mut [Value], catalog: &Catalog, id: u32) {
    if !catalog.partitions_of(id).is_empty() {
        row[21] = Value::Bool(true);
    }
    if let Some((_, bound)) = catalog.partition_parent(id) {
        row[super::pg_catalog::RELISPARTITION] = Value::Bool(true);
        row[super::pg_catalog::RELPARTBOUND] =
            Value::Text(bound_definition(catalog, id).unwrap_or_else(|| bound.definition()));
    }
}

/// Partition `id`'s bound as PostgreSQL prints it, numbers bare only for numeric key
/// items.
pub(crate) fn bound_definition(catalog: &Catalog, id: u32) -> Option<String> {
    let (parent, bound) = catalog.partition_parent(id)?;
    let key = catalog.partition_key(parent)?;
    let table = catalog.table(parent)?;
    let bound_key =
        super::partition::bind_key(catalog, &SessionInfo::default(), table, key).ok()?;
    use crate::catalog::partition::ValueKind;
    let kinds: Vec<ValueKind> = bound_key
        .types
        .iter()
        .map(|t| match t {
            DataType::Int4 => ValueKind::Int4,
            DataType::Numeric(_) => ValueKind::Numeric,
            _ => ValueKind::Other,
        })
        .collect();
    Some(bound.definition_typed(Some(&kinds)))
}

/// `pg_get_partition_constraintdef(oid)`: the partition's bound as a condition, in
/// PostgreSQL's form for one-column keys (`((a IS NOT NULL) AND (a >= 1) AND (a <
/// 10))`); NULL for a table that is not a partition.
pub(crate) fn partition_constraint_def(catalog: &Catalog, id: u32) -> Option<String> {
    use crate::catalog::{BoundDatum, PartitionBound};
    let (parent, bound) = catalog.partition_parent(id)?;
    let key = catalog.partition_key(parent)?;
    let ptable = catalog.table(parent)?;
    let col = |i: usize| key.items.get(i).cloned().unwrap_or_default();
    let ty = |item: &str| {
        ptable
            .column_index(item.trim_matches('"'))
            .map(|c| ptable.columns[c].data_type.clone())
            .unwrap_or(DataType::Text)
    };
    let lit = |v: &str, item: &str| {
        let t = ty(item);
        match t {
            DataType::Int2 | DataType::Int4 | DataType::Int8 => v.to_string(),
            other => format!("'{}'::{}", v.replace('\'', "''"), other),
        }
    };
    Some(match bound {
        PartitionBound::Range { from, to } if from.len() == 1 => {
            let c = col(0);
            let mut parts = vec![format!("({c} IS NOT NULL)")];
            if let Some(BoundDatum::Value(v)) = from.first() {
                parts.push(format!("({c} >= {})", lit(v, &c)));
            }
            if let Some(BoundDatum::Value(v)) = to.first() {
                parts.push(format!("({c} < {})", lit(v, &c)));
            }
            format!("({})", parts.join(" AND "))
        }
        PartitionBound::List { values } => {
            let c = col(0);
            let vals: Vec<String> = values.iter().flatten().map(|v| lit(v, &c)).collect();
            let any = format!("({c} = ANY (ARRAY[{}]))", vals.join(", "));
            if values.iter().any(Option::is_none) {
                if vals.is_empty() {
                    format!("({c} IS NULL)")
                } else {
                    format!("(({c} IS NULL) OR {any})")
                }
            } else {
                format!("(({c} IS NOT NULL) AND {any})")
            }
        }
        PartitionBound::Hash { modulus, remainder } => format!(
            "satisfies_hash_partition('{}'::oid, {modulus}, {remainder}, {})",
            relation_oid(parent),
            key.items.join(", ")
        ),
        // PostgreSQL derives a default partition's constraint from its siblings; psql
        // prints "No partition constraint" for NULL.
        PartitionBound::Default => return None,
        other => other.definition(),
    })
}
