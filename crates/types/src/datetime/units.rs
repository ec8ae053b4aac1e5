//! The field names `date_trunc` and `extract` accept, with PostgreSQL's spellings.

use helios_common::SqlState;

use crate::error::TypeError;

/// A date/time field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// `microseconds`
    Microseconds,
    /// `milliseconds`
    Milliseconds,
    /// `second`
    Second,
    /// `minute`
    Minute,
    /// `hour`
    Hour,
    /// `day`
    Day,
    /// `week` (ISO 8601)
    Week,
    /// `month`
    Month,
    /// `quarter`
    Quarter,
    /// `year`
    Year,
    /// `decade`
    Decade,
    /// `century`
    Century,
    /// `millennium`
    Millennium,
    /// `dow` (0 = Sunday)
    Dow,
    /// `isodow` (7 = Sunday)
    IsoDow,
    /// `doy`
    Doy,
    /// `epoch`
    Epoch,
    /// `isoyear`
    IsoYear,
    /// `julian`
    Julian,
    /// `timezone` (seconds east of UTC)
    Timezone,
    /// `timezone_hour`
    TimezoneHour,
    /// `timezone_minute`
    TimezoneMinute,
}

impl Unit {
    /// Reads a field name (case-insensitive, PostgreSQL's abbreviations and plurals).
    pub fn parse(name: &str, type_name: &str) -> Result<Unit, TypeError> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "useconds"
            | "microsecon" => Unit::Microseconds,
            "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "mseconds"
            | "millisecon" => Unit::Milliseconds,
            "second" | "seconds" | "s" | "sec" | "secs" => Unit::Second,
            "minute" | "minutes" | "m" | "min" | "mins" => Unit::Minute,
            "hour" | "hours" | "h" | "hr" | "hrs" => Unit::Hour,
            "day" | "days" | "d" => Unit::Day,
            "week" | "weeks" | "w" => Unit::Week,
            "month" | "months" | "mon" | "mons" => Unit::Month,
            "quarter" | "qtr" => Unit::Quarter,
            "year" | "years" | "y" | "yr" | "yrs" => Unit::Year,
            "decade" | "decades" | "dec" | "decs" => Unit::Decade,
            "century" | "centuries" | "c" | "cent" => Unit::Century,
            "millennium" | "millennia" | "mil" | "mils" => Unit::Millennium,
            "dow" => Unit::Dow,
            "isodow" => Unit::IsoDow,
            "doy" => Unit::Doy,
            "epoch" => Unit::Epoch,
            "isoyear" => Unit::IsoYear,
            "julian" | "j" => Unit::Julian,
            "timezone" => Unit::Timezone,
            "timezone_h" | "timezone_hour" => Unit::TimezoneHour,
            "timezone_m" | "timezone_minute" => Unit::TimezoneMinute,
            _ => return Err(not_recognized(name, type_name)),
        })
    }
}

/// `22023 unit "x" not recognized for type t`.
pub fn not_recognized(name: &str, type_name: &str) -> TypeError {
    TypeError::other(
        SqlState::INVALID_PARAMETER_VALUE,
        format!("unit \"{}\" not recognized for type {type_name}", name.to_ascii_lowercase()),
    )
}

/// `0A000 unit "x" not supported for type t`.
pub fn not_supported(name: &str, type_name: &str) -> TypeError {
    TypeError::other(
        SqlState::FEATURE_NOT_SUPPORTED,
        format!("unit \"{}\" not supported for type {type_name}", name.to_ascii_lowercase()),
    )
}
