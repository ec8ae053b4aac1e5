//! The rows user-defined types add to `pg_type` (an enum or domain and its array type),
//! the `pg_enum` relation, and `pg_range` (the built-in range types).

use helios_types::{DataType, Value};

use super::pg_catalog::{schema_oid, types, Relation};
use crate::catalog::{Catalog, TypeKind};

fn oid(v: u32) -> Value {
    Value::Int8(i64::from(v))
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

/// The `pg_type` rows of the user-defined types, in the column order of `pg_type`.
pub(super) fn user_type_rows(catalog: &Catalog) -> Vec<Vec<Value>> {
    let builtin = types();
    let mut rows = Vec::new();
    for t in catalog.types.values() {
        let ns = catalog
            .schemas
            .get(&t.schema)
            .map_or(Value::Int8(0), |s| Value::Int8(schema_oid(&s.name, s.id)));
        let owner = super::pg_roles::owner_oid(t.access.owner);
        let (len, typtype, category, base, not_null, default) = match &t.kind {
            TypeKind::Enum(_) => (4i16, "e", "E", 0, false, None),
            TypeKind::Composite(_) => (-1i16, "c", "C", 0, false, None),
            TypeKind::Range(_) => (-1i16, "r", "R", 0, false, None),
            TypeKind::Domain(d) => {
                let b = builtin.iter().find(|(bt, ..)| bt.oid() == d.base.oid());
                let (len, cat) = match (&d.base, b) {
                    (DataType::Enum(_), _) => (4, "E"),
                    (_, Some((_, _, len, cat))) => (*len, *cat),
                    (_, None) => (-1, "U"),
                };
                let base = d.parent.unwrap_or_else(|| d.base.oid());
                (len, "d", cat, base, d.not_null, d.default.clone())
            }
        };
        let collation = if category == "S" { 100 } else { 0 };
        rows.push(vec![
            oid(t.id),
            text(&t.name),
            ns.clone(),
            owner.clone(),
            Value::Int2(len),
            Value::Bool(matches!(len, 1 | 2 | 4 | 8)),
            text(typtype),
            text(category),
            Value::Bool(true),
            text(","),
            oid(0),
            oid(0),
            oid(t.id + 1),
            oid(base),
            Value::Int4(-1),
            Value::Bool(not_null),
            default.map_or(Value::Null, Value::Text),
            oid(collation),
            Value::Null,
        ]);
        rows.push(array_row(t.id + 1, &t.name, t.id, (&ns, &owner), collation));
        if let TypeKind::Range(r) = &t.kind {
            rows.push(vec![
                oid(t.id + 2),
                text(&r.multirange_name),
                ns.clone(),
                owner.clone(),
                Value::Int2(-1),
                Value::Bool(false),
                text("m"),
                text("R"),
                Value::Bool(true),
                text(","),
                oid(0),
                oid(0),
                oid(t.id + 3),
                oid(0),
                Value::Int4(-1),
                Value::Bool(false),
                Value::Null,
                oid(0),
                Value::Null,
            ]);
            rows.push(array_row(t.id + 3, &r.multirange_name, t.id + 2, (&ns, &owner), 0));
        }
    }
    rows
}

/// The `pg_type` row of the array type `id` (named `_element_name`) of type `element`;
/// `place` is its namespace and owner OIDs.
fn array_row(
    id: u32,
    element_name: &str,
    element: u32,
    (ns, owner): (&Value, &Value),
    collation: u32,
) -> Vec<Value> {
    vec![
        oid(id),
        text(format!("_{element_name}")),
        ns.clone(),
        owner.clone(),
        Value::Int2(-1),
        Value::Bool(false),
        text("b"),
        text("A"),
        Value::Bool(true),
        text(","),
        oid(0),
        oid(element),
        oid(0),
        oid(0),
        Value::Int4(-1),
        Value::Bool(false),
        Value::Null,
        oid(collation),
        Value::Null,
    ]
}

/// `pg_enum`: one row per label. `enumsortorder` is the label's position (1, 2, ...),
/// which orders like PostgreSQL's float sort orders; label OIDs are derived from the type
/// OID and the label's immutable order key, so they stay put when labels are added.
pub(super) fn pg_enum(catalog: &Catalog) -> Relation {
    let mut rows = Vec::new();
    for t in catalog.types.values() {
        let TypeKind::Enum(labels) = &t.kind else { continue };
        for (i, l) in labels.iter().enumerate() {
            rows.push(vec![
                oid(label_oid(t.id, &l.key)),
                oid(t.id),
                Value::Float4(i as f32 + 1.0),
                text(&l.label),
            ]);
        }
    }
    (
        vec![
            ("oid", DataType::Int8),
            ("enumtypid", DataType::Int8),
            ("enumsortorder", DataType::Float4),
            ("enumlabel", DataType::Text),
        ],
        rows,
    )
}

/// A label's OID: an FNV-1a hash of the type OID and the order key, kept above the
/// range of object ids handed out so far in practice (top bit set).
fn label_oid(type_oid: u32, key: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in type_oid.to_be_bytes().iter().chain(key) {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h | 0x8000_0000
}

/// `pg_range`: the built-in and user-defined range types.
pub(super) fn pg_range(catalog: &Catalog) -> Relation {
    let mut all: Vec<std::sync::Arc<helios_types::RangeType>> =
        helios_types::RangeType::builtins().to_vec();
    let mut user: Vec<_> = catalog.ranges.values().cloned().collect();
    user.sort_by_key(|t| t.oid);
    all.extend(user);
    let rows = all
        .iter()
        .map(|t| {
            let canonical =
                if t.is_discrete() { format!("{}_canonical", t.name) } else { "-".to_string() };
            let collatable =
                matches!(t.subtype, DataType::Text | DataType::Varchar(_) | DataType::Char(_));
            vec![
                oid(t.oid),
                oid(t.subtype.oid()),
                oid(t.multirange_oid),
                oid(if collatable { 100 } else { 0 }),
                oid(default_btree_opclass(&t.subtype)),
                text(canonical),
                text(if t.is_builtin() { format!("{}_subdiff", t.name) } else { "-".into() }),
            ]
        })
        .collect();
    (
        vec![
            ("rngtypid", DataType::Int8),
            ("rngsubtype", DataType::Int8),
            ("rngmultitypid", DataType::Int8),
            ("rngcollation", DataType::Int8),
            ("rngsubopc", DataType::Int8),
            ("rngcanonical", DataType::Text),
            ("rngsubdiff", DataType::Text),
        ],
        rows,
    )
}

/// The OID of PostgreSQL's default B-tree operator class for a type (`int4_ops`, ...),
/// what `pg_range.rngsubopc` names.
fn default_btree_opclass(t: &DataType) -> u32 {
    match t {
        DataType::Bool => 10003,
        DataType::Bytea => 10006,
        DataType::Char(_) => 10004,
        DataType::Date => 3122,
        DataType::Float4 => 10012,
        DataType::Float8 => 3123,
        DataType::Int2 => 1979,
        DataType::Int4 => 1978,
        DataType::Int8 => 3124,
        DataType::Interval => 10022,
        DataType::Numeric(_) => 3125,
        DataType::Text | DataType::Varchar(_) => 3126,
        DataType::Time => 10038,
        DataType::TimeTz => 10041,
        DataType::TimestampTz => 3127,
        DataType::Timestamp => 3128,
        DataType::Uuid => 10065,
        DataType::Jsonb => 10088,
        // array_ops, and for every other type a stand-in that is not zero.
        _ => 10000,
    }
}

/// The first OID of domain CHECK constraints: `DOMAIN_CONSTRAINT_OID_BASE + 100 × type
/// id + n` for the domain's n-th check (from 1).
const DOMAIN_CONSTRAINT_OID_BASE: i64 = 70_000_000;

/// The `pg_constraint` rows of domain CHECK constraints (`contypid` set, `conrelid` 0),
/// in the column order of `pg_constraint`.
pub(super) fn domain_constraint_rows(catalog: &Catalog) -> Vec<Vec<Value>> {
    let mut rows = Vec::new();
    for t in catalog.types.values() {
        let TypeKind::Domain(d) = &t.kind else { continue };
        let ns = catalog
            .schemas
            .get(&t.schema)
            .map_or(Value::Int8(0), |s| Value::Int8(schema_oid(&s.name, s.id)));
        for (n, c) in d.checks.iter().enumerate() {
            rows.push(vec![
                Value::Int8(DOMAIN_CONSTRAINT_OID_BASE + 100 * i64::from(t.id) + n as i64 + 1),
                text(&c.name),
                ns.clone(),
                text("c"),
                Value::Bool(false),
                Value::Bool(false),
                Value::Bool(true),
                oid(0),
                oid(t.id),
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
                Value::Null,
            ]);
        }
    }
    rows
}

/// `pg_get_constraintdef` of a domain CHECK constraint by OID: `CHECK ((cond))`.
pub(crate) fn domain_constraint_def(catalog: &Catalog, oid: i64) -> Option<String> {
    let rel = oid.checked_sub(DOMAIN_CONSTRAINT_OID_BASE)?;
    let t = catalog.types.get(&u32::try_from(rel / 100).ok()?)?;
    let n = usize::try_from(rel % 100).ok()?.checked_sub(1)?;
    let c = t.domain()?.checks.get(n)?;
    Some(format!("CHECK (({}))", c.expr))
}
