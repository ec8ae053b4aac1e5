//! Integer literals turned into parameters: the key of the session's plan cache for
//! simple-protocol statements (`WHERE aid = 12345` and `WHERE aid = 678` share one plan,
//! and so do pgbench's `UPDATE ... SET abalance = abalance + -1234 WHERE aid = 5` and
//! `INSERT ... VALUES (1, 2, 3, -4, CURRENT_TIMESTAMP)`).
//!
//! Only the plainest statements qualify, so that the parameterized statement means
//! exactly what the original does: one `SELECT`, `UPDATE`, `DELETE FROM` or
//! `INSERT INTO` without quotes, comments, placeholders, `::` or `FOR`, and without
//! parentheses (no function calls, subqueries or casts) except an `INSERT`'s column list
//! and `VALUES` rows. A literal `N` or `-N` is replaced only where it is a whole operand
//! whose value cannot change how the statement binds:
//!
//! - right after a comparison (`=`, `<>`, `!=`, `<`, `<=`, `>`, `>=`);
//! - right after `+`, `-`, `*` or `/` whose left operand is a column name;
//! - as a whole element of an `INSERT`'s only `VALUES` row;
//!
//! never where the binder would convert the constant itself (so an out-of-range value
//! fails at bind time, even when no row is written): not another constant's operand, not
//! the value of a `SET col = N` assignment (`UPDATE`, `ON CONFLICT DO UPDATE`), and not
//! in a `VALUES` list of several rows (a value of a later row would fail only after an
//! earlier row failed a constraint, where the literal fails first). The row of a
//! one-row `VALUES` is converted before anything is written, as its literal would be.
//!
//! and when nothing binding tighter follows it (the end, `,`, `)` or a keyword). Its
//! parameter is declared with the literal's own type (`integer`, or `bigint` when it
//! does not fit), as PostgreSQL types the literal; `-N` is one literal, as PostgreSQL's
//! grammar folds the sign into the constant.

use std::fmt::Write as _;

use helios_types::{DataType, Value};

/// A statement with its integer literals replaced by `$1`, `$2`, ...
#[derive(Debug, Clone, PartialEq)]
pub struct Parameterized {
    /// The rewritten text.
    pub text: String,
    /// The literals' values, in parameter order.
    pub values: Vec<Value>,
    /// The literals' types, in parameter order.
    pub types: Vec<DataType>,
}

/// The statements that qualify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Select,
    Insert,
    Update,
    Delete,
}

/// One token of a qualifying statement (whitespace dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    /// An identifier or keyword (dots included: `t.a` is one word).
    Word,
    /// Digits only.
    Int,
    /// Any other number-like token (`1.5`, `1e3`, `0x1f`, `1_000`).
    OtherNumber,
    /// A run of operator characters (`=`, `<>`, `+`, `-`, `=-`, ...).
    Op,
    /// One punctuation character (`,`, `(`, `)`, `[`, `]`, `:`, ...).
    Punct(u8),
}

/// A token and its byte range in the statement.
#[derive(Debug, Clone, Copy)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

/// Parameterizes `sql`; `None` when it does not qualify (see the module docs).
pub fn parameterize(sql: &str) -> Option<Parameterized> {
    let body = sql.trim_end().strip_suffix(';').unwrap_or(sql).trim();
    let kind = kind_of(body)?;
    let b = body.as_bytes();
    if b.iter().any(|c| matches!(c, b'\'' | b'"' | b'$' | b'?' | b';' | b'\\'))
        || body.contains("--")
        || body.contains("/*")
        || body.contains("::")
        || has_word(body, "for")
    {
        return None;
    }
    let toks = tokenize(b);
    let groups = paren_groups(body, &toks, kind)?;
    if groups.len() > 1 {
        return None;
    }
    let assignments = assignment_operators(body, &toks);
    let mut out = Parameterized {
        text: String::with_capacity(body.len()),
        values: Vec::new(),
        types: Vec::new(),
    };
    let mut last = 0;
    for i in 0..toks.len() {
        if toks[i].tok != Tok::Int {
            continue;
        }
        let Some((first, negative)) = operand_start(body, &toks, i, &groups) else { continue };
        if first.checked_sub(1).is_some_and(|op| assignments.contains(&op)) {
            continue;
        }
        if !plain_after(&toks, i) {
            continue;
        }
        let digits = &body[toks[i].start..toks[i].end];
        // The sign is part of the constant: `-2147483648` is an integer.
        let n = match digits.parse::<i64>() {
            Ok(n) if negative => -n,
            Ok(n) => n,
            Err(_) => continue,
        };
        let (value, ty) = match i32::try_from(n) {
            Ok(small) => (Value::Int4(small), DataType::Int4),
            Err(_) => (Value::Int8(n), DataType::Int8),
        };
        out.text.push_str(&body[last..toks[first].start]);
        out.values.push(value);
        out.types.push(ty);
        // Writing into a String cannot fail.
        let _ = write!(out.text, "${}", out.values.len());
        last = toks[i].end;
    }
    out.text.push_str(&body[last..]);
    Some(out)
}

/// The kind of statement `body` starts with, if it is one that qualifies.
fn kind_of(body: &str) -> Option<Kind> {
    let starts =
        |prefix: &str| body.get(..prefix.len()).is_some_and(|h| h.eq_ignore_ascii_case(prefix));
    if starts("select ") {
        Some(Kind::Select)
    } else if starts("insert into ") {
        Some(Kind::Insert)
    } else if starts("update ") {
        Some(Kind::Update)
    } else if starts("delete from ") {
        Some(Kind::Delete)
    } else {
        None
    }
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

fn tokenize(b: &[u8]) -> Vec<Token> {
    let mut toks = Vec::with_capacity(b.len() / 3);
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let c = b[i];
        let tok = if c.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if is_word_or_dot(c) {
            while i < b.len() && is_word_or_dot(b[i]) {
                i += 1;
            }
            let text = &b[start..i];
            if !c.is_ascii_digit() {
                Tok::Word
            } else if text.iter().all(u8::is_ascii_digit) {
                Tok::Int
            } else {
                Tok::OtherNumber
            }
        } else if is_operator(c) {
            while i < b.len() && is_operator(b[i]) {
                i += 1;
            }
            Tok::Op
        } else {
            i += 1;
            Tok::Punct(c)
        };
        toks.push(Token { tok, start, end: i });
    }
    toks
}

/// The parenthesized `VALUES` rows of an `INSERT`, as token index ranges (exclusive of
/// the parentheses); `None` when the statement has parentheses anywhere else (only an
/// `INSERT`'s column list and `VALUES` rows qualify, one level deep).
fn paren_groups(body: &str, toks: &[Token], kind: Kind) -> Option<Vec<(usize, usize)>> {
    let mut groups = Vec::new();
    let mut open: Option<(usize, bool)> = None;
    let mut in_values = false;
    for (i, t) in toks.iter().enumerate() {
        match t.tok {
            Tok::Punct(b'(') => {
                if kind != Kind::Insert || open.is_some() {
                    return None;
                }
                let prev = i.checked_sub(1).map(|p| (p, &toks[p]))?;
                let row = if prev.0 == 2 && prev.1.tok == Tok::Word {
                    // INSERT INTO name (columns)
                    false
                } else if is_word(body, prev.1, "values")
                    || (in_values
                        && prev.1.tok == Tok::Punct(b',')
                        && prev.0 > 0
                        && toks[prev.0 - 1].tok == Tok::Punct(b')'))
                {
                    true
                } else {
                    return None;
                };
                open = Some((i, row));
            }
            Tok::Punct(b')') => {
                let (start, row) = open.take()?;
                if row {
                    groups.push((start + 1, i));
                } else if toks[start + 1..i]
                    .iter()
                    .any(|t| !matches!(t.tok, Tok::Word | Tok::Punct(b',')))
                {
                    return None;
                }
            }
            Tok::Word if open.is_none() => in_values = is_word(body, t, "values"),
            _ => {}
        }
    }
    if open.is_some() {
        return None;
    }
    Some(groups)
}

/// The token indexes of the `=` of `SET col = ...` assignments: from a `SET` to the
/// next `WHERE`, `FROM` or `RETURNING`, an `=` right after `SET col` or `, col`.
fn assignment_operators(body: &str, toks: &[Token]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut in_set = false;
    for (i, t) in toks.iter().enumerate() {
        if t.tok == Tok::Word {
            if is_word(body, t, "set") {
                in_set = true;
            } else if ["where", "from", "returning"].iter().any(|w| is_word(body, t, w)) {
                in_set = false;
            }
        }
        if in_set
            && t.tok == Tok::Op
            && &body[t.start..t.end] == "="
            && i >= 2
            && toks[i - 1].tok == Tok::Word
            && (is_word(body, &toks[i - 2], "set") || toks[i - 2].tok == Tok::Punct(b','))
        {
            out.push(i);
        }
    }
    out
}

fn is_word(body: &str, t: &Token, word: &str) -> bool {
    t.tok == Tok::Word && body[t.start..t.end].eq_ignore_ascii_case(word)
}

/// Whether a word is an SQL keyword (so not a column name).
fn is_keyword(body: &str, t: &Token) -> bool {
    let word = &body.as_bytes()[t.start..t.end];
    sqlparser::keywords::ALL_KEYWORDS
        .binary_search_by(|k| k.bytes().cmp(word.iter().map(u8::to_ascii_uppercase)))
        .is_ok()
}

/// Whether token `i` ends an operand (so an operator after it is binary).
fn ends_operand(body: &str, toks: &[Token], i: usize) -> bool {
    match toks[i].tok {
        Tok::Word => !is_keyword(body, &toks[i]),
        Tok::Int | Tok::OtherNumber | Tok::Punct(b')' | b']') => true,
        Tok::Op | Tok::Punct(_) => false,
    }
}

/// Where the literal ending at integer token `i` starts (its own token, or the `-` before
/// it) and whether it is negative, when it sits where a parameter may replace it (see
/// the module docs); `None` otherwise.
fn operand_start(
    body: &str,
    toks: &[Token],
    i: usize,
    groups: &[(usize, usize)],
) -> Option<(usize, bool)> {
    let op_text = |t: &Token| &body[t.start..t.end];
    let mut first = i;
    let mut negative = false;
    let prev = i.checked_sub(1)?;
    if toks[prev].tok == Tok::Op
        && op_text(&toks[prev]) == "-"
        && !(prev > 0 && ends_operand(body, toks, prev - 1))
    {
        first = prev;
        negative = true;
    }
    let before = first.checked_sub(1)?;
    let t = &toks[before];
    let ok = match t.tok {
        Tok::Op => match op_text(t) {
            "=" | "<>" | "!=" | "<" | "<=" | ">" | ">=" => true,
            "+" | "-" | "*" | "/" => {
                before > 0
                    && toks[before - 1].tok == Tok::Word
                    && !is_keyword(body, &toks[before - 1])
            }
            _ => false,
        },
        Tok::Punct(b'(' | b',') => groups.iter().any(|&(s, e)| first >= s && i < e),
        _ => false,
    };
    ok.then_some((first, negative))
}

/// Whether what follows token `i` cannot bind tighter than the operand: the end, a
/// comma, a closing parenthesis or a word (`AND`, `OR`, `WHERE`, `ORDER`, ...).
fn plain_after(toks: &[Token], i: usize) -> bool {
    match toks.get(i + 1) {
        None => true,
        Some(t) => matches!(t.tok, Tok::Word | Tok::Punct(b',' | b')')),
    }
}

/// Whether `word` occurs in `text` as a whole word (ASCII case-insensitive): not inside
/// a longer name (`do` in `order` or `t.done`).
pub(super) fn has_word(text: &str, word: &str) -> bool {
    has_any_word(text, &[word])
}

/// Whether any of `words` occurs in `text` as a whole word (one pass over the text).
pub(super) fn has_any_word(text: &str, words: &[&str]) -> bool {
    let t = text.as_bytes();
    let mut i = 0;
    while i < t.len() {
        if !is_word_or_dot(t[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < t.len() && is_word_or_dot(t[i]) {
            i += 1;
        }
        let found = &t[start..i];
        if words.iter().any(|w| found.eq_ignore_ascii_case(w.as_bytes())) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(sql: &str) -> Option<String> {
        parameterize(sql).map(|p| p.text)
    }

    #[test]
    fn whole_words_only() {
        assert!(has_word("SELECT a FROM t FOR UPDATE", "for"));
        assert!(has_word("for", "FOR"));
        assert!(!has_word("SELECT format FROM t", "for"));
        assert!(!has_word("SELECT x.for FROM t", "for"));
        assert!(!has_word("SELECT afor", "for"));
        assert!(has_any_word("drop TRIGGER t", &["do", "trigger"]));
        assert!(!has_any_word("", &["do"]));
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
    fn replaces_pgbench_dml_operands() {
        let p =
            parameterize("UPDATE pgbench_accounts SET abalance = abalance + -4321 WHERE aid = 77;")
                .unwrap();
        assert_eq!(p.text, "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2");
        assert_eq!(p.values, vec![Value::Int4(-4321), Value::Int4(77)]);
        let p = parameterize("UPDATE t SET b = b - 5, c = c * 2147483648 WHERE a = -2147483648")
            .unwrap();
        assert_eq!(p.text, "UPDATE t SET b = b - $1, c = c * $2 WHERE a = $3");
        assert_eq!(
            p.values,
            vec![Value::Int4(5), Value::Int8(2_147_483_648), Value::Int4(i32::MIN)]
        );
        assert_eq!(p.types, vec![DataType::Int4, DataType::Int8, DataType::Int4]);
        let p = parameterize("DELETE FROM t WHERE a = -2147483649").unwrap();
        assert_eq!(p.values, vec![Value::Int8(-2_147_483_649)]);
        let p = parameterize(
            "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) \
             VALUES (3, 1, 4567, -12, CURRENT_TIMESTAMP)",
        )
        .unwrap();
        assert_eq!(
            p.text,
            "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) \
             VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)"
        );
        assert_eq!(
            p.values,
            vec![Value::Int4(3), Value::Int4(1), Value::Int4(4567), Value::Int4(-12)]
        );
        assert_eq!(
            text("insert into t values (1, b * 4) returning a = 5").unwrap(),
            "insert into t values ($1, b * $2) returning a = $3"
        );
        assert_eq!(
            text("DELETE FROM t WHERE a = 1 AND b < -3 RETURNING a").unwrap(),
            "DELETE FROM t WHERE a = $1 AND b < $2 RETURNING a"
        );
    }

    #[test]
    fn leaves_what_is_not_a_plain_operand() {
        // Select-list constants, ordinals, LIMIT, constant arithmetic, decimals, `-` of a
        // bigint-sized constant, operators glued to a sign.
        for sql in [
            "SELECT 1, a FROM t ORDER BY 2 LIMIT 3",
            "SELECT a FROM t WHERE a = 1 + 2",
            "SELECT a FROM t WHERE a = 1.5",
            "SELECT a FROM t WHERE a = 1e3",
            "SELECT a FROM t WHERE a = 0x1f",
            "SELECT a FROM t WHERE a = 99999999999999999999",
            "SELECT a FROM t WHERE a = -9223372036854775808",
            "SELECT a FROM t WHERE a =-1",
            "SELECT a FROM t WHERE a = - -1",
            "SELECT - 1 FROM t",
            "SELECT a FROM t ORDER BY -1",
            "UPDATE t SET a = 2 * 3",
            "UPDATE t SET a = b + 2 * c",
            "UPDATE t SET a = b[1]",
            "UPDATE t SET a = value + 1",
            "INSERT INTO t VALUES (1 + 2)",
            "INSERT INTO t SELECT 1, 2",
            "UPDATE t SET a = 1, b = -2",
            "INSERT INTO t VALUES (a) ON CONFLICT ON CONSTRAINT k DO UPDATE SET a = 1",
        ] {
            assert_eq!(text(sql).as_deref(), Some(sql), "{sql}");
        }
        assert_eq!(
            text("SELECT a FROM t WHERE a <-> 1 < 2").unwrap(),
            "SELECT a FROM t WHERE a <-> 1 < $1"
        );
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
            "EXPLAIN SELECT a FROM t WHERE a = 1",
            "SELECT \"A\" FROM t WHERE a = 1",
            "UPDATE t SET a = (1) WHERE b = 2",
            "UPDATE t SET a = 1 WHERE b IN (1, 2)",
            "DELETE FROM t WHERE a = abs(1)",
            "INSERT INTO t VALUES (f(1))",
            "INSERT INTO t VALUES (1) ON CONFLICT (a) DO NOTHING",
            "INSERT INTO t (a numeric(10, 2)) VALUES (1)",
            "INSERT INTO t VALUES (1",
            "INSERT INTO t VALUES (1), (2)",
            "INSERT INTO t SELECT a FROM s WHERE b IN (1)",
            "WITH x AS (SELECT 1) SELECT a FROM x WHERE a = 1",
            "DELETE t WHERE a = 1",
        ] {
            assert_eq!(parameterize(sql), None, "{sql}");
        }
        // `for` inside a name is fine.
        assert!(parameterize("SELECT format_x FROM t WHERE a = 1").is_some());
    }
}
