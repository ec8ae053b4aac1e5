//! Robustness: every scalar function and operator applied to a spread of argument
//! values of different types either answers or returns an error; nothing panics.

use helios_sql::expr::eval_constant;
use helios_sql::functions::registry::function_names;

const VALUES: &[&str] = &[
    "NULL",
    "0",
    "-1",
    "2147483647",
    "-9223372036854775808",
    "1.5",
    "'NaN'::numeric",
    "'-Infinity'::float8",
    "''",
    "'abc'",
    "'aß€😀'",
    "true",
    "date '2024-02-29'",
    "timestamp '2024-01-01 10:00'",
    "timestamptz '1999-12-31 23:59:59+00'",
    "interval '-1 mon 3 days'",
    "ARRAY[1, NULL]",
    "'{}'::int[]",
    "'{\"a\": [1, {\"b\": null}]}'::jsonb",
    "'[1,2]'::json",
    "'\\x00ff'::bytea",
];

#[test]
fn functions_never_panic() {
    let mut answered = 0;
    // pg_sleep waits for as long as it is asked (up to 2^31 seconds here), by design.
    for name in function_names().into_iter().filter(|n| *n != "pg_sleep") {
        for a in VALUES {
            for call in [format!("{name}()"), format!("{name}({a})"), format!("{name}({a}, {a})")] {
                if eval_constant(&call).is_ok() {
                    answered += 1;
                }
            }
        }
        for (a, b) in VALUES.iter().zip(VALUES.iter().rev()) {
            let _ = eval_constant(&format!("{name}({a}, {b}, 2)"));
            let _ = eval_constant(&format!("{name}({a}, {b})"));
        }
    }
    // The spread is wide enough that many calls succeed.
    assert!(answered > 300, "only {answered} calls answered");
}

#[test]
fn operators_never_panic() {
    let ops = [
        "+",
        "-",
        "*",
        "/",
        "%",
        "^",
        "=",
        "<>",
        "<",
        ">=",
        "||",
        "&",
        "|",
        "#",
        "<<",
        ">>",
        "~",
        "~*",
        "!~",
        "LIKE",
        "ILIKE",
        "SIMILAR TO",
        "->",
        "->>",
        "#>",
        "@>",
        "<@",
        "?",
        "&&",
        "IS DISTINCT FROM",
        "AND",
        "OR",
    ];
    let mut answered = 0;
    for op in ops {
        for a in VALUES {
            for b in VALUES {
                if eval_constant(&format!("({a}) {op} ({b})")).is_ok() {
                    answered += 1;
                }
            }
        }
    }
    assert!(answered > 500, "only {answered} operator uses answered");
}
