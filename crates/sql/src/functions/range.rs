//! Range and multirange functions and operators: the constructors (`int4range(1, 5,
//! '[]')`, `int4multirange(...)`), `lower`/`upper`/`isempty`/`lower_inc`/..., `range_merge`,
//! `multirange(r)`, and the evaluation of the range operators (`@>`, `&&`, `-|-`, `+`, ...).
//!
//! The binder (`expr/bind_range.rs`) chooses the signature; a constructor gets an empty
//! value of its type as a hidden last argument, so evaluation knows the type even when
//! every bound is NULL.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, MultirangeValue, RangeBound, RangeType, RangeValue, Value};

use crate::expr::{BinaryOp, EvalContext};
use crate::functions::registry::{ParamType, ReturnType, ScalarFunction};

/// The range type carried by a constructor's hidden last argument.
fn carried_type(args: &[Value]) -> Result<Arc<RangeType>> {
    match args.last() {
        Some(Value::Range(r)) => Ok(r.ty.clone()),
        Some(Value::Multirange(m)) => Ok(m.ty.clone()),
        _ => Err(Error::internal("range constructor without its type")),
    }
}

/// Reads a constructor's bounds flags (`'[)'`, `'(]'`, ...): 22000 for NULL, 42601 for
/// anything else.
fn parse_flags(v: &Value) -> Result<(bool, bool)> {
    let s = match v {
        Value::Null => {
            return Err(Error::new(
                SqlState::DATA_EXCEPTION,
                "range constructor flags argument must not be null",
            ))
        }
        Value::Text(s) => s.as_str(),
        _ => return Err(Error::internal("range flags are not text")),
    };
    match s {
        "[]" => Ok((true, true)),
        "[)" => Ok((true, false)),
        "(]" => Ok((false, true)),
        "()" => Ok((false, false)),
        _ => Err(Error::new(SqlState::SYNTAX_ERROR, "invalid range bound flags")
            .with_hint("Valid values are \"[]\", \"[)\", \"(]\", and \"()\".")),
    }
}

/// `rangetype(lower, upper [, flags])`: NULL bounds are infinite.
fn construct_range(args: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let ty = carried_type(args)?;
    let real = &args[..args.len() - 1];
    let (li, ui) = match real.get(2) {
        Some(f) => parse_flags(f)?,
        None => (true, false),
    };
    let bound = |v: &Value, inc: bool, lower: bool| match v {
        Value::Null => RangeBound::infinite(lower),
        v => RangeBound::finite(v.clone(), inc, lower),
    };
    let lower = bound(real.first().unwrap_or(&Value::Null), li, true);
    let upper = bound(real.get(1).unwrap_or(&Value::Null), ui, false);
    Ok(Value::Range(Arc::new(RangeValue::new(ty, lower, upper)?)))
}

/// `multirangetype(range, ...)`: NULL ranges are an error, as in PostgreSQL.
fn construct_multirange(args: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let ty = carried_type(args)?;
    let mut ranges = Vec::with_capacity(args.len().saturating_sub(1));
    for v in &args[..args.len() - 1] {
        match v {
            Value::Range(r) => ranges.push((**r).clone()),
            Value::Null => {
                return Err(Error::new(
                    SqlState::NULL_VALUE_NOT_ALLOWED,
                    "multirange values cannot contain null members",
                ))
            }
            Value::Array(a) => {
                for e in &a.elements {
                    match e {
                        Value::Range(r) => ranges.push((**r).clone()),
                        _ => {
                            return Err(Error::new(
                                SqlState::NULL_VALUE_NOT_ALLOWED,
                                "multirange values cannot contain null members",
                            ))
                        }
                    }
                }
            }
            _ => return Err(Error::internal("multirange constructor argument is not a range")),
        }
    }
    Ok(Value::Multirange(Arc::new(MultirangeValue::new(ty, ranges)?)))
}

/// The range an accessor looks at: the range itself, or a multirange's span.
fn spanned(v: &Value) -> Result<RangeValue> {
    match v {
        Value::Range(r) => Ok((**r).clone()),
        Value::Multirange(m) => Ok(m.span()),
        _ => Err(Error::internal("range function on a non-range value")),
    }
}

fn lower(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    Ok(spanned(&a[0])?.lower_value())
}

fn upper(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    Ok(spanned(&a[0])?.upper_value())
}

fn isempty(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    Ok(Value::Bool(spanned(&a[0])?.empty))
}

fn lower_inc(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let r = spanned(&a[0])?;
    Ok(Value::Bool(!r.empty && r.lower.inclusive))
}

fn upper_inc(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let r = spanned(&a[0])?;
    Ok(Value::Bool(!r.empty && r.upper.inclusive))
}

fn lower_inf(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let r = spanned(&a[0])?;
    Ok(Value::Bool(!r.empty && r.lower.is_infinite()))
}

fn upper_inf(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    let r = spanned(&a[0])?;
    Ok(Value::Bool(!r.empty && r.upper.is_infinite()))
}

fn range_merge(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    Ok(Value::Range(Arc::new(match a {
        [Value::Range(x), Value::Range(y)] => x.merge(y)?,
        [Value::Multirange(m)] => m.span(),
        _ => return Err(Error::internal("range_merge on non-range values")),
    })))
}

fn multirange(a: &[Value], _: &dyn EvalContext) -> Result<Value> {
    match &a[0] {
        Value::Range(r) => Ok(Value::Multirange(Arc::new(r.to_multirange()))),
        _ => Err(Error::internal("multirange() on a non-range value")),
    }
}

/// The function-call spellings of the range and multirange operators.
pub fn operator_function(name: &str) -> Option<BinaryOp> {
    Some(match name {
        "range_contains"
        | "range_contains_elem"
        | "range_contains_multirange"
        | "multirange_contains_range"
        | "multirange_contains_elem"
        | "multirange_contains_multirange" => BinaryOp::Contains,
        "range_contained_by"
        | "elem_contained_by_range"
        | "range_contained_by_multirange"
        | "multirange_contained_by_range"
        | "elem_contained_by_multirange"
        | "multirange_contained_by_multirange" => BinaryOp::ContainedBy,
        "range_overlaps"
        | "range_overlaps_multirange"
        | "multirange_overlaps_range"
        | "multirange_overlaps_multirange" => BinaryOp::Overlap,
        "range_before"
        | "range_before_multirange"
        | "multirange_before_range"
        | "multirange_before_multirange" => BinaryOp::ShiftLeft,
        "range_after"
        | "range_after_multirange"
        | "multirange_after_range"
        | "multirange_after_multirange" => BinaryOp::ShiftRight,
        "range_overleft"
        | "range_overleft_multirange"
        | "multirange_overleft_range"
        | "multirange_overleft_multirange" => BinaryOp::RangeOverLeft,
        "range_overright"
        | "range_overright_multirange"
        | "multirange_overright_range"
        | "multirange_overright_multirange" => BinaryOp::RangeOverRight,
        "range_adjacent"
        | "range_adjacent_multirange"
        | "multirange_adjacent_range"
        | "multirange_adjacent_multirange" => BinaryOp::RangeAdjacent,
        "range_union" | "multirange_union" => BinaryOp::Add,
        "range_minus" | "multirange_minus" => BinaryOp::Sub,
        "range_intersect" | "multirange_intersect" => BinaryOp::Mul,
        "range_eq" | "multirange_eq" => BinaryOp::Eq,
        "range_ne" | "multirange_ne" => BinaryOp::NotEq,
        "range_lt" | "multirange_lt" => BinaryOp::Lt,
        "range_le" | "multirange_le" => BinaryOp::LtEq,
        "range_gt" | "multirange_gt" => BinaryOp::Gt,
        "range_ge" | "multirange_ge" => BinaryOp::GtEq,
        _ => return None,
    })
}

fn function(
    name: &'static str,
    eval: fn(&[Value], &dyn EvalContext) -> Result<Value>,
    strict: bool,
) -> ScalarFunction {
    ScalarFunction {
        name,
        params: vec![ParamType::Any],
        variadic: true,
        ret: ReturnType::Exact(DataType::Unknown),
        eval,
        strict,
        volatile: false,
    }
}

static FUNCTIONS: LazyLock<HashMap<&'static str, ScalarFunction>> = LazyLock::new(|| {
    let list = [
        function("range_constructor", construct_range, false),
        function("multirange_constructor", construct_multirange, false),
        function("lower", lower, true),
        function("upper", upper, true),
        function("isempty", isempty, true),
        function("lower_inc", lower_inc, true),
        function("upper_inc", upper_inc, true),
        function("lower_inf", lower_inf, true),
        function("upper_inf", upper_inf, true),
        function("range_merge", range_merge, true),
        function("multirange", multirange, true),
        function(crate::parser::VARIADIC_MARKER, |a, _| Ok(a[0].clone()), false),
    ];
    list.into_iter().map(|f| (f.name, f)).collect()
});

/// The implementation of a range function by name (see the module notes).
pub fn range_function(name: &str) -> Option<&'static ScalarFunction> {
    FUNCTIONS.get(name)
}

/// Whether `e` is a `VARIADIC` argument (see `parser/variadic_args.rs`).
pub fn is_variadic_marker(e: &crate::expr::Expr) -> bool {
    matches!(e, crate::expr::Expr::Function { func, .. } if func.name == crate::parser::VARIADIC_MARKER)
}

/// A range or multirange operand as a multirange (a range becomes a one-range one).
fn as_multi(v: &Value) -> Option<MultirangeValue> {
    match v {
        Value::Range(r) => Some(r.to_multirange()),
        Value::Multirange(m) => Some((**m).clone()),
        _ => None,
    }
}

/// Evaluates a range or multirange operator on two non-NULL values; `None` when the
/// operands are not ranges (the caller's other operators apply).
pub fn binary(op: BinaryOp, l: &Value, r: &Value) -> Result<Option<Value>> {
    use BinaryOp as B;
    let b = |x: bool| Ok(Some(Value::Bool(x)));
    match (op, l, r) {
        (B::Contains, Value::Range(a), Value::Range(c)) => return b(a.contains_range(c)),
        (B::ContainedBy, Value::Range(a), Value::Range(c)) => return b(c.contains_range(a)),
        (B::Overlap, Value::Range(a), Value::Range(c)) => return b(a.overlaps(c)),
        (B::ShiftLeft, Value::Range(a), Value::Range(c)) => return b(a.before(c)),
        (B::ShiftRight, Value::Range(a), Value::Range(c)) => return b(a.after(c)),
        (B::RangeOverLeft, Value::Range(a), Value::Range(c)) => return b(a.overleft(c)),
        (B::RangeOverRight, Value::Range(a), Value::Range(c)) => return b(a.overright(c)),
        (B::RangeAdjacent, Value::Range(a), Value::Range(c)) => return b(a.adjacent(c)),
        (B::Add, Value::Range(a), Value::Range(c)) => {
            return Ok(Some(Value::Range(Arc::new(a.union(c)?))))
        }
        (B::Sub, Value::Range(a), Value::Range(c)) => {
            return Ok(Some(Value::Range(Arc::new(a.minus(c)?))))
        }
        (B::Mul, Value::Range(a), Value::Range(c)) => {
            return Ok(Some(Value::Range(Arc::new(a.intersect(c)?))))
        }
        (B::Contains, Value::Range(a), v) if !matches!(v, Value::Multirange(_)) => {
            return b(a.contains_value(v))
        }
        (B::ContainedBy, v, Value::Range(a)) if !matches!(v, Value::Multirange(_)) => {
            return b(a.contains_value(v))
        }
        (B::Contains, Value::Multirange(m), v)
            if !matches!(v, Value::Range(_) | Value::Multirange(_)) =>
        {
            return b(m.contains_value(v))
        }
        (B::ContainedBy, v, Value::Multirange(m))
            if !matches!(v, Value::Range(_) | Value::Multirange(_)) =>
        {
            return b(m.contains_value(v))
        }
        _ => {}
    }
    let (Some(x), Some(y)) = (as_multi(l), as_multi(r)) else {
        return Ok(None);
    };
    let multi = |m: MultirangeValue| Ok(Some(Value::Multirange(Arc::new(m))));
    match op {
        B::Contains => b(x.contains(&y)),
        B::ContainedBy => b(y.contains(&x)),
        B::Overlap => b(x.overlaps(&y)),
        B::ShiftLeft => b(x.before(&y)),
        B::ShiftRight => b(x.after(&y)),
        B::RangeOverLeft => b(x.overleft(&y)),
        B::RangeOverRight => b(x.overright(&y)),
        B::RangeAdjacent => b(x.adjacent(&y)),
        B::Add => multi(x.union(&y)?),
        B::Sub => multi(x.minus(&y)?),
        B::Mul => multi(x.intersect(&y)?),
        _ => Ok(None),
    }
}

/// `unnest(multirange)`: its ranges in order.
pub fn unnest_multirange(v: &Value) -> Vec<Value> {
    match v {
        Value::Multirange(m) => {
            m.ranges.iter().map(|r| Value::Range(Arc::new(r.clone()))).collect()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use helios_types::TimeZone;

    fn r(s: &str) -> Value {
        let t = RangeType::builtin("int4range").unwrap();
        Value::Range(Arc::new(helios_types::range::parse_range(s, &t, &TimeZone::UTC).unwrap()))
    }

    fn m(s: &str) -> Value {
        let t = RangeType::builtin("int4range").unwrap();
        Value::Multirange(Arc::new(
            helios_types::range::parse_multirange(s, &t, &TimeZone::UTC).unwrap(),
        ))
    }

    #[test]
    fn operators_dispatch_on_operand_kinds() {
        let yes = Some(Value::Bool(true));
        assert_eq!(binary(BinaryOp::Contains, &r("[1,5)"), &Value::Int4(3)).unwrap(), yes);
        assert_eq!(binary(BinaryOp::ContainedBy, &Value::Int4(3), &m("{[1,5)}")).unwrap(), yes);
        assert_eq!(binary(BinaryOp::Contains, &m("{[1,5)}"), &r("[2,3)")).unwrap(), yes);
        assert_eq!(binary(BinaryOp::RangeAdjacent, &r("[1,5)"), &m("{[5,6)}")).unwrap(), yes);
        assert_eq!(
            binary(BinaryOp::Sub, &m("{[1,10)}"), &m("{[3,4)}")).unwrap(),
            Some(m("{[1,3),[4,10)}"))
        );
        assert_eq!(binary(BinaryOp::Add, &Value::Int4(1), &Value::Int4(2)).unwrap(), None);
        assert!(binary(BinaryOp::Add, &r("[1,2)"), &r("[3,4)")).is_err());
    }

    #[test]
    fn flags_are_checked() {
        assert_eq!(parse_flags(&Value::Text("(]".into())).unwrap(), (false, true));
        assert_eq!(
            parse_flags(&Value::Text("[[".into())).unwrap_err().sqlstate(),
            SqlState::SYNTAX_ERROR
        );
        assert_eq!(parse_flags(&Value::Null).unwrap_err().sqlstate(), SqlState::DATA_EXCEPTION);
    }
}
