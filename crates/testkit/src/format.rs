//! How result values become the text a test file compares against.
//!
//! Two conventions, chosen per run:
//!
//! | style | used for | `NULL` | `''` | numbers |
//! |---|---|---|---|---|
//! | [`OutputStyle::PgText`] | our corpus `tests/slt/**` | `NULL` | `(empty)` | PostgreSQL text output (`1.50`, `t`, `{1,2}`) |
//! | [`OutputStyle::Sqlite`] | the SQLite corpus | `NULL` | `(empty)` | by the query's type letter: `I` integer text, `R` three decimals, `T` text |
//!
//! In the SQLite style the *expected* type letters of the query decide the format (as in
//! SQLite's own runner): an `I` column holding `2.7` prints `2`, an `R` column holding
//! `3` prints `3.000`. Text in a `T` column has control and non-ASCII characters
//! replaced by `@`, as SQLite's runner does.

use sqllogictest::DefaultColumnType;

/// Which result-text convention to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputStyle {
    /// PostgreSQL's text output format (what psql prints), `NULL` and `(empty)`.
    PgText,
    /// The SQLite sqllogictest corpus conventions.
    Sqlite,
}

/// The style plus, for a query, the type letters the test expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFormat {
    /// The convention.
    pub style: OutputStyle,
    /// The expected column types of the query being run (`None` for statements).
    pub expected_types: Option<Vec<DefaultColumnType>>,
}

impl OutputFormat {
    /// A format without expected types.
    pub fn new(style: OutputStyle) -> OutputFormat {
        OutputFormat { style, expected_types: None }
    }

    /// The expected type letter of column `i`, if the query declared one.
    pub fn expected(&self, i: usize) -> Option<&DefaultColumnType> {
        self.expected_types.as_ref().and_then(|t| t.get(i))
    }
}

/// One result value, reduced to what formatting needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL `NULL`.
    Null,
    /// A boolean.
    Bool(bool),
    /// Any integer type.
    Int(i64),
    /// `real` / `double precision`.
    Float(f64),
    /// `numeric`, as its exact decimal text (`-12.50`, `NaN`, `Infinity`).
    Decimal(String),
    /// Character types.
    Text(String),
    /// Any other type, as its PostgreSQL text output.
    Other(String),
}

/// Formats an engine's PostgreSQL text output (`None` for `NULL`) in the PgText style.
pub fn pg_text_cell(text: Option<&str>) -> String {
    match text {
        None => "NULL".to_string(),
        Some("") => "(empty)".to_string(),
        Some(s) => s.to_string(),
    }
}

/// Formats a value in the SQLite style for a column the test declared as `expected`.
pub fn sqlite_cell(cell: &Cell, expected: Option<&DefaultColumnType>) -> String {
    if matches!(cell, Cell::Null) {
        return "NULL".to_string();
    }
    let text = match expected {
        Some(DefaultColumnType::Integer) => as_integer_text(cell),
        Some(DefaultColumnType::FloatingPoint) => match as_float(cell) {
            Some(f) => format!("{f:.3}"),
            None => natural_text(cell),
        },
        Some(DefaultColumnType::Text) => printable(&natural_text(cell)),
        Some(DefaultColumnType::Any) | None => natural_text(cell),
    };
    if text.is_empty() {
        "(empty)".to_string()
    } else {
        text
    }
}

/// The sqllogictest type letter that fits a PostgreSQL type name's family.
pub fn column_type_for(family: TypeFamily) -> DefaultColumnType {
    match family {
        TypeFamily::Integer => DefaultColumnType::Integer,
        TypeFamily::Float => DefaultColumnType::FloatingPoint,
        TypeFamily::Text => DefaultColumnType::Text,
        TypeFamily::Other => DefaultColumnType::Any,
    }
}

/// Coarse type families for choosing a column's type letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeFamily {
    /// smallint, integer, bigint
    Integer,
    /// real, double precision, numeric
    Float,
    /// text, varchar, char
    Text,
    /// everything else
    Other,
}

fn natural_text(cell: &Cell) -> String {
    match cell {
        Cell::Null => "NULL".to_string(),
        Cell::Bool(b) => if *b { "1" } else { "0" }.to_string(),
        Cell::Int(i) => i.to_string(),
        Cell::Float(f) => format!("{f:.3}"),
        Cell::Decimal(d) => d.clone(),
        Cell::Text(s) | Cell::Other(s) => s.clone(),
    }
}

/// Integer text as SQLite's runner prints an `I` column: reals truncate toward zero,
/// text that does not start with a number reads as 0.
fn as_integer_text(cell: &Cell) -> String {
    match cell {
        Cell::Int(i) => i.to_string(),
        Cell::Bool(b) => i64::from(*b).to_string(),
        Cell::Float(f) if f.is_finite() => format!("{}", f.trunc() as i64),
        Cell::Float(f) => f.to_string(),
        Cell::Decimal(d) => leading_integer(d),
        Cell::Text(s) | Cell::Other(s) => leading_integer(s),
        Cell::Null => "NULL".to_string(),
    }
}

fn leading_integer(s: &str) -> String {
    let t = s.trim();
    let (sign, digits) = match t.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", t.strip_prefix('+').unwrap_or(t)),
    };
    let int_part: String = digits.chars().take_while(|c| c.is_ascii_digit()).collect();
    if int_part.is_empty() || int_part.chars().all(|c| c == '0') {
        "0".to_string()
    } else {
        format!("{sign}{}", int_part.trim_start_matches('0'))
    }
}

fn as_float(cell: &Cell) -> Option<f64> {
    match cell {
        Cell::Int(i) => Some(*i as f64),
        Cell::Float(f) => Some(*f),
        Cell::Bool(b) => Some(f64::from(u8::from(*b))),
        Cell::Decimal(d) => d.parse().ok(),
        Cell::Text(s) => s.trim().parse().ok().or(Some(0.0)),
        Cell::Other(_) | Cell::Null => None,
    }
}

fn printable(s: &str) -> String {
    s.chars().map(|c| if (' '..='~').contains(&c) { c } else { '@' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pg_text_marks_null_and_empty() {
        assert_eq!(pg_text_cell(None), "NULL");
        assert_eq!(pg_text_cell(Some("")), "(empty)");
        assert_eq!(pg_text_cell(Some("1.50")), "1.50");
    }

    #[test]
    fn sqlite_integer_column_truncates() {
        let i = Some(&DefaultColumnType::Integer);
        assert_eq!(sqlite_cell(&Cell::Float(2.7), i), "2");
        assert_eq!(sqlite_cell(&Cell::Float(-2.7), i), "-2");
        assert_eq!(sqlite_cell(&Cell::Decimal("-12.50".into()), i), "-12");
        assert_eq!(sqlite_cell(&Cell::Decimal("0.5".into()), i), "0");
        assert_eq!(sqlite_cell(&Cell::Int(42), i), "42");
        assert_eq!(sqlite_cell(&Cell::Bool(true), i), "1");
        assert_eq!(sqlite_cell(&Cell::Null, i), "NULL");
    }

    #[test]
    fn sqlite_real_column_has_three_decimals() {
        let r = Some(&DefaultColumnType::FloatingPoint);
        assert_eq!(sqlite_cell(&Cell::Int(3), r), "3.000");
        assert_eq!(sqlite_cell(&Cell::Float(1.0 / 3.0), r), "0.333");
        assert_eq!(sqlite_cell(&Cell::Decimal("-7.25".into()), r), "-7.250");
    }

    #[test]
    fn sqlite_text_column_marks_empty_and_unprintable() {
        let t = Some(&DefaultColumnType::Text);
        assert_eq!(sqlite_cell(&Cell::Text(String::new()), t), "(empty)");
        assert_eq!(sqlite_cell(&Cell::Text("a\tb".into()), t), "a@b");
        assert_eq!(sqlite_cell(&Cell::Int(7), t), "7");
    }
}
