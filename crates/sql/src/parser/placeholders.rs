//! `?` placeholders (as SQLite and JDBC write them) turned into PostgreSQL's `$n`.

/// Rewrites each `?` outside strings, quoted identifiers and comments into `$1`, `$2`,
/// ... in order. Returns `None` when there is nothing to rewrite or the text already
/// uses `$n` placeholders (then `?` stays the jsonb operator).
pub fn rewrite_question_marks(sql: &str) -> Option<String> {
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        match b[i] {
            b'\'' => i = skip_quoted(b, i, b'\''),
            b'"' => i = skip_quoted(b, i, b'"'),
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i = (i + 2).min(b.len());
            }
            b'$' => {
                if b.get(i + 1).is_some_and(u8::is_ascii_digit) {
                    return None;
                }
                // Dollar quoting: $tag$ ... $tag$
                let start = i;
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                if j < b.len() && b[j] == b'$' {
                    let tag = &sql[start..=j];
                    match sql[j + 1..].find(tag) {
                        Some(end) => i = j + 1 + end + tag.len(),
                        None => i = b.len(),
                    }
                } else {
                    i += 1;
                }
            }
            b'?' => {
                let next = b.get(i + 1);
                if matches!(next, Some(b'|') | Some(b'&')) {
                    i += 2;
                    continue;
                }
                n += 1;
                out.push_str(&sql[last..i]);
                out.push_str(&format!("${n}"));
                i += 1;
                last = i;
            }
            _ => i += 1,
        }
    }
    if n == 0 {
        return None;
    }
    out.push_str(&sql[last..]);
    Some(out)
}

fn skip_quoted(b: &[u8], start: usize, q: u8) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        if b[i] == q {
            if b.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_outside_strings_only() {
        assert_eq!(
            rewrite_question_marks("select ?, '?', \"?\", ? -- ?\n").as_deref(),
            Some("select $1, '?', \"?\", $2 -- ?\n")
        );
        assert_eq!(rewrite_question_marks("select $1, ?"), None);
        assert_eq!(rewrite_question_marks("select 1"), None);
        assert_eq!(rewrite_question_marks("select $$?$$, ?").as_deref(), Some("select $$?$$, $1"));
    }
}
