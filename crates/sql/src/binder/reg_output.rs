//! Names in the output of `reg*` casts: `SELECT 't'::regclass` prints `t`, as in
//! PostgreSQL, though the cast itself is an OID here (see `functions/catalog_defs.rs`:
//! there is no `regclass` type, `'t'::regclass` is `helios_regclass_in('t')`, an `int8`).
//!
//! The hidden field companions of record columns (`binder/table_function.rs`) are
//! dropped from the statement's output here too.
//!
//! Only the statement's own output columns are converted, after everything else ran:
//! comparisons (`attrelid = 't'::regclass`), joins, sorting and subqueries keep working
//! on the OID, as PostgreSQL compares and sorts `regclass` values by OID.

use helios_types::DataType;

use crate::expr::Expr;
use crate::planner::{Field, Plan};

/// Wraps `plan` in a projection that turns its `reg*` input-cast output columns into
/// names and drops record field companions; returns `plan` unchanged when it has
/// neither.
pub(super) fn name_reg_outputs(plan: Plan) -> Plan {
    let schema = plan.schema();
    let outs: Vec<Option<&'static str>> = match top_projection(&plan) {
        Some(exprs) => exprs
            .iter()
            .zip(&schema)
            .map(|(e, f)| match e {
                Expr::Function { func, .. } if !f.hidden => out_function(func.name),
                _ => None,
            })
            .collect(),
        None => Vec::new(),
    };
    let companion = |f: &Field| f.hidden && super::table_function::is_companion(&f.name);
    if outs.iter().all(Option::is_none) && !schema.iter().any(companion) {
        return plan;
    }
    let mut new_schema = Vec::with_capacity(schema.len());
    let mut new_exprs = Vec::with_capacity(schema.len());
    for (i, f) in schema.iter().enumerate() {
        if companion(f) {
            continue;
        }
        let column = Expr::Column(i, f.data_type.clone());
        let call = outs.get(i).copied().flatten().and_then(|name| {
            crate::functions::registry::resolve_scalar(name, &[DataType::Int8]).ok()
        });
        match call {
            Some(call) => {
                new_schema.push(Field { data_type: call.ret.clone(), ..f.clone() });
                new_exprs.push(Expr::Function {
                    func: call.func,
                    args: vec![column],
                    ty: call.ret,
                });
            }
            None => {
                new_schema.push(f.clone());
                new_exprs.push(column);
            }
        }
    }
    Plan::Project { input: Box::new(plan), exprs: new_exprs, schema: new_schema }
}

/// The expressions of the projection that computes the plan's output columns, looking
/// through the operators that pass its columns on unchanged.
fn top_projection(plan: &Plan) -> Option<&[Expr]> {
    match plan {
        Plan::Project { exprs, .. } => Some(exprs),
        Plan::Sort { input, .. } | Plan::Limit { input, .. } | Plan::Distinct { input, .. } => {
            top_projection(input)
        }
        _ => None,
    }
}

/// The output function of a `reg*` input function (`helios_regclass_in` gives
/// `helios_regclass_out`).
fn out_function(name: &str) -> Option<&'static str> {
    Some(match name {
        "helios_regclass_in" => "helios_regclass_out",
        "helios_regtype_in" => "helios_regtype_out",
        "helios_regproc_in" => "helios_regproc_out",
        "helios_regnamespace_in" => "helios_regnamespace_out",
        "helios_regrole_in" => "helios_regrole_out",
        _ => return None,
    })
}
