//! The syntax tree of a parsed SQL/JSON path.
//!
//! A path expression is a tree of [`Node`]s; accessor chains (`$.a[*] ? (...)`) are a
//! base node followed by a list of [`Accessor`]s, which is how PostgreSQL links path
//! items through their `next` pointers.

use bigdecimal::BigDecimal;

/// A parsed `jsonpath`: its mode and its expression.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonPath {
    /// `strict` mode (structural errors are reported); `lax` otherwise.
    pub strict: bool,
    /// The expression or predicate.
    pub expr: Node,
}

/// One node of a path expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A numeric literal.
    Number(BigDecimal),
    /// A string literal.
    String(String),
    /// `$name`: a variable passed in the `vars` argument.
    Variable(String),
    /// `$`: the context item.
    Root,
    /// `@`: the item a filter is testing.
    Current,
    /// `last`: the last subscript of the array being subscripted.
    Last,
    /// A binary operator: arithmetic, comparison, `&&`, `||`, `starts with`.
    Binary(BinaryOp, Box<Node>, Box<Node>),
    /// Unary `+` (`true`) or `-` (`false`) applied to an expression.
    Sign(bool, Box<Node>),
    /// `!(predicate)`
    Not(Box<Node>),
    /// `(predicate) is unknown`
    IsUnknown(Box<Node>),
    /// `exists (expression)`
    Exists(Box<Node>),
    /// `expression like_regex "pattern" [flag "flags"]`
    LikeRegex {
        /// The tested expression.
        expr: Box<Node>,
        /// The pattern as written.
        pattern: String,
        /// The flags.
        flags: RegexFlags,
    },
    /// A base node followed by accessors (`$.a[*]`, `(1 + 2).type()`).
    Chain(Box<Node>, Vec<Accessor>),
}

/// Binary operators, in PostgreSQL's spelling order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `&&`
    And,
    /// `||`
    Or,
    /// `==`
    Eq,
    /// `!=` (also written `<>`)
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `starts with`
    StartsWith,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
}

impl BinaryOp {
    /// The operator as PostgreSQL prints it.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::And => "&&",
            BinaryOp::Or => "||",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::StartsWith => "starts with",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
        }
    }

    /// Whether this is a comparison (`==` ... `>=`).
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        )
    }
}

/// An accessor applied to the items produced by what precedes it.
#[derive(Clone, Debug, PartialEq)]
pub enum Accessor {
    /// `.key` / `."key"`
    Key(String),
    /// `.*`
    AnyKey,
    /// `[*]`
    AnyArray,
    /// `[i, j to k, ...]`: subscripts, each a single index or a range.
    Index(Vec<(Node, Option<Node>)>),
    /// `.**{first to last}`; [`ANY_LAST`] stands for `last`.
    Any {
        /// The first level (0 is the item itself).
        first: u32,
        /// The last level.
        last: u32,
    },
    /// An item method without arguments (`.type()`, `.size()`, ...).
    Method(Method),
    /// `.datetime()` / `.datetime("template")`
    Datetime(Option<String>),
    /// `? (predicate)`
    Filter(Box<Node>),
}

/// The level bound written `last` in `.**{... to last}`.
pub const ANY_LAST: u32 = u32::MAX;

/// Item methods without arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// `.abs()`
    Abs,
    /// `.size()`
    Size,
    /// `.type()`
    Type,
    /// `.floor()`
    Floor,
    /// `.double()`
    Double,
    /// `.ceiling()`
    Ceiling,
    /// `.keyvalue()`
    KeyValue,
}

impl Method {
    /// The method's name.
    pub fn name(self) -> &'static str {
        match self {
            Method::Abs => "abs",
            Method::Size => "size",
            Method::Type => "type",
            Method::Floor => "floor",
            Method::Double => "double",
            Method::Ceiling => "ceiling",
            Method::KeyValue => "keyvalue",
        }
    }

    /// The method for a (lowercase) name.
    pub fn from_name(name: &str) -> Option<Method> {
        Some(match name {
            "abs" => Method::Abs,
            "size" => Method::Size,
            "type" => Method::Type,
            "floor" => Method::Floor,
            "double" => Method::Double,
            "ceiling" => Method::Ceiling,
            "keyvalue" => Method::KeyValue,
            _ => return None,
        })
    }
}

/// The flags of `like_regex`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RegexFlags {
    /// `i`: case-insensitive.
    pub icase: bool,
    /// `s`: `.` matches newlines.
    pub dotall: bool,
    /// `m`: `^` and `$` match at line breaks.
    pub multiline: bool,
    /// `x`: expanded syntax (accepted only together with `q`).
    pub expanded: bool,
    /// `q`: the pattern is a literal string.
    pub quote: bool,
}
