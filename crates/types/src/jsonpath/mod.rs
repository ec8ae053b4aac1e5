//! The SQL/JSON path language (`jsonpath`): syntax tree, parser and canonical text.
//!
//! ```text
//!   text ──lexer──▶ tokens ──parser──▶ JsonPath (ast) ──display──▶ canonical text
//! ```
//!
//! A `jsonpath` value is stored as its canonical text (a [`crate::Value::Text`] under
//! [`crate::DataType::JsonPath`]): input parses and re-prints it, so what is stored
//! always parses again. Evaluation against `jsonb` lives in the SQL engine
//! (`helios_sql::functions::jsonpath`), which parses the stored text with [`parse`].
//!
//! Errors follow PostgreSQL: syntax errors are `42601` with its "at or near ... of
//! jsonpath input" wording, an empty path is `22P02`, an invalid `like_regex` pattern
//! `2201B`.

pub mod ast;
mod display;
mod lexer;
mod parser;

pub use ast::{Accessor, BinaryOp, JsonPath, Method, Node, RegexFlags, ANY_LAST};
pub use parser::parse;

use crate::error::TypeResult;

/// Parses `jsonpath` input and returns its canonical text.
pub fn canonical(input: &str) -> TypeResult<String> {
    Ok(parse(input)?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use helios_common::SqlState;

    fn out(s: &str) -> String {
        canonical(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> (SqlState, String) {
        let e = canonical(s).expect_err(s);
        (e.sqlstate(), e.to_string())
    }

    #[test]
    fn prints_postgres_canonical_form() {
        for (input, expected) in [
            ("$", "$"),
            ("lax $", "$"),
            ("STRICT $.a", "strict $.\"a\""),
            ("$.a[*] ? (@ > 2)", "$.\"a\"[*]?(@ > 2)"),
            ("$.a.**{2 to 2}.b", "$.\"a\".**{2}.\"b\""),
            ("$.**{0 to last}", "$.**"),
            ("$.a/+-1", "($.\"a\" / -1)"),
            ("($.a * 2).c + 1", "(($.\"a\" * 2).\"c\" + 1)"),
            ("(-+$.a.b).c.d", "(-(+$.\"a\".\"b\")).\"c\".\"d\""),
            ("$[1,2, 3 to 16]", "$[1,2,3 to 16]"),
            ("$ <> 1", "($ != 1)"),
            ("!exists($)", "!(exists ($))"),
            ("$ ? ((exists(@)) is unknown)", "$?((exists (@)) is unknown)"),
            ("1.e3.e", "(1000).\"e\""),
            ("0.000e1", "0.00"),
            (".001", "0.001"),
            ("\"\\b\\f\\r\\n\\t\\v\\\"'\\\\\"", "\"\\b\\f\\r\\n\\t\\u000b\\\"'\\\\\""),
            ("$.foo\\x50\\u0067\\t", "$.\"fooPg\\t\""),
            ("\"\\ud83d\\ude04\"", "\"\u{1F604}\""),
            ("$ /* note */ .a", "$.\"a\""),
            ("$.datetime(\"HH24\").type()", "$.datetime(\"HH24\").type()"),
            ("$.size", "$.\"size\""),
            ("$a.b", "$\"a\".\"b\""),
            ("$ ? (@ like_regex \"p\" flag \"isim\")", "$?(@ like_regex \"p\" flag \"ism\")"),
        ] {
            assert_eq!(out(input), expected, "{input}");
            // The canonical form reads back to itself.
            assert_eq!(out(expected), expected, "{expected}");
        }
    }

    #[test]
    fn rejects_bad_input_with_postgres_errors() {
        let syntax = SqlState::SYNTAX_ERROR;
        for (input, state, message) in [
            (
                "",
                SqlState::INVALID_TEXT_REPRESENTATION,
                "invalid input syntax for type jsonpath: \"\"",
            ),
            ("1 == 1 == 1", syntax, "syntax error at or near \"==\" of jsonpath input"),
            ("$.a == 1 && $.b", syntax, "syntax error at end of jsonpath input"),
            ("$ ? (@.a)", syntax, "syntax error at or near \")\" of jsonpath input"),
            ("(1 == 1) + 2", syntax, "syntax error at or near \"+\" of jsonpath input"),
            ("$.a()", syntax, "syntax error at or near \"(\" of jsonpath input"),
            (
                "00",
                syntax,
                "trailing junk after numeric literal at or near \"00\" of jsonpath input",
            ),
            (
                "1.type()",
                syntax,
                "trailing junk after numeric literal at or near \"1.t\" of jsonpath input",
            ),
            ("1e+", syntax, "invalid numeric literal at or near \"1e+\" of jsonpath input"),
            ("last", syntax, "LAST is allowed only in array subscripts"),
            ("@ + 1", syntax, "@ is not allowed in root expressions"),
            (
                "\"\\u12\"",
                syntax,
                "invalid unicode sequence at or near \"\\u12\" of jsonpath input",
            ),
            ("\"abc", syntax, "unexpected end of quoted string at end of jsonpath input"),
            (
                "\"\\u0000\"",
                SqlState::UNTRANSLATABLE_CHARACTER,
                "unsupported Unicode escape sequence",
            ),
            (
                "$ ? (@ like_regex \"(a\")",
                SqlState::INVALID_REGULAR_EXPRESSION,
                "invalid regular expression: parentheses () not balanced",
            ),
            (
                "$ ? (@ like_regex \"a\" flag \"x\")",
                SqlState::FEATURE_NOT_SUPPORTED,
                "XQuery \"x\" flag (expanded regular expressions) is not implemented",
            ),
        ] {
            assert_eq!(err(input), (state, message.to_string()), "{input}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        for deep in
            ["(".repeat(100_000), "-".repeat(100_000), "$".to_string() + &"[$".repeat(100_000)]
        {
            assert_eq!(err(&deep).0, SqlState::STATEMENT_TOO_COMPLEX);
        }
        let ok = format!("{}1{}", "(".repeat(60), ")".repeat(60));
        assert_eq!(out(&ok), "1");
    }

    #[test]
    fn modes_and_structure() {
        let p = parse("strict $.a[*] ? (@ > 1)").expect("valid path");
        assert!(p.strict);
        let Node::Chain(base, accessors) = &p.expr else { panic!("not a chain: {:?}", p.expr) };
        assert_eq!(**base, Node::Root);
        assert_eq!(accessors.len(), 3);
        assert!(matches!(accessors[2], Accessor::Filter(_)));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_canonical_text_is_stable(input in r#"[$@.a-z0-9 \[\]*(){}?!=<>&|+\-/%"\\,]{0,24}"#) {
            if let Ok(text) = canonical(&input) {
                let again = canonical(&text).map_err(|e| e.to_string());
                proptest::prop_assert_eq!(again, Ok(text.clone()));
            }
        }
    }
}
