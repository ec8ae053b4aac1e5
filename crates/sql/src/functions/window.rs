//! Window functions: signatures and result types. Evaluation is the executor's (it
//! owns partitions, ordering and frames); aggregates used with OVER appear as
//! [`WindowFunc::Aggregate`].

use helios_common::{Error, Result, SqlState};
use helios_types::DataType;

use crate::functions::aggregate::AggregateFunc;

/// A window function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowFunc {
    /// `row_number()` → bigint
    RowNumber,
    /// `rank()` → bigint
    Rank,
    /// `dense_rank()` → bigint
    DenseRank,
    /// `percent_rank()` → double precision
    PercentRank,
    /// `cume_dist()` → double precision
    CumeDist,
    /// `ntile(int)` → integer
    Ntile,
    /// `lag(value [, offset int [, default]])` → type of value
    Lag,
    /// `lead(value [, offset int [, default]])` → type of value
    Lead,
    /// `first_value(value)`
    FirstValue,
    /// `last_value(value)`
    LastValue,
    /// `nth_value(value, n int)`
    NthValue,
    /// An aggregate computed over the window frame.
    Aggregate(AggregateFunc),
}

impl WindowFunc {
    /// The window-only function of this name.
    pub fn lookup(name: &str) -> Option<WindowFunc> {
        Some(match name {
            "row_number" => WindowFunc::RowNumber,
            "rank" => WindowFunc::Rank,
            "dense_rank" => WindowFunc::DenseRank,
            "percent_rank" => WindowFunc::PercentRank,
            "cume_dist" => WindowFunc::CumeDist,
            "ntile" => WindowFunc::Ntile,
            "lag" => WindowFunc::Lag,
            "lead" => WindowFunc::Lead,
            "first_value" => WindowFunc::FirstValue,
            "last_value" => WindowFunc::LastValue,
            "nth_value" => WindowFunc::NthValue,
            _ => return None,
        })
    }

    /// The name as written in SQL.
    pub fn name(&self) -> &'static str {
        match self {
            WindowFunc::RowNumber => "row_number",
            WindowFunc::Rank => "rank",
            WindowFunc::DenseRank => "dense_rank",
            WindowFunc::PercentRank => "percent_rank",
            WindowFunc::CumeDist => "cume_dist",
            WindowFunc::Ntile => "ntile",
            WindowFunc::Lag => "lag",
            WindowFunc::Lead => "lead",
            WindowFunc::FirstValue => "first_value",
            WindowFunc::LastValue => "last_value",
            WindowFunc::NthValue => "nth_value",
            WindowFunc::Aggregate(a) => a.name(),
        }
    }

    /// Parameter types (what each argument is coerced to) and the result type for the
    /// given argument types. Unknown arguments in value positions become text.
    pub fn resolve(&self, args: &[DataType]) -> Result<(Vec<DataType>, DataType)> {
        let value_ty =
            |t: &DataType| if *t == DataType::Unknown { DataType::Text } else { t.clone() };
        let bad = || {
            Error::new(
                SqlState::UNDEFINED_FUNCTION,
                format!(
                    "function {}({}) does not exist",
                    self.name(),
                    args.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                ),
            )
            .with_hint("No function matches the given name and argument types. You might need to add explicit type casts.")
        };
        Ok(match (self, args) {
            (WindowFunc::RowNumber | WindowFunc::Rank | WindowFunc::DenseRank, []) => {
                (vec![], DataType::Int8)
            }
            (WindowFunc::PercentRank | WindowFunc::CumeDist, []) => (vec![], DataType::Float8),
            (WindowFunc::Ntile, [_]) => (vec![DataType::Int4], DataType::Int4),
            (WindowFunc::Lag | WindowFunc::Lead, [v]) => (vec![value_ty(v)], value_ty(v)),
            (WindowFunc::Lag | WindowFunc::Lead, [v, _]) => {
                (vec![value_ty(v), DataType::Int4], value_ty(v))
            }
            (WindowFunc::Lag | WindowFunc::Lead, [v, _, d]) => {
                let t = crate::expr::types::common_type(&[v.clone(), d.clone()], "lag/lead")
                    .map_err(|_| bad())?;
                (vec![t.clone(), DataType::Int4, t.clone()], t)
            }
            (WindowFunc::FirstValue | WindowFunc::LastValue, [v]) => {
                (vec![value_ty(v)], value_ty(v))
            }
            (WindowFunc::NthValue, [v, _]) => (vec![value_ty(v), DataType::Int4], value_ty(v)),
            _ => return Err(bad()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_result_types() {
        assert_eq!(WindowFunc::Rank.resolve(&[]).map(|r| r.1).ok(), Some(DataType::Int8));
        assert_eq!(
            WindowFunc::Lag
                .resolve(&[DataType::Int4, DataType::Int4, DataType::Numeric(None)])
                .map(|r| r.1)
                .ok(),
            Some(DataType::Numeric(None))
        );
        assert!(WindowFunc::Ntile.resolve(&[]).is_err());
    }
}
