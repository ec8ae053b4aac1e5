//! `ALTER TABLE [IF EXISTS] name SET SCHEMA s`, which sqlparser does not read: parsed as
//! `ALTER VIEW [IF EXISTS] name SET SCHEMA helios_alter_table.s` (the marker keeps the
//! statement's kind: ALTER TABLE moves any relation, as in PostgreSQL); the session reads
//! it back with [`table_form`].

use sqlparser::ast;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

const MARKER: &str = "helios_alter_table";

/// The rewritten text, or `None` when no statement of `sql` is such an ALTER TABLE.
pub(super) fn rewrite(sql: &str) -> Option<String> {
    super::token_rewrite::rewrite_statements(sql, rewrite_statement)
}

fn rewrite_statement(tokens: &[Token]) -> Option<String> {
    let s = super::token_rewrite::Significant::new(tokens);
    let (sig, word) = (&s.sig, |n| s.word(n));
    let n = sig.len();
    if n < 6
        || word(0) != Some(Keyword::ALTER)
        || word(1) != Some(Keyword::TABLE)
        || word(n - 3) != Some(Keyword::SET)
        || word(n - 2) != Some(Keyword::SCHEMA)
    {
        return None;
    }
    let mut out = String::from("ALTER VIEW ");
    tokens[sig[2]..sig[n - 1]].iter().for_each(|t| out.push_str(&t.to_string()));
    out.push_str(MARKER);
    out.push('.');
    out.push_str(&tokens[sig[n - 1]].to_string());
    Some(out)
}

/// For `SET SCHEMA x` of an ALTER VIEW: the target schema and whether the statement
/// was written as ALTER TABLE (see [`rewrite`]).
pub fn table_form(schema_name: &ast::ObjectName) -> Option<&ast::Ident> {
    match schema_name.0.as_slice() {
        [ast::ObjectNamePart::Identifier(m), ast::ObjectNamePart::Identifier(s)]
            if m.value == MARKER && m.quote_style.is_none() =>
        {
            Some(s)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::rewrite;

    #[test]
    fn alter_table_set_schema_becomes_a_marked_alter_view() {
        assert_eq!(
            rewrite("ALTER TABLE IF EXISTS public.t SET SCHEMA \"Other\"").as_deref(),
            Some("ALTER VIEW IF EXISTS public.t SET SCHEMA helios_alter_table.\"Other\"")
        );
        assert_eq!(rewrite("ALTER TABLE t RENAME TO u"), None);
    }
}
