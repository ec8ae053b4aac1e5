//! Aggregate states: the [`Aggregate`] trait the executor drives and one state type per
//! family of aggregate.
//!
//! The executor creates a state per group with [`AggregateFunc::create`], feeds it the
//! argument values of each row that survived FILTER / DISTINCT / ORDER BY (those are
//! the executor's job), and reads the result with [`Aggregate::finalize`]. States skip
//! rows with a NULL argument where PostgreSQL's aggregate is strict (everything but
//! `count(*)`, `array_agg` and the json aggregates), and return NULL over no input
//! (except `count`, which returns 0).

use std::any::Any;
use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use bigdecimal::{BigDecimal, RoundingMode, Zero};
use helios_common::{Error, Result, SqlState};
use helios_types::{Array, DataType, Interval, Numeric, Value};
use serde_json::Value as Json;

use crate::expr::compare::compare;
use crate::expr::num::out_of_range;
use crate::expr::{numeric_div, numeric_sqrt};
use crate::functions::aggregate::AggregateFunc;

/// The running state of one aggregate over one group.
pub trait Aggregate: fmt::Debug + Send {
    /// Feeds one input row's argument values.
    fn accumulate(&mut self, args: &[Value]) -> Result<()>;
    /// Folds another state of the same aggregate (from another partition of the same
    /// group) into this one. States that cannot merge cheaply return 0A000.
    fn merge(&mut self, other: &dyn Aggregate) -> Result<()>;
    /// The aggregate's result for the rows fed so far.
    fn finalize(&self) -> Result<Value>;
    /// For [`Aggregate::merge`] implementations.
    fn as_any(&self) -> &dyn Any;
}

impl AggregateFunc {
    /// A fresh state. `arg_types` are the (coerced) argument types from
    /// [`AggregateFunc::resolve`].
    pub fn create(&self, arg_types: &[DataType]) -> Box<dyn Aggregate> {
        let first = arg_types.first().cloned().unwrap_or(DataType::Unknown);
        match self {
            AggregateFunc::Sum | AggregateFunc::Avg if matches!(first, DataType::Vector(_)) => {
                Box::new(crate::functions::vector::VectorAgg::new(*self == AggregateFunc::Avg))
            }
            AggregateFunc::User => Box::new(UserState),
            AggregateFunc::CountStar => Box::new(Count { n: 0, star: true }),
            AggregateFunc::Count => Box::new(Count { n: 0, star: false }),
            AggregateFunc::Sum => Box::new(Sum { ty: first, state: None }),
            AggregateFunc::Avg => Box::new(Avg { sum: None, n: 0 }),
            AggregateFunc::Min => Box::new(MinMax { best: None, max: false }),
            AggregateFunc::Max => Box::new(MinMax { best: None, max: true }),
            AggregateFunc::BoolAnd => Box::new(BoolAgg { acc: None, and: true }),
            AggregateFunc::BoolOr => Box::new(BoolAgg { acc: None, and: false }),
            AggregateFunc::BitAnd => Box::new(BitAgg { acc: None, and: true }),
            AggregateFunc::BitOr => Box::new(BitAgg { acc: None, and: false }),
            AggregateFunc::StringAgg => {
                Box::new(StringAgg { acc: None, bytes: first == DataType::Bytea })
            }
            AggregateFunc::ArrayAgg => {
                Box::new(ArrayAgg { elem: first, items: Vec::new(), any: false })
            }
            AggregateFunc::JsonAgg | AggregateFunc::JsonbAgg => {
                Box::new(JsonAgg { items: None, jsonb: *self == AggregateFunc::JsonbAgg })
            }
            AggregateFunc::JsonObjectAgg | AggregateFunc::JsonbObjectAgg => {
                Box::new(JsonObjectAgg {
                    items: None,
                    jsonb: *self == AggregateFunc::JsonbObjectAgg,
                })
            }
            AggregateFunc::RegrCount
            | AggregateFunc::RegrSxx
            | AggregateFunc::RegrSyy
            | AggregateFunc::RegrSxy
            | AggregateFunc::RegrAvgX
            | AggregateFunc::RegrAvgY
            | AggregateFunc::RegrR2
            | AggregateFunc::RegrSlope
            | AggregateFunc::RegrIntercept
            | AggregateFunc::CovarPop
            | AggregateFunc::CovarSamp
            | AggregateFunc::Corr => Box::new(super::float_stats::Regression::new(*self)),
            AggregateFunc::RangeAgg => Box::new(super::range_agg::RangeAgg::union(&first)),
            AggregateFunc::RangeIntersectAgg => {
                Box::new(super::range_agg::RangeAgg::intersection(&first))
            }
            AggregateFunc::PercentileCont | AggregateFunc::PercentileDisc | AggregateFunc::Mode => {
                Box::new(super::ordered_set::OrderedSet::new(*self))
            }
            AggregateFunc::StddevSamp
            | AggregateFunc::StddevPop
            | AggregateFunc::VarSamp
            | AggregateFunc::VarPop
                if matches!(first, DataType::Float4 | DataType::Float8) =>
            {
                Box::new(super::float_stats::FloatVariance::new(*self))
            }
            AggregateFunc::StddevSamp
            | AggregateFunc::StddevPop
            | AggregateFunc::VarSamp
            | AggregateFunc::VarPop => Box::new(Variance {
                func: *self,
                n: 0,
                sum: BigDecimal::zero(),
                sumsq: BigDecimal::zero(),
                special: false,
            }),
        }
    }
}

fn cannot_merge(what: &str) -> Error {
    Error::unsupported(format!("merging partial {what} states"))
}

fn other<'a, T: 'static>(o: &'a dyn Aggregate, what: &str) -> Result<&'a T> {
    o.as_any()
        .downcast_ref::<T>()
        .ok_or_else(|| Error::internal(format!("merging {what} with another aggregate")))
}

#[derive(Debug)]
struct Count {
    n: i64,
    star: bool,
}

impl Aggregate for Count {
    fn accumulate(&mut self, args: &[Value]) -> Result<()> {
        if self.star || !args.iter().any(Value::is_null) {
            self.n += 1;
        }
        Ok(())
    }
    fn merge(&mut self, o: &dyn Aggregate) -> Result<()> {
        self.n += other::<Count>(o, "count")?.n;
        Ok(())
    }
    fn finalize(&self) -> Result<Value> {
        Ok(Value::Int8(self.n))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The accumulator slot of a user-defined aggregate, which the executor folds itself
/// (its functions need the executor's context): feeding it is an internal error.
#[derive(Debug)]
struct UserState;

impl Aggregate for UserState {
    fn accumulate(&mut self, _args: &[Value]) -> Result<()> {
        Err(Error::internal("a user-defined aggregate was fed as a built-in one"))
    }
    fn merge(&mut self, _o: &dyn Aggregate) -> Result<()> {
        Err(Error::internal("a user-defined aggregate was merged as a built-in one"))
    }
    fn finalize(&self) -> Result<Value> {
        Err(Error::internal("a user-defined aggregate was finished as a built-in one"))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Running sums in the widest representation the input needs.
#[derive(Debug, Clone)]
enum SumState {
    Int(i128),
    Dec(BigDecimal),
    Special(Numeric),
    F4(f32),
    F8(f64),
    Iv(Interval),
}

#[derive(Debug)]
struct Sum {
    ty: DataType,
    state: Option<SumState>,
}

fn add_to(state: Option<SumState>, v: &Value) -> Result<SumState> {
    Ok(match (state, v) {
        (None, Value::Int2(_) | Value::Int4(_) | Value::Int8(_)) => {
            SumState::Int(i128::from(crate::expr::num::to_i64(v).unwrap_or(0)))
        }
        (Some(SumState::Int(s)), Value::Int2(_) | Value::Int4(_) | Value::Int8(_)) => {
            SumState::Int(s + i128::from(crate::expr::num::to_i64(v).unwrap_or(0)))
        }
        (None, Value::Numeric(Numeric::Finite(d))) => SumState::Dec(d.as_ref().clone()),
        (Some(SumState::Dec(s)), Value::Numeric(Numeric::Finite(d))) => {
            SumState::Dec(s + d.as_ref())
        }
        (Some(SumState::Special(n)), Value::Numeric(x)) => SumState::Special(add_special(&n, x)),
        (_, Value::Numeric(x)) => SumState::Special(x.clone()),
        (None, Value::Float4(f)) => SumState::F4(*f),
        (Some(SumState::F4(s)), Value::Float4(f)) => SumState::F4(s + f),
        (None, Value::Float8(f)) => SumState::F8(*f),
        (Some(SumState::F8(s)), Value::Float8(f)) => SumState::F8(s + f),
        (None, Value::Interval(i)) => SumState::Iv(*i),
        (Some(SumState::Iv(s)), Value::Interval(i)) => SumState::Iv(Interval {
            months: s.months.checked_add(i.months).ok_or_else(|| out_of_range("interval"))?,
            days: s.days.checked_add(i.days).ok_or_else(|| out_of_range("interval"))?,
            micros: s.micros.checked_add(i.micros).ok_or_else(|| out_of_range("interval"))?,
        }),
        (_, other) => return Err(Error::internal(format!("sum over {}", other.data_type()))),
    })
}

/// Adds to a running sum that is already NaN or infinite.
fn add_special(acc: &Numeric, x: &Numeric) -> Numeric {
    match (acc, x) {
        (Numeric::NaN, _) | (_, Numeric::NaN) => Numeric::NaN,
        (Numeric::PosInf, Numeric::NegInf) | (Numeric::NegInf, Numeric::PosInf) => Numeric::NaN,
        (Numeric::Finite(_), other) => other.clone(),
        (other, _) => other.clone(),
    }
}

fn sum_value(state: &SumState, ty: &DataType) -> Result<Value> {
    Ok(match state {
        SumState::Int(s) => match ty {
            DataType::Int2 | DataType::Int4 => {
                Value::Int8(i64::try_from(*s).map_err(|_| out_of_range("bigint"))?)
            }
            _ => Value::Numeric(Numeric::finite(BigDecimal::from(*s))),
        },
        SumState::Dec(d) => Value::Numeric(Numeric::finite(d.clone())),
        SumState::Special(n) => Value::Numeric(n.clone()),
        SumState::F4(f) => Value::Float4(*f),
        SumState::F8(f) => Value::Float8(*f),
        SumState::Iv(i) => Value::Interval(*i),
    })
}

impl Aggregate for Sum {
    fn accumulate(&mut self, args: &[Value]) -> Result<()> {
        let Some(v) = args.first().filter(|v| !v.is_null()) else { return Ok(()) };
        if let (Some(SumState::Int(s)), Value::Int8(x)) = (&mut self.state, v) {
            // The common case in place (an i128 cannot overflow from i64 additions).
            *s += i128::from(*x);
            return Ok(());
        }
        self.state = Some(add_to(self.state.take(), v)?);
        Ok(())
    }
    fn merge(&mut self, o: &dyn Aggregate) -> Result<()> {
        let Some(theirs) = &other::<Sum>(o, "sum")?.state else { return Ok(()) };
        self.state = Some(match (self.state.take(), theirs) {
            (None, t) => t.clone(),
            (Some(SumState::Int(a)), SumState::Int(b)) => SumState::Int(a + b),
            (Some(SumState::Dec(a)), SumState::Dec(b)) => SumState::Dec(a + b),
            (Some(SumState::F4(a)), SumState::F4(b)) => SumState::F4(a + b),
            (Some(SumState::F8(a)), SumState::F8(b)) => SumState::F8(a + b),
            (Some(mine), SumState::Iv(b)) => add_to(Some(mine), &Value::Interval(*b))?,
            _ => return Err(cannot_merge("sum")),
        });
        Ok(())
    }
    fn finalize(&self) -> Result<Value> {
        self.state.as_ref().map_or(Ok(Value::Null), |s| sum_value(s, &self.ty))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[derive(Debug)]
struct Avg {
    sum: Option<SumState>,
    n: i64,
}

impl Aggregate for Avg {
    fn accumulate(&mut self, args: &[Value]) -> Result<()> {
        let Some(v) = args.first().filter(|v| !v.is_null()) else { return Ok(()) };
        // avg(real) accumulates in double precision, as PostgreSQL's float4_accum does.
        let widened;
        let v = match v {
            Value::Float4(f) => {
                widened = Value::Float8(f64::from(*f));
                &widened
            }
            other => other,
        };
        self.sum = Some(add_to(self.sum.take(), v)?);
        self.n += 1;
        Ok(())
    }
    fn merge(&mut self, _o: &dyn Aggregate) -> Result<()> {
        Err(cannot_merge("avg"))
    }
    fn finalize(&self) -> Result<Value> {
        let Some(sum) = &self.sum else { return Ok(Value::Null) };
        #[allow(clippy::cast_precision_loss)]
        let n = self.n as f64;
        Ok(match sum {
            SumState::Int(s) => Value::Numeric(Numeric::finite(numeric_div(
                &BigDecimal::from(*s),
                &BigDecimal::from(self.n),
            )?)),
            SumState::Dec(d) => {
                Value::Numeric(Numeric::finite(numeric_div(d, &BigDecimal::from(self.n))?))
            }
            SumState::Special(x) => Value::Numeric(x.clone()),
            SumState::F4(f) => Value::Float8(f64::from(*f) / n),
            SumState::F8(f) => Value::Float8(f / n),
            SumState::Iv(i) => crate::functions::datetime::datetime_binary(
                crate::expr::BinaryOp::Div,
                &Value::Interval(*i),
                &Value::Float8(n),
            )?,
        })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[derive(Debug)]
struct MinMax {
    best: Option<Value>,
    max: bool,
}

impl MinMax {
    fn offer(&mut self, v: &Value) -> Result<()> {
        if v.is_null() {
            return Ok(());
        }
        let better = match &self.best {
            None => true,
            Some(b) => {
                let o = compare(v, b)?;
                if self.max {
                    o == Ordering::Greater
                } else {
                    o == Ordering::Less
                }
            }
        };
        if better {
            self.best = Some(v.clone());
        }
        Ok(())
    }
}

impl Aggregate for MinMax {
    fn accumulate(&mut self, args: &[Value]) -> Result<()> {
        args.first().map_or(Ok(()), |v| self.offer(v))
    }
    fn merge(&mut self, o: &dyn Aggregate) -> Result<()> {
        let theirs = other::<MinMax>(o, "min/max")?.best.clone();
        theirs.map_or(Ok(()), |v| self.offer(&v))
    }
    fn finalize(&self) -> Result<Value> {
        Ok(self.best.clone().unwrap_or(Value::Null))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[derive(Debug)]
struct BoolAgg {
    acc: Option<bool>,
    and: bool,
}

impl Aggregate for BoolAgg {
    fn accumulate(&mut self, args: &[Value]) -> Result<()> {
        if let Some(Value::Bool(b)) = args.first() {
            self.acc = Some(match self.acc {
                None => *b,
                Some(a) => {
                    if self.and {
                        a && *b
                    } else {
                        a || *b
                    }
                }
            });
        }
        Ok(())
    }
    fn merge(&mut self, o: &dyn Aggregate) -> Result<()> {
        if let Some(b) = other::<BoolAgg>(o, "bool")?.acc {
            self.accumulate(&[Value::Bool(b)])?;
        }
        Ok(())
    }
    fn finalize(&self) -> Result<Value> {
        Ok(self.acc.map_or(Value::Null, Value::Bool))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[derive(Debug)]
struct BitAgg {
    acc: Option<Value>,
    and: bool,
}

impl Aggregate for BitAgg {
    fn accumulate(&mut self, args: &[Value]) -> Result<()> {
        let Some(v) = args.first().filter(|v| !v.is_null()) else { return Ok(()) };
        let op =
            if self.and { crate::expr::BinaryOp::BitAnd } else { crate::expr::BinaryOp::BitOr };
        self.acc = Some(match &self.acc {
            None => v.clone(),
            Some(a) => crate::expr::arith::numeric_binary(op, a, v)?,
        });
        Ok(())
    }
    fn merge(&mut self, o: &dyn Aggregate) -> Result<()> {
        let theirs = other::<BitAgg>(o, "bit")?.acc.clone();
        theirs.map_or(Ok(()), |v| self.accumulate(&[v]))
    }
    fn finalize(&self) -> Result<Value> {
        Ok(self.acc.clone().unwrap_or(Value::Null))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[derive(Debug)]
struct StringAgg {
    acc: Option<Vec<u8>>,
    bytes: bool,
}

impl Aggregate for StringAgg {
    fn accumulate(&mut self, args: &[Value]) -> Result<()> {
        let piece: &[u8] = match args.first() {
            Some(Value::Text(s)) => s.as_bytes(),
            Some(Value::Bytea(b)) => b,
            _ => return Ok(()),
        };
        let delim: &[u8] = match args.get(1) {
            Some(Value::Text(s)) => s.as_bytes(),
            Some(Value::Bytea(b)) => b,
            _ => &[],
        };
        match &mut self.acc {
            None => self.acc = Some(piece.to_vec()),
            Some(acc) => {
                acc.extend_from_slice(delim);
                acc.extend_from_slice(piece);
            }
        }
        Ok(())
    }
    fn merge(&mut self, _o: &dyn Aggregate) -> Result<()> {
        Err(cannot_merge("string_agg"))
    }
    fn finalize(&self) -> Result<Value> {
        Ok(match &self.acc {
            None => Value::Null,
            Some(b) if self.bytes => Value::Bytea(b.clone()),
            Some(b) => Value::Text(String::from_utf8_lossy(b).into_owned()),
        })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// An array input of `array_agg` (or `ARRAY(subquery)`): not NULL, not empty, and
/// shaped like the first one.
pub(crate) fn check_sub_array(v: &Value, first: Option<&Value>) -> Result<()> {
    let Value::Array(a) = v else {
        return Err(Error::new(SqlState::NULL_VALUE_NOT_ALLOWED, "cannot accumulate null arrays"));
    };
    if a.elements.is_empty() {
        return Err(Error::new(SqlState::ARRAY_SUBSCRIPT_ERROR, "cannot accumulate empty arrays"));
    }
    if let Some(Value::Array(f)) = first {
        if f.dims() != a.dims() {
            return Err(Error::new(
                SqlState::ARRAY_SUBSCRIPT_ERROR,
                "cannot accumulate arrays of different dimensionality",
            ));
        }
    }
    Ok(())
}

#[derive(Debug)]
struct ArrayAgg {
    elem: DataType,
    items: Vec<Value>,
    any: bool,
}

impl Aggregate for ArrayAgg {
    fn accumulate(&mut self, args: &[Value]) -> Result<()> {
        self.any = true;
        let v = args.first().cloned().unwrap_or(Value::Null);
        if let DataType::Array(_) = self.elem {
            check_sub_array(&v, self.items.first())?;
        }
        self.items.push(v);
        Ok(())
    }
    fn merge(&mut self, o: &dyn Aggregate) -> Result<()> {
        let o = other::<ArrayAgg>(o, "array_agg")?;
        self.any |= o.any;
        if let (DataType::Array(_), Some(first)) = (&self.elem, o.items.first()) {
            check_sub_array(first, self.items.first())?;
        }
        self.items.extend(o.items.iter().cloned());
        Ok(())
    }
    fn finalize(&self) -> Result<Value> {
        if !self.any {
            return Ok(Value::Null);
        }
        if let DataType::Array(inner) = &self.elem {
            let parts: Vec<&Array> = self
                .items
                .iter()
                .filter_map(|v| match v {
                    Value::Array(a) => Some(&**a),
                    _ => None,
                })
                .collect();
            return Ok(Value::Array(Arc::new(Array::stack((**inner).clone(), &parts)?)));
        }
        Ok(Value::Array(Arc::new(Array::new(self.elem.clone(), self.items.clone()))))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn json_result(doc: Json, jsonb: bool, items_text: Option<String>) -> Value {
    if jsonb {
        Value::Jsonb(Arc::new(doc))
    } else {
        Value::Json(items_text.unwrap_or_else(|| helios_types::text::json::format_jsonb(&doc)))
    }
}

#[derive(Debug)]
struct JsonAgg {
    items: Option<Vec<Json>>,
    jsonb: bool,
}

impl Aggregate for JsonAgg {
    fn accumulate(&mut self, args: &[Value]) -> Result<()> {
        let v = crate::functions::json::to_json(args.first().unwrap_or(&Value::Null))?;
        self.items.get_or_insert_with(Vec::new).push(v);
        Ok(())
    }
    fn merge(&mut self, o: &dyn Aggregate) -> Result<()> {
        if let Some(theirs) = &other::<JsonAgg>(o, "json_agg")?.items {
            self.items.get_or_insert_with(Vec::new).extend(theirs.iter().cloned());
        }
        Ok(())
    }
    fn finalize(&self) -> Result<Value> {
        let Some(items) = &self.items else { return Ok(Value::Null) };
        let text = (!self.jsonb).then(|| {
            let parts: Vec<String> =
                items.iter().map(helios_types::text::json::format_jsonb).collect();
            format!("[{}]", parts.join(", "))
        });
        Ok(json_result(Json::Array(items.clone()), self.jsonb, text))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[derive(Debug)]
struct JsonObjectAgg {
    items: Option<Vec<(String, Json)>>,
    jsonb: bool,
}

impl Aggregate for JsonObjectAgg {
    fn accumulate(&mut self, args: &[Value]) -> Result<()> {
        let key = match args.first() {
            None | Some(Value::Null) => {
                return Err(Error::new(
                    SqlState::NULL_VALUE_NOT_ALLOWED,
                    "null value not allowed for object key",
                ))
            }
            Some(Value::Text(s)) => s.clone(),
            Some(other) => other.to_pg_text(),
        };
        let v = crate::functions::json::to_json(args.get(1).unwrap_or(&Value::Null))?;
        self.items.get_or_insert_with(Vec::new).push((key, v));
        Ok(())
    }
    fn merge(&mut self, _o: &dyn Aggregate) -> Result<()> {
        Err(cannot_merge("json_object_agg"))
    }
    fn finalize(&self) -> Result<Value> {
        let Some(items) = &self.items else { return Ok(Value::Null) };
        let map: serde_json::Map<String, Json> = items.iter().cloned().collect();
        let text = (!self.jsonb).then(|| {
            let parts: Vec<String> = items
                .iter()
                .map(|(k, v)| {
                    let mut key = String::new();
                    helios_types::text::json::write_string(&mut key, k);
                    format!("{key} : {}", helios_types::text::json::format_jsonb(v))
                })
                .collect();
            format!("{{ {} }}", parts.join(", "))
        });
        Ok(json_result(Json::Object(map), self.jsonb, text))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The variance family over exact numbers (floats: `float_stats`).
#[derive(Debug)]
struct Variance {
    func: AggregateFunc,
    n: i64,
    sum: BigDecimal,
    sumsq: BigDecimal,
    /// A NaN or infinite input was seen: the variance is NaN.
    special: bool,
}

impl Aggregate for Variance {
    fn accumulate(&mut self, args: &[Value]) -> Result<()> {
        let Some(v) = args.first().filter(|v| !v.is_null()) else { return Ok(()) };
        self.n += 1;
        match crate::expr::num::to_numeric(v) {
            Some(Numeric::Finite(d)) => {
                self.sumsq += &*d * &*d;
                self.sum += *d;
            }
            _ => self.special = true,
        }
        Ok(())
    }
    fn merge(&mut self, o: &dyn Aggregate) -> Result<()> {
        let o = other::<Variance>(o, "variance")?;
        self.n += o.n;
        self.sum += &o.sum;
        self.sumsq += &o.sumsq;
        self.special |= o.special;
        Ok(())
    }
    fn finalize(&self) -> Result<Value> {
        let sample = matches!(self.func, AggregateFunc::StddevSamp | AggregateFunc::VarSamp);
        let root = matches!(self.func, AggregateFunc::StddevSamp | AggregateFunc::StddevPop);
        if self.n == 0 || (sample && self.n == 1) {
            return Ok(Value::Null);
        }
        if self.special {
            return Ok(Value::Numeric(Numeric::NaN));
        }
        let n = BigDecimal::from(self.n);
        let num = &n * &self.sumsq - &self.sum * &self.sum;
        // A numerator of zero (or below, which rounding cannot give here) is a plain 0,
        // as in PostgreSQL.
        if num <= BigDecimal::zero() {
            return Ok(Value::Numeric(Numeric::finite(BigDecimal::zero())));
        }
        let den = if sample { &n * (&n - BigDecimal::from(1)) } else { &n * &n };
        let var = numeric_div(&num, &den)?;
        let out = if root {
            let scale = var.fractional_digit_count().max(0);
            numeric_sqrt(&var)?.with_scale_round(scale, RoundingMode::HalfUp)
        } else {
            var
        };
        Ok(Value::Numeric(Numeric::finite(out)))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(func: AggregateFunc, ty: DataType, vals: &[Value]) -> Value {
        let mut s = func.create(&[ty]);
        for v in vals {
            s.accumulate(std::slice::from_ref(v)).expect("accumulate");
        }
        s.finalize().expect("finalize")
    }

    fn num(s: &str) -> Value {
        Value::Numeric(Numeric::finite(s.parse().expect("decimal")))
    }

    #[test]
    fn sums_and_counts() {
        let ints = [Value::Int4(1), Value::Null, Value::Int4(2)];
        assert_eq!(run(AggregateFunc::Sum, DataType::Int4, &ints), Value::Int8(3));
        assert_eq!(run(AggregateFunc::Count, DataType::Int4, &ints), Value::Int8(2));
        assert_eq!(run(AggregateFunc::CountStar, DataType::Int4, &ints), Value::Int8(3));
        assert_eq!(run(AggregateFunc::Sum, DataType::Int4, &[]), Value::Null);
        assert_eq!(run(AggregateFunc::Count, DataType::Int4, &[]), Value::Int8(0));
        let big = [Value::Int8(i64::MAX), Value::Int8(1)];
        assert_eq!(run(AggregateFunc::Sum, DataType::Int8, &big), num("9223372036854775808"));
        let avg = run(AggregateFunc::Avg, DataType::Int4, &[Value::Int4(1), Value::Int4(2)]);
        assert_eq!(avg.to_pg_text(), "1.5000000000000000");
    }

    #[test]
    fn statistics_match_postgres() {
        let v: Vec<Value> = (1..=4).map(Value::Int4).collect();
        assert_eq!(
            run(AggregateFunc::VarSamp, DataType::Int4, &v).to_pg_text(),
            "1.6666666666666667"
        );
        assert_eq!(
            run(AggregateFunc::StddevSamp, DataType::Int4, &v).to_pg_text(),
            "1.2909944487358056"
        );
        assert_eq!(
            run(AggregateFunc::VarPop, DataType::Int4, &v).to_pg_text(),
            "1.2500000000000000"
        );
        assert_eq!(run(AggregateFunc::StddevSamp, DataType::Int4, &v[..1]), Value::Null);
    }

    #[test]
    fn collecting_aggregates() {
        let v = [Value::Text("a".into()), Value::Null, Value::Text("b".into())];
        let mut s = AggregateFunc::StringAgg.create(&[DataType::Text, DataType::Text]);
        for x in &v {
            s.accumulate(&[x.clone(), Value::Text(",".into())]).expect("acc");
        }
        assert_eq!(s.finalize().ok(), Some(Value::Text("a,b".into())));
        assert_eq!(run(AggregateFunc::ArrayAgg, DataType::Text, &v).to_pg_text(), "{a,NULL,b}");
        assert_eq!(
            run(AggregateFunc::JsonAgg, DataType::Text, &v).to_pg_text(),
            "[\"a\", null, \"b\"]"
        );
        assert_eq!(run(AggregateFunc::Max, DataType::Text, &v), Value::Text("b".into()));
        assert_eq!(
            run(AggregateFunc::BoolAnd, DataType::Bool, &[Value::Bool(true), Value::Bool(false)]),
            Value::Bool(false)
        );
        assert_eq!(
            run(AggregateFunc::BitOr, DataType::Int4, &[Value::Int4(1), Value::Int4(4)]),
            Value::Int4(5)
        );
    }

    #[test]
    fn more_results_checked_on_postgres() {
        // SELECT ... FROM (VALUES (1),(2),(4)) v(x) on PostgreSQL 18.
        let xs = [1, 2, 4];
        let over = |func: AggregateFunc, ty: DataType, f: &dyn Fn(i32) -> Value| {
            let vals: Vec<Value> = xs.iter().map(|x| f(*x)).collect();
            run(func, ty, &vals).to_pg_text()
        };
        #[allow(clippy::cast_precision_loss)]
        let real = |x: i32| Value::Float4(x as f32);
        assert_eq!(over(AggregateFunc::Sum, DataType::Float4, &real), "7");
        assert_eq!(over(AggregateFunc::Avg, DataType::Float4, &real), "2.3333333333333335");
        let n2 = |x: i32| num(&format!("{x}.00"));
        assert_eq!(over(AggregateFunc::Sum, DataType::Numeric(None), &n2), "7.00");
        assert_eq!(
            over(AggregateFunc::Avg, DataType::Int8, &|x| Value::Int8(i64::from(x))),
            "2.3333333333333333"
        );
        let days = |x: i32| Value::Interval(Interval { months: 0, days: x, micros: 0 });
        assert_eq!(over(AggregateFunc::Sum, DataType::Interval, &days), "7 days");
        let hours = |x: i32| {
            Value::Interval(Interval { months: 0, days: 0, micros: i64::from(x) * 3_600_000_000 })
        };
        assert_eq!(over(AggregateFunc::Avg, DataType::Interval, &hours), "02:20:00");
        assert_eq!(over(AggregateFunc::JsonbAgg, DataType::Int4, &Value::Int4), "[1, 2, 4]");
        assert_eq!(over(AggregateFunc::BitAnd, DataType::Int4, &Value::Int4), "0");
        let f8 = |x: i32| Value::Float8(f64::from(x));
        assert_eq!(over(AggregateFunc::StddevSamp, DataType::Float8, &f8), "1.5275252316519468");
        assert_eq!(
            over(AggregateFunc::VarPop, DataType::Numeric(None), &|x| num(&x.to_string())),
            "1.5555555555555556"
        );
    }

    #[test]
    fn merge_partial_counts_and_minmax() {
        let mut a = AggregateFunc::Count.create(&[DataType::Int4]);
        let mut b = AggregateFunc::Count.create(&[DataType::Int4]);
        a.accumulate(&[Value::Int4(1)]).expect("acc");
        b.accumulate(&[Value::Int4(2)]).expect("acc");
        a.merge(b.as_ref()).expect("merge");
        assert_eq!(a.finalize().ok(), Some(Value::Int8(2)));
        let mut m = AggregateFunc::Min.create(&[DataType::Int4]);
        let mut n = AggregateFunc::Min.create(&[DataType::Int4]);
        m.accumulate(&[Value::Int4(5)]).expect("acc");
        n.accumulate(&[Value::Int4(3)]).expect("acc");
        m.merge(n.as_ref()).expect("merge");
        assert_eq!(m.finalize().ok(), Some(Value::Int4(3)));
    }
}
