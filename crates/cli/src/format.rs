//! psql-style result printing: aligned tables with a `(N rows)` footer, expanded
//! records for `\x`, NULL shown as an empty cell.

use helios_server::{Column, QueryResult};
use helios_types::{DataType, Value};

fn right_aligned(ty: &DataType) -> bool {
    matches!(
        ty,
        DataType::Int2
            | DataType::Int4
            | DataType::Int8
            | DataType::Float4
            | DataType::Float8
            | DataType::Numeric(_)
    )
}

fn cell(v: &Value) -> String {
    if v.is_null() {
        String::new()
    } else {
        v.to_pg_text()
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

fn footer(n: usize) -> String {
    if n == 1 {
        "(1 row)".to_owned()
    } else {
        format!("({n} rows)")
    }
}

/// The aligned table psql prints for a result, with its footer and a blank line.
pub fn aligned(result: &QueryResult) -> String {
    let cols: &[Column] = &result.columns;
    let cells: Vec<Vec<String>> =
        result.rows.iter().map(|r| r.iter().map(cell).collect()).collect();
    let mut widths: Vec<usize> = cols.iter().map(|c| width(&c.name)).collect();
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.lines().map(width).max().unwrap_or(0));
        }
    }
    let mut out = String::new();
    // Header: names centred.
    let header: Vec<String> = cols
        .iter()
        .zip(&widths)
        .map(|(c, w)| {
            let pad = w - width(&c.name);
            let left = pad / 2;
            format!("{}{}{}", " ".repeat(left), c.name, " ".repeat(pad - left))
        })
        .collect();
    // psql pads every header cell, and every data cell but a left-aligned last one.
    let head: Vec<String> = header.iter().map(|h| format!(" {h} ")).collect();
    out.push_str(&head.join("|"));
    out.push('\n');
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(w + 2)).collect();
    out.push_str(&rule.join("+"));
    out.push('\n');
    let last = cols.len().saturating_sub(1);
    for row in &cells {
        // A value with newlines spans several lines; `+` marks a cell that continues.
        let split: Vec<Vec<&str>> = row.iter().map(|c| c.split('\n').collect()).collect();
        let height = split.iter().map(Vec::len).max().unwrap_or(1);
        for line in 0..height {
            let padded: Vec<String> = split
                .iter()
                .zip(&widths)
                .zip(cols)
                .enumerate()
                .map(|(i, ((parts, w), col))| {
                    let c = parts.get(line).copied().unwrap_or("");
                    let more = line + 1 < parts.len();
                    let pad = " ".repeat(w.saturating_sub(width(c)));
                    let end = if more { "+" } else { " " };
                    match (right_aligned(&col.data_type), i == last && !more) {
                        (_, true) if c.is_empty() => " ".to_owned(),
                        (true, true) => format!(" {pad}{c}"),
                        (true, false) => format!(" {pad}{c}{end}"),
                        (false, true) => format!(" {c}"),
                        (false, false) => format!(" {c}{pad}{end}"),
                    }
                })
                .collect();
            out.push_str(&padded.join("|"));
            out.push('\n');
        }
    }
    out.push_str(&footer(result.rows.len()));
    out.push_str("\n\n");
    out
}

/// Expanded display (`\x`): one block per record.
pub fn expanded(result: &QueryResult) -> String {
    if result.rows.is_empty() {
        return "(0 rows)\n\n".to_owned();
    }
    let name_w = result.columns.iter().map(|c| width(&c.name)).max().unwrap_or(0);
    let value_w =
        result.rows.iter().flat_map(|r| r.iter().map(|v| width(&cell(v)))).max().unwrap_or(0);
    let mut out = String::new();
    for (i, row) in result.rows.iter().enumerate() {
        // psql: "-[ RECORD n ]" then a rule over the name column, "+", and the values.
        let title = format!("-[ RECORD {} ]", i + 1);
        let mut line = title.clone();
        if width(&title) <= name_w + 1 {
            line.push_str(&"-".repeat(name_w + 1 - width(&title)));
            line.push('+');
            line.push_str(&"-".repeat(value_w + 1));
        } else if width(&title) < name_w + 3 + value_w {
            line.push_str(&"-".repeat(name_w + 3 + value_w - width(&title)));
        }
        out.push_str(&line);
        out.push('\n');
        for (c, v) in result.columns.iter().zip(row) {
            out.push_str(&format!("{:<name_w$} | {}", c.name, cell(v)));
            out.push('\n');
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result() -> QueryResult {
        QueryResult {
            columns: vec![
                Column { name: "id".into(), data_type: DataType::Int4 },
                Column { name: "name".into(), data_type: DataType::Text },
            ],
            rows: vec![
                vec![Value::Int4(1), Value::Text("ada".into())],
                vec![Value::Int4(10), Value::Null],
            ],
            tag: "SELECT 2".into(),
        }
    }

    #[test]
    fn aligned_like_psql() {
        assert_eq!(aligned(&result()), " id | name \n----+------\n  1 | ada\n 10 | \n(2 rows)\n\n");
        let one =
            QueryResult { rows: vec![vec![Value::Int4(7), Value::Text("x".into())]], ..result() };
        assert!(aligned(&one).ends_with("(1 row)\n\n"));
    }

    #[test]
    fn multi_line_values_continue_with_a_plus() {
        let r = QueryResult {
            columns: vec![
                Column { name: "x".into(), data_type: DataType::Text },
                Column { name: "y".into(), data_type: DataType::Int4 },
            ],
            rows: vec![vec![Value::Text("a\nbb".into()), Value::Int4(1)]],
            tag: "SELECT 1".into(),
        };
        assert_eq!(aligned(&r), " x  | y \n----+---\n a +| 1\n bb | \n(1 row)\n\n");
    }

    #[test]
    fn expanded_like_psql() {
        assert_eq!(
            expanded(&result()),
            "-[ RECORD 1 ]\nid   | 1\nname | ada\n-[ RECORD 2 ]\nid   | 10\nname | \n\n"
        );
    }
}
