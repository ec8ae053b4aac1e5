//! The range operators and functions of PostgreSQL (`rangetypes.c`): containment,
//! overlap, position (`<<`, `>>`, `&<`, `&>`), adjacency, union, intersection,
//! difference and `range_merge`.

use std::cmp::Ordering;

use helios_common::SqlState;

use super::bound::{bounds_adjacent, cmp_bounds};
use super::RangeValue;
use crate::error::{TypeError, TypeResult};

impl RangeValue {
    /// `r1 @> r2`: an empty `r2` is contained in everything.
    pub fn contains_range(&self, other: &RangeValue) -> bool {
        if other.empty {
            return true;
        }
        if self.empty {
            return false;
        }
        cmp_bounds(&self.lower, &other.lower) != Ordering::Greater
            && cmp_bounds(&self.upper, &other.upper) != Ordering::Less
    }

    /// `r1 && r2`.
    pub fn overlaps(&self, other: &RangeValue) -> bool {
        if self.empty || other.empty {
            return false;
        }
        (cmp_bounds(&self.lower, &other.lower) != Ordering::Less
            && cmp_bounds(&self.lower, &other.upper) != Ordering::Greater)
            || (cmp_bounds(&other.lower, &self.lower) != Ordering::Less
                && cmp_bounds(&other.lower, &self.upper) != Ordering::Greater)
    }

    /// `r1 << r2`: strictly left of.
    pub fn before(&self, other: &RangeValue) -> bool {
        !self.empty && !other.empty && cmp_bounds(&self.upper, &other.lower) == Ordering::Less
    }

    /// `r1 >> r2`: strictly right of.
    pub fn after(&self, other: &RangeValue) -> bool {
        !self.empty && !other.empty && cmp_bounds(&self.lower, &other.upper) == Ordering::Greater
    }

    /// `r1 &< r2`: does not extend to the right of.
    pub fn overleft(&self, other: &RangeValue) -> bool {
        !self.empty && !other.empty && cmp_bounds(&self.upper, &other.upper) != Ordering::Greater
    }

    /// `r1 &> r2`: does not extend to the left of.
    pub fn overright(&self, other: &RangeValue) -> bool {
        !self.empty && !other.empty && cmp_bounds(&self.lower, &other.lower) != Ordering::Less
    }

    /// `r1 -|- r2`.
    pub fn adjacent(&self, other: &RangeValue) -> bool {
        !self.empty
            && !other.empty
            && (bounds_adjacent(&self.upper, &other.lower)
                || bounds_adjacent(&other.upper, &self.lower))
    }

    /// The smallest range covering both (`range_merge`, and `+` without its check).
    fn span(&self, other: &RangeValue) -> TypeResult<RangeValue> {
        if self.empty {
            return Ok(other.clone());
        }
        if other.empty {
            return Ok(self.clone());
        }
        let lower = if cmp_bounds(&self.lower, &other.lower) == Ordering::Greater {
            &other.lower
        } else {
            &self.lower
        };
        let upper = if cmp_bounds(&self.upper, &other.upper) == Ordering::Less {
            &other.upper
        } else {
            &self.upper
        };
        RangeValue::new(self.ty.clone(), lower.clone(), upper.clone())
    }

    /// `range_merge(r1, r2)`: the smallest range containing both.
    pub fn merge(&self, other: &RangeValue) -> TypeResult<RangeValue> {
        self.span(other)
    }

    /// `r1 + r2`. Error: 22000 `result of range union would not be contiguous`.
    pub fn union(&self, other: &RangeValue) -> TypeResult<RangeValue> {
        if !self.empty && !other.empty && !self.overlaps(other) && !self.adjacent(other) {
            return Err(TypeError::other(
                SqlState::DATA_EXCEPTION,
                "result of range union would not be contiguous",
            ));
        }
        self.span(other)
    }

    /// `r1 * r2`.
    pub fn intersect(&self, other: &RangeValue) -> TypeResult<RangeValue> {
        if self.empty || other.empty || !self.overlaps(other) {
            return Ok(RangeValue::empty(self.ty.clone()));
        }
        let lower = if cmp_bounds(&self.lower, &other.lower) == Ordering::Less {
            &other.lower
        } else {
            &self.lower
        };
        let upper = if cmp_bounds(&self.upper, &other.upper) == Ordering::Greater {
            &other.upper
        } else {
            &self.upper
        };
        RangeValue::new(self.ty.clone(), lower.clone(), upper.clone())
    }

    /// `r1 - r2`. Error: 22000 `result of range difference would not be contiguous`.
    pub fn minus(&self, other: &RangeValue) -> TypeResult<RangeValue> {
        match self.minus_parts(other)? {
            (a, None) => Ok(a),
            (_, Some(_)) => Err(TypeError::other(
                SqlState::DATA_EXCEPTION,
                "result of range difference would not be contiguous",
            )),
        }
    }

    /// `r1 - r2` as up to two pieces (the second only when `r2` splits `r1`); the
    /// multirange difference uses both.
    pub fn minus_parts(&self, other: &RangeValue) -> TypeResult<(RangeValue, Option<RangeValue>)> {
        if self.empty || other.empty {
            return Ok((self.clone(), None));
        }
        let l1l2 = cmp_bounds(&self.lower, &other.lower);
        let l1u2 = cmp_bounds(&self.lower, &other.upper);
        let u1l2 = cmp_bounds(&self.upper, &other.lower);
        let u1u2 = cmp_bounds(&self.upper, &other.upper);
        if l1l2 == Ordering::Less && u1u2 == Ordering::Greater {
            let left = RangeValue::new(self.ty.clone(), self.lower.clone(), other.lower.flipped())?;
            let right =
                RangeValue::new(self.ty.clone(), other.upper.flipped(), self.upper.clone())?;
            return Ok((left, Some(right)));
        }
        if l1u2 == Ordering::Greater || u1l2 == Ordering::Less {
            return Ok((self.clone(), None));
        }
        if l1l2 != Ordering::Less && u1u2 != Ordering::Greater {
            return Ok((RangeValue::empty(self.ty.clone()), None));
        }
        if l1l2 != Ordering::Greater && u1l2 != Ordering::Less && u1u2 != Ordering::Greater {
            let r = RangeValue::new(self.ty.clone(), self.lower.clone(), other.lower.flipped())?;
            return Ok((r, None));
        }
        if l1l2 != Ordering::Less && u1u2 != Ordering::Less && l1u2 != Ordering::Greater {
            let r = RangeValue::new(self.ty.clone(), other.upper.flipped(), self.upper.clone())?;
            return Ok((r, None));
        }
        Err(TypeError::other(SqlState::INTERNAL_ERROR, "unexpected case in range_minus"))
    }
}

#[cfg(test)]
mod tests {
    use crate::range::text::{format_range, parse_range};
    use crate::range::{RangeType, RangeValue};
    use crate::text::TimeZone;

    fn r(s: &str) -> RangeValue {
        parse_range(s, &RangeType::builtin("numrange").unwrap(), &TimeZone::UTC).unwrap()
    }

    fn i(s: &str) -> RangeValue {
        parse_range(s, &RangeType::builtin("int4range").unwrap(), &TimeZone::UTC).unwrap()
    }

    fn t(v: &RangeValue) -> String {
        format_range(v, &TimeZone::UTC)
    }

    #[test]
    fn set_operations_match_postgres() {
        assert_eq!(t(&r("[1.1,2.2)").minus(&r("[2.0,3.0)")).unwrap()), "[1.1,2.0)");
        assert_eq!(t(&r("[1.1,2.2)").minus(&r("[2.2,3.0)")).unwrap()), "[1.1,2.2)");
        assert_eq!(t(&r("[10.1,12.2]").minus(&r("(0.0,120.2]")).unwrap()), "empty");
        assert!(r("[1,10)").minus(&r("[2,3)")).is_err());
        assert_eq!(t(&r("[1.0,2.0)").union(&r("[2.0,3.0)")).unwrap()), "[1.0,3.0)");
        assert!(r("[1.0,2.0)").union(&r("[2.5,3.0)")).is_err());
        assert_eq!(t(&r("[1.0,2.0)").merge(&r("[2.5,3.0)")).unwrap()), "[1.0,3.0)");
        assert_eq!(t(&r("[1.0,2.0)").intersect(&r("[1.5,3.0)")).unwrap()), "[1.5,2.0)");
        assert_eq!(t(&r("[1.0,2.0)").intersect(&r("[2.5,3.0)")).unwrap()), "empty");
        assert_eq!(t(&i("[1,10)").minus(&i("[5,20)")).unwrap()), "[1,5)");
    }

    #[test]
    fn predicates_match_postgres() {
        assert!(r("[2.0,3.0)").adjacent(&r("[3.0,4.0)")));
        assert!(!r("[2.0,3.0)").adjacent(&r("[3.1,4.0)")));
        assert!(r("[2.0,3.0]").adjacent(&r("(3.0,4.0)")));
        assert!(r("[1.0,2.0)").adjacent(&r("[2.0,3.0]")));
        assert!(r("(2.0,3.0]").adjacent(&r("(1.0,2.0]")));
        assert!(r("[4.5,5.5]").overlaps(&r("[5.5,6.5)")));
        assert!(r("[1.0,2.0)").before(&r("[3.0,4.0)")));
        assert!(!r("[1.0,3.0]").before(&r("[3.0,4.0]")));
        assert!(r("(1.0,3.0)").before(&r("(3.0,4.0)")));
        assert!(r("[3.0,70.0)").overleft(&r("[6.6,100.0)")));
        assert!(i("[1,5)").adjacent(&i("[5,7)")));
        assert!(i("[1,5)").contains_range(&i("empty")));
    }
}
