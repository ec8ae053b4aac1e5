//! Splitting a query string into statements at top-level semicolons, aware of quotes,
//! dollar quotes and comments. The server uses it to find `COPY` statements in a simple
//! query; the interactive shell uses it to know when a statement is complete.

/// The statements of `sql`, trimmed, without their `;`, empty ones dropped.
pub fn split_statements(sql: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    scan(sql, |pos| {
        let stmt = sql[start..pos].trim();
        if !stmt.is_empty() {
            out.push(stmt);
        }
        start = pos + 1;
    });
    let tail = sql[start..].trim();
    if !tail.is_empty() && !is_only_comments(tail) {
        out.push(tail);
    }
    out
}

/// Whether `sql` ends with a top-level `;` (ignoring trailing whitespace and comments),
/// i.e. the last statement is complete.
pub fn ends_with_terminator(sql: &str) -> bool {
    let mut last = None;
    scan(sql, |pos| last = Some(pos));
    match last {
        Some(pos) => is_only_comments(&sql[pos + 1..]),
        None => false,
    }
}

fn is_only_comments(s: &str) -> bool {
    let mut rest = s.trim_start();
    loop {
        if rest.is_empty() {
            return true;
        }
        if let Some(r) = rest.strip_prefix("--") {
            rest = r.split_once('\n').map_or("", |(_, after)| after).trim_start();
        } else if rest.starts_with("/*") {
            match rest.find("*/") {
                Some(end) => rest = rest[end + 2..].trim_start(),
                None => return false,
            }
        } else {
            return false;
        }
    }
}

/// Calls `on_semicolon` with the byte offset of every top-level `;`.
fn scan(sql: &str, mut on_semicolon: impl FnMut(usize)) {
    let b = sql.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b';' => {
                on_semicolon(i);
                i += 1;
            }
            b'\'' => {
                let escapes =
                    i > 0 && matches!(b[i - 1], b'E' | b'e') && (i < 2 || !is_ident(b[i - 2]));
                i = skip_quoted(b, i + 1, b'\'', escapes);
            }
            b'"' => i = skip_quoted(b, i + 1, b'"', false),
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 1;
                i += 2;
                while i < b.len() && depth > 0 {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
            }
            b'$' if i == 0 || !is_ident(b[i - 1]) => {
                // A dollar quote: $tag$ ... $tag$ (tag may be empty, never starts with a digit).
                let tag_end = b[i + 1..].iter().position(|c| !is_ident(*c)).map(|p| i + 1 + p);
                match tag_end {
                    Some(end)
                        if b[end] == b'$' && !b.get(i + 1).is_some_and(u8::is_ascii_digit) =>
                    {
                        let tag = &sql[i..=end];
                        i = match sql[end + 1..].find(tag) {
                            Some(p) => end + 1 + p + tag.len(),
                            None => b.len(),
                        };
                    }
                    _ => i += 1,
                }
            }
            _ => i += 1,
        }
    }
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

fn skip_quoted(b: &[u8], mut i: usize, quote: u8, backslash_escapes: bool) -> usize {
    while i < b.len() {
        if backslash_escapes && b[i] == b'\\' {
            i += 2;
        } else if b[i] == quote {
            if b.get(i + 1) == Some(&quote) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_outside_quotes_and_comments() {
        assert_eq!(split_statements("select 1; select 2"), vec!["select 1", "select 2"]);
        assert_eq!(
            split_statements("select ';'; select \"a;b\""),
            vec!["select ';'", "select \"a;b\""]
        );
        assert_eq!(split_statements("select 1 -- c;\n; ;"), vec!["select 1 -- c;"]);
        assert_eq!(split_statements("select /* ; /* ; */ */ 1;"), vec!["select /* ; /* ; */ */ 1"]);
        assert_eq!(
            split_statements("select $$a;b$$; select $x$;$x$"),
            vec!["select $$a;b$$", "select $x$;$x$"]
        );
        assert_eq!(
            split_statements("select E'\\';'; select 'it''s;'"),
            vec!["select E'\\';'", "select 'it''s;'"]
        );
        assert!(split_statements(" ;; -- only a comment").is_empty());
    }

    #[test]
    fn knows_when_a_statement_is_complete() {
        assert!(ends_with_terminator("select 1;"));
        assert!(ends_with_terminator("select 1; -- done"));
        assert!(!ends_with_terminator("select 1"));
        assert!(!ends_with_terminator("select ';"));
        assert!(!ends_with_terminator("select 1; select 2"));
    }
}
