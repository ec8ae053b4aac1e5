//! Differential test of text I/O against PostgreSQL.
//!
//! `data/pg_text_io.tsv` holds inputs together with what PostgreSQL 18 answered for
//! `format('%s', 'input'::type)` (the type's output function) or the error it raised.
//! Regenerate it with `data/gen_pg_text_io.py` (inputs in `data/pg_text_io_cases.py`)
//! against a running PostgreSQL. Multidimensional arrays are not supported yet (`0A000`)
//! and so are not in the fixture.

mod common;

use common::{parse_type, unescape};
use helios_types::Value;

fn ours(ty: &str, input: &str) -> String {
    let (full, base) = parse_type(ty);
    match Value::parse_pg_text(input, &base).and_then(|v| v.cast_explicit(&full)) {
        Ok(v) => format!("OK {}", v.to_pg_text()),
        Err(e) => format!("ERROR {} {}", e.sqlstate(), e.message()),
    }
}

#[test]
fn text_io_matches_postgres() {
    let data = include_str!("data/pg_text_io.tsv");
    let mut failures = Vec::new();
    let mut count = 0;
    for line in data.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let mut parts = line.splitn(3, '\t');
        let (ty, input, want) = (
            unescape(parts.next().expect("type")),
            unescape(parts.next().expect("input")),
            unescape(parts.next().expect("expected")),
        );
        count += 1;
        let got = ours(&ty, &input);
        if got != want {
            failures.push(format!("{ty} {input:?}\n   want: {want}\n    got: {got}"));
        }
    }
    assert!(count > 300, "fixture has only {count} cases");
    assert!(
        failures.is_empty(),
        "{} of {count} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
