//! Date and time operations with PostgreSQL's semantics: arithmetic (`timestamp +
//! interval`, differences, `justify_*`, interval scaling), `date_trunc` and `extract`.
//!
//! Values use the representations of [`crate::Value`] (days or microseconds since
//! 2000-01-01, [`crate::Interval`] fields, [`TimeTz`]); `timestamptz` operations take the session
//! [`crate::TimeZone`]. Text input and output live in [`crate::text`].

pub mod arith;
pub mod extract;
pub mod precision;
pub mod timetz;
pub mod trunc;
pub mod units;

pub use arith::{
    date_add_days, date_diff, interval_add, interval_div, interval_mul, interval_negate,
    interval_sub, justify_days, justify_hours, justify_interval, timestamp_add, timestamp_diff,
    timestamp_sub, timestamptz_add, timestamptz_sub,
};
pub use extract::{
    extract_date, extract_interval, extract_time, extract_timestamp, extract_timestamptz,
};
pub use precision::{round_micros, round_to_precision};
pub use timetz::TimeTz;
pub use trunc::{date_bin, trunc_interval, trunc_timestamp, trunc_timestamptz};
pub use units::Unit;

#[cfg(test)]
mod fuzz {
    use super::*;
    use crate::text::TimeZone;
    use crate::Interval;
    use proptest::prelude::*;

    const UNITS: [&str; 23] = [
        "microseconds",
        "milliseconds",
        "second",
        "minute",
        "hour",
        "day",
        "week",
        "month",
        "quarter",
        "year",
        "decade",
        "century",
        "millennium",
        "dow",
        "isodow",
        "doy",
        "epoch",
        "isoyear",
        "julian",
        "timezone",
        "timezone_hour",
        "timezone_minute",
        "bogus",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn operations_never_panic(
            a in any::<i64>(),
            b in any::<i64>(),
            d in any::<i32>(),
            (months, days, micros) in (any::<i32>(), any::<i32>(), any::<i64>()),
            factor in any::<f64>(),
            unit in 0..23usize,
            off in -15 * 3600..15 * 3600i32,
        ) {
            let tz = TimeZone::fixed(off).expect("in range");
            let iv = Interval { months, days, micros };
            let u = UNITS[unit];
            let _ = timestamp_add(a, &iv);
            let _ = timestamptz_add(a, &iv, &tz);
            let _ = timestamp_sub(a, &iv);
            let _ = timestamp_diff(a, b);
            let _ = interval_add(&iv, &iv);
            let _ = interval_mul(&iv, factor);
            let _ = interval_div(&iv, factor);
            let _ = justify_interval(&iv);
            let _ = justify_days(&iv);
            let _ = justify_hours(&iv);
            let _ = date_add_days(d, d);
            let _ = date_diff(d, d.wrapping_neg());
            let _ = trunc_timestamp(u, a);
            let _ = trunc_timestamptz(u, a, &tz);
            let _ = trunc_interval(u, &iv);
            let _ = extract_timestamp(u, a);
            let _ = extract_timestamptz(u, a, &tz);
            let _ = extract_date(u, d);
            let _ = extract_time(u, b.rem_euclid(86_400_000_001));
            let _ = extract_interval(u, &iv);
        }
    }
}
