//! Byte offsets of containers in PostgreSQL's binary `jsonb` layout, for the ids
//! `.keyvalue()` reports.
//!
//! A container is a 4-byte header, one 4-byte entry per element (per key and per
//! value for objects), then the data: object keys first, then the values. Containers
//! and numerics are aligned to 4 bytes; a numeric is a 4-byte varlena header, a 2-byte
//! (short) or 4-byte header and 2 bytes per base-10000 digit; strings are their bytes;
//! booleans and null take no data.

use std::str::FromStr;

use bigdecimal::BigDecimal;
use serde_json::Value as Json;

fn align(n: i64) -> i64 {
    (n + 3) & !3
}

/// The offset of `target` (found by address) inside `doc`, relative to `doc`'s start.
pub fn container_offset(doc: &Json, target: &Json) -> Option<i64> {
    if std::ptr::eq(doc, target) {
        return Some(0);
    }
    find(doc, target, 0, &|a, b| std::ptr::eq(a, b))
}

/// The offset of the first container equal to `target` inside `doc` (for values
/// copied out of a generated object, which have no address in it).
pub fn equal_container_offset(doc: &Json, target: &Json) -> Option<i64> {
    if doc == target {
        return Some(0);
    }
    find(doc, target, 0, &|a, b| a == b)
}

fn find(v: &Json, target: &Json, start: i64, same: &dyn Fn(&Json, &Json) -> bool) -> Option<i64> {
    let (children, header): (Vec<&Json>, i64) = match v {
        Json::Array(items) => (items.iter().collect(), 4 + 4 * items.len() as i64),
        Json::Object(map) => {
            let entries = helios_types::text::json::sorted_entries(map);
            let keys: i64 = entries.iter().map(|(k, _)| k.len() as i64).sum();
            (entries.into_iter().map(|(_, v)| v).collect(), 4 + 8 * map.len() as i64 + keys)
        }
        _ => return None,
    };
    let mut pos = start + header;
    for c in children {
        if matches!(c, Json::Array(_) | Json::Object(_) | Json::Number(_)) {
            pos = align(pos);
        }
        if same(c, target) {
            return Some(pos);
        }
        if let Some(found) = find(c, target, pos, same) {
            return Some(found);
        }
        pos += size(c, pos);
    }
    None
}

/// The size of `v`'s data when it starts at `start` (which is already aligned for
/// containers and numerics).
fn size(v: &Json, start: i64) -> i64 {
    match v {
        Json::Null | Json::Bool(_) => 0,
        Json::String(s) => s.len() as i64,
        Json::Number(n) => numeric_size(&n.to_string()),
        Json::Array(_) | Json::Object(_) => {
            let children: Vec<&Json> = match v {
                Json::Array(items) => items.iter().collect(),
                Json::Object(map) => helios_types::text::json::sorted_entries(map)
                    .into_iter()
                    .map(|(_, v)| v)
                    .collect(),
                _ => Vec::new(),
            };
            let header = match v {
                Json::Object(map) => {
                    4 + 8 * map.len() as i64 + map.keys().map(|k| k.len() as i64).sum::<i64>()
                }
                _ => 4 + 4 * children.len() as i64,
            };
            let mut pos = start + header;
            for c in children {
                if matches!(c, Json::Array(_) | Json::Object(_) | Json::Number(_)) {
                    pos = align(pos);
                }
                pos += size(c, pos);
            }
            pos - start
        }
    }
}

/// The varlena size of a `numeric`.
fn numeric_size(text: &str) -> i64 {
    let Ok(d) = BigDecimal::from_str(text) else { return 8 };
    let (int, scale) = d.as_bigint_and_exponent();
    let digits = int.magnitude().to_string();
    if digits == "0" {
        return 4 + 2;
    }
    // Decimal digits with the point at `point` (digits before it), padded to groups of
    // four on both sides of the point.
    let point = digits.len() as i64 - scale;
    let lead_pad = (4 - point.rem_euclid(4)) % 4;
    let total = lead_pad + digits.len() as i64;
    let frac_end = lead_pad + point;
    let end = total.max(frac_end);
    let padded_len = align(end);
    let mut s = "0".repeat(lead_pad as usize);
    s.push_str(&digits);
    while (s.len() as i64) < padded_len {
        s.push('0');
    }
    let groups: Vec<&str> =
        s.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap_or("0")).collect();
    let first = groups.iter().position(|g| *g != "0000").unwrap_or(0);
    let last = groups.iter().rposition(|g| *g != "0000").unwrap_or(0);
    let ndigits = (last + 1 - first) as i64;
    let weight = (point - 1).div_euclid(4);
    let dscale = scale.max(0);
    let short = dscale <= 63 && (-64..=63).contains(&weight);
    4 + if short { 2 } else { 4 } + 2 * ndigits
}
