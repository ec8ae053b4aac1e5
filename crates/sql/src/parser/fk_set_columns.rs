//! `FOREIGN KEY (...) REFERENCES ... ON DELETE SET NULL (col, ...)` and `SET DEFAULT
//! (col, ...)`: PostgreSQL 15's column lists, which sqlparser does not read.
//!
//! A statement that failed to parse is retried with each list taken out and carried in
//! the constraint's (otherwise MySQL-only) index name slot, as a marker that
//! [`set_columns`] reads back when the constraint is created:
//!
//! ```text
//! foreign key (a, b) references p on delete set null (b)
//! foreign key "?fk_set?d:b" (a, b) references p on delete set null
//! ```
//!
//! A list after `ON UPDATE` is carried too, so that creating the constraint fails as
//! PostgreSQL does (0A000). Lists in a column's own `REFERENCES` clause are left alone.

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

use super::token_rewrite::Significant;

/// The marker's prefix.
const MARKER: &str = "?fk_set?";

/// Separates the column names in a marker.
const SEPARATOR: char = '\u{1f}';

/// The rewritten text, or `None` when no statement of `sql` has such a list.
pub(super) fn rewrite(sql: &str) -> Option<String> {
    super::token_rewrite::rewrite_statements(sql, rewrite_statement)
}

/// What one FOREIGN KEY's marker says.
#[derive(Default)]
struct Lists {
    /// The `ON DELETE` list (names folded as identifiers are).
    delete: Option<Vec<String>>,
    /// The action of an `ON UPDATE` that has a list (refused).
    update: Option<&'static str>,
}

fn rewrite_statement(tokens: &[Token]) -> Option<String> {
    let s = Significant::new(tokens);
    // The token after which each FOREIGN KEY's marker goes, and what it holds.
    let mut markers: Vec<(usize, Lists)> = Vec::new();
    // Token indexes to leave out (the lists).
    let mut dropped: Vec<std::ops::RangeInclusive<usize>> = Vec::new();
    let mut n = 0;
    while n < s.sig.len() {
        if s.word(n) == Some(Keyword::FOREIGN) && s.word(n + 1) == Some(Keyword::KEY) {
            markers.push((s.sig[n + 1], Lists::default()));
            n += 2;
            continue;
        }
        let side = s.word(n + 1);
        let action = match (s.word(n), side, s.word(n + 2), s.word(n + 3)) {
            (Some(Keyword::ON), Some(Keyword::DELETE | Keyword::UPDATE), Some(Keyword::SET), w) => {
                match w {
                    Some(Keyword::NULL) => "SET NULL",
                    Some(Keyword::DEFAULT) => "SET DEFAULT",
                    _ => {
                        n += 1;
                        continue;
                    }
                }
            }
            _ => {
                n += 1;
                continue;
            }
        };
        let open = n + 4;
        if !matches!(s.sig.get(open).map(|&i| &s.tokens[i]), Some(Token::LParen)) {
            n += 1;
            continue;
        }
        let (names, close) = column_list(&s, open)?;
        let (_, lists) = markers.last_mut()?;
        if side == Some(Keyword::DELETE) {
            lists.delete = Some(names);
        } else {
            lists.update = Some(action);
        }
        dropped.push(s.sig[open]..=s.sig[close]);
        n = close + 1;
    }
    if dropped.is_empty() {
        return None;
    }
    let mut out = String::new();
    for (i, t) in tokens.iter().enumerate() {
        if dropped.iter().any(|r| r.contains(&i)) {
            continue;
        }
        out.push_str(&t.to_string());
        if let Some((_, lists)) = markers.iter().find(|(at, _)| *at == i) {
            let text = match (lists.update, &lists.delete) {
                (Some(action), _) => format!("u:{action}"),
                (None, Some(names)) => format!("d:{}", names.join(&SEPARATOR.to_string())),
                (None, None) => continue,
            };
            out.push_str(&format!(" \"{}\"", format!("{MARKER}{text}").replace('"', "\"\"")));
        }
    }
    Some(out)
}

/// The names of the parenthesized list opening at significant token `open`, and the
/// significant index of its `)`; `None` when it is not a plain list of names.
fn column_list(s: &Significant<'_>, open: usize) -> Option<(Vec<String>, usize)> {
    let mut names = Vec::new();
    let mut n = open + 1;
    loop {
        names.push(s.ident(n)?);
        match s.sig.get(n + 1).map(|&i| &s.tokens[i])? {
            Token::Comma => n += 2,
            Token::RParen => return Some((names, n + 1)),
            _ => return None,
        }
    }
}

/// The `ON DELETE SET NULL / SET DEFAULT` column list a FOREIGN KEY constraint carries
/// (see the module notes); `None` without one. 0A000 for a list after `ON UPDATE`, as
/// PostgreSQL's grammar gives.
pub fn set_columns(fk: &ast::ForeignKeyConstraint) -> Result<Option<Vec<String>>> {
    let Some(text) = fk.index_name.as_ref().and_then(|i| i.value.strip_prefix(MARKER)) else {
        return Ok(None);
    };
    if let Some(action) = text.strip_prefix("u:") {
        return Err(Error::new(
            SqlState::FEATURE_NOT_SUPPORTED,
            format!("a column list with {action} is only supported for ON DELETE actions"),
        ));
    }
    let names = text.strip_prefix("d:").unwrap_or(text);
    Ok(Some(names.split(SEPARATOR).map(str::to_string).collect()))
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn lists_move_into_the_marker() {
        assert_eq!(
            rewrite("create table c (a int, b int, foreign key (a, b) references p on delete set null (B))")
                .as_deref(),
            Some("create table c (a int, b int, foreign key \"?fk_set?d:b\" (a, b) references p on delete set null )")
        );
        assert_eq!(
            rewrite("alter table c add foreign key (a) references p on update set default (a)")
                .as_deref(),
            Some("alter table c add foreign key \"?fk_set?u:SET DEFAULT\" (a) references p on update set default ")
        );
        assert_eq!(rewrite("create table c (a int references p on delete set null (a))"), None);
        assert_eq!(
            rewrite("create table c (a int, foreign key (a) references p on delete set null)"),
            None
        );
    }
}
