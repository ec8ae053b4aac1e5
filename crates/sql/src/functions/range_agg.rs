//! The range aggregates: `range_agg` (union of ranges or multiranges, as a multirange)
//! and `range_intersect_agg` (intersection, of the input's type). Both skip NULLs and
//! return NULL over no rows.

use std::any::Any;
use std::sync::Arc;

use helios_common::{Error, Result};
use helios_types::{DataType, MultirangeValue, Value};

use crate::functions::accumulator::Aggregate;

/// The state of `range_agg` or `range_intersect_agg`.
#[derive(Debug)]
pub struct RangeAgg {
    /// Whether this is `range_intersect_agg`.
    intersect: bool,
    /// Whether the input (and, for the intersection, the result) is a range type
    /// rather than a multirange type.
    range_input: bool,
    /// The union or intersection so far; `None` before the first row.
    acc: Option<MultirangeValue>,
    /// The input ranges of `range_agg`, merged once at the end.
    pending: Vec<helios_types::RangeValue>,
}

impl RangeAgg {
    /// A `range_agg` state for inputs of type `input`.
    pub fn union(input: &DataType) -> RangeAgg {
        RangeAgg {
            intersect: false,
            range_input: matches!(input, DataType::Range(_)),
            acc: None,
            pending: Vec::new(),
        }
    }

    /// A `range_intersect_agg` state for inputs of type `input`.
    pub fn intersection(input: &DataType) -> RangeAgg {
        RangeAgg { intersect: true, ..RangeAgg::union(input) }
    }
}

fn as_multi(v: &Value) -> Result<MultirangeValue> {
    match v {
        Value::Range(r) => Ok(r.to_multirange()),
        Value::Multirange(m) => Ok((**m).clone()),
        _ => Err(Error::internal("range aggregate over a non-range value")),
    }
}

impl Aggregate for RangeAgg {
    fn accumulate(&mut self, args: &[Value]) -> Result<()> {
        let Some(v) = args.first().filter(|v| !v.is_null()) else {
            return Ok(());
        };
        let m = as_multi(v)?;
        if self.intersect {
            self.acc = Some(match self.acc.take() {
                None => m,
                Some(acc) => acc.intersect(&m)?,
            });
        } else {
            if self.acc.is_none() {
                self.acc = Some(MultirangeValue::empty(m.ty.clone()));
            }
            self.pending.extend(m.ranges);
        }
        Ok(())
    }

    fn merge(&mut self, o: &dyn Aggregate) -> Result<()> {
        let o = o
            .as_any()
            .downcast_ref::<RangeAgg>()
            .ok_or_else(|| Error::internal("merging a range aggregate with another aggregate"))?;
        let Some(theirs) = &o.acc else { return Ok(()) };
        if self.intersect {
            self.acc = Some(match self.acc.take() {
                None => theirs.clone(),
                Some(acc) => acc.intersect(theirs)?,
            });
        } else {
            if self.acc.is_none() {
                self.acc = Some(theirs.clone());
            }
            self.pending.extend(o.pending.iter().cloned());
        }
        Ok(())
    }

    fn finalize(&self) -> Result<Value> {
        let Some(acc) = &self.acc else { return Ok(Value::Null) };
        let result = if self.intersect {
            acc.clone()
        } else {
            MultirangeValue::new(acc.ty.clone(), self.pending.clone())?
        };
        if self.intersect && self.range_input {
            // The intersection of ranges is one range (or empty).
            return Ok(Value::Range(Arc::new(result.span())));
        }
        Ok(Value::Multirange(Arc::new(result)))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use helios_types::{RangeType, TimeZone};

    fn r(s: &str) -> Value {
        let t = RangeType::builtin("int4range").unwrap();
        Value::Range(Arc::new(helios_types::range::parse_range(s, &t, &TimeZone::UTC).unwrap()))
    }

    #[test]
    fn union_and_intersection() {
        let t = DataType::Range(RangeType::builtin("int4range").unwrap());
        let mut u = RangeAgg::union(&t);
        let mut i = RangeAgg::intersection(&t);
        assert_eq!(u.finalize().unwrap(), Value::Null);
        for v in [r("[1,5)"), Value::Null, r("[3,8)"), r("[10,12)")] {
            u.accumulate(std::slice::from_ref(&v)).unwrap();
            i.accumulate(std::slice::from_ref(&v)).unwrap();
        }
        assert_eq!(u.finalize().unwrap().to_pg_text(), "{[1,8),[10,12)}");
        assert_eq!(i.finalize().unwrap().to_pg_text(), "empty");
        let mut i2 = RangeAgg::intersection(&t);
        for v in [r("[1,5)"), r("[3,8)")] {
            i2.accumulate(std::slice::from_ref(&v)).unwrap();
        }
        assert_eq!(i2.finalize().unwrap().to_pg_text(), "[3,5)");
    }
}
