//! A small random SQL generator over a fixed schema, for "never panic" testing.
//!
//! The grammar covers what a SQL engine's pipeline must survive: nested expressions of
//! every type (with NULLs, overflow-prone literals, division), comparisons and
//! three-valued logic, CASE, casts, functions, scalar / IN / EXISTS subqueries (some
//! correlated), joins of every kind, GROUP BY / HAVING, window functions, set operations,
//! CTEs (also recursive), DML in a rolled-back transaction, and mangled text (cut or
//! spliced queries) for the parser's error paths. Most queries are valid; errors are
//! expected and fine, panics never.
//!
//! Deterministic: the same seed gives the same queries.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::engine::{EngineError, EngineOutput};
use crate::format::{OutputFormat, OutputStyle};
use crate::guard::GuardedEngine;
use crate::runner::ConnectionFactory;

/// The schema and data every random query runs against.
pub const SCHEMA: &str = "\
CREATE TABLE t1 (a int, b int, c text);
CREATE TABLE t2 (a int, d double precision, e boolean, f numeric(8,2));
INSERT INTO t1 VALUES (1, 10, 'one'), (2, 20, 'two'), (3, NULL, 'three'), (NULL, 40, NULL),
  (5, -5, ''), (6, 2147483647, 'big');
INSERT INTO t2 VALUES (1, 1.5, true, 10.25), (2, -0.5, false, NULL), (4, NULL, NULL, -3.50),
  (NULL, 0, true, 0), (6, 1e10, false, 999999.99);
";

/// A SplitMix64 pseudo-random generator (small, fast, good enough for test input).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator with the given seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// One of `items`.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ty {
    Int,
    Float,
    Text,
    Bool,
}

/// Generates random SQL text.
#[derive(Debug, Clone)]
pub struct QueryGen {
    rng: Rng,
}

/// The tables in scope of a query: `(alias, table)`.
type Scope = Vec<(String, &'static str)>;

impl QueryGen {
    /// A generator with the given seed.
    pub fn new(seed: u64) -> QueryGen {
        QueryGen { rng: Rng::new(seed) }
    }

    /// The next random SQL text (usually one statement).
    pub fn next_sql(&mut self) -> String {
        match self.rng.below(100) {
            0..=39 => self.select(2),
            40..=52 => self.aggregate_query(),
            53..=60 => self.window_query(),
            61..=69 => self.set_operation(),
            70..=76 => self.cte_query(),
            77..=85 => self.dml(),
            86..=91 => self.values_or_expr_query(),
            _ => self.mangled(),
        }
    }

    fn columns(table: &str) -> &'static [(&'static str, Ty)] {
        match table {
            "t1" => &[("a", Ty::Int), ("b", Ty::Int), ("c", Ty::Text)],
            _ => &[("a", Ty::Int), ("d", Ty::Float), ("e", Ty::Bool), ("f", Ty::Float)],
        }
    }

    fn column_of(&mut self, scope: &Scope, ty: Ty) -> Option<String> {
        let mut found = Vec::new();
        for (alias, table) in scope {
            for (name, t) in Self::columns(table) {
                if *t == ty {
                    found.push(format!("{alias}.{name}"));
                }
            }
        }
        if found.is_empty() {
            None
        } else {
            Some(found.swap_remove(self.rng.below(found.len())))
        }
    }

    fn expr(&mut self, ty: Ty, scope: &Scope, depth: usize) -> String {
        if depth == 0 || self.rng.chance(30) {
            return self.leaf(ty, scope);
        }
        let d = depth - 1;
        match ty {
            Ty::Int => match self.rng.below(11) {
                0 => format!(
                    "({} {} {})",
                    self.expr(Ty::Int, scope, d),
                    self.rng.pick(&["+", "-", "*", "/", "%"]),
                    self.expr(Ty::Int, scope, d)
                ),
                1 => format!("(- {})", self.expr(Ty::Int, scope, d)),
                2 => format!("abs({})", self.expr(Ty::Int, scope, d)),
                3 => format!(
                    "CASE WHEN {} THEN {} ELSE {} END",
                    self.expr(Ty::Bool, scope, d),
                    self.expr(Ty::Int, scope, d),
                    self.expr(Ty::Int, scope, d)
                ),
                4 => format!(
                    "coalesce({}, {})",
                    self.expr(Ty::Int, scope, d),
                    self.leaf(Ty::Int, scope)
                ),
                5 => format!(
                    "nullif({}, {})",
                    self.expr(Ty::Int, scope, d),
                    self.leaf(Ty::Int, scope)
                ),
                6 => format!("length({})", self.expr(Ty::Text, scope, d)),
                7 => format!("CAST({} AS int)", self.any_expr(scope, d)),
                8 => {
                    format!("(SELECT max(x.a) FROM t2 x WHERE x.a < {})", self.leaf(Ty::Int, scope))
                }
                9 => format!(
                    "(SELECT count(*) FROM t1 y WHERE {})",
                    self.expr(Ty::Bool, &vec![("y".into(), "t1")], d)
                ),
                _ => format!(
                    "greatest({}, {})",
                    self.expr(Ty::Int, scope, d),
                    self.leaf(Ty::Int, scope)
                ),
            },
            Ty::Float => match self.rng.below(5) {
                0 => format!(
                    "({} {} {})",
                    self.expr(Ty::Float, scope, d),
                    self.rng.pick(&["+", "-", "*", "/"]),
                    self.numeric_expr(scope, d)
                ),
                1 => format!("round({})", self.expr(Ty::Float, scope, d)),
                2 => format!("CAST({} AS double precision)", self.expr(Ty::Int, scope, d)),
                3 => format!("CAST({} AS numeric(10,3))", self.numeric_expr(scope, d)),
                _ => format!("sqrt(abs({}))", self.expr(Ty::Float, scope, d)),
            },
            Ty::Text => match self.rng.below(6) {
                0 => format!("({} || {})", self.expr(Ty::Text, scope, d), self.any_expr(scope, d)),
                1 => format!("upper({})", self.expr(Ty::Text, scope, d)),
                2 => format!(
                    "substr({}, {}, {})",
                    self.expr(Ty::Text, scope, d),
                    self.leaf(Ty::Int, scope),
                    self.leaf(Ty::Int, scope)
                ),
                3 => format!("CAST({} AS text)", self.any_expr(scope, d)),
                4 => format!("replace({}, 'o', 'OO')", self.expr(Ty::Text, scope, d)),
                _ => format!("coalesce({}, 'none')", self.expr(Ty::Text, scope, d)),
            },
            Ty::Bool => match self.rng.below(10) {
                0 | 1 => {
                    let t = self.any_ty();
                    format!(
                        "({} {} {})",
                        self.expr(t, scope, d),
                        self.rng.pick(&["=", "<>", "<", "<=", ">", ">=", "IS DISTINCT FROM"]),
                        self.expr(t, scope, d)
                    )
                }
                2 => format!(
                    "({} {} {})",
                    self.expr(Ty::Bool, scope, d),
                    self.rng.pick(&["AND", "OR"]),
                    self.expr(Ty::Bool, scope, d)
                ),
                3 => format!("(NOT {})", self.expr(Ty::Bool, scope, d)),
                4 => format!(
                    "({} IS {}NULL)",
                    self.any_expr(scope, d),
                    if self.rng.chance(50) { "NOT " } else { "" }
                ),
                5 => format!(
                    "({} {}IN ({}, {}, NULL))",
                    self.expr(Ty::Int, scope, d),
                    if self.rng.chance(50) { "NOT " } else { "" },
                    self.leaf(Ty::Int, scope),
                    self.leaf(Ty::Int, scope)
                ),
                6 => format!(
                    "({} IN (SELECT z.a FROM t2 z WHERE z.e))",
                    self.expr(Ty::Int, scope, d)
                ),
                7 => {
                    let outer = self.column_of(scope, Ty::Int).unwrap_or_else(|| "1".into());
                    format!(
                        "{}EXISTS (SELECT 1 FROM t1 w WHERE w.a = {outer})",
                        if self.rng.chance(50) { "NOT " } else { "" }
                    )
                }
                8 => format!(
                    "({} BETWEEN {} AND {})",
                    self.expr(Ty::Int, scope, d),
                    self.leaf(Ty::Int, scope),
                    self.leaf(Ty::Int, scope)
                ),
                _ => format!(
                    "({} LIKE {})",
                    self.expr(Ty::Text, scope, d),
                    self.rng.pick(&["'%o%'", "'t_o'", "''", "'%'"])
                ),
            },
        }
    }

    fn any_expr(&mut self, scope: &Scope, depth: usize) -> String {
        let t = self.any_ty();
        self.expr(t, scope, depth)
    }

    fn numeric_expr(&mut self, scope: &Scope, depth: usize) -> String {
        let t = self.numeric_ty();
        self.expr(t, scope, depth)
    }

    fn any_ty(&mut self) -> Ty {
        [Ty::Int, Ty::Float, Ty::Text, Ty::Bool][self.rng.below(4)]
    }

    fn numeric_ty(&mut self) -> Ty {
        if self.rng.chance(50) {
            Ty::Int
        } else {
            Ty::Float
        }
    }

    fn leaf(&mut self, ty: Ty, scope: &Scope) -> String {
        if self.rng.chance(55) {
            if let Some(c) = self.column_of(scope, ty) {
                return c;
            }
        }
        if self.rng.chance(8) {
            return "NULL".to_string();
        }
        match ty {
            Ty::Int => self
                .rng
                .pick(&[
                    "0",
                    "1",
                    "-1",
                    "2",
                    "7",
                    "100",
                    "2147483647",
                    "-2147483648",
                    "9223372036854775807",
                ])
                .to_string(),
            Ty::Float => self
                .rng
                .pick(&["0.5", "-1.25", "1e300", "0.0", "3.14159", "'NaN'::float8"])
                .to_string(),
            Ty::Text => {
                self.rng.pick(&["'one'", "''", "'x y'", "'O''Brien'", "'%'", "'ünï'"]).to_string()
            }
            Ty::Bool => self.rng.pick(&["true", "false", "NULL::boolean"]).to_string(),
        }
    }

    fn gen_from(&mut self) -> (String, Scope) {
        let t = if self.rng.chance(50) { "t1" } else { "t2" };
        let mut scope: Scope = vec![("p".to_string(), t)];
        let mut from = format!("{t} p");
        if self.rng.chance(45) {
            let u = if self.rng.chance(50) { "t1" } else { "t2" };
            let kind =
                self.rng.pick(&["JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN", "CROSS JOIN"]);
            scope.push(("q".to_string(), u));
            if kind == "CROSS JOIN" {
                from = format!("{from} CROSS JOIN {u} q");
            } else {
                let on = if self.rng.chance(70) {
                    "p.a = q.a".to_string()
                } else {
                    self.expr(Ty::Bool, &scope, 2)
                };
                from = format!("{from} {kind} {u} q ON {on}");
            }
        }
        (from, scope)
    }

    fn select(&mut self, depth: usize) -> String {
        let (from, scope) = self.gen_from();
        let n = 1 + self.rng.below(3);
        let cols: Vec<String> = (0..n)
            .map(|_| {
                let t = self.any_ty();
                self.expr(t, &scope, depth)
            })
            .collect();
        let mut sql = format!(
            "SELECT {}{} FROM {from}",
            if self.rng.chance(15) { "DISTINCT " } else { "" },
            cols.join(", ")
        );
        if self.rng.chance(60) {
            sql.push_str(&format!(" WHERE {}", self.expr(Ty::Bool, &scope, depth + 1)));
        }
        if self.rng.chance(40) {
            sql.push_str(&format!(" ORDER BY {}", 1 + self.rng.below(n)));
            if self.rng.chance(30) {
                sql.push_str(self.rng.pick(&[" DESC", " NULLS FIRST", " DESC NULLS LAST"]));
            }
        }
        if self.rng.chance(25) {
            sql.push_str(&format!(" LIMIT {}", self.rng.below(5)));
            if self.rng.chance(30) {
                sql.push_str(&format!(" OFFSET {}", self.rng.below(3)));
            }
        }
        sql
    }

    fn aggregate_query(&mut self) -> String {
        let (from, scope) = self.gen_from();
        let key = {
            let t = self.any_ty();
            self.column_of(&scope, t)
        }
        .unwrap_or_else(|| "p.a".into());
        let arg = self.expr(Ty::Int, &scope, 1);
        let agg = match self.rng.below(7) {
            0 => format!("sum({arg})"),
            1 => format!("count(DISTINCT {arg})"),
            2 => format!("avg({arg})"),
            3 => format!("min({arg})"),
            4 => format!("max({arg}) FILTER (WHERE {})", self.expr(Ty::Bool, &scope, 1)),
            5 => format!("string_agg(CAST({arg} AS text), ',')"),
            _ => "count(*)".to_string(),
        };
        let mut sql = format!("SELECT {key}, {agg} FROM {from}");
        if self.rng.chance(40) {
            sql.push_str(&format!(" WHERE {}", self.expr(Ty::Bool, &scope, 2)));
        }
        if self.rng.chance(85) {
            sql.push_str(&format!(" GROUP BY {key}"));
            if self.rng.chance(40) {
                sql.push_str(&format!(" HAVING count(*) > {}", self.rng.below(3)));
            }
        }
        sql
    }

    fn window_query(&mut self) -> String {
        let (from, scope) = self.gen_from();
        let part = self.column_of(&scope, Ty::Int).unwrap_or_else(|| "p.a".into());
        let order = self.any_expr(&scope, 1);
        let f = self.rng.pick(&[
            "row_number()",
            "rank()",
            "dense_rank()",
            "count(*)",
            "lag(p.a)",
            "lead(p.a, 2)",
            "first_value(p.a)",
        ]);
        let frame = if self.rng.chance(30) {
            self.rng.pick(&[
                " ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING",
                " ROWS UNBOUNDED PRECEDING",
                " RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING",
            ])
        } else {
            ""
        };
        format!("SELECT p.a, {f} OVER (PARTITION BY {part} ORDER BY {order}{frame}) FROM {from}")
    }

    fn set_operation(&mut self) -> String {
        let op = self.rng.pick(&[
            "UNION",
            "UNION ALL",
            "INTERSECT",
            "EXCEPT",
            "EXCEPT ALL",
            "INTERSECT ALL",
        ]);
        let l = self.simple_projection();
        let r = self.simple_projection();
        format!("{l} {op} {r}")
    }

    fn simple_projection(&mut self) -> String {
        let t = if self.rng.chance(50) { "t1" } else { "t2" };
        let scope: Scope = vec![("s".to_string(), t)];
        let e = self.expr(Ty::Int, &scope, 1);
        let w = self.expr(Ty::Bool, &scope, 1);
        format!("SELECT {e} FROM {t} s WHERE {w}")
    }

    fn cte_query(&mut self) -> String {
        if self.rng.chance(40) {
            let limit = self.rng.below(20);
            let step = self.rng.pick(&["n + 1", "n * 2", "n - 1"]);
            return format!(
                "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT {step} FROM r WHERE n < {limit} AND n > -5) SELECT count(*), sum(n) FROM r"
            );
        }
        let inner = self.simple_projection();
        format!("WITH c(v) AS ({inner}) SELECT v, count(*) FROM c GROUP BY v")
    }

    fn dml(&mut self) -> String {
        let scope1: Scope = vec![("t1".to_string(), "t1")];
        let scope2: Scope = vec![("t2".to_string(), "t2")];
        let stmt = match self.rng.below(5) {
            0 => format!(
                "INSERT INTO t1 VALUES ({}, {}, {})",
                self.leaf(Ty::Int, &Vec::new()),
                self.expr(Ty::Int, &Vec::new(), 1),
                self.leaf(Ty::Text, &Vec::new())
            ),
            1 => format!(
                "UPDATE t1 SET b = {} WHERE {}",
                self.expr(Ty::Int, &scope1, 2),
                self.expr(Ty::Bool, &scope1, 2)
            ),
            2 => format!("DELETE FROM t2 WHERE {}", self.expr(Ty::Bool, &scope2, 2)),
            3 => format!(
                "INSERT INTO t2 (a, f) SELECT a, b FROM t1 WHERE {} RETURNING a",
                self.expr(Ty::Bool, &scope1, 1)
            ),
            _ => format!("UPDATE t2 SET d = {} RETURNING *", self.expr(Ty::Float, &scope2, 2)),
        };
        // Rolled back, so the data stays small and every query sees the same tables.
        format!("BEGIN; {stmt}; ROLLBACK")
    }

    fn values_or_expr_query(&mut self) -> String {
        let scope: Scope = Vec::new();
        if self.rng.chance(50) {
            let t = self.any_ty();
            format!("SELECT {}", self.expr(t, &scope, 4))
        } else {
            let a = self.leaf(Ty::Int, &scope);
            let b = self.leaf(Ty::Text, &scope);
            format!("SELECT * FROM (VALUES ({a}, {b}), (2, 'v')) AS v(x, y) ORDER BY 1")
        }
    }

    /// A valid query cut at a random place or with a random token spliced in.
    fn mangled(&mut self) -> String {
        let base = self.select(2);
        let chars: Vec<char> = base.chars().collect();
        let at = self.rng.below(chars.len().max(1));
        if self.rng.chance(50) {
            chars[..at].iter().collect()
        } else {
            let token = self.rng.pick(&[
                "(", ")", ",", "SELECT", "'", "\"", "FROM", "NULL", "::", ";", "$1", "--", "/*",
                "\u{0}",
            ]);
            let mut s: String = chars[..at].iter().collect();
            s.push(' ');
            s.push_str(token);
            s.push(' ');
            s.extend(chars[at..].iter());
            s
        }
    }
}

/// What a random run gave.
#[derive(Debug, Clone, Default)]
pub struct RandomReport {
    /// Statements that succeeded.
    pub ok: usize,
    /// Statements rejected with an error, by SQLSTATE (errors are fine).
    pub errors: BTreeMap<String, usize>,
    /// Panics, timeouts and engine deaths: `(index, sql, what)`. Must stay empty.
    pub failures: Vec<(usize, String, String)>,
}

impl RandomReport {
    /// A one-line summary plus the most frequent SQLSTATEs.
    pub fn summary(&self) -> String {
        let errs: usize = self.errors.values().sum();
        let mut by_count: Vec<(&String, &usize)> = self.errors.iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(a.1));
        let top: Vec<String> = by_count.iter().take(8).map(|(k, v)| format!("{k}:{v}")).collect();
        format!(
            "{} ok, {errs} errors ({}), {} panics/hangs",
            self.ok,
            top.join(" "),
            self.failures.len()
        )
    }
}

/// Sets up [`SCHEMA`] on a session from `factory`, then runs `count` random statements
/// from `seed`, each with `timeout`. Stops early when the engine dies.
pub fn run_random(
    mut factory: ConnectionFactory,
    count: usize,
    seed: u64,
    timeout: Duration,
) -> Result<RandomReport, String> {
    let engine = factory().map_err(|e| format!("cannot connect: {e}"))?;
    let mut engine = GuardedEngine::spawn(engine, timeout)
        .map_err(|e| format!("cannot start engine thread: {e}"))?;
    let format = OutputFormat::new(OutputStyle::PgText);
    for stmt in SCHEMA.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        engine.run(stmt, &format).map_err(|e| format!("schema setup failed: {e} [SQL] {stmt}"))?;
    }
    let mut gen = QueryGen::new(seed);
    let mut report = RandomReport::default();
    for i in 0..count {
        let sql = gen.next_sql();
        match engine.run(&sql, &format) {
            Ok(EngineOutput::Rows { .. } | EngineOutput::Complete(_)) => report.ok += 1,
            Err(EngineError::Sql { sqlstate, .. }) => {
                *report.errors.entry(sqlstate.unwrap_or_else(|| "?????".into())).or_default() += 1;
                if sql.starts_with("BEGIN") {
                    // The batch stopped inside its transaction; end it.
                    let _ = engine.run("ROLLBACK", &format);
                }
            }
            Err(e) => {
                report.failures.push((i, sql.clone(), e.to_string()));
                if engine.dead().is_some() {
                    break;
                }
                // A statement that failed mid-transaction must not poison the next ones.
                let _ = engine.run("ROLLBACK", &format);
            }
        }
    }
    Ok(report)
}

/// What a differential run (the same random statements on two engines) found.
#[derive(Debug, Clone, Default)]
pub struct DiffReport {
    /// Statements where both engines agreed (same rows, or the same SQLSTATE).
    pub agreed: usize,
    /// Both failed but with different SQLSTATEs: `(index, sql, a, b)`.
    pub different_errors: Vec<(usize, String, String, String)>,
    /// One succeeded and the other failed, or the rows differ: `(index, sql, a, b)`.
    pub mismatches: Vec<(usize, String, String, String)>,
}

/// Runs the same `count` random statements from `seed` on engine `a` and on the
/// reference engine `b` (e.g. PostgreSQL) and compares the outcomes. Rows are compared
/// as multisets; for results whose order or choice of rows is not determined
/// (`LIMIT`/`OFFSET`, window functions, `string_agg`) only the row count is compared.
pub fn run_differential(
    mut a: ConnectionFactory,
    mut b: ConnectionFactory,
    count: usize,
    seed: u64,
    timeout: Duration,
) -> Result<DiffReport, String> {
    let spawn = |f: &mut ConnectionFactory| -> Result<GuardedEngine, String> {
        let engine = f().map_err(|e| format!("cannot connect: {e}"))?;
        GuardedEngine::spawn(engine, timeout)
            .map_err(|e| format!("cannot start engine thread: {e}"))
    };
    let (mut ea, mut eb) = (spawn(&mut a)?, spawn(&mut b)?);
    let format = OutputFormat::new(OutputStyle::PgText);
    for stmt in SCHEMA.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        ea.run(stmt, &format).map_err(|e| format!("schema setup failed: {e} [SQL] {stmt}"))?;
        eb.run(stmt, &format).map_err(|e| format!("reference setup failed: {e} [SQL] {stmt}"))?;
    }
    let mut gen = QueryGen::new(seed);
    let mut report = DiffReport::default();
    for i in 0..count {
        let sql = gen.next_sql();
        let ra = ea.run(&sql, &format);
        let rb = eb.run(&sql, &format);
        for (engine, r) in [(&mut ea, &ra), (&mut eb, &rb)] {
            if r.is_err() && sql.starts_with("BEGIN") {
                let _ = engine.run("ROLLBACK", &format);
            }
        }
        let loose = ["LIMIT", "OFFSET", " OVER (", "string_agg"].iter().any(|k| sql.contains(k));
        let reference_unsupported =
            matches!(&rb, Err(EngineError::Sql { sqlstate: Some(s), .. }) if s == "0A000");
        match (&ra, &rb) {
            // The reference cannot run it (PostgreSQL's FULL JOIN only on equality, ...).
            _ if reference_unsupported => report.agreed += 1,
            (
                Err(EngineError::Sql { sqlstate: sa, .. }),
                Err(EngineError::Sql { sqlstate: sb, .. }),
            ) => {
                if sa == sb {
                    report.agreed += 1;
                } else {
                    report.different_errors.push((i, sql.clone(), describe(&ra), describe(&rb)));
                }
            }
            (Ok(oa), Ok(ob)) if same_output(oa, ob, loose) => report.agreed += 1,
            _ => report.mismatches.push((i, sql.clone(), describe(&ra), describe(&rb))),
        }
        if ea.dead().is_some() || eb.dead().is_some() {
            break;
        }
        if sql.starts_with("BEGIN") {
            // The DML was rolled back: both databases must hold the same rows again.
            for check in ["SELECT * FROM t1", "SELECT * FROM t2"] {
                let (ca, cb) = (ea.run(check, &format), eb.run(check, &format));
                let same = matches!((&ca, &cb), (Ok(a), Ok(b)) if same_output(a, b, false));
                if !same {
                    report.mismatches.push((
                        i,
                        format!("{sql} -- then {check}: the data diverged"),
                        describe(&ca),
                        describe(&cb),
                    ));
                    return Ok(report);
                }
            }
        }
    }
    Ok(report)
}

fn same_output(a: &EngineOutput, b: &EngineOutput, loose: bool) -> bool {
    match (a, b) {
        (EngineOutput::Complete(x), EngineOutput::Complete(y)) => x == y,
        (EngineOutput::Rows { rows: ra, .. }, EngineOutput::Rows { rows: rb, .. }) => {
            if loose {
                return ra.len() == rb.len();
            }
            let (mut ra, mut rb) = (ra.clone(), rb.clone());
            ra.sort();
            rb.sort();
            ra == rb
        }
        _ => false,
    }
}

fn describe(r: &Result<EngineOutput, EngineError>) -> String {
    match r {
        Ok(EngineOutput::Complete(n)) => format!("complete({n})"),
        Ok(EngineOutput::Rows { rows, .. }) => {
            let shown: Vec<String> = rows.iter().take(6).map(|r| r.join(" ")).collect();
            format!(
                "{} rows: [{}]{}",
                rows.len(),
                shown.join(" | "),
                if rows.len() > 6 { " ..." } else { "" }
            )
        }
        Err(e) => format!("error {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_queries() {
        let mut a = QueryGen::new(7);
        let mut b = QueryGen::new(7);
        for _ in 0..50 {
            assert_eq!(a.next_sql(), b.next_sql());
        }
    }

    #[test]
    fn queries_are_varied() {
        let mut g = QueryGen::new(1);
        let qs: Vec<String> = (0..300).map(|_| g.next_sql()).collect();
        let distinct: std::collections::HashSet<&String> = qs.iter().collect();
        assert!(distinct.len() > 280, "only {} distinct queries", distinct.len());
        for kw in ["JOIN", "GROUP BY", "OVER (", "UNION", "WITH RECURSIVE", "ROLLBACK", "EXISTS"] {
            assert!(qs.iter().any(|q| q.contains(kw)), "no query contains {kw}");
        }
    }
}
