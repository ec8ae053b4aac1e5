//! Ordered-set aggregates: `percentile_cont(f)`, `percentile_disc(f)` and `mode()`
//! `WITHIN GROUP (ORDER BY x)`.
//!
//! The executor sorts the group's rows by the WITHIN GROUP key before feeding them (the
//! key is the first argument, the fraction the second), so the state only keeps the
//! sorted values; rows whose key is NULL are skipped, as in PostgreSQL.

use std::any::Any;

use helios_common::{Error, Result, SqlState};
use helios_types::{Interval, Value};

use super::accumulator::Aggregate;
use super::aggregate::AggregateFunc;
use crate::expr::num::to_f64;

/// The sorted values of one group and the fraction asked for.
#[derive(Debug)]
pub struct OrderedSet {
    func: AggregateFunc,
    values: Vec<Value>,
    fraction: Option<f64>,
}

impl OrderedSet {
    /// A fresh state for `func`.
    pub fn new(func: AggregateFunc) -> OrderedSet {
        OrderedSet { func, values: Vec::new(), fraction: None }
    }

    fn fraction(&self) -> Result<f64> {
        let f = self.fraction.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&f) {
            return Err(Error::new(
                SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                format!("percentile value {f} is not between 0 and 1"),
            ));
        }
        Ok(f)
    }
}

impl Aggregate for OrderedSet {
    fn accumulate(&mut self, args: &[Value]) -> Result<()> {
        let Some(v) = args.first().filter(|v| !v.is_null()) else { return Ok(()) };
        if self.fraction.is_none() {
            if let Some(f) = args.get(1) {
                self.fraction = to_f64(f);
            }
        }
        self.values.push(v.clone());
        Ok(())
    }
    fn merge(&mut self, _o: &dyn Aggregate) -> Result<()> {
        Err(Error::unsupported("merging partial ordered-set aggregate states"))
    }
    fn finalize(&self) -> Result<Value> {
        let n = self.values.len();
        if n == 0 {
            return Ok(Value::Null);
        }
        match self.func {
            AggregateFunc::PercentileDisc => {
                let f = self.fraction()?;
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let row = (f * n as f64).ceil() as usize;
                Ok(self.values[row.clamp(1, n) - 1].clone())
            }
            AggregateFunc::PercentileCont => {
                let f = self.fraction()?;
                let pos = f * (n - 1) as f64;
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
                let (a, b) = (&self.values[lo.min(n - 1)], &self.values[hi.min(n - 1)]);
                let t = pos - lo as f64;
                match (a, b) {
                    (Value::Interval(x), Value::Interval(y)) => {
                        if hi == lo {
                            return Ok(a.clone());
                        }
                        Ok(Value::Interval(lerp_interval(x, y, t)))
                    }
                    _ => {
                        let (x, y) = (to_f64(a).unwrap_or(f64::NAN), to_f64(b).unwrap_or(f64::NAN));
                        Ok(Value::Float8(if hi == lo { x } else { x + t * (y - x) }))
                    }
                }
            }
            AggregateFunc::Mode => {
                // The most frequent value; among equally frequent ones the first in
                // sort order.
                let mut best = (0usize, 0usize);
                let mut start = 0;
                for i in 1..=n {
                    if i == n || !self.values[i].pg_eq(&self.values[start]) {
                        if i - start > best.1 {
                            best = (start, i - start);
                        }
                        start = i;
                    }
                }
                Ok(self.values[best.0].clone())
            }
            other => {
                Err(Error::internal(format!("{} is not an ordered-set aggregate", other.name())))
            }
        }
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `x + (y - x) * t` on intervals, the product spilling fractional months into days
/// (30 each) and fractional days into time, as PostgreSQL's interval multiplication.
#[allow(clippy::cast_possible_truncation)]
fn lerp_interval(x: &Interval, y: &Interval, t: f64) -> Interval {
    let months = f64::from(y.months - x.months) * t;
    let whole_months = months.trunc();
    let month_days = (months - whole_months) * 30.0;
    let days = f64::from(y.days - x.days) * t;
    let whole_days = days.trunc();
    let spill_secs = (days - whole_days + month_days - month_days.trunc()) * 86_400.0;
    let micros = ((y.micros - x.micros) as f64 * t + spill_secs * 1e6).round();
    Interval {
        months: x.months + whole_months as i32,
        days: x.days + whole_days as i32 + month_days.trunc() as i32,
        micros: x.micros + micros as i64,
    }
}
