//! Differential test of ordering against PostgreSQL: `Value::pg_cmp` and the key
//! encoding (ascending and descending) must order every pair as PostgreSQL 18 does.
//!
//! `data/pg_order.tsv` holds the pairs and PostgreSQL's answer; regenerate it with
//! `data/gen_pg_order.py` (value sets in `data/pg_order_cases.py`).

mod common;

use std::cmp::Ordering;

use common::{parse_type, unescape};
use helios_types::keycode::{encode_key, KeyColumn};
use helios_types::Value;

#[test]
fn order_matches_postgres() {
    let data = include_str!("data/pg_order.tsv");
    let mut failures = Vec::new();
    let mut count = 0;
    for line in data.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let f: Vec<String> = line.splitn(4, '\t').map(unescape).collect();
        let want = match f[3].as_str() {
            "-1" => Ordering::Less,
            "0" => Ordering::Equal,
            _ => Ordering::Greater,
        };
        count += 1;
        let (ty, base) = parse_type(&f[0]);
        let read = |s: &str| {
            Value::parse_pg_text(s, &base)
                .and_then(|v| v.cast_explicit(&ty))
                .expect("valid literal")
        };
        let (a, b) = (read(&f[1]), read(&f[2]));
        let by_value = a.pg_cmp(&b);
        let asc = [KeyColumn::asc(ty.clone())];
        let desc = [KeyColumn::desc(ty.clone())];
        let key = |v: &Value, cols: &[KeyColumn]| {
            encode_key(std::slice::from_ref(v), cols).expect("indexable")
        };
        let by_key = key(&a, &asc).cmp(&key(&b, &asc));
        let by_desc_key = key(&b, &desc).cmp(&key(&a, &desc));
        if by_value != Some(want) || by_key != want || by_desc_key != want {
            failures.push(format!(
                "{} {:?} vs {:?}: postgres {want:?}, pg_cmp {by_value:?}, key {by_key:?}, desc key {by_desc_key:?}",
                f[0], f[1], f[2]
            ));
        }
    }
    assert!(count > 1000, "fixture has only {count} cases");
    assert!(
        failures.is_empty(),
        "{} of {count} pairs differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
