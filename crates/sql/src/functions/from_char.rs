//! `to_timestamp(text, template)` and `to_date(text, template)`: reading a date/time
//! through a formatting template, as PostgreSQL's non-standard (not `FX`-strict) mode
//! does.
//!
//! The template is split into nodes: template patterns (`YYYY`, `Mon`, `HH24`, ...)
//! with their `FM` prefix and `TH` suffix, separators (printable ASCII that is neither
//! a letter nor a digit), spaces, and other characters (letters, and everything inside
//! double quotes). The input is then read node by node:
//!
//! - spaces are skipped before every pattern and after it (unless `FX` was given);
//! - a separator or space in the template takes one separator or space of the input, or
//!   nothing when there is none; with `FX` it takes exactly one character;
//! - another character takes one input character (not compared), unless more spaces
//!   were skipped before it than the template asked for;
//! - a number takes as many characters as the pattern is wide, or, with `FM` or when
//!   a non-digit follows in the template, as many digits as there are;
//! - reading stops when the template or the input ends.
//!
//! The fields found are then combined as PostgreSQL does (century with a two-digit
//! year, ISO week dates, day of year, Julian days, 12-hour clock, BC), checked
//! (`22008` for values out of range, `22007` for malformed input) and turned into a
//! local timestamp, with the `TZH`/`TZM` offset when given. `TZ`, `tz` and `OF` are
//! refused with `0A000`, as in PostgreSQL 15.

use helios_common::{Error, Result, SqlState};
use helios_types::text::calendar::{
    civil_from_days, days_from_civil, days_in_month, USECS_PER_DAY,
};

use super::to_char::{DAYS, MONTHS};

/// The patterns `to_timestamp` reads; matching takes the longest at each place.
const KEYWORDS: &[&str] = &[
    "A.D.", "A.M.", "AD", "AM", "B.C.", "BC", "CC", "DAY", "DDD", "DD", "DY", "Day", "Dy", "D",
    "FF1", "FF2", "FF3", "FF4", "FF5", "FF6", "FX", "HH24", "HH12", "HH", "IDDD", "ID", "IW",
    "IYYY", "IYY", "IY", "I", "J", "MI", "MM", "MONTH", "MON", "MS", "Month", "Mon", "OF", "P.M.",
    "PM", "Q", "RM", "SSSSS", "SSSS", "SS", "TZH", "TZM", "TZ", "US", "WW", "W", "Y,YYY", "YYYY",
    "YYY", "YY", "Y", "a.d.", "a.m.", "ad", "am", "b.c.", "bc", "cc", "day", "ddd", "dd", "dy",
    "d", "ff1", "ff2", "ff3", "ff4", "ff5", "ff6", "fx", "hh24", "hh12", "hh", "iddd", "id", "iw",
    "iyyy", "iyy", "iy", "i", "j", "mi", "mm", "month", "mon", "ms", "of", "p.m.", "pm", "q", "rm",
    "sssss", "ssss", "ss", "tz", "tzh", "tzm", "us", "ww", "w", "y,yyy", "yyyy", "yyy", "yy", "y",
];

/// Roman month numerals, longest first where one is a prefix of another.
const ROMAN_MONTHS: [&str; 12] =
    ["xii", "xi", "x", "ix", "viii", "vii", "vi", "v", "iv", "iii", "ii", "i"];

/// One node of a template.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// A pattern (upper-cased to its canonical spelling) with `FM` and `TH`.
    Field { key: &'static str, fill: bool, th: bool },
    /// A separator character of the template.
    Separator,
    /// A space of the template.
    Space,
    /// A literal character (a letter, or anything inside double quotes).
    Char,
}

/// Whether `c` is a separator: printable ASCII that is not a letter or digit.
fn is_separator(c: char) -> bool {
    c.is_ascii_graphic() && !c.is_ascii_alphanumeric()
}

/// Splits a template into nodes.
fn parse_template(fmt: &str) -> Vec<Node> {
    let mut nodes = Vec::new();
    let mut rest = fmt;
    while !rest.is_empty() {
        let mut fill = false;
        for prefix in ["FM", "fm", "TM", "tm"] {
            if let Some(r) = rest.strip_prefix(prefix) {
                fill |= prefix.eq_ignore_ascii_case("FM");
                rest = r;
                break;
            }
        }
        let key = KEYWORDS.iter().filter(|k| rest.starts_with(**k)).max_by_key(|k| k.len());
        if let Some(key) = key {
            rest = &rest[key.len()..];
            let th = ["TH", "th"].iter().any(|t| rest.starts_with(t));
            if th {
                rest = &rest[2..];
            } else if let Some(r) = rest.strip_prefix("SP") {
                rest = r;
            }
            nodes.push(Node::Field { key, fill, th });
            continue;
        }
        let mut chars = rest.chars();
        let Some(c) = chars.next() else { break };
        if c == '"' {
            // Quoted text: every character is literal, `\` escapes the next one.
            let mut quoted = chars.as_str();
            loop {
                let mut cs = quoted.chars();
                match cs.next() {
                    None => break,
                    Some('"') => {
                        quoted = cs.as_str();
                        break;
                    }
                    Some('\\') => {
                        if cs.next().is_some() {
                            nodes.push(Node::Char);
                        }
                    }
                    Some(_) => nodes.push(Node::Char),
                }
                quoted = cs.as_str();
            }
            rest = quoted;
            continue;
        }
        // Outside quotes a backslash only escapes a double quote.
        let c = if c == '\\' && chars.as_str().starts_with('"') {
            chars.next();
            '"'
        } else {
            c
        };
        nodes.push(if is_separator(c) {
            Node::Separator
        } else if c.is_whitespace() {
            Node::Space
        } else {
            Node::Char
        });
        rest = chars.as_str();
    }
    nodes
}

/// Which date convention a pattern belongs to (they must not be mixed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Convention {
    Gregorian,
    IsoWeek,
}

fn convention(key: &str) -> Option<Convention> {
    match key.to_ascii_uppercase().as_str() {
        "IDDD" | "ID" | "IW" | "IYYY" | "IYY" | "IY" | "I" => Some(Convention::IsoWeek),
        "DDD" | "DD" | "D" | "MM" | "MONTH" | "MON" | "RM" | "WW" | "W" | "Y,YYY" | "YYYY"
        | "YYY" | "YY" | "Y" => Some(Convention::Gregorian),
        _ => None,
    }
}

/// Whether a pattern reads digits (a number pattern right after another makes that one
/// read a fixed width).
fn reads_digits(key: &str) -> bool {
    !matches!(
        key.to_ascii_uppercase().as_str(),
        "A.D."
            | "A.M."
            | "AD"
            | "AM"
            | "B.C."
            | "BC"
            | "DAY"
            | "DY"
            | "FX"
            | "MONTH"
            | "MON"
            | "OF"
            | "P.M."
            | "PM"
            | "RM"
            | "TZ"
    )
}

/// The fields read from the input; 0 is "not given", as in PostgreSQL.
#[derive(Debug, Default)]
struct Fields {
    convention: Option<Convention>,
    hh: i64,
    twelve_hour: bool,
    pm: i64,
    mi: i64,
    ss: i64,
    ssss: i64,
    ms: i64,
    us: i64,
    ff: u32,
    tz_sign: i64,
    tzh: i64,
    tzm: i64,
    bc: i64,
    mm: i64,
    dd: i64,
    ddd: i64,
    d: i64,
    ww: i64,
    w: i64,
    cc: i64,
    j: i64,
    year: i64,
    year_digits: u32,
}

/// A parsed date/time: the local day (days since 2000-01-01) and time of day
/// (microseconds), the `TZH:TZM` offset in seconds east of UTC when given, and the
/// `FFn` precision when given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Parsed {
    pub days: i64,
    pub time: i64,
    pub offset: Option<i64>,
    pub precision: Option<u32>,
}

impl Parsed {
    /// Local microseconds since 2000-01-01; `None` past what an i64 holds.
    pub fn local(&self) -> Option<i64> {
        self.days.checked_mul(USECS_PER_DAY)?.checked_add(self.time)
    }
}

/// `22007` with PostgreSQL's message for a value a pattern could not read.
fn invalid_value(value: &str, key: &str) -> Error {
    Error::new(
        SqlState::INVALID_DATETIME_FORMAT,
        format!("invalid value \"{value}\" for \"{key}\""),
    )
}

/// The reader of one input string.
struct Reader<'a> {
    input: &'a str,
    /// The unread rest of the input.
    s: &'a str,
    fields: Fields,
}

impl<'a> Reader<'a> {
    /// Skips spaces; returns how many.
    fn skip_spaces(&mut self) -> i64 {
        let n = self.s.len() - self.s.trim_start().len();
        self.s = &self.s[n..];
        i64::try_from(n).unwrap_or(i64::MAX)
    }

    fn skip_char(&mut self) {
        let mut cs = self.s.chars();
        cs.next();
        self.s = cs.as_str();
    }

    /// Sets a field, refusing a second different value.
    fn set(slot: &mut i64, value: i64, key: &str) -> Result<()> {
        if *slot != 0 && *slot != value {
            return Err(Error::new(
                SqlState::INVALID_DATETIME_FORMAT,
                format!("conflicting values for \"{key}\" field in formatting string"),
            )
            .with_detail("This value contradicts a previous setting for the same field type."));
        }
        *slot = value;
        Ok(())
    }

    /// Reads an integer of `width` characters (or, when `greedy`, as many digits as
    /// there are); returns it and the number of bytes consumed.
    fn int(&mut self, width: usize, greedy: bool, key: &str) -> Result<(i64, usize)> {
        let init = self.s;
        let start = self.s.trim_start();
        // The next `width` bytes, as PostgreSQL copies them (cut back to a whole
        // character).
        let mut cut = width.min(start.len());
        while !start.is_char_boundary(cut) {
            cut -= 1;
        }
        let copy = &start[..cut];
        let (value, rest) = if greedy {
            let (v, used) = leading_int(init);
            (v, &init[used..])
        } else {
            let available = start.len();
            if available < width {
                return Err(Error::new(
                    SqlState::INVALID_DATETIME_FORMAT,
                    format!("source string too short for \"{key}\" formatting field"),
                )
                .with_detail(format!(
                    "Field requires {width} characters, but only {available} remain."
                ))
                .with_hint(
                    "If your source string is not fixed-width, try using the \"FM\" modifier.",
                ));
            }
            let (v, used) = leading_int(copy);
            if used > 0 && used < width {
                return Err(invalid_value(copy, key)
                    .with_detail(format!(
                        "Field requires {width} characters, but only {used} could be parsed."
                    ))
                    .with_hint(
                        "If your source string is not fixed-width, try using the \"FM\" modifier.",
                    ));
            }
            (v, &start[used..])
        };
        if rest.len() == init.len() {
            return Err(invalid_value(copy, key).with_detail("Value must be an integer."));
        }
        let value = value.filter(|v| i32::try_from(*v).is_ok()).ok_or_else(|| {
            Error::new(
                SqlState::DATETIME_FIELD_OVERFLOW,
                format!("value for \"{key}\" in source string is out of range"),
            )
            .with_detail("Value must be in the range -2147483648 to 2147483647.")
        })?;
        self.s = rest;
        Ok((value, init.len() - rest.len()))
    }

    /// Reads an integer of `width` characters (see [`Reader::int`]) into the field
    /// `slot` picks (see [`Reader::set`]); returns the characters it took.
    fn int_into(
        &mut self,
        width: usize,
        greedy: bool,
        key: &str,
        slot: fn(&mut Fields) -> &mut i64,
    ) -> Result<usize> {
        let (v, used) = self.int(width, greedy, key)?;
        Self::set(slot(&mut self.fields), v, key)?;
        Ok(used)
    }

    /// Reads one of `words` (case-insensitively, the first that matches); returns its
    /// index.
    fn word(&mut self, words: &[&str], key: &str) -> Result<usize> {
        self.word_prefix(words, usize::MAX, key)
    }

    /// [`Reader::word`] matching only the first `len` letters of each (ASCII) word: the
    /// short names of months and days.
    fn word_prefix(&mut self, words: &[&str], len: usize, key: &str) -> Result<usize> {
        fn cut(w: &str, len: usize) -> &str {
            &w[..len.min(w.len())]
        }
        let found = words.iter().position(|w| {
            let w = cut(w, len);
            self.s.get(..w.len()).is_some_and(|head| head.eq_ignore_ascii_case(w))
        });
        match found {
            Some(i) => {
                self.s = &self.s[cut(words[i], len).len()..];
                Ok(i)
            }
            None => {
                let shown: String = self.s.chars().take_while(|c| !c.is_whitespace()).collect();
                Err(invalid_value(&shown, key).with_detail(
                    "The given value did not match any of the allowed values for this field.",
                ))
            }
        }
    }
}

/// The integer `strtol` reads at the start of `s` (spaces, a sign, digits) and the
/// bytes it takes; `(None, n)` when it does not fit in an i64, `(Some(0), 0)` when
/// there is no digit.
fn leading_int(s: &str) -> (Option<i64>, usize) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && (b[i] as char).is_ascii_whitespace() {
        i += 1;
    }
    let negative = i < b.len() && b[i] == b'-';
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let digits_start = i;
    let mut value: Option<i64> = Some(0);
    while i < b.len() && b[i].is_ascii_digit() {
        value = value
            .and_then(|v| v.checked_mul(10))
            .and_then(|v| v.checked_add(i64::from(b[i] - b'0')));
        i += 1;
    }
    if i == digits_start {
        return (Some(0), 0);
    }
    (value.map(|v| if negative { -v } else { v }), i)
}

/// PostgreSQL's reading of a year given with fewer than four digits: toward 2020.
fn adjust_partial_year(year: i64) -> i64 {
    match year {
        y if y < 70 => y + 2000,
        y if y < 100 => y + 1900,
        y if y < 520 => y + 2000,
        y if y < 1000 => y + 1000,
        y => y,
    }
}

/// Parses `input` with `template`.
pub(crate) fn parse(input: &str, template: &str) -> Result<Parsed> {
    let nodes = parse_template(template);
    let mut r = Reader { input, s: input, fields: Fields::default() };
    let mut fx = false;
    let mut extra_skip: i64 = 0;
    for (n, node) in nodes.iter().enumerate() {
        if r.s.is_empty() {
            break;
        }
        let is_fx = matches!(node, Node::Field { key, .. } if key.eq_ignore_ascii_case("FX"));
        if !fx && !is_fx && (matches!(node, Node::Field { .. }) || n == 0) {
            extra_skip += r.skip_spaces();
        }
        let (key, fill, th) = match node {
            Node::Space | Node::Separator => {
                if fx {
                    r.skip_char();
                } else {
                    extra_skip -= 1;
                    if r.s.starts_with(|c: char| c.is_whitespace() || is_separator(c)) {
                        r.skip_char();
                        extra_skip += 1;
                    }
                }
                continue;
            }
            Node::Char => {
                if !fx && extra_skip > 0 {
                    extra_skip -= 1;
                } else {
                    r.skip_char();
                }
                continue;
            }
            Node::Field { key, fill, th } => (*key, *fill, *th),
        };
        let conv = convention(key);
        if let Some(c) = conv {
            match r.fields.convention {
                None => r.fields.convention = Some(c),
                Some(prev) if prev != c => {
                    return Err(Error::new(
                        SqlState::INVALID_DATETIME_FORMAT,
                        "invalid combination of date conventions",
                    )
                    .with_hint(
                        "Do not mix Gregorian and ISO week date conventions in a formatting \
                         template.",
                    ))
                }
                Some(_) => {}
            }
        }
        // A number reads greedily with FM, or when no digit pattern follows.
        let greedy = fill
            || th
            || match nodes.get(n + 1) {
                None => true,
                Some(Node::Field { key, .. }) => !reads_digits(key),
                Some(_) => true,
            };
        let upper = key.to_ascii_uppercase();
        read_field(&mut r, &upper, key, greedy, extra_skip)?;
        if th {
            r.skip_char();
            r.skip_char();
        }
        fx |= upper == "FX";
        if !fx {
            extra_skip = r.skip_spaces();
        }
    }
    let fields = std::mem::take(&mut r.fields);
    finish(fields, input)
}

/// Reads the value of one pattern (`upper` is its upper-case spelling).
fn read_field(
    r: &mut Reader<'_>,
    upper: &str,
    key: &str,
    greedy: bool,
    extra_skip: i64,
) -> Result<()> {
    let width = key.len();
    match upper {
        "FX" => {}
        "A.M." | "P.M." => {
            let i = r.word(&["a.m.", "p.m."], key)?;
            Reader::set(&mut r.fields.pm, i as i64 % 2, key)?;
            r.fields.twelve_hour = true;
        }
        "AM" | "PM" => {
            let i = r.word(&["am", "pm"], key)?;
            Reader::set(&mut r.fields.pm, i as i64 % 2, key)?;
            r.fields.twelve_hour = true;
        }
        "A.D." | "B.C." => {
            let i = r.word(&["a.d.", "b.c."], key)?;
            Reader::set(&mut r.fields.bc, i as i64 % 2, key)?;
        }
        "AD" | "BC" => {
            let i = r.word(&["ad", "bc"], key)?;
            Reader::set(&mut r.fields.bc, i as i64 % 2, key)?;
        }
        "HH" | "HH12" => {
            r.int_into(2, greedy, key, |f| &mut f.hh)?;
            r.fields.twelve_hour = true;
        }
        "HH24" => {
            r.int_into(2, greedy, key, |f| &mut f.hh)?;
        }
        "MI" => {
            r.int_into(2, greedy, key, |f| &mut f.mi)?;
        }
        "SS" => {
            r.int_into(2, greedy, key, |f| &mut f.ss)?;
        }
        "MS" => {
            let used = r.int_into(3, greedy, key, |f| &mut f.ms)?;
            r.fields.ms *= match used {
                1 => 100,
                2 => 10,
                _ => 1,
            };
        }
        "US" | "FF1" | "FF2" | "FF3" | "FF4" | "FF5" | "FF6" => {
            let digits = match upper.strip_prefix("FF") {
                Some(d) => {
                    r.fields.ff = d.parse().unwrap_or(6);
                    r.fields.ff as usize
                }
                None => 6,
            };
            let used = r.int_into(digits, greedy, key, |f| &mut f.us)?;
            r.fields.us *= match used {
                1 => 100_000,
                2 => 10_000,
                3 => 1000,
                4 => 100,
                5 => 10,
                _ => 1,
            };
        }
        "SSSS" | "SSSSS" => {
            r.int_into(width, greedy, key, |f| &mut f.ssss)?;
        }
        "TZ" | "OF" => {
            return Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                format!("formatting field \"{key}\" is only supported in to_char"),
            ))
        }
        "TZH" => {
            if r.s.starts_with(['+', '-', ' ']) {
                r.fields.tz_sign = if r.s.starts_with('-') { -1 } else { 1 };
                r.skip_char();
            } else {
                // A minus skipped as a separator just before is the offset's sign.
                let before = r.input.len() - r.s.len();
                let prev_minus = before > 0 && r.input.as_bytes()[before - 1] == b'-';
                r.fields.tz_sign = if extra_skip > 0 && prev_minus { -1 } else { 1 };
            }
            r.int_into(2, greedy, key, |f| &mut f.tzh)?;
        }
        "TZM" => {
            if r.fields.tz_sign == 0 {
                r.fields.tz_sign = 1;
            }
            r.int_into(2, greedy, key, |f| &mut f.tzm)?;
        }
        "MONTH" => {
            let i = r.word(&MONTHS, key)?;
            Reader::set(&mut r.fields.mm, i as i64 + 1, key)?;
        }
        "MON" => {
            let i = r.word_prefix(&MONTHS, 3, key)?;
            Reader::set(&mut r.fields.mm, i as i64 + 1, key)?;
        }
        "MM" => {
            r.int_into(2, greedy, key, |f| &mut f.mm)?;
        }
        "DAY" => {
            let i = r.word(&DAYS, key)?;
            Reader::set(&mut r.fields.d, i as i64 + 1, key)?;
        }
        "DY" => {
            let i = r.word_prefix(&DAYS, 3, key)?;
            Reader::set(&mut r.fields.d, i as i64 + 1, key)?;
        }
        "DDD" | "IDDD" => {
            r.int_into(3, greedy, key, |f| &mut f.ddd)?;
        }
        "D" => {
            r.int_into(1, greedy, key, |f| &mut f.d)?;
        }
        "ID" => {
            r.int_into(1, greedy, key, |f| &mut f.d)?;
            // Monday is 1 in ISO numbering; Sunday is 1 in the Gregorian one.
            r.fields.d = if r.fields.d + 1 > 7 { 1 } else { r.fields.d + 1 };
        }
        "DD" => {
            r.int_into(2, greedy, key, |f| &mut f.dd)?;
        }
        "WW" | "IW" => {
            r.int_into(2, greedy, key, |f| &mut f.ww)?;
        }
        "W" => {
            r.int_into(1, greedy, key, |f| &mut f.w)?;
        }
        // The quarter is read and ignored (PostgreSQL: which day of it would it be?).
        "Q" => {
            r.int(1, greedy, key)?;
        }
        "CC" => {
            r.int_into(2, greedy, key, |f| &mut f.cc)?;
        }
        "J" => {
            r.int_into(1, greedy, key, |f| &mut f.j)?;
        }
        "Y,YYY" => {
            let bad = || {
                Error::new(
                    SqlState::INVALID_DATETIME_FORMAT,
                    "invalid input string for \"Y,YYY\"".to_string(),
                )
            };
            let (millennia, used) = leading_int(r.s);
            let millennia = millennia.filter(|_| used > 0).ok_or_else(bad)?;
            let rest = r.s[used..].strip_prefix(',').ok_or_else(bad)?;
            let (years, used2) = leading_int(rest);
            let years = years.filter(|_| used2 > 0).ok_or_else(bad)?;
            r.s = &rest[used2..];
            Reader::set(&mut r.fields.year, millennia * 1000 + years, key)?;
            r.fields.year_digits = 4;
        }
        "YYYY" | "IYYY" => {
            r.int_into(4, greedy, key, |f| &mut f.year)?;
            r.fields.year_digits = 4;
        }
        "YYY" | "IYY" | "YY" | "IY" | "Y" | "I" => {
            let used = r.int_into(width, greedy, key, |f| &mut f.year)?;
            if used < 4 {
                r.fields.year = adjust_partial_year(r.fields.year);
            }
            r.fields.year_digits = u32::try_from(width).unwrap_or(4);
        }
        "RM" => {
            let i = r.word(&ROMAN_MONTHS, key)?;
            Reader::set(&mut r.fields.mm, 12 - i as i64, key)?;
        }
        _ => return Err(Error::internal(format!("to_timestamp pattern {key}"))),
    }
    Ok(())
}

/// `22008` "date/time field value out of range" for `input`.
fn out_of_range(input: &str) -> Error {
    Error::new(
        SqlState::DATETIME_FIELD_OVERFLOW,
        format!("date/time field value out of range: \"{input}\""),
    )
}

/// Days since 2000-01-01 of the Monday starting ISO week `week` of ISO year `year`.
fn iso_week_start(year: i64, week: i64) -> i64 {
    let jan4 = days_from_civil(year, 1, 4);
    // Weekday of January 3rd, Sunday = 0 (2000-01-01 was a Saturday).
    let dow = (jan4 - 1 + 6).rem_euclid(7);
    (week - 1) * 7 + (jan4 - dow)
}

/// Combines the fields read into a local timestamp, as PostgreSQL's `do_to_timestamp`.
fn finish(mut f: Fields, input: &str) -> Result<Parsed> {
    // Year 0 stands for 1 BC when no year was given, as in PostgreSQL.
    let (mut year, mut month, mut day) = (0i64, 1i64, 1i64);
    let (mut hour, mut minute, mut second) = (0i64, 0i64, 0i64);
    let mut date_fields = (false, false, false);
    if f.ssss != 0 {
        hour = f.ssss / 3600;
        minute = f.ssss % 3600 / 60;
        second = f.ssss % 60;
    }
    if f.ss != 0 {
        second = f.ss;
    }
    if f.mi != 0 {
        minute = f.mi;
    }
    if f.hh != 0 {
        hour = f.hh;
    }
    if f.twelve_hour {
        if !(1..=12).contains(&hour) {
            return Err(Error::new(
                SqlState::INVALID_DATETIME_FORMAT,
                format!("hour \"{hour}\" is invalid for the 12-hour clock"),
            )
            .with_hint("Use the 24-hour clock, or give an hour between 1 and 12."));
        }
        if f.pm != 0 && hour < 12 {
            hour += 12;
        } else if f.pm == 0 && hour == 12 {
            hour = 0;
        }
    }
    if f.year != 0 {
        if f.cc != 0 && f.year_digits <= 2 {
            // A century and a two-digit year: the year within that century (the 21st
            // century runs from 2001 to 2100; the 6th BC from 600 BC to 501 BC).
            if f.bc != 0 {
                f.cc = -f.cc;
            }
            year = f.year % 100;
            if year != 0 {
                if f.cc >= 0 {
                    year += (f.cc - 1) * 100;
                } else {
                    year = (f.cc + 1) * 100 - year + 1;
                }
            } else {
                year = f.cc * 100 + i64::from(f.cc < 0);
            }
        } else {
            year = if f.bc != 0 { -f.year } else { f.year };
            if year < 0 {
                year += 1;
            }
        }
        date_fields.0 = true;
    } else if f.cc != 0 {
        if f.bc != 0 {
            f.cc = -f.cc;
        }
        year = if f.cc >= 0 { (f.cc - 1) * 100 + 1 } else { f.cc * 100 + 1 };
        date_fields.0 = true;
    }
    if f.j != 0 {
        let (y, m, d) = civil_from_days(f.j - 2_451_545);
        (year, month, day) = (y, i64::from(m), i64::from(d));
        date_fields = (true, true, true);
    }
    if f.ww != 0 {
        if f.convention == Some(Convention::IsoWeek) {
            let start = iso_week_start(year, f.ww);
            // The weekday counts from Sunday = 1; without one, the week's Monday.
            let days = match f.d {
                0 => start,
                1 => start + 6,
                d => start + d - 2,
            };
            let (y, m, d) = civil_from_days(days);
            (year, month, day) = (y, i64::from(m), i64::from(d));
            date_fields = (true, true, true);
        } else {
            f.ddd = (f.ww - 1) * 7 + 1;
        }
    }
    if f.w != 0 {
        f.dd = (f.w - 1) * 7 + 1;
    }
    if f.dd != 0 {
        day = f.dd;
        date_fields.2 = true;
    }
    if f.mm != 0 {
        month = f.mm;
        date_fields.1 = true;
    }
    if f.ddd != 0 && (month <= 1 || day <= 1) {
        if year == 0 && f.bc == 0 {
            return Err(Error::new(
                SqlState::INVALID_DATETIME_FORMAT,
                "cannot calculate day of year without year information",
            ));
        }
        if f.convention == Some(Convention::IsoWeek) {
            let start = iso_week_start(year, 1) - 1;
            let (y, m, d) = civil_from_days(start + f.ddd);
            (year, month, day) = (y, i64::from(m), i64::from(d));
            date_fields = (true, true, true);
        } else {
            // The month whose cumulative day count reaches the day of the year (13
            // past December, which the month check then refuses).
            let mut before = 0i64;
            let mut m = 1i64;
            while m <= 12 {
                let len = i64::from(days_in_month(year, u32::try_from(m).unwrap_or(1)));
                if f.ddd <= before + len {
                    break;
                }
                before += len;
                m += 1;
            }
            if month <= 1 {
                month = m;
            }
            if day <= 1 {
                day = f.ddd - before;
            }
            date_fields.1 = true;
            date_fields.2 = true;
        }
    }
    let usec = f.ms * 1000 + f.us;
    // The date is checked for the fields given (the day against its month only when
    // year, month and day are all known).
    if date_fields.1 && !(1..=12).contains(&month) {
        return Err(out_of_range(input));
    }
    if date_fields.2 && !(1..=31).contains(&day) {
        return Err(out_of_range(input));
    }
    if date_fields == (true, true, true) {
        let m = u32::try_from(month).unwrap_or(1);
        if day > i64::from(days_in_month(year, m)) {
            return Err(out_of_range(input));
        }
    }
    if !(0..24).contains(&hour)
        || !(0..60).contains(&minute)
        || !(0..60).contains(&second)
        || !(0..1_000_000).contains(&usec)
    {
        return Err(out_of_range(input));
    }
    let offset = if f.tz_sign != 0 {
        if !(0..=15).contains(&f.tzh) || !(0..60).contains(&f.tzm) {
            return Err(Error::new(
                SqlState::INVALID_TIME_ZONE_DISPLACEMENT_VALUE,
                format!("time zone displacement out of range: \"{input}\""),
            ));
        }
        Some(f.tz_sign * (f.tzh * 3600 + f.tzm * 60))
    } else {
        None
    };
    // Out-of-range parts past the checks above (a day past the month's end without a
    // year, a huge year) still make a valid day count; the callers check the range.
    let month = u32::try_from(month.clamp(1, 12)).unwrap_or(1);
    let day = u32::try_from(day.clamp(1, 31)).unwrap_or(1);
    let days = days_from_civil(year, month, day);
    let time = ((hour * 60 + minute) * 60 + second) * 1_000_000 + usec;
    Ok(Parsed { days, time, offset, precision: (f.ff > 0).then_some(f.ff) })
}

/// Rounds a timestamp to `precision` fractional digits, as a typmod does.
pub(crate) fn round_to_precision(ts: i64, precision: u32) -> i64 {
    if precision >= 6 {
        return ts;
    }
    let scale = 10i64.pow(6 - precision);
    let half = scale / 2;
    if ts >= 0 {
        (ts + half) / scale * scale
    } else {
        -((-ts + half) / scale * scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(input: &str, fmt: &str) -> String {
        match parse(input, fmt) {
            Ok(p) => {
                let (days, t) = (p.days, p.time);
                let (y, m, d) = civil_from_days(days);
                let s = t / 1_000_000;
                let mut out = format!(
                    "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
                    s / 3600,
                    s / 60 % 60,
                    s % 60
                );
                if t % 1_000_000 != 0 {
                    out.push_str(&format!(".{:06}", t % 1_000_000));
                }
                if let Some(o) = p.offset {
                    out.push_str(&format!(" {o:+}"));
                }
                out
            }
            Err(e) => format!("{}: {}", e.sqlstate().code(), e.message()),
        }
    }

    #[test]
    fn reads_postgres_examples() {
        assert_eq!(
            local("0097/Feb/16 --> 08:14:30", "YYYY/Mon/DD --> HH:MI:SS"),
            "0097-02-16 08:14:30"
        );
        assert_eq!(
            local("97/2/16 8:14:30", "FMYYYY/FMMM/FMDD FMHH:FMMI:FMSS"),
            "0097-02-16 08:14:30"
        );
        assert_eq!(local("2011$03!18 23_38_15", "YYYY-MM-DD HH24:MI:SS"), "2011-03-18 23:38:15");
        assert_eq!(local("1985 FMMonth 12", "YYYY \"FMMonth\" DD"), "1985-01-12 00:00:00");
        assert_eq!(local("1,582nd VIII 21", "Y,YYYth FMRM DD"), "1582-08-21 00:00:00");
        assert_eq!(local("2000January09Sunday", "YYYYFMMonthDDFMDay"), "2000-01-09 00:00:00");
        assert_eq!(local("2005426", "YYYYWWD"), "2005-10-15 00:00:00");
        assert_eq!(local("2005527", "IYYYIWID"), "2006-01-01 00:00:00");
        assert_eq!(local("5527", "IIWID"), "2006-01-01 00:00:00");
        assert_eq!(local("2005364", "IYYYIDDD"), "2006-01-01 00:00:00");
        assert_eq!(local("3 4 21 01", "W MM CC YY"), "2001-04-15 00:00:00");
        assert_eq!(local("2458872", "J"), "2020-01-23 00:00:00");
        assert_eq!(local("-44-02-01", "YYYY-MM-DD"), "-043-02-01 00:00:00");
        assert_eq!(local("2000 -10", "YYYY TZH"), "2000-01-01 00:00:00 -36000");
        assert_eq!(local("2000 -10", "YYYY  TZH"), "2000-01-01 00:00:00 +36000");
        assert_eq!(
            local("2011-12-18 11:38 P.M.", "YYYY-MM-DD HH12:MI P.M."),
            "2011-12-18 23:38:00"
        );
        assert_eq!(
            local("20181102123456123456", "YYYYMMDDHH24MISSFF4"),
            "2018-11-02 12:34:56.123456"
        );
        assert_eq!(local("2016 366", "YYYY DDD"), "2016-12-31 00:00:00");
    }

    #[test]
    fn reports_postgres_errors() {
        assert_eq!(local("97/Feb/16", "YYMonDD"), "22007: invalid value \"/Feb/16\" for \"Mon\"");
        assert_eq!(local("2011 x12 x18", "YYYYxMMxDD"), "22007: invalid value \"x1\" for \"MM\"");
        assert_eq!(local("2005527", "YYYYIWID"), "22007: invalid combination of date conventions");
        assert_eq!(
            local("19971", "YYYYMMDD"),
            "22007: source string too short for \"MM\" formatting field"
        );
        assert_eq!(local("19971)24", "YYYYMMDD"), "22007: invalid value \"1)\" for \"MM\"");
        assert_eq!(
            local("Friday 1-January-1999", "DY DD MON YYYY"),
            "22007: invalid value \"da\" for \"DD\""
        );
        assert_eq!(
            local("Fri 1-January-1999", "DY DD MON YYYY"),
            "22007: invalid value \"uary\" for \"YYYY\""
        );
        assert_eq!(
            local("1997-11-Jan-16", "YYYY-MM-Mon-DD"),
            "22007: conflicting values for \"Mon\" field in formatting string"
        );
        assert_eq!(
            local("10000000000", "FMYYYY"),
            "22008: value for \"YYYY\" in source string is out of range"
        );
        assert_eq!(
            local("2016-06-13 15:50:55", "YYYY-MM-DD HH:MI:SS"),
            "22007: hour \"15\" is invalid for the 12-hour clock"
        );
        assert_eq!(
            local("2015 366", "YYYY DDD"),
            "22008: date/time field value out of range: \"2015 366\""
        );
        assert_eq!(
            local("2011-12-18 11:38 PST", "YYYY-MM-DD HH12:MI TZ"),
            "0A000: formatting field \"TZ\" is only supported in to_char"
        );
    }
}
