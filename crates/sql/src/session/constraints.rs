//! `SET CONSTRAINTS` (when deferrable foreign keys are checked) and `ALTER TABLE ...
//! ALTER CONSTRAINT` (changing a foreign key's deferrability).

use helios_common::{Error, Result, SqlState};

use super::{Mode, Session, StatementResult};
use crate::catalog::{CatalogStore, Relation};
use crate::parser::constraints::ConstraintStatement;
use crate::routine::{Notice, NoticeLevel};

impl Session {
    /// Runs `SET CONSTRAINTS` or `ALTER TABLE ... ALTER CONSTRAINT`.
    pub(super) fn constraint_statement(
        &mut self,
        stmt: &ConstraintStatement,
    ) -> Result<StatementResult> {
        match stmt {
            ConstraintStatement::SetConstraints { names, deferred } => {
                self.set_constraints(names.as_deref(), *deferred)?;
                Ok(StatementResult::command("SET CONSTRAINTS"))
            }
            ConstraintStatement::AlterConstraint {
                table,
                if_exists,
                name,
                deferrable,
                initially_deferred,
            } => {
                let search_path = self.settings.search_path();
                let (catalog, _) = self.ddl_parts()?;
                let t = match catalog.resolve(table.schema.as_deref(), &table.name, &search_path) {
                    Some((_, Relation::Table(id))) => {
                        catalog.table(id).ok_or_else(|| Error::internal("table vanished"))?
                    }
                    None if *if_exists => return Ok(StatementResult::command("ALTER TABLE")),
                    _ => return Err(crate::binder::undefined_table(&table.schema, &table.name)),
                };
                self.require_table_owner(&catalog, t)?;
                let mut t = t.as_ref().clone();
                let Some(fk) = t.foreign_keys.iter_mut().find(|f| f.name == *name) else {
                    let other = t.indexes.iter().any(|i| i.name == *name)
                        || t.checks.iter().any(|c| c.name == *name);
                    return Err(if other {
                        Error::new(
                            SqlState::WRONG_OBJECT_TYPE,
                            format!(
                                "constraint \"{name}\" of relation \"{}\" is not a foreign key constraint",
                                t.name
                            ),
                        )
                    } else {
                        Error::new(
                            SqlState::UNDEFINED_OBJECT,
                            format!(
                                "constraint \"{name}\" of relation \"{}\" does not exist",
                                t.name
                            ),
                        )
                    });
                };
                if let Some(d) = deferrable {
                    fk.deferrable = *d;
                    if !d {
                        fk.initially_deferred = false;
                    }
                }
                if let Some(i) = initially_deferred {
                    fk.initially_deferred = *i;
                    if *i {
                        fk.deferrable = true;
                    }
                }
                let txn = self.txn.as_mut().ok_or_else(|| Error::internal("no transaction"))?;
                CatalogStore::put_table(txn, &t)?;
                self.bump_version()?;
                Ok(StatementResult::command("ALTER TABLE"))
            }
        }
    }

    fn set_constraints(
        &mut self,
        names: Option<&[crate::parser::QualifiedName]>,
        deferred: bool,
    ) -> Result<()> {
        if self.mode != Mode::Explicit {
            self.notices.lock().push(Notice {
                level: NoticeLevel::Warning,
                code: "25P01".into(),
                message: "SET CONSTRAINTS can only be used in transaction blocks".into(),
                detail: None,
                hint: None,
            });
            return Ok(());
        }
        let Some(names) = names else {
            self.constraint_modes.set_all(deferred);
            if !deferred {
                self.check_deferred(None)?;
            }
            return Ok(());
        };
        let txn = self.txn.as_ref().ok_or_else(|| Error::internal("no transaction"))?;
        let catalog = self.engine.catalogs.get(txn)?;
        let search_path = self.settings.search_path();
        let mut hits: Vec<(u32, String)> = Vec::new();
        for qn in names {
            let schemas: Vec<&str> = match &qn.schema {
                Some(s) => vec![s.as_str()],
                None => search_path.iter().map(String::as_str).collect(),
            };
            let mut found = false;
            // The first schema of the path holding a constraint of that name wins.
            for schema in schemas {
                let mut tables: Vec<_> =
                    catalog.tables.values().filter(|t| t.schema == schema).collect();
                tables.sort_by_key(|t| t.id);
                for t in tables {
                    if let Some(fk) = t.foreign_keys.iter().find(|f| f.name == qn.name) {
                        if !fk.deferrable {
                            return Err(Error::new(
                                SqlState::WRONG_OBJECT_TYPE,
                                format!("constraint \"{}\" is not deferrable", qn.name),
                            ));
                        }
                        hits.push((t.id, fk.name.clone()));
                        found = true;
                    } else if t.indexes.iter().any(|i| i.name == qn.name && i.constraint)
                        || t.checks.iter().any(|c| c.name == qn.name)
                    {
                        return Err(Error::new(
                            SqlState::WRONG_OBJECT_TYPE,
                            format!("constraint \"{}\" is not deferrable", qn.name),
                        ));
                    }
                }
                if found {
                    break;
                }
            }
            if !found {
                return Err(Error::new(
                    SqlState::UNDEFINED_OBJECT,
                    format!("constraint \"{}\" does not exist", qn.name),
                ));
            }
        }
        for (t, n) in &hits {
            self.constraint_modes.set_one(*t, n, deferred);
        }
        if !deferred {
            self.check_deferred(Some(&hits))?;
        }
        Ok(())
    }
}
