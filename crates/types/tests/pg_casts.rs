//! Differential test of casts against PostgreSQL.
//!
//! `data/pg_casts.tsv` holds casts together with what PostgreSQL 18 answered, in explicit
//! (`CAST(x AS t)`) and assignment (INSERT into a column) context. Regenerate it with
//! `data/gen_pg_casts.py` (inputs in `data/pg_cast_cases.py`) against a running PostgreSQL.

mod common;

use common::{parse_type, unescape};
use helios_types::Value;

fn ours(mode: &str, from: &str, input: &str, to: &str) -> String {
    let (from_full, from_base) = parse_type(from);
    let (to_full, _) = parse_type(to);
    let value = Value::parse_pg_text(input, &from_base).and_then(|v| v.cast_explicit(&from_full));
    let result = value.and_then(|v| match mode {
        "explicit" => v.cast_explicit(&to_full),
        _ => v.cast_assignment(&to_full),
    });
    match result {
        Ok(v) => format!("OK {}", v.to_pg_text()),
        Err(e) => format!("ERROR {} {}", e.sqlstate(), e.message()),
    }
}

#[test]
fn casts_match_postgres() {
    let data = include_str!("data/pg_casts.tsv");
    let mut failures = Vec::new();
    let mut count = 0;
    for line in data.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let f: Vec<String> = line.splitn(5, '\t').map(unescape).collect();
        count += 1;
        let got = ours(&f[0], &f[1], &f[2], &f[3]);
        if got != f[4] {
            failures.push(format!(
                "{} {} {:?} -> {}\n   want: {}\n    got: {got}",
                f[0], f[1], f[2], f[3], f[4]
            ));
        }
    }
    assert!(count > 100, "fixture has only {count} cases");
    assert!(
        failures.is_empty(),
        "{} of {count} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
