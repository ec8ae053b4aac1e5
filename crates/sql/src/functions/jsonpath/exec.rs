//! The path evaluator: PostgreSQL's `executeItem` semantics over our syntax tree.
//!
//! Every step takes one input item and appends its results to `found` (or, when
//! `found` is `None`, only reports whether there is a result, stopping at the first,
//! as PostgreSQL does for `exists`). Lax mode unwraps arrays before member accessors,
//! methods and arithmetic, wraps non-arrays for `[...]`, and ignores structural
//! errors (missing keys, subscripts out of bounds); strict mode reports them.

use bigdecimal::{BigDecimal, ToPrimitive};
use helios_common::{Error, SqlState};
use helios_types::jsonpath::{Accessor, BinaryOp, JsonPath, Node};
use helios_types::{numeric_ops, Numeric, TimeZone};
use serde_json::Value as Json;

use super::item::{
    soft, Fail, Item, ARRAY_NOT_FOUND, INVALID_SUBSCRIPT, MEMBER_NOT_FOUND, NUMBER_NOT_FOUND,
    OBJECT_NOT_FOUND, SINGLETON_REQUIRED,
};

/// Whether a step found something.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// At least one result.
    Ok,
    /// No result.
    NotFound,
}

/// The outcome of a step.
pub type Res = Result<Status, Fail>;

/// Where results go: `None` means "only say whether there is one".
pub type Found<'f, 'a> = Option<&'f mut Vec<Item<'a>>>;

/// The evaluation context of one path over one document.
#[derive(Debug)]
pub struct Exec<'a> {
    pub(super) root: &'a Json,
    pub(super) vars: &'a Json,
    pub(super) lax: bool,
    pub(super) ignore_structural: bool,
    pub(super) current: Item<'a>,
    pub(super) innermost_size: i64,
    /// Whether date/time comparisons may convert between zoned and unzoned values
    /// (the `_tz` functions).
    pub(super) use_tz: bool,
    pub(super) tz: TimeZone,
    /// Object ids for `.keyvalue()` results: the id the next generated object gets.
    pub(super) generated_id: i64,
    /// The generated object (and its id) being read, if any.
    pub(super) generated_base: Option<(i64, Json)>,
}

impl<'a> Exec<'a> {
    /// A context for `path` over `root` with variables `vars` (an object, or null).
    pub fn new(
        path: &JsonPath,
        root: &'a Json,
        vars: &'a Json,
        use_tz: bool,
        tz: TimeZone,
    ) -> Self {
        Exec {
            root,
            vars,
            lax: !path.strict,
            ignore_structural: !path.strict,
            current: Item::of(root),
            innermost_size: -1,
            use_tz,
            tz,
            generated_id: if vars.is_object() { 2 } else { 1 },
            generated_base: None,
        }
    }

    /// Evaluates `n` on `jb`.
    pub fn exec(&mut self, n: &Node, jb: &Item<'a>, found: Found<'_, 'a>) -> Res {
        match n {
            Node::Chain(base, accessors) => self.exec_base(base, accessors, jb, found),
            other => self.exec_base(other, &[], jb, found),
        }
    }

    /// Evaluates `n` on `jb` and, in lax mode when `unwrap` is set, replaces array
    /// results by their elements (PostgreSQL's `executeItemOptUnwrapResult`).
    pub fn exec_unwrapped(
        &mut self,
        n: &Node,
        jb: &Item<'a>,
        unwrap: bool,
        found: &mut Vec<Item<'a>>,
    ) -> Res {
        if unwrap && self.lax {
            let mut seq = Vec::new();
            let res = self.exec(n, jb, Some(&mut seq));
            for item in seq {
                if item.is_array() {
                    found.extend(item.elements());
                } else {
                    found.push(item);
                }
            }
            return res;
        }
        self.exec(n, jb, Some(found))
    }

    /// Continues with the accessors in `rest` on `v`, or records `v` when none remain.
    pub fn next(&mut self, rest: &[Accessor], v: Item<'a>, found: Found<'_, 'a>) -> Res {
        match rest.split_first() {
            None => {
                if let Some(f) = found {
                    f.push(v);
                }
                Ok(Status::Ok)
            }
            Some((acc, rest)) => {
                let lax = self.lax;
                self.accessor(acc, rest, v, found, lax)
            }
        }
    }

    fn exec_base(
        &mut self,
        n: &Node,
        rest: &[Accessor],
        jb: &Item<'a>,
        found: Found<'_, 'a>,
    ) -> Res {
        match n {
            Node::Null => self.next(rest, Item::owned(Json::Null), found),
            Node::Bool(b) => self.next(rest, Item::owned(Json::Bool(*b)), found),
            Node::Number(d) => self.next(rest, Item::number(d), found),
            Node::String(s) => self.next(rest, Item::owned(Json::String(s.clone())), found),
            Node::Variable(name) => {
                let v = self.variable(name)?;
                self.next(rest, v, found)
            }
            Node::Root => {
                let root = Item::of(self.root);
                self.next(rest, root, found)
            }
            Node::Current => {
                let cur = self.current.clone();
                self.next(rest, cur, found)
            }
            Node::Last => {
                if self.innermost_size < 0 {
                    return Err(Fail::Hard(Error::internal(
                        "evaluating jsonpath LAST outside of array subscript",
                    )));
                }
                let last = BigDecimal::from(self.innermost_size - 1);
                self.next(rest, Item::number(&last), found)
            }
            Node::Binary(op, a, b) if is_arithmetic(*op) => {
                self.binary_arithmetic(*op, a, b, rest, jb, found)
            }
            Node::Sign(plus, a) => self.unary_arithmetic(*plus, a, rest, jb, found),
            Node::Chain(base, accessors) => {
                // A chain inside a chain does not occur after parsing; evaluate it whole.
                let mut seq = Vec::new();
                let res = self.exec_base(base, accessors, jb, Some(&mut seq))?;
                if rest.is_empty() && found.is_none() {
                    return Ok(res);
                }
                self.each(seq, rest, found)
            }
            // Predicates used as expressions yield true, false or null (unknown).
            _ => {
                let b = self.bool_item(n, jb)?;
                if rest.is_empty() && found.is_none() {
                    return Ok(Status::Ok);
                }
                let v = match b {
                    Some(b) => Json::Bool(b),
                    None => Json::Null,
                };
                self.next(rest, Item::owned(v), found)
            }
        }
    }

    /// Applies `rest` to each item of `seq`.
    fn each(&mut self, seq: Vec<Item<'a>>, rest: &[Accessor], mut found: Found<'_, 'a>) -> Res {
        let mut res = Status::NotFound;
        for v in seq {
            if self.next(rest, v, found.as_deref_mut())? == Status::Ok {
                res = Status::Ok;
                if found.is_none() {
                    break;
                }
            }
        }
        Ok(res)
    }

    fn variable(&self, name: &str) -> Result<Item<'a>, Fail> {
        // Without a `vars` argument (the `@?` and `@@` operators) every variable is null.
        if self.vars.is_null() {
            return Ok(Item::owned(Json::Null));
        }
        match self.vars.get(name) {
            Some(v) if self.vars.is_object() => Ok(Item::of(v)),
            _ => Err(Fail::Hard(Error::new(
                SqlState::UNDEFINED_OBJECT,
                format!("could not find jsonpath variable \"{name}\""),
            ))),
        }
    }

    /// Applies `acc` (followed by `rest`) to `jb`.
    pub fn accessor(
        &mut self,
        acc: &Accessor,
        rest: &[Accessor],
        jb: Item<'a>,
        found: Found<'_, 'a>,
        unwrap: bool,
    ) -> Res {
        match acc {
            Accessor::Key(key) => {
                if jb.is_object() {
                    return match jb.member(key) {
                        Some(v) => self.next(rest, v, found),
                        None if !self.ignore_structural => Err(soft(
                            MEMBER_NOT_FOUND,
                            format!("JSON object does not contain key \"{key}\""),
                        )),
                        None => Ok(Status::NotFound),
                    };
                }
                if unwrap && jb.is_array() {
                    return self.unwrap_array(Some((acc, rest)), &jb, found, false);
                }
                if !self.ignore_structural {
                    return Err(soft(
                        MEMBER_NOT_FOUND,
                        "jsonpath member accessor can only be applied to an object",
                    ));
                }
                Ok(Status::NotFound)
            }
            Accessor::AnyArray => {
                if jb.is_array() {
                    let lax = self.lax;
                    return match rest.split_first() {
                        Some((next, rest2)) => {
                            self.unwrap_array(Some((next, rest2)), &jb, found, lax)
                        }
                        None => self.unwrap_array(None, &jb, found, lax),
                    };
                }
                if self.lax {
                    return self.next(rest, jb, found);
                }
                if !self.ignore_structural {
                    return Err(soft(
                        ARRAY_NOT_FOUND,
                        "jsonpath wildcard array accessor can only be applied to an array",
                    ));
                }
                Ok(Status::NotFound)
            }
            Accessor::AnyKey => {
                if jb.is_object() {
                    let lax = self.lax;
                    return self.any_item(rest, &jb, found, 1, 1, 1, false, lax);
                }
                if unwrap && jb.is_array() {
                    return self.unwrap_array(Some((acc, rest)), &jb, found, false);
                }
                if !self.ignore_structural {
                    return Err(soft(
                        OBJECT_NOT_FOUND,
                        "jsonpath wildcard member accessor can only be applied to an object",
                    ));
                }
                Ok(Status::NotFound)
            }
            Accessor::Index(subscripts) => self.index(subscripts, rest, jb, found),
            Accessor::Any { first, last } => {
                let mut res = Status::NotFound;
                let mut found = found;
                if *first == 0 {
                    let saved = self.ignore_structural;
                    self.ignore_structural = true;
                    let r = self.next(rest, jb.clone(), found.as_deref_mut());
                    self.ignore_structural = saved;
                    res = r?;
                    if res == Status::Ok && found.is_none() {
                        return Ok(res);
                    }
                }
                if jb.is_array() || jb.is_object() {
                    let lax = self.lax;
                    res = self.any_item(rest, &jb, found, 1, *first, *last, true, lax)?;
                }
                Ok(res)
            }
            Accessor::Filter(pred) => {
                if unwrap && jb.is_array() {
                    return self.unwrap_array(Some((acc, rest)), &jb, found, false);
                }
                let saved = std::mem::replace(&mut self.current, jb.clone());
                let st = self.bool_item(pred, &jb);
                self.current = saved;
                if st? != Some(true) {
                    return Ok(Status::NotFound);
                }
                self.next(rest, jb, found)
            }
            Accessor::Method(m) => self.method(*m, rest, jb, found, unwrap),
            Accessor::Datetime(template) => {
                self.datetime_method(template.as_deref(), rest, jb, found, unwrap)
            }
        }
    }

    /// Applies `target` to each element of the array `jb` (or records the elements),
    /// with `unwrap` for the elements (PostgreSQL's `executeItemUnwrapTargetArray`).
    pub fn unwrap_array(
        &mut self,
        target: Option<(&Accessor, &[Accessor])>,
        jb: &Item<'a>,
        found: Found<'_, 'a>,
        unwrap: bool,
    ) -> Res {
        if let Some((acc, rest)) = target {
            return self.elements_through(acc, rest, jb, found, unwrap);
        }
        let Some(f) = found else {
            return Ok(if jb.elements().is_empty() { Status::NotFound } else { Status::Ok });
        };
        f.extend(jb.elements());
        Ok(Status::NotFound)
    }

    fn elements_through(
        &mut self,
        acc: &Accessor,
        rest: &[Accessor],
        jb: &Item<'a>,
        mut found: Found<'_, 'a>,
        unwrap: bool,
    ) -> Res {
        let mut res = Status::NotFound;
        for e in jb.elements() {
            res = self.accessor(acc, rest, e, found.as_deref_mut(), unwrap)?;
            if res == Status::Ok && found.is_none() {
                break;
            }
        }
        Ok(res)
    }

    /// `.*` and `.**`: the members or elements of `jb` at levels `first..=last`
    /// (PostgreSQL's `executeAnyItem`).
    #[allow(clippy::too_many_arguments)]
    fn any_item(
        &mut self,
        rest: &[Accessor],
        jb: &Item<'a>,
        mut found: Found<'_, 'a>,
        level: u32,
        first: u32,
        last: u32,
        ignore_structural: bool,
        unwrap: bool,
    ) -> Res {
        let mut res = Status::NotFound;
        if level > last {
            return Ok(res);
        }
        let children: Vec<Item<'a>> = if jb.is_object() {
            jb.members().into_iter().map(|(_, v)| v).collect()
        } else {
            jb.elements()
        };
        for v in children {
            let container = v.is_array() || v.is_object();
            if level >= first || (first == u32::MAX && last == u32::MAX && !container) {
                match rest.split_first() {
                    Some((acc, rest2)) => {
                        let saved = self.ignore_structural;
                        if ignore_structural {
                            self.ignore_structural = true;
                        }
                        let r = self.accessor(acc, rest2, v.clone(), found.as_deref_mut(), unwrap);
                        self.ignore_structural = saved;
                        res = r?;
                        if res == Status::Ok && found.is_none() {
                            break;
                        }
                    }
                    None => match found.as_deref_mut() {
                        Some(f) => f.push(v.clone()),
                        None => return Ok(Status::Ok),
                    },
                }
            }
            if level < last && container {
                res = self.any_item(
                    rest,
                    &v,
                    found.as_deref_mut(),
                    level + 1,
                    first,
                    last,
                    ignore_structural,
                    unwrap,
                )?;
                if res == Status::Ok && found.is_none() {
                    break;
                }
            }
        }
        Ok(res)
    }

    fn index(
        &mut self,
        subscripts: &[(Node, Option<Node>)],
        rest: &[Accessor],
        jb: Item<'a>,
        mut found: Found<'_, 'a>,
    ) -> Res {
        if !jb.is_array() && !self.lax {
            if !self.ignore_structural {
                return Err(soft(
                    ARRAY_NOT_FOUND,
                    "jsonpath array accessor can only be applied to an array",
                ));
            }
            return Ok(Status::NotFound);
        }
        let elements = jb.elements();
        let singleton = !jb.is_array();
        let size = if singleton { 1 } else { elements.len() as i64 };
        let saved = self.innermost_size;
        self.innermost_size = size;
        let result = (|| {
            let mut res = Status::NotFound;
            for (from, to) in subscripts {
                let i_from = self.array_index(from, &jb)?;
                let i_to = match to {
                    Some(to) => self.array_index(to, &jb)?,
                    None => i_from,
                };
                if !self.ignore_structural && (i_from < 0 || i_from > i_to || i_to >= size) {
                    return Err(soft(
                        INVALID_SUBSCRIPT,
                        "jsonpath array subscript is out of bounds",
                    ));
                }
                let lo = i_from.max(0);
                let hi = i_to.min(size - 1);
                res = Status::NotFound;
                let mut i = lo;
                while i <= hi {
                    let v = if singleton { jb.clone() } else { elements[i as usize].clone() };
                    if rest.is_empty() && found.is_none() {
                        return Ok(Status::Ok);
                    }
                    res = self.next(rest, v, found.as_deref_mut())?;
                    if res == Status::Ok && found.is_none() {
                        break;
                    }
                    i += 1;
                }
                if res == Status::Ok && found.is_none() {
                    break;
                }
            }
            Ok(res)
        })();
        self.innermost_size = saved;
        result
    }

    /// One array subscript: a single number, truncated to an integer.
    fn array_index(&mut self, n: &Node, jb: &Item<'a>) -> Result<i64, Fail> {
        let mut seq = Vec::new();
        self.exec(n, jb, Some(&mut seq))?;
        let num = match seq.as_slice() {
            [one] => one.as_number(),
            _ => None,
        };
        let Some(num) = num else {
            return Err(soft(
                INVALID_SUBSCRIPT,
                "jsonpath array subscript is not a single numeric value",
            ));
        };
        num.with_scale(0).to_i64().filter(|i| i32::try_from(*i).is_ok()).ok_or_else(|| {
            soft(INVALID_SUBSCRIPT, "jsonpath array subscript is out of integer range")
        })
    }

    fn binary_arithmetic(
        &mut self,
        op: BinaryOp,
        a: &Node,
        b: &Node,
        rest: &[Accessor],
        jb: &Item<'a>,
        found: Found<'_, 'a>,
    ) -> Res {
        let mut lseq = Vec::new();
        self.exec_unwrapped(a, jb, true, &mut lseq)?;
        let mut rseq = Vec::new();
        self.exec_unwrapped(b, jb, true, &mut rseq)?;
        let single = |seq: &[Item<'a>]| match seq {
            [one] => one.as_number(),
            _ => None,
        };
        let Some(l) = single(&lseq) else {
            return Err(soft(
                SINGLETON_REQUIRED,
                format!(
                    "left operand of jsonpath operator {} is not a single numeric value",
                    op.symbol()
                ),
            ));
        };
        let Some(r) = single(&rseq) else {
            return Err(soft(
                SINGLETON_REQUIRED,
                format!(
                    "right operand of jsonpath operator {} is not a single numeric value",
                    op.symbol()
                ),
            ));
        };
        let (l, r) = (Numeric::finite(l), Numeric::finite(r));
        let out = match op {
            BinaryOp::Add => numeric_ops::add(&l, &r),
            BinaryOp::Sub => numeric_ops::sub(&l, &r),
            BinaryOp::Mul => numeric_ops::mul(&l, &r),
            BinaryOp::Div => numeric_ops::div(&l, &r),
            _ => numeric_ops::rem(&l, &r),
        }
        .map_err(|e| Fail::Soft(e.into()))?;
        let Numeric::Finite(d) = out else {
            return Err(soft(SqlState::NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: overflow"));
        };
        if rest.is_empty() && found.is_none() {
            return Ok(Status::Ok);
        }
        self.next(rest, Item::number(&d), found)
    }

    fn unary_arithmetic(
        &mut self,
        plus: bool,
        a: &Node,
        rest: &[Accessor],
        jb: &Item<'a>,
        mut found: Found<'_, 'a>,
    ) -> Res {
        let mut seq = Vec::new();
        self.exec_unwrapped(a, jb, true, &mut seq)?;
        let mut res = Status::NotFound;
        let has_next = !rest.is_empty();
        for v in seq {
            let Some(n) = v.as_number() else {
                if found.is_none() && !has_next {
                    continue;
                }
                return Err(soft(
                    NUMBER_NOT_FOUND,
                    format!(
                        "operand of unary jsonpath operator {} is not a numeric value",
                        if plus { "+" } else { "-" }
                    ),
                ));
            };
            if found.is_none() && !has_next {
                return Ok(Status::Ok);
            }
            let n = if plus { n } else { -n };
            if self.next(rest, Item::number(&n), found.as_deref_mut())? == Status::Ok {
                if found.is_none() {
                    return Ok(Status::Ok);
                }
                res = Status::Ok;
            }
        }
        Ok(res)
    }
}

fn is_arithmetic(op: BinaryOp) -> bool {
    matches!(op, BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod)
}
