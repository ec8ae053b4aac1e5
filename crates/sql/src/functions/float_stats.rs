//! Statistics over `double precision` inputs: the variance family (`var_pop`,
//! `stddev_samp`, ... over floats) and the two-argument regression family (`covar_pop`,
//! `corr`, `regr_slope`, ...).
//!
//! Sums are kept as PostgreSQL keeps them, with the Youngs-Cramer update: the count N,
//! the sums Sx (and Sy) and the sums of squared deviations from the running mean Sxx
//! (Syy, Sxy) instead of raw sums of squares, which lose precision to cancellation.
//! Identical updates give identical floating-point results, digit for digit. An
//! infinite or NaN input makes the deviation sums NaN (a variance of infinity is not
//! defined); finite inputs whose sums overflow are an error (22003).

use std::any::Any;

use helios_common::{Error, Result, SqlState};
use helios_types::Value;

use super::accumulator::Aggregate;
use super::aggregate::AggregateFunc;

fn overflow() -> Error {
    Error::new(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: overflow")
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Float8(x) => Some(*x),
        Value::Float4(x) => Some(f64::from(*x)),
        Value::Int2(x) => Some(f64::from(*x)),
        Value::Int4(x) => Some(f64::from(*x)),
        #[allow(clippy::cast_precision_loss)]
        Value::Int8(x) => Some(*x as f64),
        _ => None,
    }
}

/// One variable's running count, sum and sum of squared deviations.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Moments {
    n: f64,
    sx: f64,
    sxx: f64,
}

impl Moments {
    /// Adds one value.
    fn add(&mut self, x: f64) -> Result<()> {
        let prev_sx = self.sx;
        self.n += 1.0;
        self.sx += x;
        if self.n > 1.0 {
            let tmp = x * self.n - self.sx;
            self.sxx += tmp * tmp / (self.n * (self.n - 1.0));
            if self.sx.is_infinite() || self.sxx.is_infinite() {
                if !prev_sx.is_infinite() && !x.is_infinite() {
                    return Err(overflow());
                }
                self.sxx = f64::NAN;
            }
        } else if x.is_nan() || x.is_infinite() {
            self.sxx = f64::NAN;
        }
        Ok(())
    }

    /// Combines two partial states (PostgreSQL's `float8_combine`).
    fn combine(&mut self, o: &Moments) -> Result<()> {
        if o.n == 0.0 {
            return Ok(());
        }
        if self.n == 0.0 {
            *self = *o;
            return Ok(());
        }
        let n = self.n + o.n;
        let sx = self.sx + o.sx;
        if sx.is_infinite() && !self.sx.is_infinite() && !o.sx.is_infinite() {
            return Err(overflow());
        }
        let tmp = self.sx / self.n - o.sx / o.n;
        let sxx = self.sxx + o.sxx + self.n * o.n * tmp * tmp / n;
        if sxx.is_infinite() && !self.sxx.is_infinite() && !o.sxx.is_infinite() {
            return Err(overflow());
        }
        *self = Moments { n, sx, sxx };
        Ok(())
    }
}

/// `var_pop`, `var_samp`, `stddev_pop`, `stddev_samp` over floats.
#[derive(Debug)]
pub(crate) struct FloatVariance {
    pub func: AggregateFunc,
    pub m: Moments,
}

impl FloatVariance {
    pub fn new(func: AggregateFunc) -> FloatVariance {
        FloatVariance { func, m: Moments::default() }
    }
}

impl Aggregate for FloatVariance {
    fn accumulate(&mut self, args: &[Value]) -> Result<()> {
        match args.first().and_then(as_f64) {
            Some(x) => self.m.add(x),
            None => Ok(()),
        }
    }
    fn merge(&mut self, o: &dyn Aggregate) -> Result<()> {
        let o = o
            .as_any()
            .downcast_ref::<FloatVariance>()
            .ok_or_else(|| Error::internal("merging variance with another aggregate"))?;
        self.m.combine(&o.m)
    }
    fn finalize(&self) -> Result<Value> {
        let sample = matches!(self.func, AggregateFunc::StddevSamp | AggregateFunc::VarSamp);
        let root = matches!(self.func, AggregateFunc::StddevSamp | AggregateFunc::StddevPop);
        let Moments { n, sxx, .. } = self.m;
        if n == 0.0 || (sample && n <= 1.0) {
            return Ok(Value::Null);
        }
        let var = sxx / if sample { n - 1.0 } else { n };
        Ok(Value::Float8(if root { var.sqrt() } else { var }))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The regression aggregates over pairs `(y, x)`.
#[derive(Debug)]
pub(crate) struct Regression {
    func: AggregateFunc,
    n: f64,
    sx: f64,
    sxx: f64,
    sy: f64,
    syy: f64,
    sxy: f64,
}

impl Regression {
    pub fn new(func: AggregateFunc) -> Regression {
        Regression { func, n: 0.0, sx: 0.0, sxx: 0.0, sy: 0.0, syy: 0.0, sxy: 0.0 }
    }

    fn add(&mut self, y: f64, x: f64) -> Result<()> {
        let (prev_sx, prev_sy) = (self.sx, self.sy);
        self.n += 1.0;
        self.sx += x;
        self.sy += y;
        if self.n > 1.0 {
            let tx = x * self.n - self.sx;
            let ty = y * self.n - self.sy;
            let scale = 1.0 / (self.n * (self.n - 1.0));
            self.sxx += tx * tx * scale;
            self.syy += ty * ty * scale;
            self.sxy += tx * ty * scale;
            if self.sx.is_infinite() || self.sxx.is_infinite() {
                if !prev_sx.is_infinite() && !x.is_infinite() {
                    return Err(overflow());
                }
                self.sxx = f64::NAN;
            }
            if self.sy.is_infinite() || self.syy.is_infinite() {
                if !prev_sy.is_infinite() && !y.is_infinite() {
                    return Err(overflow());
                }
                self.syy = f64::NAN;
            }
            if self.sxy.is_infinite() {
                if !prev_sx.is_infinite()
                    && !x.is_infinite()
                    && !prev_sy.is_infinite()
                    && !y.is_infinite()
                {
                    return Err(overflow());
                }
                self.sxy = f64::NAN;
            }
        } else {
            if x.is_nan() || x.is_infinite() {
                self.sxx = f64::NAN;
                self.sxy = f64::NAN;
            }
            if y.is_nan() || y.is_infinite() {
                self.syy = f64::NAN;
                self.sxy = f64::NAN;
            }
        }
        Ok(())
    }
}

impl Aggregate for Regression {
    fn accumulate(&mut self, args: &[Value]) -> Result<()> {
        match (args.first().and_then(as_f64), args.get(1).and_then(as_f64)) {
            (Some(y), Some(x)) => self.add(y, x),
            _ => Ok(()),
        }
    }
    fn merge(&mut self, o: &dyn Aggregate) -> Result<()> {
        let o = o
            .as_any()
            .downcast_ref::<Regression>()
            .ok_or_else(|| Error::internal("merging regression with another aggregate"))?;
        if o.n == 0.0 {
            return Ok(());
        }
        if self.n == 0.0 {
            *self = Regression { func: self.func, ..*o };
            return Ok(());
        }
        let n = self.n + o.n;
        let tx = self.sx / self.n - o.sx / o.n;
        let ty = self.sy / self.n - o.sy / o.n;
        let w = self.n * o.n / n;
        self.sxx += o.sxx + w * tx * tx;
        self.syy += o.syy + w * ty * ty;
        self.sxy += o.sxy + w * tx * ty;
        self.sx += o.sx;
        self.sy += o.sy;
        self.n = n;
        Ok(())
    }
    fn finalize(&self) -> Result<Value> {
        use AggregateFunc as F;
        let n = self.n;
        if self.func == F::RegrCount {
            #[allow(clippy::cast_possible_truncation)]
            return Ok(Value::Int8(n as i64));
        }
        let min = if self.func == F::CovarSamp { 2.0 } else { 1.0 };
        if n < min {
            return Ok(Value::Null);
        }
        let v = match self.func {
            F::RegrSxx => self.sxx,
            F::RegrSyy => self.syy,
            F::RegrSxy => self.sxy,
            F::RegrAvgX => self.sx / n,
            F::RegrAvgY => self.sy / n,
            F::CovarPop => self.sxy / n,
            F::CovarSamp => self.sxy / (n - 1.0),
            F::Corr => {
                if self.sxx == 0.0 || self.syy == 0.0 {
                    return Ok(Value::Null);
                }
                self.sxy / (self.sxx * self.syy).sqrt()
            }
            F::RegrR2 => {
                if self.sxx == 0.0 {
                    return Ok(Value::Null);
                }
                if self.syy == 0.0 {
                    1.0
                } else {
                    self.sxy * self.sxy / (self.sxx * self.syy)
                }
            }
            F::RegrSlope => {
                if self.sxx == 0.0 {
                    return Ok(Value::Null);
                }
                self.sxy / self.sxx
            }
            F::RegrIntercept => {
                if self.sxx == 0.0 {
                    return Ok(Value::Null);
                }
                (self.sy - self.sx * self.sxy / self.sxx) / n
            }
            other => return Err(Error::internal(format!("{} is not a regression", other.name()))),
        };
        Ok(Value::Float8(v))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(func: AggregateFunc, pairs: &[(f64, f64)]) -> Value {
        let mut r = Regression::new(func);
        for (y, x) in pairs {
            r.accumulate(&[Value::Float8(*y), Value::Float8(*x)]).expect("accumulate");
        }
        r.finalize().expect("finalize")
    }

    #[test]
    fn regression_matches_postgres() {
        // PostgreSQL 15 over (y, x) = (1,1), (2,2), (4,3).
        let pts = [(1.0, 1.0), (2.0, 2.0), (4.0, 3.0)];
        assert_eq!(run(AggregateFunc::RegrSlope, &pts), Value::Float8(1.5));
        assert_eq!(run(AggregateFunc::Corr, &pts), Value::Float8(0.9819805060619659));
        assert_eq!(run(AggregateFunc::RegrIntercept, &pts), Value::Float8(-0.6666666666666666));
        assert_eq!(run(AggregateFunc::RegrR2, &pts), Value::Float8(0.9642857142857144));
        assert_eq!(run(AggregateFunc::CovarPop, &pts), Value::Float8(1.0));
        assert_eq!(run(AggregateFunc::RegrSxx, &pts), Value::Float8(2.0));
        assert_eq!(run(AggregateFunc::RegrCount, &pts), Value::Int8(3));
        assert_eq!(run(AggregateFunc::CovarSamp, &pts[..1]), Value::Null);
        assert_eq!(run(AggregateFunc::RegrCount, &[]), Value::Int8(0));
        match run(AggregateFunc::RegrSxx, &[(1.0, f64::INFINITY)]) {
            Value::Float8(v) => assert!(v.is_nan()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn variance_of_infinity_is_nan_and_overflow_is_an_error() {
        let mut v = FloatVariance::new(AggregateFunc::VarPop);
        v.accumulate(&[Value::Float8(f64::INFINITY)]).expect("inf");
        assert!(matches!(v.finalize().expect("final"), Value::Float8(x) if x.is_nan()));
        let mut v = FloatVariance::new(AggregateFunc::VarPop);
        v.accumulate(&[Value::Float8(1e308)]).expect("first");
        let e = v.accumulate(&[Value::Float8(1e308)]).expect_err("overflow");
        assert_eq!(e.sqlstate().code(), "22003");
    }
}
