//! Aggregate state: the values an aggregate call has been fed, and its final value by
//! PostgreSQL's rules (`sum(int4)` is bigint, `avg` of integers is numeric, `sum` of no
//! rows is NULL, `count` of no rows is 0, ...). Input values arrive already coerced to
//! the aggregate's argument types and filtered (FILTER, DISTINCT, NULL skipping, ORDER
//! BY are done by the caller).

use std::cmp::Ordering;
use std::sync::Arc;

use bigdecimal::{BigDecimal, Zero};
use helios_common::{Error, Result, SqlState};
use helios_types::{Array, DataType, Interval, Numeric, Value};

use serde_json::Value as Json;

use crate::expr::{numeric_div, numeric_sqrt};
use crate::functions::aggregate::AggregateFunc;
use crate::functions::json::to_json;

/// The running state of one aggregate call for one group.
#[derive(Debug)]
pub struct Accumulator {
    func: AggregateFunc,
    ty: DataType,
    rows: Vec<Vec<Value>>,
}

fn out_of_range(ty: &DataType) -> Error {
    Error::new(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, format!("{ty} out of range"))
}

fn as_decimal(v: &Value) -> Result<Option<BigDecimal>> {
    Ok(match v.cast(&DataType::Numeric(None))? {
        Value::Numeric(Numeric::Finite(d)) => Some(d),
        _ => None,
    })
}

fn as_f64(v: &Value) -> Result<f64> {
    match v.cast(&DataType::Float8)? {
        Value::Float8(x) => Ok(x),
        _ => Ok(f64::NAN),
    }
}

fn as_i128(v: &Value) -> Option<i128> {
    match v {
        Value::Int2(x) => Some(i128::from(*x)),
        Value::Int4(x) => Some(i128::from(*x)),
        Value::Int8(x) => Some(i128::from(*x)),
        _ => None,
    }
}

fn null_key() -> Error {
    Error::new(SqlState::from_code("22023"), "field name must not be null")
}

fn key_text(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        other => other.to_pg_text(),
    }
}

/// A value as `json` text: json keeps its text, everything else is converted.
fn json_text(v: &Value) -> Result<String> {
    Ok(match v {
        Value::Json(s) => s.clone(),
        Value::Jsonb(j) => helios_types::text::json::format_jsonb(j),
        other => helios_types::text::json::format_jsonb(&to_json(other)?),
    })
}

impl Accumulator {
    /// A fresh state for `func` with result type `ty`.
    pub fn new(func: AggregateFunc, ty: &DataType) -> Accumulator {
        Accumulator { func, ty: ty.clone(), rows: Vec::new() }
    }

    /// Adds one row's argument values.
    pub fn update(&mut self, args: &[Value]) -> Result<()> {
        self.rows.push(args.to_vec());
        Ok(())
    }

    fn first_args(&self) -> impl Iterator<Item = &Value> {
        self.rows.iter().filter_map(|r| r.first())
    }

    fn sum_numeric(&self) -> Result<Option<Numeric>> {
        let mut acc = BigDecimal::zero();
        let mut special: Option<Numeric> = None;
        for v in self.first_args() {
            match v.cast(&DataType::Numeric(None))? {
                Value::Numeric(Numeric::Finite(d)) => acc += d,
                Value::Numeric(other) => special = Some(other),
                _ => {}
            }
        }
        Ok(Some(special.unwrap_or(Numeric::Finite(acc))))
    }

    /// The aggregate's value over everything fed so far.
    pub fn finish(&self) -> Result<Value> {
        let n = self.rows.len();
        let empty = n == 0;
        Ok(match self.func {
            AggregateFunc::CountStar | AggregateFunc::Count => Value::Int8(n as i64),
            _ if empty && !matches!(self.func, AggregateFunc::ArrayAgg) => Value::Null,
            AggregateFunc::ArrayAgg if empty => Value::Null,
            AggregateFunc::Sum | AggregateFunc::Avg if matches!(self.ty, DataType::Vector(_)) => {
                let mut acc = crate::functions::vector::VectorSum::default();
                for v in self.first_args().filter(|v| !v.is_null()) {
                    acc.add(v)?;
                }
                if self.func == AggregateFunc::Avg {
                    acc.avg()?
                } else {
                    acc.sum()?
                }
            }
            AggregateFunc::Sum => match &self.ty {
                DataType::Int8 => {
                    let mut s: i128 = 0;
                    for v in self.first_args() {
                        s += as_i128(v).unwrap_or(0);
                    }
                    Value::Int8(i64::try_from(s).map_err(|_| out_of_range(&DataType::Int8))?)
                }
                DataType::Numeric(_) => match self.sum_numeric()? {
                    Some(n) => Value::Numeric(n),
                    None => Value::Null,
                },
                DataType::Float4 | DataType::Float8 => {
                    let mut s = 0.0;
                    for v in self.first_args() {
                        s += as_f64(v)?;
                    }
                    Value::Float8(s).cast(&self.ty)?
                }
                DataType::Interval => {
                    let mut iv = Interval::default();
                    for v in self.first_args() {
                        if let Value::Interval(x) = v {
                            iv.months = iv
                                .months
                                .checked_add(x.months)
                                .ok_or_else(|| out_of_range(&self.ty))?;
                            iv.days = iv
                                .days
                                .checked_add(x.days)
                                .ok_or_else(|| out_of_range(&self.ty))?;
                            iv.micros = iv
                                .micros
                                .checked_add(x.micros)
                                .ok_or_else(|| out_of_range(&self.ty))?;
                        }
                    }
                    Value::Interval(iv)
                }
                other => return Err(Error::unsupported(format!("sum of {other}"))),
            },
            AggregateFunc::Avg => match &self.ty {
                DataType::Float8 | DataType::Float4 => {
                    let mut s = 0.0;
                    for v in self.first_args() {
                        s += as_f64(v)?;
                    }
                    Value::Float8(s / n as f64).cast(&self.ty)?
                }
                DataType::Interval => {
                    let mut total: i128 = 0;
                    for v in self.first_args() {
                        if let Value::Interval(x) = v {
                            total += i128::from(x.months) * 30 * 86_400_000_000
                                + i128::from(x.days) * 86_400_000_000
                                + i128::from(x.micros);
                        }
                    }
                    let avg = total / n as i128;
                    let days = avg / 86_400_000_000;
                    let micros = avg % 86_400_000_000;
                    Value::Interval(Interval {
                        months: 0,
                        days: i32::try_from(days).map_err(|_| out_of_range(&self.ty))?,
                        micros: micros as i64,
                    })
                }
                _ => match self.sum_numeric()? {
                    Some(Numeric::Finite(s)) => Value::Numeric(Numeric::Finite(numeric_div(
                        &s,
                        &BigDecimal::from(n as i64),
                    )?)),
                    Some(other) => Value::Numeric(other),
                    None => Value::Null,
                },
            },
            AggregateFunc::Min | AggregateFunc::Max => {
                let want = if self.func == AggregateFunc::Min {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
                let mut best: Option<&Value> = None;
                for v in self.first_args() {
                    best = match best {
                        None => Some(v),
                        Some(b) if v.pg_cmp(b) == Some(want) => Some(v),
                        keep => keep,
                    };
                }
                best.cloned().unwrap_or(Value::Null)
            }
            AggregateFunc::BoolAnd | AggregateFunc::BoolOr => {
                let and = self.func == AggregateFunc::BoolAnd;
                let mut acc = and;
                for v in self.first_args() {
                    if let Value::Bool(b) = v {
                        acc = if and { acc && *b } else { acc || *b };
                    }
                }
                Value::Bool(acc)
            }
            AggregateFunc::BitAnd | AggregateFunc::BitOr => {
                let and = self.func == AggregateFunc::BitAnd;
                let mut acc: i128 = if and { -1 } else { 0 };
                for v in self.first_args() {
                    let x = as_i128(v).unwrap_or(0);
                    acc = if and { acc & x } else { acc | x };
                }
                Value::Int8(acc as i64).cast(&self.ty)?
            }
            AggregateFunc::StringAgg => {
                let bytes = matches!(self.ty, DataType::Bytea);
                let mut text = String::new();
                let mut raw: Vec<u8> = Vec::new();
                for (i, r) in self.rows.iter().enumerate() {
                    if i > 0 {
                        match r.get(1) {
                            Some(Value::Text(d)) => text.push_str(d),
                            Some(Value::Bytea(d)) => raw.extend_from_slice(d),
                            _ => {}
                        }
                    }
                    match r.first() {
                        Some(Value::Text(s)) => text.push_str(s),
                        Some(Value::Bytea(b)) => raw.extend_from_slice(b),
                        _ => {}
                    }
                }
                if bytes {
                    Value::Bytea(raw)
                } else {
                    Value::Text(text)
                }
            }
            AggregateFunc::ArrayAgg => {
                let element_type = match &self.ty {
                    DataType::Array(e) => (**e).clone(),
                    other => other.clone(),
                };
                let elements =
                    self.rows.iter().map(|r| r.first().cloned().unwrap_or(Value::Null)).collect();
                Value::Array(Arc::new(Array { element_type, elements }))
            }
            AggregateFunc::VarSamp
            | AggregateFunc::VarPop
            | AggregateFunc::StddevSamp
            | AggregateFunc::StddevPop => {
                let sample =
                    matches!(self.func, AggregateFunc::VarSamp | AggregateFunc::StddevSamp);
                let root =
                    matches!(self.func, AggregateFunc::StddevSamp | AggregateFunc::StddevPop);
                if sample && n < 2 {
                    return Ok(Value::Null);
                }
                if matches!(self.ty, DataType::Numeric(_)) {
                    let mut sum = BigDecimal::zero();
                    let mut sumsq = BigDecimal::zero();
                    for v in self.first_args() {
                        if let Some(d) = as_decimal(v)? {
                            sumsq += &d * &d;
                            sum += d;
                        }
                    }
                    let nn = BigDecimal::from(n as i64);
                    let num = &nn * &sumsq - &sum * &sum;
                    let den = if sample { &nn * BigDecimal::from(n as i64 - 1) } else { &nn * &nn };
                    let var = numeric_div(&num, &den)?;
                    Value::Numeric(Numeric::Finite(if root { numeric_sqrt(&var)? } else { var }))
                } else {
                    let mut sum = 0.0;
                    let mut sumsq = 0.0;
                    for v in self.first_args() {
                        let x = as_f64(v)?;
                        sum += x;
                        sumsq += x * x;
                    }
                    let nf = n as f64;
                    let num = (nf * sumsq - sum * sum).max(0.0);
                    let var = if sample { num / (nf * (nf - 1.0)) } else { num / (nf * nf) };
                    Value::Float8(if root { var.sqrt() } else { var })
                }
            }
            AggregateFunc::JsonbAgg => {
                let mut items = Vec::with_capacity(n);
                for r in &self.rows {
                    items.push(to_json(r.first().unwrap_or(&Value::Null))?);
                }
                Value::Jsonb(Arc::new(Json::Array(items)))
            }
            AggregateFunc::JsonAgg => {
                let mut parts = Vec::with_capacity(n);
                for r in &self.rows {
                    parts.push(json_text(r.first().unwrap_or(&Value::Null))?);
                }
                Value::Json(format!("[{}]", parts.join(", ")))
            }
            AggregateFunc::JsonbObjectAgg => {
                let mut map = serde_json::Map::new();
                for r in &self.rows {
                    let key = match r.first() {
                        Some(Value::Null) | None => return Err(null_key()),
                        Some(k) => key_text(k),
                    };
                    map.insert(key, to_json(r.get(1).unwrap_or(&Value::Null))?);
                }
                Value::Jsonb(Arc::new(Json::Object(map)))
            }
            AggregateFunc::JsonObjectAgg => {
                let mut parts = Vec::with_capacity(n);
                for r in &self.rows {
                    let key = match r.first() {
                        Some(Value::Null) | None => return Err(null_key()),
                        Some(k) => key_text(k),
                    };
                    let k =
                        serde_json::to_string(&key).map_err(|e| Error::internal(e.to_string()))?;
                    parts.push(format!("{k} : {}", json_text(r.get(1).unwrap_or(&Value::Null))?));
                }
                Value::Json(format!("{{ {} }}", parts.join(", ")))
            }
        })
    }
}
