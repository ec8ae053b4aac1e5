//! The session time zone used to print and read `timestamp with time zone`.
//!
//! A [`TimeZone`] is either a fixed offset (`UTC`, `+05:30`, POSIX-style `UTC+3`) or a
//! named zone of the system tz database (`Europe/Berlin`), loaded once per process and
//! kept for its lifetime, so the type stays `Copy`.
//!
//! Wall-clock times that a daylight-saving change makes ambiguous or skips are resolved
//! as PostgreSQL does: in a spring-forward gap the offset from before the change applies
//! (`02:30` becomes `03:30` daylight time); in a fall-back overlap the offset from after
//! the change applies (standard time).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use helios_common::{Error, Result, SqlState};

use super::style::DateStyle;
use super::tzfile::Zone;
use crate::error::TypeError;

/// Seconds between 1970-01-01 and 2000-01-01.
const UNIX_TO_PG_SECS: i64 = 946_684_800;

#[derive(Clone, Copy, Debug)]
enum Kind {
    Fixed(i32),
    Named(&'static Zone),
}

/// A time zone: a fixed offset east of UTC or a named zone with its rules, together
/// with the session's `DateStyle` / `IntervalStyle` (the display settings travel with
/// the zone, which every date/time conversion already receives).
#[derive(Clone, Copy, Debug)]
pub struct TimeZone {
    kind: Kind,
    style: DateStyle,
}

impl Default for TimeZone {
    fn default() -> TimeZone {
        TimeZone::UTC
    }
}

impl PartialEq for TimeZone {
    fn eq(&self, other: &TimeZone) -> bool {
        self.style == other.style
            && match (self.kind, other.kind) {
                (Kind::Fixed(a), Kind::Fixed(b)) => a == b,
                (Kind::Named(a), Kind::Named(b)) => a.name == b.name,
                _ => false,
            }
    }
}

impl Eq for TimeZone {}

impl std::hash::Hash for TimeZone {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self.kind {
            Kind::Fixed(o) => (0u8, o).hash(state),
            Kind::Named(z) => (1u8, &z.name).hash(state),
        }
        self.style.hash(state);
    }
}

fn invalid(name: &str) -> TypeError {
    TypeError::other(
        SqlState::INVALID_PARAMETER_VALUE,
        format!("invalid value for parameter \"TimeZone\": \"{name}\""),
    )
}

/// The offset (seconds east of UTC) of a time zone abbreviation accepted in timestamp
/// input (`pst`, `cest`; lower case), from PostgreSQL's `Default` set.
pub fn abbreviation_offset(word: &str) -> Option<i32> {
    super::datetime_words::zone_abbreviation(word).map(|(off, _)| off)
}

impl TimeZone {
    /// Coordinated Universal Time.
    pub const UTC: TimeZone = TimeZone {
        kind: Kind::Fixed(0),
        style: DateStyle {
            format: super::style::DateFormat::Iso,
            order: super::style::DateOrder::Mdy,
            interval: super::style::IntervalStyle::Postgres,
        },
    };

    /// The same zone with the given display settings.
    pub fn with_style(self, style: DateStyle) -> TimeZone {
        TimeZone { style, ..self }
    }

    /// The session's `DateStyle` / `IntervalStyle` carried with the zone.
    pub fn style(&self) -> DateStyle {
        self.style
    }

    /// The zone's abbreviation at an instant (microseconds since 2000-01-01 UTC), as
    /// the SQL, Postgres and German DateStyles print it: `PST`, `UTC`, `+05`.
    pub fn abbrev_at(&self, utc_micros: i64) -> String {
        match self.kind {
            Kind::Fixed(0) => "UTC".into(),
            Kind::Fixed(o) => format_offset(o),
            Kind::Named(z) => z.abbrev_at(utc_micros).to_string(),
        }
    }

    /// A fixed offset east of UTC (`+05:30` is `19800`); PostgreSQL allows up to ±15:59:59.
    pub fn fixed(offset_secs: i32) -> Result<TimeZone> {
        if offset_secs.unsigned_abs() >= 16 * 3600 {
            return Err(Error::from(TypeError::other(
                SqlState::INVALID_PARAMETER_VALUE,
                format!("time zone displacement out of range: {offset_secs}"),
            )));
        }
        Ok(TimeZone { kind: Kind::Fixed(offset_secs), ..TimeZone::UTC })
    }

    /// Reads a time zone name as PostgreSQL does (`SET TIME ZONE`, `AT TIME ZONE`):
    /// `UTC` and its aliases, a zone of the system tz database (case-insensitive), or a
    /// POSIX TZ spec, whose offsets count west of UTC (`UTC+3` and `+03` are three hours
    /// west, `CST6CDT,M3.2.0,M11.1.0` has daylight time). A bare number as a *setting*
    /// means hours east instead: see [`TimeZone::setting_text`].
    pub fn parse(name: &str) -> Result<TimeZone> {
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
        // A spec read before is no file (the tz database was searched then): found in
        // its cache, it skips that search, which touches the file system.
        match posix_cache_get(s).or_else(|| load_named(s)).or_else(|| load_posix(s)) {
            Some(z) => Ok(TimeZone { kind: Kind::Named(z), ..TimeZone::UTC }),
            None => Err(invalid(name).into()),
        }
    }

    /// The canonical text of a `TimeZone` setting, as `SHOW timezone` prints it, or
    /// `22023` for a value that names no zone. A number is hours east of UTC and becomes
    /// the POSIX spec PostgreSQL stores for it (`5.5` is `<+05:30>-05:30`); `utc` is
    /// `UTC`, and a tz database name takes its file's spelling (`europe/berlin` is
    /// `Europe/Berlin`).
    pub fn setting_text(value: &str) -> Result<String> {
        let s = value.trim();
        if let Ok(hours) = s.parse::<f64>() {
            // Rust's float syntax also has `inf` and `NaN`; PostgreSQL's strtod does too,
            // and then refuses them as offsets.
            if !hours.is_finite() || hours.abs() >= 168.0 {
                return Err(invalid(value).into());
            }
            return Ok(TimeZone::east_setting_text((hours * 3600.0).round() as i32));
        }
        let zone = TimeZone::parse(s)?;
        Ok(match zone.kind {
            Kind::Fixed(_) => "UTC".to_string(),
            Kind::Named(z) => z.name.clone(),
        })
    }

    /// The setting text of a fixed offset east of UTC (seconds), the POSIX spec
    /// PostgreSQL writes for a numeric or interval `SET TIME ZONE`: `<+05:30>-05:30`,
    /// `<-08>+08`, `<+00>-00`.
    pub fn east_setting_text(east: i32) -> String {
        let name = format_offset(east);
        let sign = if east >= 0 { '-' } else { '+' };
        format!("<{name}>{sign}{}", &name[1..])
    }

    /// The offset of a zone that never changes it (a fixed offset, `Etc/GMT+3`), `None`
    /// for a zone with rules or history (`America/New_York`, `Asia/Kolkata`).
    pub fn fixed_offset(&self) -> Option<i32> {
        match self.kind {
            Kind::Fixed(o) => Some(o),
            Kind::Named(z) => z.fixed_offset(),
        }
    }

    /// Seconds east of UTC at the given instant (microseconds since 2000-01-01 UTC).
    pub fn offset_at(&self, utc_micros: i64) -> i32 {
        match self.kind {
            Kind::Fixed(o) => o,
            Kind::Named(z) => z.offset_at(utc_micros),
        }
    }

    /// Seconds east of UTC for a local wall-clock time (microseconds since 2000-01-01,
    /// local), resolving gaps and overlaps as PostgreSQL does (see the module docs).
    pub fn offset_for_local(&self, local_micros: i64) -> i32 {
        let zone = match self.kind {
            Kind::Fixed(o) => return o,
            Kind::Named(z) => z,
        };
        let local = local_micros.div_euclid(1_000_000) + UNIX_TO_PG_SECS;
        let before = zone.offset_at_unix(local.saturating_sub(86_400));
        let after = zone.offset_at_unix(local.saturating_add(86_400));
        let fits = |o: i32| zone.offset_at_unix(local - i64::from(o)) == o;
        match (fits(before), fits(after)) {
            (_, true) => after,
            (true, false) => before,
            (false, false) => before,
        }
    }
}

impl std::fmt::Display for TimeZone {
    /// `UTC`, the ISO offset (`+05:30`) of a fixed zone, or the zone's name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            Kind::Fixed(0) => f.write_str("UTC"),
            Kind::Fixed(o) => f.write_str(&format_offset(o)),
            Kind::Named(z) => f.write_str(&z.name),
        }
    }
}

/// The directory holding the tz database.
fn zoneinfo_dir() -> PathBuf {
    std::env::var_os("TZDIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/share/zoneinfo"))
}

/// Finds `name` under `dir`, matching each path component case-insensitively.
fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    let valid = |c: &str| {
        !c.is_empty()
            && !c.starts_with('.')
            && c.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+'))
    };
    let mut path = dir.to_path_buf();
    for comp in name.split('/') {
        if !valid(comp) {
            return None;
        }
        let exact = path.join(comp);
        if exact.exists() {
            path = exact;
            continue;
        }
        let entry = std::fs::read_dir(&path)
            .ok()?
            .flatten()
            .find(|e| e.file_name().to_str().is_some_and(|f| f.eq_ignore_ascii_case(comp)))?;
        path = entry.path();
    }
    path.is_file().then_some(path)
}

/// Loads (once per process) the named zone from the tz database.
fn load_named(name: &str) -> Option<&'static Zone> {
    static CACHE: OnceLock<Mutex<HashMap<String, &'static Zone>>> = OnceLock::new();
    let key = name.to_ascii_lowercase();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(z) = cache.lock().ok()?.get(&key) {
        return Some(z);
    }
    let path = find_file(&zoneinfo_dir(), name)?;
    let data = std::fs::read(&path).ok()?;
    let canonical = path
        .strip_prefix(zoneinfo_dir())
        .ok()
        .and_then(|p| p.to_str())
        .map_or_else(|| name.to_string(), str::to_string);
    let zone: &'static Zone = Box::leak(Box::new(Zone::from_tzif(&canonical, &data)?));
    cache.lock().ok()?.insert(key, zone);
    Some(zone)
}

/// Most distinct POSIX specs kept per process: zones live as long as the process (so that
/// [`TimeZone`] stays `Copy`), and clients must not be able to grow that without bound.
const MAX_POSIX_ZONES: usize = 4096;

/// The zones of the POSIX specs built so far, by spec.
fn posix_zones() -> &'static Mutex<HashMap<String, &'static Zone>> {
    static CACHE: OnceLock<Mutex<HashMap<String, &'static Zone>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The zone of a POSIX spec built before.
fn posix_cache_get(spec: &str) -> Option<&'static Zone> {
    posix_zones().lock().ok()?.get(spec).copied()
}

/// Builds (once per process and spec) the zone of a POSIX TZ spec.
fn load_posix(spec: &str) -> Option<&'static Zone> {
    if let Some(z) = posix_cache_get(spec) {
        return Some(z);
    }
    if posix_zones().lock().ok()?.len() >= MAX_POSIX_ZONES {
        return None;
    }
    let zone: &'static Zone = Box::leak(Box::new(Zone::from_posix(spec)?));
    posix_zones().lock().ok()?.insert(spec.to_string(), zone);
    Some(zone)
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
        // POSIX specs count west of UTC; a bare number as a setting counts east.
        let west = TimeZone::parse("+05:30").unwrap();
        assert_eq!(west.offset_at(0), -19_800);
        assert_eq!(west.abbrev_at(0), "");
        assert_eq!(west.to_string(), "+05:30");
        assert_eq!(TimeZone::UTC.to_string(), "UTC");
        let utc3 = TimeZone::parse("UTC+3").unwrap();
        assert_eq!((utc3.offset_at(0), utc3.abbrev_at(0).as_str()), (-3 * 3600, "UTC"));
        assert_eq!(TimeZone::parse("-8").map(|z| z.offset_at(0)), Ok(8 * 3600));
        assert_eq!(TimeZone::setting_text("5.5").as_deref(), Ok("<+05:30>-05:30"));
        assert_eq!(TimeZone::setting_text("-8").as_deref(), Ok("<-08>+08"));
        assert_eq!(TimeZone::setting_text("0").as_deref(), Ok("<+00>-00"));
        assert_eq!(TimeZone::setting_text(" utc").as_deref(), Ok("UTC"));
        assert_eq!(TimeZone::setting_text("FOO-2").as_deref(), Ok("FOO-2"));
        assert!(TimeZone::setting_text("NaN").is_err());
        assert!(TimeZone::setting_text("200").is_err());
        let ist = TimeZone::parse(&TimeZone::setting_text("5.5").unwrap()).unwrap();
        assert_eq!((ist.offset_at(0), ist.abbrev_at(0).as_str()), (19_800, "+05:30"));
        assert_eq!(TimeZone::parse("3").map(|z| z.offset_at(0)), Ok(-3 * 3600));
        let e = TimeZone::parse("Mars/Olympus").unwrap_err();
        assert_eq!(e.sqlstate().code(), "22023");
        assert_eq!(e.to_string(), "invalid value for parameter \"TimeZone\": \"Mars/Olympus\"");
        assert!(TimeZone::parse("../../etc/passwd").is_err());
        assert_eq!(TimeZone::parse("PST+8").map(|z| z.offset_at(0)), Ok(-8 * 3600));
        assert_eq!(TimeZone::parse("mst7").map(|z| z.offset_at(0)), Ok(-7 * 3600));
        assert!(TimeZone::parse("ABC").is_err());
        assert!(TimeZone::parse("XYZ+168").is_err());
    }

    #[test]
    fn posix_specs_follow_their_daylight_rules() {
        // 2024-07-01 and 2024-01-01 12:00 UTC, in microseconds since 2000-01-01.
        let (july, january) = (773_150_400_000_000, 757_425_600_000_000);
        let cst = TimeZone::parse("CST7CDT,M4.1.0,M10.5.0").unwrap();
        assert_eq!((cst.offset_at(july), cst.offset_at(january)), (-6 * 3600, -7 * 3600));
        assert_eq!((cst.abbrev_at(july).as_str(), cst.abbrev_at(january).as_str()), ("CDT", "CST"));
        assert_eq!(cst.fixed_offset(), None);
        // Daylight time without rules follows the US rules, as in PostgreSQL.
        let foo = TimeZone::parse("FOO7BAR").unwrap();
        assert_eq!((foo.offset_at(july), foo.offset_at(january)), (-6 * 3600, -7 * 3600));
        let quoted = TimeZone::parse("<+0330>-3:30").unwrap();
        assert_eq!((quoted.offset_at(july), quoted.abbrev_at(july).as_str()), (12_600, "+0330"));
        assert_eq!(quoted.fixed_offset(), Some(12_600));
        let south = TimeZone::parse("<-03>3<-02>,M3.5.0/-2,M10.5.0/-1").unwrap();
        assert_eq!((south.offset_at(july), south.offset_at(january)), (-2 * 3600, -3 * 3600));
    }
}
