//! Date and time functions and the date/time arithmetic operators.
//!
//! Values use helios-types' representations (days / microseconds since 2000-01-01).
//! `timestamptz` functions work in the session time zone, which this version knows as
//! a fixed offset (UTC by default). Field extraction is in `datetime_part.rs`,
//! formatting (`to_char`, `to_date`, `to_timestamp`) in `to_char.rs`.

use helios_common::{Error, Result, SqlState};
use helios_types::datetime as dt;
use helios_types::text::calendar::{
    civil_from_days, days_from_civil, days_in_month, END_TIMESTAMP, MIN_TIMESTAMP, USECS_PER_DAY,
};
use helios_types::{DataType, Interval, Value};

use crate::expr::num::{out_of_range, to_f64};
use crate::expr::{BinaryOp, EvalContext};
use crate::functions::registry::{p, Registry, ReturnType};

use DataType::{Date, Float8, Int4, Text, Time, TimeTz, Timestamp, TimestampTz};

const USECS_PER_SEC: i64 = 1_000_000;

fn ret(t: DataType) -> ReturnType {
    ReturnType::Exact(t)
}

fn iv() -> DataType {
    DataType::Interval
}

/// Registers the date/time functions.
pub(crate) fn register(r: &mut Registry) {
    for name in ["now", "current_timestamp", "transaction_timestamp", "statement_timestamp"] {
        r.add(name, vec![], ret(TimestampTz), |_, ctx| Ok(Value::TimestampTz(ctx.now())));
    }
    r.add("clock_timestamp", vec![], ret(TimestampTz), |_, ctx| {
        Ok(Value::TimestampTz(ctx.clock()))
    })
    .volatile();
    r.add("current_date", vec![], ret(Date), |_, ctx| {
        let local = to_local(ctx.now(), ctx);
        Ok(Value::Date(i32::try_from(local.div_euclid(USECS_PER_DAY)).unwrap_or(0)))
    });
    r.add("current_time", vec![], ret(TimeTz), |_, ctx| Ok(sql_clock("current_time", ctx)));
    r.add("localtime", vec![], ret(Time), |_, ctx| Ok(sql_clock("localtime", ctx)));
    r.add("localtimestamp", vec![], ret(Timestamp), |_, ctx| Ok(sql_clock("localtimestamp", ctx)));
    // `current_time(p)` and friends: the niladic value rounded to p fractional digits.
    r.add("current_time", vec![p(Int4)], ret(TimeTz), |a, ctx| {
        sql_clock_rounded("current_time", &a[0], ctx)
    });
    r.add("current_timestamp", vec![p(Int4)], ret(TimestampTz), |a, ctx| {
        sql_clock_rounded("current_timestamp", &a[0], ctx)
    });
    r.add("localtime", vec![p(Int4)], ret(Time), |a, ctx| {
        sql_clock_rounded("localtime", &a[0], ctx)
    });
    r.add("localtimestamp", vec![p(Int4)], ret(Timestamp), |a, ctx| {
        sql_clock_rounded("localtimestamp", &a[0], ctx)
    });
    r.add("date_trunc", vec![p(Text), p(Timestamp)], ret(Timestamp), |a, _| {
        Ok(Value::Timestamp(dt::trunc_timestamp(&text(&a[0]), micros(&a[1]))?))
    });
    r.add("date_trunc", vec![p(Text), p(TimestampTz)], ret(TimestampTz), |a, ctx| {
        let zone = ctx.time_zone();
        Ok(Value::TimestampTz(dt::trunc_timestamptz(&text(&a[0]), micros(&a[1]), &zone)?))
    });
    r.add("date_trunc", vec![p(Text), p(TimestampTz), p(Text)], ret(TimestampTz), |a, _| {
        let zone = parse_zone(&text(&a[2]))?;
        Ok(Value::TimestampTz(helios_types::datetime::trunc_timestamptz(
            &text(&a[0]),
            micros(&a[1]),
            &zone,
        )?))
    });
    for t in [Timestamp, TimestampTz] {
        r.add("date_bin", vec![p(iv()), p(t.clone()), p(t.clone())], ret(t), |a, _| {
            let bin =
                helios_types::datetime::date_bin(&interval(&a[0]), micros(&a[1]), micros(&a[2]))?;
            Ok(match a[1] {
                Value::TimestampTz(_) => Value::TimestampTz(bin),
                _ => Value::Timestamp(bin),
            })
        });
    }
    r.add("date_trunc", vec![p(Text), p(iv())], ret(iv()), |a, _| {
        let Value::Interval(i) = &a[1] else { return Ok(Value::Null) };
        Ok(Value::Interval(dt::trunc_interval(&text(&a[0]), i)?))
    });
    crate::functions::datetime_part::register(r);
    r.add("age", vec![p(Timestamp), p(Timestamp)], ret(iv()), |a, _| {
        Ok(Value::Interval(age(micros(&a[0]), micros(&a[1]))))
    });
    r.add("age", vec![p(TimestampTz), p(TimestampTz)], ret(iv()), |a, ctx| {
        Ok(Value::Interval(age(to_local(micros(&a[0]), ctx), to_local(micros(&a[1]), ctx))))
    });
    r.add("age", vec![p(Timestamp)], ret(iv()), |a, ctx| {
        let today = to_local(ctx.now(), ctx).div_euclid(USECS_PER_DAY) * USECS_PER_DAY;
        Ok(Value::Interval(age(today, micros(&a[0]))))
    });
    r.add("make_date", vec![p(Int4), p(Int4), p(Int4)], ret(Date), |a, _| {
        make_date(int(&a[0]), int(&a[1]), int(&a[2])).map(Value::Date)
    });
    r.add("make_time", vec![p(Int4), p(Int4), p(Float8)], ret(Time), |a, _| {
        make_time(int(&a[0]), int(&a[1]), float(&a[2])).map(Value::Time)
    });
    r.add(
        "make_timestamp",
        vec![p(Int4), p(Int4), p(Int4), p(Int4), p(Int4), p(Float8)],
        ret(Timestamp),
        |a, _| make_timestamp(a).map(Value::Timestamp),
    );
    r.add(
        "make_timestamptz",
        vec![p(Int4), p(Int4), p(Int4), p(Int4), p(Int4), p(Float8)],
        ret(TimestampTz),
        |a, ctx| make_timestamp(a).map(|local| Value::TimestampTz(from_local(local, ctx))),
    );
    // make_interval(years, months, weeks, days, hours, mins, secs), every argument
    // defaulting to 0.
    let all = [p(Int4), p(Int4), p(Int4), p(Int4), p(Int4), p(Int4), p(Float8)];
    for n in 0..=all.len() {
        r.add("make_interval", all[..n].to_vec(), ret(iv()), |a, _| {
            make_interval(a).map(Value::Interval)
        });
    }
    r.add("justify_days", vec![p(iv())], ret(iv()), |a, _| {
        Ok(Value::Interval(dt::justify_days(&interval(&a[0]))?))
    });
    r.add("justify_hours", vec![p(iv())], ret(iv()), |a, _| {
        Ok(Value::Interval(dt::justify_hours(&interval(&a[0]))?))
    });
    r.add("justify_interval", vec![p(iv())], ret(iv()), |a, _| {
        Ok(Value::Interval(dt::justify_interval(&interval(&a[0]))?))
    });
    r.add("timezone", vec![p(Text), p(TimestampTz)], ret(Timestamp), |a, _| {
        let tz = parse_zone(&text(&a[0]))?;
        let ts = micros(&a[1]);
        Ok(Value::Timestamp(ts + i64::from(tz.offset_at(ts)) * USECS_PER_SEC))
    });
    r.add("timezone", vec![p(Text), p(Timestamp)], ret(TimestampTz), |a, _| {
        let tz = parse_zone(&text(&a[0]))?;
        let ts = micros(&a[1]);
        Ok(Value::TimestampTz(ts - i64::from(tz.offset_for_local(ts)) * USECS_PER_SEC))
    });
    r.add("timezone", vec![p(iv()), p(TimestampTz)], ret(Timestamp), |a, _| {
        let off = dt::timetz::interval_offset(&interval(&a[0]))?;
        Ok(Value::Timestamp(shift_finite(micros(&a[1]), off)))
    });
    r.add("timezone", vec![p(iv()), p(Timestamp)], ret(TimestampTz), |a, _| {
        let off = dt::timetz::interval_offset(&interval(&a[0]))?;
        Ok(Value::TimestampTz(shift_finite(micros(&a[1]), -off)))
    });
    // `timetz AT TIME ZONE`: a zone with rules is taken at its offset now, as in
    // PostgreSQL.
    r.add("timezone", vec![p(Text), p(TimeTz)], ret(TimeTz), |a, ctx| {
        let tz = parse_zone(&text(&a[0]))?;
        let Value::TimeTz(t) = &a[1] else { return Ok(Value::Null) };
        Ok(Value::TimeTz(t.at_offset(tz.offset_at(ctx.now()))))
    });
    r.add("timezone", vec![p(iv()), p(TimeTz)], ret(TimeTz), |a, _| {
        let off = dt::timetz::interval_offset(&interval(&a[0]))?;
        let Value::TimeTz(t) = &a[1] else { return Ok(Value::Null) };
        Ok(Value::TimeTz(t.at_offset(off)))
    });
    r.add("timestamptz", vec![p(Date), p(TimeTz)], ret(TimestampTz), |a, _| {
        let (Value::Date(d), Value::TimeTz(t)) = (&a[0], &a[1]) else { return Ok(Value::Null) };
        Ok(Value::TimestampTz(dt::timetz::date_add(*d, t)?))
    });
    for t in [Timestamp, TimestampTz] {
        r.add("isfinite", vec![p(t)], ret(DataType::Bool), |a, _| {
            Ok(Value::Bool(!matches!(micros(&a[0]), i64::MIN | i64::MAX)))
        });
    }
    r.add("isfinite", vec![p(Date)], ret(DataType::Bool), |a, _| {
        Ok(Value::Bool(!matches!(a[0], Value::Date(i32::MIN | i32::MAX))))
    });
    // PostgreSQL 15's intervals have no infinity.
    r.add("isfinite", vec![p(iv())], ret(DataType::Bool), |_, _| Ok(Value::Bool(true)));
    // `date(x)`: the cast as a function, the day in the session zone for timestamptz.
    for t in [Timestamp, TimestampTz] {
        r.add("date", vec![p(t)], ret(Date), |a, ctx| {
            a[0].cast_with(&Date, helios_types::CastMode::Explicit, &ctx.time_zone())
        });
    }
    crate::functions::to_char::register(r);
    crate::functions::to_number::register(r);
}

fn parse_zone(name: &str) -> Result<helios_types::TimeZone> {
    let abbreviation =
        helios_types::text::timezone::abbreviation_offset(&name.trim().to_ascii_lowercase())
            .and_then(|off| helios_types::TimeZone::fixed(off).ok());
    helios_types::TimeZone::parse(name).or(abbreviation.ok_or(())).map_err(|_| {
        Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("time zone \"{name}\" not recognized"),
        )
    })
}

/// The transaction's start time as `current_time` (timetz), `localtime` (time),
/// `localtimestamp` (timestamp) or `current_timestamp` (timestamptz) give it.
fn sql_clock(name: &str, ctx: &dyn EvalContext) -> Value {
    let now = ctx.now();
    match name {
        "current_time" => {
            Value::TimeTz(helios_types::TimeTz::from_utc(now, ctx.time_zone().offset_at(now)))
        }
        "localtime" => Value::Time(to_local(now, ctx).rem_euclid(USECS_PER_DAY)),
        "localtimestamp" => Value::Timestamp(to_local(now, ctx)),
        _ => Value::TimestampTz(now),
    }
}

/// `sql_clock(name)` rounded to `precision` fractional digits.
fn sql_clock_rounded(name: &str, precision: &Value, ctx: &dyn EvalContext) -> Result<Value> {
    let mut v = sql_clock(name, ctx);
    dt::round_to_precision(&mut v, sql_precision(precision, name)?);
    Ok(v)
}

/// The precision argument of `current_time(p)` and friends: negative is an error,
/// above 6 means 6 (PostgreSQL warns and reduces it).
fn sql_precision(p: &Value, name: &str) -> Result<u8> {
    let p = int(p);
    if p < 0 {
        return Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("{}({p}) precision must not be negative", name.to_ascii_uppercase()),
        ));
    }
    Ok(p.min(6) as u8)
}

/// `ts` moved by `offset` seconds; ±infinity stays.
fn shift_finite(ts: i64, offset: i32) -> i64 {
    if matches!(ts, i64::MIN | i64::MAX) {
        return ts;
    }
    ts.saturating_add(i64::from(offset) * USECS_PER_SEC)
}

pub(crate) fn text(v: &Value) -> String {
    match v {
        Value::Text(s) => s.to_ascii_lowercase(),
        _ => String::new(),
    }
}

pub(crate) fn micros(v: &Value) -> i64 {
    match v {
        Value::Timestamp(t) | Value::TimestampTz(t) | Value::Time(t) => *t,
        Value::Date(d) => i64::from(*d) * USECS_PER_DAY,
        _ => 0,
    }
}

fn int(v: &Value) -> i64 {
    crate::expr::num::to_i64(v).unwrap_or(0)
}

fn float(v: &Value) -> f64 {
    to_f64(v).unwrap_or(0.0)
}

fn interval(v: &Value) -> Interval {
    match v {
        Value::Interval(i) => *i,
        _ => Interval::default(),
    }
}

/// UTC microseconds to local wall-clock microseconds in the session time zone.
pub(crate) fn to_local(utc: i64, ctx: &dyn EvalContext) -> i64 {
    utc + i64::from(ctx.time_zone().offset_at(utc)) * USECS_PER_SEC
}

/// Local wall-clock microseconds to UTC in the session time zone.
pub(crate) fn from_local(local: i64, ctx: &dyn EvalContext) -> i64 {
    local - i64::from(ctx.time_zone().offset_for_local(local)) * USECS_PER_SEC
}

/// Broken-down timestamp.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Parts {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    /// Microseconds since midnight.
    pub time: i64,
}

pub(crate) fn split(ts: i64) -> Parts {
    let days = ts.div_euclid(USECS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    Parts { year, month, day, time: ts.rem_euclid(USECS_PER_DAY) }
}

/// The timestamp of `p`; 22008 when it does not fit (a year millions of years away).
pub(crate) fn join(p: Parts) -> Result<i64> {
    days_from_civil(p.year, p.month, p.day)
        .checked_mul(USECS_PER_DAY)
        .and_then(|t| t.checked_add(p.time))
        .ok_or_else(dt_overflow)
}

fn dt_overflow() -> Error {
    Error::new(SqlState::DATETIME_FIELD_OVERFLOW, "timestamp out of range")
}

/// Adds months to a timestamp, clamping the day to the target month's length.
pub(crate) fn add_months(ts: i64, months: i32) -> Result<i64> {
    if months == 0 {
        return Ok(ts);
    }
    let mut p = split(ts);
    let total = p.year * 12 + i64::from(p.month - 1) + i64::from(months);
    p.year = total.div_euclid(12);
    p.month = u32::try_from(total.rem_euclid(12) + 1).map_err(|_| dt_overflow())?;
    p.day = p.day.min(days_in_month(p.year, p.month));
    join(p)
}

/// `timestamp + interval` (months, then days, then time, as PostgreSQL does).
/// `±infinity` stays as it is; a finite result outside the timestamp range is 22008.
pub(crate) fn add_interval(ts: i64, i: Interval) -> Result<i64> {
    if ts == i64::MIN || ts == i64::MAX {
        return Ok(ts);
    }
    let t = add_months(ts, i.months)?;
    // In 128 bits: the days alone may not fit in 64 bits of microseconds while the sum
    // does (4713 BC plus 109203489 days).
    let sum = i128::from(t) + i128::from(i.days) * i128::from(USECS_PER_DAY) + i128::from(i.micros);
    i64::try_from(sum)
        .ok()
        .filter(|t| (MIN_TIMESTAMP..END_TIMESTAMP).contains(t))
        .ok_or_else(dt_overflow)
}

/// A date as the timestamp of its midnight (`±infinity` kept); 22008 past the
/// timestamp range.
fn date_as_timestamp(d: i32) -> Result<i64> {
    match d {
        i32::MAX => Ok(i64::MAX),
        i32::MIN => Ok(i64::MIN),
        _ => i64::from(d)
            .checked_mul(USECS_PER_DAY)
            .filter(|t| (MIN_TIMESTAMP..END_TIMESTAMP).contains(t))
            .ok_or_else(|| {
                Error::new(SqlState::DATETIME_FIELD_OVERFLOW, "date out of range for timestamp")
            }),
    }
}

fn neg_interval(i: Interval) -> Result<Interval> {
    Ok(Interval {
        months: i.months.checked_neg().ok_or_else(|| out_of_range("interval"))?,
        days: i.days.checked_neg().ok_or_else(|| out_of_range("interval"))?,
        micros: i.micros.checked_neg().ok_or_else(|| out_of_range("interval"))?,
    })
}

fn date_value(days: i64) -> Result<Value> {
    i32::try_from(days)
        .map(Value::Date)
        .map_err(|_| Error::new(SqlState::DATETIME_FIELD_OVERFLOW, "date out of range"))
}

/// The difference of two timestamps as days and time (PostgreSQL's `timestamp_mi`
/// followed by `justify_hours`).
fn ts_diff(a: i64, b: i64) -> Interval {
    let d = a.saturating_sub(b);
    let iv = Interval { months: 0, days: 0, micros: d };
    // Whole days of an i64 of microseconds always fit an i32.
    dt::justify_hours(&iv).unwrap_or(iv)
}

/// Date/time arithmetic (`date + int`, `timestamp - interval`, `interval * float8`, ...).
pub fn datetime_binary(op: BinaryOp, l: &Value, r: &Value) -> Result<Value> {
    use Value as V;
    let iv_add = |a: Interval, b: Interval| -> Result<Interval> {
        Ok(Interval {
            months: a.months.checked_add(b.months).ok_or_else(|| out_of_range("interval"))?,
            days: a.days.checked_add(b.days).ok_or_else(|| out_of_range("interval"))?,
            micros: a.micros.checked_add(b.micros).ok_or_else(|| out_of_range("interval"))?,
        })
    };
    Ok(match (op, l, r) {
        (BinaryOp::Add, V::Date(d), V::Int4(n)) | (BinaryOp::Add, V::Int4(n), V::Date(d)) => {
            date_value(i64::from(*d) + i64::from(*n))?
        }
        (BinaryOp::Sub, V::Date(d), V::Int4(n)) => date_value(i64::from(*d) - i64::from(*n))?,
        (BinaryOp::Sub, V::Date(a), V::Date(b)) => V::Int4(a - b),
        (BinaryOp::Add, V::Date(d), V::Interval(i))
        | (BinaryOp::Add, V::Interval(i), V::Date(d)) => {
            V::Timestamp(add_interval(date_as_timestamp(*d)?, *i)?)
        }
        (BinaryOp::Sub, V::Date(d), V::Interval(i)) => {
            V::Timestamp(add_interval(date_as_timestamp(*d)?, neg_interval(*i)?)?)
        }
        (BinaryOp::Add, V::Date(d), V::Time(t)) | (BinaryOp::Add, V::Time(t), V::Date(d)) => {
            V::Timestamp(i64::from(*d) * USECS_PER_DAY + t)
        }
        (BinaryOp::Add, V::Timestamp(t), V::Interval(i))
        | (BinaryOp::Add, V::Interval(i), V::Timestamp(t)) => V::Timestamp(add_interval(*t, *i)?),
        (BinaryOp::Sub, V::Timestamp(t), V::Interval(i)) => {
            V::Timestamp(add_interval(*t, neg_interval(*i)?)?)
        }
        (BinaryOp::Add, V::TimestampTz(t), V::Interval(i))
        | (BinaryOp::Add, V::Interval(i), V::TimestampTz(t)) => {
            V::TimestampTz(add_interval(*t, *i)?)
        }
        (BinaryOp::Sub, V::TimestampTz(t), V::Interval(i)) => {
            V::TimestampTz(add_interval(*t, neg_interval(*i)?)?)
        }
        (BinaryOp::Sub, V::Timestamp(a), V::Timestamp(b))
        | (BinaryOp::Sub, V::TimestampTz(a), V::TimestampTz(b)) => V::Interval(ts_diff(*a, *b)),
        (BinaryOp::Add, V::Time(t), V::Interval(i))
        | (BinaryOp::Add, V::Interval(i), V::Time(t)) => {
            V::Time((t + i.micros).rem_euclid(USECS_PER_DAY))
        }
        (BinaryOp::Sub, V::Time(t), V::Interval(i)) => {
            V::Time((t - i.micros).rem_euclid(USECS_PER_DAY))
        }
        (BinaryOp::Add, V::Date(d), V::TimeTz(t)) | (BinaryOp::Add, V::TimeTz(t), V::Date(d)) => {
            V::TimestampTz(dt::timetz::date_add(*d, t)?)
        }
        (BinaryOp::Add, V::TimeTz(t), V::Interval(i))
        | (BinaryOp::Add, V::Interval(i), V::TimeTz(t)) => V::TimeTz(t.add_interval(i)),
        (BinaryOp::Sub, V::TimeTz(t), V::Interval(i)) => V::TimeTz(t.sub_interval(i)),
        (BinaryOp::Sub, V::Time(a), V::Time(b)) => {
            V::Interval(Interval { months: 0, days: 0, micros: a - b })
        }
        (BinaryOp::Add, V::Interval(a), V::Interval(b)) => V::Interval(iv_add(*a, *b)?),
        (BinaryOp::Sub, V::Interval(a), V::Interval(b)) => {
            V::Interval(iv_add(*a, neg_interval(*b)?)?)
        }
        (BinaryOp::Mul, V::Interval(i), V::Float8(f))
        | (BinaryOp::Mul, V::Float8(f), V::Interval(i)) => {
            V::Interval(helios_types::datetime::interval_mul(i, *f)?)
        }
        (BinaryOp::Div, V::Interval(i), V::Float8(f)) => {
            V::Interval(helios_types::datetime::interval_div(i, *f)?)
        }
        _ => {
            return Err(Error::internal(format!(
                "no date/time operator {} {op} {}",
                l.data_type(),
                r.data_type()
            )))
        }
    })
}

/// `age(a, b)`: the symbolic difference in years, months and days.
fn age(a: i64, b: i64) -> Interval {
    let (hi, lo, neg) = if a >= b { (a, b, false) } else { (b, a, true) };
    let (p, q) = (split(hi), split(lo));
    let mut time = p.time - q.time;
    let mut day = i64::from(p.day) - i64::from(q.day);
    let mut month = i64::from(p.month) - i64::from(q.month);
    let mut year = p.year - q.year;
    if time < 0 {
        time += USECS_PER_DAY;
        day -= 1;
    }
    if day < 0 {
        // PostgreSQL borrows the length of the earlier date's month.
        day += i64::from(days_in_month(q.year, q.month));
        month -= 1;
    }
    if month < 0 {
        month += 12;
        year -= 1;
    }
    let months = i32::try_from(year * 12 + month).unwrap_or(i32::MAX);
    let days = i32::try_from(day).unwrap_or(0);
    let out = Interval { months, days, micros: time };
    if neg {
        Interval { months: -out.months, days: -out.days, micros: -out.micros }
    } else {
        out
    }
}

fn make_date(y: i64, m: i64, d: i64) -> Result<i32> {
    let bad = || {
        Error::new(
            SqlState::DATETIME_FIELD_OVERFLOW,
            format!("date field value out of range: {y}-{m:02}-{d:02}"),
        )
    };
    if y == 0 {
        return Err(bad());
    }
    let year = if y < 0 { y + 1 } else { y };
    let month = u32::try_from(m).ok().filter(|m| (1..=12).contains(m)).ok_or_else(bad)?;
    let day = u32::try_from(d)
        .ok()
        .filter(|d| *d >= 1 && *d <= days_in_month(year, month))
        .ok_or_else(bad)?;
    i32::try_from(days_from_civil(year, month, day)).map_err(|_| bad())
}

fn make_time(h: i64, m: i64, s: f64) -> Result<i64> {
    if !(0..=24).contains(&h) || !(0..=59).contains(&m) || !(0.0..=60.0).contains(&s) {
        return Err(Error::new(
            SqlState::DATETIME_FIELD_OVERFLOW,
            format!("time field value out of range: {h}:{m:02}:{s:02}"),
        ));
    }
    #[allow(clippy::cast_possible_truncation)]
    let us = (s * 1e6).round() as i64;
    Ok((h * 3600 + m * 60) * USECS_PER_SEC + us)
}

fn make_timestamp(a: &[Value]) -> Result<i64> {
    let d = make_date(int(&a[0]), int(&a[1]), int(&a[2]))?;
    let t = make_time(int(&a[3]), int(&a[4]), float(&a[5]))?;
    Ok(i64::from(d) * USECS_PER_DAY + t)
}

fn make_interval(given: &[Value]) -> Result<Interval> {
    let mut a = given.to_vec();
    while a.len() < 7 {
        a.push(if a.len() == 6 { Value::Float8(0.0) } else { Value::Int4(0) });
    }
    let (years, months, weeks, days, hours, mins) =
        (int(&a[0]), int(&a[1]), int(&a[2]), int(&a[3]), int(&a[4]), int(&a[5]));
    let secs = float(&a[6]);
    let months = years.checked_mul(12).and_then(|y| y.checked_add(months));
    let days = weeks.checked_mul(7).and_then(|w| w.checked_add(days));
    #[allow(clippy::cast_possible_truncation)]
    let micros = (hours * 3600 + mins * 60) * USECS_PER_SEC + (secs * 1e6).round() as i64;
    match (months.and_then(|m| i32::try_from(m).ok()), days.and_then(|d| i32::try_from(d).ok())) {
        (Some(months), Some(days)) => Ok(Interval { months, days, micros }),
        _ => Err(out_of_range("interval")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(y: i64, m: u32, d: u32) -> i64 {
        days_from_civil(y, m, d) * USECS_PER_DAY
    }

    #[test]
    fn interval_days_beyond_64_bit_microseconds() {
        // 4713 BC plus 109203489 days is 294276-12-31: the days alone overflow i64
        // microseconds, the sum does not.
        let bc = ts(-4712, 1, 1);
        let iv = |days| Interval { months: 0, days, micros: 0 };
        assert_eq!(add_interval(bc, iv(109_203_489)).ok(), Some(ts(294_276, 12, 31)));
        let e = add_interval(ts(2000, 1, 1), iv(i32::MAX)).unwrap_err();
        assert_eq!(e.sqlstate(), SqlState::DATETIME_FIELD_OVERFLOW);
    }

    #[test]
    fn month_arithmetic_clamps() {
        let jan31 = ts(2024, 1, 31);
        assert_eq!(add_months(jan31, 1).ok(), Some(ts(2024, 2, 29)));
        assert_eq!(add_months(jan31, -2).ok(), Some(ts(2023, 11, 30)));
    }

    #[test]
    fn age_and_justify() {
        let a = age(ts(2024, 3, 15), ts(2023, 1, 20));
        assert_eq!((a.months, a.days), (13, 26));
        let j =
            dt::justify_hours(&Interval { months: 0, days: 0, micros: 27 * 3600 * USECS_PER_SEC })
                .unwrap();
        assert_eq!((j.days, j.micros), (1, 3 * 3600 * USECS_PER_SEC));
        let k = dt::justify_interval(&Interval { months: 1, days: -33, micros: 0 }).unwrap();
        assert_eq!((k.months, k.days), (0, -3));
    }

    #[test]
    fn truncation() {
        let t = ts(2024, 5, 17) + 13 * 3600 * USECS_PER_SEC;
        assert_eq!(dt::trunc_timestamp("month", t).ok(), Some(ts(2024, 5, 1)));
        assert_eq!(dt::trunc_timestamp("week", t).ok(), Some(ts(2024, 5, 13)));
        assert_eq!(dt::trunc_timestamp("quarter", t).ok(), Some(ts(2024, 4, 1)));
        assert_eq!(dt::trunc_timestamp("millisecond", t + 1_234).ok(), Some(t + 1_000));
        assert!(dt::trunc_timestamp("fortnight", t).is_err());
    }
}
