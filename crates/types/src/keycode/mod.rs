//! Order-preserving ("memcomparable") encoding of composite keys.
//!
//! [`encode_key`] turns a tuple of values into bytes such that comparing two encoded
//! keys with `memcmp` gives the same answer as comparing the tuples in PostgreSQL order,
//! column by column, honouring each column's `ASC`/`DESC` and `NULLS FIRST`/`LAST`. Every
//! column encoding is prefix-free (no encoding is a prefix of another of the same column
//! type), so the concatenation of columns compares lexicographically and a key can be
//! decoded back with [`decode_key`] given the column types.
//!
//! ```text
//! key    = column*
//! column = 0x00 (NULL, NULLS FIRST) | 0x02 (NULL, NULLS LAST) | 0x01 value
//! value  = type-specific bytes, every byte inverted (!b) for DESC columns
//! ```
//!
//! Values that PostgreSQL considers equal encode to the same bytes (`-0.0` and `0.0`,
//! `1.5` and `1.50`, `'1 mon'` and `'30 days'`, `'ab'::char(4)` and `'ab  '`). Decoding
//! therefore returns a normalised value for those types: numerics with their minimal
//! scale, intervals as months/days/micros of the same span (see [`interval`]), `char(n)`
//! without trailing spaces. The byte layout of every type is documented in
//! `docs/storage-format.md` ("Key encoding").

mod decode;
mod encode;
mod jsonb;
mod numeric;
#[cfg(test)]
pub(crate) mod proptests;
mod range;

pub use decode::{decode_key, decode_key_prefix};
pub use encode::{encode_key, encode_key_into, encode_value};
pub use range::prefix_end;

use crate::DataType;

/// Marker byte of a NULL column sorted before values.
pub const NULL_FIRST: u8 = 0x00;
/// Marker byte preceding a non-NULL value.
pub const PRESENT: u8 = 0x01;
/// Marker byte of a NULL column sorted after values.
pub const NULL_LAST: u8 = 0x02;

/// One column of a key: its type and sort options.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyColumn {
    /// The column's data type.
    pub data_type: DataType,
    /// `DESC` when true.
    pub descending: bool,
    /// `NULLS FIRST` when true.
    pub nulls_first: bool,
}

impl KeyColumn {
    /// `ASC NULLS LAST`, PostgreSQL's default.
    pub fn asc(data_type: DataType) -> KeyColumn {
        KeyColumn { data_type, descending: false, nulls_first: false }
    }

    /// `DESC NULLS FIRST`, PostgreSQL's default for `DESC`.
    pub fn desc(data_type: DataType) -> KeyColumn {
        KeyColumn { data_type, descending: true, nulls_first: true }
    }

    /// Sets NULLS FIRST (`true`) or NULLS LAST (`false`).
    pub fn nulls_first(mut self, first: bool) -> KeyColumn {
        self.nulls_first = first;
        self
    }
}

/// Interval keys: how a span is split back into fields on decode.
pub mod interval {
    use crate::text::calendar::USECS_PER_DAY;
    use crate::Interval;

    /// Microseconds in PostgreSQL's 30-day comparison month.
    pub const USECS_PER_MONTH: i128 = 30 * USECS_PER_DAY as i128;

    /// The normalised interval of a span: as many whole 30-day months as fit in `i32`,
    /// then whole days, then microseconds, all with the span's sign.
    pub fn from_span(span: i128) -> Option<Interval> {
        let months = (span / USECS_PER_MONTH).clamp(i32::MIN.into(), i32::MAX.into());
        let rest = span - months * USECS_PER_MONTH;
        let day = i128::from(USECS_PER_DAY);
        let days = (rest / day).clamp(i32::MIN.into(), i32::MAX.into());
        let micros = rest - days * day;
        Some(Interval {
            months: i32::try_from(months).ok()?,
            days: i32::try_from(days).ok()?,
            micros: i64::try_from(micros).ok()?,
        })
    }
}
