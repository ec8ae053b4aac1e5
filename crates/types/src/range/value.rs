//! A range value: empty, or two bounds of the range type's subtype.
//!
//! [`RangeValue::new`] is PostgreSQL's `make_range`: it checks that the lower bound does
//! not exceed the upper one, makes `[x,x)`-like ranges empty and puts ranges of
//! discrete subtypes (`int4`, `int8`, `date`) into canonical `[)` form, so equal ranges
//! have equal representations.

use std::cmp::Ordering;
use std::sync::Arc;

use helios_common::SqlState;

use super::bound::{cmp_bound_values, cmp_bounds, RangeBound};
use super::RangeType;
use crate::error::{TypeError, TypeResult};
use crate::text::datetime::{DATE_INFINITY, DATE_NEG_INFINITY};
use crate::{DataType, Value};

/// A value of a range type.
#[derive(Clone, Debug)]
pub struct RangeValue {
    /// The range type.
    pub ty: Arc<RangeType>,
    /// The lower bound (infinite for an empty range).
    pub lower: RangeBound,
    /// The upper bound (infinite for an empty range).
    pub upper: RangeBound,
    /// Whether the range is empty.
    pub empty: bool,
}

/// `22000 range lower bound must be less than or equal to range upper bound`.
fn lower_above_upper() -> TypeError {
    TypeError::other(
        SqlState::DATA_EXCEPTION,
        "range lower bound must be less than or equal to range upper bound",
    )
}

/// The next value of a discrete subtype; infinite dates stay as they are.
fn successor(v: &Value) -> TypeResult<Value> {
    Ok(match v {
        Value::Int4(x) => Value::Int4(
            x.checked_add(1).ok_or_else(|| TypeError::out_of_range("integer out of range"))?,
        ),
        Value::Int8(x) => Value::Int8(
            x.checked_add(1).ok_or_else(|| TypeError::out_of_range("bigint out of range"))?,
        ),
        Value::Date(d) => Value::Date(
            d.checked_add(1)
                .ok_or_else(|| TypeError::DatetimeOverflow("date out of range".to_string()))?,
        ),
        other => other.clone(),
    })
}

impl RangeValue {
    /// The empty range of `ty`.
    pub fn empty(ty: Arc<RangeType>) -> RangeValue {
        RangeValue {
            ty,
            lower: RangeBound::infinite(true),
            upper: RangeBound::infinite(false),
            empty: true,
        }
    }

    /// PostgreSQL's `make_range`: validates, detects emptiness and canonicalises.
    /// Errors: 22000 when the lower bound is above the upper one; 22003 when a discrete
    /// bound overflows while canonicalising.
    pub fn new(ty: Arc<RangeType>, lower: RangeBound, upper: RangeBound) -> TypeResult<RangeValue> {
        let mut lower = RangeBound { lower: true, ..lower };
        let mut upper = RangeBound { lower: false, ..upper };
        if lower.is_infinite() {
            lower.inclusive = false;
        }
        if upper.is_infinite() {
            upper.inclusive = false;
        }
        match cmp_bound_values(&lower, &upper) {
            Ordering::Greater => return Err(lower_above_upper()),
            Ordering::Equal if !(lower.inclusive && upper.inclusive) => {
                return Ok(RangeValue::empty(ty))
            }
            _ => {}
        }
        if ty.is_discrete() {
            // Infinite dates are left as they are, as PostgreSQL's daterange_canonical.
            let finite = |v: &Value| !matches!(v, Value::Date(DATE_INFINITY | DATE_NEG_INFINITY));
            if let (Some(v), false) = (&lower.value, lower.inclusive) {
                if finite(v) {
                    lower = RangeBound::finite(successor(v)?, true, true);
                }
            }
            if let (Some(v), true) = (&upper.value, upper.inclusive) {
                if finite(v) {
                    upper = RangeBound::finite(successor(v)?, false, false);
                }
            }
            let both_finite = !lower.is_infinite() && !upper.is_infinite();
            let closed = lower.inclusive && upper.inclusive;
            if both_finite && !closed && cmp_bound_values(&lower, &upper) == Ordering::Equal {
                return Ok(RangeValue::empty(ty));
            }
        }
        Ok(RangeValue { ty, lower, upper, empty: false })
    }

    /// `lower(r)`: NULL when empty or infinite.
    pub fn lower_value(&self) -> Value {
        if self.empty {
            return Value::Null;
        }
        self.lower.value.clone().unwrap_or(Value::Null)
    }

    /// `upper(r)`: NULL when empty or infinite.
    pub fn upper_value(&self) -> Value {
        if self.empty {
            return Value::Null;
        }
        self.upper.value.clone().unwrap_or(Value::Null)
    }

    /// The range's data type.
    pub fn data_type(&self) -> DataType {
        DataType::Range(self.ty.clone())
    }

    /// PostgreSQL's `range_cmp`: empty first, then by lower bound, then by upper bound.
    pub fn compare(&self, other: &RangeValue) -> Ordering {
        match (self.empty, other.empty) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => cmp_bounds(&self.lower, &other.lower)
                .then_with(|| cmp_bounds(&self.upper, &other.upper)),
        }
    }

    /// `r @> elem`.
    pub fn contains_value(&self, v: &Value) -> bool {
        if self.empty {
            return false;
        }
        if let Some(lv) = &self.lower.value {
            match super::bound::cmp_values(lv, v) {
                Ordering::Greater => return false,
                Ordering::Equal if !self.lower.inclusive => return false,
                _ => {}
            }
        }
        if let Some(uv) = &self.upper.value {
            match super::bound::cmp_values(uv, v) {
                Ordering::Less => return false,
                Ordering::Equal if !self.upper.inclusive => return false,
                _ => {}
            }
        }
        true
    }
}

impl PartialEq for RangeValue {
    fn eq(&self, other: &RangeValue) -> bool {
        self.ty.oid == other.ty.oid && self.compare(other) == Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int4() -> Arc<RangeType> {
        RangeType::builtin("int4range").unwrap()
    }

    fn r(lo: i32, li: bool, hi: i32, ui: bool) -> TypeResult<RangeValue> {
        RangeValue::new(
            int4(),
            RangeBound::finite(Value::Int4(lo), li, true),
            RangeBound::finite(Value::Int4(hi), ui, false),
        )
    }

    #[test]
    fn discrete_ranges_are_canonical() {
        let a = r(1, true, 10, true).unwrap();
        assert_eq!(a.lower_value(), Value::Int4(1));
        assert_eq!(a.upper_value(), Value::Int4(11));
        assert!(!a.upper.inclusive);
        assert_eq!(a, r(0, false, 11, false).unwrap());
        assert!(r(1, false, 2, false).unwrap().empty);
        assert!(r(5, true, 5, false).unwrap().empty);
        assert!(!r(5, true, 5, true).unwrap().empty);
        assert_eq!(r(2, true, 1, true).unwrap_err().sqlstate(), SqlState::DATA_EXCEPTION);
        assert_eq!(
            r(1, true, i32::MAX, true).unwrap_err().sqlstate(),
            SqlState::NUMERIC_VALUE_OUT_OF_RANGE
        );
    }

    #[test]
    fn order_and_containment() {
        let e = RangeValue::empty(int4());
        let a = r(1, true, 5, false).unwrap();
        let b = r(1, true, 7, false).unwrap();
        assert_eq!(e.compare(&a), Ordering::Less);
        assert_eq!(a.compare(&b), Ordering::Less);
        assert!(a.contains_value(&Value::Int4(4)));
        assert!(!a.contains_value(&Value::Int4(5)));
        assert!(!e.contains_value(&Value::Int4(1)));
    }
}
