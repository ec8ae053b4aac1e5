//! The jsonpath functions and operators on constants, and the error position of a
//! literal whose input fails. Expected values were checked on PostgreSQL 15.

use helios_common::SqlState;
use helios_sql::expr::eval_constant;
use helios_types::{DataType, Value};

fn text(sql: &str) -> String {
    match eval_constant(sql) {
        Ok((v, _)) => v.to_pg_text(),
        Err(e) => panic!("{sql}: {e}"),
    }
}

fn err(sql: &str) -> (SqlState, String) {
    match eval_constant(sql) {
        Ok((v, _)) => panic!("{sql}: expected an error, got {v:?}"),
        Err(e) => (e.sqlstate(), e.message().to_string()),
    }
}

#[test]
fn jsonpath_literals_print_canonically() {
    assert_eq!(text("'$.a[*] ? (@ > 2)'::jsonpath"), "$.\"a\"[*]?(@ > 2)");
    assert_eq!(eval_constant("'$'::jsonpath").map(|(_, t)| t).ok(), Some(DataType::JsonPath));
    assert_eq!(
        err("'$.a.'::jsonpath"),
        (SqlState::SYNTAX_ERROR, "syntax error at end of jsonpath input".into())
    );
}

#[test]
fn literal_input_errors_point_at_the_literal() {
    for (sql, position) in
        [("'abc'::int", 1), ("1 + 'x'::int", 5), ("int '1.5'", 5), ("'$ $'::jsonpath", 1)]
    {
        // The binder points at the literal; the text it counts in places it.
        let e = eval_constant(sql).expect_err(sql).locate(sql);
        assert_eq!(e.position(), Some(position), "{sql}: {e}");
    }
    // Errors that are not the literal's input have no position.
    let e = eval_constant("1 / 0").expect_err("division by zero").locate("1 / 0");
    assert_eq!(e.position(), None);
}

#[test]
fn path_functions_and_operators() {
    assert_eq!(text("jsonb '{\"a\": 12}' @? '$.a'"), "t");
    assert_eq!(text("jsonb '[1]' @? 'strict $[1]'"), "");
    assert_eq!(
        eval_constant("jsonb '[1]' @? 'strict $[1]'").map(|(v, _)| v).ok(),
        Some(Value::Null)
    );
    assert_eq!(text("jsonb '2' @@ '$ > 1'"), "t");
    assert_eq!(
        text("jsonb_path_query_array('[1, 2, 3]', '$[*] ? (@ >= $m)', '{\"m\": 2}')"),
        "[2, 3]"
    );
    assert_eq!(
        text("jsonb_path_query_first('{\"a\": 2.5}', '-($.a * $.a).floor() % 4.3')"),
        "-1.7"
    );
    assert_eq!(text("jsonb_path_exists('[1]', 'strict $.a', '{}', true)"), "");
    assert_eq!(
        err("jsonb_path_query_first('[1]', 'strict $.a')"),
        (
            SqlState::from_code("2203A"),
            "jsonpath member accessor can only be applied to an object".into()
        )
    );
    assert_eq!(
        err("jsonb_path_match('1', '$')"),
        (SqlState::from_code("22038"), "single boolean result is expected".into())
    );
    assert_eq!(
        err("jsonb_path_query_first('1', '$x')"),
        (SqlState::UNDEFINED_OBJECT, "could not find jsonpath variable \"x\"".into())
    );
}

#[test]
fn deeply_nested_paths_evaluate_without_overflow() {
    // The parser allows 64 levels of nesting; the deepest accepted paths evaluate.
    let signs = format!("jsonb_path_query_first('1', '{}$')", "-".repeat(60));
    assert_eq!(text(&signs), "1");
    let subscripts =
        format!("jsonb_path_query_first('[0]', '$[{}0{}]')", "$[".repeat(30), "]".repeat(30));
    assert_eq!(text(&subscripts), "0");
    let filters =
        format!("jsonb_path_query_first('1', '{}@{}')", "$ ? (exists(".repeat(30), "))".repeat(30));
    assert_eq!(text(&filters), "1");
    assert_eq!(
        err(&format!("jsonb_path_query_first('1', '{}$')", "-".repeat(100))).0,
        SqlState::STATEMENT_TOO_COMPLEX
    );
}

#[test]
fn datetime_input_edge_cases_are_errors_not_panics() {
    // A multi-byte separator, a year past the date range, a timestamp past its range.
    for path in [
        "jsonb_path_query_first('\"2017é03-10\"', '$.datetime(\"yyyy-mm-dd\")')",
        "jsonb_path_query_first('\"é\"', '$.datetime(\"Mon\")')",
        "jsonb_path_query_first('\"99999999999-01-01\"', '$.datetime()')",
        "jsonb_path_query_first('\"5000000-01-01 12:00:00\"', '$.datetime()')",
    ] {
        let e = eval_constant(path).expect_err(path);
        assert!(e.sqlstate().class() == "22", "{path}: {e}");
    }
    assert_eq!(text("jsonb_path_query_first('\"1000000-01-01\"', '$.datetime() > \"2020-01-01 12:00:00\".datetime()')"), "true");
}

/// Random paths built from grammar pieces, evaluated in both modes on several
/// documents: every outcome is a value or an error, never a panic.
#[test]
fn random_paths_never_panic() {
    const PIECES: [&str; 40] = [
        "$",
        "@",
        "$x",
        "last",
        "1",
        "-2.5",
        "\"s\"",
        "null",
        "true",
        ".a",
        ".*",
        "[*]",
        "[0]",
        "[last]",
        "[0 to 2]",
        "[$.a]",
        ".**",
        ".**{1 to last}",
        ".type()",
        ".size()",
        ".double()",
        ".abs()",
        ".floor()",
        ".keyvalue()",
        ".datetime()",
        " ? (",
        ")",
        "(",
        " + ",
        " - ",
        " * ",
        " / ",
        " % ",
        " == ",
        " < ",
        " && ",
        " || ",
        "!",
        " like_regex \"a.\"",
        " starts with \"a\"",
    ];
    const DOCS: [&str; 5] = [
        "{\"a\": [1, 2, {\"b\": \"2017-03-10\"}], \"c\": null}",
        "[1, \"a\", [true, {}], 0]",
        "\"12:34:56\"",
        "0",
        "{\"a\": {\"a\": {\"a\": [\"ab\", 2.5]}}}",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut evaluated = 0;
    for _ in 0..3000 {
        let len = 1 + (next() % 7) as usize;
        let path: String =
            (0..len).map(|_| PIECES[(next() % PIECES.len() as u64) as usize]).collect();
        let mode = if next() % 2 == 0 { "lax " } else { "strict " };
        let Ok((Value::Text(canonical), _)) = eval_constant(&format!("'{mode}{path}'::jsonpath"))
        else {
            continue;
        };
        evaluated += 1;
        for doc in DOCS {
            for silent in ["true", "false"] {
                let sql = format!(
                    "jsonb_path_query_array('{doc}', '{canonical}', '{{\"x\": [1]}}', {silent})"
                );
                let _ = eval_constant(&sql);
            }
        }
    }
    assert!(evaluated > 100, "only {evaluated} random paths parsed");
}
