//! The statement tree of a PL/pgSQL body.

use helios_types::DataType;
use sqlparser::ast as sql;

/// A parsed function body.
#[derive(Debug, Clone)]
pub struct Function {
    /// The outermost block.
    pub block: Block,
}

/// An embedded SQL statement (an expression is kept as `SELECT expr`).
#[derive(Debug, Clone)]
pub struct Sql {
    /// The text as written.
    pub text: String,
    /// The statement.
    pub stmt: Box<sql::Statement>,
    /// What the text is, for the CONTEXT and QUERY of its errors.
    pub kind: SqlKind,
}

/// What an embedded piece of SQL is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlKind {
    /// A statement, run as written.
    Statement,
    /// An expression, run as `SELECT expr`.
    Expression,
    /// The expression of an assignment; `prefix` is the source before it (`n := `),
    /// as PostgreSQL reports the whole assignment.
    Assignment {
        /// The target and `:=` as written.
        prefix: String,
    },
}

/// A statement and the line of the body it starts on (line 1 is the text right after
/// the opening quote), for the CONTEXT of its errors.
#[derive(Debug, Clone)]
pub struct Statement {
    /// 1-based line in the body.
    pub line: u32,
    /// The statement.
    pub stmt: Stmt,
}

/// `[DECLARE ...] BEGIN ... [EXCEPTION ...] END`.
#[derive(Debug, Clone)]
pub struct Block {
    /// The line the block starts on.
    pub line: u32,
    /// `<<label>>`.
    pub label: Option<String>,
    /// Declarations.
    pub decls: Vec<Decl>,
    /// Statements.
    pub body: Vec<Statement>,
    /// Exception handlers (a block with any runs in a subtransaction).
    pub handlers: Vec<Handler>,
}

/// The type of a declared variable.
#[derive(Debug, Clone)]
pub enum DeclType {
    /// A scalar type.
    Type(DataType),
    /// `record`.
    Record,
    /// `table%ROWTYPE`.
    RowType(String),
    /// `ALIAS FOR $n` / `ALIAS FOR name`: another name of a variable.
    Alias(String),
    /// `var%TYPE` / `table.column%TYPE`.
    TypeOf(String),
    /// `[NO] SCROLL CURSOR [(params)] FOR query`: a cursor variable bound to a query
    /// (its value, the portal name, starts as the variable's own name).
    Cursor(std::sync::Arc<CursorDecl>),
}

/// A bound cursor variable's query.
#[derive(Debug, Clone)]
pub struct CursorDecl {
    /// `SCROLL` (`Some(true)`) / `NO SCROLL` (`Some(false)`).
    pub scroll: Option<bool>,
    /// Parameters, which the query reads like variables.
    pub params: Vec<(String, DataType)>,
    /// The query.
    pub query: Sql,
}

/// Where `OPEN` gets its rows.
#[derive(Debug, Clone)]
pub enum OpenSource {
    /// A bound cursor's own query; its arguments as one expression list in parameter
    /// order (`expr AS param, ...`, as PostgreSQL evaluates them).
    Bound(Option<Sql>),
    /// `[[NO] SCROLL] FOR query` / `FOR EXECUTE ...` on an unbound cursor variable.
    Query {
        /// `SCROLL` / `NO SCROLL`.
        scroll: Option<bool>,
        /// The query.
        source: QuerySource,
    },
}

/// The direction of a PL/pgSQL `FETCH` or `MOVE`; counts are expressions.
#[derive(Debug, Clone)]
pub enum FetchDirection {
    /// A direction without a count expression (NEXT, PRIOR, FIRST, LAST,
    /// FORWARD / BACKWARD [ALL]).
    Fixed(crate::parser::cursor::Direction),
    /// `ABSOLUTE expr`.
    Absolute(Sql),
    /// `RELATIVE expr`.
    Relative(Sql),
    /// `FORWARD expr` (MOVE only).
    Forward(Sql),
    /// `BACKWARD expr` (MOVE only).
    Backward(Sql),
}

/// One declaration.
#[derive(Debug, Clone)]
pub struct Decl {
    /// Name.
    pub name: String,
    /// Type.
    pub ty: DeclType,
    /// `CONSTANT`.
    pub constant: bool,
    /// `NOT NULL`.
    pub not_null: bool,
    /// The initial value.
    pub default: Option<Sql>,
    /// Declared `refcursor` (or a bound cursor).
    pub refcursor: bool,
}

/// An exception condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// `OTHERS`.
    Others,
    /// A SQLSTATE code (a condition name is translated to its code).
    Code(String),
}

/// `WHEN cond [OR cond] THEN stmts`.
#[derive(Debug, Clone)]
pub struct Handler {
    /// Conditions.
    pub conditions: Vec<Condition>,
    /// Statements.
    pub body: Vec<Statement>,
}

/// A variable or a record field that is assigned, possibly an element of it.
#[derive(Debug, Clone)]
pub struct Target {
    /// Variable name.
    pub name: String,
    /// Field of a record variable.
    pub field: Option<String>,
    /// `[i][j]...`: the target is an element of the array value.
    pub subscripts: Vec<Sql>,
}

/// `INTO [STRICT] targets`.
#[derive(Debug, Clone)]
pub struct Into {
    /// `STRICT`: exactly one row.
    pub strict: bool,
    /// Targets.
    pub targets: Vec<Target>,
}

/// Where a FOR loop or RETURN QUERY gets rows.
#[derive(Debug, Clone)]
pub enum QuerySource {
    /// A query written in the body.
    Static(Sql),
    /// `EXECUTE expr [USING ...]`.
    Dynamic {
        /// The query text expression.
        expr: Sql,
        /// `USING` values.
        using: Vec<Sql>,
    },
}

/// RAISE levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RaiseLevel {
    /// DEBUG.
    Debug,
    /// LOG.
    Log,
    /// INFO.
    Info,
    /// NOTICE.
    Notice,
    /// WARNING.
    Warning,
    /// EXCEPTION (ends the routine).
    Exception,
}

/// A RAISE statement.
#[derive(Debug, Clone)]
pub struct Raise {
    /// The level.
    pub level: RaiseLevel,
    /// `RAISE condition` / `RAISE SQLSTATE 'code'`.
    pub condition: Option<String>,
    /// The format string.
    pub format: Option<String>,
    /// Its arguments.
    pub args: Vec<Sql>,
    /// `USING option = expr`.
    pub options: Vec<(String, Sql)>,
}

/// A statement.
#[derive(Debug, Clone)]
pub enum Stmt {
    /// `target := expr`.
    Assign(Target, Sql),
    /// IF / ELSIF / ELSE.
    If(Vec<(Sql, Vec<Statement>)>, Vec<Statement>),
    /// CASE.
    Case {
        /// Simple CASE operand.
        operand: Option<Sql>,
        /// WHEN values (or conditions) and statements.
        whens: Vec<(Vec<Sql>, Vec<Statement>)>,
        /// ELSE (none: 20000 when nothing matched).
        otherwise: Option<Vec<Statement>>,
    },
    /// LOOP.
    Loop(Option<String>, Vec<Statement>),
    /// WHILE.
    While(Option<String>, Sql, Vec<Statement>),
    /// `FOR i IN [REVERSE] a .. b [BY s] LOOP`.
    ForRange {
        /// Label.
        label: Option<String>,
        /// Loop variable (an integer).
        var: String,
        /// REVERSE.
        reverse: bool,
        /// Bounds and step.
        low: Sql,
        /// Upper bound.
        high: Sql,
        /// BY.
        step: Option<Sql>,
        /// Body.
        body: Vec<Statement>,
    },
    /// `FOR target IN query LOOP`.
    ForQuery {
        /// Label.
        label: Option<String>,
        /// Target variables (one record, or scalars).
        targets: Vec<Target>,
        /// Rows.
        source: QuerySource,
        /// Body.
        body: Vec<Statement>,
    },
    /// `FOREACH x [, y ...] [SLICE n] IN ARRAY a LOOP`.
    ForEach {
        /// Label.
        label: Option<String>,
        /// Variables (several take the fields of composite elements).
        targets: Vec<Target>,
        /// `SLICE n`: iterate over sub-arrays of `n` dimensions (0: elements).
        slice: usize,
        /// The array.
        array: Sql,
        /// Body.
        body: Vec<Statement>,
    },
    /// EXIT / CONTINUE.
    Exit {
        /// CONTINUE rather than EXIT.
        cont: bool,
        /// Label.
        label: Option<String>,
        /// WHEN condition.
        when: Option<Sql>,
    },
    /// RETURN.
    Return(Option<Sql>),
    /// RETURN NEXT.
    ReturnNext(Option<Sql>),
    /// RETURN QUERY.
    ReturnQuery(QuerySource),
    /// RAISE.
    Raise(Box<Raise>),
    /// `RAISE;` inside a handler.
    Reraise,
    /// PERFORM (a SELECT whose rows are dropped).
    Perform(Sql),
    /// A SQL statement, optionally with INTO.
    Sql(Sql, Option<Into>),
    /// EXECUTE.
    Execute {
        /// The statement text expression.
        expr: Sql,
        /// INTO.
        into: Option<Into>,
        /// USING.
        using: Vec<Sql>,
    },
    /// GET [STACKED] DIAGNOSTICS target = item, ...
    GetDiagnostics(bool, Vec<(Target, String)>),
    /// ASSERT condition [, message].
    Assert(Sql, Option<Sql>),
    /// `OPEN cursor ...`.
    Open {
        /// The cursor variable.
        cursor: String,
        /// Its rows.
        source: OpenSource,
    },
    /// `FETCH [direction FROM] cursor INTO targets` / `MOVE [direction FROM] cursor`.
    Fetch {
        /// The cursor variable.
        cursor: String,
        /// Where to go.
        direction: FetchDirection,
        /// `INTO` (`None`: MOVE).
        into: Option<Into>,
    },
    /// `CLOSE cursor`.
    Close(String),
    /// `FOR record IN cursor [(args)] LOOP`.
    ForCursor {
        /// Label.
        label: Option<String>,
        /// The loop's record variable.
        target: Target,
        /// The bound cursor variable.
        cursor: String,
        /// Arguments, as in [`OpenSource::Bound`].
        args: Option<Sql>,
        /// Body.
        body: Vec<Statement>,
    },
    /// A nested block.
    Block(Box<Block>),
    /// NULL.
    Null,
}
