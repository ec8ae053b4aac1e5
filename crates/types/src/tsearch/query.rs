//! `tsquery`: lexemes combined with `!` (not), `<->`/`<N>` (followed by), `&` (and) and
//! `|` (or), binding in that order, each binary operator left-associative; operands may
//! carry a weight set (`:AB`) and be prefixes (`:*`).
//!
//! [`TsQuery::parse_with`] is PostgreSQL's `parse_tsquery`: the caller turns each
//! operand's text into a subtree (plain input keeps it as is; `to_tsquery` normalises it
//! and may drop stop words, which [`TsQuery::parse_with`] then cleans out as
//! `clean_stopwords` does). Output ([`std::fmt::Display`]) is `tsqueryout`'s, with its
//! `( ... )` parenthesisation.

use std::cmp::Ordering;

use helios_common::SqlState;

use super::vector::{is_query_operator, WordReader};
use crate::error::{TypeError, TypeResult};

/// The largest `<N>` distance.
pub const MAX_DISTANCE: u16 = 16_384;

/// One lexeme of a query.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct QueryOperand {
    /// The lexeme.
    pub word: String,
    /// Accepted weights: bit 3 = `A`, 2 = `B`, 1 = `C`, 0 = `D`; 0 accepts all.
    pub weight: u8,
    /// Matches every lexeme starting with `word`.
    pub prefix: bool,
}

/// A query tree.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum QueryNode {
    /// A lexeme.
    Operand(QueryOperand),
    /// `!q`
    Not(Box<QueryNode>),
    /// `l & r`
    And(Box<QueryNode>, Box<QueryNode>),
    /// `l | r`
    Or(Box<QueryNode>, Box<QueryNode>),
    /// `l <N> r`: `r` starts `N` positions after `l` ends.
    Phrase(Box<QueryNode>, Box<QueryNode>, u16),
}

/// A `tsquery`; `None` is the empty query (text `''`, matches nothing).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TsQuery {
    /// The tree, if the query has any lexeme.
    pub root: Option<QueryNode>,
}

/// A binary or unary operator while parsing.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Not,
    And,
    Or,
    Phrase(u16),
}

impl Op {
    fn priority(self) -> u8 {
        match self {
            Op::Not => 4,
            Op::Phrase(_) => 3,
            Op::And => 2,
            Op::Or => 1,
        }
    }
}

/// A subtree while parsing: `Void` is an operand that normalised to nothing.
#[derive(Debug)]
enum Tmp {
    Void,
    Node(QueryNode),
    Not(Box<Tmp>),
    Bin(Op, Box<Tmp>, Box<Tmp>),
}

enum Token {
    Val(Tmp),
    Opr(Op),
    Open,
    Close,
    End,
}

/// The result of normalising one query operand.
pub type OperandFn<'f> = dyn FnMut(&str, u8, bool) -> TypeResult<Option<QueryNode>> + 'f;

struct Parser<'a, 'f> {
    src: &'a str,
    at: usize,
    waiting_operand: bool,
    depth: i32,
    operand: &'f mut OperandFn<'f>,
}

fn syntax_error(src: &str) -> TypeError {
    TypeError::other(SqlState::SYNTAX_ERROR, format!("syntax error in tsquery: \"{src}\""))
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<char> {
        self.src[self.at..].chars().next()
    }

    fn bump(&mut self, c: char) {
        self.at += c.len_utf8();
    }

    fn next_token(&mut self) -> TypeResult<Token> {
        loop {
            let c = self.peek();
            if self.waiting_operand {
                match c {
                    Some('!') => {
                        self.bump('!');
                        return Ok(Token::Opr(Op::Not));
                    }
                    Some('(') => {
                        self.bump('(');
                        self.depth += 1;
                        return Ok(Token::Open);
                    }
                    Some(':') => return Err(syntax_error(self.src)),
                    Some(c) if c.is_whitespace() => self.bump(c),
                    _ => {
                        let mut reader = WordReader::new(self.src, true);
                        reader.at = self.at;
                        let Some((word, _)) = reader.next_word()? else {
                            return Err(TypeError::other(
                                SqlState::SYNTAX_ERROR,
                                format!("syntax error in tsquery: \"{}\"", self.src),
                            ));
                        };
                        self.at = reader.at;
                        let (weight, prefix) = self.modifiers();
                        self.waiting_operand = false;
                        let node = match (self.operand)(&word, weight, prefix)? {
                            Some(n) => Tmp::Node(n),
                            None => Tmp::Void,
                        };
                        return Ok(Token::Val(node));
                    }
                }
            } else {
                match c {
                    Some('&') => {
                        self.bump('&');
                        self.waiting_operand = true;
                        return Ok(Token::Opr(Op::And));
                    }
                    Some('|') => {
                        self.bump('|');
                        self.waiting_operand = true;
                        return Ok(Token::Opr(Op::Or));
                    }
                    Some('<') => {
                        let d = self.phrase_operator()?.ok_or_else(|| syntax_error(self.src))?;
                        self.waiting_operand = true;
                        return Ok(Token::Opr(Op::Phrase(d)));
                    }
                    Some(')') => {
                        self.bump(')');
                        self.depth -= 1;
                        if self.depth < 0 {
                            return Err(syntax_error(self.src));
                        }
                        return Ok(Token::Close);
                    }
                    None if self.depth != 0 => return Err(syntax_error(self.src)),
                    None => return Ok(Token::End),
                    Some(c) if c.is_whitespace() => self.bump(c),
                    Some(_) => return Err(syntax_error(self.src)),
                }
            }
        }
    }

    /// `:` followed by weight letters and `*` after an operand.
    fn modifiers(&mut self) -> (u8, bool) {
        let (mut weight, mut prefix) = (0u8, false);
        if self.peek() != Some(':') {
            return (weight, prefix);
        }
        self.at += 1;
        while let Some(c) = self.peek() {
            match c {
                'a' | 'A' => weight |= 8,
                'b' | 'B' => weight |= 4,
                'c' | 'C' => weight |= 2,
                'd' | 'D' => weight |= 1,
                '*' => prefix = true,
                _ => break,
            }
            self.at += 1;
        }
        (weight, prefix)
    }

    /// `<->` or `<N>` at the cursor: the distance, or `None` when it is not one.
    fn phrase_operator(&mut self) -> TypeResult<Option<u16>> {
        let rest = &self.src[self.at..];
        let Some(body) = rest.strip_prefix('<') else { return Ok(None) };
        let (dist, after) = if let Some(after) = body.strip_prefix('-') {
            (1u16, after)
        } else {
            let digits: &str = &body[..body.bytes().take_while(u8::is_ascii_digit).count()];
            if digits.is_empty() {
                return Ok(None);
            }
            let n: u64 = digits.parse().unwrap_or(u64::MAX);
            if n > u64::from(MAX_DISTANCE) {
                return Err(TypeError::other(
                    SqlState::INVALID_PARAMETER_VALUE,
                    format!(
                        "distance in phrase operator must be an integer value between zero and {MAX_DISTANCE} inclusive"
                    ),
                ));
            }
            (n as u16, &body[digits.len()..])
        };
        let Some(after) = after.strip_prefix('>') else { return Ok(None) };
        // PostgreSQL wants something after the operator; at the end it is an error.
        if after.is_empty() {
            return Ok(None);
        }
        self.at = self.src.len() - after.len();
        Ok(Some(dist))
    }

    /// One parenthesised level (`makepol`): operands and operators until `)` or the end.
    fn parse_level(&mut self) -> TypeResult<Tmp> {
        let mut vals: Vec<Tmp> = Vec::new();
        let mut ops: Vec<Op> = Vec::new();
        loop {
            match self.next_token()? {
                Token::Val(v) => vals.push(v),
                Token::Opr(op) => {
                    self.unwind(&mut vals, &mut ops, op)?;
                    ops.push(op);
                }
                Token::Open => {
                    let inner = self.parse_level()?;
                    vals.push(inner);
                }
                Token::Close | Token::End => {
                    self.unwind(&mut vals, &mut ops, Op::Or)?;
                    if ops.is_empty() && vals.len() == 1 {
                        return Ok(vals.pop().expect("one value"));
                    }
                    return Err(syntax_error(self.src));
                }
            }
        }
    }

    /// Applies stacked operators that bind at least as tightly as `op`.
    fn unwind(&self, vals: &mut Vec<Tmp>, ops: &mut Vec<Op>, op: Op) -> TypeResult<()> {
        while let Some(&top) = ops.last() {
            let stop = if op == Op::Not {
                op.priority() >= top.priority()
            } else {
                op.priority() > top.priority()
            };
            if stop {
                break;
            }
            ops.pop();
            let node = if top == Op::Not {
                let v = vals.pop().ok_or_else(|| syntax_error(self.src))?;
                Tmp::Not(Box::new(v))
            } else {
                let r = vals.pop().ok_or_else(|| syntax_error(self.src))?;
                let l = vals.pop().ok_or_else(|| syntax_error(self.src))?;
                Tmp::Bin(top, Box::new(l), Box::new(r))
            };
            vals.push(node);
        }
        Ok(())
    }
}

/// Removes void operands (`clean_stopword_intree`); returns the subtree and the
/// distances to add to an enclosing phrase operator on its left and right.
fn clean(t: Tmp) -> (Option<QueryNode>, u16, u16) {
    match t {
        Tmp::Void => (None, 0, 0),
        Tmp::Node(n) => (Some(n), 0, 0),
        Tmp::Not(inner) => {
            let (n, l, r) = clean(*inner);
            (n.map(|n| QueryNode::Not(Box::new(n))), l, r)
        }
        Tmp::Bin(op, l, r) => {
            let (ln, lladd, lradd) = clean(*l);
            let (rn, rladd, rradd) = clean(*r);
            let dist = if let Op::Phrase(d) = op { d } else { 0 };
            let phrase = matches!(op, Op::Phrase(_));
            match (ln, rn) {
                (None, None) => {
                    let add =
                        if phrase { lladd.saturating_add(dist).saturating_add(rradd) } else { 0 };
                    (None, add, add)
                }
                (None, Some(r)) => {
                    if phrase {
                        (Some(r), lladd.saturating_add(dist).saturating_add(rladd), rradd)
                    } else {
                        (Some(r), rladd, rradd)
                    }
                }
                (Some(l), None) => {
                    if phrase {
                        (Some(l), lladd, lradd.saturating_add(dist).saturating_add(rradd))
                    } else {
                        (Some(l), lladd, lradd)
                    }
                }
                (Some(l), Some(r)) => {
                    let (l, r) = (Box::new(l), Box::new(r));
                    let node = match op {
                        Op::Or => QueryNode::Or(l, r),
                        Op::Phrase(d) => {
                            let d = d.saturating_add(lradd).saturating_add(rladd);
                            return (Some(QueryNode::Phrase(l, r, d)), lladd, rradd);
                        }
                        // `Not` is never built as a binary node.
                        Op::And | Op::Not => QueryNode::And(l, r),
                    };
                    (Some(node), 0, 0)
                }
            }
        }
    }
}

impl TsQuery {
    /// Reads PostgreSQL's text form (`tsqueryin`).
    pub fn parse(s: &str) -> TypeResult<TsQuery> {
        TsQuery::parse_with(s, &mut |word, weight, prefix| {
            Ok(Some(QueryNode::Operand(QueryOperand { word: word.to_string(), weight, prefix })))
        })
    }

    /// Parses query syntax, turning each operand into a subtree with `operand`
    /// (`None` drops it, as a stop word). A query of no operands is empty.
    pub fn parse_with(s: &str, operand: &mut OperandFn<'_>) -> TypeResult<TsQuery> {
        if s.chars().all(char::is_whitespace) {
            return Ok(TsQuery::default());
        }
        let mut p = Parser { src: s, at: 0, waiting_operand: true, depth: 0, operand };
        let tree = p.parse_level()?;
        Ok(TsQuery { root: clean(tree).0 })
    }

    /// The number of operators and operands (`numnode`).
    pub fn node_count(&self) -> usize {
        fn count(n: &QueryNode) -> usize {
            match n {
                QueryNode::Operand(_) => 1,
                QueryNode::Not(c) => 1 + count(c),
                QueryNode::And(l, r) | QueryNode::Or(l, r) | QueryNode::Phrase(l, r, _) => {
                    1 + count(l) + count(r)
                }
            }
        }
        self.root.as_ref().map_or(0, count)
    }
}

impl QueryNode {
    /// Operator priority as `tsqueryout` uses it (operands bind tightest).
    fn priority(&self) -> i32 {
        match self {
            QueryNode::Operand(_) => 5,
            QueryNode::Not(_) => 4,
            QueryNode::Phrase(..) => 3,
            QueryNode::And(..) => 2,
            QueryNode::Or(..) => 1,
        }
    }

    /// Writes the node as `tsqueryout` does (`infix`).
    fn write(&self, out: &mut String, parent: i32, right_of_phrase: bool) {
        let prio = self.priority();
        match self {
            QueryNode::Operand(o) => {
                super::quote_lexeme(out, &o.word);
                if o.weight != 0 || o.prefix {
                    out.push(':');
                    if o.prefix {
                        out.push('*');
                    }
                    for (bit, c) in [(8, 'A'), (4, 'B'), (2, 'C'), (1, 'D')] {
                        if o.weight & bit != 0 {
                            out.push(c);
                        }
                    }
                }
            }
            QueryNode::Not(c) => {
                let paren = prio < parent;
                if paren {
                    out.push_str("( ");
                }
                out.push('!');
                c.write(out, prio, false);
                if paren {
                    out.push_str(" )");
                }
            }
            QueryNode::And(l, r) | QueryNode::Or(l, r) | QueryNode::Phrase(l, r, _) => {
                let is_phrase = matches!(self, QueryNode::Phrase(..));
                let paren = prio < parent || (is_phrase && right_of_phrase);
                if paren {
                    out.push_str("( ");
                }
                l.write(out, prio, false);
                match self {
                    QueryNode::And(..) => out.push_str(" & "),
                    QueryNode::Or(..) => out.push_str(" | "),
                    QueryNode::Phrase(_, _, 1) => out.push_str(" <-> "),
                    QueryNode::Phrase(_, _, d) => {
                        out.push_str(&format!(" <{d}> "));
                    }
                    _ => {}
                }
                r.write(out, prio, is_phrase);
                if paren {
                    out.push_str(" )");
                }
            }
        }
    }

    /// The tag PostgreSQL orders node kinds by (operands sort after operators).
    fn kind_rank(&self) -> (u8, u8) {
        // QI_VAL = 1, QI_OPR = 2 (a greater type sorts first); OP_NOT = 1, OP_AND = 2,
        // OP_OR = 3, OP_PHRASE = 4 (a greater operator sorts first).
        match self {
            QueryNode::Operand(_) => (1, 0),
            QueryNode::Not(_) => (2, 1),
            QueryNode::And(..) => (2, 2),
            QueryNode::Or(..) => (2, 3),
            QueryNode::Phrase(..) => (2, 4),
        }
    }

    /// Node comparison of `QTNodeCompare` (children right first, as stored).
    fn compare(&self, other: &QueryNode) -> Ordering {
        let (a, b) = (self.kind_rank(), other.kind_rank());
        if a != b {
            return b.cmp(&a);
        }
        match (self, other) {
            (QueryNode::Operand(x), QueryNode::Operand(y)) => {
                let (cx, cy) = (legacy_crc32(x.word.as_bytes()), legacy_crc32(y.word.as_bytes()));
                if cx != cy {
                    return cy.cmp(&cx);
                }
                x.word.as_bytes().cmp(y.word.as_bytes())
            }
            (QueryNode::Not(x), QueryNode::Not(y)) => x.compare(y),
            (
                QueryNode::And(xl, xr) | QueryNode::Or(xl, xr) | QueryNode::Phrase(xl, xr, _),
                QueryNode::And(yl, yr) | QueryNode::Or(yl, yr) | QueryNode::Phrase(yl, yr, _),
            ) => xr.compare(yr).then_with(|| xl.compare(yl)).then_with(|| match (self, other) {
                (QueryNode::Phrase(_, _, dx), QueryNode::Phrase(_, _, dy)) => dy.cmp(dx),
                _ => Ordering::Equal,
            }),
            _ => Ordering::Equal,
        }
    }

    fn operand_bytes(&self) -> usize {
        match self {
            QueryNode::Operand(o) => o.word.len() + 1,
            QueryNode::Not(c) => c.operand_bytes(),
            QueryNode::And(l, r) | QueryNode::Or(l, r) | QueryNode::Phrase(l, r, _) => {
                l.operand_bytes() + r.operand_bytes()
            }
        }
    }
}

/// PostgreSQL's legacy CRC-32 of an operand (`valcrc`), as a signed number.
fn legacy_crc32(data: &[u8]) -> i32 {
    let mut crc: u32 = 0xFFFF_FFFF;
    for &b in data {
        let idx = ((crc >> 24) ^ u32::from(b)) & 0xFF;
        crc = crc32_table_entry(idx) ^ (crc << 8);
    }
    (crc ^ 0xFFFF_FFFF) as i32
}

/// An entry of the reflected CRC-32 table (polynomial 0xEDB88320).
fn crc32_table_entry(i: u32) -> u32 {
    let mut c = i;
    for _ in 0..8 {
        c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
    }
    c
}

impl TsQuery {
    /// PostgreSQL's `tsquery_cmp`: by node count, then stored size, then node by node.
    pub fn pg_cmp(&self, other: &TsQuery) -> Ordering {
        let (na, nb) = (self.node_count(), other.node_count());
        if na != nb {
            return na.cmp(&nb);
        }
        let size = |q: &TsQuery| q.root.as_ref().map_or(0, QueryNode::operand_bytes);
        let (sa, sb) = (size(self), size(other));
        if sa != sb {
            return sa.cmp(&sb);
        }
        match (&self.root, &other.root) {
            (Some(a), Some(b)) => a.compare(b),
            _ => Ordering::Equal,
        }
    }
}

impl std::fmt::Display for TsQuery {
    /// `tsqueryout`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::new();
        if let Some(root) = &self.root {
            root.write(&mut out, -1, false);
        }
        f.write_str(&out)
    }
}

/// Whether `c` may not start an unquoted operand.
pub fn is_operator_char(c: char) -> bool {
    is_query_operator(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(s: &str) -> String {
        TsQuery::parse(s).unwrap().to_string()
    }

    #[test]
    fn output_parenthesises_as_postgres() {
        assert_eq!(rt("1"), "'1'");
        assert_eq!(rt("!(!1|!2)"), "!( !'1' | !'2' )");
        assert_eq!(rt("1|2&3"), "'1' | '2' & '3'");
        assert_eq!(rt("(1|2)&3"), "( '1' | '2' ) & '3'");
        assert_eq!(rt("1&(2&(4&(5|!6)))"), "'1' & '2' & '4' & ( '5' | !'6' )");
        assert_eq!(rt("a:* & nbb:*ac | doo:a* | goo"), "'a':* & 'nbb':*AC | 'doo':*A | 'goo'");
        assert_eq!(rt("!!b"), "!!'b'");
        assert_eq!(rt("1 <-> (2 <-> 3)"), "'1' <-> ( '2' <-> '3' )");
        assert_eq!(rt("(1 <-> 2) <3> 3"), "'1' <-> '2' <3> '3'");
        assert_eq!(
            rt(r"1&('2'&(' 4'&(\|5 | '6 \' !|&')))"),
            r"'1' & '2' & ' 4' & ( '|5' | '6 '' !|&' )"
        );
        assert_eq!(rt(""), "");
    }

    #[test]
    fn syntax_errors() {
        for bad in ["a &", "&a", "(a", "a)", "a b", "()", "a <-"] {
            assert!(TsQuery::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn comparison_by_size_first() {
        let q = |s: &str| TsQuery::parse(s).unwrap();
        assert_eq!(q("a").pg_cmp(&q("b & c")), Ordering::Less);
        assert_eq!(q("a | f").pg_cmp(&q("b & c")), Ordering::Less);
        assert_eq!(q("a | ff").pg_cmp(&q("b & c")), Ordering::Greater);
    }
}
