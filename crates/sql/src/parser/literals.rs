//! Integer literals compared with something, turned into parameters: the key of the
//! session's plan cache for simple-protocol queries (`WHERE aid = 12345` and
//! `WHERE aid = 678` share one plan).
//!
//! Only the plainest statements qualify, so that the parameterized statement means
//! exactly what the original does: one `SELECT` without quotes, parentheses (no function
//! calls, subqueries or casts), comments, placeholders, `::` or a locking clause. A
//! literal is replaced only when a comparison operator (`=`, `<>`, `!=`, `<`, `<=`, `>`,
//! `>=`) comes right before it and nothing that could bind tighter comes after it; its
//! parameter is declared with the literal's own type (`integer`, or `bigint` when it
//! does not fit), as PostgreSQL types the literal.

use helios_types::{DataType, Value};

/// A statement with its integer comparison literals replaced by `$1`, `$2`, ...
#[derive(Debug, Clone, PartialEq)]
pub struct Parameterized {
    /// The rewritten text.
    pub text: String,
    /// The literals' values, in parameter order.
    pub values: Vec<Value>,
    /// The literals' types, in parameter order.
    pub types: Vec<DataType>,
}

/// Parameterizes `sql`; `None` when it does not qualify (see the module docs).
pub fn parameterize(sql: &str) -> Option<Parameterized> {
    let body = sql.trim_end().strip_suffix(';').unwrap_or(sql).trim();
    let head = body.get(..7)?;
    if !head.eq_ignore_ascii_case("select ") {
        return None;
    }
    let b = body.as_bytes();
    if b.iter().any(|c| matches!(c, b'\'' | b'"' | b'(' | b')' | b'$' | b'?' | b';' | b'\\'))
        || body.contains("--")
        || body.contains("/*")
        || body.contains("::")
        || has_word(body, "for")
    {
        return None;
    }
    let mut out = Parameterized {
        text: String::with_capacity(body.len()),
        values: Vec::new(),
        types: Vec::new(),
    };
    let mut last = 0;
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && is_word_or_dot(b[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i < b.len() && is_word_or_dot(b[i]) {
            // Part of a larger token (1.5, 1e3, 12abc): leave it.
            while i < b.len() && is_word_or_dot(b[i]) {
                i += 1;
            }
            continue;
        }
        if !comparison_before(b, start) || !plain_after(b, i) {
            continue;
        }
        let digits = &body[start..i];
        let value = match digits.parse::<i64>() {
            Ok(n) => match i32::try_from(n) {
                Ok(small) => (Value::Int4(small), DataType::Int4),
                Err(_) => (Value::Int8(n), DataType::Int8),
            },
            Err(_) => continue,
        };
        out.text.push_str(&body[last..start]);
        out.values.push(value.0);
        out.types.push(value.1);
        out.text.push('$');
        out.text.push_str(&out.values.len().to_string());
        last = i;
    }
    out.text.push_str(&body[last..]);
    Some(out)
}

fn is_word_or_dot(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c >= 0x80
}

fn is_operator(c: u8) -> bool {
    matches!(
        c,
        b'<' | b'>'
            | b'='
            | b'!'
            | b'~'
            | b'+'
            | b'-'
            | b'*'
            | b'/'
            | b'%'
            | b'^'
            | b'&'
            | b'|'
            | b'#'
            | b'@'
    )
}

/// Whether the operator right before position `at` (spaces skipped) is a comparison.
fn comparison_before(b: &[u8], at: usize) -> bool {
    let mut end = at;
    while end > 0 && b[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && is_operator(b[start - 1]) {
        start -= 1;
    }
    matches!(&b[start..end], b"=" | b"<>" | b"!=" | b"<" | b"<=" | b">" | b">=")
}

/// Whether what follows position `at` cannot bind tighter than the comparison: the end,
/// a comma, or a keyword (`AND`, `OR`, `ORDER`, `LIMIT`, ...).
fn plain_after(b: &[u8], at: usize) -> bool {
    let mut i = at;
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i == b.len() || b[i] == b',' || (i > at && (b[i].is_ascii_alphabetic() || b[i] == b'_'))
}

/// Whether `word` occurs in `text` as a whole word (ASCII case-insensitive).
fn has_word(text: &str, word: &str) -> bool {
    let t = text.as_bytes();
    let w = word.as_bytes();
    (0..t.len().saturating_sub(w.len() - 1)).any(|i| {
        t[i..i + w.len()].eq_ignore_ascii_case(w)
            && (i == 0 || !is_word_or_dot(t[i - 1]))
            && t.get(i + w.len()).is_none_or(|c| !is_word_or_dot(*c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(sql: &str) -> Option<String> {
        parameterize(sql).map(|p| p.text)
    }

    #[test]
    fn replaces_compared_integers() {
        let p = parameterize("SELECT abalance FROM pgbench_accounts WHERE aid = 12345;").unwrap();
        assert_eq!(p.text, "SELECT abalance FROM pgbench_accounts WHERE aid = $1");
        assert_eq!(p.values, vec![Value::Int4(12345)]);
        assert_eq!(p.types, vec![DataType::Int4]);
        let p = parameterize("select a from t where a>=1 and b <> 9999999999 order by a").unwrap();
        assert_eq!(p.text, "select a from t where a>=$1 and b <> $2 order by a");
        assert_eq!(p.values, vec![Value::Int4(1), Value::Int8(9_999_999_999)]);
        assert_eq!(p.types, vec![DataType::Int4, DataType::Int8]);
    }

    #[test]
    fn leaves_what_is_not_a_plain_comparison() {
        // Select-list constants, ordinals, LIMIT, arithmetic, decimals, identifiers.
        assert_eq!(
            text("SELECT 1, a FROM t ORDER BY 2 LIMIT 3").unwrap(),
            "SELECT 1, a FROM t ORDER BY 2 LIMIT 3"
        );
        assert_eq!(
            text("SELECT a FROM t WHERE a = 1 + 2").unwrap(),
            "SELECT a FROM t WHERE a = 1 + 2"
        );
        assert_eq!(text("SELECT a FROM t WHERE a = 1.5").unwrap(), "SELECT a FROM t WHERE a = 1.5");
        assert_eq!(text("SELECT a FROM t1 WHERE a = -1").unwrap(), "SELECT a FROM t1 WHERE a = -1");
        assert_eq!(
            text("SELECT a FROM t WHERE a <-> 1 < 2").unwrap(),
            "SELECT a FROM t WHERE a <-> 1 < $1"
        );
        assert_eq!(
            text("SELECT a FROM t WHERE a = 99999999999999999999").unwrap(),
            "SELECT a FROM t WHERE a = 99999999999999999999"
        );
        assert_eq!(text("SELECT a FROM t WHERE a = 1e3").unwrap(), "SELECT a FROM t WHERE a = 1e3");
    }

    #[test]
    fn rejects_statements_that_could_change_meaning() {
        for sql in [
            "SELECT a FROM t WHERE a = '1'",
            "SELECT f(a) FROM t WHERE a = 1",
            "SELECT a FROM t WHERE a = 1::int8",
            "SELECT a FROM t WHERE a = $1",
            "SELECT a FROM t WHERE a = ?",
            "SELECT a FROM t WHERE a = 1 FOR UPDATE",
            "SELECT a FROM t WHERE a = 1; SELECT 2",
            "SELECT a FROM t -- c\n WHERE a = 1",
            "UPDATE t SET a = 1 WHERE a = 2",
            "EXPLAIN SELECT a FROM t WHERE a = 1",
            "SELECT \"A\" FROM t WHERE a = 1",
        ] {
            assert_eq!(parameterize(sql), None, "{sql}");
        }
        // `for` inside a name is fine.
        assert!(parameterize("SELECT format_x FROM t WHERE a = 1").is_some());
    }
}
