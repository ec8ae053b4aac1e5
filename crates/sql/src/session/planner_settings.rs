//! PostgreSQL's planner and resource settings (`enable_seqscan`, `work_mem`, `jit`, ...).
//!
//! Applications and migration scripts set these to steer PostgreSQL's planner
//! (`SET enable_seqscan = off`, `SET work_mem = '256MB'`). Our planner chooses its
//! plans by its own rules, so these settings are accepted, checked and reported exactly
//! as PostgreSQL does (`SHOW`, `pg_settings`, `current_setting`) but do not change any
//! plan. `work_mem` alone is read by the executor: it bounds the memory of a sort
//! ([`work_mem_bytes`], `exec::external_sort`). Values are validated with
//! PostgreSQL's rules and messages and shown in its canonical form (`off`, `64kB`).

use helios_common::{Error, Result, SqlState};

/// How a setting's value is read and shown.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// `on`/`off` (also `true`, `yes`, `1`, unique prefixes of those).
    Bool,
    /// An integer within the bounds.
    Int(i64, i64),
    /// A floating-point number within the bounds.
    Real(f64, f64),
    /// An amount of memory in kB (a plain number is kB), within the bounds in kB.
    Memory(i64, i64),
    /// One of the listed words.
    Enum(&'static [&'static str]),
}

/// The settings, their defaults (in canonical form) and kinds.
const PLANNER: &[(&str, &str, Kind)] = &[
    ("constraint_exclusion", "partition", Kind::Enum(&["partition", "on", "off"])),
    ("cpu_index_tuple_cost", "0.005", Kind::Real(0.0, f64::MAX)),
    ("cpu_operator_cost", "0.0025", Kind::Real(0.0, f64::MAX)),
    ("cpu_tuple_cost", "0.01", Kind::Real(0.0, f64::MAX)),
    ("cursor_tuple_fraction", "0.1", Kind::Real(0.0, 1.0)),
    ("default_statistics_target", "100", Kind::Int(1, 10000)),
    ("effective_cache_size", "4GB", Kind::Memory(8, i32::MAX as i64)),
    ("effective_io_concurrency", "1", Kind::Int(0, 1000)),
    ("enable_async_append", "on", Kind::Bool),
    ("enable_bitmapscan", "on", Kind::Bool),
    ("enable_gathermerge", "on", Kind::Bool),
    ("enable_hashagg", "on", Kind::Bool),
    ("enable_hashjoin", "on", Kind::Bool),
    ("enable_incremental_sort", "on", Kind::Bool),
    ("enable_indexonlyscan", "on", Kind::Bool),
    ("enable_indexscan", "on", Kind::Bool),
    ("enable_material", "on", Kind::Bool),
    ("enable_memoize", "on", Kind::Bool),
    ("enable_mergejoin", "on", Kind::Bool),
    ("enable_nestloop", "on", Kind::Bool),
    ("enable_parallel_append", "on", Kind::Bool),
    ("enable_parallel_hash", "on", Kind::Bool),
    ("enable_partition_pruning", "on", Kind::Bool),
    ("enable_partitionwise_aggregate", "off", Kind::Bool),
    ("enable_partitionwise_join", "off", Kind::Bool),
    ("enable_seqscan", "on", Kind::Bool),
    ("enable_sort", "on", Kind::Bool),
    ("enable_tidscan", "on", Kind::Bool),
    ("from_collapse_limit", "8", Kind::Int(1, i32::MAX as i64)),
    ("geqo", "on", Kind::Bool),
    ("geqo_threshold", "12", Kind::Int(2, i32::MAX as i64)),
    ("hash_mem_multiplier", "2", Kind::Real(1.0, 1000.0)),
    ("jit", "on", Kind::Bool),
    ("jit_above_cost", "100000", Kind::Real(-1.0, f64::MAX)),
    ("jit_inline_above_cost", "500000", Kind::Real(-1.0, f64::MAX)),
    ("jit_optimize_above_cost", "500000", Kind::Real(-1.0, f64::MAX)),
    ("join_collapse_limit", "8", Kind::Int(1, i32::MAX as i64)),
    ("maintenance_work_mem", "64MB", Kind::Memory(1024, i32::MAX as i64)),
    ("max_parallel_maintenance_workers", "2", Kind::Int(0, 1024)),
    ("max_parallel_workers", "8", Kind::Int(0, 1024)),
    ("max_parallel_workers_per_gather", "2", Kind::Int(0, 1024)),
    ("min_parallel_index_scan_size", "512kB", Kind::Memory(0, i32::MAX as i64 / 8)),
    ("min_parallel_table_scan_size", "8MB", Kind::Memory(0, i32::MAX as i64 / 8)),
    ("parallel_leader_participation", "on", Kind::Bool),
    ("parallel_setup_cost", "1000", Kind::Real(0.0, f64::MAX)),
    ("parallel_tuple_cost", "0.1", Kind::Real(0.0, f64::MAX)),
    ("plan_cache_mode", "auto", Kind::Enum(&["auto", "force_generic_plan", "force_custom_plan"])),
    ("random_page_cost", "4", Kind::Real(0.0, f64::MAX)),
    ("seq_page_cost", "1", Kind::Real(0.0, f64::MAX)),
    ("synchronize_seqscans", "on", Kind::Bool),
    ("temp_buffers", "8MB", Kind::Memory(800, i32::MAX as i64 / 8)),
    ("work_mem", "4MB", Kind::Memory(64, i32::MAX as i64)),
];

/// The planner settings with their defaults, for a session's initial values.
pub(super) fn defaults() -> impl Iterator<Item = (&'static str, &'static str)> {
    PLANNER.iter().map(|(k, v, _)| (*k, *v))
}

/// The canonical form (`on`, `off`) of a Boolean setting's `value`; 22023 when it is not
/// one of PostgreSQL's spellings.
pub(super) fn bool_setting(key: &str, value: &str) -> Result<String> {
    parse_bool(value.trim()).map(|b| if b { "on" } else { "off" }.to_string()).ok_or_else(|| {
        Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("parameter \"{key}\" requires a Boolean value"),
        )
    })
}

/// The canonical form of `value` for setting `key`; `None` when `key` is not one of
/// these settings.
pub(super) fn normalize(key: &str, value: &str) -> Option<Result<String>> {
    let (_, _, kind) = PLANNER.iter().find(|(k, _, _)| *k == key)?;
    let v = value.trim();
    Some(match *kind {
        Kind::Bool => bool_setting(key, v),
        Kind::Int(lo, hi) => match v.parse::<i64>() {
            Ok(n) if (lo..=hi).contains(&n) => Ok(n.to_string()),
            Ok(n) => Err(out_of_range(&n.to_string(), key, &lo.to_string(), &hi.to_string())),
            Err(_) => Err(invalid(key, value)),
        },
        Kind::Real(lo, hi) => match v.parse::<f64>() {
            Ok(n) if n.is_finite() && n >= lo && n <= hi => Ok(format_real(n)),
            Ok(n) if n.is_finite() => {
                Err(out_of_range(&format_real(n), key, &format_real(lo), &format_real(hi)))
            }
            _ => Err(invalid(key, value)),
        },
        Kind::Memory(lo, hi) => match parse_memory_kb(v) {
            Some(kb) if (lo..=hi).contains(&kb) => Ok(format_memory(kb)),
            Some(kb) => {
                Err(out_of_range(&format!("{kb} kB"), key, &lo.to_string(), &hi.to_string()))
            }
            None => Err(invalid(key, value).with_hint(
                "Valid units for this parameter are \"B\", \"kB\", \"MB\", \"GB\", and \"TB\".",
            )),
        },
        Kind::Enum(words) => {
            let lower = v.to_ascii_lowercase();
            match words.iter().find(|w| **w == lower) {
                Some(w) => Ok(w.to_string()),
                None => Err(invalid(key, value)
                    .with_hint(format!("Available values: {}.", words.join(", ")))),
            }
        }
    })
}

/// The session's `work_mem` in bytes (PostgreSQL's default of 4MB when it is unset).
pub(crate) fn work_mem_bytes(info: &crate::expr::SessionInfo) -> usize {
    let kb = info.settings.get("work_mem").and_then(|v| parse_memory_kb(v)).unwrap_or(4096);
    usize::try_from(kb.max(64)).unwrap_or(usize::MAX / 1024).saturating_mul(1024)
}

/// PostgreSQL's boolean setting syntax.
fn parse_bool(v: &str) -> Option<bool> {
    let l = v.to_ascii_lowercase();
    let prefix_of = |word: &str| !l.is_empty() && word.starts_with(l.as_str());
    match l.as_str() {
        "1" => Some(true),
        "0" => Some(false),
        "on" => Some(true),
        "of" | "o" => None,
        _ if l.len() >= 2 && prefix_of("off") => Some(false),
        _ if prefix_of("true") || prefix_of("yes") => Some(true),
        _ if prefix_of("false") || prefix_of("no") => Some(false),
        _ => None,
    }
}

/// Memory with an optional unit (`B`, `kB`, `MB`, `GB`, `TB`; none means kB), in kB.
fn parse_memory_kb(v: &str) -> Option<i64> {
    let split = v.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-')).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let n: f64 = num.parse().ok()?;
    let per_kb = match unit.trim() {
        "" | "kB" => 1.0,
        "B" => 1.0 / 1024.0,
        "MB" => 1024.0,
        "GB" => 1024.0 * 1024.0,
        "TB" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    let kb = (n * per_kb).round();
    (kb.is_finite() && kb.abs() < 9.0e15).then_some(kb as i64)
}

/// kB in the largest unit that divides it exactly, as PostgreSQL shows memory.
fn format_memory(kb: i64) -> String {
    if kb == 0 {
        return "0".into();
    }
    for (unit, size) in [("TB", 1i64 << 30), ("GB", 1 << 20), ("MB", 1 << 10)] {
        if kb % size == 0 {
            return format!("{}{unit}", kb / size);
        }
    }
    format!("{kb}kB")
}

/// A real setting as PostgreSQL shows it (`%g`: no trailing zeros).
fn format_real(n: f64) -> String {
    if n == f64::MAX {
        return "1.79769e+308".into();
    }
    let s = format!("{n}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// 22023 `invalid value for parameter "key": "value"`.
pub(super) fn invalid(key: &str, value: &str) -> Error {
    Error::new(
        SqlState::INVALID_PARAMETER_VALUE,
        format!("invalid value for parameter \"{key}\": \"{value}\""),
    )
}

fn out_of_range(v: &str, key: &str, lo: &str, hi: &str) -> Error {
    Error::new(
        SqlState::INVALID_PARAMETER_VALUE,
        format!("{v} is outside the valid range for parameter \"{key}\" ({lo} .. {hi})"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(k: &str, v: &str) -> Result<String> {
        normalize(k, v).expect("a planner setting")
    }

    #[test]
    fn values_take_postgres_canonical_forms() {
        assert_eq!(norm("enable_seqscan", "false").unwrap(), "off");
        assert_eq!(norm("enable_seqscan", "ON").unwrap(), "on");
        assert_eq!(norm("enable_seqscan", "0").unwrap(), "off");
        assert_eq!(norm("work_mem", "64kB").unwrap(), "64kB");
        assert_eq!(norm("work_mem", "65536").unwrap(), "64MB");
        assert_eq!(norm("work_mem", "1GB").unwrap(), "1GB");
        assert_eq!(norm("hash_mem_multiplier", "1.0").unwrap(), "1");
        assert_eq!(norm("jit_above_cost", "0").unwrap(), "0");
        assert_eq!(norm("plan_cache_mode", "Force_Generic_Plan").unwrap(), "force_generic_plan");
        assert!(normalize("timezone", "UTC").is_none());
    }

    #[test]
    fn bad_values_are_22023() {
        for (k, v) in [
            ("enable_seqscan", "maybe"),
            ("work_mem", "10"),
            ("work_mem", "lots"),
            ("geqo_threshold", "1"),
            ("plan_cache_mode", "sometimes"),
        ] {
            assert_eq!(norm(k, v).unwrap_err().sqlstate().code(), "22023", "{k} = {v}");
        }
        assert_eq!(
            norm("enable_seqscan", "maybe").unwrap_err().to_string(),
            "parameter \"enable_seqscan\" requires a Boolean value"
        );
    }
}
