//! Array functions and operators: `array_length`, `array_upper`/`array_lower`,
//! `cardinality`, `array_position(s)`, `array_append`/`prepend`/`cat`, `array_remove`,
//! `array_replace`, `array_to_string`, and `||`, `@>`, `<@`, `&&`. Arrays are
//! one-dimensional with lower bound 1.

use std::cmp::Ordering;
use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::{Array, DataType, Value};

use crate::expr::compare::{compare, not_distinct};
use crate::expr::BinaryOp;
use crate::functions::registry::{p, ParamType, Registry, ReturnType};
use crate::functions::string::output_text;

use DataType::{Int4, Text};

/// Registers the array functions.
pub(crate) fn register(r: &mut Registry) {
    use ParamType::{AnyArray, AnyElement};
    let int = || ReturnType::Exact(Int4);
    r.add("array_length", vec![AnyArray, p(Int4)], int(), |a, _| Ok(dim_len(&a[0], &a[1], |n| n)));
    r.add("array_upper", vec![AnyArray, p(Int4)], int(), |a, _| Ok(dim_len(&a[0], &a[1], |n| n)));
    r.add("array_lower", vec![AnyArray, p(Int4)], int(), |a, _| Ok(dim_len(&a[0], &a[1], |_| 1)));
    r.add("array_ndims", vec![AnyArray], int(), |a, _| {
        Ok(if arr(&a[0]).elements.is_empty() { Value::Null } else { Value::Int4(1) })
    });
    r.add("cardinality", vec![AnyArray], int(), |a, _| Ok(Value::Int4(len(arr(&a[0])))));
    r.add("array_position", vec![AnyArray, AnyElement], int(), |a, _| position(&a[0], &a[1], 1))
        .lenient();
    r.add("array_position", vec![AnyArray, AnyElement, p(Int4)], int(), |a, _| {
        let start = crate::expr::num::to_i64(&a[2]).unwrap_or(1);
        position(&a[0], &a[1], start)
    })
    .lenient();
    r.add(
        "array_positions",
        vec![AnyArray, AnyElement],
        ReturnType::Exact(DataType::Array(Box::new(Int4))),
        |a, _| {
            if a[0].is_null() {
                return Ok(Value::Null);
            }
            let mut out = Vec::new();
            for (i, e) in arr(&a[0]).elements.iter().enumerate() {
                if not_distinct(e, &a[1])? {
                    out.push(Value::Int4(i32::try_from(i + 1).unwrap_or(i32::MAX)));
                }
            }
            Ok(make(Int4, out))
        },
    )
    .lenient();
    r.add("array_append", vec![AnyArray, AnyElement], ReturnType::ArrayOfElement, |a, _| {
        concat_values(a[0].clone(), wrap_elem(&a[0], a[1].clone()))
    })
    .lenient();
    // `UPDATE t SET a[i] = v` is rewritten to `a = helios_array_assign(a, i, v)` by the
    // parser (sqlparser has no subscripted assignment targets).
    r.add(
        "helios_array_assign",
        vec![AnyArray, p(Int4), AnyElement],
        ReturnType::ArrayOfElement,
        |a, _| assign_element(&a[0], &a[1], a[2].clone()),
    )
    .lenient();
    let dims = || p(DataType::Array(Box::new(Int4)));
    r.add("array_fill", vec![AnyElement, dims()], ReturnType::ArrayOfElement, |a, _| {
        fill(&a[0], &a[1], None)
    })
    .lenient();
    r.add("array_fill", vec![AnyElement, dims(), dims()], ReturnType::ArrayOfElement, |a, _| {
        fill(&a[0], &a[1], Some(&a[2]))
    })
    .lenient();
    r.add("array_prepend", vec![AnyElement, AnyArray], ReturnType::ArrayOfElement, |a, _| {
        concat_values(wrap_elem(&a[1], a[0].clone()), a[1].clone())
    })
    .lenient();
    r.add("array_cat", vec![AnyArray, AnyArray], ReturnType::ArrayOfElement, |a, _| {
        concat_values(a[0].clone(), a[1].clone())
    })
    .lenient();
    r.add("array_remove", vec![AnyArray, AnyElement], ReturnType::ArrayOfElement, |a, _| {
        let Value::Array(x) = &a[0] else { return Ok(Value::Null) };
        let mut out = Vec::with_capacity(x.elements.len());
        for e in &x.elements {
            if !not_distinct(e, &a[1])? {
                out.push(e.clone());
            }
        }
        Ok(make(x.element_type.clone(), out))
    })
    .lenient();
    r.add(
        "array_replace",
        vec![AnyArray, AnyElement, AnyElement],
        ReturnType::ArrayOfElement,
        |a, _| {
            let Value::Array(x) = &a[0] else { return Ok(Value::Null) };
            let mut out = Vec::with_capacity(x.elements.len());
            for e in &x.elements {
                out.push(if not_distinct(e, &a[1])? { a[2].clone() } else { e.clone() });
            }
            Ok(make(x.element_type.clone(), out))
        },
    )
    .lenient();
    r.add("array_to_string", vec![AnyArray, p(Text)], ReturnType::Exact(Text), |a, _| {
        Ok(Value::Text(join(arr(&a[0]), crate::functions::string::s(&a[1]), None)))
    });
    r.add("array_to_string", vec![AnyArray, p(Text), p(Text)], ReturnType::Exact(Text), |a, _| {
        if a[0].is_null() || a[1].is_null() {
            return Ok(Value::Null);
        }
        let null_text = if let Value::Text(t) = &a[2] { Some(t.as_str()) } else { None };
        Ok(Value::Text(join(arr(&a[0]), crate::functions::string::s(&a[1]), null_text)))
    })
    .lenient();
}

static EMPTY: Array = Array::new(DataType::Text, Vec::new());

fn arr(v: &Value) -> &Array {
    match v {
        Value::Array(a) => a,
        _ => &EMPTY,
    }
}

fn len(a: &Array) -> i32 {
    i32::try_from(a.elements.len()).unwrap_or(i32::MAX)
}

fn make(element_type: DataType, elements: Vec<Value>) -> Value {
    Value::Array(Arc::new(Array::new(element_type, elements)))
}

/// Length-like results for dimension 1; NULL for other dimensions and empty arrays.
fn dim_len(a: &Value, dim: &Value, f: fn(i32) -> i32) -> Value {
    let a = arr(a);
    if *dim != Value::Int4(1) || a.elements.is_empty() {
        return Value::Null;
    }
    Value::Int4(f(len(a)))
}

fn position(a: &Value, x: &Value, start: i64) -> Result<Value> {
    let Value::Array(a) = a else { return Ok(Value::Null) };
    let from = usize::try_from(start.max(1) - 1).unwrap_or(0);
    for (i, e) in a.elements.iter().enumerate().skip(from) {
        if not_distinct(e, x)? {
            return Ok(Value::Int4(i32::try_from(i + 1).unwrap_or(i32::MAX)));
        }
    }
    Ok(Value::Null)
}

/// An element to append as a one-element array (so NULL elements are kept).
/// `array[index] := elem` with PostgreSQL's rules for one-dimensional arrays: a position
/// past the end extends the array with NULLs; a NULL array becomes a one-element array.
/// Positions before 1 (which would move the lower bound) are not supported.
fn assign_element(array: &Value, index: &Value, elem: Value) -> Result<Value> {
    let Some(i) = crate::expr::num::to_i64(index) else {
        return Err(Error::new(
            SqlState::NULL_VALUE_NOT_ALLOWED,
            "array subscript in assignment must not be null",
        ));
    };
    let Value::Array(a) = array else {
        if i == 1 {
            return Ok(wrap_elem(array, elem));
        }
        return Err(Error::unsupported("assigning to an element of a NULL array other than [1]"));
    };
    let pos = usize::try_from(i)
        .ok()
        .and_then(|p| p.checked_sub(1))
        .ok_or_else(|| Error::unsupported("array subscripts below 1 in assignment"))?;
    if pos >= 100_000_000 {
        return Err(Error::new(
            SqlState::PROGRAM_LIMIT_EXCEEDED,
            "array size exceeds the maximum allowed (134217727)",
        ));
    }
    let mut elements = a.elements.clone();
    if pos >= elements.len() {
        elements.resize(pos + 1, Value::Null);
    }
    elements[pos] = elem;
    Ok(make(a.element_type.clone(), elements))
}

/// `array_fill(value, ARRAY[n] [, ARRAY[1]])`: `n` copies of `value` (one dimension with
/// lower bound 1 only, like every array here).
fn fill(value: &Value, dims: &Value, lower: Option<&Value>) -> Result<Value> {
    let null_dims = || {
        Error::new(
            SqlState::NULL_VALUE_NOT_ALLOWED,
            "dimension array or low bound array cannot be null",
        )
    };
    let Value::Array(d) = dims else { return Err(null_dims()) };
    if let Some(l) = lower {
        let Value::Array(l) = l else { return Err(null_dims()) };
        if l.elements.len() != d.elements.len() {
            return Err(Error::new(
                SqlState::ARRAY_SUBSCRIPT_ERROR,
                "wrong number of array subscripts",
            )
            .with_detail("Low bound array has different size than dimensions array."));
        }
        if l.elements.iter().any(|b| crate::expr::num::to_i64(b) != Some(1)) {
            return Err(Error::unsupported("array lower bounds other than 1"));
        }
    }
    let element_type = value.data_type();
    match d.elements.as_slice() {
        [] => Ok(make(element_type, Vec::new())),
        [n] => {
            let n = crate::expr::num::to_i64(n).ok_or_else(|| {
                Error::new(SqlState::NULL_VALUE_NOT_ALLOWED, "dimension values cannot be null")
            })?;
            if n > 100_000_000 {
                return Err(Error::new(
                    SqlState::PROGRAM_LIMIT_EXCEEDED,
                    "array size exceeds the maximum allowed (134217727)",
                ));
            }
            let n = usize::try_from(n).unwrap_or(0);
            Ok(make(element_type, vec![value.clone(); n]))
        }
        _ => Err(Error::unsupported("array_fill with more than one dimension")),
    }
}

fn wrap_elem(array: &Value, elem: Value) -> Value {
    let element_type = match array {
        Value::Array(a) => a.element_type.clone(),
        _ => elem.data_type(),
    };
    make(element_type, vec![elem])
}

fn join(a: &Array, sep: &str, null_text: Option<&str>) -> String {
    a.elements
        .iter()
        .filter_map(
            |e| if e.is_null() { null_text.map(str::to_string) } else { Some(output_text(e)) },
        )
        .collect::<Vec<_>>()
        .join(sep)
}

/// `||` on arrays: array || array, element || array, array || element. A NULL array
/// operand yields the other operand.
pub fn concat_values(l: Value, r: Value) -> Result<Value> {
    match (l, r) {
        (Value::Null, Value::Null) => Ok(Value::Null),
        (Value::Array(a), Value::Array(b)) => {
            let mut elements = a.elements.clone();
            elements.extend(b.elements.iter().cloned());
            Ok(make(a.element_type.clone(), elements))
        }
        (Value::Array(a), Value::Null) | (Value::Null, Value::Array(a)) => Ok(Value::Array(a)),
        (Value::Array(a), x) => {
            let mut elements = a.elements.clone();
            elements.push(x);
            Ok(make(a.element_type.clone(), elements))
        }
        (x, Value::Array(b)) => {
            let mut elements = vec![x];
            elements.extend(b.elements.iter().cloned());
            Ok(make(b.element_type.clone(), elements))
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
        return Err(Error::new(SqlState::INTERNAL_ERROR, "array operator on non-array values"));
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
