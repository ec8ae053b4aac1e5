//! Resolving written type names (`varchar(20)`, `int4`, `serial`, `text[]`) into
//! [`DataType`]s, as PostgreSQL does.

use helios_common::{Error, Result, SqlState};
use helios_types::DataType;
use sqlparser::ast;

/// A column type as written in DDL: the type, plus whether it was a `serial` spelling
/// (which adds a sequence default and NOT NULL).
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnType {
    /// The resolved type.
    pub data_type: DataType,
    /// `smallserial`, `serial` or `bigserial`.
    pub serial: bool,
}

/// Where user-defined type names are looked up: a catalog snapshot and a search path.
#[derive(Debug, Clone, Copy)]
pub struct TypeScope<'a> {
    /// The catalog holding the user-defined types.
    pub catalog: &'a super::Catalog,
    /// Schemas searched for an unqualified name.
    pub search_path: &'a [String],
}

/// A type name resolved with user-defined types in view: the type values have, and the
/// domain when the name was one.
#[derive(Debug, Clone)]
pub struct UserColumnType {
    /// The resolved type (a domain's base type for a domain).
    pub column: ColumnType,
    /// The domain named, if any.
    pub domain: Option<std::sync::Arc<super::TypeDef>>,
}

/// Resolves a type name that may name a user-defined type (enum, domain, or an array of
/// one) in `scope`; built-in names win, as they are found first in PostgreSQL's default
/// search path (`pg_catalog`).
pub fn resolve_user_column_type(
    ty: &ast::DataType,
    scope: Option<TypeScope<'_>>,
) -> Result<UserColumnType> {
    let builtin = resolve_column_type(ty);
    let Some(scope) = scope else {
        return builtin.map(|column| UserColumnType { column, domain: None });
    };
    let err = match builtin {
        Ok(column) => return Ok(UserColumnType { column, domain: None }),
        Err(e) if e.sqlstate() == SqlState::UNDEFINED_OBJECT => e,
        Err(e) => return Err(e),
    };
    let (name, array) = match ty {
        ast::DataType::Custom(name, mods) if mods.is_empty() => (name, false),
        ast::DataType::Array(
            ast::ArrayElemTypeDef::SquareBracket(inner, _)
            | ast::ArrayElemTypeDef::AngleBracket(inner),
        ) => match inner.as_ref() {
            ast::DataType::Custom(name, mods) if mods.is_empty() => (name, true),
            _ => return Err(err),
        },
        _ => return Err(err),
    };
    let qn = crate::parser::object_name(name)?;
    let Some(def) = scope.catalog.resolve_type(qn.schema.as_deref(), &qn.name, scope.search_path)
    else {
        // A table's name is also its row type's.
        let row = match scope.catalog.resolve(qn.schema.as_deref(), &qn.name, scope.search_path) {
            Some((_, super::Relation::Table(id))) => scope.catalog.table_row_type(id),
            _ => None,
        };
        if let Some(row) = row {
            let ty = DataType::Record(row);
            return Ok(UserColumnType {
                column: ColumnType {
                    data_type: if array { DataType::Array(Box::new(ty)) } else { ty },
                    serial: false,
                },
                domain: None,
            });
        }
        let multi =
            scope.catalog.resolve_multirange(qn.schema.as_deref(), &qn.name, scope.search_path);
        let Some(r) = multi else { return Err(err) };
        let t = DataType::Multirange(r);
        let data_type = if array { DataType::Array(Box::new(t)) } else { t };
        return Ok(UserColumnType {
            column: ColumnType { data_type, serial: false },
            domain: None,
        });
    };
    let value = scope.catalog.value_type(def);
    if array {
        let elem = match value {
            DataType::Array(e) => e,
            other => Box::new(other),
        };
        return Ok(UserColumnType {
            column: ColumnType { data_type: DataType::Array(elem), serial: false },
            domain: None,
        });
    }
    Ok(UserColumnType {
        column: ColumnType { data_type: value, serial: false },
        domain: def.domain().is_some().then(|| def.clone()),
    })
}

/// Resolves a type name used anywhere (casts, DDL); `serial` is rejected here.
pub fn resolve_type(ty: &ast::DataType) -> Result<DataType> {
    let ct = resolve_column_type(ty)?;
    if ct.serial {
        return Err(Error::new(
            SqlState::UNDEFINED_OBJECT,
            format!("type \"{ty}\" does not exist"),
        ));
    }
    Ok(ct.data_type)
}

/// Resolves a column type in CREATE/ALTER TABLE, where `serial` spellings are allowed.
pub fn resolve_column_type(ty: &ast::DataType) -> Result<ColumnType> {
    use ast::DataType as A;
    let plain = |data_type| Ok(ColumnType { data_type, serial: false });
    match ty {
        A::Bool | A::Boolean => plain(DataType::Bool),
        A::SmallInt(_) | A::Int2(_) => plain(DataType::Int2),
        A::Int(_) | A::Integer(_) | A::Int4(_) => plain(DataType::Int4),
        A::BigInt(_) | A::Int8(_) => plain(DataType::Int8),
        A::Real | A::Float4 => plain(DataType::Float4),
        A::DoublePrecision | A::Float8 | A::Double(ast::ExactNumberInfo::None) => {
            plain(DataType::Float8)
        }
        A::Float(info) => match info {
            ast::ExactNumberInfo::Precision(p) if *p >= 1 && *p <= 24 => plain(DataType::Float4),
            ast::ExactNumberInfo::Precision(p) if *p >= 25 && *p <= 53 => plain(DataType::Float8),
            ast::ExactNumberInfo::None => plain(DataType::Float8),
            _ => Err(Error::new(
                SqlState::INVALID_PARAMETER_VALUE,
                "precision for type float must be between 1 and 53 bits",
            )),
        },
        A::Numeric(info) | A::Decimal(info) | A::Dec(info) => {
            plain(DataType::Numeric(numeric_info(info)?))
        }
        A::Text | A::String(None) => plain(DataType::Text),
        A::Varchar(len) | A::CharacterVarying(len) | A::CharVarying(len) => {
            plain(DataType::Varchar(char_len(len.as_ref())?))
        }
        A::Char(len) | A::Character(len) => {
            // `char` without a length means char(1), as in PostgreSQL.
            plain(DataType::Char(Some(char_len(len.as_ref())?.unwrap_or(1))))
        }
        A::Bytea => plain(DataType::Bytea),
        A::Date => plain(DataType::Date),
        A::Time(_, ast::TimezoneInfo::WithTimeZone | ast::TimezoneInfo::Tz) => {
            plain(DataType::TimeTz)
        }
        A::Time(_, _) => plain(DataType::Time),
        A::Timestamp(_, ast::TimezoneInfo::WithTimeZone | ast::TimezoneInfo::Tz) => {
            plain(DataType::TimestampTz)
        }
        A::Timestamp(_, _) => plain(DataType::Timestamp),
        A::Interval { .. } => plain(DataType::Interval),
        A::Uuid => plain(DataType::Uuid),
        A::TsVector => plain(DataType::TsVector),
        A::TsQuery => plain(DataType::TsQuery),
        A::JSON => plain(DataType::Json),
        A::JSONB => plain(DataType::Jsonb),
        A::Array(elem) => {
            let inner = match elem {
                ast::ArrayElemTypeDef::SquareBracket(t, _)
                | ast::ArrayElemTypeDef::AngleBracket(t)
                | ast::ArrayElemTypeDef::Parenthesis(t)
                | ast::ArrayElemTypeDef::ParenthesisNotNull(t)
                | ast::ArrayElemTypeDef::Qualified(t, _) => t,
                ast::ArrayElemTypeDef::None => {
                    return Err(Error::new(
                        SqlState::SYNTAX_ERROR,
                        "array type needs an element type",
                    ))
                }
            };
            match resolve_type(inner)? {
                // `int[][]` is the same type as `int[]` in PostgreSQL; we store one
                // dimension.
                DataType::Array(elem) => plain(DataType::Array(elem)),
                elem => plain(DataType::Array(Box::new(elem))),
            }
        }
        A::Custom(name, mods) => custom(name, mods, ty),
        A::Regclass => plain(DataType::Int8),
        other => {
            Err(Error::new(SqlState::UNDEFINED_OBJECT, format!("type \"{other}\" does not exist")))
        }
    }
}

fn custom(
    name: &ast::ObjectName,
    mods: &[ast::TypeModifier],
    whole: &ast::DataType,
) -> Result<ColumnType> {
    let last = name.0.last().map(|p| p.to_string().to_lowercase()).unwrap_or_default();
    let last = last.trim_matches('"');
    let nums: Vec<u32> = mods
        .iter()
        .filter_map(|m| match m {
            ast::TypeModifier::Number(n, _) => n.parse().ok(),
            _ => None,
        })
        .collect();
    let plain = |data_type| Ok(ColumnType { data_type, serial: false });
    let serial = |data_type| Ok(ColumnType { data_type, serial: true });
    match last {
        "int" | "int4" | "integer" => plain(DataType::Int4),
        "int2" | "smallint" => plain(DataType::Int2),
        "int8" | "bigint" => plain(DataType::Int8),
        "float4" | "real" => plain(DataType::Float4),
        "float8" => plain(DataType::Float8),
        "bool" | "boolean" => plain(DataType::Bool),
        "text" => plain(DataType::Text),
        "bpchar" => plain(DataType::Char(nums.first().copied())),
        "varchar" => plain(DataType::Varchar(nums.first().copied())),
        "timestamptz" => plain(DataType::TimestampTz),
        "timetz" => plain(DataType::TimeTz),
        "serial" | "serial4" => serial(DataType::Int4),
        "smallserial" | "serial2" => serial(DataType::Int2),
        "bigserial" | "serial8" => serial(DataType::Int8),
        "vector" => plain(DataType::Vector(nums.first().copied())),
        "jsonpath" => plain(DataType::JsonPath),
        "tsvector" => plain(DataType::TsVector),
        "tsquery" => plain(DataType::TsQuery),
        "inet" => plain(DataType::Inet),
        "cidr" => plain(DataType::Cidr),
        "macaddr" => plain(DataType::MacAddr),
        // Text search configurations are known by name (see functions/tsearch).
        "regconfig" | "regdictionary" => plain(DataType::Text),
        "name" | "citext" => plain(DataType::Text),
        // A cursor (portal) name; see docs/sql-compatibility.md.
        "refcursor" => plain(DataType::Text),
        "record" => plain(DataType::Record(std::sync::Arc::new(
            helios_types::RecordType::anonymous(Vec::new()),
        ))),
        // PostgreSQL's one-byte `"char"` (only reachable quoted: bare `char` is
        // `character(1)`). We store it as `character(1)`; see docs/sql-engine.md.
        "char" => plain(DataType::Char(Some(1))),
        // The catalog's vector types print as text.
        "int2vector" | "oidvector" => plain(DataType::Text),
        // OIDs and the reg* aliases are numbers here; casts to a reg* type convert
        // names (`expr/bind.rs`, `functions/catalog_defs.rs`).
        "oid" | "regclass" | "regtype" | "regproc" | "regprocedure" | "regnamespace"
        | "regrole" | "regoper" | "xid" | "cid" => plain(DataType::Int8),
        other if helios_types::Pseudo::from_name(other).is_some() => {
            plain(DataType::Pseudo(helios_types::Pseudo::from_name(other).expect("checked")))
        }
        other if helios_types::RangeType::builtin(other).is_some() => {
            plain(DataType::Range(helios_types::RangeType::builtin(other).expect("checked")))
        }
        other if helios_types::RangeType::builtin_multirange(other).is_some() => {
            plain(DataType::Multirange(
                helios_types::RangeType::builtin_multirange(other).expect("checked"),
            ))
        }
        // PostgreSQL's internal name of a built-in type's array type: `_int4` is `int4[]`.
        other if other.len() > 1 && other.starts_with('_') && mods.is_empty() => {
            match crate::parser::parse_data_type(&other[1..]).and_then(|t| resolve_type(&t)) {
                Ok(DataType::Array(_) | DataType::Pseudo(_)) | Err(_) => missing_type(whole),
                Ok(elem) => plain(DataType::Array(Box::new(elem))),
            }
        }
        _ => missing_type(whole),
    }
}

/// `42704 type "..." does not exist`.
fn missing_type(whole: &ast::DataType) -> Result<ColumnType> {
    Err(Error::new(SqlState::UNDEFINED_OBJECT, format!("type \"{whole}\" does not exist")))
}

fn numeric_info(info: &ast::ExactNumberInfo) -> Result<Option<(u32, u32)>> {
    let bad_precision = |p: u64| {
        Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("NUMERIC precision {p} must be between 1 and 1000"),
        )
    };
    match info {
        ast::ExactNumberInfo::None => Ok(None),
        ast::ExactNumberInfo::Precision(p) => {
            if *p < 1 || *p > 1000 {
                return Err(bad_precision(*p));
            }
            Ok(Some((*p as u32, 0)))
        }
        ast::ExactNumberInfo::PrecisionAndScale(p, s) => {
            if *p < 1 || *p > 1000 {
                return Err(bad_precision(*p));
            }
            if *s < 0 || *s as u64 > *p {
                return Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!("NUMERIC scale {s} must be between 0 and precision {p}"),
                ));
            }
            Ok(Some((*p as u32, *s as u32)))
        }
    }
}

fn char_len(len: Option<&ast::CharacterLength>) -> Result<Option<u32>> {
    match len {
        None | Some(ast::CharacterLength::Max) => Ok(None),
        Some(ast::CharacterLength::IntegerLength { length, .. }) => {
            if *length < 1 || *length > 10_485_760 {
                return Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!(
                        "length for type varchar must be between 1 and 10485760 (got {length})"
                    ),
                ));
            }
            Ok(Some(*length as u32))
        }
    }
}

/// How a column type is stored in the catalog: the `Display` spelling, except that an
/// enum is `enum#<oid>` and a user-defined range or multirange type `range#<oid>` or
/// `multirange#<oid>` (their names may change; their OIDs do not).
pub fn stored_spelling(ty: &DataType) -> String {
    match ty {
        DataType::Enum(t) => format!("enum#{}", t.oid),
        DataType::Record(t) if !t.is_anonymous() => format!("record#{}", t.oid),
        DataType::Range(t) if !t.is_builtin() => format!("range#{}", t.oid),
        DataType::Multirange(t) if !t.is_builtin() => format!("multirange#{}", t.oid),
        DataType::Array(elem)
            if crate::catalog::user_types::uses_any_enum(elem)
                || matches!(**elem, DataType::Record(_)) =>
        {
            format!("{}[]", stored_spelling(elem))
        }
        other => other.to_string(),
    }
}

/// Parses a type name stored in the catalog ([`stored_spelling`]); an enum comes back
/// as a placeholder that [`super::Catalog::set_types`] completes.
pub fn parse_stored_type(text: &str) -> Result<DataType> {
    for (prefix, multi) in [("range#", false), ("multirange#", true)] {
        let Some(rest) = text.strip_prefix(prefix) else { continue };
        let (oid, array) = match rest.strip_suffix("[]") {
            Some(o) => (o, true),
            None => (rest, false),
        };
        let oid: u32 =
            oid.parse().map_err(|_| Error::corrupted(format!("bad stored type \"{text}\"")))?;
        let t = std::sync::Arc::new(helios_types::RangeType::placeholder(oid));
        let ty = if multi { DataType::Multirange(t) } else { DataType::Range(t) };
        return Ok(if array { DataType::Array(Box::new(ty)) } else { ty });
    }
    if let Some(rest) = text.strip_prefix("enum#") {
        let (oid, array) = match rest.strip_suffix("[]") {
            Some(o) => (o, true),
            None => (rest, false),
        };
        let oid: u32 =
            oid.parse().map_err(|_| Error::corrupted(format!("bad stored type \"{text}\"")))?;
        let ty = DataType::Enum(std::sync::Arc::new(helios_types::EnumType::placeholder(oid)));
        return Ok(if array { DataType::Array(Box::new(ty)) } else { ty });
    }
    if let Some(rest) = text.strip_prefix("record#") {
        let (oid, array) = match rest.strip_suffix("[]") {
            Some(o) => (o, true),
            None => (rest, false),
        };
        let oid: u32 =
            oid.parse().map_err(|_| Error::corrupted(format!("bad stored type \"{text}\"")))?;
        let ty = DataType::Record(std::sync::Arc::new(helios_types::RecordType::placeholder(oid)));
        return Ok(if array { DataType::Array(Box::new(ty)) } else { ty });
    }
    let ast_ty = crate::parser::parse_data_type(text)?;
    resolve_type(&ast_ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_types_round_trip() {
        for t in [
            DataType::Bool,
            DataType::Int2,
            DataType::Int4,
            DataType::Int8,
            DataType::Float4,
            DataType::Float8,
            DataType::Numeric(None),
            DataType::Numeric(Some((10, 2))),
            DataType::Text,
            DataType::Varchar(Some(20)),
            DataType::Varchar(None),
            DataType::Char(Some(3)),
            DataType::Bytea,
            DataType::Date,
            DataType::Time,
            DataType::TimeTz,
            DataType::Timestamp,
            DataType::TimestampTz,
            DataType::Interval,
            DataType::Uuid,
            DataType::Inet,
            DataType::Cidr,
            DataType::MacAddr,
            DataType::Array(Box::new(DataType::Inet)),
            DataType::Json,
            DataType::Jsonb,
            DataType::JsonPath,
            DataType::TsVector,
            DataType::TsQuery,
            DataType::Array(Box::new(DataType::Int4)),
            DataType::Array(Box::new(DataType::Text)),
            DataType::Range(helios_types::RangeType::builtin("tstzrange").unwrap()),
            DataType::Multirange(helios_types::RangeType::builtin("int4range").unwrap()),
        ] {
            assert_eq!(parse_stored_type(&t.to_string()).unwrap(), t, "{t}");
        }
    }

    #[test]
    fn serial_only_in_ddl() {
        let ty = crate::parser::parse_data_type("bigserial").unwrap();
        assert_eq!(
            resolve_column_type(&ty).unwrap(),
            ColumnType { data_type: DataType::Int8, serial: true }
        );
        assert!(resolve_type(&ty).is_err());
        let bad = crate::parser::parse_data_type("frobnitz").unwrap();
        assert_eq!(resolve_type(&bad).unwrap_err().sqlstate(), SqlState::UNDEFINED_OBJECT);
    }
}
