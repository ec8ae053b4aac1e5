//! `ts_headline`: the document with the query's words highlighted, cut to an excerpt.
//!
//! A basic version of PostgreSQL's default headline generator: words matching a query
//! operand are wrapped in `StartSel`/`StopSel`; unless `HighlightAll` is on or the
//! document is at most `MaxWords` words long, the excerpt is the first cover of the
//! query (the shortest run of words satisfying it), widened to `MaxWords` words, or
//! else the first `MinWords` words. `MaxFragments` and `ShortWord` are accepted but
//! fragment selection is not implemented (one excerpt is shown).

use helios_common::{Error, Result, SqlState};
use helios_types::tsearch::{QueryNode, QueryOperand, TsQuery};
use helios_types::{DataType, Value};

use super::config::Config;
use super::convert::default_config;
use super::matching::{execute, Hit};
use super::parser::tokenize;
use super::{query, text};
use crate::functions::registry::{p, Registry, ReturnType};

pub(super) fn register(r: &mut Registry) {
    use DataType::Text;
    let tsq = DataType::TsQuery;
    r.add("ts_headline", vec![p(Text), p(tsq.clone())], ReturnType::Exact(Text), |a, c| {
        headline(default_config(c)?, text(&a[0])?, &query(&a[1])?, "")
    });
    r.add(
        "ts_headline",
        vec![p(Text), p(tsq.clone()), p(Text)],
        ReturnType::Exact(Text),
        |a, c| headline(default_config(c)?, text(&a[0])?, &query(&a[1])?, text(&a[2])?),
    );
    r.add(
        "ts_headline",
        vec![p(Text), p(Text), p(tsq.clone())],
        ReturnType::Exact(Text),
        |a, _| headline(Config::by_name(text(&a[0])?)?, text(&a[1])?, &query(&a[2])?, ""),
    );
    r.add(
        "ts_headline",
        vec![p(Text), p(Text), p(tsq), p(Text)],
        ReturnType::Exact(Text),
        |a, _| {
            headline(Config::by_name(text(&a[0])?)?, text(&a[1])?, &query(&a[2])?, text(&a[3])?)
        },
    );
}

struct Options {
    start_sel: String,
    stop_sel: String,
    max_words: usize,
    min_words: usize,
    highlight_all: bool,
}

fn bad_option(msg: &str) -> Error {
    Error::new(SqlState::INVALID_PARAMETER_VALUE, msg.to_string())
}

fn parse_options(s: &str) -> Result<Options> {
    let mut o = Options {
        start_sel: "<b>".into(),
        stop_sel: "</b>".into(),
        max_words: 35,
        min_words: 15,
        highlight_all: false,
    };
    for part in split_options(s) {
        let Some((k, v)) = part.split_once('=') else {
            if part.trim().is_empty() {
                continue;
            }
            return Err(bad_option(&format!("invalid headline option \"{}\"", part.trim())));
        };
        let (k, v) = (k.trim().to_lowercase(), v.trim().trim_matches('"').to_string());
        let num = || v.parse::<i64>().map_err(|_| bad_option(&format!("invalid value for {k}")));
        match k.as_str() {
            "startsel" => o.start_sel = v.clone(),
            "stopsel" => o.stop_sel = v.clone(),
            "maxwords" => o.max_words = num()?.max(0) as usize,
            "minwords" => o.min_words = num()?.max(0) as usize,
            "highlightall" => {
                o.highlight_all = matches!(v.to_lowercase().as_str(), "1" | "on" | "true" | "t" | "y" | "yes")
            }
            "shortword" | "maxfragments" | "fragmentdelimiter" => {}
            _ => return Err(bad_option(&format!("unrecognized headline parameter: \"{k}\""))),
        }
    }
    if !o.highlight_all {
        if o.min_words >= o.max_words {
            return Err(bad_option("MinWords should be less than MaxWords"));
        }
        if o.min_words == 0 {
            return Err(bad_option("MinWords should be positive"));
        }
    }
    Ok(o)
}

/// Splits `a=1, b="x, y"` at commas outside double quotes.
fn split_options(s: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                out.last_mut().expect("non-empty").push(c);
            }
            ',' if !quoted => out.push(String::new()),
            c => out.last_mut().expect("non-empty").push(c),
        }
    }
    out
}

fn operands(n: &QueryNode, out: &mut Vec<QueryOperand>) {
    match n {
        QueryNode::Operand(o) => out.push(o.clone()),
        QueryNode::Not(c) => operands(c, out),
        QueryNode::And(l, r) | QueryNode::Or(l, r) | QueryNode::Phrase(l, r, _) => {
            operands(l, out);
            operands(r, out);
        }
    }
}

fn headline(cfg: Config, doc: &str, q: &TsQuery, opts: &str) -> Result<Value> {
    let o = parse_options(opts)?;
    let tokens = tokenize(doc);
    let mut ops = Vec::new();
    if let Some(root) = &q.root {
        operands(root, &mut ops);
    }
    // Each token's lexeme, and whether it matches some operand.
    let lexemes: Vec<Option<String>> =
        tokens.iter().map(|t| cfg.lexize(&doc[t.start..t.end], t.kind)).collect();
    let hit = |lx: &Option<String>| {
        lx.as_ref().is_some_and(|w| {
            ops.iter().any(|op| if op.prefix { w.starts_with(&op.word) } else { *w == op.word })
        })
    };
    let highlighted: Vec<bool> = lexemes.iter().map(hit).collect();
    let (from, to) = if o.highlight_all || tokens.len() <= o.max_words {
        (0, tokens.len())
    } else {
        let (p, q) = q
            .root
            .as_ref()
            .and_then(|root| cover(root, &lexemes))
            .unwrap_or((0, o.min_words.min(tokens.len()).saturating_sub(1)));
        let (mut p, mut q) = (p, q);
        while q + 1 - p < o.max_words && (q + 1 < tokens.len() || p > 0) {
            if q + 1 < tokens.len() {
                q += 1;
            } else {
                p -= 1;
            }
        }
        (p, q + 1)
    };
    let mut out = String::new();
    if tokens.is_empty() {
        return Ok(Value::Text(if o.highlight_all { doc.to_string() } else { String::new() }));
    }
    let start = if o.highlight_all { 0 } else { tokens[from].start };
    let end = if o.highlight_all || to == tokens.len() && from == 0 {
        doc.len()
    } else {
        tokens[to - 1].end
    };
    let mut at = start;
    for (i, t) in tokens.iter().enumerate().take(to).skip(from) {
        out.push_str(&doc[at..t.start]);
        if highlighted[i] {
            out.push_str(&o.start_sel);
            out.push_str(&doc[t.start..t.end]);
            out.push_str(&o.stop_sel);
        } else {
            out.push_str(&doc[t.start..t.end]);
        }
        at = t.end;
    }
    out.push_str(&doc[at.min(end)..end]);
    Ok(Value::Text(out))
}

/// The first cover of the query over the token lexemes: (first, last) token index.
fn cover(root: &QueryNode, lexemes: &[Option<String>]) -> Option<(usize, usize)> {
    let satisfied = |from: usize, to: usize| {
        execute(root, &|op| {
            let pos: Vec<u16> = (from..=to)
                .filter(|&i| {
                    lexemes[i].as_ref().is_some_and(|w| {
                        if op.prefix {
                            w.starts_with(&op.word)
                        } else {
                            *w == op.word
                        }
                    })
                })
                .map(|i| (i + 1).min(usize::from(u16::MAX)) as u16)
                .collect();
            if pos.is_empty() {
                Hit::No
            } else {
                Hit::At(pos)
            }
        })
    };
    let end = (0..lexemes.len()).find(|&q| satisfied(0, q))?;
    let begin = (0..=end).rev().find(|&p| satisfied(p, end))?;
    Some((begin, end))
}
