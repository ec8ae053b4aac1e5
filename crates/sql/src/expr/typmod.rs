//! Type modifiers of a cast target that [`DataType`] does not carry: the fractional-second
//! precision of `timestamp(p)`, `timestamptz(p)`, `time(p)` and `interval(p)`, and the
//! fields of `interval minute`, `interval day to second(3)` and the like.
//!
//! `'12:34:56.789'::time(1)` is `12:34:56.8` and `'1 day 02:03:04'::interval minute` is
//! `1 day 02:03:00` in PostgreSQL: the cast rounds the seconds to the precision and drops
//! the interval fields right of the last one named. A constant is adjusted while binding;
//! any other operand gets a hidden adjusting function around its cast. (Columns keep their
//! precision in `ColumnDef::precision` and round on write.)

use helios_common::Result;
use helios_types::text::interval::{IntervalField, IntervalRange};
use helios_types::{DataType, Value};
use sqlparser::ast;

use super::Expr;
use crate::functions::registry::{ParamType, ReturnType, ScalarFunction};

/// What a cast target's modifiers do to its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Typmod {
    /// The last interval field kept (`None`: all of them).
    last_field: Option<IntervalField>,
    /// Fractional digits of the seconds (`None`: six).
    precision: Option<u8>,
}

impl Typmod {
    /// The modifiers of `ty`, when it has any that matter.
    pub(crate) fn of(ty: &ast::DataType) -> Option<Typmod> {
        let (last_field, precision) = match ty {
            ast::DataType::Timestamp(p, _) | ast::DataType::Time(p, _) => (None, *p),
            ast::DataType::Interval { fields, precision } => {
                (fields.as_ref().map(last_field), *precision)
            }
            _ => return None,
        };
        let precision = precision.map(|p| p.min(6) as u8);
        (last_field.is_some() || precision.is_some_and(|p| p < 6))
            .then_some(Typmod { last_field, precision })
    }

    /// `value` adjusted to the modifiers.
    pub(crate) fn apply(self, value: Value) -> Value {
        match value {
            Value::Interval(iv) => {
                let range = IntervalRange {
                    last: self.last_field,
                    precision: self.precision.map(u32::from),
                    ..IntervalRange::default()
                };
                Value::Interval(range.apply(iv))
            }
            mut other => {
                if let Some(p) = self.precision {
                    helios_types::datetime::round_to_precision(&mut other, p);
                }
                other
            }
        }
    }

    /// `e` (already cast to the target type) adjusted to the modifiers.
    pub(crate) fn wrap(self, e: Expr) -> Expr {
        match e {
            Expr::Literal(v, ty) => Expr::Literal(self.apply(v), ty),
            e => {
                let ty = e.data_type();
                Expr::Function {
                    func: adjust_function(),
                    args: vec![e, Expr::Literal(Value::Int4(self.encode()), DataType::Int4)],
                    ty,
                }
            }
        }
    }

    /// The modifiers as one integer argument: field code times 8 plus the precision (7 for
    /// none).
    fn encode(self) -> i32 {
        let field =
            self.last_field.map_or(0, |f| FIELDS.iter().position(|x| *x == f).unwrap_or(0) + 1);
        field as i32 * 8 + i32::from(self.precision.unwrap_or(7))
    }

    fn decode(code: i32) -> Typmod {
        let field = (code / 8) as usize;
        let precision = (code % 8) as u8;
        Typmod {
            last_field: field.checked_sub(1).and_then(|i| FIELDS.get(i).copied()),
            precision: (precision < 7).then_some(precision),
        }
    }
}

/// The interval fields in [`Typmod::encode`]'s order.
const FIELDS: [IntervalField; 6] = [
    IntervalField::Year,
    IntervalField::Month,
    IntervalField::Day,
    IntervalField::Hour,
    IntervalField::Minute,
    IntervalField::Second,
];

/// The last field an interval type's field list keeps.
fn last_field(fields: &ast::IntervalFields) -> IntervalField {
    use ast::IntervalFields as F;
    match fields {
        F::Year => IntervalField::Year,
        F::Month | F::YearToMonth => IntervalField::Month,
        F::Day => IntervalField::Day,
        F::Hour | F::DayToHour => IntervalField::Hour,
        F::Minute | F::DayToMinute | F::HourToMinute => IntervalField::Minute,
        F::Second | F::DayToSecond | F::HourToSecond | F::MinuteToSecond => IntervalField::Second,
    }
}

/// The hidden function the binder puts around a non-constant cast with modifiers; not
/// callable by name.
fn adjust_function() -> &'static ScalarFunction {
    static F: std::sync::LazyLock<ScalarFunction> = std::sync::LazyLock::new(|| ScalarFunction {
        name: "adjust_typmod",
        params: vec![ParamType::Any, ParamType::Exact(DataType::Int4)],
        variadic: false,
        ret: ReturnType::Computed(|types| types.first().cloned().unwrap_or(DataType::Unknown)),
        eval: adjust,
        strict: true,
        volatile: false,
    });
    &F
}

fn adjust(args: &[Value], _: &dyn super::EvalContext) -> Result<Value> {
    let code = match args.get(1) {
        Some(Value::Int4(c)) => *c,
        _ => return Ok(args.first().cloned().unwrap_or(Value::Null)),
    };
    Ok(Typmod::decode(code).apply(args.first().cloned().unwrap_or(Value::Null)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips() {
        for last_field in std::iter::once(None).chain(FIELDS.iter().copied().map(Some)) {
            for precision in std::iter::once(None).chain((0..=6).map(Some)) {
                let m = Typmod { last_field, precision };
                assert_eq!(Typmod::decode(m.encode()), m);
            }
        }
    }
}
