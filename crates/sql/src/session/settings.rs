//! Run-time settings (`SET`, `SHOW`, `RESET`) with PostgreSQL's names and defaults.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use helios_common::{Error, Result, SqlState};

use super::planner_settings::invalid;
use crate::expr::SessionInfo;

/// Settings every session knows, with their defaults (names are lower case).
const DEFAULTS: &[(&str, &str)] = &[
    ("application_name", ""),
    // Function bodies are checked when they run, whatever this says (see sql-engine.md).
    ("check_function_bodies", "on"),
    ("client_encoding", "UTF8"),
    ("client_min_messages", "notice"),
    ("datestyle", "ISO, MDY"),
    ("default_table_access_method", "heap"),
    ("default_tablespace", ""),
    ("default_text_search_config", "pg_catalog.english"),
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
    ("password_encryption", "scram-sha-256"),
    ("max_identifier_length", "63"),
    ("role", "none"),
    ("row_security", "on"),
    ("search_path", "\"$user\", public"),
    ("server_encoding", "UTF8"),
    ("session_authorization", "postgres"),
    ("server_version", "16.0"),
    ("server_version_num", "160000"),
    ("standard_conforming_strings", "on"),
    ("statement_timeout", "0"),
    ("timezone", "UTC"),
    ("transaction_isolation", "read committed"),
    ("transaction_read_only", "off"),
    ("xmloption", "content"),
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
    /// Shared between clones until one changes (a transaction keeps a clone to restore on
    /// rollback: taking it costs a reference count, not a copy of every setting).
    values: Arc<BTreeMap<String, String>>,
    /// The [`SessionInfo`] built from `values`, kept until a value changes (building it
    /// clones every setting, too much to do for each statement).
    info: OnceLock<Arc<SessionInfo>>,
    /// The settings every statement reads, parsed once per change of the settings.
    statement: OnceLock<StatementSettings>,
    /// The session's temporary schema (`pg_temp_N`), once it has one.
    temp_schema: Option<String>,
    /// The database name the client connected to (`current_database()`).
    database: Option<String>,
    /// Values given when the session started (a client's startup parameters), which
    /// `RESET` restores instead of the built-in defaults, as in PostgreSQL.
    session_defaults: Arc<BTreeMap<String, String>>,
    /// Identifies these values: a new number, unique in the process, at every change, so
    /// a clone restored later (a rolled-back `SET LOCAL`) keeps the number of the values
    /// it holds, and equal numbers mean equal values ([`Settings::generation`]).
    generation: u64,
}

/// A number no other settings state of the process has had.
fn next_generation() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            values: Arc::new(
                DEFAULTS
                    .iter()
                    .copied()
                    .chain(super::planner_settings::defaults())
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            info: OnceLock::new(),
            statement: OnceLock::new(),
            temp_schema: None,
            database: None,
            session_defaults: Arc::default(),
            generation: next_generation(),
        }
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
        let value = match key.as_str() {
            "datestyle" => {
                let current = helios_types::DateStyle::from_settings(
                    self.values.get("datestyle").map(String::as_str),
                    None,
                );
                helios_types::text::style::apply_datestyle(value, current)
                    .map_err(helios_common::Error::from)?
                    .datestyle_text()
            }
            _ => normalize(&key, value)?,
        };
        if self.values.get(&key) != Some(&value) {
            Arc::make_mut(&mut self.values).insert(key, value);
            self.changed();
        }
        Ok(())
    }

    /// Sets a read-only setting the session itself maintains (`is_superuser`).
    pub(super) fn set_internal(&mut self, name: &str, value: &str) {
        if self.values.get(name).map(String::as_str) != Some(value) {
            Arc::make_mut(&mut self.values).insert(name.to_string(), value.to_string());
            self.changed();
        }
    }

    /// Changes a setting and makes the new value the one `RESET` restores (a startup
    /// parameter of the connection).
    pub fn set_session_default(&mut self, name: &str, value: &str) -> Result<()> {
        self.set(name, value)?;
        let key = name.to_ascii_lowercase();
        if let Some(v) = self.values.get(&key).cloned() {
            Arc::make_mut(&mut self.session_defaults).insert(key, v);
        }
        Ok(())
    }

    /// Restores the default (`RESET name`).
    pub fn reset(&mut self, name: &str) -> Result<()> {
        let key = name.to_ascii_lowercase();
        if let Some(v) = self.session_defaults.get(&key).cloned() {
            Arc::make_mut(&mut self.values).insert(key, v);
            self.changed();
            return Ok(());
        }
        match DEFAULTS
            .iter()
            .copied()
            .chain(super::planner_settings::defaults())
            .find(|(k, _)| *k == key)
        {
            Some((_, v)) => {
                Arc::make_mut(&mut self.values).insert(key, v.to_string());
                self.changed();
                Ok(())
            }
            None if key.contains('.') => {
                Arc::make_mut(&mut self.values).remove(&key);
                self.changed();
                Ok(())
            }
            None => Err(unrecognized(&key)),
        }
    }

    /// Restores every default (`RESET ALL`); like PostgreSQL, the session user
    /// (`session_authorization`) and the current role (`role`) stay.
    pub fn reset_all(&mut self) {
        let kept: Vec<(&str, Option<String>)> =
            ["session_authorization", "role"].into_iter().map(|k| (k, self.get(k))).collect();
        let temp_schema = self.temp_schema.take();
        let database = self.database.take();
        let session_defaults = std::mem::take(&mut self.session_defaults);
        *self = Settings { temp_schema, database, ..Settings::default() };
        for (k, v) in session_defaults.iter() {
            Arc::make_mut(&mut self.values).insert(k.clone(), v.clone());
        }
        self.session_defaults = session_defaults;
        for (k, v) in kept {
            if let Some(v) = v {
                Arc::make_mut(&mut self.values).insert(k.into(), v);
            }
        }
        self.changed();
    }

    /// Puts back a value a transaction saved (`None`: the setting did not exist).
    pub(super) fn restore(&mut self, name: &str, value: Option<String>) {
        if self.values.get(name) == value.as_ref() {
            return;
        }
        let values = Arc::make_mut(&mut self.values);
        match value {
            Some(v) => values.insert(name.to_string(), v),
            None => values.remove(name),
        };
        self.changed();
    }

    /// Forgets what was derived from the values (they changed).
    fn changed(&mut self) {
        self.info = OnceLock::new();
        self.statement = OnceLock::new();
        self.generation = next_generation();
    }

    /// A number that changes whenever the values do (and only then, or when an earlier
    /// state is restored): a server reports changed settings to its client only after a
    /// statement that moved it, instead of comparing every reported value each time.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The settings every statement reads (timeouts, transaction defaults), parsed once
    /// per change of the settings instead of looked up by name for each statement.
    pub(crate) fn statement(&self) -> &StatementSettings {
        self.statement.get_or_init(|| {
            let timeout = |key: &str| match self.values.get(key) {
                Some(v) if v != "0" => timeout_setting(key, v),
                _ => Ok(None),
            };
            StatementSettings {
                statement_timeout: timeout("statement_timeout"),
                lock_timeout: timeout("lock_timeout"),
                repeatable_read: self
                    .values
                    .get("default_transaction_isolation")
                    .is_some_and(|v| v == "repeatable read"),
                read_only: self
                    .values
                    .get("default_transaction_read_only")
                    .is_some_and(|v| v == "on"),
            }
        })
    }

    /// All settings, by name.
    pub fn all(&self) -> &BTreeMap<String, String> {
        &self.values
    }

    /// The session facts expressions read, built by `build` once per change of the
    /// settings and shared afterwards.
    pub(crate) fn session_info(&self, build: impl FnOnce() -> SessionInfo) -> Arc<SessionInfo> {
        self.info.get_or_init(|| Arc::new(build())).clone()
    }

    /// The schemas searched for relation names: those of `search_path` (`$user` removed,
    /// quotes stripped), with the session's temporary schema where `pg_temp` is listed,
    /// or first when it is not (as in PostgreSQL).
    pub fn search_path(&self) -> Vec<String> {
        let listed = self
            .get("search_path")
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().trim_matches('"').to_string())
            .filter(|s| !s.is_empty() && s != "$user")
            .collect::<Vec<_>>();
        let temp = self.temp_schema.as_deref();
        let mut path = Vec::with_capacity(listed.len() + 1);
        if let Some(t) = temp.filter(|_| !listed.iter().any(|s| s == "pg_temp")) {
            path.push(t.to_string());
        }
        for s in listed {
            match (s.as_str(), temp) {
                ("pg_temp", Some(t)) => path.push(t.to_string()),
                ("pg_temp", None) => {}
                _ => path.push(s),
            }
        }
        path
    }

    /// The database name the client connected to, when one was given.
    pub fn database(&self) -> Option<&str> {
        self.database.as_deref()
    }

    /// Records the database name the client connected to.
    pub fn set_database(&mut self, name: &str) {
        self.database = Some(name.to_string());
        self.changed();
    }

    /// The session's temporary schema, once it has one.
    pub fn temp_schema(&self) -> Option<&str> {
        self.temp_schema.as_deref()
    }

    /// Names the session's temporary schema (searched first from now on).
    pub fn set_temp_schema(&mut self, name: String) {
        self.temp_schema = Some(name);
        self.changed();
    }
}

/// The settings read by every statement, parsed (see [`Settings::statement`]).
#[derive(Debug, Clone)]
pub(crate) struct StatementSettings {
    /// `statement_timeout`; `None` when statements may run without limit.
    pub statement_timeout: Result<Option<std::time::Duration>>,
    /// `lock_timeout`; `None` when lock waits have no limit.
    pub lock_timeout: Result<Option<std::time::Duration>>,
    /// `default_transaction_isolation` is `repeatable read` (else READ COMMITTED).
    pub repeatable_read: bool,
    /// `default_transaction_read_only` is on.
    pub read_only: bool,
}

fn unrecognized(name: &str) -> Error {
    Error::new(
        SqlState::UNDEFINED_OBJECT,
        format!("unrecognized configuration parameter \"{name}\""),
    )
}

fn normalize(key: &str, value: &str) -> Result<String> {
    if let Some(v) = super::planner_settings::normalize(key, value) {
        return v;
    }
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
                _ => Err(invalid(key, value)),
            }
        }
        "password_encryption" => match value.to_ascii_lowercase().as_str() {
            v @ ("md5" | "scram-sha-256") => Ok(v.to_string()),
            _ => Err(invalid(key, value).with_hint("Available values: md5, scram-sha-256.")),
        },
        "lock_timeout" | "statement_timeout" => {
            timeout_setting(key, value)?;
            Ok(value.trim().to_string())
        }
        "intervalstyle" => helios_types::text::style::parse_intervalstyle(value)
            .map(|s| helios_types::text::style::intervalstyle_text(s).to_string())
            .map_err(|_| {
                invalid(key, value).with_hint(
                    "Available values: postgres, postgres_verbose, sql_standard, iso_8601.",
                )
            }),
        "timezone" => helios_types::TimeZone::setting_text(value),
        "row_security" | "check_function_bodies" => {
            super::planner_settings::bool_setting(key, value)
        }
        "xmloption" => match value.trim().to_ascii_lowercase().as_str() {
            v @ ("content" | "document") => Ok(v.to_string()),
            _ => Err(invalid(key, value).with_hint("Available values: content, document.")),
        },
        // One storage: the default tablespace and the heap access method.
        "default_tablespace" | "default_table_access_method" => {
            let (ok, what): (&[&str], &str) = if key == "default_tablespace" {
                (&["", "pg_default"], "Tablespace")
            } else {
                (&["heap"], "Table access method")
            };
            let v = value.trim();
            if ok.contains(&v) {
                Ok(v.to_string())
            } else {
                Err(invalid(key, value).with_detail(format!("{what} \"{v}\" does not exist.")))
            }
        }
        _ => Ok(value.to_string()),
    }
}

/// A timeout setting (`lock_timeout`, `statement_timeout`): a number of milliseconds or a
/// number with a unit (`us`, `ms`, `s`, `min`, `h`, `d`); `None` for 0 (no limit).
pub(crate) fn timeout_setting(key: &str, value: &str) -> Result<Option<std::time::Duration>> {
    if value == "0" {
        return Ok(None);
    }
    let v = value.trim().trim_matches('\'').trim();
    if v.is_empty() {
        return Ok(None);
    }
    let split = v.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let invalid = || {
        invalid(key, value).with_hint(
            "Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\".",
        )
    };
    let n: f64 = num.parse().map_err(|_| invalid())?;
    let ms_per = match unit.trim() {
        "" | "ms" => 1.0,
        "us" => 0.001,
        "s" => 1000.0,
        "min" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        _ => return Err(invalid()),
    };
    let ms = n * ms_per;
    if !ms.is_finite() || ms < 0.0 || ms > f64::from(i32::MAX) {
        return Err(invalid());
    }
    if ms == 0.0 {
        return Ok(None);
    }
    Ok(Some(std::time::Duration::from_secs_f64(ms / 1000.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_settings_parse_postgres_units() {
        use std::time::Duration;
        let t = |v: &str| timeout_setting("lock_timeout", v);
        assert_eq!(t("0").unwrap(), None);
        assert_eq!(t("0ms").unwrap(), None);
        assert_eq!(t("250").unwrap(), Some(Duration::from_millis(250)));
        assert_eq!(t("50ms").unwrap(), Some(Duration::from_millis(50)));
        assert_eq!(t("2s").unwrap(), Some(Duration::from_secs(2)));
        assert_eq!(t("'1min'").unwrap(), Some(Duration::from_secs(60)));
        for bad in ["soon", "5 parsecs", "-1", "1e99"] {
            let e = t(bad).unwrap_err();
            assert_eq!(e.sqlstate().code(), "22023", "{bad}");
        }
        let mut s = Settings::default();
        assert_eq!(s.set("lock_timeout", "x").unwrap_err().sqlstate().code(), "22023");
        s.set("lock_timeout", "10ms").unwrap();
        assert_eq!(s.get("lock_timeout").as_deref(), Some("10ms"));
    }

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

    #[test]
    fn statement_settings_follow_every_change() {
        use std::time::Duration;
        let mut s = Settings::default();
        let st = s.statement().clone();
        assert_eq!(st.statement_timeout.unwrap(), None);
        assert_eq!(st.lock_timeout.unwrap(), None);
        assert!(!st.repeatable_read && !st.read_only);
        s.set("statement_timeout", "2s").unwrap();
        s.set("lock_timeout", "15").unwrap();
        s.set("default_transaction_isolation", "repeatable read").unwrap();
        s.set("default_transaction_read_only", "on").unwrap();
        let st = s.statement().clone();
        assert_eq!(st.statement_timeout.unwrap(), Some(Duration::from_secs(2)));
        assert_eq!(st.lock_timeout.unwrap(), Some(Duration::from_millis(15)));
        assert!(st.repeatable_read && st.read_only);
        s.reset("statement_timeout").unwrap();
        assert_eq!(s.statement().statement_timeout.clone().unwrap(), None);
        assert_eq!(s.statement().lock_timeout.clone().unwrap(), Some(Duration::from_millis(15)));
        s.reset_all();
        let st = s.statement().clone();
        assert_eq!(st.lock_timeout.unwrap(), None);
        assert!(!st.repeatable_read && !st.read_only);
    }
}
