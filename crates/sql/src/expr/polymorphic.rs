//! Instantiating the polymorphic parameters of a user-defined function call
//! (PostgreSQL's `enforce_generic_type_consistency`, simplified).
//!
//! - The `anyelement` family (`anyelement`, `anyarray`, `anynonarray`, `anyrange`,
//!   `anymultirange`) resolves to one exact element type: every argument must agree
//!   (an array's element, a range's subtype), and a range type fixes it.
//! - The `anycompatible` family resolves to the common type of its arguments (or a
//!   `anycompatiblerange` argument's subtype, to which the others must convert
//!   implicitly).
//!
//! Untyped literal arguments take the resolved types.

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Pseudo, RangeType};

use crate::expr::types::{can_implicit_cast, common_type, same_base, strip_modifiers};

/// The types a call's polymorphic parameters resolved to.
#[derive(Debug, Default)]
pub(crate) struct Instance {
    elem: Option<DataType>,
    range: Option<Arc<RangeType>>,
    compat_elem: Option<DataType>,
    compat_range: Option<Arc<RangeType>>,
}

impl Instance {
    /// The concrete type standing for `t` (`t` itself when not polymorphic); `None`
    /// when the call does not determine it.
    pub(crate) fn concrete(&self, t: &DataType) -> Option<DataType> {
        let DataType::Pseudo(p) = t else { return Some(t.clone()) };
        Some(match p {
            Pseudo::AnyElement | Pseudo::AnyNonArray => self.elem.clone()?,
            Pseudo::AnyEnum => match &self.elem {
                Some(e @ DataType::Enum(_)) => e.clone(),
                _ => return None,
            },
            Pseudo::AnyArray => DataType::Array(Box::new(self.elem.clone()?)),
            Pseudo::AnyRange => DataType::Range(self.range.clone()?),
            Pseudo::AnyMultirange => DataType::Multirange(self.range.clone()?),
            Pseudo::AnyCompatible | Pseudo::AnyCompatibleNonArray => self.compat_elem.clone()?,
            Pseudo::AnyCompatibleArray => DataType::Array(Box::new(self.compat_elem.clone()?)),
            Pseudo::AnyCompatibleRange => DataType::Range(self.compat_range.clone()?),
            Pseudo::AnyCompatibleMultirange => DataType::Multirange(self.compat_range.clone()?),
        })
    }
}

/// Whether any of `types` is polymorphic.
pub(crate) fn is_polymorphic(types: &[DataType]) -> bool {
    types.iter().any(|t| matches!(t, DataType::Pseudo(_)))
}

/// Resolves the polymorphic `params` for arguments of types `args`; `None` when the
/// arguments do not fit.
pub(crate) fn instantiate(params: &[DataType], args: &[DataType]) -> Option<Instance> {
    let inst = instantiate_partial(params, args)?;
    // Every polymorphic parameter must be determined.
    params.iter().all(|p| inst.concrete(p).is_some()).then_some(inst)
}

/// Whether the arguments fit `params` but leave a polymorphic parameter undetermined
/// (only untyped literals for it: PostgreSQL's 42804).
pub(crate) fn undetermined(params: &[DataType], args: &[DataType]) -> bool {
    instantiate_partial(params, args)
        .is_some_and(|inst| params.iter().any(|p| inst.concrete(p).is_none()))
}

/// [`instantiate`] without requiring every parameter to be determined.
fn instantiate_partial(params: &[DataType], args: &[DataType]) -> Option<Instance> {
    let mut inst = Instance::default();
    let mut compat: Vec<DataType> = Vec::new();
    for (p, a) in params.iter().zip(args) {
        let DataType::Pseudo(p) = p else { continue };
        if *a == DataType::Unknown {
            continue;
        }
        let elem_of = match (p, a) {
            (Pseudo::AnyElement, t) => Some(strip_modifiers(t)),
            (Pseudo::AnyEnum, t @ DataType::Enum(_)) => Some(t.clone()),
            (Pseudo::AnyEnum, _) => return None,
            (Pseudo::AnyNonArray, DataType::Array(_)) => return None,
            (Pseudo::AnyNonArray, t) => Some(strip_modifiers(t)),
            (Pseudo::AnyArray, DataType::Array(e)) => Some(strip_modifiers(e)),
            (Pseudo::AnyRange, DataType::Range(t))
            | (Pseudo::AnyMultirange, DataType::Multirange(t)) => {
                if inst.range.as_ref().is_some_and(|r| r.oid != t.oid) {
                    return None;
                }
                inst.range = Some(t.clone());
                Some(t.subtype.clone())
            }
            (Pseudo::AnyCompatible, t) => {
                compat.push(strip_modifiers(t));
                None
            }
            (Pseudo::AnyCompatibleNonArray, DataType::Array(_)) => return None,
            (Pseudo::AnyCompatibleNonArray, t) => {
                compat.push(strip_modifiers(t));
                None
            }
            (Pseudo::AnyCompatibleArray, DataType::Array(e)) => {
                compat.push(strip_modifiers(e));
                None
            }
            (Pseudo::AnyCompatibleRange, DataType::Range(t))
            | (Pseudo::AnyCompatibleMultirange, DataType::Multirange(t)) => {
                if inst.compat_range.as_ref().is_some_and(|r| r.oid != t.oid) {
                    return None;
                }
                inst.compat_range = Some(t.clone());
                None
            }
            _ => return None,
        };
        if let Some(e) = elem_of {
            match &inst.elem {
                Some(prev) if !same_base(prev, &e) => return None,
                _ => inst.elem = Some(e),
            }
        }
    }
    inst.compat_elem = match &inst.compat_range {
        Some(r) => {
            if !compat.iter().all(|c| can_implicit_cast(c, &r.subtype)) {
                return None;
            }
            Some(r.subtype.clone())
        }
        // Untyped literals alone make the anycompatible family text.
        None if compat.is_empty() => params
            .iter()
            .any(|p| {
                matches!(
                    p,
                    DataType::Pseudo(
                        Pseudo::AnyCompatible
                            | Pseudo::AnyCompatibleArray
                            | Pseudo::AnyCompatibleNonArray
                    )
                )
            })
            .then_some(DataType::Text),
        None => Some(common_type(&compat, "function").ok()?),
    };
    Some(inst)
}

/// PostgreSQL's check at CREATE FUNCTION: a polymorphic result needs a polymorphic
/// input that determines it (42P13 `cannot determine result data type`).
pub(crate) fn check_result(result: &DataType, inputs: &[DataType]) -> Result<()> {
    let DataType::Pseudo(r) = result else { return Ok(()) };
    let has =
        |set: &[Pseudo]| inputs.iter().any(|t| matches!(t, DataType::Pseudo(p) if set.contains(p)));
    use Pseudo as P;
    let (ok, needs) = match r {
        P::AnyElement | P::AnyArray | P::AnyNonArray | P::AnyEnum => (
            has(&[
                P::AnyElement,
                P::AnyArray,
                P::AnyNonArray,
                P::AnyEnum,
                P::AnyRange,
                P::AnyMultirange,
            ]),
            "anyelement, anyarray, anynonarray, anyenum, anyrange, or anymultirange",
        ),
        P::AnyRange | P::AnyMultirange => {
            (has(&[P::AnyRange, P::AnyMultirange]), "anyrange or anymultirange")
        }
        P::AnyCompatible | P::AnyCompatibleArray | P::AnyCompatibleNonArray => (
            has(&[
                P::AnyCompatible,
                P::AnyCompatibleArray,
                P::AnyCompatibleNonArray,
                P::AnyCompatibleRange,
                P::AnyCompatibleMultirange,
            ]),
            "anycompatible, anycompatiblearray, anycompatiblenonarray, anycompatiblerange, or anycompatiblemultirange",
        ),
        P::AnyCompatibleRange | P::AnyCompatibleMultirange => (
            has(&[P::AnyCompatibleRange, P::AnyCompatibleMultirange]),
            "anycompatiblerange or anycompatiblemultirange",
        ),
    };
    if ok {
        return Ok(());
    }
    Err(Error::new(SqlState::from_code("42P13"), "cannot determine result data type")
        .with_detail(format!("A result of type {r} requires at least one input of type {needs}.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ps(p: Pseudo) -> DataType {
        DataType::Pseudo(p)
    }

    #[test]
    fn ranges_fix_the_element_type() {
        let int4 = DataType::Range(RangeType::builtin("int4range").unwrap());
        let num = DataType::Range(RangeType::builtin("numrange").unwrap());
        let arr = DataType::Array(Box::new(DataType::Int4));
        let params = [ps(Pseudo::AnyArray), ps(Pseudo::AnyRange)];
        let inst = instantiate(&params, &[arr.clone(), int4.clone()]).unwrap();
        assert_eq!(inst.concrete(&ps(Pseudo::AnyElement)), Some(DataType::Int4));
        assert!(instantiate(&params, &[arr.clone(), num.clone()]).is_none());
        let compat = [ps(Pseudo::AnyCompatibleArray), ps(Pseudo::AnyCompatibleRange)];
        let inst = instantiate(&compat, &[arr.clone(), num]).unwrap();
        assert_eq!(inst.concrete(&ps(Pseudo::AnyCompatible)), Some(DataType::Numeric(None)));
        let num_arr = DataType::Array(Box::new(DataType::Numeric(None)));
        assert!(instantiate(&compat, &[num_arr, int4.clone()]).is_none());
        let inst = instantiate(&[ps(Pseudo::AnyRange)], &[int4]).unwrap();
        assert!(inst.concrete(&ps(Pseudo::AnyMultirange)).is_some());
        assert!(instantiate(&[ps(Pseudo::AnyRange)], &[DataType::Unknown]).is_none());
    }

    #[test]
    fn results_need_a_determining_input() {
        let e = check_result(&ps(Pseudo::AnyRange), &[ps(Pseudo::AnyElement)]).unwrap_err();
        assert_eq!(e.message(), "cannot determine result data type");
        assert!(check_result(&ps(Pseudo::AnyElement), &[ps(Pseudo::AnyRange)]).is_ok());
        assert!(check_result(&DataType::Int4, &[]).is_ok());
    }
}
