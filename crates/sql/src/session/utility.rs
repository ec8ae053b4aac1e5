//! Statements that need no transaction: SET, SHOW, RESET, PREPARE, DEALLOCATE.

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};
use sqlparser::ast;

use super::prepared::Prepared;
use super::{Column, QueryResult, Session, StatementResult};
use crate::parser::{ident_name, Statement};

/// The name PostgreSQL shows as the column of `SHOW name`.
fn canonical_name(name: &str) -> String {
    match name {
        "timezone" => "TimeZone".into(),
        "datestyle" => "DateStyle".into(),
        "intervalstyle" => "IntervalStyle".into(),
        other => other.to_string(),
    }
}

/// The text of a SET value: identifiers and strings as written, numbers as text.
fn set_value_text(e: &ast::Expr) -> Result<String> {
    match e {
        ast::Expr::Value(v) => Ok(match &v.value {
            ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => s.clone(),
            ast::Value::Number(n, _) => n.clone(),
            ast::Value::Boolean(b) => {
                if *b {
                    "on".into()
                } else {
                    "off".into()
                }
            }
            other => other.to_string(),
        }),
        ast::Expr::Identifier(id) => Ok(id.value.clone()),
        ast::Expr::UnaryOp { op: ast::UnaryOperator::Minus, expr } => {
            Ok(format!("-{}", set_value_text(expr)?))
        }
        other => Ok(other.to_string()),
    }
}

/// The setting text of `SET TIME ZONE <value>`; `None` for `LOCAL` / `DEFAULT` (the
/// default zone). An interval is an offset east of UTC in hours and minutes, as in
/// PostgreSQL (`INTERVAL '-08:00' HOUR TO MINUTE`), and may hold neither days nor months.
fn time_zone_value(value: &ast::Expr, info: &crate::expr::SessionInfo) -> Result<Option<String>> {
    match value {
        ast::Expr::Identifier(id)
            if id.quote_style.is_none()
                && (id.value.eq_ignore_ascii_case("local")
                    || id.value.eq_ignore_ascii_case("default")) =>
        {
            Ok(None)
        }
        ast::Expr::Interval(iv) => {
            let ast::Expr::Value(v) = iv.value.as_ref() else {
                return Err(Error::new(SqlState::SYNTAX_ERROR, "syntax error in INTERVAL literal"));
            };
            let ast::Value::SingleQuotedString(text) = &v.value else {
                return Err(Error::new(SqlState::SYNTAX_ERROR, "syntax error in INTERVAL literal"));
            };
            let style = crate::expr::context::session_zone(info).style().interval;
            let offset = crate::expr::interval_literal(iv, text, style)?;
            let detail = if offset.months != 0 {
                "Cannot specify months in time zone interval."
            } else if offset.days != 0 {
                "Cannot specify days in time zone interval."
            } else if offset.micros.unsigned_abs() >= 168 * 3_600_000_000 {
                "UTC timezone offset is out of range."
            } else {
                // Below 168 hours in seconds: fits an i32.
                let east = i32::try_from(offset.micros / 1_000_000).unwrap_or_default();
                return Ok(Some(helios_types::TimeZone::east_setting_text(east)));
            };
            Err(Error::new(
                SqlState::INVALID_PARAMETER_VALUE,
                format!(
                    "invalid value for parameter \"TimeZone\": \"INTERVAL '{}'\"",
                    Value::Interval(offset).to_pg_text()
                ),
            )
            .with_detail(detail))
        }
        other => set_value_text(other).map(Some),
    }
}

/// `role` and `session_authorization`: settings that change who the session is, set
/// through the checks of SET ROLE / SET SESSION AUTHORIZATION.
pub(super) fn is_identity_setting(name: &str) -> bool {
    name.eq_ignore_ascii_case("role") || name.eq_ignore_ascii_case("session_authorization")
}

impl Session {
    /// Handles session statements; `None` for anything else.
    pub(super) fn session_statement(
        &mut self,
        stmt: &ast::Statement,
    ) -> Result<Option<StatementResult>> {
        match stmt {
            // Role changes read the catalog: they run inside a transaction (`run_ddl`).
            ast::Statement::Set(
                ast::Set::SetRole { .. } | ast::Set::SetSessionAuthorization(_),
            ) => Ok(None),
            ast::Statement::Set(ast::Set::SingleAssignment { variable, .. })
                if is_identity_setting(&variable.to_string()) =>
            {
                Ok(None)
            }
            ast::Statement::Reset(ast::ResetStatement {
                reset: ast::Reset::ConfigurationParameter(name),
            }) if is_identity_setting(&name.to_string()) => Ok(None),
            ast::Statement::Set(set) => self.run_set(set).map(Some),
            ast::Statement::Discard { object_type } => self.discard(*object_type).map(Some),
            ast::Statement::ShowVariable { variable } => {
                let words: Vec<String> = variable.iter().map(ident_name).collect();
                let name = match words.join(" ").as_str() {
                    "transaction isolation level" => "transaction_isolation".to_string(),
                    "time zone" => "timezone".to_string(),
                    _ => words.join("."),
                };
                if name == "all" {
                    let rows = self
                        .settings
                        .all()
                        .iter()
                        .map(|(k, v)| {
                            vec![
                                Value::Text(k.clone()),
                                Value::Text(v.clone()),
                                Value::Text(String::new()),
                            ]
                        })
                        .collect::<Vec<_>>();
                    let n = rows.len();
                    return Ok(Some(StatementResult::Rows(QueryResult {
                        columns: ["name", "setting", "description"]
                            .iter()
                            .map(|c| Column { name: c.to_string(), data_type: DataType::Text })
                            .collect(),
                        rows,
                        tag: format!("SHOW {n}"),
                    })));
                }
                let value = self.show_helios_setting(&name).or_else(|| self.settings.get(&name));
                let value = value.ok_or_else(|| {
                    Error::new(
                        SqlState::UNDEFINED_OBJECT,
                        format!("unrecognized configuration parameter \"{name}\""),
                    )
                })?;
                Ok(Some(StatementResult::Rows(QueryResult {
                    columns: vec![Column {
                        name: canonical_name(&name),
                        data_type: DataType::Text,
                    }],
                    rows: vec![vec![Value::Text(value)]],
                    tag: "SHOW".into(),
                })))
            }
            ast::Statement::Reset(r) => {
                match &r.reset {
                    ast::Reset::ALL => {
                        self.change_setting("all", false, |s| {
                            s.reset_all();
                            Ok(())
                        })?;
                    }
                    ast::Reset::ConfigurationParameter(name) => {
                        let name = name.to_string().to_lowercase();
                        self.change_setting(&name, false, |s| s.reset(&name))?;
                    }
                    // Reads the catalog: runs inside a transaction (`run_ddl`).
                    ast::Reset::SessionAuthorization => return Ok(None),
                }
                Ok(Some(StatementResult::command("RESET")))
            }
            ast::Statement::Prepare { name, data_types, statement } => {
                let name = ident_name(name);
                if self.prepared.contains_key(&name) {
                    return Err(Error::new(
                        SqlState::DUPLICATE_PREPARED_STATEMENT,
                        format!("prepared statement \"{name}\" already exists"),
                    ));
                }
                let mut types = Vec::new();
                for t in data_types {
                    types.push(crate::catalog::typename::resolve_type(t)?);
                }
                let p = Prepared::new(Some(Statement::Sql(statement.clone())), types);
                self.prepared.insert(name, p);
                Ok(Some(StatementResult::command("PREPARE")))
            }
            ast::Statement::Deallocate { name, .. } => {
                let n = ident_name(name);
                if n == "all" {
                    self.prepared.clear();
                } else if self.prepared.remove(&n).is_none() {
                    return Err(Error::new(
                        SqlState::INVALID_SQL_STATEMENT_NAME,
                        format!("prepared statement \"{n}\" does not exist"),
                    ));
                }
                Ok(Some(StatementResult::command("DEALLOCATE")))
            }
            _ => Ok(None),
        }
    }

    fn run_set(&mut self, set: &ast::Set) -> Result<StatementResult> {
        match set {
            ast::Set::SingleAssignment { variable, values, scope, .. } => {
                let name = variable.to_string().to_lowercase();
                let local = matches!(scope, Some(ast::ContextModifier::Local));
                let applied = if values.len() == 1
                    && matches!(&values[0], ast::Expr::Identifier(id) if id.quote_style.is_none() && id.value.eq_ignore_ascii_case("default"))
                {
                    self.change_setting(&name, local, |s| s.reset(&name))?
                } else {
                    let parts: Vec<String> =
                        values.iter().map(set_value_text).collect::<Result<_>>()?;
                    let value = if name == "search_path" {
                        parts.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
                    } else {
                        parts.join(", ")
                    };
                    self.set_helios_setting(&name, &value)?
                        || self.change_setting(&name, local, |s| s.set(&name, &value))?
                };
                if !applied {
                    self.warn_set_local_outside_block();
                }
                Ok(StatementResult::command("SET"))
            }
            ast::Set::SetTimeZone { value, local } => {
                let applied = match time_zone_value(value, &self.info_shared())? {
                    Some(v) => {
                        self.change_setting("timezone", *local, |s| s.set("timezone", &v))?
                    }
                    None => self.change_setting("timezone", *local, |s| s.reset("timezone"))?,
                };
                if !applied {
                    self.warn_set_local_outside_block();
                }
                Ok(StatementResult::command("SET"))
            }
            ast::Set::SetNames { charset_name, .. } => {
                let v = &charset_name.value;
                self.change_setting("client_encoding", false, |s| s.set("client_encoding", v))?;
                Ok(StatementResult::command("SET"))
            }
            ast::Set::MultipleAssignments { assignments } => {
                for a in assignments {
                    let name = a.name.to_string().to_lowercase();
                    let v = set_value_text(&a.value)?;
                    self.change_setting(&name, false, |s| s.set(&name, &v))?;
                }
                Ok(StatementResult::command("SET"))
            }
            other => Err(Error::unsupported(format!("{other}"))),
        }
    }
}
