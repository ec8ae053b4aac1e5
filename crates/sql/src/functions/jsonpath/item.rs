//! The items a path evaluation produces: JSON values (borrowed from the documents
//! where possible) and the date/time values `.datetime()` makes, which are not JSON.

use std::borrow::Cow;
use std::str::FromStr;

use bigdecimal::BigDecimal;
use helios_common::{Error, SqlState};
use helios_types::text::numeric::format_decimal;
use serde_json::{Number, Value as Json};

/// A date/time item produced by `.datetime()`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DateTime {
    /// `date`: days since 2000-01-01.
    Date(i32),
    /// `time`: microseconds since midnight.
    Time(i64),
    /// `timetz`: local microseconds since midnight and the UTC offset in seconds (east
    /// positive).
    TimeTz(i64, i32),
    /// `timestamp`: microseconds since 2000-01-01.
    Timestamp(i64),
    /// `timestamptz`: UTC microseconds since 2000-01-01 and the offset it was written
    /// with, in seconds east (for output).
    TimestampTz(i64, i32),
}

impl DateTime {
    /// The SQL type name `.type()` reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            DateTime::Date(_) => "date",
            DateTime::Time(_) => "time without time zone",
            DateTime::TimeTz(..) => "time with time zone",
            DateTime::Timestamp(_) => "timestamp without time zone",
            DateTime::TimestampTz(..) => "timestamp with time zone",
        }
    }
}

/// One item of a path's result sequence.
#[derive(Clone, Debug)]
pub enum Item<'a> {
    /// A JSON value.
    Json(Cow<'a, Json>),
    /// A date/time value.
    DateTime(DateTime),
}

impl<'a> Item<'a> {
    /// A borrowed JSON value.
    pub fn of(j: &'a Json) -> Item<'a> {
        Item::Json(Cow::Borrowed(j))
    }

    /// An owned JSON value.
    pub fn owned(j: Json) -> Item<'a> {
        Item::Json(Cow::Owned(j))
    }

    /// A number item.
    pub fn number(d: &BigDecimal) -> Item<'a> {
        Item::owned(number_json(d))
    }

    /// The JSON value, if this is one.
    pub fn json(&self) -> Option<&Json> {
        match self {
            Item::Json(j) => Some(j),
            Item::DateTime(_) => None,
        }
    }

    /// Whether the item is a JSON array.
    pub fn is_array(&self) -> bool {
        matches!(self.json(), Some(Json::Array(_)))
    }

    /// Whether the item is a JSON object.
    pub fn is_object(&self) -> bool {
        matches!(self.json(), Some(Json::Object(_)))
    }

    /// The number, if the item is a JSON number.
    pub fn as_number(&self) -> Option<BigDecimal> {
        match self.json() {
            Some(Json::Number(n)) => BigDecimal::from_str(&n.to_string()).ok(),
            _ => None,
        }
    }

    /// The string, if the item is a JSON string.
    pub fn as_str(&self) -> Option<&str> {
        match self.json() {
            Some(Json::String(s)) => Some(s),
            _ => None,
        }
    }

    /// The elements of an array item (borrowed when the array is).
    pub fn elements(&self) -> Vec<Item<'a>> {
        match self {
            Item::Json(Cow::Borrowed(Json::Array(items))) => items.iter().map(Item::of).collect(),
            Item::Json(Cow::Owned(Json::Array(items))) => {
                items.iter().map(|j| Item::owned(j.clone())).collect()
            }
            _ => Vec::new(),
        }
    }

    /// The member values of an object item in `jsonb` key order.
    pub fn members(&self) -> Vec<(String, Item<'a>)> {
        match self {
            Item::Json(Cow::Borrowed(Json::Object(map))) => {
                helios_types::text::json::sorted_entries(map)
                    .into_iter()
                    .map(|(k, v)| (k.clone(), Item::of(v)))
                    .collect()
            }
            Item::Json(Cow::Owned(Json::Object(map))) => {
                helios_types::text::json::sorted_entries(map)
                    .into_iter()
                    .map(|(k, v)| (k.clone(), Item::owned(v.clone())))
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// The member `key` of an object item.
    pub fn member(&self, key: &str) -> Option<Item<'a>> {
        match self {
            Item::Json(Cow::Borrowed(Json::Object(map))) => map.get(key).map(Item::of),
            Item::Json(Cow::Owned(Json::Object(map))) => {
                map.get(key).map(|v| Item::owned(v.clone()))
            }
            _ => None,
        }
    }

    /// The `.type()` name of the item.
    pub fn type_name(&self) -> &'static str {
        match self {
            Item::Json(j) => match &**j {
                Json::Null => "null",
                Json::Bool(_) => "boolean",
                Json::Number(_) => "number",
                Json::String(_) => "string",
                Json::Array(_) => "array",
                Json::Object(_) => "object",
            },
            Item::DateTime(d) => d.type_name(),
        }
    }
}

/// A JSON number holding `d` as PostgreSQL's `numeric` prints it.
pub fn number_json(d: &BigDecimal) -> Json {
    match Number::from_str(&format_decimal(d)) {
        Ok(n) => Json::Number(n),
        Err(_) => Json::Null,
    }
}

/// `22033 invalid SQL/JSON subscript`
pub const INVALID_SUBSCRIPT: SqlState = SqlState::from_code("22033");
/// `22036 non-numeric SQL/JSON item`
pub const NON_NUMERIC_ITEM: SqlState = SqlState::from_code("22036");
/// `22038 singleton SQL/JSON item required`
pub const SINGLETON_REQUIRED: SqlState = SqlState::from_code("22038");
/// `22039 SQL/JSON array not found`
pub const ARRAY_NOT_FOUND: SqlState = SqlState::from_code("22039");
/// `2203A SQL/JSON member not found`
pub const MEMBER_NOT_FOUND: SqlState = SqlState::from_code("2203A");
/// `2203B SQL/JSON number not found`
pub const NUMBER_NOT_FOUND: SqlState = SqlState::from_code("2203B");
/// `2203C SQL/JSON object not found`
pub const OBJECT_NOT_FOUND: SqlState = SqlState::from_code("2203C");
/// `2203F SQL/JSON scalar required`
pub const SCALAR_REQUIRED: SqlState = SqlState::from_code("2203F");
/// `22031 invalid argument for SQL/JSON datetime function`
pub const INVALID_DATETIME_ARGUMENT: SqlState = SqlState::from_code("22031");

/// A soft error: suppressed by `silent`, *unknown* inside predicates.
pub fn soft(state: SqlState, message: impl Into<String>) -> Fail {
    Fail::Soft(Error::new(state, message))
}

/// Why evaluation stopped.
#[derive(Debug)]
pub enum Fail {
    /// An SQL/JSON error the `silent` argument suppresses and predicates turn into
    /// *unknown* (PostgreSQL's `RETURN_ERROR`).
    Soft(Error),
    /// An error that always propagates (a missing variable, a bad regular expression).
    Hard(Error),
}

impl Fail {
    /// The error to report.
    pub fn into_error(self) -> Error {
        match self {
            Fail::Soft(e) | Fail::Hard(e) => e,
        }
    }
}
