//! Value casts as the evaluator needs them.
//!
//! Conversions between types belong to `helios-types` (`Value::cast_with`); this module
//! is the one place the expression code calls them, adding the session time zone.

use helios_common::Result;
use helios_types::{CastMode, DataType, TimeZone, Value};

/// Casts `value` to `to` in UTC. `explicit` selects CAST semantics (a too-long string is
/// truncated) over assignment semantics (it is an error).
pub fn cast_value(value: Value, to: &DataType, explicit: bool) -> Result<Value> {
    cast_value_tz(value, to, explicit, &TimeZone::UTC)
}

/// Casts `value` to `to` with the session time zone `tz` (for `timestamptz`).
pub fn cast_value_tz(value: Value, to: &DataType, explicit: bool, tz: &TimeZone) -> Result<Value> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    if &value.data_type() == to {
        return Ok(value);
    }
    let mode = if explicit { CastMode::Explicit } else { CastMode::Assignment };
    value.cast_with(to, mode, tz)
}
