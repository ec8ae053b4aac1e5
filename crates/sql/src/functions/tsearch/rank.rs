//! `ts_rank` and `ts_rank_cd`, with PostgreSQL's formulas (`calc_rank`,
//! `calc_rank_cd`) and single-precision arithmetic where PostgreSQL uses `float`, so
//! results print the same.
//!
//! `ts_rank` scores each distinct query lexeme by the weights of its occurrences
//! (`|` queries), or pairs of lexemes by their distance (`&` and `<->` at the top);
//! `ts_rank_cd` sums, over the minimal extents that satisfy the query ("covers"), the
//! cover's weight divided by its length. Both apply the normalisation bit mask.

use helios_common::{Error, Result, SqlState};
use helios_types::tsearch::{QueryNode, QueryOperand, TsQuery, TsVector, WordPos};
use helios_types::{DataType, Value};

use super::matching::{execute, Hit};
use super::{query, vector};
use crate::functions::registry::{p, Registry, ReturnType};

/// Default weights of `D`, `C`, `B`, `A`.
const DEFAULT_WEIGHTS: [f32; 4] = [0.1, 0.2, 0.4, 1.0];

const NORM_LOGLENGTH: i32 = 1;
const NORM_LENGTH: i32 = 2;
const NORM_EXTDIST: i32 = 4;
const NORM_UNIQ: i32 = 8;
const NORM_LOGUNIQ: i32 = 16;
const NORM_RDIVRPLUS1: i32 = 32;

/// The largest position plus one (`MAXENTRYPOS`).
const MAX_ENTRY_POS: i32 = 16_384;

pub(super) fn register(r: &mut Registry) {
    use DataType::{Float4, Int4};
    let (tsv, tsq) = (DataType::TsVector, DataType::TsQuery);
    let weights = DataType::Array(Box::new(Float4));
    macro_rules! ranker {
        ($name:literal, $f:expr) => {
            r.add(
                $name,
                vec![p(tsv.clone()), p(tsq.clone())],
                ReturnType::Exact(Float4),
                |a, _| rank(DEFAULT_WEIGHTS, &a[0], &a[1], 0, $f),
            );
            r.add(
                $name,
                vec![p(tsv.clone()), p(tsq.clone()), p(Int4)],
                ReturnType::Exact(Float4),
                |a, _| rank(DEFAULT_WEIGHTS, &a[0], &a[1], int(&a[2]), $f),
            );
            r.add(
                $name,
                vec![p(weights.clone()), p(tsv.clone()), p(tsq.clone())],
                ReturnType::Exact(Float4),
                |a, _| rank(weights_of(&a[0])?, &a[1], &a[2], 0, $f),
            );
            r.add(
                $name,
                vec![p(weights.clone()), p(tsv.clone()), p(tsq.clone()), p(Int4)],
                ReturnType::Exact(Float4),
                |a, _| rank(weights_of(&a[0])?, &a[1], &a[2], int(&a[3]), $f),
            );
        };
    }
    ranker!("ts_rank", calc_rank);
    ranker!("ts_rank_cd", calc_rank_cd);
}

type RankFn = fn(&[f32; 4], &TsVector, &TsQuery, i32) -> f32;

fn rank(w: [f32; 4], v: &Value, q: &Value, method: i32, f: RankFn) -> Result<Value> {
    Ok(Value::Float4(f(&w, &vector(v)?, &query(q)?, method)))
}

fn int(v: &Value) -> i32 {
    match v {
        Value::Int4(i) => *i,
        _ => 0,
    }
}

/// The weight array argument: at least 4 elements, no NULLs, each at most 1 (a
/// negative one takes the default).
fn weights_of(v: &Value) -> Result<[f32; 4]> {
    let Value::Array(a) = v else { return Err(Error::internal("weights are not an array")) };
    if a.elements.len() < 4 {
        return Err(Error::new(SqlState::ARRAY_SUBSCRIPT_ERROR, "array of weight is too short"));
    }
    let mut out = DEFAULT_WEIGHTS;
    for (i, e) in a.elements.iter().take(4).enumerate() {
        let x = match e {
            Value::Float4(x) => *x,
            Value::Null => {
                return Err(Error::new(
                    SqlState::NULL_VALUE_NOT_ALLOWED,
                    "array of weight must not contain nulls",
                ))
            }
            _ => return Err(Error::internal("weight is not real")),
        };
        if x >= 0.0 {
            out[i] = x;
        }
        if out[i] > 1.0 {
            return Err(Error::new(SqlState::INVALID_PARAMETER_VALUE, "weight out of range"));
        }
    }
    Ok(out)
}

/// Every operand of the query, depth first, left to right.
fn operands(n: &QueryNode) -> Vec<&QueryOperand> {
    fn walk<'a>(n: &'a QueryNode, out: &mut Vec<&'a QueryOperand>) {
        match n {
            QueryNode::Operand(o) => out.push(o),
            QueryNode::Not(c) => walk(c, out),
            QueryNode::And(l, r) | QueryNode::Or(l, r) | QueryNode::Phrase(l, r, _) => {
                walk(l, out);
                walk(r, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(n, &mut out);
    out
}

/// Distinct operands by word, sorted (`SortAndUniqItems`).
fn unique_operands(n: &QueryNode) -> Vec<&QueryOperand> {
    let mut ops = operands(n);
    ops.sort_by(|a, b| a.word.as_bytes().cmp(b.word.as_bytes()));
    ops.dedup_by(|a, b| a.word == b.word);
    ops
}

/// The position lists of the lexemes an operand names (all with its prefix for `:*`).
fn entries<'v>(v: &'v TsVector, op: &'v QueryOperand) -> Vec<&'v [WordPos]> {
    if op.prefix {
        v.with_prefix(&op.word).map(|l| l.positions.as_slice()).collect()
    } else {
        v.find(&op.word).map(|l| l.positions.as_slice()).into_iter().collect()
    }
}

/// The number of positions, a lexeme without positions counting one (`cnt_length`).
fn cnt_length(v: &TsVector) -> usize {
    v.lexemes.iter().map(|l| l.positions.len().max(1)).sum()
}

const POS_NULL: [WordPos; 1] = [WordPos { pos: 0, weight: 0 }];

fn calc_rank(w: &[f32; 4], v: &TsVector, q: &TsQuery, method: i32) -> f32 {
    let Some(root) = &q.root else { return 0.0 };
    if v.lexemes.is_empty() {
        return 0.0;
    }
    let mut res = match root {
        QueryNode::And(..) | QueryNode::Phrase(..) => calc_rank_and(w, v, root),
        _ => calc_rank_or(w, v, root),
    };
    if res < 0.0 {
        res = 1e-20;
    }
    let len = cnt_length(v);
    if method & NORM_LOGLENGTH != 0 {
        res = (f64::from(res) / ((len as f64 + 1.0).ln() / 2f64.ln())) as f32;
    }
    if method & NORM_LENGTH != 0 && len > 0 {
        res /= len as f32;
    }
    let size = v.lexemes.len();
    if method & NORM_UNIQ != 0 {
        res /= size as f32;
    }
    if method & NORM_LOGUNIQ != 0 {
        res = (f64::from(res) / ((size as f64 + 1.0).ln() / 2f64.ln())) as f32;
    }
    if method & NORM_RDIVRPLUS1 != 0 {
        res /= res + 1.0;
    }
    res
}

fn calc_rank_or(w: &[f32; 4], v: &TsVector, root: &QueryNode) -> f32 {
    let items = unique_operands(root);
    let mut res: f32 = 0.0;
    for op in &items {
        for post in entries(v, op) {
            let post = if post.is_empty() { &POS_NULL[..] } else { post };
            let (mut resj, mut wjm, mut jm): (f32, f32, usize) = (0.0, -1.0, 0);
            for (j, p) in post.iter().enumerate() {
                let wp = w[usize::from(p.weight)];
                resj += wp / ((j + 1) * (j + 1)) as f32;
                if wp > wjm {
                    wjm = wp;
                    jm = j;
                }
            }
            let term =
                f64::from(wjm + resj - wjm / ((jm + 1) * (jm + 1)) as f32) / 1.644_934_066_85;
            res = (f64::from(res) + term) as f32;
        }
    }
    if !items.is_empty() {
        res /= items.len() as f32;
    }
    res
}

fn word_distance(d: i32) -> f32 {
    if d > 100 {
        return 1e-30;
    }
    (1.0 / (1.005 + 0.05 * (f64::from(d as f32) / 1.5 - 2.0).exp())) as f32
}

fn calc_rank_and(w: &[f32; 4], v: &TsVector, root: &QueryNode) -> f32 {
    let items = unique_operands(root);
    if items.len() < 2 {
        return calc_rank_or(w, v, root);
    }
    let pos_null = [WordPos { pos: (MAX_ENTRY_POS - 1) as u16, weight: 0 }];
    let mut pos: Vec<Option<(&[WordPos], bool)>> = vec![None; items.len()];
    let mut res: f32 = -1.0;
    for i in 0..items.len() {
        for post in entries(v, items[i]) {
            let entry = if post.is_empty() { (&pos_null[..], true) } else { (post, false) };
            pos[i] = Some(entry);
            let (post, i_null) = entry;
            for &(ct, k_null) in pos[..i].iter().flatten() {
                for pl in post {
                    for pc in ct {
                        let mut dist = (i32::from(pl.pos) - i32::from(pc.pos)).abs();
                        if dist != 0 || i_null || k_null {
                            if dist == 0 {
                                dist = MAX_ENTRY_POS;
                            }
                            let prod = w[usize::from(pl.weight)]
                                * w[usize::from(pc.weight)]
                                * word_distance(dist);
                            let curw = f64::from(prod).sqrt() as f32;
                            res = if res < 0.0 {
                                curw
                            } else {
                                (1.0 - (1.0 - f64::from(res)) * (1.0 - f64::from(curw))) as f32
                            };
                        }
                    }
                }
            }
        }
    }
    res
}

/// One position of the document that some query operands match.
struct DocEntry {
    pos: WordPos,
    /// Indexes into the query's operand list.
    items: Vec<usize>,
}

fn calc_rank_cd(w: &[f32; 4], v: &TsVector, q: &TsQuery, method: i32) -> f32 {
    let Some(root) = &q.root else { return 0.0 };
    let inv: Vec<f64> = w.iter().map(|x| 1.0 / f64::from(*x)).collect();
    let ops = operands(root);
    // (position, lexeme index, operand index), sorted by position, weight, lexeme.
    let mut raw: Vec<(WordPos, usize, usize)> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        for (li, lx) in v.lexemes.iter().enumerate() {
            let hit = if op.prefix { lx.word.starts_with(&op.word) } else { lx.word == op.word };
            if !hit {
                continue;
            }
            // Lexemes without positions take no part in covers (as in PostgreSQL 13+).
            for p in &lx.positions {
                if op.weight == 0 || op.weight & (1 << p.weight) != 0 {
                    raw.push((*p, li, i));
                }
            }
        }
    }
    if raw.is_empty() {
        return 0.0;
    }
    raw.sort_by_key(|(p, li, _)| (p.pos, p.weight, *li));
    let mut doc: Vec<DocEntry> = Vec::new();
    let mut last: Option<(WordPos, usize)> = None;
    for (p, li, i) in raw {
        match doc.last_mut() {
            Some(d) if last == Some((p, li)) => d.items.push(i),
            _ => doc.push(DocEntry { pos: p, items: vec![i] }),
        }
        last = Some((p, li));
    }

    let (mut wdoc, mut sum_dist, mut prev_ext_pos) = (0.0f64, 0.0f64, 0.0f64);
    let mut n_extent = 0usize;
    let mut start = 0usize;
    while let Some((begin, end, next)) = cover(&doc, start, root, &ops) {
        start = next;
        let inv_sum: f64 = doc[begin..=end].iter().map(|d| inv[usize::from(d.pos.weight)]).sum();
        let cpos = (end - begin + 1) as f64 / inv_sum;
        let (p, q) = (i64::from(doc[begin].pos.pos), i64::from(doc[end].pos.pos));
        let mut noise = (q - p) - (end - begin) as i64;
        if noise < 0 {
            noise = (end - begin) as i64 / 2;
        }
        wdoc += cpos / (1 + noise) as f64;
        let cur = (q + p) as f64 / 2.0;
        if n_extent > 0 && cur > prev_ext_pos {
            sum_dist += 1.0 / (cur - prev_ext_pos);
        }
        prev_ext_pos = cur;
        n_extent += 1;
    }
    let len = cnt_length(v);
    if method & NORM_LOGLENGTH != 0 && !v.lexemes.is_empty() {
        wdoc /= (len as f64 + 1.0).ln();
    }
    if method & NORM_LENGTH != 0 && len > 0 {
        wdoc /= len as f64;
    }
    if method & NORM_EXTDIST != 0 && n_extent > 0 && sum_dist > 0.0 {
        wdoc /= n_extent as f64 / sum_dist;
    }
    let size = v.lexemes.len();
    if method & NORM_UNIQ != 0 && size > 0 {
        wdoc /= size as f64;
    }
    if method & NORM_LOGUNIQ != 0 && size > 0 {
        wdoc /= (size as f64 + 1.0).ln() / 2f64.ln();
    }
    if method & NORM_RDIVRPLUS1 != 0 {
        wdoc /= wdoc + 1.0;
    }
    wdoc as f32
}

/// Whether the query holds with the operands seen so far (positions per operand).
fn satisfied(root: &QueryNode, ops: &[&QueryOperand], seen: &[Vec<u16>]) -> bool {
    execute(root, &|op| {
        let i = ops.iter().position(|o| std::ptr::eq(*o, op));
        match i.map(|i| &seen[i]) {
            Some(p) if !p.is_empty() => Hit::At(p.clone()),
            _ => Hit::No,
        }
    })
}

fn mark(seen: &mut [Vec<u16>], d: &DocEntry) {
    for &i in &d.items {
        if !seen[i].contains(&d.pos.pos) {
            seen[i].push(d.pos.pos);
            seen[i].sort_unstable();
        }
    }
}

/// The next cover at or after doc entry `start`: (first, last, where to search next).
fn cover(
    doc: &[DocEntry],
    mut start: usize,
    root: &QueryNode,
    ops: &[&QueryOperand],
) -> Option<(usize, usize, usize)> {
    loop {
        if start >= doc.len() {
            return None;
        }
        let mut seen = vec![Vec::new(); ops.len()];
        let mut end = None;
        for (i, d) in doc.iter().enumerate().skip(start) {
            mark(&mut seen, d);
            if satisfied(root, ops, &seen) {
                end = Some(i);
                break;
            }
        }
        let end = end?;
        let mut seen = vec![Vec::new(); ops.len()];
        let mut begin = None;
        let mut i = end as isize;
        while i >= start as isize {
            let d = &doc[i as usize];
            mark(&mut seen, d);
            if satisfied(root, ops, &seen) {
                begin = Some(i as usize);
                break;
            }
            i -= 1;
        }
        match begin {
            Some(b) if doc[b].pos.pos <= doc[end].pos.pos => return Some((b, end, b + 1)),
            _ => start += 1,
        }
    }
}
