//! `pg_trigger_depth()`: how many triggers are running on this thread, one inside
//! another (0 outside any trigger).

use helios_types::{DataType, Value};

use crate::functions::registry::{Registry, ReturnType};

/// Registers the functions.
pub(crate) fn register(r: &mut Registry) {
    r.add("pg_trigger_depth", vec![], ReturnType::Exact(DataType::Int4), |_, _| {
        Ok(Value::Int4(crate::routine::trigger_depth()))
    })
    .volatile();
}
