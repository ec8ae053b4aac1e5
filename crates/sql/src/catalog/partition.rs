//! Declarative partitioning records: which tables are partitioned (and by what key), and
//! which tables are partitions of which parent (and with what bound).
//!
//! A partitioned table is an ordinary [`super::TableDef`] that holds no rows; its
//! partitions are ordinary tables too (with the parent's columns). What makes them a
//! partition tree is one [`PartitionDef`] per table taking part, stored as its own
//! catalog kind (`01 0c` + table id, JSON), so a table record never changes shape.
//! Bound values are stored as the text PostgreSQL prints for them and converted to the
//! key's type when a statement binds (`crate::binder::partition`).

use serde::{Deserialize, Serialize};

/// How rows are divided among partitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartitionStrategy {
    /// `PARTITION BY RANGE`.
    Range,
    /// `PARTITION BY LIST`.
    List,
    /// `PARTITION BY HASH`.
    Hash,
}

impl PartitionStrategy {
    /// The keyword (`RANGE`, `LIST`, `HASH`).
    pub fn keyword(self) -> &'static str {
        match self {
            PartitionStrategy::Range => "RANGE",
            PartitionStrategy::List => "LIST",
            PartitionStrategy::Hash => "HASH",
        }
    }

    /// `pg_partitioned_table.partstrat`: `r`, `l` or `h`.
    pub fn code(self) -> &'static str {
        match self {
            PartitionStrategy::Range => "r",
            PartitionStrategy::List => "l",
            PartitionStrategy::Hash => "h",
        }
    }
}

/// The partition key of a partitioned table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionKey {
    /// RANGE, LIST or HASH.
    pub strategy: PartitionStrategy,
    /// One SQL text per key item: a quoted column name or a parenthesized expression
    /// over the table's columns.
    pub items: Vec<String>,
}

/// One value of a range bound.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BoundDatum {
    /// `MINVALUE`: below every value.
    MinValue,
    /// `MAXVALUE`: above every value.
    MaxValue,
    /// A value, as the text PostgreSQL prints for it.
    Value(String),
}

/// The values a partition accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PartitionBound {
    /// `FOR VALUES FROM (..) TO (..)`: lower bound included, upper excluded.
    Range {
        /// Lower bound, one datum per key item.
        from: Vec<BoundDatum>,
        /// Upper bound, one datum per key item.
        to: Vec<BoundDatum>,
    },
    /// `FOR VALUES IN (..)`; `None` is `NULL`.
    List {
        /// The accepted values as text.
        values: Vec<Option<String>>,
    },
    /// `FOR VALUES WITH (MODULUS m, REMAINDER r)`.
    Hash {
        /// The modulus.
        modulus: u64,
        /// The remainder.
        remainder: u64,
    },
    /// `DEFAULT`: rows no other partition accepts.
    Default,
}

/// How one table takes part in a partition tree (stored as catalog kind `0x0c`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionDef {
    /// The table's id (also the record's key).
    pub id: u32,
    /// The partition key, when the table is partitioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<PartitionKey>,
    /// The parent, when the table is a partition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<u32>,
    /// The bound, when the table is a partition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound: Option<PartitionBound>,
}

impl PartitionDef {
    /// Whether the record says nothing (neither partitioned nor a partition).
    pub fn is_empty(&self) -> bool {
        self.key.is_none() && self.parent.is_none()
    }
}

/// Quotes an identifier when PostgreSQL would.
fn quote(s: &str) -> String {
    crate::functions::format::quote_ident(s)
}

impl PartitionKey {
    /// `pg_get_partkeydef`: `RANGE (a, b)`, `LIST ((a + 1))`.
    pub fn definition(&self) -> String {
        // Expressions other than function calls get one more pair of parentheses.
        let items: Vec<String> = self
            .items
            .iter()
            .map(|i| match crate::parser::parse_expr(i) {
                Ok(sqlparser::ast::Expr::Identifier(_) | sqlparser::ast::Expr::Function(_)) => {
                    i.clone()
                }
                _ => format!("({i})"),
            })
            .collect();
        format!("{} ({})", self.strategy.keyword(), items.join(", "))
    }
}

impl PartitionBound {
    /// The bound as `pg_get_expr(relpartbound, oid)` prints it, guessing from each
    /// value whether its key item is numeric (see [`Self::definition_typed`]).
    pub fn definition(&self) -> String {
        self.definition_typed(None)
    }

    /// The bound as `pg_get_expr(relpartbound, oid)` prints it, by the kind of each key
    /// item: PostgreSQL prints a non-negative `integer` and a `numeric` with a point or
    /// exponent bare, every other value quoted.
    pub fn definition_typed(&self, kinds: Option<&[ValueKind]>) -> String {
        let lit = |s: &str| format!("'{}'", s.replace('\'', "''"));
        let value = |i: usize, v: &str| match kinds.and_then(|n| n.get(i)) {
            Some(ValueKind::Int4) if !v.starts_with('-') => v.to_string(),
            Some(ValueKind::Numeric)
                if v.starts_with(|c: char| c.is_ascii_digit()) && v.contains(['.', 'e', 'E']) =>
            {
                v.to_string()
            }
            Some(_) => lit(v),
            None => numeric_or_quoted(v, &lit),
        };
        let datums = |ds: &[BoundDatum]| {
            ds.iter()
                .enumerate()
                .map(|(i, d)| match d {
                    BoundDatum::MinValue => "MINVALUE".to_string(),
                    BoundDatum::MaxValue => "MAXVALUE".to_string(),
                    BoundDatum::Value(v) => value(i, v),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            PartitionBound::Range { from, to } => {
                format!("FOR VALUES FROM ({}) TO ({})", datums(from), datums(to))
            }
            PartitionBound::List { values } => format!(
                "FOR VALUES IN ({})",
                values
                    .iter()
                    .map(|v| match v {
                        None => "NULL".to_string(),
                        Some(v) => value(0, v),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            PartitionBound::Hash { modulus, remainder } => {
                format!("FOR VALUES WITH (modulus {modulus}, remainder {remainder})")
            }
            PartitionBound::Default => "DEFAULT".to_string(),
        }
    }
}

/// What decides how a bound value prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// `integer`.
    Int4,
    /// `numeric`.
    Numeric,
    /// Anything else (always quoted).
    Other,
}

/// PostgreSQL prints integer bound values bare and everything else quoted.
fn numeric_or_quoted(v: &str, lit: &dyn Fn(&str) -> String) -> String {
    let digits = v.strip_prefix('-').unwrap_or(v);
    let numeric = !digits.is_empty()
        && !digits.starts_with('.')
        && !digits.ends_with('.')
        && digits.chars().filter(|c| *c == '.').count() <= 1
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.');
    if numeric {
        v.to_string()
    } else {
        lit(v)
    }
}

/// A column name as a key item.
pub fn column_item(name: &str) -> String {
    quote(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_print_like_postgres() {
        let b = PartitionBound::Range {
            from: vec![BoundDatum::MinValue, BoundDatum::Value("10".into())],
            to: vec![BoundDatum::Value("2020-01-01".into()), BoundDatum::MaxValue],
        };
        assert_eq!(b.definition(), "FOR VALUES FROM (MINVALUE, 10) TO ('2020-01-01', MAXVALUE)");
        let l = PartitionBound::List { values: vec![None, Some("a'b".into())] };
        assert_eq!(l.definition(), "FOR VALUES IN (NULL, 'a''b')");
        let h = PartitionBound::Hash { modulus: 4, remainder: 1 };
        assert_eq!(h.definition(), "FOR VALUES WITH (modulus 4, remainder 1)");
    }

    #[test]
    fn records_round_trip() {
        let d = PartitionDef {
            id: 7,
            key: Some(PartitionKey { strategy: PartitionStrategy::List, items: vec!["a".into()] }),
            parent: Some(3),
            bound: Some(PartitionBound::Default),
        };
        let j = serde_json::to_string(&d).expect("encodes");
        let back: PartitionDef = serde_json::from_str(&j).expect("decodes");
        assert_eq!(back, d);
    }
}
