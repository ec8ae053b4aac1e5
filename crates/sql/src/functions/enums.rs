//! The enum support functions `enum_first`, `enum_last` and `enum_range`.
//!
//! Their answers depend on the argument's *type*, which a `NULL::mood` argument carries
//! only at bind time: the one-argument forms bind to constants, and `enum_range(a, b)`
//! gets the whole label list (an array whose element type is the enum) as a hidden third
//! argument.

use std::sync::{Arc, LazyLock};

use helios_common::{Error, Result, SqlState};
use helios_types::{Array, DataType, EnumType, EnumValue, Value};

use crate::expr::Expr;
use crate::functions::registry::{ParamType, ReturnType, ScalarFunction};

/// All labels of `ty` in order, as an array value.
fn all_labels(ty: &Arc<EnumType>) -> Value {
    let elements = (0..ty.labels.len())
        .filter_map(|i| EnumValue::new(ty.clone(), i))
        .map(Value::Enum)
        .collect();
    Value::Array(Arc::new(Array::new(DataType::Enum(ty.clone()), elements)))
}

/// Binds `enum_first(x)`, `enum_last(x)`, `enum_range(x)` and `enum_range(a, b)` when
/// the arguments are of one enum type; `None` leaves the call to the usual lookup (which
/// reports that no such function exists).
pub fn bind_enum_function(name: &str, args: &[Expr]) -> Result<Option<Expr>> {
    let types: Vec<DataType> = args.iter().map(Expr::data_type).collect();
    let ty = match types.as_slice() {
        [DataType::Enum(t)] => t.clone(),
        [DataType::Enum(a), DataType::Enum(b)] if a.oid == b.oid && name == "enum_range" => {
            a.clone()
        }
        [DataType::Enum(t), DataType::Unknown] | [DataType::Unknown, DataType::Enum(t)]
            if name == "enum_range" =>
        {
            t.clone()
        }
        _ => return Ok(None),
    };
    // An untyped literal (`NULL`, `'red'`) beside an enum argument is of its type.
    let enum_type = DataType::Enum(ty.clone());
    let args: Vec<Expr> = args
        .iter()
        .map(|a| match a {
            Expr::Literal(v, DataType::Unknown) => Ok(Expr::Literal(
                crate::expr::cast::cast_value(v.clone(), &enum_type, true)?,
                enum_type.clone(),
            )),
            other => Ok(other.clone()),
        })
        .collect::<Result<_>>()?;
    let array_type = DataType::Array(Box::new(enum_type.clone()));
    Ok(Some(match (name, args.len()) {
        ("enum_first" | "enum_last", 1) => {
            let i = if name == "enum_first" { Some(0) } else { ty.labels.len().checked_sub(1) };
            let v = i.and_then(|i| EnumValue::new(ty.clone(), i)).map(Value::Enum);
            let v = v.ok_or_else(|| {
                Error::new(
                    SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                    format!("enum {} contains no values", ty.name),
                )
            })?;
            Expr::Literal(v, enum_type)
        }
        ("enum_range", 1) => Expr::Literal(all_labels(&ty), array_type),
        ("enum_range", 2) => Expr::Function {
            func: enum_range_between(),
            args: vec![
                args[0].clone(),
                args[1].clone(),
                Expr::Literal(all_labels(&ty), array_type.clone()),
            ],
            ty: array_type,
        },
        _ => return Ok(None),
    }))
}

/// `enum_range(a, b)`: the labels from `a` to `b` (a NULL end is open).
fn enum_range_between() -> &'static ScalarFunction {
    static F: LazyLock<ScalarFunction> = LazyLock::new(|| ScalarFunction {
        name: "enum_range",
        params: vec![ParamType::Any, ParamType::Any, ParamType::Any],
        variadic: false,
        ret: ReturnType::Computed(|a| a.get(2).cloned().unwrap_or(DataType::Unknown)),
        eval: |a, _| {
            let Some(Value::Array(all)) = a.get(2) else {
                return Err(Error::internal("enum_range without its label list"));
            };
            let after = |v: &Value, low: &Value| match low {
                Value::Null => true,
                l => v.pg_cmp(l).is_some_and(|o| o.is_ge()),
            };
            let before = |v: &Value, high: &Value| match high {
                Value::Null => true,
                h => v.pg_cmp(h).is_some_and(|o| o.is_le()),
            };
            let elements = all
                .elements
                .iter()
                .filter(|v| after(v, &a[0]) && before(v, &a[1]))
                .cloned()
                .collect();
            Ok(Value::Array(Arc::new(Array::new(all.element_type.clone(), elements))))
        },
        strict: false,
        volatile: false,
    });
    &F
}
