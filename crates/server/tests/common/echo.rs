//! A tiny test-only session for protocol tests that must not depend on the SQL engine:
//! it echoes parameters back, understands BEGIN/COMMIT/ROLLBACK, `select <int>`, a
//! cancellable `sleep`, and one table `t (a int4, b text)` for COPY.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use helios_common::{Error, Result, SqlState};
use helios_server::{
    BatchOutcome, CancelToken, Column, PreparedInfo, QueryResult, Session, SessionFactory,
    StatementResult, TxnStatus,
};
use helios_types::{DataType, Value};
use parking_lot::Mutex;

#[derive(Default)]
pub struct EchoFactory {
    pub table: Arc<Mutex<Vec<Vec<Value>>>>,
}

impl SessionFactory for EchoFactory {
    fn open_session(&self, user: &str, _database: &str) -> Result<Box<dyn Session>> {
        if user == "nobody" {
            return Err(Error::new(
                SqlState::INVALID_AUTHORIZATION_SPECIFICATION,
                "role \"nobody\" does not exist",
            ));
        }
        Ok(Box::new(Echo {
            status: TxnStatus::Idle,
            prepared: HashMap::new(),
            next_id: 1,
            cancel: Arc::new(Flag(AtomicBool::new(false))),
            table: Arc::clone(&self.table),
            // The echo session stands for a superuser (server files are allowed).
            settings: HashMap::from([("is_superuser".to_owned(), "on".to_owned())]),
        }))
    }
}

struct Flag(AtomicBool);
impl CancelToken for Flag {
    fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

enum Kind {
    Echo,
    Insert,
    SelectT,
}

struct Echo {
    status: TxnStatus,
    prepared: HashMap<u64, (Kind, PreparedInfo)>,
    next_id: u64,
    cancel: Arc<Flag>,
    table: Arc<Mutex<Vec<Vec<Value>>>>,
    settings: HashMap<String, String>,
}

fn t_columns() -> Vec<Column> {
    vec![
        Column { name: "a".into(), data_type: DataType::Int4 },
        Column { name: "b".into(), data_type: DataType::Text },
    ]
}

impl Echo {
    fn one(&mut self, stmt: &str) -> Result<StatementResult> {
        let lower = stmt.trim().to_ascii_lowercase();
        let cmd = |tag: &str| {
            Ok(StatementResult::Command { tag: tag.to_string().into(), rows_affected: 0 })
        };
        match lower.as_str() {
            "begin" | "start transaction" => {
                self.status = TxnStatus::InTransaction;
                return cmd("BEGIN");
            }
            "commit" => {
                let failed = self.status == TxnStatus::Failed;
                self.status = TxnStatus::Idle;
                return cmd(if failed { "ROLLBACK" } else { "COMMIT" });
            }
            "rollback" => {
                self.status = TxnStatus::Idle;
                return cmd("ROLLBACK");
            }
            _ => {}
        }
        if self.status == TxnStatus::Failed {
            return Err(Error::new(
                SqlState::IN_FAILED_SQL_TRANSACTION,
                "current transaction is aborted, commands ignored until end of transaction block",
            ));
        }
        if lower == "sleep" {
            self.cancel.0.store(false, Ordering::SeqCst);
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(20) {
                if self.cancel.0.swap(false, Ordering::SeqCst) {
                    return Err(Error::new(
                        SqlState::QUERY_CANCELED,
                        "canceling statement due to user request",
                    ));
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            return cmd("SLEEP");
        }
        if let Some(n) = lower.strip_prefix("select ").and_then(|n| n.trim().parse::<i32>().ok()) {
            return Ok(StatementResult::Rows(QueryResult {
                columns: vec![Column { name: "?column?".into(), data_type: DataType::Int4 }],
                rows: vec![vec![Value::Int4(n)]],
                tag: "SELECT 1".into(),
            }));
        }
        if lower == "select * from t" {
            let rows = self.table.lock().clone();
            let tag = format!("SELECT {}", rows.len());
            return Ok(StatementResult::Rows(QueryResult { columns: t_columns(), rows, tag }));
        }
        let word = stmt.split_whitespace().next().unwrap_or("");
        Err(Error::new(SqlState::SYNTAX_ERROR, format!("syntax error at or near \"{word}\""))
            .with_position(1)
            .with_hint("the echo session knows very little SQL"))
    }
}

impl Session for Echo {
    fn execute_batch(&mut self, sql: &str) -> BatchOutcome {
        let mut out = BatchOutcome::default();
        for stmt in helios_server::split::split_statements(sql) {
            match self.one(stmt) {
                Ok(r) => out.results.push(r),
                Err(e) => {
                    if self.status == TxnStatus::InTransaction {
                        self.status = TxnStatus::Failed;
                    }
                    out.error = Some(e);
                    break;
                }
            }
        }
        out
    }

    fn query(&mut self, sql: &str, _params: &[Value]) -> Result<QueryResult> {
        match self.one(sql)? {
            StatementResult::Rows(q) => Ok(q),
            StatementResult::Command { .. } => {
                Err(Error::new(SqlState::SYNTAX_ERROR, "not a query"))
            }
        }
    }

    fn execute(&mut self, sql: &str, _params: &[Value]) -> Result<u64> {
        self.one(sql).map(|_| 0)
    }

    fn prepare(&mut self, sql: &str, param_types: &[DataType]) -> Result<PreparedInfo> {
        let lower = sql.trim().to_ascii_lowercase();
        let id = self.next_id;
        self.next_id += 1;
        let (kind, info) = if lower == "select * from t" || lower == "select a, b from t" {
            (Kind::SelectT, PreparedInfo { id, param_types: vec![], columns: t_columns() })
        } else if lower.starts_with("insert into t") {
            (
                Kind::Insert,
                PreparedInfo {
                    id,
                    param_types: vec![DataType::Int4, DataType::Text],
                    columns: vec![],
                },
            )
        } else if lower.contains("fail") {
            return Err(Error::new(SqlState::UNDEFINED_TABLE, "relation \"fail\" does not exist"));
        } else {
            let n = (1..=99)
                .take_while(|i| sql.contains(&format!("${i}")))
                .count()
                .max(param_types.len());
            let types: Vec<DataType> = (0..n)
                .map(|i| match param_types.get(i) {
                    None | Some(DataType::Unknown) => DataType::Text,
                    Some(t) => t.clone(),
                })
                .collect();
            let columns = types
                .iter()
                .enumerate()
                .map(|(i, t)| Column { name: format!("p{}", i + 1), data_type: t.clone() })
                .collect();
            (Kind::Echo, PreparedInfo { id, param_types: types, columns })
        };
        self.prepared.insert(id, (kind, info.clone()));
        Ok(info)
    }

    fn execute_prepared(&mut self, id: u64, params: &[Value]) -> Result<StatementResult> {
        let (kind, info) = self
            .prepared
            .get(&id)
            .ok_or_else(|| Error::new(SqlState::INVALID_SQL_STATEMENT_NAME, "no such statement"))?;
        match kind {
            Kind::Echo => Ok(StatementResult::Rows(QueryResult {
                columns: info.columns.clone(),
                rows: if info.columns.is_empty() { vec![] } else { vec![params.to_vec()] },
                tag: format!("SELECT {}", usize::from(!info.columns.is_empty())),
            })),
            Kind::SelectT => self.one("select * from t"),
            Kind::Insert => {
                if params.first() == Some(&Value::Int4(-1)) {
                    return Err(Error::new(SqlState::CHECK_VIOLATION, "a must not be -1"));
                }
                self.table.lock().push(params.to_vec());
                Ok(StatementResult::Command { tag: "INSERT 0 1".into(), rows_affected: 1 })
            }
        }
    }

    fn close_prepared(&mut self, id: u64) {
        self.prepared.remove(&id);
    }

    fn abort_statement(&mut self) {}

    fn transaction_status(&self) -> TxnStatus {
        self.status
    }

    fn setting(&self, name: &str) -> Option<String> {
        self.settings.get(name).cloned()
    }

    fn set_setting(&mut self, name: &str, value: &str) -> Result<()> {
        if name == "bogus" {
            return Err(Error::new(
                SqlState::UNDEFINED_OBJECT,
                "unrecognized configuration parameter \"bogus\"",
            ));
        }
        self.settings.insert(name.to_owned(), value.to_owned());
        Ok(())
    }

    fn cancel_token(&self) -> Arc<dyn CancelToken> {
        self.cancel.clone()
    }
}
