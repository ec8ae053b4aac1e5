//! A system relation's rows (`pg_class`, `information_schema.columns`, ...), computed
//! from the catalog when the statement is bound and scanned like a table function.
//!
//! The rows are plain values: a scan clones each one out, where a `VALUES` plan of the
//! same rows would have wrapped every value in an expression to build, evaluate and
//! drop again (with a few hundred tables, clients' catalog queries spent most of their
//! time doing that).

use std::fmt;
use std::sync::Arc;

use helios_common::Result;
use helios_types::{DataType, Value};

use crate::expr::EvalContext;
use crate::functions::table::{RowIter, TableFunction};

/// The computed rows of one system relation.
pub struct SystemRows {
    name: String,
    columns: Vec<(String, DataType)>,
    rows: Arc<Vec<Vec<Value>>>,
}

impl SystemRows {
    /// The relation `name` with these columns and rows.
    pub fn new(name: &str, columns: Vec<(String, DataType)>, rows: Vec<Vec<Value>>) -> Self {
        SystemRows { name: name.to_string(), columns, rows: Arc::new(rows) }
    }
}

impl fmt::Debug for SystemRows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} rows)", self.name, self.rows.len())
    }
}

impl TableFunction for SystemRows {
    fn name(&self) -> &str {
        &self.name
    }

    fn columns(&self) -> &[(String, DataType)] {
        &self.columns
    }

    fn call(&self, _args: &[Value], _ctx: &dyn EvalContext) -> Result<RowIter> {
        let rows = Arc::clone(&self.rows);
        Ok(Box::new((0..rows.len()).map(move |i| Ok(rows[i].clone()))))
    }

    fn is_pure(&self) -> bool {
        true
    }
}
