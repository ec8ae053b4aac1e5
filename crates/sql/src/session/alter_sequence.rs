//! Carrying out `ALTER SEQUENCE` (parsed by `parser/alter_sequence.rs`): the sequence's
//! catalog record changes in the session's transaction; `RESTART` sets its value at once,
//! as `setval` does.

use helios_common::{Error, Result, SqlState};

use super::{Session, StatementResult};
use crate::catalog::{CatalogStore, Relation};
use crate::parser::alter_sequence::{AlterSequence, SequenceChange};

fn invalid(message: String) -> Error {
    Error::new(SqlState::INVALID_PARAMETER_VALUE, message)
}

impl Session {
    /// Runs `ALTER SEQUENCE`.
    pub(super) fn alter_sequence(&mut self, a: &AlterSequence) -> Result<StatementResult> {
        let (catalog, _) = self.ddl_parts()?;
        let search_path = self.settings.search_path();
        let seq = match catalog.resolve(a.name.schema.as_deref(), &a.name.name, &search_path) {
            Some((_, Relation::Sequence(id))) => catalog
                .sequences
                .get(&id)
                .map(|s| s.as_ref().clone())
                .ok_or_else(|| Error::internal("sequence vanished"))?,
            Some(_) => {
                return Err(Error::new(
                    SqlState::WRONG_OBJECT_TYPE,
                    format!("\"{}\" is not a sequence", a.name.name),
                ))
            }
            None if a.if_exists => return Ok(StatementResult::command("ALTER SEQUENCE")),
            None => {
                return Err(Error::new(
                    SqlState::UNDEFINED_TABLE,
                    format!("relation \"{}\" does not exist", a.name.name),
                ))
            }
        };
        self.require_owner(&catalog, seq.access.owner, "sequence", &seq.name)?;
        if let [SequenceChange::SetSchema(to)] = a.changes.as_slice() {
            self.set_relation_schema(&catalog, &seq.schema, Relation::Sequence(seq.id), to)?;
            self.bump_version()?;
            return Ok(StatementResult::command("ALTER SEQUENCE"));
        }
        let mut new = seq.clone();
        let (mut min, mut max, mut restart) = (Some(seq.min), Some(seq.max), None);
        for change in &a.changes {
            match change {
                SequenceChange::Increment(n) => new.increment = *n,
                SequenceChange::MinValue(v) => min = *v,
                SequenceChange::MaxValue(v) => max = *v,
                SequenceChange::Start(n) => new.start = *n,
                SequenceChange::Restart(v) => restart = Some(*v),
                SequenceChange::Cache(n) if *n < 1 => {
                    return Err(invalid(format!("CACHE ({n}) must be greater than zero")))
                }
                SequenceChange::Cache(_) => {}
                SequenceChange::Cycle(c) => new.cycle = *c,
                SequenceChange::OwnedBy(None) => new.owned_by = None,
                SequenceChange::OwnedBy(Some((table, column))) => {
                    let t =
                        match catalog.resolve(table.schema.as_deref(), &table.name, &search_path) {
                            Some((_, Relation::Table(id))) => catalog.table(id).cloned(),
                            _ => None,
                        }
                        .ok_or_else(|| {
                            Error::new(
                                SqlState::UNDEFINED_TABLE,
                                format!("relation \"{}\" does not exist", table.name),
                            )
                        })?;
                    if t.schema != seq.schema {
                        return Err(Error::new(
                            SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                            "sequence must be in same schema as table it is linked to",
                        ));
                    }
                    if t.column_index(column).is_none() {
                        return Err(Error::new(
                            SqlState::UNDEFINED_COLUMN,
                            format!(
                                "column \"{column}\" of relation \"{}\" does not exist",
                                t.name
                            ),
                        ));
                    }
                    new.owned_by = Some((t.id, column.clone()));
                }
                SequenceChange::RenameTo(name) => {
                    if catalog.relation(&seq.schema, name).is_some() {
                        return Err(super::ddl::already_exists(name));
                    }
                    new.name = name.clone();
                }
                SequenceChange::SetSchema(_) => {
                    return Err(Error::new(
                        SqlState::SYNTAX_ERROR,
                        "SET SCHEMA cannot be combined with other ALTER SEQUENCE clauses",
                    ))
                }
                SequenceChange::Unsupported(what) => return Err(Error::unsupported(what)),
            }
        }
        if new.increment == 0 {
            return Err(invalid("INCREMENT must not be zero".into()));
        }
        // NO MINVALUE / NO MAXVALUE take the direction's defaults, as at CREATE.
        new.min = min.unwrap_or(if new.increment > 0 { 1 } else { i64::MIN });
        new.max = max.unwrap_or(if new.increment > 0 { i64::MAX } else { -1 });
        if new.min >= new.max {
            return Err(invalid(format!(
                "MINVALUE ({}) must be less than MAXVALUE ({})",
                new.min, new.max
            )));
        }
        let range = |what: &str, v: i64| -> Result<()> {
            if v < new.min {
                return Err(invalid(format!(
                    "{what} value ({v}) cannot be less than MINVALUE ({})",
                    new.min
                )));
            }
            if v > new.max {
                return Err(invalid(format!(
                    "{what} value ({v}) cannot be greater than MAXVALUE ({})",
                    new.max
                )));
            }
            Ok(())
        };
        range("START", new.start)?;
        let restart_at = restart.map(|v| v.unwrap_or(new.start));
        if let Some(v) = restart_at {
            range("RESTART", v)?;
        }
        let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
        CatalogStore::put_sequence(txn, &new)?;
        self.bump_version()?;
        if let Some(v) = restart_at {
            self.engine.setval(self.branch, &new, v, false)?;
        }
        Ok(StatementResult::command("ALTER SEQUENCE"))
    }
}
