//! Array functions and operators: `array_length`, `array_upper`/`array_lower`,
//! `cardinality`, `array_position(s)`, `array_append`/`prepend`/`cat`, `array_remove`,
//! `array_replace`, `array_to_string`, `array_dims`, `array_ndims`, `array_fill`, the
//! subscripted-assignment helpers, and `||`, `@>`, `<@`, `&&`. Shapes (dimensions and
//! lower bounds) follow PostgreSQL; the shape rules themselves live in
//! `helios_types::array`. Functions that only look at elements (`array_remove`,
//! `array_to_string`, the set operators) read them in row-major order.

use std::cmp::Ordering;
use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::{Array, ArrayDim, DataType, Value};

use crate::expr::compare::{compare, not_distinct};
use crate::expr::BinaryOp;
use crate::functions::registry::{p, ParamType, Registry, ReturnType};
use crate::functions::string::output_text;

use DataType::{Int4, Text};

/// Registers the array functions.
pub(crate) fn register(r: &mut Registry) {
    use ParamType::{AnyArray, AnyElement};
    let int = || ReturnType::Exact(Int4);
    r.add("array_length", vec![AnyArray, p(Int4)], int(), |a, _| {
        Ok(dim_of(&a[0], &a[1], |d| d.len))
    });
    r.add("array_upper", vec![AnyArray, p(Int4)], int(), |a, _| {
        Ok(dim_of(&a[0], &a[1], ArrayDim::upper))
    });
    r.add("array_lower", vec![AnyArray, p(Int4)], int(), |a, _| {
        Ok(dim_of(&a[0], &a[1], |d| d.lower))
    });
    r.add("array_ndims", vec![AnyArray], int(), |a, _| {
        let n = arr(&a[0]).ndims();
        Ok(if n == 0 { Value::Null } else { Value::Int4(n as i32) })
    });
    r.add("array_dims", vec![AnyArray], ReturnType::Exact(Text), |a, _| {
        Ok(arr(&a[0]).dims_text().map_or(Value::Null, Value::Text))
    });
    r.add("cardinality", vec![AnyArray], int(), |a, _| Ok(Value::Int4(len(arr(&a[0])))));
    r.add("array_position", vec![AnyArray, AnyElement], int(), |a, _| position(&a[0], &a[1], None))
        .lenient();
    r.add("array_position", vec![AnyArray, AnyElement, p(Int4)], int(), |a, _| {
        position(&a[0], &a[1], crate::expr::num::to_i64(&a[2]))
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
            let lower = i64::from(searchable_lower(arr(&a[0]))?);
            for (i, e) in arr(&a[0]).elements.iter().enumerate() {
                if not_distinct(e, &a[1])? {
                    out.push(subscript_at(lower, i));
                }
            }
            Ok(make(Int4, out))
        },
    )
    .lenient();
    r.add(
        "array_append",
        vec![AnyArray, AnyElement],
        ReturnType::ArrayOfElement,
        |a, _| match &a[0] {
            Value::Array(x) => append(x, a[1].clone(), false),
            _ => Ok(wrap_elem(&a[0], a[1].clone())),
        },
    )
    .lenient();
    // `UPDATE t SET a[i][j] = v` and `SET a[l:u] = v` (see `expr/bind_array_assign.rs`).
    let ints = || p(DataType::Array(Box::new(Int4)));
    r.add(
        "helios_array_assign_at",
        vec![AnyArray, ints(), AnyElement],
        ReturnType::ArrayOfElement,
        |a, _| assign_element(&a[0], &a[1], a[2].clone()),
    )
    .lenient();
    r.add(
        "helios_array_assign_slice",
        vec![AnyArray, ints(), ints(), AnyArray],
        ReturnType::ArrayOfElement,
        |a, _| assign_slice(&a[0], &a[1], &a[2], &a[3]),
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
    r.add("array_prepend", vec![AnyElement, AnyArray], ReturnType::ArrayOfElement, |a, _| match &a
        [1]
    {
        Value::Array(x) => append(x, a[0].clone(), true),
        _ => Ok(wrap_elem(&a[1], a[0].clone())),
    })
    .lenient();
    r.add("array_cat", vec![AnyArray, AnyArray], ReturnType::ArrayOfElement, |a, _| {
        concat_values(a[0].clone(), a[1].clone())
    })
    .lenient();
    r.add("array_remove", vec![AnyArray, AnyElement], ReturnType::ArrayOfElement, |a, _| {
        let Value::Array(x) = &a[0] else { return Ok(Value::Null) };
        if x.ndims() > 1 {
            return Err(Error::new(
                SqlState::FEATURE_NOT_SUPPORTED,
                "removing elements from multidimensional arrays is not supported",
            ));
        }
        let mut out = Vec::with_capacity(x.elements.len());
        for e in &x.elements {
            if !not_distinct(e, &a[1])? {
                out.push(e.clone());
            }
        }
        // The lower bound stays.
        let lower = x.dims().first().map_or(1, |d| d.lower);
        let len = i32::try_from(out.len()).unwrap_or(i32::MAX);
        let shape = [ArrayDim { lower, len }];
        Ok(Value::Array(Arc::new(Array::with_dims(x.element_type.clone(), out, &shape)?)))
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
            Ok(Value::Array(Arc::new(x.reshaped(x.element_type.clone(), out))))
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

/// `f` of dimension `dim` (1-based); NULL when the array has no such dimension.
fn dim_of(a: &Value, dim: &Value, f: fn(ArrayDim) -> i32) -> Value {
    let Value::Int4(dim) = dim else { return Value::Null };
    let dims = arr(a).dims();
    usize::try_from(*dim)
        .ok()
        .and_then(|k| k.checked_sub(1))
        .and_then(|k| dims.get(k))
        .map_or(Value::Null, |d| Value::Int4(f(*d)))
}

/// `array_position(a, x [, start])`: the first subscript from `start` (default the lower
/// bound) holding `x`.
fn position(a: &Value, x: &Value, start: Option<i64>) -> Result<Value> {
    let Value::Array(a) = a else { return Ok(Value::Null) };
    let lower = i64::from(searchable_lower(a)?);
    let from = usize::try_from(start.unwrap_or(lower) - lower).unwrap_or(0);
    for (i, e) in a.elements.iter().enumerate().skip(from) {
        if not_distinct(e, x)? {
            return Ok(subscript_at(lower, i));
        }
    }
    Ok(Value::Null)
}

/// The lower bound of an array searched by `array_position(s)`, which must be empty or
/// one-dimensional.
fn searchable_lower(a: &Array) -> Result<i32> {
    if a.ndims() > 1 {
        return Err(Error::new(
            SqlState::FEATURE_NOT_SUPPORTED,
            "searching for elements in multidimensional arrays is not supported",
        ));
    }
    Ok(a.dims().first().map_or(1, |d| d.lower))
}

fn subscript_at(lower: i64, i: usize) -> Value {
    Value::Int4(i32::try_from(lower + i as i64).unwrap_or(i32::MAX))
}

/// The int4 subscripts of an assignment; NULL ones are an error, as in PostgreSQL
/// (`null_ok` lets slice bounds be left out).
fn assignment_subscripts(v: &Value, null_ok: bool) -> Result<Vec<Option<i32>>> {
    let Value::Array(a) = v else { return Ok(Vec::new()) };
    a.elements
        .iter()
        .map(|e| match e {
            Value::Int4(i) => Ok(Some(*i)),
            Value::Null if null_ok => Ok(None),
            _ => Err(Error::new(
                SqlState::NULL_VALUE_NOT_ALLOWED,
                "array subscript in assignment must not be null",
            )),
        })
        .collect()
}

/// `array[i1]...[in] := elem` (see [`Array::assign`]); a NULL array acts as empty.
fn assign_element(array: &Value, subscripts: &Value, elem: Value) -> Result<Value> {
    let subs: Vec<i32> = assignment_subscripts(subscripts, false)?.into_iter().flatten().collect();
    let base = match array {
        Value::Array(a) => Some(&**a),
        _ => None,
    };
    let element_type = base.map_or_else(|| elem.data_type(), |a| a.element_type.clone());
    Ok(Value::Array(Arc::new(Array::assign(base, element_type, &subs, elem)?)))
}

/// `array[l1:u1]...[ln:un] := source` (see [`Array::assign_slice`]); a NULL source
/// leaves the array as it was (a NULL array becomes empty, as in PostgreSQL). A bound left out was bound as the array's own bound.
fn assign_slice(array: &Value, lowers: &Value, uppers: &Value, source: &Value) -> Result<Value> {
    let Value::Array(source) = source else {
        // A NULL source leaves the array as it was; a NULL array reads as empty.
        return Ok(match array {
            Value::Array(_) => array.clone(),
            _ => make(source.data_type(), Vec::new()),
        });
    };
    let base = match array {
        Value::Array(a) => Some(&**a),
        _ => None,
    };
    // A bound left out reads the (empty or NULL) array's bound, NULL: that case is
    // reported by `Array::assign_slice`.
    let empty = base.is_none_or(|b| b.elements.is_empty());
    let bounds: Vec<(Option<i32>, Option<i32>)> = assignment_subscripts(lowers, empty)?
        .into_iter()
        .zip(assignment_subscripts(uppers, empty)?)
        .collect();
    let element_type = base.map_or_else(|| source.element_type.clone(), |a| a.element_type.clone());
    Ok(Value::Array(Arc::new(Array::assign_slice(base, element_type, &bounds, source)?)))
}

/// `array_fill(value, dims [, lower_bounds])`: an array of shape `dims` (lower bounds
/// 1 unless given) holding `value` everywhere.
fn fill(value: &Value, dims: &Value, lower: Option<&Value>) -> Result<Value> {
    let null_dims = || {
        Error::new(
            SqlState::NULL_VALUE_NOT_ALLOWED,
            "dimension array or low bound array cannot be null",
        )
    };
    let wrong = |detail: &str| {
        Error::new(SqlState::ARRAY_SUBSCRIPT_ERROR, "wrong number of array subscripts")
            .with_detail(detail.to_string())
    };
    let Value::Array(d) = dims else { return Err(null_dims()) };
    if d.ndims() > 1 {
        return Err(wrong("Dimension array must be one dimensional."));
    }
    let lowers: Vec<Value> = match lower {
        None => vec![Value::Int4(1); d.elements.len()],
        Some(Value::Array(l)) => {
            if l.ndims() > 1 {
                return Err(wrong("Dimension array must be one dimensional."));
            }
            if l.elements.len() != d.elements.len() {
                return Err(wrong("Low bound array has different size than dimensions array."));
            }
            l.elements.clone()
        }
        Some(_) => return Err(null_dims()),
    };
    let not_null =
        || Error::new(SqlState::NULL_VALUE_NOT_ALLOWED, "dimension values cannot be null");
    let mut shape = Vec::with_capacity(d.elements.len());
    let mut count: i64 = 1;
    for (n, l) in d.elements.iter().zip(&lowers) {
        let n = crate::expr::num::to_i64(n).ok_or_else(not_null)?;
        let l = crate::expr::num::to_i64(l).ok_or_else(not_null)?;
        count = count.saturating_mul(n.max(0));
        if count > i64::from(helios_types::array::MAX_ELEMENTS) {
            return Err(Error::new(
                SqlState::PROGRAM_LIMIT_EXCEEDED,
                "array size exceeds the maximum allowed (134217727)",
            ));
        }
        let (Ok(lower), Ok(len)) = (i32::try_from(l), i32::try_from(n.max(0))) else {
            return Err(Error::new(
                SqlState::PROGRAM_LIMIT_EXCEEDED,
                "array size exceeds the maximum allowed (134217727)",
            ));
        };
        shape.push(ArrayDim { lower, len });
    }
    let element_type = value.data_type();
    let count = usize::try_from(count).unwrap_or(0);
    let elements = if shape.is_empty() { Vec::new() } else { vec![value.clone(); count] };
    Ok(Value::Array(Arc::new(Array::with_dims(element_type, elements, &shape)?)))
}

/// An element as a one-element array (so NULL elements are kept).
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
        (Value::Array(a), Value::Array(b)) => Ok(Value::Array(Arc::new(Array::concat(&a, &b)?))),
        (Value::Array(a), Value::Null) | (Value::Null, Value::Array(a)) => Ok(Value::Array(a)),
        (Value::Array(a), x) => append(&a, x, false),
        (x, Value::Array(b)) => append(&b, x, true),
        _ => Err(Error::internal("array concatenation without an array")),
    }
}

/// `array_append` (or with `front`, `array_prepend`) to an empty or one-dimensional
/// array; the lower bound stays, as in PostgreSQL.
pub fn append(a: &Array, x: Value, front: bool) -> Result<Value> {
    if a.ndims() > 1 {
        return Err(Error::new(
            SqlState::DATA_EXCEPTION,
            "argument must be empty or one-dimensional array",
        ));
    }
    let mut elements = Vec::with_capacity(a.elements.len() + 1);
    if front {
        elements.push(x);
        elements.extend(a.elements.iter().cloned());
    } else {
        elements.extend(a.elements.iter().cloned());
        elements.push(x);
    }
    let lower = a.dims().first().map_or(1, |d| d.lower);
    let len = i32::try_from(elements.len()).unwrap_or(i32::MAX);
    let out = Array::with_dims(a.element_type.clone(), elements, &[ArrayDim { lower, len }])?;
    Ok(Value::Array(Arc::new(out)))
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
