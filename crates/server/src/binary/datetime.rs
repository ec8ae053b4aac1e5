//! Binary format of `date`, `time`, `timetz`, `timestamp`, `timestamptz` and `interval`.
//!
//! The engine keeps these in PostgreSQL's own representation (days or microseconds since
//! 2000-01-01, microseconds since midnight, and interval's three fields), so the binary
//! format is the value in network byte order. `interval` is sent as int8 microseconds,
//! int4 days, int4 months; `timetz` as int8 microseconds and int4 seconds *west* of UTC
//! (PostgreSQL's `timetz_send`).

use bytes::{BufMut, BytesMut};
use helios_common::Result;
use helios_types::{DataType, Interval, Value};

use super::{bad_binary, fixed, mismatch, Reader};

/// Appends the binary form of a date/time value.
pub fn encode(value: &Value, ty: &DataType, out: &mut BytesMut) -> Result<()> {
    match (value, ty) {
        (Value::Date(d), DataType::Date) => out.put_i32(*d),
        (Value::Time(t), DataType::Time) => out.put_i64(*t),
        (Value::TimeTz(t), DataType::TimeTz) => {
            out.put_i64(t.micros);
            out.put_i32(t.zone_west());
        }
        (
            Value::Timestamp(t) | Value::TimestampTz(t),
            DataType::Timestamp | DataType::TimestampTz,
        ) => {
            out.put_i64(*t);
        }
        (Value::Interval(iv), DataType::Interval) => {
            out.put_i64(iv.micros);
            out.put_i32(iv.days);
            out.put_i32(iv.months);
        }
        _ => return Err(mismatch(value, ty)),
    }
    Ok(())
}

/// Decodes a binary date/time value of type `ty`.
pub fn decode(bytes: &[u8], ty: &DataType) -> Result<Value> {
    Ok(match ty {
        DataType::Date => Value::Date(i32::from_be_bytes(fixed(bytes, "date")?)),
        DataType::Time => {
            let t = i64::from_be_bytes(fixed(bytes, "time")?);
            if !(0..=86_400_000_000).contains(&t) {
                return Err(bad_binary("time out of range"));
            }
            Value::Time(t)
        }
        DataType::TimeTz => {
            let mut r = Reader::new(bytes);
            let micros = r.i64()?;
            let west = r.i32()?;
            if !r.is_empty() {
                return Err(bad_binary("timetz needs 12 bytes"));
            }
            if !(0..=86_400_000_000).contains(&micros) {
                return Err(bad_binary("time out of range"));
            }
            if west.unsigned_abs() > helios_types::datetime::timetz::MAX_OFFSET_SECS.unsigned_abs()
            {
                return Err(bad_binary("time zone displacement out of range"));
            }
            Value::TimeTz(helios_types::TimeTz::new(micros, -west))
        }
        DataType::Timestamp => Value::Timestamp(i64::from_be_bytes(fixed(bytes, "timestamp")?)),
        DataType::TimestampTz => {
            Value::TimestampTz(i64::from_be_bytes(fixed(bytes, "timestamptz")?))
        }
        DataType::Interval => {
            let mut r = Reader::new(bytes);
            let micros = r.i64()?;
            let days = r.i32()?;
            let months = r.i32()?;
            if !r.is_empty() {
                return Err(bad_binary("interval needs 16 bytes"));
            }
            Value::Interval(Interval { months, days, micros })
        }
        other => return Err(bad_binary(format!("{other} is not a date/time type"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(v: Value, ty: DataType) -> Vec<u8> {
        let mut b = BytesMut::new();
        encode(&v, &ty, &mut b).unwrap();
        assert_eq!(decode(&b, &ty).unwrap(), v);
        b.to_vec()
    }

    #[test]
    fn layouts() {
        assert_eq!(round_trip(Value::Date(-1), DataType::Date), [0xff; 4]);
        assert_eq!(round_trip(Value::Time(1), DataType::Time), [0, 0, 0, 0, 0, 0, 0, 1]);
        // `00:00:00.000001-08`: the zone goes out as seconds west (+28800).
        let tz = Value::TimeTz(helios_types::TimeTz::new(1, -8 * 3600));
        assert_eq!(round_trip(tz, DataType::TimeTz), [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0x70, 0x80]);
        assert_eq!(
            round_trip(Value::Timestamp(256), DataType::Timestamp),
            [0, 0, 0, 0, 0, 0, 1, 0]
        );
        round_trip(Value::TimestampTz(-5), DataType::TimestampTz);
        let iv = Value::Interval(Interval { months: 2, days: 3, micros: 4 });
        assert_eq!(
            round_trip(iv, DataType::Interval),
            [0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0, 2]
        );
    }

    #[test]
    fn rejects_wrong_sizes() {
        assert!(decode(&[0, 0, 0], &DataType::Date).is_err());
        assert!(decode(&[0; 15], &DataType::Interval).is_err());
        assert!(decode(&[0; 17], &DataType::Interval).is_err());
        assert!(decode(&[0xff; 8], &DataType::Time).is_err());
    }
}
