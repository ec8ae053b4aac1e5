//! Binding of range and multirange operators and functions (PostgreSQL's `anyrange`
//! and `anymultirange` signatures).
//!
//! An untyped literal beside a range (or multirange) is read as a value of that type,
//! as PostgreSQL's operator resolution does; an element operand (`r @> 5`) must be of
//! the range's subtype exactly (PostgreSQL does not coerce `anyelement` arguments).
//! Constructors (`int4range(1, 5, '[]')`, `int4multirange(r1, r2)`) get an empty value
//! of their type as a hidden last argument (see `functions/range.rs`).

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, MultirangeValue, RangeType, RangeValue, Value};

use crate::expr::bind::{Binder, CoercionKind};
use crate::expr::bind_ops::no_operator;
use crate::expr::node::{BinaryOp, Expr};
use crate::expr::types::{can_implicit_cast, same_base};
use crate::functions::range::{operator_function, range_function};

/// What an operand of a range operator is.
#[derive(Clone, PartialEq)]
enum Side {
    Range(Arc<RangeType>),
    Multi(Arc<RangeType>),
    Unknown,
    Elem(DataType),
}

fn side(t: &DataType) -> Side {
    match t {
        DataType::Range(r) => Side::Range(r.clone()),
        DataType::Multirange(r) => Side::Multi(r.clone()),
        DataType::Unknown => Side::Unknown,
        other => Side::Elem(other.clone()),
    }
}

fn range_of(s: &Side) -> Option<&Arc<RangeType>> {
    match s {
        Side::Range(t) | Side::Multi(t) => Some(t),
        _ => None,
    }
}

/// Whether a type is a range or multirange type.
pub(crate) fn is_rangeish(t: &DataType) -> bool {
    matches!(t, DataType::Range(_) | DataType::Multirange(_))
}

fn no_function(name: &str, types: &[DataType]) -> Error {
    let list: Vec<String> = types.iter().map(ToString::to_string).collect();
    Error::new(
        SqlState::UNDEFINED_FUNCTION,
        format!("function {name}({}) does not exist", list.join(", ")),
    )
    .with_hint(
        "No function matches the given name and argument types. You might need to add explicit type casts.",
    )
}

impl Binder<'_> {
    /// Binds `l op r` when either operand is a range or multirange; `None` otherwise.
    pub(crate) fn range_binary(&mut self, op: BinaryOp, l: Expr, r: Expr) -> Result<Option<Expr>> {
        let (lt, rt) = (l.data_type(), r.data_type());
        if !is_rangeish(&lt) && !is_rangeish(&rt) {
            return Ok(None);
        }
        let (ls, rs) = (side(&lt), side(&rt));
        let ty = match (range_of(&ls), range_of(&rs)) {
            (Some(a), Some(b)) if a.oid != b.oid => return Err(no_operator(op, &lt, &rt)),
            (Some(a), _) | (None, Some(a)) => a.clone(),
            (None, None) => return Ok(None),
        };
        let range_t = DataType::Range(ty.clone());
        let multi_t = DataType::Multirange(ty.clone());
        // An unknown operand takes the kind of the other operand.
        let resolve = |s: &Side, other: &Side| match s {
            Side::Unknown => match other {
                Side::Multi(t) => Side::Multi(t.clone()),
                _ => Side::Range(ty.clone()),
            },
            s => s.clone(),
        };
        let (ls2, rs2) = (resolve(&ls, &rs), resolve(&rs, &ls));
        let is_elem = |s: &Side| matches!(s, Side::Elem(_));
        let elem_ok = |s: &Side| match s {
            Side::Elem(t) => same_base(t, &ty.subtype),
            _ => true,
        };
        let (result, lt2, rt2) = match op {
            op if op.is_comparison() => match (&ls2, &rs2) {
                (Side::Range(_), Side::Range(_)) => (DataType::Bool, &range_t, &range_t),
                (Side::Multi(_), Side::Multi(_)) => (DataType::Bool, &multi_t, &multi_t),
                _ => return Err(no_operator(op, &lt, &rt)),
            },
            BinaryOp::Contains if is_elem(&rs2) && elem_ok(&rs2) => {
                let l_t = if matches!(ls2, Side::Multi(_)) { &multi_t } else { &range_t };
                (DataType::Bool, l_t, &ty.subtype)
            }
            BinaryOp::ContainedBy if is_elem(&ls2) && elem_ok(&ls2) => {
                let r_t = if matches!(rs2, Side::Multi(_)) { &multi_t } else { &range_t };
                (DataType::Bool, &ty.subtype, r_t)
            }
            BinaryOp::Contains
            | BinaryOp::ContainedBy
            | BinaryOp::Overlap
            | BinaryOp::ShiftLeft
            | BinaryOp::ShiftRight
            | BinaryOp::RangeOverLeft
            | BinaryOp::RangeOverRight
            | BinaryOp::RangeAdjacent => {
                let t = |s: &Side| match s {
                    Side::Range(_) => Some(&range_t),
                    Side::Multi(_) => Some(&multi_t),
                    _ => None,
                };
                match (t(&ls2), t(&rs2)) {
                    (Some(a), Some(b)) => (DataType::Bool, a, b),
                    _ => return Err(no_operator(op, &lt, &rt)),
                }
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul => match (&ls2, &rs2) {
                (Side::Range(_), Side::Range(_)) => (range_t.clone(), &range_t, &range_t),
                (Side::Multi(_), Side::Multi(_)) => (multi_t.clone(), &multi_t, &multi_t),
                _ => return Err(no_operator(op, &lt, &rt)),
            },
            _ => return Err(no_operator(op, &lt, &rt)),
        };
        let l = self.coerce(l, lt2, CoercionKind::Implicit)?;
        let r = self.coerce(r, rt2, CoercionKind::Implicit)?;
        Ok(Some(Expr::Binary { op, left: Box::new(l), right: Box::new(r), ty: result }))
    }

    /// Binds a call of a range constructor, accessor or operator function; `None` when
    /// `name(args)` is not one (the ordinary lookup follows).
    pub(crate) fn range_call(&mut self, name: &str, args: &[Expr]) -> Result<Option<Expr>> {
        if let Some(t) = self.range_type_named(name, false) {
            return self.range_constructor(name, t, args).map(Some);
        }
        if let Some(t) = self.range_type_named(name, true) {
            return self.multirange_constructor(name, t, args).map(Some);
        }
        let types: Vec<DataType> = args.iter().map(Expr::data_type).collect();
        if !types.iter().any(is_rangeish) {
            return Ok(None);
        }
        if let Some(op) = operator_function(name) {
            if let [a, b] = args {
                return self.range_binary(op, a.clone(), b.clone());
            }
            return Err(no_function(name, &types));
        }
        let Some(func) = range_function(name) else {
            return Ok(None);
        };
        let ret = match (name, types.as_slice()) {
            ("lower" | "upper", [DataType::Range(t) | DataType::Multirange(t)]) => {
                t.subtype.clone()
            }
            (
                "isempty" | "lower_inc" | "upper_inc" | "lower_inf" | "upper_inf",
                [DataType::Range(_) | DataType::Multirange(_)],
            ) => DataType::Bool,
            ("range_merge", [DataType::Multirange(t)]) => DataType::Range(t.clone()),
            ("multirange", [DataType::Range(t)]) => DataType::Multirange(t.clone()),
            ("range_merge", [a, b]) => {
                let t = match (a, b) {
                    (DataType::Range(x), DataType::Range(y)) if x.oid == y.oid => x.clone(),
                    (DataType::Range(x), DataType::Unknown)
                    | (DataType::Unknown, DataType::Range(x)) => x.clone(),
                    _ => return Err(no_function(name, &types)),
                };
                let rt = DataType::Range(t.clone());
                let a = self.coerce(args[0].clone(), &rt, CoercionKind::Implicit)?;
                let b = self.coerce(args[1].clone(), &rt, CoercionKind::Implicit)?;
                return Ok(Some(Expr::Function { func, args: vec![a, b], ty: rt }));
            }
            _ => return Err(no_function(name, &types)),
        };
        Ok(Some(Expr::Function { func, args: args.to_vec(), ty: ret }))
    }

    /// The range type (or, with `multi`, the range type of the multirange type) named
    /// `name`: a built-in one, else a user-defined one on the search path.
    fn range_type_named(&self, name: &str, multi: bool) -> Option<Arc<RangeType>> {
        let builtin =
            if multi { RangeType::builtin_multirange(name) } else { RangeType::builtin(name) };
        if builtin.is_some() {
            return builtin;
        }
        let catalog = self.scope.catalog()?;
        let path = self.scope.search_path();
        if multi {
            return catalog.resolve_multirange(None, name, path);
        }
        let def = catalog.resolve_type(None, name, path)?;
        catalog.ranges.get(&def.id).cloned()
    }

    /// `rangetype(lower, upper [, flags])`; with one argument, a function-style cast.
    fn range_constructor(&mut self, name: &str, t: Arc<RangeType>, args: &[Expr]) -> Result<Expr> {
        let types: Vec<DataType> = args.iter().map(Expr::data_type).collect();
        if let [one] = args {
            return self.coerce(one.clone(), &DataType::Range(t), CoercionKind::Explicit);
        }
        if !(2..=3).contains(&args.len())
            || !types[..2].iter().all(|a| can_implicit_cast(a, &t.subtype))
            || types.get(2).is_some_and(|f| {
                !matches!(f, DataType::Unknown) && !can_implicit_cast(f, &DataType::Text)
            })
        {
            return Err(no_function(name, &types));
        }
        let mut bound = Vec::with_capacity(args.len() + 1);
        for a in &args[..2] {
            bound.push(self.coerce(a.clone(), &t.subtype, CoercionKind::Implicit)?);
        }
        if let Some(f) = args.get(2) {
            bound.push(self.coerce(f.clone(), &DataType::Text, CoercionKind::Implicit)?);
        }
        let ty = DataType::Range(t.clone());
        bound.push(Expr::Literal(Value::Range(Arc::new(RangeValue::empty(t))), ty.clone()));
        let func = range_function("range_constructor")
            .ok_or_else(|| Error::internal("range constructor missing"))?;
        Ok(Expr::Function { func, args: bound, ty })
    }

    /// `multirangetype(range, ...)` and `multirangetype(VARIADIC rangetype[])`.
    fn multirange_constructor(
        &mut self,
        name: &str,
        t: Arc<RangeType>,
        args: &[Expr],
    ) -> Result<Expr> {
        let types: Vec<DataType> = args.iter().map(Expr::data_type).collect();
        let range_t = DataType::Range(t.clone());
        let array_t = DataType::Array(Box::new(range_t.clone()));
        let mut bound = Vec::with_capacity(args.len() + 1);
        for a in args {
            // `VARIADIC array`: the array itself.
            let a = match a {
                Expr::Function { args: inner, .. }
                    if crate::functions::range::is_variadic_marker(a) && inner.len() == 1 =>
                {
                    &inner[0]
                }
                other => other,
            };
            let at = &a.data_type();
            let target = if at == &array_t { &array_t } else { &range_t };
            if !can_implicit_cast(at, target) {
                return Err(no_function(name, &types));
            }
            bound.push(self.coerce(a.clone(), target, CoercionKind::Implicit)?);
        }
        let ty = DataType::Multirange(t.clone());
        bound.push(Expr::Literal(
            Value::Multirange(Arc::new(MultirangeValue::empty(t))),
            ty.clone(),
        ));
        let func = range_function("multirange_constructor")
            .ok_or_else(|| Error::internal("multirange constructor missing"))?;
        Ok(Expr::Function { func, args: bound, ty })
    }
}
