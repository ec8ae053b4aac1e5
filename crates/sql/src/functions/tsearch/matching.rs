//! `tsvector @@ tsquery`: PostgreSQL's `TS_execute` with phrase semantics.
//!
//! Outside phrase operators an operand is true when its lexeme (or, for `:*`, any
//! lexeme with that prefix) is present with an accepted weight; a lexeme without
//! positions (a stripped vector) matches whatever the weight. Under `<N>` operands
//! yield the positions where they match, and each operator combines position lists
//! (`TS_phrase_execute`): `l <N> r` holds at the positions `p` of `r` with `p - N -
//! width(r)` a position of `l`; `!x` stands for "every position but these".

use helios_types::tsearch::{QueryNode, QueryOperand, TsVector, WordPos};

/// What an operand finds in a document.
#[derive(Debug)]
pub enum Hit {
    /// The lexeme is absent (or present only with other weights).
    No,
    /// Present, but without position data.
    NoPositions,
    /// Present at these positions (sorted, distinct).
    At(Vec<u16>),
}

/// Three-valued results of phrase evaluation (`TSTernaryValue`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tri {
    No,
    Yes,
    Maybe,
}

/// Positions where a phrase subexpression ends, its width, and whether it is negated.
#[derive(Default, Debug)]
struct PhraseData {
    pos: Vec<u16>,
    width: u32,
    negate: bool,
}

/// Looks operands up in a `tsvector`.
pub fn vector_hit(v: &TsVector, op: &QueryOperand) -> Hit {
    let accept = |p: &WordPos| op.weight == 0 || op.weight & (1 << p.weight) != 0;
    let mut any_without_pos = false;
    let mut found: Vec<u16> = Vec::new();
    let mut visit = |lx: &helios_types::tsearch::Lexeme| {
        if lx.positions.is_empty() {
            any_without_pos = true;
        } else {
            found.extend(lx.positions.iter().filter(|p| accept(p)).map(|p| p.pos));
        }
    };
    if op.prefix {
        v.with_prefix(&op.word).for_each(&mut visit);
    } else if let Some(lx) = v.find(&op.word) {
        visit(lx);
    }
    if !found.is_empty() {
        found.sort_unstable();
        found.dedup();
        Hit::At(found)
    } else if any_without_pos {
        Hit::NoPositions
    } else {
        Hit::No
    }
}

/// Whether the query matches, looking operands up with `hit`.
pub fn execute(node: &QueryNode, hit: &dyn Fn(&QueryOperand) -> Hit) -> bool {
    exec(node, hit) != Tri::No
}

fn exec(node: &QueryNode, hit: &dyn Fn(&QueryOperand) -> Hit) -> Tri {
    match node {
        QueryNode::Operand(op) => match hit(op) {
            Hit::No => Tri::No,
            _ => Tri::Yes,
        },
        QueryNode::Not(c) => match exec(c, hit) {
            Tri::No => Tri::Yes,
            Tri::Yes => Tri::No,
            Tri::Maybe => Tri::Maybe,
        },
        QueryNode::And(l, r) => match exec(l, hit) {
            Tri::No => Tri::No,
            Tri::Yes => exec(r, hit),
            Tri::Maybe => {
                if exec(r, hit) == Tri::No {
                    Tri::No
                } else {
                    Tri::Maybe
                }
            }
        },
        QueryNode::Or(l, r) => match exec(l, hit) {
            Tri::Yes => Tri::Yes,
            Tri::No => exec(r, hit),
            Tri::Maybe => {
                if exec(r, hit) == Tri::Yes {
                    Tri::Yes
                } else {
                    Tri::Maybe
                }
            }
        },
        QueryNode::Phrase(..) => match phrase(node, hit, &mut PhraseData::default()) {
            Tri::Yes => Tri::Yes,
            _ => Tri::No,
        },
    }
}

#[derive(Clone, Copy)]
struct Emit {
    both: bool,
    left_only: bool,
    right_only: bool,
}

/// Merges two position lists: positions `l + loff == r + roff` count as both.
fn output(
    data: &mut PhraseData,
    l: &PhraseData,
    r: &PhraseData,
    emit: Emit,
    loff: u32,
    roff: u32,
) -> Tri {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < l.pos.len() || j < r.pos.len() {
        let lp = l.pos.get(i).map(|p| u32::from(*p) + loff);
        let rp = r.pos.get(j).map(|p| u32::from(*p) + roff);
        match (lp, rp) {
            (Some(a), Some(b)) if a == b => {
                if emit.both {
                    out.push(a);
                }
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => {
                if emit.left_only {
                    out.push(a);
                }
                i += 1;
            }
            (Some(a), None) => {
                if emit.left_only {
                    out.push(a);
                }
                i += 1;
            }
            (_, Some(b)) => {
                if emit.right_only {
                    out.push(b);
                }
                j += 1;
            }
            (None, None) => break,
        }
    }
    data.pos = out.into_iter().map(|p| p.min(u32::from(u16::MAX)) as u16).collect();
    if data.pos.is_empty() {
        Tri::No
    } else {
        Tri::Yes
    }
}

fn phrase(node: &QueryNode, hit: &dyn Fn(&QueryOperand) -> Hit, data: &mut PhraseData) -> Tri {
    match node {
        QueryNode::Operand(op) => match hit(op) {
            Hit::No => Tri::No,
            Hit::NoPositions => Tri::Maybe,
            Hit::At(pos) => {
                *data = PhraseData { pos, width: 0, negate: false };
                Tri::Yes
            }
        },
        QueryNode::Not(c) => match phrase(c, hit, data) {
            Tri::No => {
                data.pos.clear();
                data.negate = true;
                Tri::Yes
            }
            Tri::Yes => {
                if !data.pos.is_empty() {
                    data.negate = !data.negate;
                    Tri::Yes
                } else if data.negate {
                    data.negate = false;
                    Tri::No
                } else {
                    Tri::Yes
                }
            }
            Tri::Maybe => Tri::Maybe,
        },
        QueryNode::Phrase(l, r, dist) => {
            let mut ld = PhraseData::default();
            let mut rd = PhraseData::default();
            let lm = phrase(l, hit, &mut ld);
            if lm == Tri::No {
                return Tri::No;
            }
            let rm = phrase(r, hit, &mut rd);
            if rm == Tri::No {
                return Tri::No;
            }
            if lm == Tri::Maybe || rm == Tri::Maybe {
                return Tri::Maybe;
            }
            let loff = u32::from(*dist) + rd.width;
            data.width = u32::from(*dist) + ld.width + rd.width;
            data.negate = false;
            let all = Emit { both: true, left_only: true, right_only: true };
            if ld.negate && rd.negate {
                output(data, &ld, &rd, all, loff, 0);
                data.negate = true;
                Tri::Yes
            } else if ld.negate {
                let e = Emit { both: false, left_only: false, right_only: true };
                output(data, &ld, &rd, e, loff, 0)
            } else if rd.negate {
                let e = Emit { both: false, left_only: true, right_only: false };
                output(data, &ld, &rd, e, loff, 0)
            } else {
                let e = Emit { both: true, left_only: false, right_only: false };
                output(data, &ld, &rd, e, loff, 0)
            }
        }
        QueryNode::And(l, r) | QueryNode::Or(l, r) => {
            let is_and = matches!(node, QueryNode::And(..));
            let mut ld = PhraseData::default();
            let mut rd = PhraseData::default();
            let lm = phrase(l, hit, &mut ld);
            if is_and && lm == Tri::No {
                return Tri::No;
            }
            let rm = phrase(r, hit, &mut rd);
            if is_and && rm == Tri::No {
                return Tri::No;
            }
            if !is_and && lm == Tri::No && rm == Tri::No {
                return Tri::No;
            }
            if lm == Tri::Maybe || rm == Tri::Maybe {
                return Tri::Maybe;
            }
            // An operand that matched nowhere contributes no positions (and takes the
            // other side's width).
            if lm == Tri::No {
                ld.width = rd.width;
            }
            if rm == Tri::No {
                rd.width = ld.width;
            }
            data.width = ld.width.max(rd.width);
            let all = Emit { both: true, left_only: true, right_only: true };
            if is_and {
                if ld.negate && rd.negate {
                    output(data, &ld, &rd, all, 0, 0);
                    data.negate = true;
                    Tri::Yes
                } else if ld.negate {
                    data.negate = false;
                    let e = Emit { both: false, left_only: false, right_only: true };
                    output(data, &ld, &rd, e, 0, 0)
                } else if rd.negate {
                    data.negate = false;
                    let e = Emit { both: false, left_only: true, right_only: false };
                    output(data, &ld, &rd, e, 0, 0)
                } else {
                    data.negate = false;
                    let e = Emit { both: true, left_only: false, right_only: false };
                    output(data, &ld, &rd, e, 0, 0)
                }
            } else if ld.negate && rd.negate {
                let e = Emit { both: true, left_only: false, right_only: false };
                output(data, &ld, &rd, e, 0, 0);
                data.negate = true;
                Tri::Yes
            } else if ld.negate {
                let e = Emit { both: false, left_only: true, right_only: false };
                output(data, &ld, &rd, e, 0, 0);
                data.negate = true;
                Tri::Yes
            } else if rd.negate {
                let e = Emit { both: false, left_only: false, right_only: true };
                output(data, &ld, &rd, e, 0, 0);
                data.negate = true;
                Tri::Yes
            } else {
                data.negate = false;
                output(data, &ld, &rd, all, 0, 0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use helios_types::tsearch::TsQuery;

    fn m(v: &str, q: &str) -> bool {
        let v = TsVector::parse(v).unwrap();
        let q = TsQuery::parse(q).unwrap();
        q.root.as_ref().is_some_and(|r| execute(r, &|op| vector_hit(&v, op)))
    }

    #[test]
    fn boolean_and_weights() {
        assert!(m("a b:89 ca:23A,64b d:34c", "d:AC & ca"));
        assert!(!m("a b:89 ca:23A,64b d:34c", "d:AC & ca:C"));
        assert!(m("a b:89 ca:23A,64b d:34c", "d:AC & c:*CB"));
        assert!(m("wa:1A", "!w:*D"));
        assert!(m("wa", "w:*D"));
    }

    #[test]
    fn phrases() {
        assert!(m("1:1,4 2:2 3:3", "1 <-> 2"));
        assert!(!m("1:1,4 2:2 3:3", "1 <2> 2"));
        assert!(m("1:1 2:2 3:3 4:4", "1 <-> (2 <-> 3)"));
        assert!(!m("1:1 2:2 3:3 4:4", "1 <2> (2 <-> 3)"));
        assert!(!m("1 2 3", "1 <-> 2"));
        assert!(!m("q:1,3 x:2 y:4", "q <-> (x & y)"));
        assert!(m("q:1 y:2 z:3", "q <-> (x | y <-> z)"));
        assert!(!m("q:1 y:2 x:3", "q <-> (x | y <-> z)"));
    }
}
