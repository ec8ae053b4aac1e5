//! Range and multirange types (`int4range`, `tstzrange`, `int4multirange`, ...).
//!
//! | file | holds |
//! |---|---|
//! | `range_type.rs` | [`RangeType`]: a range type, its multirange type, the built-ins |
//! | `bound.rs` | [`RangeBound`] and PostgreSQL's bound ordering |
//! | `value.rs` | [`RangeValue`]: construction (`make_range`), order, `@> elem` |
//! | `ops.rs` | the range operators (`&&`, `<<`, `-|-`, `+`, `*`, `-`, ...) |
//! | `text.rs` | text input and output of ranges |
//! | `multirange.rs` | [`MultirangeValue`]: canonical form, order, text I/O |
//! | `multirange_ops.rs` | the multirange operators |
//! | `codec.rs` | row and index-key encodings |
//!
//! Ranges of discrete subtypes (`int4`, `int8`, `date`) are kept in canonical `[)`
//! form, as PostgreSQL's canonical functions leave them; other subtypes keep the
//! bounds as written. Values never hold a range type's collation: text compares
//! bytewise (the C collation) everywhere in this engine.

mod bound;
pub mod codec;
mod multirange;
mod multirange_ops;
mod ops;
mod range_type;
pub mod text;
mod value;

pub use bound::{cmp_bounds, RangeBound};
pub use multirange::{format_multirange, parse_multirange, MultirangeValue};
pub use range_type::RangeType;
pub use text::{format_range, parse_range};
pub use value::RangeValue;
