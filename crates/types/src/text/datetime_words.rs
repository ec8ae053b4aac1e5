//! The words date/time input understands (PostgreSQL's `datetktbl` and a subset of
//! its `Default` time zone abbreviations), and the field-type bit masks the decoder in
//! [`super::datetime_decode`] combines.

// Token types of the keyword table (PostgreSQL's numbering matters only for masks).
pub(super) const RESERV: u32 = 0;
pub(super) const MONTH: u32 = 1;
pub(super) const YEAR: u32 = 2;
pub(super) const DAY: u32 = 3;
pub(super) const TZ: u32 = 5;
pub(super) const DTZ: u32 = 6;
pub(super) const IGNORE_DTF: u32 = 8;
pub(super) const AMPM: u32 = 9;
pub(super) const HOUR: u32 = 10;
pub(super) const MINUTE: u32 = 11;
pub(super) const SECOND: u32 = 12;
pub(super) const MILLISECOND: u32 = 13;
pub(super) const MICROSECOND: u32 = 14;
pub(super) const DOY: u32 = 15;
pub(super) const DOW: u32 = 16;
pub(super) const UNITS: u32 = 17;
pub(super) const ADBC: u32 = 18;
pub(super) const ISOTIME: u32 = 23;
pub(super) const DTZMOD: u32 = 28;

pub(super) const fn m(t: u32) -> u32 {
    1 << t
}

pub(super) const DATE_M: u32 = m(YEAR) | m(MONTH) | m(DAY);
pub(super) const ALL_SECS_M: u32 = m(SECOND) | m(MILLISECOND) | m(MICROSECOND);
pub(super) const TIME_M: u32 = m(HOUR) | m(MINUTE) | ALL_SECS_M;

// Values of RESERV and UNITS tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Word {
    Early,
    Late,
    Epoch,
    Now,
    Today,
    Tomorrow,
    Yesterday,
    Zulu,
    UnitYear,
    UnitMonth,
    UnitDay,
    UnitHour,
    UnitMinute,
    UnitSecond,
    UnitJulian,
    UnitOther,
    IsoTime,
}

/// What a word means: its token type and value.
#[derive(Clone, Copy, Debug)]
pub(super) enum Token {
    Reserved(Word),
    Month(u32),
    Dow,
    Ampm(bool),
    Bc(bool),
    Units(Word),
    IsoTime,
    Ignore,
    DstModifier,
    /// A time zone abbreviation: offset east of UTC, and whether it is daylight time.
    Zone(i32, bool),
}

impl Token {
    pub(super) fn kind(self) -> u32 {
        match self {
            Token::Reserved(_) => RESERV,
            Token::Month(_) => MONTH,
            Token::Dow => DOW,
            Token::Ampm(_) => AMPM,
            Token::Bc(_) => ADBC,
            Token::Units(_) => UNITS,
            Token::IsoTime => ISOTIME,
            Token::Ignore => IGNORE_DTF,
            Token::DstModifier => DTZMOD,
            Token::Zone(_, true) => DTZ,
            Token::Zone(_, false) => TZ,
        }
    }
}

/// The core keyword table (PostgreSQL's `datetktbl`), without time zone abbreviations.
pub(super) fn keyword(word: &str) -> Option<Token> {
    use Token::*;
    const MONTHS: [(&str, u32); 24] = [
        ("jan", 1),
        ("january", 1),
        ("feb", 2),
        ("february", 2),
        ("mar", 3),
        ("march", 3),
        ("apr", 4),
        ("april", 4),
        ("may", 5),
        ("jun", 6),
        ("june", 6),
        ("jul", 7),
        ("july", 7),
        ("aug", 8),
        ("august", 8),
        ("sep", 9),
        ("sept", 9),
        ("september", 9),
        ("oct", 10),
        ("october", 10),
        ("nov", 11),
        ("november", 11),
        ("dec", 12),
        ("december", 12),
    ];
    if let Some((_, n)) = MONTHS.iter().find(|(w, _)| *w == word) {
        return Some(Month(*n));
    }
    Some(match word {
        "-infinity" => Reserved(Word::Early),
        "infinity" => Reserved(Word::Late),
        "epoch" => Reserved(Word::Epoch),
        "now" => Reserved(Word::Now),
        "today" => Reserved(Word::Today),
        "tomorrow" => Reserved(Word::Tomorrow),
        "yesterday" => Reserved(Word::Yesterday),
        "allballs" => Reserved(Word::Zulu),
        "ad" => Bc(false),
        "bc" => Bc(true),
        "am" => Ampm(false),
        "pm" => Ampm(true),
        "at" | "on" => Ignore,
        "dst" => DstModifier,
        "y" => Units(Word::UnitYear),
        "m" => Units(Word::UnitMonth),
        "d" => Units(Word::UnitDay),
        "h" => Units(Word::UnitHour),
        "mm" => Units(Word::UnitMinute),
        "s" => Units(Word::UnitSecond),
        "j" | "jd" | "julian" => Units(Word::UnitJulian),
        "dow" | "doy" | "isodow" | "isoyear" => Units(Word::UnitOther),
        "t" => IsoTime,
        "sun" | "sunday" | "mon" | "monday" | "tue" | "tues" | "tuesday" | "wed" | "weds"
        | "wednesday" | "thu" | "thur" | "thurs" | "thursday" | "fri" | "friday" | "sat"
        | "saturday" => Dow,
        _ => return None,
    })
}

/// Time zone abbreviations (a subset of PostgreSQL's `Default` set): offset east of UTC
/// in seconds and whether the abbreviation names daylight time.
pub fn zone_abbreviation(word: &str) -> Option<(i32, bool)> {
    let h = 3600;
    Some(match word {
        "utc" | "gmt" | "ut" | "z" | "zulu" | "wet" => (0, false),
        "west" | "bst" => (h, true),
        "cet" | "met" | "wat" => (h, false),
        "cest" | "mest" | "metdst" => (2 * h, true),
        "eet" | "sast" | "cat" => (2 * h, false),
        "eest" => (3 * h, true),
        "msk" | "eat" => (3 * h, false),
        "ist" => (2 * h, false),
        "idt" => (3 * h, true),
        "pkt" => (5 * h, false),
        "ict" => (7 * h, false),
        "hkt" | "awst" | "sgt" | "wita" | "pht" => (8 * h, false),
        "jst" | "kst" | "wit" => (9 * h, false),
        "acst" => (9 * h + 1800, false),
        "acdt" => (10 * h + 1800, true),
        "aest" => (10 * h, false),
        "aedt" => (11 * h, true),
        "nzst" => (12 * h, false),
        "nzdt" => (13 * h, true),
        "ast" | "vet" => (-4 * h, false),
        "adt" => (-3 * h, true),
        "nst" => (-3 * h - 1800, false),
        "ndt" => (-2 * h - 1800, true),
        "est" => (-5 * h, false),
        "edt" => (-4 * h, true),
        "cst" => (-6 * h, false),
        "cdt" => (-5 * h, true),
        "mst" => (-7 * h, false),
        "mdt" => (-6 * h, true),
        "pst" => (-8 * h, false),
        "pdt" => (-7 * h, true),
        "akst" => (-9 * h, false),
        "akdt" => (-8 * h, true),
        "hst" => (-10 * h, false),
        "brt" => (-3 * h, false),
        "art" => (-3 * h, false),
        _ => return None,
    })
}

/// A word: a time zone abbreviation first, then the keyword table.
pub(super) fn decode_word(word: &str) -> Option<Token> {
    if let Some((off, dst)) = zone_abbreviation(word) {
        return Some(Token::Zone(off, dst));
    }
    keyword(word)
}
