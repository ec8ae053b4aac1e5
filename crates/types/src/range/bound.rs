//! One bound of a range and PostgreSQL's bound ordering (`range_cmp_bounds`).
//!
//! A bound is a value (or infinity), inclusive or not, and knows whether it is a lower
//! or an upper bound: an exclusive lower bound `(5` lies just after 5, an exclusive
//! upper bound `5)` just before it, so bounds of both kinds order on one line.

use std::cmp::Ordering;

use crate::Value;

/// A lower or upper bound of a non-empty range.
#[derive(Clone, Debug)]
pub struct RangeBound {
    /// The bound value; `None` for an infinite bound.
    pub value: Option<Value>,
    /// Whether the value itself belongs to the range (always false when infinite).
    pub inclusive: bool,
    /// Whether this is a lower bound.
    pub lower: bool,
}

impl RangeBound {
    /// A finite bound.
    pub fn finite(value: Value, inclusive: bool, lower: bool) -> RangeBound {
        RangeBound { value: Some(value), inclusive, lower }
    }

    /// An infinite bound (`-infinity` for a lower bound, `+infinity` for an upper one).
    pub fn infinite(lower: bool) -> RangeBound {
        RangeBound { value: None, inclusive: false, lower }
    }

    /// Whether the bound is infinite.
    pub fn is_infinite(&self) -> bool {
        self.value.is_none()
    }

    /// The same bound turned into the other kind with inclusivity flipped: the upper
    /// bound just below a lower bound, or the lower bound just above an upper bound.
    pub fn flipped(&self) -> RangeBound {
        RangeBound { value: self.value.clone(), inclusive: !self.inclusive, lower: !self.lower }
    }

    /// The same bound as the other kind, inclusivity kept.
    pub fn as_kind(&self, lower: bool) -> RangeBound {
        RangeBound { value: self.value.clone(), inclusive: self.inclusive, lower }
    }
}

/// Compares two subtype values (incomparable values count as equal; a range never holds
/// such a pair).
pub fn cmp_values(a: &Value, b: &Value) -> Ordering {
    a.pg_cmp(b).unwrap_or(Ordering::Equal)
}

/// PostgreSQL's `range_cmp_bounds`: the position of two bounds (lower or upper) on the
/// value line.
pub fn cmp_bounds(b1: &RangeBound, b2: &RangeBound) -> Ordering {
    let c = cmp_bound_values(b1, b2);
    if c != Ordering::Equal || b1.value.is_none() || b2.value.is_none() {
        return c;
    }
    // Equal finite values: an exclusive lower bound sits just above the value, an
    // exclusive upper bound just below it.
    let offset = |b: &RangeBound| match (b.inclusive, b.lower) {
        (true, _) => 0,
        (false, true) => 1,
        (false, false) => -1,
    };
    offset(b1).cmp(&offset(b2))
}

/// PostgreSQL's `range_cmp_bound_values`: compares only the values (infinities at the
/// ends), ignoring inclusivity.
pub fn cmp_bound_values(b1: &RangeBound, b2: &RangeBound) -> Ordering {
    let inf_side = |b: &RangeBound| if b.lower { Ordering::Less } else { Ordering::Greater };
    match (&b1.value, &b2.value) {
        (None, None) => {
            if b1.lower == b2.lower {
                Ordering::Equal
            } else {
                inf_side(b1)
            }
        }
        (None, Some(_)) => inf_side(b1),
        (Some(_), None) => inf_side(b2).reverse(),
        (Some(v1), Some(v2)) => cmp_values(v1, v2),
    }
}

/// Whether upper bound `a` and lower bound `b` touch with nothing between them
/// (PostgreSQL's `bounds_adjacent` for canonical ranges: equal values with exactly
/// one side inclusive).
pub fn bounds_adjacent(a: &RangeBound, b: &RangeBound) -> bool {
    match cmp_bound_values(a, b) {
        Ordering::Equal => a.inclusive != b.inclusive,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(v: i32, inc: bool, lower: bool) -> RangeBound {
        RangeBound::finite(Value::Int4(v), inc, lower)
    }

    #[test]
    fn bounds_order_on_one_line() {
        // -inf < [5 = 5] < (5 ; 5) < [5
        assert_eq!(cmp_bounds(&RangeBound::infinite(true), &b(5, true, true)), Ordering::Less);
        assert_eq!(cmp_bounds(&b(5, true, true), &b(5, true, false)), Ordering::Equal);
        assert_eq!(cmp_bounds(&b(5, false, true), &b(5, true, true)), Ordering::Greater);
        assert_eq!(cmp_bounds(&b(5, false, false), &b(5, true, true)), Ordering::Less);
        assert_eq!(cmp_bounds(&b(5, false, false), &b(5, false, true)), Ordering::Less);
        assert_eq!(cmp_bounds(&RangeBound::infinite(false), &b(9, true, false)), Ordering::Greater);
        assert_eq!(
            cmp_bounds(&RangeBound::infinite(true), &RangeBound::infinite(false)),
            Ordering::Less
        );
        assert!(bounds_adjacent(&b(5, false, false), &b(5, true, true)));
        assert!(!bounds_adjacent(&b(5, true, false), &b(5, true, true)));
    }
}
