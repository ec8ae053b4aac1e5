//! Multirange values (`{[1,3), [5,7)}`): an ordered list of non-empty, non-overlapping,
//! non-adjacent ranges, as PostgreSQL's `multirange_canonicalize` leaves them, with
//! text input and output (`multirange_in` / `multirange_out`) and ordering
//! (`multirange_cmp`).

use std::cmp::Ordering;
use std::sync::Arc;

use helios_common::SqlState;

use super::bound::cmp_bounds;
use super::text::{format_range, parse_range};
use super::{RangeType, RangeValue};
use crate::error::{TypeError, TypeResult};
use crate::text::TimeZone;
use crate::DataType;

/// A value of a multirange type.
#[derive(Clone, Debug)]
pub struct MultirangeValue {
    /// The range type whose multirange this is.
    pub ty: Arc<RangeType>,
    /// The ranges, sorted, non-empty, neither overlapping nor adjacent.
    pub ranges: Vec<RangeValue>,
}

impl MultirangeValue {
    /// The multirange of `ranges` in canonical form: empty ranges dropped, the rest
    /// sorted, overlapping and adjacent ones merged.
    pub fn new(ty: Arc<RangeType>, ranges: Vec<RangeValue>) -> TypeResult<MultirangeValue> {
        let mut ranges: Vec<RangeValue> = ranges.into_iter().filter(|r| !r.empty).collect();
        ranges.sort_by(RangeValue::compare);
        let mut out: Vec<RangeValue> = Vec::with_capacity(ranges.len());
        for r in ranges {
            match out.last_mut() {
                Some(last) if last.overlaps(&r) || last.adjacent(&r) => {
                    *last = last.merge(&r)?;
                }
                _ => out.push(r),
            }
        }
        Ok(MultirangeValue { ty, ranges: out })
    }

    /// The empty multirange `{}`.
    pub fn empty(ty: Arc<RangeType>) -> MultirangeValue {
        MultirangeValue { ty, ranges: Vec::new() }
    }

    /// The multirange's data type.
    pub fn data_type(&self) -> DataType {
        DataType::Multirange(self.ty.clone())
    }

    /// Whether it holds no range.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The smallest range covering it (`range_merge(multirange)`, and the bounds that
    /// `lower`, `upper`, `lower_inc`, ... report).
    pub fn span(&self) -> RangeValue {
        match (self.ranges.first(), self.ranges.last()) {
            (Some(first), Some(last)) => RangeValue {
                ty: self.ty.clone(),
                lower: first.lower.clone(),
                upper: last.upper.clone(),
                empty: false,
            },
            _ => RangeValue::empty(self.ty.clone()),
        }
    }

    /// PostgreSQL's `multirange_cmp`: range by range (bounds), a shorter multirange
    /// first when one is a prefix of the other.
    pub fn compare(&self, other: &MultirangeValue) -> Ordering {
        for (a, b) in self.ranges.iter().zip(&other.ranges) {
            let c = cmp_bounds(&a.lower, &b.lower).then_with(|| cmp_bounds(&a.upper, &b.upper));
            if c != Ordering::Equal {
                return c;
            }
        }
        self.ranges.len().cmp(&other.ranges.len())
    }
}

impl PartialEq for MultirangeValue {
    fn eq(&self, other: &MultirangeValue) -> bool {
        self.ty.oid == other.ty.oid && self.compare(other) == Ordering::Equal
    }
}

/// The text form, `timestamptz` bounds shown in `tz`.
pub fn format_multirange(m: &MultirangeValue, tz: &TimeZone) -> String {
    let parts: Vec<String> = m.ranges.iter().map(|r| format_range(r, tz)).collect();
    format!("{{{}}}", parts.join(","))
}

/// `22P02 malformed multirange literal: "..."` with a DETAIL line.
fn malformed(input: &str, detail: &str) -> TypeError {
    TypeError::other(
        SqlState::INVALID_TEXT_REPRESENTATION,
        format!("malformed multirange literal: \"{input}\""),
    )
    .with_detail(detail)
}

/// Where `multirange_in` is inside the literal.
#[derive(Clone, Copy, PartialEq)]
enum State {
    BeforeRange,
    InRange,
    InRangeEscaped,
    InRangeQuoted,
    InRangeQuotedEscaped,
    AfterRange,
    Finished,
}

/// Reads a multirange literal of type `ty` (PostgreSQL's `multirange_in`).
pub fn parse_multirange(
    input: &str,
    ty: &Arc<RangeType>,
    tz: &TimeZone,
) -> TypeResult<MultirangeValue> {
    let bytes = input.as_bytes();
    let mut at = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    if bytes.get(at) != Some(&b'{') {
        return Err(malformed(input, "Missing left brace."));
    }
    at += 1;
    let mut state = State::BeforeRange;
    let mut ranges = Vec::new();
    let mut seen = 0usize;
    let mut range_start = 0usize;
    while state != State::Finished {
        let Some(&ch) = bytes.get(at) else {
            return Err(malformed(input, "Unexpected end of input."));
        };
        if ch.is_ascii_whitespace() {
            at += 1;
            continue;
        }
        match state {
            State::BeforeRange => {
                if ch == b'[' || ch == b'(' {
                    range_start = at;
                    state = State::InRange;
                } else if ch == b'}' && seen == 0 {
                    state = State::Finished;
                } else if bytes.len() >= at + 5 && bytes[at..at + 5].eq_ignore_ascii_case(b"empty")
                {
                    seen += 1;
                    at += 4;
                    state = State::AfterRange;
                } else {
                    return Err(malformed(input, "Expected range start."));
                }
            }
            State::InRange => {
                if ch == b']' || ch == b')' {
                    let text = &input[range_start..=at];
                    ranges.push(parse_range(text, ty, tz)?);
                    seen += 1;
                    state = State::AfterRange;
                } else if ch == b'"' {
                    state = State::InRangeQuoted;
                } else if ch == b'\\' {
                    state = State::InRangeEscaped;
                }
            }
            State::InRangeEscaped => state = State::InRange,
            State::InRangeQuoted => {
                if ch == b'"' {
                    if bytes.get(at + 1) == Some(&b'"') {
                        at += 1;
                    } else {
                        state = State::InRange;
                    }
                } else if ch == b'\\' {
                    state = State::InRangeQuotedEscaped;
                }
            }
            State::InRangeQuotedEscaped => state = State::InRangeQuoted,
            State::AfterRange => {
                if ch == b',' {
                    state = State::BeforeRange;
                } else if ch == b'}' {
                    state = State::Finished;
                } else {
                    return Err(malformed(input, "Expected comma or end of multirange."));
                }
            }
            State::Finished => {}
        }
        at += 1;
    }
    if !input[at..].trim_matches(|c: char| c.is_ascii_whitespace()).is_empty() {
        return Err(malformed(input, "Junk after closing right brace."));
    }
    MultirangeValue::new(ty.clone(), ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(s: &str) -> String {
        let t = RangeType::builtin("int4range").unwrap();
        format_multirange(&parse_multirange(s, &t, &TimeZone::UTC).unwrap(), &TimeZone::UTC)
    }

    #[test]
    fn literals_are_canonicalised() {
        assert_eq!(rt("{}"), "{}");
        assert_eq!(rt("  { empty, [1,2] , (,1) } "), "{(,3)}");
        assert_eq!(rt("{[1,2], (,0)}"), "{(,0),[1,3)}");
        assert_eq!(rt("{[5,7),[1,3),[3,4)}"), "{[1,4),[5,7)}");
        assert_eq!(rt("{[1,2], empty}"), "{[1,3)}");
    }

    #[test]
    fn malformed_literals_fail() {
        let t = RangeType::builtin("int4range").unwrap();
        for bad in ["", "{", "{,}", "{[1,2),}", "{[1,2)} x", "[1,2)", "{[1,2) [3,4)}", "{empty,}"] {
            let e = parse_multirange(bad, &t, &TimeZone::UTC).unwrap_err();
            assert_eq!(e.sqlstate(), SqlState::INVALID_TEXT_REPRESENTATION, "{bad}");
        }
    }

    #[test]
    fn order_is_range_by_range() {
        let t = RangeType::builtin("int4range").unwrap();
        let m = |s: &str| parse_multirange(s, &t, &TimeZone::UTC).unwrap();
        assert_eq!(m("{}").compare(&m("{[1,2)}")), Ordering::Less);
        assert_eq!(m("{[1,2)}").compare(&m("{[1,2),[5,6)}")), Ordering::Less);
        assert_eq!(m("{[1,3)}").compare(&m("{[1,2),[5,6)}")), Ordering::Greater);
        assert_eq!(m("{[1,3)}"), m("{[1,2),[2,3)}"));
    }
}
