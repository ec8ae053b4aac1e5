//! `f(VARIADIC array)` in a call, which sqlparser does not read: the argument is
//! rewritten as `helios_variadic(array)`, a marker the binder unwraps where a call
//! accepts its variadic arguments as one array (the multirange constructors) and
//! refuses elsewhere (0A000). Routine definitions (`CREATE FUNCTION f(VARIADIC a
//! int[])`), which sqlparser reads, are left alone.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

/// The marker function's name.
pub const VARIADIC_MARKER: &str = "helios_variadic";

/// The rewritten text, or `None` when no statement of `sql` has a VARIADIC argument.
pub(super) fn rewrite(sql: &str) -> Option<String> {
    super::token_rewrite::rewrite_statements(sql, rewrite_statement)
}

fn rewrite_statement(tokens: &[Token]) -> Option<String> {
    let s = super::token_rewrite::Significant::new(tokens);
    if matches!(
        s.word(0),
        Some(Keyword::CREATE | Keyword::ALTER | Keyword::DROP | Keyword::COMMENT)
    ) {
        return None;
    }
    // Positions (token indexes) of VARIADIC words right after `(` or `,`.
    let starts: Vec<usize> = (1..s.sig.len())
        .filter(|&n| {
            s.word(n) == Some(Keyword::VARIADIC)
                && matches!(s.tokens[s.sig[n - 1]], Token::LParen | Token::Comma)
        })
        .map(|n| s.sig[n])
        .collect();
    if starts.is_empty() {
        return None;
    }
    let mut out = String::new();
    let mut close_at: Vec<usize> = Vec::new();
    for start in &starts {
        // The argument ends at the next `,` or `)` at its own depth.
        let mut depth = 0i32;
        let end = (start + 1..tokens.len()).find(|&i| match tokens[i] {
            Token::LParen | Token::LBracket => {
                depth += 1;
                false
            }
            Token::RParen | Token::RBracket if depth > 0 => {
                depth -= 1;
                false
            }
            Token::RParen | Token::RBracket => true,
            Token::Comma => depth == 0,
            _ => false,
        })?;
        close_at.push(end);
    }
    for (i, t) in tokens.iter().enumerate() {
        for _ in close_at.iter().filter(|&&e| e == i) {
            out.push(')');
        }
        if starts.contains(&i) {
            out.push_str(VARIADIC_MARKER);
            out.push('(');
        } else {
            out.push_str(&t.to_string());
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn variadic_arguments_become_markers() {
        assert_eq!(
            rewrite("select f(variadic '{}'::numrange[])").as_deref(),
            Some("select f(helios_variadic( '{}'::numrange[]))")
        );
        assert_eq!(
            rewrite("select f(1, VARIADIC array[g(2, 3)]), 4").as_deref(),
            Some("select f(1, helios_variadic( array[g(2, 3)])), 4")
        );
        assert_eq!(rewrite("create function f(variadic a int[]) returns int as 'x'"), None);
        assert_eq!(rewrite("select 1"), None);
    }
}
