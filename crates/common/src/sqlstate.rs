//! PostgreSQL error codes (SQLSTATE, Appendix A of the PostgreSQL manual).
//!
//! A [`SqlState`] is the five-character code itself; the constants name the codes the
//! project raises. Clients match on these codes, so use the one PostgreSQL would use.

use std::fmt;

/// A five-character SQLSTATE code such as `23505`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SqlState([u8; 5]);

macro_rules! sqlstates {
    ($($name:ident = $code:literal;)*) => {
        impl SqlState {
            $(
                #[doc = concat!("SQLSTATE `", $code, "`.")]
                pub const $name: SqlState = SqlState::from_code($code);
            )*
        }
    };
}

sqlstates! {
    SUCCESSFUL_COMPLETION = "00000";
    WARNING = "01000";
    NO_DATA = "02000";
    CONNECTION_EXCEPTION = "08000";
    CONNECTION_FAILURE = "08006";
    PROTOCOL_VIOLATION = "08P01";
    FEATURE_NOT_SUPPORTED = "0A000";
    INVALID_TRANSACTION_INITIATION = "0B000";
    CARDINALITY_VIOLATION = "21000";
    DATA_EXCEPTION = "22000";
    STRING_DATA_RIGHT_TRUNCATION = "22001";
    NULL_VALUE_NOT_ALLOWED = "22004";
    NUMERIC_VALUE_OUT_OF_RANGE = "22003";
    INVALID_DATETIME_FORMAT = "22007";
    DATETIME_FIELD_OVERFLOW = "22008";
    INVALID_TIME_ZONE_DISPLACEMENT_VALUE = "22009";
    INVALID_PARAMETER_VALUE = "22023";
    ZERO_LENGTH_CHARACTER_STRING = "2200F";
    ARRAY_SUBSCRIPT_ERROR = "2202E";
    DIVISION_BY_ZERO = "22012";
    INVALID_ESCAPE_SEQUENCE = "22025";
    INVALID_REGULAR_EXPRESSION = "2201B";
    INVALID_ROW_COUNT_IN_LIMIT_CLAUSE = "2201W";
    INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE = "2201X";
    INVALID_TEXT_REPRESENTATION = "22P02";
    INVALID_BINARY_REPRESENTATION = "22P03";
    UNTRANSLATABLE_CHARACTER = "22P05";
    INVALID_JSON_TEXT = "22032";
    DATA_CORRUPTED = "XX001";
    INDEX_CORRUPTED = "XX002";
    INTEGRITY_CONSTRAINT_VIOLATION = "23000";
    RESTRICT_VIOLATION = "23001";
    NOT_NULL_VIOLATION = "23502";
    FOREIGN_KEY_VIOLATION = "23503";
    UNIQUE_VIOLATION = "23505";
    CHECK_VIOLATION = "23514";
    INVALID_CURSOR_STATE = "24000";
    INVALID_TRANSACTION_STATE = "25000";
    ACTIVE_SQL_TRANSACTION = "25001";
    NO_ACTIVE_SQL_TRANSACTION = "25P01";
    IN_FAILED_SQL_TRANSACTION = "25P02";
    READ_ONLY_SQL_TRANSACTION = "25006";
    INVALID_SQL_STATEMENT_NAME = "26000";
    INVALID_AUTHORIZATION_SPECIFICATION = "28000";
    INVALID_PASSWORD = "28P01";
    INVALID_CATALOG_NAME = "3D000";
    INVALID_CURSOR_NAME = "34000";
    INVALID_SCHEMA_NAME = "3F000";
    TRANSACTION_ROLLBACK = "40000";
    SERIALIZATION_FAILURE = "40001";
    DEADLOCK_DETECTED = "40P01";
    SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION = "42000";
    SYNTAX_ERROR = "42601";
    INSUFFICIENT_PRIVILEGE = "42501";
    WRONG_OBJECT_TYPE = "42809";
    UNDEFINED_COLUMN = "42703";
    UNDEFINED_FUNCTION = "42883";
    UNDEFINED_TABLE = "42P01";
    UNDEFINED_PARAMETER = "42P02";
    UNDEFINED_OBJECT = "42704";
    DUPLICATE_COLUMN = "42701";
    DUPLICATE_DATABASE = "42P04";
    DUPLICATE_FUNCTION = "42723";
    DUPLICATE_PREPARED_STATEMENT = "42P05";
    DUPLICATE_SCHEMA = "42P06";
    DUPLICATE_TABLE = "42P07";
    DUPLICATE_ALIAS = "42712";
    DUPLICATE_OBJECT = "42710";
    AMBIGUOUS_COLUMN = "42702";
    AMBIGUOUS_FUNCTION = "42725";
    AMBIGUOUS_PARAMETER = "42P08";
    AMBIGUOUS_ALIAS = "42P09";
    INVALID_COLUMN_REFERENCE = "42P10";
    INVALID_COLUMN_DEFINITION = "42611";
    INVALID_TABLE_DEFINITION = "42P16";
    RESERVED_NAME = "42939";
    INVALID_FOREIGN_KEY = "42830";
    INVALID_NAME = "42602";
    NAME_TOO_LONG = "42622";
    DATATYPE_MISMATCH = "42804";
    INDETERMINATE_DATATYPE = "42P18";
    COLLATION_MISMATCH = "42P21";
    WRONG_OBJECT_TYPE_OR_GROUPING = "42803";
    WINDOWING_ERROR = "42P20";
    INVALID_RECURSION = "42P19";
    CANNOT_COERCE = "42846";
    UNDEFINED_DATABASE = "3D000";
    DEPENDENT_OBJECTS_STILL_EXIST = "2BP01";
    OBJECT_NOT_IN_PREREQUISITE_STATE = "55000";
    OBJECT_IN_USE = "55006";
    INVALID_GRANT_OPERATION = "0LP01";
    LOCK_NOT_AVAILABLE = "55P03";
    SNAPSHOT_TOO_OLD = "72000";
    INSUFFICIENT_RESOURCES = "53000";
    DISK_FULL = "53100";
    OUT_OF_MEMORY = "53200";
    TOO_MANY_CONNECTIONS = "53300";
    PROGRAM_LIMIT_EXCEEDED = "54000";
    STATEMENT_TOO_COMPLEX = "54001";
    QUERY_CANCELED = "57014";
    ADMIN_SHUTDOWN = "57P01";
    CANNOT_CONNECT_NOW = "57P03";
    SYSTEM_ERROR = "58000";
    IO_ERROR = "58030";
    CONFIG_FILE_ERROR = "F0000";
    INTERNAL_ERROR = "XX000";
}

impl SqlState {
    /// Builds a code from its five ASCII characters.
    ///
    /// # Panics
    /// At compile time (it is used in constants) when `code` is not five ASCII
    /// digits or uppercase letters.
    pub const fn from_code(code: &str) -> SqlState {
        let b = code.as_bytes();
        assert!(b.len() == 5, "a SQLSTATE has five characters");
        let mut i = 0;
        while i < 5 {
            assert!(b[i].is_ascii_digit() || b[i].is_ascii_uppercase(), "bad SQLSTATE character");
            i += 1;
        }
        SqlState([b[0], b[1], b[2], b[3], b[4]])
    }

    /// The code as text, e.g. `"40001"`.
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.0).expect("SqlState holds ASCII by construction")
    }

    /// The two-character class, e.g. `"40"` for transaction rollback.
    pub fn class(&self) -> &str {
        &self.code()[..2]
    }
}

impl fmt::Display for SqlState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for SqlState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SqlState({})", self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_classes() {
        assert_eq!(SqlState::SERIALIZATION_FAILURE.code(), "40001");
        assert_eq!(SqlState::UNIQUE_VIOLATION.class(), "23");
        assert_eq!(SqlState::from_code("22P02"), SqlState::INVALID_TEXT_REPRESENTATION);
    }
}
