//! The SQL data types and their PostgreSQL type OIDs.

use std::fmt;
use std::sync::Arc;

use crate::enum_type::EnumType;
use crate::range::RangeType;
use crate::record::RecordType;

/// A SQL data type, named and numbered as in PostgreSQL.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DataType {
    /// `boolean`
    Bool,
    /// `smallint` (int2)
    Int2,
    /// `integer` (int4)
    Int4,
    /// `bigint` (int8)
    Int8,
    /// `real` (float4)
    Float4,
    /// `double precision` (float8)
    Float8,
    /// `numeric(precision, scale)`; `None` when unconstrained.
    Numeric(Option<(u32, u32)>),
    /// `text`
    Text,
    /// `character varying(n)`
    Varchar(Option<u32>),
    /// `character(n)` (bpchar), blank-padded
    Char(Option<u32>),
    /// `bytea`
    Bytea,
    /// `date`
    Date,
    /// `time without time zone`
    Time,
    /// `time with time zone` (timetz)
    TimeTz,
    /// `timestamp without time zone`
    Timestamp,
    /// `timestamp with time zone`
    TimestampTz,
    /// `interval`
    Interval,
    /// `uuid`
    Uuid,
    /// `inet`: an IPv4 or IPv6 host address with an optional netmask (see [`crate::net`]).
    Inet,
    /// `cidr`: an IPv4 or IPv6 network (see [`crate::net`]).
    Cidr,
    /// `macaddr`: a six-byte MAC address.
    MacAddr,
    /// `json` (text kept as written)
    Json,
    /// `jsonb` (parsed, normalised)
    Jsonb,
    /// `jsonpath`, held as its canonical text (see [`crate::jsonpath`]).
    JsonPath,
    /// `tsvector`, held as its canonical text (see [`crate::tsearch`]).
    TsVector,
    /// `tsquery`, held as its canonical text (see [`crate::tsearch`]).
    TsQuery,
    /// A one-dimensional array of the element type.
    Array(Box<DataType>),
    /// pgvector's `vector(n)` of float32; `None` when the dimension is unconstrained.
    Vector(Option<u32>),
    /// A user-defined enum type (`CREATE TYPE ... AS ENUM`), see [`crate::enum_type`].
    Enum(Arc<EnumType>),
    /// A composite type: a user-defined one, a table's row type, or the anonymous
    /// `record` (see [`crate::record`]).
    Record(Arc<RecordType>),
    /// A range type (built-in or `CREATE TYPE ... AS RANGE`), see [`crate::range`].
    Range(Arc<RangeType>),
    /// The multirange type of a range type.
    Multirange(Arc<RangeType>),
    /// A polymorphic pseudo-type (`anyelement`, `anyrange`, ...): only a parameter or
    /// result type of a user-defined function.
    Pseudo(crate::Pseudo),
    /// The type of an untyped literal or `NULL` before it is resolved (PostgreSQL's
    /// `unknown`).
    Unknown,
}

impl DataType {
    /// The PostgreSQL type OID reported to clients.
    pub fn oid(&self) -> u32 {
        match self {
            DataType::Bool => 16,
            DataType::Bytea => 17,
            DataType::Int8 => 20,
            DataType::Int2 => 21,
            DataType::Int4 => 23,
            DataType::Text => 25,
            DataType::Json => 114,
            DataType::Float4 => 700,
            DataType::Float8 => 701,
            DataType::Unknown => 705,
            DataType::Char(_) => 1042,
            DataType::Varchar(_) => 1043,
            DataType::Date => 1082,
            DataType::Time => 1083,
            DataType::TimeTz => 1266,
            DataType::Timestamp => 1114,
            DataType::TimestampTz => 1184,
            DataType::Interval => 1186,
            DataType::Numeric(_) => 1700,
            DataType::Uuid => 2950,
            DataType::Inet => 869,
            DataType::Cidr => 650,
            DataType::MacAddr => 829,
            DataType::Jsonb => 3802,
            DataType::JsonPath => 4072,
            DataType::TsVector => 3614,
            DataType::TsQuery => 3615,
            // pgvector's OID is assigned at CREATE EXTENSION time; we fix one outside
            // PostgreSQL's reserved range and report it consistently in pg_type.
            DataType::Vector(_) => 16_385,
            DataType::Enum(t) => t.oid,
            DataType::Record(t) => t.oid,
            DataType::Range(t) => t.oid,
            DataType::Multirange(t) => t.multirange_oid,
            DataType::Pseudo(p) => p.oid(),
            DataType::Array(elem) => elem.array_oid().unwrap_or(0),
        }
    }

    /// The OID of the array type whose elements are `self`, if there is one.
    pub fn array_oid(&self) -> Option<u32> {
        Some(match self {
            DataType::Bool => 1000,
            DataType::Bytea => 1001,
            DataType::Int2 => 1005,
            DataType::Int4 => 1007,
            DataType::Text => 1009,
            DataType::Char(_) => 1014,
            DataType::Varchar(_) => 1015,
            DataType::Int8 => 1016,
            DataType::Float4 => 1021,
            DataType::Float8 => 1022,
            DataType::Timestamp => 1115,
            DataType::Date => 1182,
            DataType::Time => 1183,
            DataType::TimeTz => 1270,
            DataType::TimestampTz => 1185,
            DataType::Interval => 1187,
            DataType::Numeric(_) => 1231,
            DataType::Uuid => 2951,
            DataType::Inet => 1041,
            DataType::Cidr => 651,
            DataType::MacAddr => 1040,
            DataType::Json => 199,
            DataType::Jsonb => 3807,
            DataType::JsonPath => 4073,
            DataType::TsVector => 3643,
            DataType::TsQuery => 3645,
            DataType::Vector(_) => 16_386,
            // An enum's array type takes the object id after the enum's own.
            DataType::Enum(t) => t.oid + 1,
            DataType::Record(t) if t.is_anonymous() => crate::record::RECORD_ARRAY_OID,
            // A composite type's array type takes the object id after its own.
            DataType::Record(t) => t.oid + 1,
            DataType::Range(t) => t.array_oid,
            DataType::Multirange(t) => t.multirange_array_oid,
            DataType::Array(_) | DataType::Unknown | DataType::Pseudo(_) => return None,
        })
    }

    /// The type for a PostgreSQL type OID (without modifiers), if it is one we know.
    pub fn from_oid(oid: u32) -> Option<DataType> {
        Some(match oid {
            16 => DataType::Bool,
            17 => DataType::Bytea,
            20 => DataType::Int8,
            21 => DataType::Int2,
            23 => DataType::Int4,
            25 => DataType::Text,
            114 => DataType::Json,
            700 => DataType::Float4,
            701 => DataType::Float8,
            705 => DataType::Unknown,
            1042 => DataType::Char(None),
            1043 => DataType::Varchar(None),
            1082 => DataType::Date,
            1083 => DataType::Time,
            1266 => DataType::TimeTz,
            1114 => DataType::Timestamp,
            1184 => DataType::TimestampTz,
            1186 => DataType::Interval,
            1700 => DataType::Numeric(None),
            2950 => DataType::Uuid,
            869 => DataType::Inet,
            650 => DataType::Cidr,
            829 => DataType::MacAddr,
            3802 => DataType::Jsonb,
            4072 => DataType::JsonPath,
            3614 => DataType::TsVector,
            3615 => DataType::TsQuery,
            16_385 => DataType::Vector(None),
            2249 => DataType::Record(Arc::new(RecordType::anonymous(Vec::new()))),
            _ if RangeType::builtin_by_oid(oid).is_some() => {
                let (t, multi) = RangeType::builtin_by_oid(oid)?;
                if multi {
                    DataType::Multirange(t)
                } else {
                    DataType::Range(t)
                }
            }
            _ => {
                if let Some(t) = RangeType::builtins()
                    .iter()
                    .find(|t| t.array_oid == oid || t.multirange_array_oid == oid)
                {
                    let elem = if t.array_oid == oid {
                        DataType::Range(t.clone())
                    } else {
                        DataType::Multirange(t.clone())
                    };
                    return Some(DataType::Array(Box::new(elem)));
                }
                let elems = [
                    DataType::Bool,
                    DataType::Bytea,
                    DataType::Int2,
                    DataType::Int4,
                    DataType::Int8,
                    DataType::Text,
                    DataType::Char(None),
                    DataType::Varchar(None),
                    DataType::Float4,
                    DataType::Float8,
                    DataType::Timestamp,
                    DataType::Date,
                    DataType::Time,
                    DataType::TimeTz,
                    DataType::TimestampTz,
                    DataType::Interval,
                    DataType::Numeric(None),
                    DataType::Uuid,
                    DataType::Inet,
                    DataType::Cidr,
                    DataType::MacAddr,
                    DataType::Json,
                    DataType::Jsonb,
                    DataType::JsonPath,
                    DataType::TsVector,
                    DataType::TsQuery,
                ];
                let elem = elems.into_iter().find(|e| e.array_oid() == Some(oid))?;
                DataType::Array(Box::new(elem))
            }
        })
    }

    /// Whether values of this type can be keys of a B-tree index.
    pub fn is_indexable(&self) -> bool {
        !matches!(
            self,
            DataType::Json | DataType::Vector(_) | DataType::Unknown | DataType::Pseudo(_)
        )
    }
}

impl fmt::Display for DataType {
    /// PostgreSQL's `format_type` spelling, e.g. `character varying(20)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::Bool => f.write_str("boolean"),
            DataType::Int2 => f.write_str("smallint"),
            DataType::Int4 => f.write_str("integer"),
            DataType::Int8 => f.write_str("bigint"),
            DataType::Float4 => f.write_str("real"),
            DataType::Float8 => f.write_str("double precision"),
            DataType::Numeric(None) => f.write_str("numeric"),
            DataType::Numeric(Some((p, s))) => write!(f, "numeric({p},{s})"),
            DataType::Text => f.write_str("text"),
            DataType::Varchar(None) => f.write_str("character varying"),
            DataType::Varchar(Some(n)) => write!(f, "character varying({n})"),
            DataType::Char(None) => f.write_str("bpchar"),
            DataType::Char(Some(n)) => write!(f, "character({n})"),
            DataType::Bytea => f.write_str("bytea"),
            DataType::Date => f.write_str("date"),
            DataType::Time => f.write_str("time without time zone"),
            DataType::TimeTz => f.write_str("time with time zone"),
            DataType::Timestamp => f.write_str("timestamp without time zone"),
            DataType::TimestampTz => f.write_str("timestamp with time zone"),
            DataType::Interval => f.write_str("interval"),
            DataType::Uuid => f.write_str("uuid"),
            DataType::Inet => f.write_str("inet"),
            DataType::Cidr => f.write_str("cidr"),
            DataType::MacAddr => f.write_str("macaddr"),
            DataType::Json => f.write_str("json"),
            DataType::Jsonb => f.write_str("jsonb"),
            DataType::JsonPath => f.write_str("jsonpath"),
            DataType::TsVector => f.write_str("tsvector"),
            DataType::TsQuery => f.write_str("tsquery"),
            DataType::Array(elem) => write!(f, "{elem}[]"),
            DataType::Vector(None) => f.write_str("vector"),
            DataType::Vector(Some(n)) => write!(f, "vector({n})"),
            DataType::Enum(t) => f.write_str(&t.name),
            DataType::Record(t) => f.write_str(&t.name),
            DataType::Range(t) => f.write_str(&t.name),
            DataType::Multirange(t) => f.write_str(&t.multirange_name),
            DataType::Pseudo(p) => f.write_str(p.name()),
            DataType::Unknown => f.write_str("unknown"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_round_trip() {
        for t in [
            DataType::Bool,
            DataType::Int4,
            DataType::Numeric(None),
            DataType::Array(Box::new(DataType::Text)),
            DataType::Array(Box::new(DataType::Int8)),
            DataType::Range(RangeType::builtin("daterange").unwrap()),
            DataType::Multirange(RangeType::builtin("int8range").unwrap()),
            DataType::Inet,
            DataType::Cidr,
            DataType::MacAddr,
            DataType::Array(Box::new(DataType::Inet)),
            DataType::Array(Box::new(DataType::Cidr)),
            DataType::Array(Box::new(DataType::Range(RangeType::builtin("numrange").unwrap()))),
        ] {
            assert_eq!(DataType::from_oid(t.oid()), Some(t));
        }
        assert_eq!(DataType::from_oid(99_999), None);
    }

    #[test]
    fn format_type_spelling() {
        assert_eq!(DataType::Varchar(Some(20)).to_string(), "character varying(20)");
        assert_eq!(DataType::Array(Box::new(DataType::Int4)).to_string(), "integer[]");
    }
}
