//! Run-time settings (`SET`, `SHOW`, `RESET`) with PostgreSQL's names and defaults.

use std::collections::BTreeMap;

use helios_common::{Error, Result, SqlState};

/// Settings every session knows, with their defaults (names are lower case).
const DEFAULTS: &[(&str, &str)] = &[
    ("application_name", ""),
    ("client_encoding", "UTF8"),
    ("client_min_messages", "notice"),
    ("datestyle", "ISO, MDY"),
    ("default_transaction_isolation", "read committed"),
    ("default_transaction_read_only", "off"),
    ("extra_float_digits", "1"),
    ("helios.branch", "main"),
    ("helios.hnsw_rerank", "0"),
    ("hnsw.ef_search", "40"),
    ("idle_in_transaction_session_timeout", "0"),
    ("integer_datetimes", "on"),
    ("intervalstyle", "postgres"),
    ("is_superuser", "on"),
    ("lc_collate", "C"),
    ("lc_ctype", "C"),
    ("lock_timeout", "0"),
    ("max_identifier_length", "63"),
    ("search_path", "\"$user\", public"),
    ("server_encoding", "UTF8"),
    ("server_version", "16.0"),
    ("server_version_num", "160000"),
    ("standard_conforming_strings", "on"),
    ("statement_timeout", "0"),
    ("timezone", "UTC"),
    ("transaction_isolation", "read committed"),
    ("transaction_read_only", "off"),
];

/// Settings that cannot be changed by SET.
const READ_ONLY: &[&str] = &[
    "integer_datetimes",
    "is_superuser",
    "lc_collate",
    "lc_ctype",
    "max_identifier_length",
    "server_encoding",
    "server_version",
    "server_version_num",
];

/// The settings of one session.
#[derive(Debug, Clone)]
pub struct Settings {
    values: BTreeMap<String, String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { values: DEFAULTS.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() }
    }
}

impl Settings {
    /// The current value (`SHOW`); names are case-insensitive.
    pub fn get(&self, name: &str) -> Option<String> {
        self.values.get(&name.to_ascii_lowercase()).cloned()
    }

    /// Changes a setting (`SET name = value`). Unknown names without a dot are 42704,
    /// as in PostgreSQL; dotted names are custom settings.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        let key = name.to_ascii_lowercase();
        if READ_ONLY.contains(&key.as_str()) {
            return Err(Error::new(
                SqlState::from_code("55P02"),
                format!("parameter \"{key}\" cannot be changed"),
            ));
        }
        if !self.values.contains_key(&key) && !key.contains('.') {
            return Err(unrecognized(&key));
        }
        let value = normalize(&key, value)?;
        self.values.insert(key, value);
        Ok(())
    }

    /// Restores the default (`RESET name`).
    pub fn reset(&mut self, name: &str) -> Result<()> {
        let key = name.to_ascii_lowercase();
        match DEFAULTS.iter().find(|(k, _)| *k == key) {
            Some((_, v)) => {
                self.values.insert(key, v.to_string());
                Ok(())
            }
            None if key.contains('.') => {
                self.values.remove(&key);
                Ok(())
            }
            None => Err(unrecognized(&key)),
        }
    }

    /// Restores every default (`RESET ALL`).
    pub fn reset_all(&mut self) {
        *self = Settings::default();
    }

    /// All settings, by name.
    pub fn all(&self) -> &BTreeMap<String, String> {
        &self.values
    }

    /// The schemas of `search_path`, `$user` removed and quotes stripped.
    pub fn search_path(&self) -> Vec<String> {
        self.get("search_path")
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().trim_matches('"').to_string())
            .filter(|s| !s.is_empty() && s != "$user")
            .collect()
    }
}

fn unrecognized(name: &str) -> Error {
    Error::new(
        SqlState::UNDEFINED_OBJECT,
        format!("unrecognized configuration parameter \"{name}\""),
    )
}

fn normalize(key: &str, value: &str) -> Result<String> {
    match key {
        "hnsw.ef_search" => crate::exec::vector_index::check_ef_search(value),
        "helios.hnsw_rerank" => crate::exec::vector_index::check_rerank(value),
        "transaction_isolation" | "default_transaction_isolation" => {
            let v = value.to_ascii_lowercase();
            match v.as_str() {
                "read committed" | "repeatable read" => Ok(v),
                "read uncommitted" => Ok("read committed".into()),
                "serializable" => Err(Error::new(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    "SERIALIZABLE isolation is not supported yet; use REPEATABLE READ or READ COMMITTED",
                )),
                _ => Err(Error::new(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!("invalid value for parameter \"{key}\": \"{value}\""),
                )),
            }
        }
        "timezone" => {
            let upper = value.to_ascii_uppercase();
            if upper == "UTC" || upper == "GMT" || upper == "Z" {
                Ok("UTC".into())
            } else {
                Ok(value.to_string())
            }
        }
        _ => Ok(value.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_show_reset() {
        let mut s = Settings::default();
        assert_eq!(s.get("TimeZone").as_deref(), Some("UTC"));
        s.set("application_name", "x").unwrap();
        assert_eq!(s.get("application_name").as_deref(), Some("x"));
        s.reset("application_name").unwrap();
        assert_eq!(s.get("application_name").as_deref(), Some(""));
        assert_eq!(s.set("nope", "1").unwrap_err().sqlstate(), SqlState::UNDEFINED_OBJECT);
        s.set("app.tenant", "7").unwrap();
        assert_eq!(s.get("app.tenant").as_deref(), Some("7"));
        assert_eq!(
            s.set("transaction_isolation", "serializable").unwrap_err().sqlstate(),
            SqlState::FEATURE_NOT_SUPPORTED
        );
        assert_eq!(s.search_path(), vec!["public".to_string()]);
    }
}
