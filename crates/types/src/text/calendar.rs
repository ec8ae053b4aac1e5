//! Proleptic Gregorian calendar arithmetic on days since 2000-01-01 (PostgreSQL's date
//! epoch), and the ranges PostgreSQL supports.
//!
//! Years are astronomical: year 0 is 1 BC, year -43 is 44 BC.

/// Days from 1970-01-01 to 2000-01-01.
const UNIX_TO_PG_DAYS: i64 = 10_957;

/// Microseconds in a day.
pub const USECS_PER_DAY: i64 = 86_400_000_000;
/// Microseconds in an hour.
pub const USECS_PER_HOUR: i64 = 3_600_000_000;
/// Microseconds in a minute.
pub const USECS_PER_MINUTE: i64 = 60_000_000;
/// Microseconds in a second.
pub const USECS_PER_SEC: i64 = 1_000_000;

/// First supported date: 4714-11-24 BC (Julian day 0).
pub const MIN_DATE_DAYS: i64 = -2_451_545;
/// Last supported date: 5874897-12-31.
pub const MAX_DATE_DAYS: i64 = 2_145_031_948;
/// First supported timestamp: 4714-11-24 00:00:00 BC.
pub const MIN_TIMESTAMP: i64 = MIN_DATE_DAYS * USECS_PER_DAY;
/// One past the last supported timestamp (294277-01-01 00:00:00).
pub const END_TIMESTAMP: i64 = (109_203_528 - 2_451_545) * USECS_PER_DAY;

/// Whether `year` (astronomical) is a leap year.
pub fn is_leap(year: i64) -> bool {
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

/// Number of days in `month` (1..=12) of `year`.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 2000-01-01 of a civil date (no validation).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468 - UNIX_TO_PG_DAYS
}

/// The civil date (year, month, day) of a day number counted from 2000-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + UNIX_TO_PG_DAYS + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

thread_local! {
    /// The running transaction's start time, while a statement runs on this thread.
    static TRANSACTION_TIME: std::cell::Cell<Option<i64>> = const { std::cell::Cell::new(None) };
}

/// Runs `f` with `now` (microseconds since 2000-01-01 UTC) as the time [`now_micros`]
/// reports on this thread: date/time input (`'now'`, `'today'`) then reads the
/// transaction's start time, as in PostgreSQL.
pub fn with_transaction_time<R>(now: i64, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<i64>);
    impl Drop for Restore {
        fn drop(&mut self) {
            TRANSACTION_TIME.with(|t| t.set(self.0));
        }
    }
    let _restore = Restore(TRANSACTION_TIME.with(|t| t.replace(Some(now))));
    f()
}

/// The current time as microseconds since 2000-01-01 UTC: the transaction's start time
/// inside [`with_transaction_time`], else the wall clock.
pub fn now_micros() -> i64 {
    if let Some(now) = TRANSACTION_TIME.with(std::cell::Cell::get) {
        return now;
    }
    let since_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0);
    since_unix - UNIX_TO_PG_DAYS * USECS_PER_DAY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_time_overrides_the_clock_while_set() {
        assert_eq!(with_transaction_time(42, now_micros), 42);
        assert_eq!(with_transaction_time(1, || with_transaction_time(2, now_micros)), 2);
        assert_ne!(now_micros(), 42);
    }
    use proptest::prelude::*;

    #[test]
    fn known_days() {
        assert_eq!(days_from_civil(2000, 1, 1), 0);
        assert_eq!(days_from_civil(1970, 1, 1), -10_957);
        assert_eq!(days_from_civil(2024, 3, 1) - days_from_civil(2024, 2, 28), 2);
        assert_eq!(days_from_civil(-4713, 11, 24), MIN_DATE_DAYS);
        assert_eq!(days_from_civil(5_874_897, 12, 31), MAX_DATE_DAYS);
        assert_eq!(days_from_civil(294_277, 1, 1) * USECS_PER_DAY, END_TIMESTAMP);
        assert_eq!(civil_from_days(-1), (1999, 12, 31));
        assert!(is_leap(2000) && !is_leap(1900) && is_leap(0) && is_leap(-4));
    }

    proptest! {
        #[test]
        fn civil_round_trips(days in MIN_DATE_DAYS..=MAX_DATE_DAYS) {
            let (y, m, d) = civil_from_days(days);
            prop_assert!((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m));
            prop_assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
