//! `format()` and the quoting functions `quote_ident`, `quote_literal`,
//! `quote_nullable`.

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};

use crate::functions::registry::{p, ParamType, Registry, ReturnType};
use crate::functions::string::{output_text, s};

/// Registers format and the quoting functions.
pub(crate) fn register(r: &mut Registry) {
    use DataType::Text;
    r.add("format", vec![p(Text)], ReturnType::Exact(Text), format).lenient();
    r.add("format", vec![p(Text), ParamType::Any], ReturnType::Exact(Text), format)
        .lenient()
        .variadic();
    // `format(f, VARIADIC array)`: the elements are the arguments (none for NULL).
    r.add(
        "format variadic",
        vec![p(Text), ParamType::AnyArray],
        ReturnType::Exact(Text),
        |a, c| {
            let mut args = vec![a[0].clone()];
            if let Value::Array(arr) = &a[1] {
                args.extend(arr.elements.iter().cloned());
            }
            format(&args, c)
        },
    )
    .lenient();
    r.add("quote_ident", vec![p(Text)], ReturnType::Exact(Text), |a, _| {
        Ok(Value::Text(quote_ident(s(&a[0]))))
    });
    r.add("quote_literal", vec![p(Text)], ReturnType::Exact(Text), |a, _| {
        Ok(Value::Text(quote_literal(s(&a[0]))))
    });
    r.add("quote_literal", vec![ParamType::AnyElement], ReturnType::Exact(Text), |a, _| {
        Ok(Value::Text(quote_literal(&output_text(&a[0]))))
    });
    r.add("quote_nullable", vec![ParamType::AnyElement], ReturnType::Exact(Text), |a, _| {
        Ok(Value::Text(if a[0].is_null() {
            "NULL".into()
        } else {
            quote_literal(&output_text(&a[0]))
        }))
    })
    .lenient();
}

/// Words that must be quoted as identifiers (PostgreSQL's reserved and type/function
/// keywords commonly met).
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "constraint",
    "create",
    "current_catalog",
    "current_date",
    "current_role",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "from",
    "grant",
    "group",
    "having",
    "in",
    "initially",
    "intersect",
    "into",
    "lateral",
    "leading",
    "limit",
    "localtime",
    "localtimestamp",
    "not",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "placing",
    "primary",
    "references",
    "returning",
    "select",
    "session_user",
    "some",
    "symmetric",
    "table",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "when",
    "where",
    "window",
    "with",
    "authorization",
    "binary",
    "concurrently",
    "cross",
    "current_schema",
    "freeze",
    "full",
    "ilike",
    "inner",
    "is",
    "isnull",
    "join",
    "left",
    "like",
    "natural",
    "notnull",
    "outer",
    "overlaps",
    "right",
    "similar",
    "tablesample",
    "verbose",
    "between",
    "bigint",
    "bit",
    "boolean",
    "char",
    "character",
    "coalesce",
    "dec",
    "decimal",
    "exists",
    "extract",
    "float",
    "greatest",
    "grouping",
    "inout",
    "int",
    "integer",
    "interval",
    "least",
    "national",
    "nchar",
    "none",
    "normalize",
    "nullif",
    "numeric",
    "out",
    "overlay",
    "position",
    "precision",
    "real",
    "row",
    "setof",
    "smallint",
    "substring",
    "time",
    "timestamp",
    "treat",
    "trim",
    "values",
    "varchar",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// `quote_ident`: double-quotes unless the name is a lowercase identifier and no keyword.
pub fn quote_ident(name: &str) -> String {
    let simple = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !RESERVED.contains(&name);
    if simple {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `quote_literal`: single quotes, doubled quotes; with backslashes an `E'...'` string.
pub fn quote_literal(v: &str) -> String {
    let body = v.replace('\'', "''");
    if v.contains('\\') {
        format!("E'{}'", body.replace('\\', "\\\\"))
    } else {
        format!("'{body}'")
    }
}

fn format_error(msg: &str) -> Error {
    Error::new(SqlState::INVALID_PARAMETER_VALUE, msg.to_string())
}

/// `format(fmt, args...)` with `%s`, `%I`, `%L`, `%%`, positions (`%2$s`) and widths
/// (`%-10s`, `%*s`).
fn format(a: &[Value], _ctx: &dyn crate::expr::EvalContext) -> Result<Value> {
    let Value::Text(fmt) = &a[0] else { return Ok(Value::Null) };
    let args = &a[1..];
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    let mut next_arg = 0usize;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        // [n$][-][width|*]type
        let mut spec = String::new();
        while let Some(&d) = chars.peek() {
            if d.is_ascii_digit() || d == '$' || d == '-' || d == '*' {
                spec.push(d);
                chars.next();
            } else {
                break;
            }
        }
        let Some(kind) = chars.next() else {
            return Err(format_error("unterminated format() type specifier"));
        };
        let (pos, rest) = match spec.split_once('$') {
            Some((n, rest)) => {
                let n: usize = n.parse().map_err(|_| format_error("invalid format() position"))?;
                if n == 0 {
                    return Err(format_error(
                        "format specifies argument 0, but arguments are numbered from 1",
                    ));
                }
                (Some(n - 1), rest.to_string())
            }
            None => (None, spec),
        };
        let left_align = rest.starts_with('-');
        let width_txt = rest.trim_start_matches('-');
        let mut width: usize = 0;
        let mut left = left_align;
        if width_txt == "*" {
            let w =
                args.get(next_arg).ok_or_else(|| format_error("too few arguments for format()"))?;
            next_arg += 1;
            let w = crate::expr::num::to_i64(w).unwrap_or(0);
            left |= w < 0;
            width = usize::try_from(w.unsigned_abs()).unwrap_or(0);
        } else if !width_txt.is_empty() {
            width = width_txt.parse().map_err(|_| format_error("invalid format() width"))?;
        }
        let idx = pos.unwrap_or(next_arg);
        next_arg = idx + 1;
        let arg = args.get(idx).ok_or_else(|| format_error("too few arguments for format()"))?;
        let piece = match kind {
            's' => {
                if arg.is_null() {
                    String::new()
                } else {
                    output_text(arg)
                }
            }
            'I' => {
                if arg.is_null() {
                    return Err(Error::new(
                        SqlState::NULL_VALUE_NOT_ALLOWED,
                        "null values cannot be formatted as an SQL identifier",
                    ));
                }
                quote_ident(&output_text(arg))
            }
            'L' => {
                if arg.is_null() {
                    "NULL".into()
                } else {
                    quote_literal(&output_text(arg))
                }
            }
            other => {
                return Err(format_error(&format!(
                    "unrecognized format() type specifier \"{other}\""
                )))
            }
        };
        let len = piece.chars().count();
        crate::functions::string::check_size(width.saturating_mul(4))?;
        if len < width {
            let padding = " ".repeat(width - len);
            if left {
                out.push_str(&piece);
                out.push_str(&padding);
            } else {
                out.push_str(&padding);
                out.push_str(&piece);
            }
        } else {
            out.push_str(&piece);
        }
    }
    Ok(Value::Text(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("foo"), "foo");
        assert_eq!(quote_ident("Foo"), "\"Foo\"");
        assert_eq!(quote_ident("select"), "\"select\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("O'Reilly"), "'O''Reilly'");
        assert_eq!(quote_literal("a\\b"), "E'a\\\\b'");
    }
}
