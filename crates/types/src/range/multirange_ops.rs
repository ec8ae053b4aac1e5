//! The multirange operators of PostgreSQL (`multirangetypes.c`). A range operand is
//! treated as the multirange holding just that range, which gives the same answers as
//! PostgreSQL's separate range/multirange variants.

use super::bound::bounds_adjacent;
use super::{MultirangeValue, RangeValue};
use crate::error::TypeResult;
use crate::Value;

impl RangeValue {
    /// This range as a one-range multirange (`{}` when empty).
    pub fn to_multirange(&self) -> MultirangeValue {
        let ranges = if self.empty { Vec::new() } else { vec![self.clone()] };
        MultirangeValue { ty: self.ty.clone(), ranges }
    }
}

impl MultirangeValue {
    /// `mr @> elem`.
    pub fn contains_value(&self, v: &Value) -> bool {
        self.ranges.iter().any(|r| r.contains_value(v))
    }

    /// `mr1 @> mr2`: every range of `mr2` lies inside one range of `mr1`.
    pub fn contains(&self, other: &MultirangeValue) -> bool {
        other.ranges.iter().all(|r| self.ranges.iter().any(|s| s.contains_range(r)))
    }

    /// `mr1 && mr2`.
    pub fn overlaps(&self, other: &MultirangeValue) -> bool {
        self.ranges.iter().any(|a| other.ranges.iter().any(|b| a.overlaps(b)))
    }

    /// `mr1 << mr2`.
    pub fn before(&self, other: &MultirangeValue) -> bool {
        !self.is_empty() && !other.is_empty() && self.span().before(&other.span())
    }

    /// `mr1 >> mr2`.
    pub fn after(&self, other: &MultirangeValue) -> bool {
        !self.is_empty() && !other.is_empty() && self.span().after(&other.span())
    }

    /// `mr1 &< mr2`.
    pub fn overleft(&self, other: &MultirangeValue) -> bool {
        !self.is_empty() && !other.is_empty() && self.span().overleft(&other.span())
    }

    /// `mr1 &> mr2`.
    pub fn overright(&self, other: &MultirangeValue) -> bool {
        !self.is_empty() && !other.is_empty() && self.span().overright(&other.span())
    }

    /// `mr1 -|- mr2`: the last range of one touches the first of the other.
    pub fn adjacent(&self, other: &MultirangeValue) -> bool {
        let (Some(a_first), Some(a_last)) = (self.ranges.first(), self.ranges.last()) else {
            return false;
        };
        let (Some(b_first), Some(b_last)) = (other.ranges.first(), other.ranges.last()) else {
            return false;
        };
        bounds_adjacent(&a_last.upper, &b_first.lower)
            || bounds_adjacent(&b_last.upper, &a_first.lower)
    }

    /// `mr1 + mr2`.
    pub fn union(&self, other: &MultirangeValue) -> TypeResult<MultirangeValue> {
        let all = self.ranges.iter().chain(&other.ranges).cloned().collect();
        MultirangeValue::new(self.ty.clone(), all)
    }

    /// `mr1 - mr2`.
    pub fn minus(&self, other: &MultirangeValue) -> TypeResult<MultirangeValue> {
        let mut out = Vec::new();
        for r in &self.ranges {
            let mut pieces = vec![r.clone()];
            for s in &other.ranges {
                let mut next = Vec::with_capacity(pieces.len() + 1);
                for p in pieces {
                    let (a, b) = p.minus_parts(s)?;
                    next.push(a);
                    next.extend(b);
                }
                pieces = next;
            }
            out.extend(pieces);
        }
        MultirangeValue::new(self.ty.clone(), out)
    }

    /// `mr1 * mr2`.
    pub fn intersect(&self, other: &MultirangeValue) -> TypeResult<MultirangeValue> {
        let mut out = Vec::new();
        for a in &self.ranges {
            for b in &other.ranges {
                if a.overlaps(b) {
                    out.push(a.intersect(b)?);
                }
            }
        }
        MultirangeValue::new(self.ty.clone(), out)
    }
}

#[cfg(test)]
mod tests {
    use crate::range::multirange::{format_multirange, parse_multirange};
    use crate::range::{MultirangeValue, RangeType};
    use crate::text::TimeZone;
    use crate::Value;

    fn m(s: &str) -> MultirangeValue {
        parse_multirange(s, &RangeType::builtin("int4range").unwrap(), &TimeZone::UTC).unwrap()
    }

    fn t(v: &MultirangeValue) -> String {
        format_multirange(v, &TimeZone::UTC)
    }

    #[test]
    fn set_operations_match_postgres() {
        assert_eq!(t(&m("{[1,5)}").minus(&m("{[2,3)}")).unwrap()), "{[1,2),[3,5)}");
        assert_eq!(
            t(&m("{[1,5),[8,10)}").minus(&m("{[2,3),[4,9)}")).unwrap()),
            "{[1,2),[3,4),[9,10)}"
        );
        assert_eq!(t(&m("{[1,5)}").union(&m("{[5,7),[9,10)}")).unwrap()), "{[1,7),[9,10)}");
        assert_eq!(t(&m("{[1,5),[7,9)}").intersect(&m("{[4,8)}")).unwrap()), "{[4,5),[7,8)}");
        assert_eq!(t(&m("{}").intersect(&m("{[4,8)}")).unwrap()), "{}");
    }

    #[test]
    fn predicates_match_postgres() {
        assert!(m("{[1,5),[7,9)}").contains(&m("{[2,3),[8,9)}")));
        assert!(!m("{[1,5),[7,9)}").contains(&m("{[2,8)}")));
        assert!(m("{[1,5)}").contains(&m("{}")));
        assert!(m("{[1,5),[7,9)}").contains_value(&Value::Int4(8)));
        assert!(!m("{[1,5),[7,9)}").contains_value(&Value::Int4(6)));
        assert!(m("{[1,5)}").adjacent(&m("{[5,6)}")));
        assert!(m("{[1,2)}").before(&m("{[3,4)}")));
        assert!(!m("{}").before(&m("{[3,4)}")));
        assert!(m("{[1,2),[5,6)}").overlaps(&m("{[5,9)}")));
    }
}
