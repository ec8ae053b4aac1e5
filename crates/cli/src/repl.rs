//! The interactive shell: reads SQL (multi-line, ending with `;`) and meta-commands,
//! runs them on one session and prints results the way psql does.
//!
//! Input comes from a terminal (line editing and history via rustyline), from `-c`
//! arguments, from `-f` files or from standard input when it is not a terminal. In the
//! non-interactive cases the first error stops the run with exit status 1.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use helios_common::{Error, SqlState};
use helios_server::split::ends_with_terminator;
use helios_server::{BatchOutcome, QueryResult, Session, StatementResult};
use helios_types::Value;

use crate::format;

/// Shell state: the session and display options.
pub struct Shell {
    session: Box<dyn Session>,
    /// A second session on the same database that reads `pg_stat_progress_create_index`
    /// while a statement runs, to show index builds' progress on a terminal.
    watcher: Option<Box<dyn Session>>,
    out: Box<dyn Write>,
    timing: bool,
    expanded: bool,
    /// Nesting depth of `\i` (guards against a file including itself forever).
    depth: usize,
}

/// Runs `sql` on `session` while `watcher` polls the index builds running in the
/// database and shows them on standard error, on one line rewritten in place.
fn with_progress(session: &mut dyn Session, watcher: &mut dyn Session, sql: &str) -> BatchOutcome {
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let poller = s.spawn(|| {
            let mut shown = false;
            let mut waited = std::time::Duration::ZERO;
            let slice = std::time::Duration::from_millis(250);
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(slice);
                waited += slice;
                if waited < std::time::Duration::from_millis(500) {
                    continue;
                }
                let Ok(q) = watcher.query(PROGRESS_QUERY, &[]) else { return };
                if let Some(line) = progress_line(&q.rows) {
                    eprint!("\r\x1b[K{line}");
                    shown = true;
                }
            }
            if shown {
                eprint!("\r\x1b[K");
            }
        });
        let outcome = session.execute_batch(sql);
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = poller.join();
        outcome
    })
}

const PROGRESS_QUERY: &str = "SELECT c.relname, p.phase, p.tuples_done, p.tuples_total \
     FROM pg_stat_progress_create_index p JOIN pg_class c ON c.oid = p.relid";

/// The progress line for rows of [`PROGRESS_QUERY`] (`None` when nothing is building).
fn progress_line(rows: &[Vec<Value>]) -> Option<String> {
    let parts: Vec<String> = rows
        .iter()
        .map(|r| {
            let text = |i: usize| r.get(i).map(Value::to_pg_text).unwrap_or_default();
            let num = |i: usize| match r.get(i) {
                Some(Value::Int8(n)) => *n,
                _ => 0,
            };
            let (done, total) = (num(2), num(3));
            let pct = if total > 0 { done * 100 / total } else { 0 };
            format!("CREATE INDEX on {}: {} {done}/{total} rows ({pct}%)", text(0), text(1))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// What running one input line or statement asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    /// Go on.
    Continue,
    /// `\q`.
    Quit,
}

const HELP: &str = "\
General
  \\q                 quit
  \\?                 this help
  \\timing            toggle timing of commands
  \\x                 toggle expanded output
  \\i FILE            execute commands from FILE
Informational
  \\dt                list tables
  \\d TABLE           describe a table
Branches
  \\branches          list branches (SHOW BRANCHES)
  \\branch            show the current branch
  \\branch NAME       switch this session to branch NAME (USE BRANCH)
SQL statements end with a semicolon and may span several lines.
";

impl Shell {
    /// A shell over `session` writing to `out`.
    pub fn new(session: Box<dyn Session>, out: Box<dyn Write>) -> Shell {
        Shell { session, watcher: None, out, timing: false, expanded: false, depth: 0 }
    }

    /// Shows the progress of long index builds on standard error (when it is a
    /// terminal), read through `watcher`, a second session on the same database.
    pub fn with_progress(mut self, watcher: Box<dyn Session>) -> Shell {
        if std::io::stderr().is_terminal() {
            self.watcher = Some(watcher);
        }
        self
    }

    fn print(&mut self, s: &str) {
        let _ = self.out.write_all(s.as_bytes());
        let _ = self.out.flush();
    }

    fn print_error(&mut self, e: &Error) {
        let mut msg = format!("ERROR:  {}\n", e.message());
        if let Some(d) = e.detail() {
            msg.push_str(&format!("DETAIL:  {d}\n"));
        }
        if let Some(h) = e.hint() {
            msg.push_str(&format!("HINT:  {h}\n"));
        }
        // Errors go to stderr like psql's, so scripts' stdout stays clean.
        eprint!("{msg}");
    }

    fn print_rows(&mut self, q: &QueryResult) {
        let text = if self.expanded { format::expanded(q) } else { format::aligned(q) };
        self.print(&text);
    }

    /// Runs a complete SQL text (one or more statements); Err on the first failure.
    pub fn run_sql(&mut self, sql: &str) -> Result<(), Error> {
        let start = Instant::now();
        let outcome = match self.watcher.as_mut() {
            Some(watcher) => with_progress(self.session.as_mut(), watcher.as_mut(), sql),
            None => self.session.execute_batch(sql),
        };
        for r in &outcome.results {
            match r {
                StatementResult::Rows(q) => self.print_rows(q),
                StatementResult::Command { tag, .. } => self.print(&format!("{tag}\n")),
            }
        }
        if self.timing {
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            self.print(&format!("Time: {ms:.3} ms\n"));
        }
        match outcome.error {
            Some(e) => {
                self.print_error(&e);
                Err(e)
            }
            None => Ok(()),
        }
    }

    /// Runs one meta-command line (starting with `\`).
    pub fn run_meta(&mut self, line: &str) -> Result<Flow, Error> {
        let line = line.trim();
        let mut parts = line.splitn(2, char::is_whitespace);
        let cmd = parts.next().unwrap_or("");
        let arg = parts.next().map(str::trim).unwrap_or("");
        match cmd {
            "\\q" => return Ok(Flow::Quit),
            "\\?" => self.print(HELP),
            "\\timing" => {
                self.timing = match arg {
                    "on" => true,
                    "off" => false,
                    _ => !self.timing,
                };
                let state = if self.timing { "on" } else { "off" };
                self.print(&format!("Timing is {state}.\n"));
            }
            "\\x" => {
                self.expanded = match arg {
                    "on" => true,
                    "off" => false,
                    _ => !self.expanded,
                };
                let state = if self.expanded { "on" } else { "off" };
                self.print(&format!("Expanded display is {state}.\n"));
            }
            "\\i" | "\\include" => {
                if arg.is_empty() {
                    return self.fail("\\i: missing required argument");
                }
                if self.depth > 16 {
                    return self.fail("\\i: files nested too deeply");
                }
                self.depth += 1;
                let r = self.run_file(Path::new(arg));
                self.depth -= 1;
                return r;
            }
            "\\branches" => self.run_sql("SHOW BRANCHES")?,
            "\\branch" if arg.is_empty() => {
                let name = self.branch().unwrap_or_else(|| "main".into());
                self.print(&format!("You are on branch \"{name}\".\n"));
            }
            "\\branch" => {
                let outcome =
                    self.session.execute_batch(&format!("USE BRANCH {}", quote_literal(arg)));
                if let Some(e) = outcome.error {
                    self.print_error(&e);
                    return Err(e);
                }
                self.print(&format!("You are now on branch \"{arg}\".\n"));
            }
            "\\dt" => self.list_tables()?,
            "\\d" if arg.is_empty() => self.list_tables()?,
            "\\d" => self.describe(arg)?,
            other => return self.fail(&format!("invalid command {other}\nTry \\? for help.")),
        }
        Ok(Flow::Continue)
    }

    /// The session's current branch (`helios.branch`), when the session has branches.
    fn branch(&self) -> Option<String> {
        self.session.setting("helios.branch")
    }

    fn fail(&mut self, msg: &str) -> Result<Flow, Error> {
        eprintln!("{msg}");
        Err(Error::new(SqlState::SYNTAX_ERROR, msg))
    }

    fn catalog_query(
        &mut self,
        what: &str,
        sql: &str,
        params: &[Value],
    ) -> Result<Option<QueryResult>, Error> {
        match self.session.query(sql, params) {
            Ok(q) => Ok(Some(q)),
            Err(e)
                if matches!(
                    e.sqlstate(),
                    SqlState::UNDEFINED_TABLE | SqlState::FEATURE_NOT_SUPPORTED
                ) =>
            {
                eprintln!("{what} needs the information_schema catalog views, which this database does not provide yet: {}", e.message());
                Err(e)
            }
            Err(e) => {
                self.print_error(&e);
                Err(e)
            }
        }
    }

    fn list_tables(&mut self) -> Result<(), Error> {
        let sql = "SELECT table_schema AS \"Schema\", table_name AS \"Name\", \
                   CASE table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END AS \"Type\" \
                   FROM information_schema.tables \
                   WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2";
        if let Some(q) = self.catalog_query("\\dt", sql, &[])? {
            if q.rows.is_empty() {
                self.print("Did not find any relations.\n");
            } else {
                self.print("          List of relations\n");
                self.print_rows(&q);
            }
        }
        Ok(())
    }

    fn describe(&mut self, table: &str) -> Result<(), Error> {
        let (schema, name) = match table.split_once('.') {
            Some((s, n)) => (Some(s.to_owned()), n.to_owned()),
            None => (None, table.to_owned()),
        };
        let name = name.trim_matches('"').to_owned();
        let sql = "SELECT column_name AS \"Column\", data_type AS \"Type\", \
                   CASE WHEN is_nullable = 'NO' THEN 'not null' ELSE '' END AS \"Nullable\", \
                   CASE WHEN is_generated = 'ALWAYS' THEN 'generated always as ' || \
                   CASE WHEN generation_expression LIKE '(%)' THEN generation_expression \
                   ELSE '(' || generation_expression || ')' END || ' stored' \
                   ELSE coalesce(column_default, '') END AS \"Default\", table_schema \
                   FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position";
        let Some(mut q) = self.catalog_query("\\d", sql, &[Value::Text(name.clone())])? else {
            return Ok(());
        };
        if let Some(s) = &schema {
            q.rows.retain(|r| matches!(r.get(4), Some(Value::Text(t)) if t == s));
        }
        if q.rows.is_empty() {
            eprintln!("Did not find any relation named \"{table}\".");
            return Err(Error::new(
                SqlState::UNDEFINED_TABLE,
                format!("relation \"{table}\" does not exist"),
            ));
        }
        let schema = match q.rows[0].get(4) {
            Some(Value::Text(s)) => s.clone(),
            _ => "public".to_owned(),
        };
        q.columns.truncate(4);
        for r in &mut q.rows {
            r.truncate(4);
        }
        self.print(&format!("Table \"{schema}.{name}\"\n"));
        let text = format::aligned(&q);
        // psql prints no row-count footer under \d.
        let text = text
            .trim_end()
            .rsplit_once('\n')
            .map_or(text.clone(), |(body, _)| format!("{body}\n\n"));
        self.print(&text);
        Ok(())
    }

    /// Runs a script; stops at the first error.
    pub fn run_script(&mut self, script: &str) -> Result<Flow, Error> {
        let mut buffer = String::new();
        for line in script.lines() {
            match self.feed_line(&mut buffer, line)? {
                Flow::Quit => return Ok(Flow::Quit),
                Flow::Continue => {}
            }
        }
        if !buffer.trim().is_empty() {
            self.run_sql(&buffer)?;
        }
        Ok(Flow::Continue)
    }

    /// Adds one input line: runs a meta-command, or the buffered SQL once complete.
    pub fn feed_line(&mut self, buffer: &mut String, line: &str) -> Result<Flow, Error> {
        if buffer.trim().is_empty() && line.trim_start().starts_with('\\') {
            buffer.clear();
            return self.run_meta(line);
        }
        buffer.push_str(line);
        buffer.push('\n');
        if ends_with_terminator(buffer) {
            let sql = std::mem::take(buffer);
            self.run_sql(&sql)?;
        }
        Ok(Flow::Continue)
    }

    /// Runs the commands of a file.
    pub fn run_file(&mut self, path: &Path) -> Result<Flow, Error> {
        match std::fs::read_to_string(path) {
            Ok(text) => self.run_script(&text),
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                Err(Error::io(path.display(), &e))
            }
        }
    }

    /// psql's prompt: `=` first line, `-` continuation; `*` in a transaction block, `!`
    /// in a failed one. The current branch follows the name: `heliosdb@dev=> `.
    fn prompt(&self, first_line: bool) -> String {
        use helios_server::TxnStatus;
        let line = if first_line { '=' } else { '-' };
        let txn = match self.session.transaction_status() {
            TxnStatus::Idle => "",
            TxnStatus::InTransaction => "*",
            TxnStatus::Failed => "!",
        };
        match self.branch() {
            Some(b) => format!("heliosdb@{b}{line}{txn}> "),
            None => format!("heliosdb{line}{txn}> "),
        }
    }

    /// The interactive loop on a terminal.
    pub fn interactive(&mut self) -> i32 {
        let config = rustyline::Config::builder().auto_add_history(true).build();
        let mut editor: rustyline::DefaultEditor = match rustyline::Editor::with_config(config) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("cannot start line editor: {e}");
                return 1;
            }
        };
        let history = history_path();
        if let Some(h) = &history {
            let _ = editor.load_history(h);
        }
        self.print("heliosdb-nano interactive shell. Type \\? for help, \\q to quit.\n");
        let mut buffer = String::new();
        loop {
            let prompt = self.prompt(buffer.trim().is_empty());
            match editor.readline(&prompt) {
                Ok(line) => {
                    // Errors were printed; an interactive shell goes on.
                    if let Ok(Flow::Quit) = self.feed_line(&mut buffer, &line) {
                        break;
                    }
                }
                Err(rustyline::error::ReadlineError::Interrupted) => buffer.clear(),
                Err(_) => break,
            }
        }
        if let Some(h) = &history {
            let _ = editor.save_history(h);
        }
        0
    }
}

/// `s` as a SQL string literal (meta-command arguments are taken literally, like psql's).
fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".heliosdb_nano_history"))
}

/// Runs the shell as the arguments say; returns the process exit status.
pub fn run(mut shell: Shell, commands: &[String], files: &[PathBuf]) -> i32 {
    if !commands.is_empty() || !files.is_empty() {
        for c in commands {
            let r = if c.trim_start().starts_with('\\') {
                shell.run_meta(c)
            } else {
                shell.run_sql(c).map(|()| Flow::Continue)
            };
            match r {
                Ok(Flow::Quit) => return 0,
                Ok(Flow::Continue) => {}
                Err(_) => return 1,
            }
        }
        for f in files {
            match shell.run_file(f) {
                Ok(Flow::Quit) => return 0,
                Ok(Flow::Continue) => {}
                Err(_) => return 1,
            }
        }
        return 0;
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return shell.interactive();
    }
    let mut script = String::new();
    for line in stdin.lock().lines() {
        match line {
            Ok(l) => {
                script.push_str(&l);
                script.push('\n');
            }
            Err(e) => {
                eprintln!("error reading standard input: {e}");
                return 1;
            }
        }
    }
    match shell.run_script(&script) {
        Ok(_) => 0,
        Err(_) => 1,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use helios_server::{BatchOutcome, CancelToken, Column, PreparedInfo, TxnStatus};
    use helios_types::DataType;

    use super::*;

    /// Records every batch it is given; `select <n>` returns n, anything with "bad" fails.
    struct Script {
        seen: Arc<Mutex<Vec<String>>>,
    }

    struct NoCancel;
    impl CancelToken for NoCancel {
        fn cancel(&self) {}
    }

    impl Session for Script {
        fn execute_batch(&mut self, sql: &str) -> BatchOutcome {
            self.seen.lock().unwrap().push(sql.trim().to_owned());
            if sql.contains("bad") {
                return BatchOutcome {
                    results: vec![],
                    error: Some(Error::new(SqlState::SYNTAX_ERROR, "bad")),
                };
            }
            let n: i32 = sql
                .trim()
                .trim_end_matches(';')
                .rsplit(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            BatchOutcome {
                results: vec![StatementResult::Rows(QueryResult {
                    columns: vec![Column { name: "n".into(), data_type: DataType::Int4 }],
                    rows: vec![vec![Value::Int4(n)]],
                    tag: "SELECT 1".into(),
                })],
                error: None,
            }
        }
        fn query(&mut self, _: &str, _: &[Value]) -> helios_common::Result<QueryResult> {
            Err(Error::new(
                SqlState::UNDEFINED_TABLE,
                "relation \"information_schema.tables\" does not exist",
            ))
        }
        fn execute(&mut self, _: &str, _: &[Value]) -> helios_common::Result<u64> {
            Ok(0)
        }
        fn prepare(&mut self, _: &str, _: &[DataType]) -> helios_common::Result<PreparedInfo> {
            Err(Error::unsupported("prepare"))
        }
        fn execute_prepared(
            &mut self,
            _: u64,
            _: &[Value],
        ) -> helios_common::Result<StatementResult> {
            Err(Error::unsupported("prepare"))
        }
        fn close_prepared(&mut self, _: u64) {}
        fn abort_statement(&mut self) {}
        fn transaction_status(&self) -> TxnStatus {
            TxnStatus::Idle
        }
        fn setting(&self, _: &str) -> Option<String> {
            None
        }
        fn set_setting(&mut self, _: &str, _: &str) -> helios_common::Result<()> {
            Ok(())
        }
        fn cancel_token(&self) -> Arc<dyn CancelToken> {
            Arc::new(NoCancel)
        }
    }

    #[derive(Clone, Default)]
    struct Out(Arc<Mutex<Vec<u8>>>);
    impl Write for Out {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn shell() -> (Shell, Arc<Mutex<Vec<String>>>, Out) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let out = Out::default();
        (Shell::new(Box::new(Script { seen: seen.clone() }), Box::new(out.clone())), seen, out)
    }

    #[test]
    fn multi_line_statements_run_when_terminated() {
        let (mut sh, seen, out) = shell();
        sh.run_script("select\n 5;\nselect ';' \n ;\n\\x\nselect 7;\n").unwrap();
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen, ["select\n 5;", "select ';' \n ;", "select 7;"]);
        let out = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert!(out.starts_with(" n \n---\n 5\n(1 row)\n\n"), "{out}");
        assert!(out.contains("Expanded display is on.\n-[ RECORD 1 ]\nn | 7\n"), "{out}");
    }

    #[test]
    fn scripts_stop_at_the_first_error() {
        let (mut sh, seen, _) = shell();
        assert!(sh.run_script("select 1;\nbad;\nselect 2;\n").is_err());
        assert_eq!(seen.lock().unwrap().len(), 2);
        let (mut sh, _, _) = shell();
        assert!(sh.run_meta("\\nonsense").is_err());
        assert_eq!(sh.run_meta("\\q").unwrap(), Flow::Quit);
        assert!(sh.run_meta("\\dt").is_err(), "no catalog views: a clear error");
        let (mut sh, seen, _) = shell();
        assert_eq!(sh.run_script("select 1;\n\\q\nselect 2;\n").unwrap(), Flow::Quit);
        assert_eq!(seen.lock().unwrap().len(), 1);
    }

    #[test]
    fn prompt_shows_continuation() {
        let (sh, _, _) = shell();
        assert_eq!(sh.prompt(true), "heliosdb=> ");
        assert_eq!(sh.prompt(false), "heliosdb-> ");
    }

    #[test]
    fn prompt_shows_the_current_branch_and_transaction_state() {
        use helios_server::SessionFactory;
        let db = heliosdb_nano::Database::open_in_memory().unwrap();
        let session = helios_server::nano::NanoFactory::new(db).open_session("me", "app").unwrap();
        let mut sh = Shell::new(session, Box::new(Out::default()));
        assert_eq!(sh.prompt(true), "heliosdb@main=> ");
        sh.run_sql("CREATE BRANCH dev").unwrap();
        sh.run_meta("\\branch dev").unwrap();
        assert_eq!(sh.prompt(true), "heliosdb@dev=> ");
        sh.run_sql("BEGIN").unwrap();
        assert_eq!(sh.prompt(true), "heliosdb@dev=*> ");
        assert_eq!(sh.prompt(false), "heliosdb@dev-*> ");
        assert!(sh.run_sql("SELECT 1/0").is_err());
        assert_eq!(sh.prompt(true), "heliosdb@dev=!> ");
        sh.run_sql("ROLLBACK").unwrap();
        assert!(sh.run_meta("\\branch nope").is_err());
        assert_eq!(sh.prompt(true), "heliosdb@dev=> ", "a failed switch keeps the branch");
    }

    #[test]
    fn include_runs_a_file() {
        let dir = std::env::temp_dir().join(format!("helios-cli-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("inc.sql");
        std::fs::write(&f, "select 3;\n").unwrap();
        let (mut sh, seen, _) = shell();
        sh.run_meta(&format!("\\i {}", f.display())).unwrap();
        assert_eq!(seen.lock().unwrap().clone(), ["select 3;"]);
        assert!(sh.run_meta("\\i /nonexistent/file.sql").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_progress_line_shows_each_running_build() {
        let row = |name: &str, done: i64, total: i64| {
            vec![
                Value::Text(name.into()),
                Value::Text("building index".into()),
                Value::Int8(done),
                Value::Int8(total),
            ]
        };
        assert_eq!(
            progress_line(&[row("a", 250, 1000), row("b", 0, 0)]).as_deref(),
            Some("CREATE INDEX on a: building index 250/1000 rows (25%); CREATE INDEX on b: building index 0/0 rows (0%)")
        );
        assert_eq!(progress_line(&[]), None);
    }
}
