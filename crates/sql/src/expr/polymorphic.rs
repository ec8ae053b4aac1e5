//! Polymorphic parameters of user-defined routines (`anyelement`, `anyarray`,
//! `anynonarray`, `anyenum`, `anycompatible`, `anycompatiblearray`,
//! `anycompatiblenonarray`), resolved per call by PostgreSQL's rules
//! (`check_generic_type_consistency` / `enforce_generic_type_consistency`):
//!
//! - the `anyelement` family binds one type exactly: every `anyelement`, `anynonarray`
//!   and `anyenum` argument has it, every `anyarray` argument is an array of it;
//!   untyped literals take it;
//! - the `anycompatible` family binds the common type of its arguments (and of the
//!   `anycompatiblearray` arguments' elements), to which each is implicitly coerced;
//!   untyped literals alone make it `text`;
//! - the result and OUT parameter types follow the bindings. A call whose `anyelement`
//!   family sees only untyped literals fails with 42804.
//!
//! `CREATE FUNCTION` checks that a polymorphic result can be deduced ([`check_result`]).

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Polymorphic};

use crate::expr::types::{common_type, strip_modifiers};

/// The types the pseudo-types stand for in one call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bindings {
    /// The `anyelement` family's element type (`None`: only untyped literals).
    pub elem: Option<DataType>,
    /// The `anycompatible` family's type.
    pub compat: Option<DataType>,
    /// Whether any parameter is of the `anyelement` family.
    pub uses_elem: bool,
}

impl Bindings {
    /// `ty` with the pseudo-types replaced; 42804 when the `anyelement` family could
    /// not be determined.
    pub fn substitute(&self, ty: &DataType) -> Result<DataType> {
        let unknown = || {
            Error::new(
                SqlState::DATATYPE_MISMATCH,
                "could not determine polymorphic type because input has type unknown",
            )
        };
        Ok(match ty {
            DataType::Poly(p) => {
                let base = if p.is_compatible_family() {
                    self.compat.clone().unwrap_or(DataType::Text)
                } else {
                    self.elem.clone().ok_or_else(unknown)?
                };
                if p.is_array() {
                    DataType::Array(Box::new(base))
                } else {
                    base
                }
            }
            DataType::Array(e) => DataType::Array(Box::new(self.substitute(e)?)),
            other => other.clone(),
        })
    }
}

/// Whether `ty` is (or is an array of) a pseudo-type.
pub fn is_polymorphic(ty: &DataType) -> bool {
    match ty {
        DataType::Poly(_) => true,
        DataType::Array(e) => is_polymorphic(e),
        _ => false,
    }
}

/// Binds the pseudo-types of `params` to the argument types `args`; `None` when the
/// arguments do not fit (the candidate is not the function called).
pub fn bind(params: &[DataType], args: &[DataType]) -> Option<Bindings> {
    let mut elems: Vec<DataType> = Vec::new();
    let mut compat: Vec<DataType> = Vec::new();
    let mut out = Bindings::default();
    let mut compat_unknown = false;
    for (p, a) in params.iter().zip(args) {
        let DataType::Poly(p) = p else { continue };
        if !p.is_compatible_family() {
            out.uses_elem = true;
        }
        if *a == DataType::Unknown {
            compat_unknown |= p.is_compatible_family();
            continue;
        }
        let a = strip_modifiers(a);
        let target = if p.is_compatible_family() { &mut compat } else { &mut elems };
        if p.is_array() {
            match a {
                DataType::Array(e) => target.push(*e),
                _ => return None,
            }
        } else {
            target.push(a);
        }
    }
    if let Some(first) = elems.first() {
        if elems.iter().any(|e| !same_type(e, first)) {
            return None;
        }
        out.elem = Some(first.clone());
    }
    if !compat.is_empty() {
        out.compat = Some(common_type(&compat, "anycompatible").ok()?);
    } else if compat_unknown {
        out.compat = Some(DataType::Text);
    }
    // anynonarray / anyenum / anycompatiblenonarray constrain what was bound.
    for p in params {
        let violated = match p {
            DataType::Poly(Polymorphic::AnyNonArray) => {
                matches!(out.elem, Some(DataType::Array(_)))
            }
            DataType::Poly(Polymorphic::AnyEnum) => {
                out.elem.as_ref().is_some_and(|e| !matches!(e, DataType::Enum(_)))
            }
            DataType::Poly(Polymorphic::AnyCompatibleNonArray) => {
                matches!(out.compat, Some(DataType::Array(_)))
            }
            _ => false,
        };
        if violated {
            return None;
        }
    }
    Some(out)
}

fn same_type(a: &DataType, b: &DataType) -> bool {
    match (a, b) {
        (DataType::Enum(x), DataType::Enum(y)) => x.oid == y.oid,
        (DataType::Record(x), DataType::Record(y)) => x.oid == y.oid,
        (DataType::Array(x), DataType::Array(y)) => same_type(x, y),
        _ => a == b,
    }
}

/// `CREATE FUNCTION`'s check (42P13) that a polymorphic result type (`result`, or an
/// OUT parameter's) can be deduced from the input parameter types.
pub fn check_result(inputs: &[DataType], result: &DataType) -> Result<()> {
    let DataType::Poly(r) = result else { return Ok(()) };
    let family_present = inputs.iter().any(
        |t| matches!(t, DataType::Poly(p) if p.is_compatible_family() == r.is_compatible_family()),
    );
    if family_present {
        return Ok(());
    }
    let detail = if r.is_compatible_family() {
        format!(
            "A result of type {} requires at least one input of type anycompatible, anycompatiblearray, anycompatiblenonarray, anycompatiblerange, or anycompatiblemultirange.",
            r.name()
        )
    } else {
        format!(
            "A result of type {} requires at least one input of type anyelement, anyarray, anynonarray, anyenum, anyrange, or anymultirange.",
            r.name()
        )
    };
    Err(Error::new(SqlState::from_code("42P13"), "cannot determine result data type")
        .with_detail(detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poly(p: Polymorphic) -> DataType {
        DataType::Poly(p)
    }

    #[test]
    fn anyelement_binds_one_exact_type() {
        let params = [poly(Polymorphic::AnyElement), poly(Polymorphic::AnyElement)];
        assert!(bind(&params, &[DataType::Int4, DataType::Numeric(None)]).is_none());
        let b = bind(&params, &[DataType::Int4, DataType::Unknown]).unwrap();
        assert_eq!(b.elem, Some(DataType::Int4));
        let b = bind(&params, &[DataType::Unknown, DataType::Unknown]).unwrap();
        assert!(b.substitute(&params[0]).is_err());
    }

    #[test]
    fn anyarray_needs_an_array_of_the_element() {
        let params = [poly(Polymorphic::AnyArray), poly(Polymorphic::AnyElement)];
        let int_array = DataType::Array(Box::new(DataType::Int4));
        let b = bind(&params, &[int_array.clone(), DataType::Int4]).unwrap();
        assert_eq!(b.substitute(&params[0]).unwrap(), int_array);
        assert!(bind(&params, &[DataType::Int4, DataType::Int4]).is_none());
    }

    #[test]
    fn anycompatible_takes_the_common_type() {
        let params = [poly(Polymorphic::AnyCompatible), poly(Polymorphic::AnyCompatible)];
        let b = bind(&params, &[DataType::Int4, DataType::Numeric(None)]).unwrap();
        assert_eq!(b.compat, Some(DataType::Numeric(None)));
        assert!(bind(&params, &[DataType::Int4, DataType::Text]).is_none());
        let b = bind(&params, &[DataType::Unknown, DataType::Unknown]).unwrap();
        assert_eq!(b.compat, Some(DataType::Text));
    }

    #[test]
    fn results_need_an_input_of_their_family() {
        let r = poly(Polymorphic::AnyElement);
        assert!(check_result(&[DataType::Int4], &r).is_err());
        assert!(check_result(&[poly(Polymorphic::AnyArray)], &r).is_ok());
        assert!(check_result(&[poly(Polymorphic::AnyElement)], &poly(Polymorphic::AnyCompatible))
            .is_err());
    }
}
