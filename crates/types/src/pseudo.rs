//! PostgreSQL's polymorphic pseudo-types (`anyelement`, `anyarray`, `anyrange`,
//! `anycompatible`, ...): parameter and result types of user-defined functions that
//! each call instantiates from its argument types. No value has a pseudo-type.

use std::fmt;

/// A polymorphic pseudo-type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pseudo {
    /// `anyelement`
    AnyElement,
    /// `anyenum`: like `anyelement`, but only an enum type
    AnyEnum,
    /// `anyarray`
    AnyArray,
    /// `anynonarray`
    AnyNonArray,
    /// `anyrange`
    AnyRange,
    /// `anymultirange`
    AnyMultirange,
    /// `anycompatible`
    AnyCompatible,
    /// `anycompatiblearray`
    AnyCompatibleArray,
    /// `anycompatiblenonarray`
    AnyCompatibleNonArray,
    /// `anycompatiblerange`
    AnyCompatibleRange,
    /// `anycompatiblemultirange`
    AnyCompatibleMultirange,
}

impl Pseudo {
    /// Every pseudo-type with its name and PostgreSQL OID.
    const ALL: [(Pseudo, &'static str, u32); 11] = [
        (Pseudo::AnyElement, "anyelement", 2283),
        (Pseudo::AnyEnum, "anyenum", 3500),
        (Pseudo::AnyArray, "anyarray", 2277),
        (Pseudo::AnyNonArray, "anynonarray", 2776),
        (Pseudo::AnyRange, "anyrange", 3831),
        (Pseudo::AnyMultirange, "anymultirange", 4537),
        (Pseudo::AnyCompatible, "anycompatible", 5077),
        (Pseudo::AnyCompatibleArray, "anycompatiblearray", 5078),
        (Pseudo::AnyCompatibleNonArray, "anycompatiblenonarray", 5079),
        (Pseudo::AnyCompatibleRange, "anycompatiblerange", 5080),
        (Pseudo::AnyCompatibleMultirange, "anycompatiblemultirange", 4538),
    ];

    /// The pseudo-type named `name`.
    pub fn from_name(name: &str) -> Option<Pseudo> {
        Self::ALL.iter().find(|(_, n, _)| *n == name).map(|(p, _, _)| *p)
    }

    /// The pseudo-type with this OID.
    pub fn from_oid(oid: u32) -> Option<Pseudo> {
        Self::ALL.iter().find(|(_, _, o)| *o == oid).map(|(p, _, _)| *p)
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(p, _, _)| *p == self).map_or("", |(_, n, _)| n)
    }

    /// Its OID.
    pub fn oid(self) -> u32 {
        Self::ALL.iter().find(|(p, _, _)| *p == self).map_or(0, |(_, _, o)| *o)
    }

    /// Whether it belongs to the `anycompatible` family (resolved to a common type)
    /// rather than the `anyelement` family (resolved to one exact type).
    pub fn is_compatible_family(self) -> bool {
        matches!(
            self,
            Pseudo::AnyCompatible
                | Pseudo::AnyCompatibleArray
                | Pseudo::AnyCompatibleNonArray
                | Pseudo::AnyCompatibleRange
                | Pseudo::AnyCompatibleMultirange
        )
    }
}

impl fmt::Display for Pseudo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_oids_round_trip() {
        for (p, n, o) in Pseudo::ALL {
            assert_eq!(Pseudo::from_name(n), Some(p));
            assert_eq!(Pseudo::from_oid(o), Some(p));
            assert_eq!(p.to_string(), n);
        }
        assert!(Pseudo::AnyCompatibleRange.is_compatible_family());
        assert!(!Pseudo::AnyRange.is_compatible_family());
    }
}
