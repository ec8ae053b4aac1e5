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
use super::parser::{tokenize, TokenKind};
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
        vec![p(Text), p(Text), p(tsq.clone()), p(Text)],
        ReturnType::Exact(Text),
        |a, _| headline(Config::by_name(text(&a[0])?)?, text(&a[1])?, &query(&a[2])?, text(&a[3])?),
    );
    // Over json and jsonb: every string value headlined in place.
    for t in [DataType::Json, DataType::Jsonb] {
        r.add(
            "ts_headline",
            vec![p(t.clone()), p(tsq.clone())],
            ReturnType::Exact(t.clone()),
            |a, c| json_headline(default_config(c)?, &a[0], &query(&a[1])?, ""),
        );
        r.add(
            "ts_headline",
            vec![p(t.clone()), p(tsq.clone()), p(Text)],
            ReturnType::Exact(t.clone()),
            |a, c| json_headline(default_config(c)?, &a[0], &query(&a[1])?, text(&a[2])?),
        );
        r.add(
            "ts_headline",
            vec![p(Text), p(t.clone()), p(tsq.clone())],
            ReturnType::Exact(t.clone()),
            |a, _| json_headline(Config::by_name(text(&a[0])?)?, &a[1], &query(&a[2])?, ""),
        );
        r.add(
            "ts_headline",
            vec![p(Text), p(t.clone()), p(tsq.clone()), p(Text)],
            ReturnType::Exact(t.clone()),
            |a, _| {
                let cfg = Config::by_name(text(&a[0])?)?;
                json_headline(cfg, &a[1], &query(&a[2])?, text(&a[3])?)
            },
        );
    }
}

/// `ts_headline(json[b], query)`: the document with each string value replaced by its
/// headline, as a value of the document's type (json printed compactly, as PostgreSQL
/// prints it here).
fn json_headline(cfg: Config, document: &Value, q: &TsQuery, opts: &str) -> Result<Value> {
    fn go(d: &mut serde_json::Value, cfg: Config, q: &TsQuery, opts: &str) -> Result<()> {
        match d {
            serde_json::Value::String(s) => {
                if let Value::Text(h) = headline(cfg, s, q, opts)? {
                    *s = h;
                }
            }
            serde_json::Value::Array(items) => {
                items.iter_mut().try_for_each(|item| go(item, cfg, q, opts))?
            }
            serde_json::Value::Object(members) => {
                members.values_mut().try_for_each(|member| go(member, cfg, q, opts))?
            }
            _ => {}
        }
        Ok(())
    }
    let mut d = crate::functions::json::doc(document)?;
    go(&mut d, cfg, q, opts)?;
    Ok(match document {
        Value::Jsonb(_) => Value::Jsonb(std::sync::Arc::new(d)),
        _ => Value::Json(d.to_string()),
    })
}

struct Options {
    start_sel: String,
    stop_sel: String,
    max_words: usize,
    min_words: usize,
    short_word: usize,
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
        short_word: 3,
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
        if v.len() > 32_767 {
            let name = match k.as_str() {
                "startsel" => "StartSel",
                "stopsel" => "StopSel",
                _ => "FragmentDelimiter",
            };
            return Err(bad_option(&format!("value for \"{name}\" is too long")));
        }
        let num = || v.parse::<i64>().map_err(|_| bad_option(&format!("invalid value for {k}")));
        match k.as_str() {
            "startsel" => o.start_sel = v.clone(),
            "stopsel" => o.stop_sel = v.clone(),
            "maxwords" => o.max_words = num()?.max(0) as usize,
            "minwords" => o.min_words = num()?.max(0) as usize,
            "highlightall" => {
                o.highlight_all =
                    matches!(v.to_lowercase().as_str(), "1" | "on" | "true" | "t" | "y" | "yes")
            }
            "shortword" => o.short_word = num()?.max(0) as usize,
            "maxfragments" => {
                num()?;
            }
            "fragmentdelimiter" => {}
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

/// What a piece of the document is, for the headline.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Piece {
    /// Text between tokens (PostgreSQL's `blank`).
    Blank,
    /// An indexable token.
    Word,
    /// A number: a bad place to end an excerpt.
    Number,
    /// A tag: shown as a space in an excerpt.
    Tag,
    /// A hyphenated compound: never shown (its parts are).
    Compound,
}

struct HlWord {
    start: usize,
    end: usize,
    piece: Piece,
    /// The document position (as `to_tsvector` numbers it), for phrase operators.
    pos: u16,
    /// Matches some query operand.
    item: bool,
    /// The normalised word, for words.
    lexeme: Option<String>,
}

impl HlWord {
    fn lexeme_matches(&self, op: &QueryOperand) -> bool {
        self.lexeme.as_ref().is_some_and(|w| {
            if op.prefix {
                w.starts_with(&op.word)
            } else {
                *w == op.word
            }
        })
    }

    fn non_word(&self) -> bool {
        matches!(self.piece, Piece::Blank | Piece::Tag | Piece::Compound)
    }

    /// Not a good last word (`NOENDTOKEN`, or at most `ShortWord` bytes long).
    fn bad_end(&self, short_word: usize) -> bool {
        self.non_word() || self.piece == Piece::Number || self.end - self.start <= short_word
    }
}

/// The document as headline pieces: tokens and the blanks between them.
fn pieces(cfg: Config, doc: &str, ops: &[QueryOperand]) -> Vec<HlWord> {
    let mut out = Vec::new();
    let mut cursor = 0;
    let mut pos = 0u32;
    for t in tokenize(doc) {
        if !t.compound && t.start > cursor {
            out.push(HlWord {
                start: cursor,
                end: t.start,
                piece: Piece::Blank,
                pos: 0,
                item: false,
                lexeme: None,
            });
        }
        let piece = match (t.kind, t.compound) {
            (_, true) => Piece::Compound,
            (TokenKind::Tag, _) => Piece::Tag,
            (TokenKind::Number, _) => Piece::Number,
            _ => Piece::Word,
        };
        let (mut wpos, mut lexeme) = (0, None);
        if piece != Piece::Tag {
            pos += 1;
            wpos = pos.min(u32::from(u16::MAX)) as u16;
            lexeme = cfg.lexize(&doc[t.start..t.end], t.kind);
        }
        let mut w = HlWord { start: t.start, end: t.end, piece, pos: wpos, item: false, lexeme };
        w.item = ops.iter().any(|op| w.lexeme_matches(op));
        out.push(w);
        if !t.compound {
            cursor = t.end;
        }
    }
    if cursor < doc.len() {
        out.push(HlWord {
            start: cursor,
            end: doc.len(),
            piece: Piece::Blank,
            pos: 0,
            item: false,
            lexeme: None,
        });
    }
    out
}

fn headline(cfg: Config, doc: &str, q: &TsQuery, opts: &str) -> Result<Value> {
    let o = parse_options(opts)?;
    let mut ops = Vec::new();
    if let Some(root) = &q.root {
        operands(root, &mut ops);
    }
    let words = pieces(cfg, doc, &ops);
    let (from, to) = if o.highlight_all {
        (0, words.len() as isize - 1)
    } else {
        choose(&words, q.root.as_ref(), &o)
    };
    let mut out = String::new();
    for i in from.max(0)..=to {
        let w = &words[i as usize];
        let text = &doc[w.start..w.end];
        match w.piece {
            Piece::Compound => {}
            Piece::Tag if !o.highlight_all => out.push(' '),
            _ if w.item => {
                out.push_str(&o.start_sel);
                out.push_str(text);
                out.push_str(&o.stop_sel);
            }
            _ => out.push_str(text),
        }
    }
    Ok(Value::Text(out))
}

/// The excerpt's first and last piece (`mark_hl_words`).
fn choose(words: &[HlWord], root: Option<&QueryNode>, o: &Options) -> (isize, isize) {
    let n = words.len();
    let short = o.short_word;
    let (mut bestb, mut beste, mut bestlen, mut bestcover) = (-1isize, -1isize, -1i64, false);
    let mut p = 0usize;
    while let Some((cp, cq)) = root.and_then(|r| cover(r, words, p)) {
        let (mut curlen, mut poslen) = (0usize, 0i64);
        let (mut posb, mut pose) = (cp as isize, cp as isize);
        let mut i = cp as isize;
        while i <= cq as isize && curlen < o.max_words {
            let w = &words[i as usize];
            if !w.non_word() {
                curlen += 1;
            }
            if w.item {
                poslen += 1;
            }
            pose = i;
            i += 1;
        }
        if curlen < o.max_words {
            i -= 1;
            while (i as usize) < n && curlen < o.max_words {
                let w = &words[i as usize];
                if i > cq as isize {
                    if !w.non_word() {
                        curlen += 1;
                    }
                    if w.item {
                        poslen += 1;
                    }
                }
                pose = i;
                if !w.bad_end(short) && curlen >= o.min_words {
                    break;
                }
                i += 1;
            }
            if curlen < o.min_words {
                let mut i = cp as isize - 1;
                while i >= 0 {
                    let w = &words[i as usize];
                    if !w.non_word() {
                        curlen += 1;
                    }
                    if w.item {
                        poslen += 1;
                    }
                    if curlen >= o.max_words {
                        break;
                    }
                    if !w.bad_end(short) && curlen >= o.min_words {
                        break;
                    }
                    i -= 1;
                }
                posb = i.max(0);
            }
        } else {
            if i > cq as isize {
                i = cq as isize;
            }
            while curlen > o.min_words && i >= 0 {
                let w = &words[i as usize];
                if !w.non_word() {
                    curlen -= 1;
                }
                if w.item {
                    poslen -= 1;
                }
                pose = i;
                if !w.bad_end(short) {
                    break;
                }
                i -= 1;
            }
        }
        let poscover = posb <= cp as isize && pose >= cq as isize;
        let better_end = beste >= 0
            && !words[pose as usize].bad_end(short)
            && words[beste as usize].bad_end(short);
        if (poscover && !bestcover)
            || (poscover == bestcover && poslen > bestlen)
            || (poscover == bestcover && poslen == bestlen && better_end)
        {
            (bestb, beste, bestlen, bestcover) = (posb, pose, poslen, poscover);
        }
        p = cp + 1;
    }
    if bestlen < 0 {
        let (mut curlen, mut pose) = (0usize, 0isize);
        for (i, w) in words.iter().enumerate() {
            if curlen >= o.min_words {
                break;
            }
            if !w.non_word() {
                curlen += 1;
            }
            pose = i as isize;
        }
        return (0, if words.is_empty() { -1 } else { pose });
    }
    (bestb, beste)
}

/// The earliest shortest run of pieces from `from` on that satisfies the query, as
/// (first, last) piece indexes (`hlCover`); both ends are query words.
fn cover(root: &QueryNode, words: &[HlWord], from: usize) -> Option<(usize, usize)> {
    let satisfied = |a: usize, b: usize| {
        execute(root, &|op| {
            let pos: Vec<u16> = words[a..=b]
                .iter()
                .filter(|w| w.item && w.piece != Piece::Tag)
                .filter(|w| w.lexeme_matches(op))
                .map(|w| w.pos)
                .collect();
            if pos.is_empty() {
                Hit::No
            } else {
                let mut pos = pos;
                pos.sort_unstable();
                pos.dedup();
                Hit::At(pos)
            }
        })
    };
    for pmin in from..words.len() {
        if !words[pmin].item {
            continue;
        }
        if let Some(pmax) = (pmin..words.len()).find(|&q| words[q].item && satisfied(pmin, q)) {
            return Some((pmin, pmax));
        }
    }
    None
}
