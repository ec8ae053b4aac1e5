//! Operators and functions on `tsvector` and `tsquery` values: `@@`, `||`, `&&`, `!!`,
//! `<->`, `@>`/`<@` on queries, query comparisons, `setweight`, `strip`, `length`,
//! `numnode`, `querytree`, `tsvector_to_array`, `array_to_tsvector`, `ts_delete`,
//! `ts_filter`, `tsquery_phrase`.

use std::cmp::Ordering;
use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::tsearch::{Lexeme, QueryNode, TsQuery, TsVector, WordPos, MAX_POS};
use helios_types::{Array, DataType, Value};

use super::config::Config;
use super::convert::{default_config, document_vector};
use super::matching::{execute, vector_hit};
use super::{query, query_value, text, vector, vector_value};
use crate::functions::registry::{p, Registry, ReturnType};

const TSV: DataType = DataType::TsVector;
const TSQ: DataType = DataType::TsQuery;

fn text_array() -> DataType {
    DataType::Array(Box::new(DataType::Text))
}

pub(super) fn register(r: &mut Registry) {
    use DataType::{Bool, Int4, Text};
    let char1 = DataType::Char(Some(1));
    // The functions behind `@@` (`ts_match_vq`, `ts_match_qv`, `ts_match_tq`,
    // `ts_match_tt`).
    r.add("ts_match_vq", vec![p(TSV), p(TSQ)], ReturnType::Exact(Bool), |a, _| {
        Ok(Value::Bool(matches(&vector(&a[0])?, &query(&a[1])?)))
    });
    r.add("ts_match_qv", vec![p(TSQ), p(TSV)], ReturnType::Exact(Bool), |a, _| {
        Ok(Value::Bool(matches(&vector(&a[1])?, &query(&a[0])?)))
    });
    r.add("ts_match_tq", vec![p(Text), p(TSQ)], ReturnType::Exact(Bool), |a, c| {
        let v = document_vector(default_config(c)?, text(&a[0])?);
        Ok(Value::Bool(matches(&v, &query(&a[1])?)))
    });
    r.add("ts_match_tt", vec![p(Text), p(Text)], ReturnType::Exact(Bool), |a, c| {
        let cfg = default_config(c)?;
        let v = document_vector(cfg, text(&a[0])?);
        let q = plain_to_query(cfg, text(&a[1])?);
        Ok(Value::Bool(matches(&v, &q)))
    });
    r.add("tsvector_concat", vec![p(TSV), p(TSV)], ReturnType::Exact(TSV), |a, _| {
        Ok(vector_value(&concat(&vector(&a[0])?, &vector(&a[1])?)))
    });
    r.add("tsquery_and", vec![p(TSQ), p(TSQ)], ReturnType::Exact(TSQ), |a, _| {
        Ok(query_value(&combine(query(&a[0])?, query(&a[1])?, QueryNode::And)))
    });
    r.add("tsquery_or", vec![p(TSQ), p(TSQ)], ReturnType::Exact(TSQ), |a, _| {
        Ok(query_value(&combine(query(&a[0])?, query(&a[1])?, QueryNode::Or)))
    });
    r.add("tsquery_not", vec![p(TSQ)], ReturnType::Exact(TSQ), |a, _| {
        let q = query(&a[0])?;
        Ok(query_value(&TsQuery { root: q.root.map(|n| QueryNode::Not(Box::new(n))) }))
    });
    r.add("tsquery_phrase", vec![p(TSQ), p(TSQ)], ReturnType::Exact(TSQ), |a, _| {
        phrase(&a[0], &a[1], 1)
    });
    r.add("tsquery_phrase", vec![p(TSQ), p(TSQ), p(Int4)], ReturnType::Exact(TSQ), |a, _| {
        let Value::Int4(d) = a[2] else { return Err(Error::internal("distance is not int4")) };
        if !(0..=i32::from(helios_types::tsearch::query::MAX_DISTANCE)).contains(&d) {
            return Err(Error::new(
                SqlState::INVALID_PARAMETER_VALUE,
                "distance in phrase operator must be an integer value between zero and 16384 inclusive",
            ));
        }
        phrase(&a[0], &a[1], d as u16)
    });
    let cmp = |r: &mut Registry, name: &'static str, f: crate::functions::registry::ScalarFn| {
        r.add(name, vec![p(TSQ), p(TSQ)], ReturnType::Exact(Bool), f);
    };
    cmp(r, "tsquery_lt", |a, _| cmp_queries(a, |o| o == Ordering::Less));
    cmp(r, "tsquery_le", |a, _| cmp_queries(a, |o| o != Ordering::Greater));
    cmp(r, "tsquery_eq", |a, _| cmp_queries(a, |o| o == Ordering::Equal));
    cmp(r, "tsquery_ne", |a, _| cmp_queries(a, |o| o != Ordering::Equal));
    cmp(r, "tsquery_ge", |a, _| cmp_queries(a, |o| o != Ordering::Less));
    cmp(r, "tsquery_gt", |a, _| cmp_queries(a, |o| o == Ordering::Greater));
    let vcmp = |r: &mut Registry, name: &'static str, f: crate::functions::registry::ScalarFn| {
        r.add(name, vec![p(TSV), p(TSV)], ReturnType::Exact(Bool), f);
    };
    vcmp(r, "tsvector_lt", |a, _| cmp_vectors(a, |o| o == Ordering::Less));
    vcmp(r, "tsvector_le", |a, _| cmp_vectors(a, |o| o != Ordering::Greater));
    vcmp(r, "tsvector_eq", |a, _| cmp_vectors(a, |o| o == Ordering::Equal));
    vcmp(r, "tsvector_ne", |a, _| cmp_vectors(a, |o| o != Ordering::Equal));
    vcmp(r, "tsvector_ge", |a, _| cmp_vectors(a, |o| o != Ordering::Less));
    vcmp(r, "tsvector_gt", |a, _| cmp_vectors(a, |o| o == Ordering::Greater));
    r.add("tsquery_cmp", vec![p(TSQ), p(TSQ)], ReturnType::Exact(Int4), |a, _| {
        Ok(Value::Int4(match query(&a[0])?.pg_cmp(&query(&a[1])?) {
            Ordering::Less => -1,
            Ordering::Equal => 0,
            Ordering::Greater => 1,
        }))
    });
    r.add("tsq_mcontains", vec![p(TSQ), p(TSQ)], ReturnType::Exact(Bool), |a, _| {
        Ok(Value::Bool(contains(&query(&a[0])?, &query(&a[1])?)))
    });
    r.add("tsq_mcontained", vec![p(TSQ), p(TSQ)], ReturnType::Exact(Bool), |a, _| {
        Ok(Value::Bool(contains(&query(&a[1])?, &query(&a[0])?)))
    });
    // The type I/O functions, callable by name as in PostgreSQL.
    r.add("tsvectorin", vec![p(Text)], ReturnType::Exact(TSV), |a, _| {
        Ok(vector_value(&vector(&a[0])?))
    });
    r.add("tsvectorout", vec![p(TSV)], ReturnType::Exact(Text), |a, _| Ok(a[0].clone()));
    r.add("tsqueryin", vec![p(Text)], ReturnType::Exact(TSQ), |a, _| {
        Ok(query_value(&query(&a[0])?))
    });
    r.add("tsqueryout", vec![p(TSQ)], ReturnType::Exact(Text), |a, _| Ok(a[0].clone()));
    r.add("length", vec![p(TSV)], ReturnType::Exact(Int4), |a, _| {
        Ok(Value::Int4(vector(&a[0])?.lexemes.len() as i32))
    });
    r.add("numnode", vec![p(TSQ)], ReturnType::Exact(Int4), |a, _| {
        Ok(Value::Int4(query(&a[0])?.node_count() as i32))
    });
    r.add("querytree", vec![p(TSQ)], ReturnType::Exact(Text), |a, _| {
        let q = query(&a[0])?;
        let Some(root) = q.root else { return Ok(Value::Text(String::new())) };
        Ok(Value::Text(match without_not(root) {
            Some(n) => TsQuery { root: Some(n) }.to_string(),
            None => "T".to_string(),
        }))
    });
    r.add("strip", vec![p(TSV)], ReturnType::Exact(TSV), |a, _| {
        let mut v = vector(&a[0])?;
        v.lexemes.iter_mut().for_each(|l| l.positions.clear());
        Ok(vector_value(&v))
    });
    r.add("setweight", vec![p(TSV), p(char1.clone())], ReturnType::Exact(TSV), |a, _| {
        let w = weight_of(text(&a[1])?)?;
        let mut v = vector(&a[0])?;
        v.lexemes.iter_mut().flat_map(|l| l.positions.iter_mut()).for_each(|p| p.weight = w);
        Ok(vector_value(&v))
    });
    r.add(
        "setweight",
        vec![p(TSV), p(char1.clone()), p(text_array())],
        ReturnType::Exact(TSV),
        |a, _| {
            let w = weight_of(text(&a[1])?)?;
            let words = lexeme_list(&a[2]);
            let mut v = vector(&a[0])?;
            for l in v.lexemes.iter_mut().filter(|l| words.contains(&l.word)) {
                l.positions.iter_mut().for_each(|p| p.weight = w);
            }
            Ok(vector_value(&v))
        },
    );
    r.add("ts_delete", vec![p(TSV), p(Text)], ReturnType::Exact(TSV), |a, _| {
        let word = text(&a[1])?.to_string();
        let mut v = vector(&a[0])?;
        v.lexemes.retain(|l| l.word != word);
        Ok(vector_value(&v))
    });
    r.add("ts_delete", vec![p(TSV), p(text_array())], ReturnType::Exact(TSV), |a, _| {
        let words = lexeme_list(&a[1]);
        let mut v = vector(&a[0])?;
        v.lexemes.retain(|l| !words.contains(&l.word));
        Ok(vector_value(&v))
    });
    r.add(
        "ts_filter",
        vec![p(TSV), p(DataType::Array(Box::new(char1)))],
        ReturnType::Exact(TSV),
        |a, _| {
            let mut mask = 0u8;
            for e in array_elements(&a[1])? {
                match e {
                    Value::Null => {
                        return Err(Error::new(
                            SqlState::NULL_VALUE_NOT_ALLOWED,
                            "weight array may not contain nulls",
                        ))
                    }
                    v => mask |= 1 << weight_of(text(v)?)?,
                }
            }
            let mut v = vector(&a[0])?;
            for l in &mut v.lexemes {
                l.positions.retain(|p| mask & (1 << p.weight) != 0);
            }
            v.lexemes.retain(|l| !l.positions.is_empty());
            Ok(vector_value(&v))
        },
    );
    r.add("ts_lexize", vec![p(Text), p(Text)], ReturnType::Exact(text_array()), |a, _| {
        let lexemes = lexize_with(text(&a[0])?, text(&a[1])?)?;
        Ok(Value::Array(Arc::new(Array::new(
            DataType::Text,
            lexemes.into_iter().map(Value::Text).collect(),
        ))))
    });
    r.add("tsvector_to_array", vec![p(TSV)], ReturnType::Exact(text_array()), |a, _| {
        let v = vector(&a[0])?;
        Ok(Value::Array(Arc::new(Array::new(
            DataType::Text,
            v.lexemes.into_iter().map(|l| Value::Text(l.word)).collect(),
        ))))
    });
    r.add("array_to_tsvector", vec![p(text_array())], ReturnType::Exact(TSV), |a, _| {
        let mut lexemes = Vec::new();
        for e in array_elements(&a[0])? {
            match e {
                Value::Null => {
                    return Err(Error::new(
                        SqlState::NULL_VALUE_NOT_ALLOWED,
                        "lexeme array may not contain nulls",
                    ))
                }
                Value::Text(s) if s.is_empty() => {
                    return Err(Error::new(
                        SqlState::ZERO_LENGTH_CHARACTER_STRING,
                        "lexeme array may not contain empty strings",
                    ))
                }
                v => lexemes.push(Lexeme { word: text(v)?.to_string(), positions: Vec::new() }),
            }
        }
        Ok(vector_value(&TsVector::from_lexemes(lexemes)))
    });
}

/// `ts_lexize(dictionary, word)` for the built-in `simple` and `english_stem`
/// dictionaries: the word's lexemes (none for a stop word).
fn lexize_with(dict: &str, word: &str) -> Result<Vec<String>> {
    let lower = dict.trim().to_lowercase();
    let cfg = match lower.strip_prefix("pg_catalog.").unwrap_or(&lower) {
        "simple" => Config::Simple,
        "english_stem" => Config::English,
        _ => {
            return Err(Error::new(
                SqlState::UNDEFINED_OBJECT,
                format!("text search dictionary \"{}\" does not exist", dict.trim()),
            ))
        }
    };
    Ok(cfg.lexize(word, super::parser::TokenKind::Word).into_iter().collect())
}

/// `tsvector @@ tsquery`; the empty query matches nothing.
pub(super) fn matches(v: &TsVector, q: &TsQuery) -> bool {
    q.root.as_ref().is_some_and(|root| execute(root, &|op| vector_hit(v, op)))
}

/// `text @@ text` reads its right side as `plainto_tsquery`.
fn plain_to_query(cfg: Config, s: &str) -> TsQuery {
    let v = cfg.parse_document(s);
    let root = v
        .into_iter()
        .filter_map(|(_, lx)| lx)
        .map(|word| {
            QueryNode::Operand(helios_types::tsearch::QueryOperand {
                word,
                weight: 0,
                prefix: false,
            })
        })
        .reduce(|l, r| QueryNode::And(Box::new(l), Box::new(r)));
    TsQuery { root }
}

fn cmp_vectors(a: &[Value], test: fn(Ordering) -> bool) -> Result<Value> {
    Ok(Value::Bool(test(vector(&a[0])?.pg_cmp(&vector(&a[1])?))))
}

fn cmp_queries(a: &[Value], test: fn(Ordering) -> bool) -> Result<Value> {
    Ok(Value::Bool(test(query(&a[0])?.pg_cmp(&query(&a[1])?))))
}

/// Joins two queries; an empty side yields the other (as `tsquery_and`/`_or` do).
fn combine(l: TsQuery, r: TsQuery, op: fn(Box<QueryNode>, Box<QueryNode>) -> QueryNode) -> TsQuery {
    TsQuery {
        root: match (l.root, r.root) {
            (Some(a), Some(b)) => Some(op(Box::new(a), Box::new(b))),
            (a, b) => a.or(b),
        },
    }
}

fn phrase(l: &Value, r: &Value, d: u16) -> Result<Value> {
    let q = combine(query(l)?, query(r)?, |a, b| QueryNode::Phrase(a, b, 1));
    let q = match q.root {
        Some(QueryNode::Phrase(a, b, _)) => TsQuery { root: Some(QueryNode::Phrase(a, b, d)) },
        other => TsQuery { root: other },
    };
    Ok(query_value(&q))
}

/// `tsvector || tsvector`: the right side's positions move past the left side's last.
fn concat(l: &TsVector, r: &TsVector) -> TsVector {
    let shift = l.lexemes.iter().flat_map(|x| x.positions.iter()).map(|p| p.pos).max().unwrap_or(0);
    let mut lexemes = l.lexemes.clone();
    lexemes.extend(r.lexemes.iter().map(|x| {
        Lexeme {
            word: x.word.clone(),
            positions: x
                .positions
                .iter()
                .map(|p| WordPos {
                    pos: p.pos.saturating_add(shift).min(MAX_POS),
                    weight: p.weight,
                })
                .collect(),
        }
    }));
    TsVector::from_lexemes(lexemes)
}

/// Whether every lexeme of `sub` occurs in `q` (`@>` on queries).
fn contains(q: &TsQuery, sub: &TsQuery) -> bool {
    fn words<'a>(n: &'a QueryNode, out: &mut Vec<&'a str>) {
        match n {
            QueryNode::Operand(o) => out.push(&o.word),
            QueryNode::Not(c) => words(c, out),
            QueryNode::And(l, r) | QueryNode::Or(l, r) | QueryNode::Phrase(l, r, _) => {
                words(l, out);
                words(r, out);
            }
        }
    }
    let (mut have, mut want) = (Vec::new(), Vec::new());
    if let Some(n) = &q.root {
        words(n, &mut have);
    }
    if let Some(n) = &sub.root {
        words(n, &mut want);
    }
    want.iter().all(|w| have.contains(w))
}

/// The query without its negated parts (`querytree`); `None` when nothing is left.
fn without_not(n: QueryNode) -> Option<QueryNode> {
    match n {
        QueryNode::Operand(_) => Some(n),
        QueryNode::Not(_) => None,
        QueryNode::Or(l, r) => {
            let l = without_not(*l)?;
            let r = without_not(*r)?;
            Some(QueryNode::Or(Box::new(l), Box::new(r)))
        }
        QueryNode::And(l, r) => join_kept(without_not(*l), without_not(*r), QueryNode::And),
        QueryNode::Phrase(l, r, d) => {
            join_kept(without_not(*l), without_not(*r), |a, b| QueryNode::Phrase(a, b, d))
        }
    }
}

/// Rebuilds a binary node from what is left of its sides (one side alone if the other
/// is gone).
fn join_kept(
    l: Option<QueryNode>,
    r: Option<QueryNode>,
    op: impl Fn(Box<QueryNode>, Box<QueryNode>) -> QueryNode,
) -> Option<QueryNode> {
    match (l, r) {
        (Some(a), Some(b)) => Some(op(Box::new(a), Box::new(b))),
        (a, b) => a.or(b),
    }
}

/// A weight letter (`A`..`D`, any case) as 3..0.
fn weight_of(s: &str) -> Result<u8> {
    match s.trim_end() {
        "A" | "a" => Ok(3),
        "B" | "b" => Ok(2),
        "C" | "c" => Ok(1),
        "D" | "d" => Ok(0),
        other => Err(Error::new(
            SqlState::INVALID_PARAMETER_VALUE,
            format!("unrecognized weight: \"{other}\""),
        )),
    }
}

fn array_elements(v: &Value) -> Result<&[Value]> {
    match v {
        Value::Array(a) => Ok(&a.elements),
        _ => Err(Error::internal("text search argument is not an array")),
    }
}

/// The lexemes of a `text[]` argument (NULL elements are skipped).
fn lexeme_list(v: &Value) -> Vec<String> {
    let Value::Array(a) = v else { return Vec::new() };
    a.elements
        .iter()
        .filter_map(|e| match e {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}
