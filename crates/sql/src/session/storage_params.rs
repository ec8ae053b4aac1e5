//! Table storage parameters: `CREATE TABLE ... WITH (fillfactor = 70)`, `ALTER TABLE
//! ... SET (autovacuum_enabled = false)` and `RESET (...)`.
//!
//! PostgreSQL tunes its heap pages, vacuum and parallel scans with these. Our storage
//! has none of those knobs, so the parameters change no behaviour; they are checked
//! against PostgreSQL's list (names, types, bounds, messages), kept in the table's
//! definition as written and shown in `pg_class.reloptions`, as migration tools and
//! `pg_dump`-style scripts expect.

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;

/// How a parameter's value is checked.
#[derive(Clone, Copy)]
enum Kind {
    Bool,
    Int(i64, i64),
    Real(f64, f64),
    Enum(&'static [&'static str]),
}

const INT_MAX: i64 = i32::MAX as i64;

/// The heap parameters (`toast.` accepts the autovacuum ones too).
const PARAMS: &[(&str, Kind)] = &[
    ("autovacuum_analyze_scale_factor", Kind::Real(0.0, 100.0)),
    ("autovacuum_analyze_threshold", Kind::Int(0, INT_MAX)),
    ("autovacuum_enabled", Kind::Bool),
    ("autovacuum_freeze_max_age", Kind::Int(100_000, 2_000_000_000)),
    ("autovacuum_freeze_min_age", Kind::Int(0, 1_000_000_000)),
    ("autovacuum_freeze_table_age", Kind::Int(0, 2_000_000_000)),
    ("autovacuum_multixact_freeze_max_age", Kind::Int(10_000, 2_000_000_000)),
    ("autovacuum_multixact_freeze_min_age", Kind::Int(0, 1_000_000_000)),
    ("autovacuum_multixact_freeze_table_age", Kind::Int(0, 2_000_000_000)),
    ("autovacuum_vacuum_cost_delay", Kind::Real(-1.0, 100.0)),
    ("autovacuum_vacuum_cost_limit", Kind::Int(-1, 10000)),
    ("autovacuum_vacuum_insert_scale_factor", Kind::Real(0.0, 100.0)),
    ("autovacuum_vacuum_insert_threshold", Kind::Int(-1, INT_MAX)),
    ("autovacuum_vacuum_scale_factor", Kind::Real(0.0, 100.0)),
    ("autovacuum_vacuum_threshold", Kind::Int(0, INT_MAX)),
    ("fillfactor", Kind::Int(10, 100)),
    ("log_autovacuum_min_duration", Kind::Int(-1, INT_MAX)),
    ("parallel_workers", Kind::Int(0, 1024)),
    ("toast_tuple_target", Kind::Int(128, 8160)),
    ("user_catalog_table", Kind::Bool),
    ("vacuum_index_cleanup", Kind::Enum(&["auto", "on", "off", "true", "false", "yes", "no"])),
    ("vacuum_truncate", Kind::Bool),
];

/// The parameters of a `WITH (...)` or `SET (...)` list, checked, as `(name, value)`
/// pairs in the order written.
pub(super) fn parse(options: &[ast::SqlOption]) -> Result<Vec<(String, String)>> {
    let mut out = Vec::with_capacity(options.len());
    for o in options {
        let (name, value) = match o {
            ast::SqlOption::KeyValue { key, value } => (option_name(key), value_text(value)),
            // A parameter without a value is a boolean set to true.
            ast::SqlOption::Ident(key) => (option_name(key), "true".to_string()),
            other => {
                return Err(Error::new(
                    SqlState::SYNTAX_ERROR,
                    format!("syntax error at or near \"{other}\""),
                ))
            }
        };
        check(&name, &value)?;
        out.push((name, value));
    }
    Ok(out)
}

/// The names of a `RESET (...)` list, checked.
pub(super) fn reset_names(names: &[ast::ObjectName]) -> Result<Vec<String>> {
    names
        .iter()
        .map(|n| {
            let name = option_name(n);
            kind(&name).map(|_| name)
        })
        .collect()
}

/// Merges `set` into `current`: as in PostgreSQL, the parameters set move to the end.
pub(super) fn merge(current: &mut Vec<(String, String)>, set: Vec<(String, String)>) {
    current.retain(|(k, _)| !set.iter().any(|(n, _)| n == k));
    current.extend(set);
}

fn option_name(n: &ast::ObjectName) -> String {
    n.0.iter()
        .map(|p| match p.as_ident() {
            Some(id) => crate::parser::ident_name(id),
            None => p.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn value_text(e: &ast::Expr) -> String {
    match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => s.clone(),
            ast::Value::Boolean(b) => b.to_string(),
            other => other.to_string(),
        },
        ast::Expr::Identifier(id) => id.value.clone(),
        ast::Expr::UnaryOp { op: ast::UnaryOperator::Minus, expr } => {
            format!("-{}", value_text(expr))
        }
        other => other.to_string(),
    }
}

fn kind(name: &str) -> Result<Kind> {
    let base = match name.split_once('.') {
        Some(("toast", rest)) if rest.starts_with("autovacuum_") || rest == "vacuum_truncate" => {
            rest
        }
        Some(_) => {
            return Err(Error::new(
                SqlState::INVALID_PARAMETER_VALUE,
                format!(
                    "unrecognized parameter namespace \"{}\"",
                    name.split('.').next().unwrap_or("")
                ),
            ))
        }
        None => name,
    };
    PARAMS.iter().find(|(n, _)| *n == base).map(|(_, k)| *k).ok_or_else(|| {
        Error::new(SqlState::INVALID_PARAMETER_VALUE, format!("unrecognized parameter \"{name}\""))
    })
}

fn check(name: &str, value: &str) -> Result<()> {
    let invalid = |what: &str| {
        Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("invalid value for {what} option \"{name}\": {value}"),
        )
    };
    let bounds = |lo: String, hi: String| {
        Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("value {value} out of bounds for option \"{name}\""),
        )
        .with_detail(format!("Valid values are between \"{lo}\" and \"{hi}\"."))
    };
    match kind(name)? {
        Kind::Bool => {
            let v = value.to_ascii_lowercase();
            let ok = ["true", "false", "on", "off", "yes", "no", "1", "0", "t", "f", "y", "n"]
                .contains(&v.as_str());
            if !ok {
                return Err(invalid("boolean"));
            }
        }
        Kind::Int(lo, hi) => {
            let n: i64 = value.trim().parse().map_err(|_| invalid("integer"))?;
            if n < lo || n > hi {
                return Err(bounds(lo.to_string(), hi.to_string()));
            }
        }
        Kind::Real(lo, hi) => {
            let n: f64 = value.trim().parse().map_err(|_| invalid("floating point"))?;
            if !(lo..=hi).contains(&n) {
                return Err(bounds(format!("{lo:.6}"), format!("{hi:.6}")));
            }
        }
        Kind::Enum(words) => {
            if !words.contains(&value.to_ascii_lowercase().as_str()) {
                return Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!("invalid value for enum option \"{name}\": {value}"),
                )
                .with_detail("Valid values are \"on\", \"off\", and \"auto\"."));
            }
        }
    }
    Ok(())
}
