//! The session's `DateStyle` and `IntervalStyle` settings: how date/time values print
//! and in which order ambiguous numeric dates (`01/02/03`) are read.
//!
//! `DateStyle` holds an output format (`ISO`, `SQL`, `Postgres`, `German`) and a field
//! order (`MDY`, `DMY`, `YMD`); `SET DateStyle` may give either or both, as in
//! PostgreSQL's `check_datestyle`.

use helios_common::SqlState;

use crate::error::{TypeError, TypeResult};

/// The output format part of `DateStyle`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DateFormat {
    /// `1997-02-10 17:32:01-08`
    #[default]
    Iso,
    /// `02/10/1997 17:32:01 PST`
    Sql,
    /// `Mon Feb 10 17:32:01 1997 PST`
    Postgres,
    /// `10.02.1997 17:32:01 PST`
    German,
}

/// The field order part of `DateStyle`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DateOrder {
    /// Month, day, year (`US`, `NonEuropean`).
    #[default]
    Mdy,
    /// Day, month, year (`European`).
    Dmy,
    /// Year, month, day.
    Ymd,
}

/// The `IntervalStyle` setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum IntervalStyle {
    /// `1 year 2 mons 3 days 04:05:06`
    #[default]
    Postgres,
    /// `@ 1 year 2 mons 3 days 4 hours 5 mins 6 secs`
    PostgresVerbose,
    /// `1-2 3 4:05:06`
    SqlStandard,
    /// `P1Y2M3DT4H5M6S`
    Iso8601,
}

/// The date/time display settings of a session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DateStyle {
    /// Output format.
    pub format: DateFormat,
    /// Field order for input and for the SQL and Postgres output formats.
    pub order: DateOrder,
    /// Interval output format.
    pub interval: IntervalStyle,
}

fn invalid_datestyle(value: &str, detail: &str) -> TypeError {
    TypeError::Other {
        state: SqlState::INVALID_PARAMETER_VALUE,
        message: format!("invalid value for parameter \"DateStyle\": \"{value}\""),
        detail: Some(detail.to_string()),
    }
}

impl DateStyle {
    /// Reads the `DateStyle` and `IntervalStyle` setting texts (`None` or unreadable
    /// values fall back to the defaults, `ISO, MDY` and `postgres`).
    pub fn from_settings(datestyle: Option<&str>, intervalstyle: Option<&str>) -> DateStyle {
        let base = DateStyle::default();
        let mut style = datestyle.and_then(|d| apply_datestyle(d, base).ok()).unwrap_or(base);
        style.interval =
            intervalstyle.and_then(|i| parse_intervalstyle(i).ok()).unwrap_or_default();
        style
    }

    /// The `DateStyle` text `SHOW` prints (`ISO, MDY`).
    pub fn datestyle_text(&self) -> String {
        let format = match self.format {
            DateFormat::Iso => "ISO",
            DateFormat::Sql => "SQL",
            DateFormat::Postgres => "Postgres",
            DateFormat::German => "German",
        };
        let order = match self.order {
            DateOrder::Mdy => "MDY",
            DateOrder::Dmy => "DMY",
            DateOrder::Ymd => "YMD",
        };
        format!("{format}, {order}")
    }
}

/// Applies a `SET DateStyle` value to the `current` style, as PostgreSQL does: a
/// format or an order alone keeps the other part; `German` implies `DMY` unless an
/// order is given; `DEFAULT` is `ISO, MDY`.
pub fn apply_datestyle(value: &str, current: DateStyle) -> TypeResult<DateStyle> {
    let mut format = None;
    let mut order = None;
    let conflict = || invalid_datestyle(value, "Conflicting \"datestyle\" specifications.");
    for token in value.split(',').map(str::trim) {
        let word = token.trim_matches('"').to_ascii_lowercase();
        let (f, o) = match word.as_str() {
            "iso" => (Some(DateFormat::Iso), None),
            "sql" => (Some(DateFormat::Sql), None),
            "postgres" => (Some(DateFormat::Postgres), None),
            "german" => (Some(DateFormat::German), None),
            "ymd" => (None, Some(DateOrder::Ymd)),
            "dmy" | "euro" | "european" => (None, Some(DateOrder::Dmy)),
            "mdy" | "us" | "noneuro" | "noneuropean" => (None, Some(DateOrder::Mdy)),
            "default" => (Some(DateFormat::Iso), Some(DateOrder::Mdy)),
            _ => {
                return Err(invalid_datestyle(
                    value,
                    &format!("Unrecognized key word: \"{token}\"."),
                ))
            }
        };
        if let Some(f) = f {
            if format.is_some_and(|old| old != f) {
                return Err(conflict());
            }
            format = Some(f);
        }
        if let Some(o) = o {
            if order.is_some_and(|old| old != o) {
                return Err(conflict());
            }
            order = Some(o);
        }
    }
    let mut out = current;
    if let Some(f) = format {
        out.format = f;
        if f == DateFormat::German && order.is_none() {
            out.order = DateOrder::Dmy;
        }
    }
    if let Some(o) = order {
        out.order = o;
    }
    Ok(out)
}

/// Reads an `IntervalStyle` value.
pub fn parse_intervalstyle(value: &str) -> TypeResult<IntervalStyle> {
    Ok(match value.trim().to_ascii_lowercase().as_str() {
        "postgres" => IntervalStyle::Postgres,
        "postgres_verbose" => IntervalStyle::PostgresVerbose,
        "sql_standard" => IntervalStyle::SqlStandard,
        "iso_8601" => IntervalStyle::Iso8601,
        _ => {
            return Err(TypeError::Other {
                state: SqlState::INVALID_PARAMETER_VALUE,
                message: format!("invalid value for parameter \"IntervalStyle\": \"{value}\""),
                detail: None,
            })
        }
    })
}

/// The canonical `IntervalStyle` text.
pub fn intervalstyle_text(style: IntervalStyle) -> &'static str {
    match style {
        IntervalStyle::Postgres => "postgres",
        IntervalStyle::PostgresVerbose => "postgres_verbose",
        IntervalStyle::SqlStandard => "sql_standard",
        IntervalStyle::Iso8601 => "iso_8601",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datestyle_settings_combine_like_postgres() {
        let d = DateStyle::default();
        let set = |v: &str, cur: DateStyle| apply_datestyle(v, cur).map(|s| s.datestyle_text());
        assert_eq!(set("Postgres, MDY", d).as_deref(), Ok("Postgres, MDY"));
        assert_eq!(set("dmy", d).as_deref(), Ok("ISO, DMY"));
        assert_eq!(set("German", d).as_deref(), Ok("German, DMY"));
        assert_eq!(set("German, YMD", d).as_deref(), Ok("German, YMD"));
        let pg = apply_datestyle("Postgres, YMD", d).unwrap();
        assert_eq!(set("sql", pg).as_deref(), Ok("SQL, YMD"));
        let e = apply_datestyle("foo", d).unwrap_err();
        assert_eq!(e.to_string(), "invalid value for parameter \"DateStyle\": \"foo\"");
        assert_eq!(e.sqlstate().code(), "22023");
        assert!(apply_datestyle("sql, iso", d).is_err());
        assert_eq!(parse_intervalstyle("SQL_STANDARD"), Ok(IntervalStyle::SqlStandard));
        assert!(parse_intervalstyle("x").is_err());
        let s = DateStyle::from_settings(Some("SQL, DMY"), Some("iso_8601"));
        assert_eq!(
            (s.format, s.order, s.interval),
            (DateFormat::Sql, DateOrder::Dmy, IntervalStyle::Iso8601)
        );
    }
}
