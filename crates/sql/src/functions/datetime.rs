//! Date and time functions and operators.

use helios_common::{Error, Result};
use helios_types::Value;

use crate::expr::BinaryOp;
use crate::functions::registry::Registry;

/// Registers the date/time functions.
pub(crate) fn register(_r: &mut Registry) {}

/// Date/time arithmetic (`date + int`, `timestamp - interval`, ...).
pub fn datetime_binary(op: BinaryOp, l: &Value, r: &Value) -> Result<Value> {
    Err(Error::unsupported(format!("operator {} {op} {}", l.data_type(), r.data_type())))
}
