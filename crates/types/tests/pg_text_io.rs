//! Differential test of text I/O against PostgreSQL.
//!
//! `data/pg_text_io.tsv` holds inputs together with what PostgreSQL 18 answered for
//! `format('%s', 'input'::type)` (the type's output function) or the error it raised.
//! Regenerate it with `data/gen_pg_text_io.py` (inputs in `data/pg_text_io_cases.py`)
//! against a running PostgreSQL. Multidimensional arrays are not supported yet (`0A000`)
//! and so are not in the fixture.

use helios_types::{DataType, Value};

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The type named as PostgreSQL's `format_type` spells it, and the same type without
/// its modifier (what the literal is first read as before the length/precision cast).
fn parse_type(name: &str) -> (DataType, DataType) {
    if let Some(elem) = name.strip_suffix("[]") {
        let (full, base) = parse_type(elem);
        return (DataType::Array(Box::new(full)), DataType::Array(Box::new(base)));
    }
    let (head, modifier) = match name.split_once('(') {
        Some((h, m)) => (h, Some(m.trim_end_matches(')'))),
        None => (name, None),
    };
    let nums: Vec<u32> = modifier
        .map(|m| m.split(',').map(|x| x.trim().parse().expect("typmod")).collect())
        .unwrap_or_default();
    let base = match head {
        "boolean" => DataType::Bool,
        "smallint" => DataType::Int2,
        "integer" => DataType::Int4,
        "bigint" => DataType::Int8,
        "real" => DataType::Float4,
        "double precision" => DataType::Float8,
        "numeric" => DataType::Numeric(None),
        "text" => DataType::Text,
        "character varying" => DataType::Varchar(None),
        "character" => DataType::Char(None),
        "bytea" => DataType::Bytea,
        "date" => DataType::Date,
        "time without time zone" => DataType::Time,
        "timestamp without time zone" => DataType::Timestamp,
        "timestamp with time zone" => DataType::TimestampTz,
        "interval" => DataType::Interval,
        "uuid" => DataType::Uuid,
        "json" => DataType::Json,
        "jsonb" => DataType::Jsonb,
        "vector" => DataType::Vector(None),
        other => panic!("unknown type {other}"),
    };
    let full = match (&base, nums.as_slice()) {
        (_, []) => base.clone(),
        (DataType::Numeric(_), [p, s]) => DataType::Numeric(Some((*p, *s))),
        (DataType::Numeric(_), [p]) => DataType::Numeric(Some((*p, 0))),
        (DataType::Varchar(_), [n]) => DataType::Varchar(Some(*n)),
        (DataType::Char(_), [n]) => DataType::Char(Some(*n)),
        (DataType::Vector(_), [n]) => DataType::Vector(Some(*n)),
        _ => panic!("bad modifier in {name}"),
    };
    // `character` without a length is `character(1)` in PostgreSQL.
    let full = if full == DataType::Char(None) { DataType::Char(Some(1)) } else { full };
    (full, base)
}

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
