//! json/jsonb operators and functions.

use helios_common::{Error, Result};
use helios_types::Value;

use crate::expr::BinaryOp;
use crate::functions::registry::Registry;

/// Registers the json functions.
pub(crate) fn register(_r: &mut Registry) {}

/// The json operators (`->`, `->>`, `#>`, `@>`, `?`, `||`, `-`, ...).
pub fn json_binary(op: BinaryOp, l: &Value, r: &Value) -> Result<Value> {
    Err(Error::unsupported(format!("operator {} {op} {}", l.data_type(), r.data_type())))
}
