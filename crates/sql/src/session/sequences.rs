//! The session's sequence access: `nextval`/`setval` go to the engine (committed at
//! once), `currval` reads the value this session last got.

use std::collections::HashMap;

use helios_common::{BranchId, Error, Result, SqlState};
use parking_lot::Mutex;

use crate::catalog::{Catalog, SequenceDef};
use crate::engine::Engine;
use crate::exec::SequenceAccess;

/// Sequence access for one statement.
pub struct SessionSequences<'a> {
    pub(super) engine: &'a Engine,
    pub(super) branch: BranchId,
    pub(super) catalog: &'a Catalog,
    pub(super) current: &'a Mutex<HashMap<u32, i64>>,
}

impl SessionSequences<'_> {
    fn def(&self, id: u32) -> Result<&SequenceDef> {
        self.catalog
            .sequences
            .get(&id)
            .map(|s| s.as_ref())
            .ok_or_else(|| Error::internal("sequence vanished"))
    }
}

impl SequenceAccess for SessionSequences<'_> {
    fn next(&self, sequence: u32) -> Result<i64> {
        let v = self.engine.nextval(self.branch, self.def(sequence)?)?;
        self.current.lock().insert(sequence, v);
        Ok(v)
    }

    fn current(&self, sequence: u32) -> Result<i64> {
        match self.current.lock().get(&sequence) {
            Some(v) => Ok(*v),
            None => Err(Error::new(
                SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!(
                    "currval of sequence \"{}\" is not yet defined in this session",
                    self.def(sequence)?.name
                ),
            )),
        }
    }

    fn set(&self, sequence: u32, value: i64, is_called: bool) -> Result<i64> {
        let v = self.engine.setval(self.branch, self.def(sequence)?, value, is_called)?;
        if is_called {
            self.current.lock().insert(sequence, v);
        }
        Ok(v)
    }
}
