//! Binding and evaluation of core expressions: literal typing, arithmetic, comparison,
//! three-valued logic, casts, parameters and columns. Expected values were checked on
//! PostgreSQL.

use helios_common::SqlState;
use helios_sql::expr::{bind_sql, eval_constant, SimpleContext, StaticScope};
use helios_types::{DataType, Numeric, Value};

fn val(sql: &str) -> Value {
    match eval_constant(sql) {
        Ok((v, _)) => v,
        Err(e) => panic!("{sql}: {e}"),
    }
}

fn ty(sql: &str) -> DataType {
    match eval_constant(sql) {
        Ok((_, t)) => t,
        Err(e) => panic!("{sql}: {e}"),
    }
}

fn err(sql: &str) -> (SqlState, String) {
    match eval_constant(sql) {
        Ok((v, _)) => panic!("{sql}: expected an error, got {v:?}"),
        Err(e) => (e.sqlstate(), e.message().to_string()),
    }
}

fn num_text(sql: &str) -> String {
    match val(sql) {
        Value::Numeric(Numeric::Finite(d)) => d.to_string(),
        other => panic!("{sql}: not numeric: {other:?}"),
    }
}

#[test]
fn literal_types() {
    assert_eq!(ty("1"), DataType::Int4);
    assert_eq!(ty("2147483648"), DataType::Int8);
    assert_eq!(ty("9223372036854775808"), DataType::Numeric(None));
    assert_eq!(ty("1.5"), DataType::Numeric(None));
    assert_eq!(ty("1.5e3"), DataType::Numeric(None));
    assert_eq!(ty("'abc'"), DataType::Text);
    assert_eq!(val("-2147483648"), Value::Int4(i32::MIN));
    assert_eq!(ty("true"), DataType::Bool);
}

#[test]
fn arithmetic_types_and_errors() {
    assert_eq!(val("1 + 2 * 3"), Value::Int4(7));
    assert_eq!(val("7 / 2"), Value::Int4(3));
    assert_eq!(val("-7 % 3"), Value::Int4(-1));
    assert_eq!(ty("1::int2 + 1::int2"), DataType::Int2);
    assert_eq!(ty("1::int2 + 1"), DataType::Int4);
    assert_eq!(ty("1 + 1::int8"), DataType::Int8);
    assert_eq!(ty("1::real + 1"), DataType::Float8);
    assert_eq!(ty("1::real * 1::real"), DataType::Float4);
    assert_eq!(ty("2 ^ 3"), DataType::Float8);
    assert_eq!(val("2 ^ 3"), Value::Float8(8.0));
    assert_eq!(num_text("2.0 ^ 3"), "8.0000000000000000");
    assert_eq!(num_text("1 + 1.5"), "2.5");
    assert_eq!(num_text("1::numeric / 3"), "0.33333333333333333333");
    assert_eq!(num_text("5.0 % 3"), "2.0");
    assert_eq!(val("1 + '2'"), Value::Int4(3));
    assert_eq!(
        err("2147483647 + 1"),
        (SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "integer out of range".into())
    );
    assert_eq!(err("9223372036854775807::int8 * 2").1, "bigint out of range");
    assert_eq!(err("32767::int2 + 1::int2").1, "smallint out of range");
    assert_eq!(err("1/0"), (SqlState::DIVISION_BY_ZERO, "division by zero".into()));
    assert_eq!(err("1.0/0").0, SqlState::DIVISION_BY_ZERO);
    assert_eq!(err("1.0::float8/0").0, SqlState::DIVISION_BY_ZERO);
    assert_eq!(err("1 % 0").0, SqlState::DIVISION_BY_ZERO);
}

#[test]
fn operator_resolution_errors() {
    assert_eq!(
        err("1 + 'a'"),
        (
            SqlState::INVALID_TEXT_REPRESENTATION,
            "invalid input syntax for type integer: \"a\"".into()
        )
    );
    assert_eq!(
        err("1::int + 'a'::text"),
        (SqlState::UNDEFINED_FUNCTION, "operator does not exist: integer + text".into())
    );
    assert_eq!(
        err("'1' + '2'"),
        (SqlState::AMBIGUOUS_FUNCTION, "operator is not unique: unknown + unknown".into())
    );
    assert_eq!(
        err("5.5::float8 % 2"),
        (
            SqlState::UNDEFINED_FUNCTION,
            "operator does not exist: double precision % integer".into()
        )
    );
    assert_eq!(err("1 || 2").1, "operator does not exist: integer || integer");
    let e = eval_constant("1::int + 'a'::text").unwrap_err();
    assert_eq!(
        e.hint(),
        Some("No operator matches the given name and argument types. You might need to add explicit type casts.")
    );
}

#[test]
fn comparisons_across_numeric_types() {
    assert_eq!(val("1 = 1.0"), Value::Bool(true));
    assert_eq!(val("1::int8 < 2::int2"), Value::Bool(true));
    assert_eq!(val("0.1::float8 = 0.1::numeric"), Value::Bool(true));
    assert_eq!(val("1.5 > 1"), Value::Bool(true));
    assert_eq!(val("'abc' < 'abd'"), Value::Bool(true));
    assert_eq!(val("1 <> NULL"), Value::Null);
    assert_eq!(err("1 = 'x'").0, SqlState::INVALID_TEXT_REPRESENTATION);
    assert_eq!(err("1::int = 'x'::text").1, "operator does not exist: integer = text");
}

#[test]
fn three_valued_logic() {
    assert_eq!(val("NULL AND false"), Value::Bool(false));
    assert_eq!(val("NULL AND true"), Value::Null);
    assert_eq!(val("NULL OR true"), Value::Bool(true));
    assert_eq!(val("NULL OR false"), Value::Null);
    assert_eq!(val("NOT NULL::bool"), Value::Null);
    assert_eq!(val("NOT (1 > 2)"), Value::Bool(true));
    assert_eq!(val("NULL IS NULL"), Value::Bool(true));
    assert_eq!(val("1 IS NOT NULL"), Value::Bool(true));
    assert_eq!(val("1 IS DISTINCT FROM NULL"), Value::Bool(true));
    assert_eq!(val("NULL IS NOT DISTINCT FROM NULL"), Value::Bool(true));
    assert_eq!(val("2 IS DISTINCT FROM 2.0"), Value::Bool(false));
    assert_eq!(val("NULL::bool IS UNKNOWN"), Value::Bool(true));
    assert_eq!(val("(1 < 2) IS TRUE"), Value::Bool(true));
    assert_eq!(
        err("1 AND true"),
        (
            SqlState::DATATYPE_MISMATCH,
            "argument of AND must be type boolean, not type integer".into()
        )
    );
}

#[test]
fn casts() {
    assert_eq!(val("CAST('12' AS int) * 2"), Value::Int4(24));
    assert_eq!(val("'5'::int8"), Value::Int8(5));
    assert_eq!(val("2.5::int"), Value::Int4(3));
    assert_eq!(val("2.5::float8::int"), Value::Int4(2));
    assert_eq!(val("3.5::float8::int"), Value::Int4(4));
    assert_eq!(val("'t'::bool"), Value::Bool(true));
    assert_eq!(err("'abc'::int").0, SqlState::INVALID_TEXT_REPRESENTATION);
    assert_eq!(err("70000::int2").1, "smallint out of range");
}

#[test]
fn columns_and_params() {
    let mut scope = StaticScope::with_columns(&[("x", DataType::Int2), ("name", DataType::Text)]);
    let e = bind_sql("x + 1", &mut scope).expect("bind");
    assert_eq!(e.data_type(), DataType::Int4);
    let ctx = SimpleContext::default();
    assert_eq!(e.eval(&[Value::Int2(4), Value::Null], &ctx).ok(), Some(Value::Int4(5)));
    let e = bind_sql("\"X\"", &mut scope).unwrap_err();
    assert_eq!(e.message(), "column \"X\" does not exist");
    let e = bind_sql("$1 + x", &mut scope).expect("bind");
    assert_eq!(scope.params, vec![DataType::Int2]);
    let ctx = SimpleContext { params: vec![Value::Int2(10)], ..SimpleContext::default() };
    assert_eq!(e.eval(&[Value::Int2(4), Value::Null], &ctx).ok(), Some(Value::Int2(14)));
    let e = bind_sql("name = $2", &mut scope).expect("bind");
    assert_eq!(scope.params[1], DataType::Text);
    let ctx = SimpleContext {
        params: vec![Value::Null, Value::Text("a".into())],
        ..SimpleContext::default()
    };
    assert_eq!(
        e.eval(&[Value::Int2(1), Value::Text("a".into())], &ctx).ok(),
        Some(Value::Bool(true))
    );
}
