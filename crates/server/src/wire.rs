//! Building the backend messages that carry results: `RowDescription`, `DataRow` and the
//! type metadata (OID, size, modifier) clients read from them.

use std::sync::Arc;

use bytes::{BufMut, BytesMut};
use helios_common::Result;
use helios_types::{DataType, Value};
use pgwire::api::results::{FieldFormat, FieldInfo};
use pgwire::api::Type;
use pgwire::messages::data::{DataRow, FieldDescription, RowDescription};

use crate::session::Column;
use crate::{binary, text};

/// `pg_type.typlen` of a type (−1 for variable width).
pub fn type_size(ty: &DataType) -> i16 {
    match ty {
        DataType::Bool => 1,
        DataType::Int2 => 2,
        DataType::Int4 | DataType::Float4 | DataType::Date => 4,
        DataType::Int8
        | DataType::Float8
        | DataType::Time
        | DataType::Timestamp
        | DataType::TimestampTz => 8,
        DataType::TimeTz => 12,
        DataType::MacAddr => 6,
        DataType::Interval | DataType::Uuid => 16,
        _ => -1,
    }
}

/// `atttypmod` of a type: declared lengths and numeric precision/scale, else −1.
pub fn type_modifier(ty: &DataType) -> i32 {
    match ty {
        DataType::Varchar(Some(n)) | DataType::Char(Some(n)) => {
            i32::try_from(*n).map_or(-1, |n| n + 4)
        }
        DataType::Numeric(Some((p, s))) => i32::try_from((p << 16) | s).map_or(-1, |m| m + 4),
        _ => -1,
    }
}

/// The pgwire `Type` for a data type (types PostgreSQL does not ship, such as `vector`,
/// get a synthetic entry with our OID).
pub fn pg_type(ty: &DataType) -> Type {
    let oid = ty.oid();
    Type::from_oid(oid).unwrap_or_else(|| {
        Type::new(ty.to_string(), oid, postgres_types::Kind::Simple, "pg_catalog".to_owned())
    })
}

/// Result column metadata for Describe responses.
pub fn field_infos(columns: &[Column], formats: &[FieldFormat]) -> Vec<FieldInfo> {
    columns
        .iter()
        .zip(formats)
        .map(|(c, f)| {
            FieldInfo::new(c.name.clone(), None, None, pg_type(&c.data_type), *f)
                .with_type_size(type_size(&c.data_type))
                .with_type_modifier(type_modifier(&c.data_type))
        })
        .collect()
}

/// A `RowDescription` for the given columns and formats.
pub fn row_description(columns: &[Column], formats: &[FieldFormat]) -> RowDescription {
    RowDescription::new(
        columns
            .iter()
            .zip(formats)
            .map(|(c, f)| {
                FieldDescription::new(
                    c.name.clone(),
                    0,
                    0,
                    c.data_type.oid(),
                    type_size(&c.data_type),
                    type_modifier(&c.data_type),
                    f.value(),
                )
            })
            .collect(),
    )
}

/// Encodes one row as a `DataRow` in the requested per-column formats; text values
/// follow the session's output settings (`extra_float_digits`, TimeZone, DateStyle).
pub fn data_row(
    row: &[Value],
    columns: &[Column],
    formats: &[FieldFormat],
    style: &text::OutputStyle,
) -> Result<DataRow> {
    let mut buf = BytesMut::with_capacity(row.len() * 8);
    for ((value, col), format) in row.iter().zip(columns).zip(formats) {
        match format {
            FieldFormat::Binary => binary::encode_with_length(value, &col.data_type, &mut buf)?,
            FieldFormat::Text => match text::to_text_styled(value, style) {
                None => buf.put_i32(-1),
                Some(s) => {
                    let len = i32::try_from(s.len()).map_err(|_| {
                        helios_common::Error::new(
                            helios_common::SqlState::PROGRAM_LIMIT_EXCEEDED,
                            "value too large to send",
                        )
                    })?;
                    buf.put_i32(len);
                    buf.put_slice(s.as_bytes());
                }
            },
        }
    }
    let count = i16::try_from(row.len()).map_err(|_| {
        helios_common::Error::new(
            helios_common::SqlState::PROGRAM_LIMIT_EXCEEDED,
            "too many columns",
        )
    })?;
    Ok(DataRow::new(buf, count))
}

/// Expands the format codes of a `Bind` to one format per column: none means all text,
/// one applies to all, otherwise there must be exactly one per column.
pub fn expand_formats(codes: &[i16], n: usize) -> std::result::Result<Arc<[FieldFormat]>, String> {
    let fmt = |c: i16| match c {
        0 => Ok(FieldFormat::Text),
        1 => Ok(FieldFormat::Binary),
        other => Err(format!("unsupported format code: {other}")),
    };
    match codes.len() {
        0 => Ok(vec![FieldFormat::Text; n].into()),
        1 => Ok(vec![fmt(codes[0])?; n].into()),
        len if len == n => codes
            .iter()
            .map(|c| fmt(*c))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map(Into::into),
        len => Err(format!("bind message has {len} result formats but query has {n} columns")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_expand_or_fail() {
        assert_eq!(expand_formats(&[], 2).unwrap().len(), 2);
        assert_eq!(expand_formats(&[1], 3).unwrap()[2], FieldFormat::Binary);
        assert!(expand_formats(&[0, 1], 3).is_err());
        assert!(expand_formats(&[7], 1).is_err());
    }

    #[test]
    fn modifiers_follow_postgres() {
        assert_eq!(type_modifier(&DataType::Varchar(Some(20))), 24);
        assert_eq!(type_modifier(&DataType::Numeric(Some((18, 4)))), ((18 << 16) | 4) + 4);
        assert_eq!(type_modifier(&DataType::Text), -1);
        assert_eq!(type_size(&DataType::Int8), 8);
    }

    #[test]
    fn data_rows_mix_formats() {
        let cols = vec![
            Column { name: "a".into(), data_type: DataType::Int4 },
            Column { name: "b".into(), data_type: DataType::Text },
        ];
        let row = data_row(
            &[Value::Int4(7), Value::Null],
            &cols,
            &[FieldFormat::Binary, FieldFormat::Text],
            &crate::text::OutputStyle::default(),
        )
        .unwrap();
        assert_eq!(row.field_count, 2);
        assert_eq!(row.data.to_vec(), [0, 0, 0, 4, 0, 0, 0, 7, 0xff, 0xff, 0xff, 0xff]);
    }
}
