//! Composite (row) types and their values: `CREATE TYPE complex AS (r float8, i float8)`,
//! a table's row type, and the anonymous `record` of `ROW(1, 'a')`.
//!
//! A [`RecordType`] lists its fields (name and type). Named types carry the OID of the
//! catalog object defining them (a composite type record or a table); the anonymous
//! type carries PostgreSQL's `record` OID (2249) and names its fields `f1`, `f2`, ...
//!
//! A value is a [`Record`]: the type it was made with and one [`Value`] per field.
//! Comparison follows PostgreSQL's `record_cmp`: field by field, two NULL fields equal
//! and a NULL field above any value (row *constructor* comparisons, which give NULL
//! instead, are the SQL layer's business).
//!
//! Text I/O is PostgreSQL's `record_out` / `record_in`: `(1,"a b",)` — a field is
//! double-quoted when it is empty or holds `"`, `\`, `(`, `)`, `,` or white space, with
//! `"` and `\` doubled inside quotes; an empty unquoted field is NULL.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use helios_common::SqlState;

use crate::error::{TypeError, TypeResult};
use crate::{DataType, Value};

/// PostgreSQL's OID of the pseudo-type `record`.
pub const RECORD_OID: u32 = 2249;
/// PostgreSQL's OID of `record[]` (`_record`).
pub const RECORD_ARRAY_OID: u32 = 2287;

/// One field of a composite type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecordField {
    /// The field name.
    pub name: String,
    /// The field type.
    pub ty: DataType,
}

/// A composite type: a named one from the catalog, or the anonymous `record`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordType {
    /// The OID ([`RECORD_OID`] for the anonymous type).
    pub oid: u32,
    /// The schema of a named type (empty for the anonymous one).
    pub schema: String,
    /// The type name (`record` for the anonymous one).
    pub name: String,
    /// The fields in order.
    pub fields: Vec<RecordField>,
}

impl Hash for RecordType {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.oid.hash(state);
        if self.is_anonymous() {
            self.fields.hash(state);
        }
    }
}

impl RecordType {
    /// The anonymous record type with fields `f1`, `f2`, ... of the given types.
    pub fn anonymous(types: Vec<DataType>) -> RecordType {
        let fields = types
            .into_iter()
            .enumerate()
            .map(|(i, ty)| RecordField { name: format!("f{}", i + 1), ty })
            .collect();
        RecordType { oid: RECORD_OID, schema: String::new(), name: "record".into(), fields }
    }

    /// The anonymous record type with named fields (a subquery's or function's row).
    pub fn anonymous_named(fields: Vec<RecordField>) -> RecordType {
        RecordType { oid: RECORD_OID, schema: String::new(), name: "record".into(), fields }
    }

    /// A stand-in carrying only the OID, used while a stored column type is read before
    /// the type definitions are (the catalog swaps in the full definition).
    pub fn placeholder(oid: u32) -> RecordType {
        RecordType { oid, schema: String::new(), name: String::new(), fields: Vec::new() }
    }

    /// Whether this is a stand-in from [`RecordType::placeholder`].
    pub fn is_placeholder(&self) -> bool {
        self.name.is_empty()
    }

    /// Whether this is the anonymous `record` type.
    pub fn is_anonymous(&self) -> bool {
        self.oid == RECORD_OID
    }

    /// The position of field `name`.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }
}

/// A composite value.
#[derive(Clone, Debug)]
pub struct Record {
    /// The type the value was made with.
    pub ty: Arc<RecordType>,
    /// One value per field (`Value::Null` for NULL fields).
    pub fields: Vec<Value>,
}

impl PartialEq for Record {
    fn eq(&self, other: &Record) -> bool {
        self.fields == other.fields
    }
}

impl Record {
    /// A value of `ty` with the given fields.
    pub fn new(ty: Arc<RecordType>, fields: Vec<Value>) -> Record {
        Record { ty, fields }
    }

    /// An anonymous record whose field types are the values' own types.
    pub fn anonymous(fields: Vec<Value>) -> Record {
        let ty = RecordType::anonymous(fields.iter().map(Value::data_type).collect());
        Record { ty: Arc::new(ty), fields }
    }

    /// PostgreSQL's `record_cmp`: field by field, NULL fields equal to each other and
    /// above every value; `None` when two fields do not compare.
    pub fn compare(&self, other: &Record) -> Option<Ordering> {
        for (a, b) in self.fields.iter().zip(&other.fields) {
            let o = match (a.is_null(), b.is_null()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => a.pg_cmp(b)?,
            };
            if o != Ordering::Equal {
                return Some(o);
            }
        }
        Some(self.fields.len().cmp(&other.fields.len()))
    }
}

/// Appends one field's text as `record_out` writes it (`None` is NULL: nothing).
pub fn push_field(out: &mut String, text: Option<&str>) {
    let Some(text) = text else { return };
    let needs_quotes = text.is_empty()
        || text.chars().any(|c| matches!(c, '"' | '\\' | '(' | ')' | ',') || c.is_whitespace());
    if !needs_quotes {
        out.push_str(text);
        return;
    }
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push(c);
        }
        out.push(c);
    }
    out.push('"');
}

/// Formats a record from its fields' texts (`None` for NULL).
pub fn format_record<'a>(fields: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let mut out = String::from("(");
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(&mut out, f);
    }
    out.push(')');
    out
}

fn malformed(input: &str, detail: &str) -> TypeError {
    TypeError::other(
        SqlState::INVALID_TEXT_REPRESENTATION,
        format!("malformed record literal: \"{input}\""),
    )
    .with_detail(detail)
}

/// Splits `record_in` text into `count` field texts (`None` for NULL), with
/// PostgreSQL's errors (`22P02 malformed record literal`).
pub fn split_record(input: &str, count: usize) -> TypeResult<Vec<Option<String>>> {
    let mut chars = input.chars().peekable();
    while chars.peek().is_some_and(|c| c.is_whitespace()) {
        chars.next();
    }
    if chars.next() != Some('(') {
        return Err(malformed(input, "Missing left parenthesis."));
    }
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        if i > 0 {
            match chars.next() {
                Some(',') => {}
                Some(')') => return Err(malformed(input, "Too few columns.")),
                _ => return Err(malformed(input, "Unexpected end of input.")),
            }
        }
        if matches!(chars.peek(), Some(',' | ')')) {
            out.push(None);
            continue;
        }
        let mut text = String::new();
        let mut quoted = false;
        loop {
            let Some(c) = chars.peek().copied() else {
                return Err(malformed(input, "Unexpected end of input."));
            };
            if !quoted && (c == ',' || c == ')') {
                break;
            }
            chars.next();
            match c {
                '\\' => match chars.next() {
                    Some(n) => text.push(n),
                    None => return Err(malformed(input, "Unexpected end of input.")),
                },
                '"' if !quoted => quoted = true,
                '"' => {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        text.push('"');
                    } else {
                        quoted = false;
                    }
                }
                c => text.push(c),
            }
        }
        out.push(Some(text));
    }
    match chars.next() {
        Some(')') => {}
        Some(',') => return Err(malformed(input, "Too many columns.")),
        _ => return Err(malformed(input, "Unexpected end of input.")),
    }
    if chars.any(|c| !c.is_whitespace()) {
        return Err(malformed(input, "Junk after right parenthesis."));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_quotes_like_postgres() {
        assert_eq!(format_record([Some("1"), Some("a b"), None]), "(1,\"a b\",)");
        assert_eq!(format_record([Some("Joe"), Some("von\"Blow")]), "(Joe,\"von\"\"Blow\")");
        assert_eq!(format_record([Some("d\\Blow"), Some("")]), "(\"d\\\\Blow\",\"\")");
    }

    #[test]
    fn input_splits_and_rejects() {
        let s = |t: &str, n| split_record(t, n);
        assert_eq!(
            s(" (Joe,\"von \"\"B\"\"low\")", 2).unwrap(),
            vec![Some("Joe".into()), Some("von \"B\"low".into())]
        );
        assert_eq!(s("(Joe,)", 2).unwrap(), vec![Some("Joe".into()), None]);
        assert_eq!(s("(,\"\")", 2).unwrap(), vec![None, Some(String::new())]);
        let detail = |t: &str, n| match s(t, n).unwrap_err() {
            TypeError::Other { detail, .. } => detail,
            other => panic!("{other:?}"),
        };
        assert_eq!(detail("(Joe)", 2).as_deref(), Some("Too few columns."));
        assert_eq!(detail("(Joe,,)", 2).as_deref(), Some("Too many columns."));
        assert_eq!(detail("[]", 2).as_deref(), Some("Missing left parenthesis."));
        assert_eq!(detail("(Joe,Blow) /", 2).as_deref(), Some("Junk after right parenthesis."));
        assert_eq!(detail("(Joe", 1).as_deref(), Some("Unexpected end of input."));
    }

    #[test]
    fn nulls_sort_last_and_equal() {
        let r = |v: Vec<Value>| Record::anonymous(v);
        let a = r(vec![Value::Int4(1), Value::Null]);
        let b = r(vec![Value::Int4(1), Value::Int4(5)]);
        assert_eq!(a.compare(&b), Some(Ordering::Greater));
        assert_eq!(a.compare(&a.clone()), Some(Ordering::Equal));
    }
}
