//! Array functions and operators.

use std::cmp::Ordering;
use std::sync::Arc;

use helios_common::{Error, Result};
use helios_types::value::Array;
use helios_types::Value;

use crate::expr::compare::compare;
use crate::expr::BinaryOp;
use crate::functions::registry::Registry;

/// Registers the array functions.
pub(crate) fn register(_r: &mut Registry) {}

/// `||` on arrays: array || array, element || array, array || element. A NULL array
/// operand yields the other operand.
pub fn concat_values(l: Value, r: Value) -> Result<Value> {
    match (l, r) {
        (Value::Null, Value::Null) => Ok(Value::Null),
        (Value::Array(a), Value::Array(b)) => {
            let mut elements = a.elements.clone();
            elements.extend(b.elements.iter().cloned());
            Ok(Value::Array(Arc::new(Array { element_type: a.element_type.clone(), elements })))
        }
        (Value::Array(a), Value::Null) | (Value::Null, Value::Array(a)) => Ok(Value::Array(a)),
        (Value::Array(a), x) => {
            let mut elements = a.elements.clone();
            elements.push(x);
            Ok(Value::Array(Arc::new(Array { element_type: a.element_type.clone(), elements })))
        }
        (x, Value::Array(b)) => {
            let mut elements = vec![x];
            elements.extend(b.elements.iter().cloned());
            Ok(Value::Array(Arc::new(Array { element_type: b.element_type.clone(), elements })))
        }
        _ => Err(Error::internal("array concatenation without an array")),
    }
}

fn contains_all(hay: &Array, needles: &Array) -> Result<bool> {
    for n in &needles.elements {
        // PostgreSQL: NULL elements never match.
        if n.is_null() {
            return Ok(false);
        }
        let mut found = false;
        for h in &hay.elements {
            if !h.is_null() && compare(h, n)? == Ordering::Equal {
                found = true;
                break;
            }
        }
        if !found {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `@>`, `<@` and `&&` on arrays.
pub fn array_set_op(op: BinaryOp, l: &Value, r: &Value) -> Result<Value> {
    let (Value::Array(a), Value::Array(b)) = (l, r) else {
        return Err(Error::internal("array operator on non-array values"));
    };
    Ok(Value::Bool(match op {
        BinaryOp::Contains => contains_all(a, b)?,
        BinaryOp::ContainedBy => contains_all(b, a)?,
        _ => {
            let mut any = false;
            for x in a.elements.iter().filter(|v| !v.is_null()) {
                for y in b.elements.iter().filter(|v| !v.is_null()) {
                    if compare(x, y)? == Ordering::Equal {
                        any = true;
                    }
                }
            }
            any
        }
    }))
}
