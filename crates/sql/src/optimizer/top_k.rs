//! Top-K: `ORDER BY ... LIMIT n [OFFSET m]` with constant n and m sorts keeping only the
//! first n + m rows.

use helios_types::Value;

use super::map_inputs;
use crate::expr::Expr;
use crate::planner::Plan;

fn constant(e: &Option<Expr>) -> Option<Option<usize>> {
    match e {
        None => Some(None),
        Some(Expr::Literal(Value::Int8(n), _)) if *n >= 0 => Some(Some(*n as usize)),
        Some(Expr::Literal(Value::Int4(n), _)) if *n >= 0 => Some(Some(*n as usize)),
        Some(Expr::Cast { expr, .. }) => constant(&Some((**expr).clone())),
        _ => None,
    }
}

/// Applies the rule bottom-up.
pub fn apply(plan: Plan) -> Plan {
    let plan = map_inputs(plan, &mut apply);
    match plan {
        Plan::Limit { input, limit, offset } => {
            let k = match (constant(&limit), constant(&offset)) {
                (Some(Some(l)), Some(o)) => Some(l.saturating_add(o.unwrap_or(0))),
                _ => None,
            };
            let input = match (*input, k) {
                (Plan::Sort { input: inner, keys, limit: None }, Some(k)) => {
                    Plan::Sort { input: inner, keys, limit: Some(k) }
                }
                (other, _) => other,
            };
            Plan::Limit { input: Box::new(input), limit, offset }
        }
        other => other,
    }
}
