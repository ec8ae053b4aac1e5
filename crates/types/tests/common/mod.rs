//! Helpers shared by the PostgreSQL differential tests.

use helios_types::DataType;

/// Undoes the fixture escaping (`\\`, `\t`, `\n`).
pub fn unescape(s: &str) -> String {
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
pub fn parse_type(name: &str) -> (DataType, DataType) {
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
        "time with time zone" => DataType::TimeTz,
        "timestamp without time zone" => DataType::Timestamp,
        "timestamp with time zone" => DataType::TimestampTz,
        "interval" => DataType::Interval,
        "uuid" => DataType::Uuid,
        "inet" => DataType::Inet,
        "cidr" => DataType::Cidr,
        "macaddr" => DataType::MacAddr,
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
