//! Range types: the six built-in ones (`int4range`, `int8range`, `numrange`, `daterange`,
//! `tsrange`, `tstzrange`) with PostgreSQL's OIDs, and user-defined ones
//! (`CREATE TYPE ... AS RANGE`).
//!
//! Every range type has a multirange type (`int4multirange`, ...); both are described by
//! one [`RangeType`], which [`crate::DataType::Range`] and [`crate::DataType::Multirange`]
//! share.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, LazyLock};

use crate::DataType;

/// A range type and its multirange type, as the catalog (or PostgreSQL's built-ins)
/// define them.
///
/// Two definitions are equal when all fields are; hashing uses the OID only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeType {
    /// The range type's OID.
    pub oid: u32,
    /// The OID of the range type's array type.
    pub array_oid: u32,
    /// The multirange type's OID.
    pub multirange_oid: u32,
    /// The OID of the multirange type's array type.
    pub multirange_array_oid: u32,
    /// The schema both types live in.
    pub schema: String,
    /// The range type's name (unqualified).
    pub name: String,
    /// The multirange type's name (unqualified).
    pub multirange_name: String,
    /// The type of the bounds.
    pub subtype: DataType,
}

impl Hash for RangeType {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.oid.hash(state);
    }
}

/// `(name, multirange name, subtype, oid, array oid, multirange oid, its array oid)`.
type Builtin = (&'static str, &'static str, DataType, u32, u32, u32, u32);

fn builtin_list() -> Vec<Builtin> {
    vec![
        ("int4range", "int4multirange", DataType::Int4, 3904, 3905, 4451, 6150),
        ("numrange", "nummultirange", DataType::Numeric(None), 3906, 3907, 4532, 6151),
        ("tsrange", "tsmultirange", DataType::Timestamp, 3908, 3909, 4533, 6152),
        ("tstzrange", "tstzmultirange", DataType::TimestampTz, 3910, 3911, 4534, 6153),
        ("daterange", "datemultirange", DataType::Date, 3912, 3913, 4535, 6155),
        ("int8range", "int8multirange", DataType::Int8, 3926, 3927, 4536, 6157),
    ]
}

static BUILTINS: LazyLock<Vec<Arc<RangeType>>> = LazyLock::new(|| {
    builtin_list()
        .into_iter()
        .map(|(name, mname, subtype, oid, array_oid, multirange_oid, multirange_array_oid)| {
            Arc::new(RangeType {
                oid,
                array_oid,
                multirange_oid,
                multirange_array_oid,
                schema: "pg_catalog".to_string(),
                name: name.to_string(),
                multirange_name: mname.to_string(),
                subtype,
            })
        })
        .collect()
});

impl RangeType {
    /// The built-in range types, in OID order of PostgreSQL's catalog.
    pub fn builtins() -> &'static [Arc<RangeType>] {
        &BUILTINS
    }

    /// The built-in range type named `name` (`int4range`, ...).
    pub fn builtin(name: &str) -> Option<Arc<RangeType>> {
        BUILTINS.iter().find(|t| t.name == name).cloned()
    }

    /// The built-in range type whose multirange type is named `name`.
    pub fn builtin_multirange(name: &str) -> Option<Arc<RangeType>> {
        BUILTINS.iter().find(|t| t.multirange_name == name).cloned()
    }

    /// The built-in range type with this range or multirange OID; the flag tells
    /// whether the OID was the multirange's.
    pub fn builtin_by_oid(oid: u32) -> Option<(Arc<RangeType>, bool)> {
        BUILTINS.iter().find_map(|t| {
            if t.oid == oid {
                Some((t.clone(), false))
            } else if t.multirange_oid == oid {
                Some((t.clone(), true))
            } else {
                None
            }
        })
    }

    /// The built-in range type whose subtype is `subtype` (for `range_agg` over ...),
    /// used where PostgreSQL picks the range type of an element type.
    pub fn builtin_for_subtype(subtype: &DataType) -> Option<Arc<RangeType>> {
        let stripped = match subtype {
            DataType::Numeric(_) => DataType::Numeric(None),
            other => other.clone(),
        };
        BUILTINS.iter().find(|t| t.subtype == stripped).cloned()
    }

    /// Whether ranges of this type are canonicalised to `[)` form (PostgreSQL's
    /// `int4range_canonical`, `int8range_canonical`, `daterange_canonical`): the
    /// built-in types over discrete subtypes. User-defined range types have no
    /// canonical function, as in PostgreSQL without `CANONICAL`.
    pub fn is_discrete(&self) -> bool {
        self.is_builtin()
            && matches!(self.subtype, DataType::Int4 | DataType::Int8 | DataType::Date)
    }

    /// Whether this is one of the built-in types.
    pub fn is_builtin(&self) -> bool {
        self.schema == "pg_catalog"
    }

    /// A stand-in carrying only the OID, used while a stored column type is read before
    /// the type definitions are (the catalog swaps in the full definition).
    pub fn placeholder(oid: u32) -> RangeType {
        RangeType {
            oid,
            array_oid: 0,
            multirange_oid: 0,
            multirange_array_oid: 0,
            schema: String::new(),
            name: String::new(),
            multirange_name: String::new(),
            subtype: DataType::Unknown,
        }
    }

    /// Whether this is a stand-in from [`RangeType::placeholder`].
    pub fn is_placeholder(&self) -> bool {
        self.name.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_carry_postgres_oids() {
        let t = RangeType::builtin("int4range").unwrap();
        assert_eq!((t.oid, t.array_oid, t.multirange_oid), (3904, 3905, 4451));
        assert!(t.is_discrete());
        let n = RangeType::builtin_multirange("nummultirange").unwrap();
        assert_eq!(n.name, "numrange");
        assert!(!n.is_discrete());
        assert_eq!(RangeType::builtin_by_oid(4536).unwrap().0.name, "int8range");
        assert!(RangeType::builtin_by_oid(4536).unwrap().1);
        assert_eq!(
            RangeType::builtin_for_subtype(&DataType::Numeric(Some((5, 2)))).unwrap().name,
            "numrange"
        );
        assert!(RangeType::builtin("textrange").is_none());
    }
}
