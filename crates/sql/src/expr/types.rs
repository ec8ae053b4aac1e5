//! PostgreSQL's type rules the binder needs: SQL type names, type categories,
//! which casts are implicit, and the common type of a set of expressions
//! (`select_common_type` for CASE, COALESCE, IN, UNION, VALUES, ARRAY[...]).

use helios_common::{Error, Result, SqlState};
use helios_types::DataType;
use sqlparser::ast;

/// PostgreSQL's type categories (`pg_type.typcategory`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeCategory {
    /// `A`
    Array,
    /// `B`
    Boolean,
    /// `D`
    DateTime,
    /// `C`
    Composite,
    /// `E`
    Enum,
    /// `N`
    Numeric,
    /// `S`
    String,
    /// `T`
    Timespan,
    /// `P`
    Pseudo,
    /// `R`
    Range,
    /// `U`
    User,
    /// `I` (network addresses: `inet`, `cidr`)
    Network,
    /// `X` (unknown)
    Unknown,
}

/// The category of a type.
pub fn category(ty: &DataType) -> TypeCategory {
    match ty {
        DataType::Bool => TypeCategory::Boolean,
        DataType::Int2
        | DataType::Int4
        | DataType::Int8
        | DataType::Float4
        | DataType::Float8
        | DataType::Numeric(_) => TypeCategory::Numeric,
        DataType::Text | DataType::Varchar(_) | DataType::Char(_) => TypeCategory::String,
        DataType::Date
        | DataType::Time
        | DataType::TimeTz
        | DataType::Timestamp
        | DataType::TimestampTz => TypeCategory::DateTime,
        DataType::Interval => TypeCategory::Timespan,
        DataType::Array(_) => TypeCategory::Array,
        DataType::Unknown => TypeCategory::Unknown,
        DataType::Enum(_) => TypeCategory::Enum,
        DataType::Record(_) => TypeCategory::Composite,
        DataType::Range(_) | DataType::Multirange(_) => TypeCategory::Range,
        DataType::Pseudo(_) => TypeCategory::Pseudo,
        DataType::Inet | DataType::Cidr => TypeCategory::Network,
        DataType::Bytea
        | DataType::Uuid
        | DataType::MacAddr
        | DataType::Json
        | DataType::Jsonb
        | DataType::JsonPath
        | DataType::TsVector
        | DataType::TsQuery
        | DataType::Vector(_) => TypeCategory::User,
    }
}

/// Whether the type is the preferred type of its category (`typispreferred`).
pub fn is_preferred(ty: &DataType) -> bool {
    matches!(
        ty,
        DataType::Float8
            | DataType::Text
            | DataType::TimestampTz
            | DataType::Interval
            | DataType::Bool
            | DataType::Inet
    )
}

/// Rank of a numeric type in the implicit promotion chain
/// int2 → int4 → int8 → numeric → float4 → float8.
pub fn numeric_rank(ty: &DataType) -> Option<u8> {
    Some(match ty {
        DataType::Int2 => 0,
        DataType::Int4 => 1,
        DataType::Int8 => 2,
        DataType::Numeric(_) => 3,
        DataType::Float4 => 4,
        DataType::Float8 => 5,
        _ => return None,
    })
}

/// Whether the two types are the same type, ignoring length/precision modifiers.
pub fn same_base(a: &DataType, b: &DataType) -> bool {
    match (a, b) {
        (DataType::Numeric(_), DataType::Numeric(_))
        | (DataType::Varchar(_), DataType::Varchar(_))
        | (DataType::Char(_), DataType::Char(_))
        | (DataType::Vector(_), DataType::Vector(_)) => true,
        (DataType::Array(x), DataType::Array(y)) => same_base(x, y),
        // Two versions of one enum type (before and after ADD VALUE) are one type.
        (DataType::Enum(x), DataType::Enum(y)) => x.oid == y.oid,
        // Two versions of one composite type, or two anonymous records, are one type.
        (DataType::Record(x), DataType::Record(y)) => x.oid == y.oid,
        (DataType::Range(x), DataType::Range(y))
        | (DataType::Multirange(x), DataType::Multirange(y)) => x.oid == y.oid,
        _ => a == b,
    }
}

/// Whether PostgreSQL casts `from` to `to` implicitly (castcontext `i`), or they are the
/// same type. `unknown` converts implicitly to everything.
pub fn can_implicit_cast(from: &DataType, to: &DataType) -> bool {
    if same_base(from, to) || matches!(from, DataType::Unknown) {
        return true;
    }
    if let (Some(a), Some(b)) = (numeric_rank(from), numeric_rank(to)) {
        return a < b;
    }
    match (from, to) {
        (
            DataType::Text | DataType::Varchar(_) | DataType::Char(_),
            DataType::Text | DataType::Varchar(_) | DataType::Char(_),
        ) => true,
        (DataType::Date, DataType::Timestamp | DataType::TimestampTz)
        | (DataType::Timestamp, DataType::TimestampTz)
        | (DataType::Time, DataType::Interval | DataType::TimeTz) => true,
        // `cidr` is binary-coercible to `inet`.
        (DataType::Cidr, DataType::Inet) => true,
        (DataType::Array(a), DataType::Array(b)) => can_implicit_cast(a, b),
        // Any composite value passes as `record`; an anonymous record of as many fields
        // (a row constructor, a FROM item's whole row) converts field by field.
        (DataType::Record(a), DataType::Record(b)) => {
            b.is_anonymous() || (a.is_anonymous() && a.fields.len() == b.fields.len())
        }
        _ => false,
    }
}

/// Whether PostgreSQL allows the cast in assignment context (INSERT/UPDATE targets):
/// implicit casts, numeric narrowing, anything to a string type, timestamp narrowing.
pub fn can_assignment_cast(from: &DataType, to: &DataType) -> bool {
    if can_implicit_cast(from, to) {
        return true;
    }
    if numeric_rank(from).is_some() && numeric_rank(to).is_some() {
        return true;
    }
    match (from, to) {
        (_, DataType::Text | DataType::Varchar(_) | DataType::Char(_)) => true,
        (DataType::Timestamp | DataType::TimestampTz, DataType::Date | DataType::Time)
        | (DataType::TimestampTz, DataType::Timestamp | DataType::TimeTz)
        | (DataType::TimeTz, DataType::Time)
        | (DataType::Interval, DataType::Time)
        | (DataType::Json, DataType::Jsonb)
        | (DataType::Jsonb, DataType::Json)
        | (DataType::Inet, DataType::Cidr) => true,
        (DataType::Array(a), DataType::Array(b)) => can_assignment_cast(a, b),
        _ => false,
    }
}

/// PostgreSQL's `select_common_type`: the type that all `types` are coerced to in a
/// CASE, COALESCE, IN list, UNION, VALUES or ARRAY constructor. `context` names the
/// construct for the error message (`"CASE"`, `"UNION"`, `"COALESCE"`, ...).
/// All-unknown input resolves to `text`.
pub fn common_type(types: &[DataType], context: &str) -> Result<DataType> {
    let mut known = types.iter().filter(|t| !matches!(t, DataType::Unknown));
    let Some(first) = known.next() else {
        return Ok(DataType::Text);
    };
    let mut ptype = first.clone();
    for ntype in known {
        if same_base(ntype, &ptype) {
            // numeric(p,s) mixed with plain numeric: keep the unconstrained one.
            if ntype != &ptype {
                ptype = strip_modifiers(&ptype);
            }
            continue;
        }
        if category(ntype) != category(&ptype) {
            return Err(Error::new(
                SqlState::DATATYPE_MISMATCH,
                format!("{context} types {ptype} and {ntype} cannot be matched"),
            ));
        }
        if !is_preferred(&ptype)
            && can_implicit_cast(&ptype, ntype)
            && !can_implicit_cast(ntype, &ptype)
        {
            ptype = ntype.clone();
        }
    }
    // The string category's members all convert to each other implicitly; PostgreSQL
    // lands on text unless all inputs share one string type.
    if category(&ptype) == TypeCategory::String
        && types.iter().any(|t| !matches!(t, DataType::Unknown) && !same_base(t, &ptype))
    {
        ptype = DataType::Text;
    }
    Ok(ptype)
}

/// The type's name as `pg_typeof` prints it: without modifiers, `character` for bpchar.
pub fn pg_type_name(ty: &DataType) -> String {
    match strip_modifiers(ty) {
        DataType::Char(_) => "character".to_string(),
        DataType::Array(e) if matches!(*e, DataType::Char(_)) => "character[]".to_string(),
        other => other.to_string(),
    }
}

/// The type without length/precision modifiers.
pub fn strip_modifiers(ty: &DataType) -> DataType {
    match ty {
        DataType::Numeric(_) => DataType::Numeric(None),
        DataType::Varchar(_) => DataType::Varchar(None),
        DataType::Char(_) => DataType::Char(None),
        DataType::Array(e) => DataType::Array(Box::new(strip_modifiers(e))),
        other => other.clone(),
    }
}

/// Converts a type name from the SQL text (`ast::DataType`) to ours: the one
/// resolver of `catalog/typename.rs`, as casts accept the same names as DDL.
/// Errors: 42704 `type "x" does not exist`, 0A000 for types we do not support.
pub fn data_type_from_ast(ty: &ast::DataType) -> Result<DataType> {
    crate::catalog::typename::resolve_type(ty)
}

/// The `reg*` OID alias types, whose input and output forms are names (see
/// `functions/catalog_defs.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegType {
    /// `regclass`: relations.
    Class,
    /// `regtype`: types.
    Type,
    /// `regproc` / `regprocedure`: functions.
    Proc,
    /// `regnamespace`: schemas.
    Namespace,
    /// `regrole`: roles.
    Role,
}

impl RegType {
    /// The name used in the conversion functions (`helios_regclass_in`, ...).
    pub fn name(self) -> &'static str {
        match self {
            RegType::Class => "regclass",
            RegType::Type => "regtype",
            RegType::Proc => "regproc",
            RegType::Namespace => "regnamespace",
            RegType::Role => "regrole",
        }
    }
}

/// The `reg*` type a type name stands for, if any.
pub fn reg_type(ty: &ast::DataType) -> Option<RegType> {
    let name = match ty {
        ast::DataType::Regclass => return Some(RegType::Class),
        ast::DataType::Custom(name, _) => name.to_string().to_lowercase(),
        _ => return None,
    };
    let base = name.strip_prefix("pg_catalog.").unwrap_or(&name).trim_matches('"');
    reg_type_named(base)
}

/// The `reg*` type named `name` (lower case, unqualified), if any.
pub fn reg_type_named(name: &str) -> Option<RegType> {
    Some(match name {
        "regclass" => RegType::Class,
        "regtype" => RegType::Type,
        "regproc" | "regprocedure" => RegType::Proc,
        "regnamespace" => RegType::Namespace,
        "regrole" => RegType::Role,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implicit_cast_chain() {
        assert!(can_implicit_cast(&DataType::Int2, &DataType::Float8));
        assert!(can_implicit_cast(&DataType::Int8, &DataType::Numeric(None)));
        assert!(!can_implicit_cast(&DataType::Float8, &DataType::Int4));
        assert!(!can_implicit_cast(&DataType::Int4, &DataType::Text));
        assert!(can_assignment_cast(&DataType::Float8, &DataType::Int4));
        assert!(can_assignment_cast(&DataType::Int4, &DataType::Text));
        assert!(!can_assignment_cast(&DataType::Text, &DataType::Int4));
    }

    #[test]
    fn common_types() {
        let t = |v: &[DataType]| common_type(v, "CASE");
        assert_eq!(
            t(&[DataType::Int4, DataType::Numeric(None)]).ok(),
            Some(DataType::Numeric(None))
        );
        assert_eq!(
            t(&[DataType::Int8, DataType::Float8, DataType::Int2]).ok(),
            Some(DataType::Float8)
        );
        assert_eq!(t(&[DataType::Unknown, DataType::Unknown]).ok(), Some(DataType::Text));
        assert_eq!(t(&[DataType::Unknown, DataType::Date]).ok(), Some(DataType::Date));
        assert_eq!(t(&[DataType::Varchar(Some(3)), DataType::Text]).ok(), Some(DataType::Text));
        let err = t(&[DataType::Int4, DataType::Text]).unwrap_err();
        assert_eq!(err.sqlstate(), SqlState::DATATYPE_MISMATCH);
        assert_eq!(err.message(), "CASE types integer and text cannot be matched");
    }
}
