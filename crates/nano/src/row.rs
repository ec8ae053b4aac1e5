//! Reading result rows into Rust types.

use helios_common::{Error, Result, SqlState};
use helios_sql::session::{Column, QueryResult};
use helios_types::Value;

/// A row of a [`QueryResult`], with its columns.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    columns: &'a [Column],
    values: &'a [Value],
}

/// A column position or name.
pub trait ColumnIndex {
    /// The position of the column among `columns`.
    fn index(&self, columns: &[Column]) -> Result<usize>;
}

impl ColumnIndex for usize {
    #[inline]
    fn index(&self, columns: &[Column]) -> Result<usize> {
        if *self < columns.len() {
            Ok(*self)
        } else {
            Err(Error::new(
                SqlState::UNDEFINED_COLUMN,
                format!("column index {self} out of range (row has {})", columns.len()),
            ))
        }
    }
}

impl ColumnIndex for &str {
    fn index(&self, columns: &[Column]) -> Result<usize> {
        columns.iter().position(|c| c.name == *self).ok_or_else(|| {
            Error::new(
                SqlState::UNDEFINED_COLUMN,
                format!("column \"{self}\" does not exist in the result"),
            )
        })
    }
}

/// Conversion of a SQL value into a Rust type.
pub trait FromValue: Sized {
    /// Converts; NULL is an error (22004) unless the target is an `Option`.
    fn from_value(v: &Value) -> Result<Self>;
}

fn mismatch(v: &Value, rust: &str) -> Error {
    Error::new(
        SqlState::DATATYPE_MISMATCH,
        format!("cannot read a value of type {} as {rust}", v.data_type()),
    )
}

fn null_error() -> Error {
    Error::new(SqlState::NULL_VALUE_NOT_ALLOWED, "unexpected NULL value; read it as an Option")
}

macro_rules! int_from_value {
    ($t:ty) => {
        impl FromValue for $t {
            #[inline]
            fn from_value(v: &Value) -> Result<Self> {
                let wide: i64 = match v {
                    Value::Null => return Err(null_error()),
                    Value::Int2(x) => i64::from(*x),
                    Value::Int4(x) => i64::from(*x),
                    Value::Int8(x) => *x,
                    other => return Err(mismatch(other, stringify!($t))),
                };
                <$t>::try_from(wide).map_err(|_| {
                    Error::new(
                        SqlState::NUMERIC_VALUE_OUT_OF_RANGE,
                        format!("value {wide} out of range for {}", stringify!($t)),
                    )
                })
            }
        }
    };
}

int_from_value!(i16);
int_from_value!(i32);
int_from_value!(i64);

impl FromValue for f64 {
    fn from_value(v: &Value) -> Result<Self> {
        match v {
            Value::Null => Err(null_error()),
            Value::Float4(x) => Ok(f64::from(*x)),
            Value::Float8(x) => Ok(*x),
            Value::Int2(x) => Ok(f64::from(*x)),
            Value::Int4(x) => Ok(f64::from(*x)),
            Value::Int8(x) => Ok(*x as f64),
            Value::Numeric(_) => v.to_pg_text().parse().map_err(|_| mismatch(v, "f64")),
            other => Err(mismatch(other, "f64")),
        }
    }
}

impl FromValue for f32 {
    fn from_value(v: &Value) -> Result<Self> {
        match v {
            Value::Float4(x) => Ok(*x),
            other => f64::from_value(other).map(|x| x as f32),
        }
    }
}

impl FromValue for bool {
    fn from_value(v: &Value) -> Result<Self> {
        match v {
            Value::Null => Err(null_error()),
            Value::Bool(b) => Ok(*b),
            other => Err(mismatch(other, "bool")),
        }
    }
}

impl FromValue for String {
    #[inline]
    fn from_value(v: &Value) -> Result<Self> {
        match v {
            Value::Null => Err(null_error()),
            Value::Text(s) | Value::Json(s) => Ok(s.clone()),
            other => Ok(other.to_pg_text()),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(v: &Value) -> Result<Self> {
        match v {
            Value::Null => Err(null_error()),
            Value::Bytea(b) => Ok(b.clone()),
            other => Err(mismatch(other, "Vec<u8>")),
        }
    }
}

impl FromValue for Value {
    fn from_value(v: &Value) -> Result<Self> {
        Ok(v.clone())
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Result<Self> {
        if v.is_null() {
            Ok(None)
        } else {
            T::from_value(v).map(Some)
        }
    }
}

impl<'a> Row<'a> {
    /// A row view over columns and values.
    pub fn new(columns: &'a [Column], values: &'a [Value]) -> Row<'a> {
        Row { columns, values }
    }

    /// The value of a column (by position or name) converted to `T`.
    pub fn get<T: FromValue>(&self, column: impl ColumnIndex) -> Result<T> {
        let i = column.index(self.columns)?;
        T::from_value(&self.values[i])
    }

    /// The raw value of a column.
    pub fn value(&self, column: impl ColumnIndex) -> Result<&'a Value> {
        let i = column.index(self.columns)?;
        Ok(&self.values[i])
    }

    /// The number of columns.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the row has no columns.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The columns.
    pub fn columns(&self) -> &'a [Column] {
        self.columns
    }

    /// The raw values, one per column.
    pub fn values(&self) -> &'a [Value] {
        self.values
    }
}

/// Row access on a [`QueryResult`].
pub trait RowsExt {
    /// Row `i`, if there is one.
    fn row(&self, i: usize) -> Option<Row<'_>>;
    /// All rows in order.
    fn iter_rows(&self) -> Box<dyn Iterator<Item = Row<'_>> + '_>;
}

impl RowsExt for QueryResult {
    fn row(&self, i: usize) -> Option<Row<'_>> {
        self.rows.get(i).map(|r| Row::new(&self.columns, r))
    }

    fn iter_rows(&self) -> Box<dyn Iterator<Item = Row<'_>> + '_> {
        Box::new(self.rows.iter().map(|r| Row::new(&self.columns, r)))
    }
}
