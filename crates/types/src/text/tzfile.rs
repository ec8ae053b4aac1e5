//! Named time zones from the system's tz database (`/usr/share/zoneinfo`, or `$TZDIR`):
//! a reader for TZif files (RFC 8536) and for the POSIX TZ rule in their footer, which
//! gives the offset after the last listed transition.
//!
//! A zone answers "what is the UTC offset at this instant" ([`Zone::offset_at`]); the
//! reverse question for a wall-clock time is answered in [`super::timezone`].

use super::calendar::{days_from_civil, days_in_month};

/// Seconds between 1970-01-01 and 2000-01-01.
const UNIX_TO_PG_SECS: i64 = 946_684_800;

/// A named zone: its UTC-offset history and the rule that continues it.
#[derive(Debug, PartialEq, Eq)]
pub struct Zone {
    /// The name it was loaded under, e.g. `Europe/Berlin`.
    pub name: String,
    /// Transition instants, Unix seconds, ascending.
    transitions: Vec<i64>,
    /// The offset (seconds east of UTC) in effect from each transition on.
    offsets: Vec<i32>,
    /// The abbreviation (`PST`, `CEST`) in effect from each transition on.
    abbrevs: Vec<String>,
    /// The offset before the first transition.
    initial: i32,
    /// The abbreviation before the first transition.
    initial_abbrev: String,
    /// The rule for instants after the last transition.
    rule: Option<PosixRule>,
}

impl Zone {
    /// Seconds east of UTC at `unix` (seconds since 1970-01-01 UTC).
    pub fn offset_at_unix(&self, unix: i64) -> i32 {
        let idx = self.transitions.partition_point(|t| *t <= unix);
        if idx == self.transitions.len() {
            if let Some(rule) = &self.rule {
                return rule.offset_at(unix);
            }
        }
        if idx == 0 {
            self.initial
        } else {
            self.offsets[idx - 1]
        }
    }

    /// The zone's one offset if it has never had another (no transitions to a
    /// different offset, no daylight rule).
    pub fn fixed_offset(&self) -> Option<i32> {
        let o = self.initial;
        let rule_fixed = self.rule.as_ref().is_none_or(|r| r.dst.is_none() && r.std == o);
        (rule_fixed && self.offsets.iter().all(|x| *x == o)).then_some(o)
    }

    /// Seconds east of UTC at an instant given in microseconds since 2000-01-01 UTC.
    pub fn offset_at(&self, utc_micros: i64) -> i32 {
        self.offset_at_unix(utc_micros.div_euclid(1_000_000) + UNIX_TO_PG_SECS)
    }

    /// The abbreviation in effect at an instant given in microseconds since 2000-01-01
    /// UTC (`PST`, `PDT`; `LMT` before standard time).
    pub fn abbrev_at(&self, utc_micros: i64) -> &str {
        let unix = utc_micros.div_euclid(1_000_000) + UNIX_TO_PG_SECS;
        let idx = self.transitions.partition_point(|t| *t <= unix);
        if idx == self.transitions.len() {
            if let Some(rule) = &self.rule {
                return if rule.in_dst(unix) { &rule.dst_name } else { &rule.std_name };
            }
        }
        if idx == 0 {
            &self.initial_abbrev
        } else {
            &self.abbrevs[idx - 1]
        }
    }

    /// A zone given by a POSIX TZ spec alone, as `SET TIME ZONE` accepts one when no file
    /// of the tz database has the name: `EST5EDT`, `UTC+3` (west of UTC, the POSIX sign),
    /// `<+0330>-3:30`, `CST6CDT,M3.2.0,M11.1.0`, and, as PostgreSQL allows, abbreviations
    /// shorter than three letters or none at all (`+05:30` is five and a half hours west).
    /// Daylight time named without rules follows the US rules, as PostgreSQL's
    /// `posixrules` default does. `None` when `spec` is not such a spec.
    pub fn from_posix(spec: &str) -> Option<Zone> {
        let rule = PosixRule::parse_spec(spec, true)?;
        Some(Zone {
            name: spec.to_string(),
            transitions: Vec::new(),
            offsets: Vec::new(),
            abbrevs: Vec::new(),
            initial: rule.std,
            initial_abbrev: rule.std_name.clone(),
            rule: Some(rule),
        })
    }

    /// Reads a TZif file.
    pub fn from_tzif(name: &str, data: &[u8]) -> Option<Zone> {
        let mut r = Reader { data, at: 0 };
        let header = r.header()?;
        let (header, wide) = if header.version >= b'2' {
            r.skip(header.v1_body_len())?;
            (r.header()?, true)
        } else {
            (header, false)
        };
        let size = if wide { 8 } else { 4 };
        let mut transitions = Vec::with_capacity(header.timecnt);
        for _ in 0..header.timecnt {
            transitions.push(if wide { r.i64()? } else { i64::from(r.i32()?) });
        }
        let indices = r.take(header.timecnt)?.to_vec();
        let mut types = Vec::with_capacity(header.typecnt);
        let mut desig = Vec::with_capacity(header.typecnt);
        for _ in 0..header.typecnt {
            let utoff = r.i32()?;
            let t = r.take(2)?;
            types.push(utoff);
            desig.push(usize::from(t[1]));
        }
        let chars = r.take(header.charcnt)?;
        let names = desig
            .iter()
            .map(|at| {
                let tail = chars.get(*at..)?;
                let end = tail.iter().position(|c| *c == 0).unwrap_or(tail.len());
                std::str::from_utf8(&tail[..end]).ok().map(str::to_string)
            })
            .collect::<Option<Vec<_>>>()?;
        let offsets = indices
            .iter()
            .map(|i| types.get(usize::from(*i)).copied())
            .collect::<Option<Vec<_>>>()?;
        let abbrevs = indices
            .iter()
            .map(|i| names.get(usize::from(*i)).cloned())
            .collect::<Option<Vec<_>>>()?;
        let initial = *types.first()?;
        let initial_abbrev = names.first()?.clone();
        r.skip(header.leapcnt * (size + 4) + header.isstdcnt + header.isutcnt)?;
        let rule = if wide {
            let footer = &data[r.at..];
            let text = std::str::from_utf8(footer).ok()?.trim_matches('\n');
            if text.is_empty() {
                None
            } else {
                Some(PosixRule::parse_spec(text, false)?)
            }
        } else {
            None
        };
        if transitions.windows(2).any(|w| w[0] > w[1]) {
            return None;
        }
        Some(Zone {
            name: name.to_string(),
            transitions,
            offsets,
            abbrevs,
            initial,
            initial_abbrev,
            rule,
        })
    }
}

struct Header {
    version: u8,
    isutcnt: usize,
    isstdcnt: usize,
    leapcnt: usize,
    timecnt: usize,
    typecnt: usize,
    charcnt: usize,
}

impl Header {
    fn v1_body_len(&self) -> usize {
        self.timecnt * 5
            + self.typecnt * 6
            + self.charcnt
            + self.leapcnt * 8
            + self.isstdcnt
            + self.isutcnt
    }
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.data.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }

    fn skip(&mut self, n: usize) -> Option<()> {
        self.take(n).map(|_| ())
    }

    fn i32(&mut self) -> Option<i32> {
        Some(i32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn i64(&mut self) -> Option<i64> {
        Some(i64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }

    fn count(&mut self) -> Option<usize> {
        usize::try_from(self.i32()?).ok().filter(|n| *n < 1 << 20)
    }

    fn header(&mut self) -> Option<Header> {
        if self.take(4)? != b"TZif" {
            return None;
        }
        let version = self.take(1)?[0];
        self.skip(15)?;
        Some(Header {
            version,
            isutcnt: self.count()?,
            isstdcnt: self.count()?,
            leapcnt: self.count()?,
            timecnt: self.count()?,
            typecnt: self.count()?,
            charcnt: self.count()?,
        })
    }
}

/// When a daylight-saving period starts or ends within a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuleDate {
    /// `Mm.w.d`: weekday `d` (0 = Sunday) of week `w` (5 = last) of month `m`.
    MonthWeekDay(u32, u32, u32),
    /// `Jn`: day `n` (1..=365), February 29 never counted.
    Julian1(u32),
    /// `n`: zero-based day of the year (0..=365), February 29 counted.
    Julian0(u32),
}

impl RuleDate {
    /// Days since 2000-01-01 of this date in `year`.
    fn day(self, year: i64) -> i64 {
        match self {
            RuleDate::MonthWeekDay(m, w, d) => {
                let first = days_from_civil(year, m, 1);
                // 2000-01-01 was a Saturday (6).
                let first_wd = (first + 6).rem_euclid(7) as u32;
                let mut day = 1 + (d + 7 - first_wd) % 7 + (w - 1) * 7;
                while day > days_in_month(year, m) {
                    day -= 7;
                }
                first + i64::from(day) - 1
            }
            RuleDate::Julian1(n) => {
                let leap_shift = i64::from(n >= 60 && super::calendar::is_leap(year));
                days_from_civil(year, 1, 1) + i64::from(n) - 1 + leap_shift
            }
            RuleDate::Julian0(n) => days_from_civil(year, 1, 1) + i64::from(n),
        }
    }
}

/// A rule date with the time of day (seconds after local midnight) the change happens.
type Change = (RuleDate, i32);

/// A POSIX TZ rule such as `CET-1CEST,M3.5.0,M10.5.0/3`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PosixRule {
    /// Standard offset, seconds east of UTC.
    std: i32,
    /// Standard time's abbreviation (`PST`; `+05` for a `<+05>` name).
    std_name: String,
    /// Daylight time's abbreviation (empty without daylight time).
    dst_name: String,
    /// Daylight-saving offset and its start and end (date, seconds after local midnight).
    dst: Option<(i32, Change, Change)>,
}

impl PosixRule {
    /// Reads a rule; `lenient` for one a user typed (see [`Zone::from_posix`]) rather than
    /// a TZif footer.
    fn parse_spec(s: &str, lenient: bool) -> Option<PosixRule> {
        let mut p = RuleParser { s: s.as_bytes(), i: 0, lenient };
        let std_name = p.name()?;
        let std = -p.offset()?;
        let dst_name = String::new();
        if p.done() {
            return Some(PosixRule { std, std_name, dst_name, dst: None });
        }
        let dst_name = p.name()?;
        let dst = if p.peek() == Some(b',') || p.done() { std + 3600 } else { -p.offset()? };
        if p.done() {
            if lenient {
                // PostgreSQL's default rules: second Sunday of March to first of November.
                let (start, end) =
                    (RuleDate::MonthWeekDay(3, 2, 0), RuleDate::MonthWeekDay(11, 1, 0));
                let dst = Some((dst, (start, 7200), (end, 7200)));
                return Some(PosixRule { std, std_name, dst_name, dst });
            }
            // No rule given: the tz database always gives one; treat as standard time.
            return Some(PosixRule { std, std_name, dst_name, dst: None });
        }
        p.expect(b',')?;
        let start = p.rule_date()?;
        p.expect(b',')?;
        let end = p.rule_date()?;
        p.done().then_some(PosixRule { std, std_name, dst_name, dst: Some((dst, start, end)) })
    }

    fn offset_at(&self, unix: i64) -> i32 {
        match self.dst {
            Some((dst, ..)) if self.in_dst(unix) => dst,
            _ => self.std,
        }
    }

    /// Whether daylight time is in effect at `unix`.
    fn in_dst(&self, unix: i64) -> bool {
        let Some((dst, (start_date, start_time), (end_date, end_time))) = self.dst else {
            return false;
        };
        let local_days = (unix + i64::from(self.std)).div_euclid(86_400) - UNIX_TO_PG_SECS / 86_400;
        let (year, _, _) = super::calendar::civil_from_days(local_days);
        let pg = unix - UNIX_TO_PG_SECS;
        let start = start_date.day(year) * 86_400 + i64::from(start_time) - i64::from(self.std);
        let end = end_date.day(year) * 86_400 + i64::from(end_time) - i64::from(dst);
        if start < end {
            start <= pg && pg < end
        } else {
            !(end <= pg && pg < start)
        }
    }
}

struct RuleParser<'a> {
    s: &'a [u8],
    i: usize,
    /// Names may be shorter than three letters (or empty), and offsets are at most a week.
    lenient: bool,
}

impl RuleParser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn done(&self) -> bool {
        self.i == self.s.len()
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn name(&mut self) -> Option<String> {
        if self.peek()? == b'<' {
            let end = self.s[self.i..].iter().position(|c| *c == b'>')?;
            let name = std::str::from_utf8(&self.s[self.i + 1..self.i + end]).ok()?.to_string();
            self.i += end + 1;
            return Some(name);
        }
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.i += 1;
        }
        let name = std::str::from_utf8(&self.s[start..self.i]).ok()?.to_string();
        (self.lenient || self.i - start >= 3).then_some(name)
    }

    fn number(&mut self) -> Option<i32> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        // Hours and days in TZ rules are small; bounding them keeps the arithmetic safe.
        std::str::from_utf8(&self.s[start..self.i]).ok()?.parse().ok().filter(|n| *n <= 1000)
    }

    /// `[+-]hh[:mm[:ss]]` in seconds (POSIX sign: positive is west of UTC).
    fn offset(&mut self) -> Option<i32> {
        let neg = match self.peek()? {
            b'-' => {
                self.i += 1;
                true
            }
            b'+' => {
                self.i += 1;
                false
            }
            _ => false,
        };
        let hours = self.number()?;
        if self.lenient && hours >= 168 {
            return None;
        }
        let mut secs = hours * 3600;
        if self.peek() == Some(b':') {
            self.i += 1;
            secs += self.number()? * 60;
            if self.peek() == Some(b':') {
                self.i += 1;
                secs += self.number()?;
            }
        }
        Some(if neg { -secs } else { secs })
    }

    fn rule_date(&mut self) -> Option<Change> {
        let date = match self.peek()? {
            b'M' => {
                self.i += 1;
                let m = u32::try_from(self.number()?).ok().filter(|m| (1..=12).contains(m))?;
                self.expect(b'.')?;
                let w = u32::try_from(self.number()?).ok().filter(|w| (1..=5).contains(w))?;
                self.expect(b'.')?;
                let d = u32::try_from(self.number()?).ok().filter(|d| *d <= 6)?;
                RuleDate::MonthWeekDay(m, w, d)
            }
            b'J' => {
                self.i += 1;
                RuleDate::Julian1(
                    u32::try_from(self.number()?).ok().filter(|n| (1..=365).contains(n))?,
                )
            }
            _ => RuleDate::Julian0(u32::try_from(self.number()?).ok().filter(|n| *n <= 365)?),
        };
        let time = if self.peek() == Some(b'/') {
            self.i += 1;
            self.offset()?
        } else {
            7200
        };
        Some((date, time))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_rules() {
        let berlin = PosixRule::parse_spec("CET-1CEST,M3.5.0,M10.5.0/3", false).unwrap();
        let at = |y, m, d, h: i64| (days_from_civil(y, m, d) * 86_400 + h * 3600) + UNIX_TO_PG_SECS;
        assert_eq!(berlin.offset_at(at(2100, 1, 1, 12)), 3600);
        assert_eq!(berlin.offset_at(at(2100, 7, 1, 12)), 7200);
        // 2100-03-28 is the last Sunday of March: DST starts at 01:00 UTC.
        assert_eq!(berlin.offset_at(at(2100, 3, 28, 0)), 3600);
        assert_eq!(berlin.offset_at(at(2100, 3, 28, 1)), 7200);
        let sydney = PosixRule::parse_spec("AEST-10AEDT,M10.1.0,M4.1.0/3", false).unwrap();
        assert_eq!(sydney.offset_at(at(2100, 1, 1, 0)), 11 * 3600);
        assert_eq!(sydney.offset_at(at(2100, 7, 1, 0)), 10 * 3600);
        let fixed = PosixRule::parse_spec("<+0530>-5:30", false).unwrap();
        assert_eq!(fixed.offset_at(0), 19_800);
        assert!(PosixRule::parse_spec("X1", false).is_none());
        let extreme =
            PosixRule::parse_spec("CET-999CEST-1000,M3.5.0/999,J365/-999", false).unwrap();
        let _ = extreme.offset_at(at(2100, 7, 1, 0));
        assert!(PosixRule::parse_spec("CET-99999", false).is_none());
        assert!(PosixRule::parse_spec("CET-1CEST,M13.5.0,M10.5.0", false).is_none());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn damaged_files_never_panic(
            tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
            at in proptest::prelude::any::<usize>(),
            byte in proptest::prelude::any::<u8>(),
        ) {
            let mut data = b"TZif2".to_vec();
            data.extend_from_slice(&tail);
            let _ = Zone::from_tzif("x", &data);
            let rule_text: String = tail.iter().map(|b| b"CESTM0123456789.,/+-:<>J"[usize::from(*b) % 24] as char).collect();
            if let Some(rule) = PosixRule::parse_spec(&rule_text, false) {
                let _ = rule.offset_at(at as i64 / 2);
            }
            // A real file with one byte changed, when the system has one.
            if let Ok(mut real) = std::fs::read("/usr/share/zoneinfo/Europe/Berlin") {
                let i = at % real.len();
                real[i] = byte;
                if let Some(z) = Zone::from_tzif("x", &real) {
                    let _ = z.offset_at(0);
                    let _ = z.offset_at(i64::MAX);
                    let _ = z.offset_at(i64::MIN);
                }
            }
        }
    }

    #[test]
    fn rejects_damaged_files() {
        assert!(Zone::from_tzif("x", b"").is_none());
        assert!(Zone::from_tzif("x", b"TZif2").is_none());
        let mut bad = b"TZif".to_vec();
        bad.extend_from_slice(&[b'2'; 16]);
        bad.extend_from_slice(&[0xff; 24]);
        assert!(Zone::from_tzif("x", &bad).is_none());
    }
}
