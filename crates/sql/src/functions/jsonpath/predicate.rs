//! Predicates: three-valued logic (`Some(true)`, `Some(false)`, `None` for unknown),
//! comparisons, `exists`, `starts with` and `like_regex`.
//!
//! Errors while evaluating a predicate's operands make it unknown instead of failing
//! (unless they are hard errors). Comparisons follow PostgreSQL: items of different
//! types are not comparable (unknown) except that `null` equals nothing but itself;
//! strings compare by code point; arrays and objects are not comparable. In lax mode
//! a predicate is true as soon as one pair of operand items satisfies it; in strict
//! mode every pair is evaluated and any unknown makes the result unknown.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::expr::pattern::Pattern;
use helios_common::Error;
use helios_types::jsonpath::{BinaryOp, Node, RegexFlags};
use serde_json::Value as Json;

use super::datetime::compare_datetimes;
use super::exec::{Exec, Status};
use super::item::{Fail, Item};

/// Three-valued truth.
pub type Truth = Option<bool>;

/// A test of one (left, right) operand pair.
type PairTest<'t, 'a> = dyn FnMut(&Item<'a>, Option<&Item<'a>>) -> Result<Truth, Fail> + 't;

impl<'a> Exec<'a> {
    /// Evaluates a predicate node on `jb`.
    pub fn bool_item(&mut self, n: &Node, jb: &Item<'a>) -> Result<Truth, Fail> {
        match n {
            Node::Binary(BinaryOp::And, a, b) => {
                let l = self.bool_item(a, jb)?;
                if l == Some(false) {
                    return Ok(Some(false));
                }
                let r = self.bool_item(b, jb)?;
                Ok(if r == Some(true) { l } else { r })
            }
            Node::Binary(BinaryOp::Or, a, b) => {
                let l = self.bool_item(a, jb)?;
                if l == Some(true) {
                    return Ok(Some(true));
                }
                let r = self.bool_item(b, jb)?;
                Ok(if r == Some(false) { l } else { r })
            }
            Node::Not(a) => Ok(self.bool_item(a, jb)?.map(|b| !b)),
            Node::IsUnknown(a) => Ok(Some(self.bool_item(a, jb)?.is_none())),
            Node::Binary(op, a, b) if op.is_comparison() => {
                let op = *op;
                let use_tz = self.use_tz;
                let tz = self.tz;
                self.predicate(a, Some(b), jb, true, &mut |l, r| {
                    compare(op, l, r.unwrap_or(l), use_tz, &tz)
                })
            }
            Node::Binary(BinaryOp::StartsWith, a, b) => {
                self.predicate(a, Some(b), jb, false, &mut |l, r| match (
                    l.as_str(),
                    r.and_then(Item::as_str),
                ) {
                    (Some(s), Some(prefix)) => Ok(Some(s.starts_with(prefix))),
                    _ => Ok(None),
                })
            }
            Node::LikeRegex { expr, pattern, flags } => {
                let re = compile(pattern, *flags).map_err(Fail::Hard)?;
                self.predicate(expr, None, jb, false, &mut |l, _| match l.as_str() {
                    Some(s) => re.is_match(s).map(Some).map_err(Fail::Hard),
                    None => Ok(None),
                })
            }
            Node::Exists(a) => {
                if !self.lax {
                    let mut vals = Vec::new();
                    return match self.exec(a, jb, Some(&mut vals)) {
                        Ok(_) => Ok(Some(!vals.is_empty())),
                        Err(Fail::Soft(_)) => Ok(None),
                        Err(hard) => Err(hard),
                    };
                }
                match self.exec(a, jb, None) {
                    Ok(st) => Ok(Some(st == Status::Ok)),
                    Err(Fail::Soft(_)) => Ok(None),
                    Err(hard) => Err(hard),
                }
            }
            _ => Err(Fail::Hard(Error::internal("jsonpath expression used as a predicate"))),
        }
    }

    /// PostgreSQL's `executePredicate`: evaluates the operands (the left one always
    /// unwrapped, the right one when `unwrap_right`) and tests every pair.
    fn predicate(
        &mut self,
        left: &Node,
        right: Option<&Node>,
        jb: &Item<'a>,
        unwrap_right: bool,
        test: &mut PairTest<'_, 'a>,
    ) -> Result<Truth, Fail> {
        let mut lseq = Vec::new();
        match self.exec_unwrapped(left, jb, true, &mut lseq) {
            Ok(_) => {}
            Err(Fail::Soft(_)) => return Ok(None),
            Err(hard) => return Err(hard),
        }
        let mut rseq = Vec::new();
        if let Some(r) = right {
            match self.exec_unwrapped(r, jb, unwrap_right, &mut rseq) {
                Ok(_) => {}
                Err(Fail::Soft(_)) => return Ok(None),
                Err(hard) => return Err(hard),
            }
        }
        let strict = !self.lax;
        let (mut found, mut error) = (false, false);
        for l in &lseq {
            let rights: Vec<Option<&Item<'a>>> =
                if right.is_some() { rseq.iter().map(Some).collect() } else { vec![None] };
            for r in rights {
                match test(l, r)? {
                    None => {
                        if strict {
                            return Ok(None);
                        }
                        error = true;
                    }
                    Some(true) => {
                        if !strict {
                            return Ok(Some(true));
                        }
                        found = true;
                    }
                    Some(false) => {}
                }
            }
        }
        if found {
            return Ok(Some(true));
        }
        if error {
            return Ok(None);
        }
        Ok(Some(false))
    }
}

/// Compares two items with `op`.
fn compare(
    op: BinaryOp,
    a: &Item<'_>,
    b: &Item<'_>,
    use_tz: bool,
    tz: &helios_types::TimeZone,
) -> Result<Truth, Fail> {
    let ord = match (a, b) {
        (Item::DateTime(x), Item::DateTime(y)) => match compare_datetimes(x, y, use_tz, tz)? {
            Some(o) => o,
            None => return Ok(None),
        },
        (Item::Json(x), Item::Json(y)) => match (&**x, &**y) {
            (Json::Null, Json::Null) => Ordering::Equal,
            (Json::Null, _) | (_, Json::Null) => return Ok(Some(op == BinaryOp::Ne)),
            (Json::Bool(p), Json::Bool(q)) => p.cmp(q),
            (Json::Number(_), Json::Number(_)) => match (a.as_number(), b.as_number()) {
                (Some(p), Some(q)) => p.cmp(&q),
                _ => return Ok(None),
            },
            (Json::String(p), Json::String(q)) => p.as_bytes().cmp(q.as_bytes()),
            _ => return Ok(None),
        },
        (Item::Json(x), Item::DateTime(_)) | (Item::DateTime(_), Item::Json(x)) => {
            return Ok(if x.is_null() { Some(op == BinaryOp::Ne) } else { None });
        }
    };
    Ok(Some(match op {
        BinaryOp::Eq => ord == Ordering::Equal,
        BinaryOp::Ne => ord != Ordering::Equal,
        BinaryOp::Lt => ord == Ordering::Less,
        BinaryOp::Le => ord != Ordering::Greater,
        BinaryOp::Gt => ord == Ordering::Greater,
        _ => ord != Ordering::Less,
    }))
}

/// Compiles a `like_regex` pattern with its flags (cached per thread).
pub fn compile(pattern: &str, flags: RegexFlags) -> Result<Arc<Pattern>, Error> {
    use crate::expr::pattern::{compile_regex, RegexOptions, Source};
    compile_regex(
        pattern,
        RegexOptions {
            source: if flags.quote { Source::Literal } else { Source::Are },
            case_insensitive: flags.icase,
            dot_all: flags.dotall && !flags.multiline,
            multi_line: flags.multiline,
            expanded: false,
        },
    )
}
