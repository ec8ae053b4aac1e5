//! The session time zone used to print and read `timestamp with time zone`.
//!
//! This first version knows fixed UTC offsets only (`UTC`, `+05:30`); named zones with
//! daylight-saving rules come later behind the same type.

use crate::error::{TypeError, TypeResult};

/// A time zone: for now a fixed offset east of UTC, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct TimeZone {
    offset_secs: i32,
}

impl TimeZone {
    /// Coordinated Universal Time.
    pub const UTC: TimeZone = TimeZone { offset_secs: 0 };

    /// A fixed offset east of UTC (`+05:30` is `19800`); PostgreSQL allows up to ±15:59:59.
    pub fn fixed(offset_secs: i32) -> TypeResult<TimeZone> {
        if offset_secs.unsigned_abs() >= 16 * 3600 {
            return Err(TypeError::other(
                helios_common::SqlState::INVALID_PARAMETER_VALUE,
                format!("time zone displacement out of range: {offset_secs}"),
            ));
        }
        Ok(TimeZone { offset_secs })
    }

    /// Reads a `SET TIME ZONE` value: `UTC` and its aliases (`GMT`, `Z`, `Etc/UTC`, ...)
    /// or an ISO 8601 offset such as `+05:30` or `-08`. Named zones with daylight-saving
    /// rules are not supported yet (`22023`).
    pub fn parse(name: &str) -> TypeResult<TimeZone> {
        let s = name.trim();
        let lower = s.to_ascii_lowercase();
        if matches!(
            lower.as_str(),
            "utc"
                | "gmt"
                | "z"
                | "zulu"
                | "uct"
                | "universal"
                | "etc/utc"
                | "etc/gmt"
                | "etc/uct"
                | "etc/universal"
                | "gmt0"
                | "etc/gmt0"
        ) {
            return Ok(TimeZone::UTC);
        }
        match super::datetime_fields::parse_offset(s, s) {
            Some(Ok(off)) => TimeZone::fixed(off),
            _ => Err(TypeError::other(
                helios_common::SqlState::INVALID_PARAMETER_VALUE,
                format!("invalid value for parameter \"TimeZone\": \"{name}\""),
            )),
        }
    }

    /// Seconds east of UTC at the given instant (microseconds since 2000-01-01 UTC).
    pub fn offset_at(&self, _utc_micros: i64) -> i32 {
        self.offset_secs
    }

    /// Seconds east of UTC for a local wall-clock time in this zone.
    pub fn offset_for_local(&self, _local_micros: i64) -> i32 {
        self.offset_secs
    }
}

impl std::fmt::Display for TimeZone {
    /// `UTC`, or the ISO offset (`+05:30`) of a fixed zone.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.offset_secs == 0 {
            f.write_str("UTC")
        } else {
            f.write_str(&format_offset(self.offset_secs))
        }
    }
}

/// PostgreSQL's rendering of a UTC offset: `+00`, `+05:30`, `-03:00:15`.
pub fn format_offset(offset_secs: i32) -> String {
    let sign = if offset_secs < 0 { '-' } else { '+' };
    let a = offset_secs.unsigned_abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    if s != 0 {
        format!("{sign}{h:02}:{m:02}:{s:02}")
    } else if m != 0 {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_print_like_postgres() {
        assert_eq!(format_offset(0), "+00");
        assert_eq!(format_offset(19_800), "+05:30");
        assert_eq!(format_offset(-3 * 3600 - 15), "-03:00:15");
        assert!(TimeZone::fixed(16 * 3600).is_err());
        assert_eq!(TimeZone::fixed(3600).map(|z| z.offset_at(0)), Ok(3600));
        assert_eq!(TimeZone::parse("Etc/UTC"), Ok(TimeZone::UTC));
        assert_eq!(TimeZone::parse(" gmt "), Ok(TimeZone::UTC));
        let ist = TimeZone::parse("+05:30").unwrap();
        assert_eq!(ist.offset_at(0), 19_800);
        assert_eq!(ist.to_string(), "+05:30");
        assert_eq!(TimeZone::UTC.to_string(), "UTC");
        let e = TimeZone::parse("Mars/Olympus").unwrap_err();
        assert_eq!(e.sqlstate().code(), "22023");
        assert_eq!(e.to_string(), "invalid value for parameter \"TimeZone\": \"Mars/Olympus\"");
    }
}
