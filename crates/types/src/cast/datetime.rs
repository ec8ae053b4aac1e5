//! Casts among `date`, `time`, `timetz`, `timestamp`, `timestamptz` and `interval`.

use crate::datetime::timetz;
use crate::error::{TypeError, TypeResult};
use crate::text::calendar::{END_TIMESTAMP, MIN_TIMESTAMP, USECS_PER_DAY, USECS_PER_SEC};
use crate::text::datetime::{
    DATE_INFINITY, DATE_NEG_INFINITY, TIMESTAMP_INFINITY, TIMESTAMP_NEG_INFINITY,
};
use crate::text::TimeZone;
use crate::{DataType, Interval, Value};

fn date_to_ts(d: i32) -> TypeResult<i64> {
    match d {
        DATE_INFINITY => Ok(TIMESTAMP_INFINITY),
        DATE_NEG_INFINITY => Ok(TIMESTAMP_NEG_INFINITY),
        _ => i64::from(d)
            .checked_mul(USECS_PER_DAY)
            .filter(|t| (MIN_TIMESTAMP..END_TIMESTAMP).contains(t))
            .ok_or_else(|| TypeError::DatetimeOverflow("date out of range for timestamp".into())),
    }
}

fn ts_to_date(t: i64) -> TypeResult<i32> {
    match t {
        TIMESTAMP_INFINITY => Ok(DATE_INFINITY),
        TIMESTAMP_NEG_INFINITY => Ok(DATE_NEG_INFINITY),
        _ => i32::try_from(t.div_euclid(USECS_PER_DAY))
            .map_err(|_| TypeError::DatetimeOverflow("date out of range".into())),
    }
}

fn is_infinite(t: i64) -> bool {
    t == TIMESTAMP_INFINITY || t == TIMESTAMP_NEG_INFINITY
}

fn local_to_utc(local: i64, tz: &TimeZone) -> i64 {
    if is_infinite(local) {
        return local;
    }
    local.saturating_sub(i64::from(tz.offset_for_local(local)) * USECS_PER_SEC)
}

fn utc_to_local(utc: i64, tz: &TimeZone) -> i64 {
    if is_infinite(utc) {
        return utc;
    }
    utc.saturating_add(i64::from(tz.offset_at(utc)) * USECS_PER_SEC)
}

/// Casts between date/time types; `None` when no such cast exists.
pub fn cast_datetime(v: &Value, to: &DataType, tz: &TimeZone) -> TypeResult<Option<Value>> {
    let time_of = |t: i64| -> TypeResult<Value> {
        if is_infinite(t) {
            return Err(TypeError::DatetimeOverflow("time out of range".into()));
        }
        Ok(Value::Time(t.rem_euclid(USECS_PER_DAY)))
    };
    Ok(Some(match (v, to) {
        (Value::Date(d), DataType::Date) => Value::Date(*d),
        (Value::Date(d), DataType::Timestamp) => Value::Timestamp(date_to_ts(*d)?),
        (Value::Date(d), DataType::TimestampTz) => {
            Value::TimestampTz(local_to_utc(date_to_ts(*d)?, tz))
        }
        (Value::Timestamp(t), DataType::Timestamp) => Value::Timestamp(*t),
        (Value::Timestamp(t), DataType::Date) => Value::Date(ts_to_date(*t)?),
        (Value::Timestamp(t), DataType::Time) => time_of(*t)?,
        (Value::Timestamp(t), DataType::TimestampTz) => Value::TimestampTz(local_to_utc(*t, tz)),
        (Value::TimestampTz(t), DataType::TimestampTz) => Value::TimestampTz(*t),
        (Value::TimestampTz(t), DataType::Timestamp) => Value::Timestamp(utc_to_local(*t, tz)),
        (Value::TimestampTz(t), DataType::Date) => Value::Date(ts_to_date(utc_to_local(*t, tz))?),
        (Value::TimestampTz(t), DataType::Time) => time_of(utc_to_local(*t, tz))?,
        (Value::Time(t), DataType::Time) => Value::Time(*t),
        (Value::Time(t), DataType::TimeTz) => Value::TimeTz(timetz::from_time(*t, tz)),
        (Value::TimeTz(t), DataType::TimeTz) => Value::TimeTz(*t),
        (Value::TimeTz(t), DataType::Time) => Value::Time(t.micros),
        (Value::TimestampTz(t), DataType::TimeTz) => {
            Value::TimeTz(timetz::from_timestamptz(*t, tz)?)
        }
        (Value::Time(t), DataType::Interval) => {
            Value::Interval(Interval { months: 0, days: 0, micros: *t })
        }
        (Value::Interval(iv), DataType::Interval) => Value::Interval(*iv),
        (Value::Interval(iv), DataType::Time) => Value::Time(iv.micros.rem_euclid(USECS_PER_DAY)),
        _ => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str, ty: DataType) -> Value {
        Value::parse_pg_text(s, &ty).unwrap()
    }

    #[test]
    fn date_time_casts() {
        let tz = TimeZone::UTC;
        let ts = p("2024-01-02 03:04:05", DataType::Timestamp);
        let c = |v: &Value, to: DataType| cast_datetime(v, &to, &tz).unwrap().unwrap().to_pg_text();
        assert_eq!(c(&ts, DataType::Date), "2024-01-02");
        assert_eq!(c(&ts, DataType::Time), "03:04:05");
        assert_eq!(c(&ts, DataType::TimestampTz), "2024-01-02 03:04:05+00");
        assert_eq!(c(&p("2024-01-02", DataType::Date), DataType::Timestamp), "2024-01-02 00:00:00");
        assert_eq!(c(&p("1999-12-31 23:00", DataType::Timestamp), DataType::Date), "1999-12-31");
        assert_eq!(c(&p("infinity", DataType::Date), DataType::Timestamp), "infinity");
        assert_eq!(c(&p("1 day 03:00", DataType::Interval), DataType::Time), "03:00:00");
        let plus5 = TimeZone::fixed(5 * 3600).unwrap();
        let tstz = p("2024-01-02 22:00:00+00", DataType::TimestampTz);
        let local = cast_datetime(&tstz, &DataType::Date, &plus5).unwrap().unwrap();
        assert_eq!(local.to_pg_text(), "2024-01-03");
        assert!(cast_datetime(&ts, &DataType::Interval, &tz).unwrap().is_none());
        let far = p("5874897-12-31", DataType::Date);
        let e = cast_datetime(&far, &DataType::Timestamp, &tz).unwrap_err();
        assert_eq!(e.to_string(), "date out of range for timestamp");
    }
}
