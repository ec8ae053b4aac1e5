//! Aggregate functions: which exist, their argument and result types by PostgreSQL's
//! rules (`sum(int4)` → `bigint`, `avg(int)` → `numeric`, `count` → `bigint`, ...).
//!
//! The executor owns DISTINCT, FILTER and ORDER BY inside aggregate calls: it drops rows
//! the filter rejects, removes duplicate argument tuples, sorts, and only then feeds
//! argument values to the accumulator (see `accumulator.rs`).

use helios_common::{Error, Result, SqlState};
use helios_types::DataType;

use crate::expr::types::{numeric_rank, strip_modifiers};

/// An aggregate function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggregateFunc {
    /// `count(*)`
    CountStar,
    /// `count(x)`: non-null values
    Count,
    /// `sum(x)`
    Sum,
    /// `avg(x)`
    Avg,
    /// `min(x)`
    Min,
    /// `max(x)`
    Max,
    /// `bool_and(x)` / `every(x)`
    BoolAnd,
    /// `bool_or(x)`
    BoolOr,
    /// `string_agg(x, delimiter)`
    StringAgg,
    /// `array_agg(x)`
    ArrayAgg,
    /// `json_agg(x)`
    JsonAgg,
    /// `jsonb_agg(x)`
    JsonbAgg,
    /// `json_object_agg(k, v)`
    JsonObjectAgg,
    /// `jsonb_object_agg(k, v)`
    JsonbObjectAgg,
    /// `stddev_samp(x)` / `stddev(x)`
    StddevSamp,
    /// `stddev_pop(x)`
    StddevPop,
    /// `var_samp(x)` / `variance(x)`
    VarSamp,
    /// `var_pop(x)`
    VarPop,
    /// `bit_and(x)`
    BitAnd,
    /// `bit_or(x)`
    BitOr,
    /// `regr_count(y, x)`: pairs with both values non-NULL
    RegrCount,
    /// `regr_sxx(y, x)`
    RegrSxx,
    /// `regr_syy(y, x)`
    RegrSyy,
    /// `regr_sxy(y, x)`
    RegrSxy,
    /// `regr_avgx(y, x)`
    RegrAvgX,
    /// `regr_avgy(y, x)`
    RegrAvgY,
    /// `regr_r2(y, x)`
    RegrR2,
    /// `regr_slope(y, x)`
    RegrSlope,
    /// `regr_intercept(y, x)`
    RegrIntercept,
    /// `covar_pop(y, x)`
    CovarPop,
    /// `covar_samp(y, x)`
    CovarSamp,
    /// `corr(y, x)`
    Corr,
    /// `percentile_cont(f) WITHIN GROUP (ORDER BY x)`: args (x, f)
    PercentileCont,
    /// `percentile_disc(f) WITHIN GROUP (ORDER BY x)`: args (x, f)
    PercentileDisc,
    /// `mode() WITHIN GROUP (ORDER BY x)`
    Mode,
    /// `range_agg(r)`: the union of ranges or multiranges, as a multirange
    RangeAgg,
    /// `range_intersect_agg(r)`: the intersection of ranges (or multiranges)
    RangeIntersectAgg,
    /// An aggregate made by `CREATE AGGREGATE`; the call carries its support functions
    /// (`AggregateCall::user`) and the executor folds them itself.
    User,
}

impl AggregateFunc {
    /// The aggregate of this name (`count` means `count(x)`; `count(*)` is chosen by
    /// [`AggregateFunc::resolve`]).
    pub fn lookup(name: &str) -> Option<AggregateFunc> {
        Some(match name {
            "count" => AggregateFunc::Count,
            "sum" => AggregateFunc::Sum,
            "avg" => AggregateFunc::Avg,
            "min" => AggregateFunc::Min,
            "max" => AggregateFunc::Max,
            "bool_and" | "every" => AggregateFunc::BoolAnd,
            "bool_or" => AggregateFunc::BoolOr,
            "string_agg" => AggregateFunc::StringAgg,
            "array_agg" => AggregateFunc::ArrayAgg,
            "json_agg" => AggregateFunc::JsonAgg,
            "jsonb_agg" => AggregateFunc::JsonbAgg,
            "json_object_agg" => AggregateFunc::JsonObjectAgg,
            "jsonb_object_agg" => AggregateFunc::JsonbObjectAgg,
            "stddev" | "stddev_samp" => AggregateFunc::StddevSamp,
            "stddev_pop" => AggregateFunc::StddevPop,
            "variance" | "var_samp" => AggregateFunc::VarSamp,
            "var_pop" => AggregateFunc::VarPop,
            "bit_and" => AggregateFunc::BitAnd,
            "bit_or" => AggregateFunc::BitOr,
            "regr_count" => AggregateFunc::RegrCount,
            "regr_sxx" => AggregateFunc::RegrSxx,
            "regr_syy" => AggregateFunc::RegrSyy,
            "regr_sxy" => AggregateFunc::RegrSxy,
            "regr_avgx" => AggregateFunc::RegrAvgX,
            "regr_avgy" => AggregateFunc::RegrAvgY,
            "regr_r2" => AggregateFunc::RegrR2,
            "regr_slope" => AggregateFunc::RegrSlope,
            "regr_intercept" => AggregateFunc::RegrIntercept,
            "covar_pop" => AggregateFunc::CovarPop,
            "covar_samp" => AggregateFunc::CovarSamp,
            "corr" => AggregateFunc::Corr,
            "percentile_cont" => AggregateFunc::PercentileCont,
            "percentile_disc" => AggregateFunc::PercentileDisc,
            "mode" => AggregateFunc::Mode,
            "range_agg" => AggregateFunc::RangeAgg,
            "range_intersect_agg" => AggregateFunc::RangeIntersectAgg,
            _ => return None,
        })
    }

    /// The SQL name.
    pub fn name(&self) -> &'static str {
        match self {
            AggregateFunc::CountStar | AggregateFunc::Count => "count",
            AggregateFunc::Sum => "sum",
            AggregateFunc::Avg => "avg",
            AggregateFunc::Min => "min",
            AggregateFunc::Max => "max",
            AggregateFunc::BoolAnd => "bool_and",
            AggregateFunc::BoolOr => "bool_or",
            AggregateFunc::StringAgg => "string_agg",
            AggregateFunc::ArrayAgg => "array_agg",
            AggregateFunc::JsonAgg => "json_agg",
            AggregateFunc::JsonbAgg => "jsonb_agg",
            AggregateFunc::JsonObjectAgg => "json_object_agg",
            AggregateFunc::JsonbObjectAgg => "jsonb_object_agg",
            AggregateFunc::StddevSamp => "stddev_samp",
            AggregateFunc::StddevPop => "stddev_pop",
            AggregateFunc::VarSamp => "var_samp",
            AggregateFunc::VarPop => "var_pop",
            AggregateFunc::BitAnd => "bit_and",
            AggregateFunc::BitOr => "bit_or",
            AggregateFunc::RegrCount => "regr_count",
            AggregateFunc::RegrSxx => "regr_sxx",
            AggregateFunc::RegrSyy => "regr_syy",
            AggregateFunc::RegrSxy => "regr_sxy",
            AggregateFunc::RegrAvgX => "regr_avgx",
            AggregateFunc::RegrAvgY => "regr_avgy",
            AggregateFunc::RegrR2 => "regr_r2",
            AggregateFunc::RegrSlope => "regr_slope",
            AggregateFunc::RegrIntercept => "regr_intercept",
            AggregateFunc::CovarPop => "covar_pop",
            AggregateFunc::CovarSamp => "covar_samp",
            AggregateFunc::Corr => "corr",
            AggregateFunc::PercentileCont => "percentile_cont",
            AggregateFunc::PercentileDisc => "percentile_disc",
            AggregateFunc::Mode => "mode",
            AggregateFunc::RangeAgg => "range_agg",
            AggregateFunc::RangeIntersectAgg => "range_intersect_agg",
            AggregateFunc::User => "user_aggregate",
        }
    }

    /// The two-argument regression aggregates over `double precision` pairs.
    pub fn is_regression(&self) -> bool {
        matches!(
            self,
            AggregateFunc::RegrCount
                | AggregateFunc::RegrSxx
                | AggregateFunc::RegrSyy
                | AggregateFunc::RegrSxy
                | AggregateFunc::RegrAvgX
                | AggregateFunc::RegrAvgY
                | AggregateFunc::RegrR2
                | AggregateFunc::RegrSlope
                | AggregateFunc::RegrIntercept
                | AggregateFunc::CovarPop
                | AggregateFunc::CovarSamp
                | AggregateFunc::Corr
        )
    }

    /// Whether rows with a NULL argument are skipped (PostgreSQL's strict transition
    /// functions). `array_agg`, `json_agg` and friends keep NULLs.
    pub fn skips_nulls(&self) -> bool {
        !matches!(
            self,
            AggregateFunc::CountStar
                | AggregateFunc::User
                | AggregateFunc::ArrayAgg
                | AggregateFunc::JsonAgg
                | AggregateFunc::JsonbAgg
                | AggregateFunc::JsonObjectAgg
                | AggregateFunc::JsonbObjectAgg
        )
    }

    /// Resolves `name(args)`: the aggregate, the type each argument is coerced to, and
    /// the result type. `star` is `count(*)`.
    pub fn resolve(
        name: &str,
        args: &[DataType],
        star: bool,
    ) -> Result<(AggregateFunc, Vec<DataType>, DataType)> {
        let func = AggregateFunc::lookup(name).ok_or_else(|| no_aggregate(name, args))?;
        if star {
            return Ok((AggregateFunc::CountStar, vec![], DataType::Int8));
        }
        let known = |t: &DataType| {
            if *t == DataType::Unknown {
                DataType::Text
            } else {
                strip_modifiers(t)
            }
        };
        let numeric = DataType::Numeric(None);
        let out = match (func, args) {
            (AggregateFunc::Count, [t]) => (func, vec![known(t)], DataType::Int8),
            (AggregateFunc::Sum, [t]) => {
                let (param, ret) = match known(t) {
                    DataType::Int2 | DataType::Int4 => (known(t), DataType::Int8),
                    DataType::Int8 | DataType::Numeric(_) => (known(t), numeric),
                    DataType::Float4 => (DataType::Float4, DataType::Float4),
                    DataType::Float8 => (DataType::Float8, DataType::Float8),
                    DataType::Interval => (DataType::Interval, DataType::Interval),
                    DataType::Vector(_) => (DataType::Vector(None), DataType::Vector(None)),
                    _ => return Err(no_aggregate(name, args)),
                };
                (func, vec![param], ret)
            }
            (AggregateFunc::Avg, [t]) => {
                let (param, ret) = match known(t) {
                    DataType::Int2 | DataType::Int4 | DataType::Int8 | DataType::Numeric(_) => {
                        (known(t), numeric)
                    }
                    DataType::Float4 | DataType::Float8 => (known(t), DataType::Float8),
                    DataType::Interval => (DataType::Interval, DataType::Interval),
                    DataType::Vector(_) => (DataType::Vector(None), DataType::Vector(None)),
                    _ => return Err(no_aggregate(name, args)),
                };
                (func, vec![param], ret)
            }
            (AggregateFunc::RangeAgg, [t @ (DataType::Range(r) | DataType::Multirange(r))]) => {
                (func, vec![t.clone()], DataType::Multirange(r.clone()))
            }
            (
                AggregateFunc::RangeIntersectAgg,
                [t @ (DataType::Range(_) | DataType::Multirange(_))],
            ) => (func, vec![t.clone()], t.clone()),
            (AggregateFunc::Min | AggregateFunc::Max, [t]) => {
                let t = known(t);
                if matches!(
                    t,
                    DataType::Json
                        | DataType::Vector(_)
                        | DataType::Range(_)
                        | DataType::Multirange(_)
                ) {
                    return Err(no_aggregate(name, args));
                }
                (func, vec![t.clone()], t)
            }
            (AggregateFunc::BoolAnd | AggregateFunc::BoolOr, [t]) => {
                if !matches!(t, DataType::Bool | DataType::Unknown) {
                    return Err(no_aggregate(name, args));
                }
                (func, vec![DataType::Bool], DataType::Bool)
            }
            (AggregateFunc::StringAgg, [a, b]) => {
                if *a == DataType::Bytea {
                    (func, vec![DataType::Bytea, DataType::Bytea], DataType::Bytea)
                } else if crate::expr::types::can_implicit_cast(a, &DataType::Text)
                    && crate::expr::types::can_implicit_cast(b, &DataType::Text)
                {
                    (func, vec![DataType::Text, DataType::Text], DataType::Text)
                } else {
                    return Err(no_aggregate(name, args));
                }
            }
            (AggregateFunc::ArrayAgg, [t]) => {
                let t = known(t);
                // array_agg of arrays stacks them into one more dimension, of the same
                // type (`int[][]` is `int[]`).
                let result = match &t {
                    DataType::Array(_) => t.clone(),
                    other => DataType::Array(Box::new(other.clone())),
                };
                (func, vec![t], result)
            }
            (AggregateFunc::JsonAgg, [t]) => (func, vec![known(t)], DataType::Json),
            (AggregateFunc::JsonbAgg, [t]) => (func, vec![known(t)], DataType::Jsonb),
            (AggregateFunc::JsonObjectAgg, [k, v]) => {
                (func, vec![known(k), known(v)], DataType::Json)
            }
            (AggregateFunc::JsonbObjectAgg, [k, v]) => {
                (func, vec![known(k), known(v)], DataType::Jsonb)
            }
            (
                AggregateFunc::StddevSamp
                | AggregateFunc::StddevPop
                | AggregateFunc::VarSamp
                | AggregateFunc::VarPop,
                [t],
            ) => {
                let t = known(t);
                match numeric_rank(&t) {
                    Some(r) if r <= 3 => (func, vec![t], numeric),
                    Some(_) => (func, vec![t], DataType::Float8),
                    None => return Err(no_aggregate(name, args)),
                }
            }
            (AggregateFunc::BitAnd | AggregateFunc::BitOr, [t]) => {
                let t = if *t == DataType::Unknown { DataType::Int4 } else { t.clone() };
                if !matches!(t, DataType::Int2 | DataType::Int4 | DataType::Int8) {
                    return Err(no_aggregate(name, args));
                }
                (func, vec![t.clone()], t)
            }
            (AggregateFunc::PercentileCont, [x, f]) => {
                let x =
                    if *x == DataType::Interval { DataType::Interval } else { DataType::Float8 };
                let ok = |t: &DataType| *t == DataType::Unknown || numeric_rank(t).is_some();
                if !ok(f) || (x == DataType::Float8 && !ok(&args[0])) {
                    return Err(no_aggregate(name, &args[1..]));
                }
                (func, vec![x.clone(), DataType::Float8], x)
            }
            (AggregateFunc::PercentileDisc, [x, f]) => {
                let ok = *f == DataType::Unknown || numeric_rank(f).is_some();
                if !ok {
                    return Err(no_aggregate(name, &args[1..]));
                }
                let x = known(x);
                (func, vec![x.clone(), DataType::Float8], x)
            }
            (AggregateFunc::Mode, [x]) => {
                let x = known(x);
                (func, vec![x.clone()], x)
            }
            (f, [y, x]) if f.is_regression() => {
                let float = |t: &DataType| *t == DataType::Unknown || numeric_rank(t).is_some();
                if !float(y) || !float(x) {
                    return Err(no_aggregate(name, args));
                }
                let ret =
                    if f == AggregateFunc::RegrCount { DataType::Int8 } else { DataType::Float8 };
                (f, vec![DataType::Float8, DataType::Float8], ret)
            }
            _ => return Err(no_aggregate(name, args)),
        };
        Ok(out)
    }
}

fn no_aggregate(name: &str, args: &[DataType]) -> Error {
    Error::new(
        SqlState::UNDEFINED_FUNCTION,
        format!(
            "function {name}({}) does not exist",
            args.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        ),
    )
    .with_hint("No function matches the given name and argument types. You might need to add explicit type casts.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ret(name: &str, t: DataType) -> Option<DataType> {
        AggregateFunc::resolve(name, &[t], false).ok().map(|r| r.2)
    }

    #[test]
    fn result_types_follow_postgres() {
        assert_eq!(ret("sum", DataType::Int4), Some(DataType::Int8));
        assert_eq!(ret("sum", DataType::Int8), Some(DataType::Numeric(None)));
        assert_eq!(ret("sum", DataType::Float4), Some(DataType::Float4));
        assert_eq!(ret("avg", DataType::Int2), Some(DataType::Numeric(None)));
        assert_eq!(ret("avg", DataType::Float4), Some(DataType::Float8));
        assert_eq!(ret("count", DataType::Text), Some(DataType::Int8));
        assert_eq!(ret("stddev", DataType::Int4), Some(DataType::Numeric(None)));
        assert_eq!(ret("max", DataType::Date), Some(DataType::Date));
        assert_eq!(ret("sum", DataType::Text), None);
        let err = AggregateFunc::resolve("sum", &[DataType::Text], false).unwrap_err();
        assert_eq!(err.message(), "function sum(text) does not exist");
    }
}
