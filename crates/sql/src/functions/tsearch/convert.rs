//! From text to `tsvector` and `tsquery`: `to_tsvector`, `to_tsquery`,
//! `plainto_tsquery`, `phraseto_tsquery`, `websearch_to_tsquery`, and the configuration
//! functions (`get_current_ts_config`).

use helios_common::Result;
use helios_types::tsearch::{Lexeme, QueryNode, QueryOperand, TsQuery, TsVector, WordPos, MAX_POS};
use helios_types::{DataType, Value};

use super::config::Config;
use super::{query_value, text, vector_value};
use crate::expr::EvalContext;
use crate::functions::registry::{p, Registry, ReturnType};

const TSV: DataType = DataType::TsVector;
const TSQ: DataType = DataType::TsQuery;

pub(super) fn register(r: &mut Registry) {
    use DataType::Text;
    r.add("to_tsvector", vec![p(Text)], ReturnType::Exact(TSV), |a, c| {
        to_tsvector(default_config(c)?, text(&a[0])?)
    });
    r.add("to_tsvector", vec![p(Text), p(Text)], ReturnType::Exact(TSV), |a, _| {
        to_tsvector(Config::by_name(text(&a[0])?)?, text(&a[1])?)
    });
    /// Registers `name(text)` (default configuration) and `name(regconfig, text)`.
    macro_rules! query_maker {
        ($name:literal, $f:expr) => {
            r.add($name, vec![p(Text)], ReturnType::Exact(TSQ), |a, c| {
                Ok(query_value(&($f)(default_config(c)?, text(&a[0])?)?))
            });
            r.add($name, vec![p(Text), p(Text)], ReturnType::Exact(TSQ), |a, _| {
                Ok(query_value(&($f)(Config::by_name(text(&a[0])?)?, text(&a[1])?)?))
            });
        };
    }
    query_maker!("to_tsquery", to_tsquery);
    query_maker!("plainto_tsquery", |c, s| Ok::<_, helios_common::Error>(plain_query(c, s, false)));
    query_maker!("phraseto_tsquery", |c, s| Ok::<_, helios_common::Error>(plain_query(c, s, true)));
    query_maker!("websearch_to_tsquery", |c, s| Ok::<_, helios_common::Error>(websearch(c, s)));
    r.add("get_current_ts_config", vec![], ReturnType::Exact(Text), |_, c| {
        Ok(Value::Text(default_config(c)?.name().to_string()))
    });
}

/// The session's `default_text_search_config`.
pub(super) fn default_config(c: &dyn EvalContext) -> Result<Config> {
    let name = c.setting("default_text_search_config").unwrap_or_else(|| "english".into());
    Config::by_name(&name)
}

/// `to_tsvector(config, text)`.
fn to_tsvector(cfg: Config, doc: &str) -> Result<Value> {
    Ok(vector_value(&document_vector(cfg, doc)))
}

/// The `tsvector` of a document.
pub(super) fn document_vector(cfg: Config, doc: &str) -> TsVector {
    let lexemes = cfg
        .parse_document(doc)
        .into_iter()
        .filter_map(|(pos, lx)| {
            let pos = pos.min(u32::from(MAX_POS)) as u16;
            lx.map(|word| Lexeme { word, positions: vec![WordPos { pos, weight: 0 }] })
        })
        .collect();
    TsVector::from_lexemes(lexemes)
}

/// The lexemes of `text` chained left to right: with `<N>` (N the position gap, which
/// counts removed stop words) when `phrase`, else with `&`. `None` when no lexeme is left.
fn chain(cfg: Config, text: &str, phrase: bool, weight: u8, prefix: bool) -> Option<QueryNode> {
    let mut tree: Option<QueryNode> = None;
    let mut last_pos = 0u32;
    for (pos, lx) in cfg.parse_document(text) {
        let Some(word) = lx else { continue };
        let leaf = QueryNode::Operand(QueryOperand { word, weight, prefix });
        tree = Some(match tree {
            None => leaf,
            Some(t) if phrase => {
                let d = (pos - last_pos).min(u32::from(u16::MAX)) as u16;
                QueryNode::Phrase(Box::new(t), Box::new(leaf), d)
            }
            Some(t) => QueryNode::And(Box::new(t), Box::new(leaf)),
        });
        last_pos = pos;
    }
    tree
}

/// `to_tsquery`: query syntax whose operands are normalised by the configuration (an
/// operand of several lexemes becomes a `<->` phrase of them).
fn to_tsquery(cfg: Config, s: &str) -> Result<TsQuery> {
    Ok(TsQuery::parse_with(s, &mut |word, weight, prefix| {
        Ok(chain(cfg, word, true, weight, prefix))
    })?)
}

/// `plainto_tsquery` (`&` between lexemes) and `phraseto_tsquery` (`<->`).
fn plain_query(cfg: Config, s: &str, phrase: bool) -> TsQuery {
    TsQuery { root: chain(cfg, s, phrase, 0, false) }
}

/// One element of web search syntax.
enum WebItem {
    Term(Option<QueryNode>),
    Not,
    Or,
    And,
}

/// Whether `or` at the start of `rest` (after an operand) is the OR operator: not part
/// of a word, and some operand follows (PostgreSQL's `parse_or_operator`).
fn is_or_operator(rest: &str) -> bool {
    if rest.len() < 2 || !rest.is_char_boundary(2) || !rest[..2].eq_ignore_ascii_case("or") {
        return false;
    }
    let after = &rest[2..];
    match after.chars().next() {
        None => false,
        Some(c) if c == '-' || c == '_' || c.is_alphanumeric() => false,
        Some(_) => after.chars().skip(1).any(|c| !c.is_whitespace()),
    }
}

/// `websearch_to_tsquery`: words are ANDed, `"quoted text"` is a phrase, `or` between
/// terms is OR, a `-` before a term negates it; other operator characters only separate
/// words. A word of several lexemes (`foo-bar`) is a phrase of them.
fn websearch(cfg: Config, s: &str) -> TsQuery {
    let mut items: Vec<WebItem> = Vec::new();
    let mut rest = s;
    let mut after_operand = false;
    while let Some(c) = rest.chars().next() {
        if after_operand {
            if c.is_whitespace() {
                rest = &rest[c.len_utf8()..];
            } else if c != '"' && is_or_operator(rest) {
                items.push(WebItem::Or);
                rest = &rest[2..];
                after_operand = false;
            } else {
                items.push(WebItem::And);
                after_operand = false;
            }
            continue;
        }
        if c == '-' {
            items.push(WebItem::Not);
            rest = &rest[1..];
        } else if c == '"' {
            let body = &rest[1..];
            let end = body.find('"').unwrap_or(body.len());
            items.push(WebItem::Term(chain(cfg, &body[..end], true, 0, false)));
            rest = body.get(end + 1..).unwrap_or("");
            after_operand = true;
        } else if c.is_whitespace() || helios_types::tsearch::query::is_operator_char(c) {
            rest = &rest[c.len_utf8()..];
        } else {
            let end = rest
                .char_indices()
                .skip(1)
                .find(|(_, ch)| {
                    ch.is_whitespace()
                        || *ch == '"'
                        || *ch == ':'
                        || helios_types::tsearch::query::is_operator_char(*ch)
                })
                .map_or(rest.len(), |(i, _)| i);
            items.push(WebItem::Term(chain(cfg, &rest[..end], true, 0, false)));
            rest = &rest[end..];
            after_operand = true;
        }
    }
    // AND groups separated by OR; a `-` applies to the term after it. Terms that
    // normalised to nothing (stop words) drop out, and so does a `-` before them.
    let mut groups: Vec<Option<QueryNode>> = vec![None];
    let mut negate = false;
    for item in items {
        match item {
            WebItem::Not => negate = true,
            WebItem::And => negate = false,
            WebItem::Or => {
                negate = false;
                groups.push(None);
            }
            WebItem::Term(t) => {
                let not = std::mem::take(&mut negate);
                let Some(t) = t else { continue };
                let t = if not { QueryNode::Not(Box::new(t)) } else { t };
                let g = groups.last_mut().expect("at least one group");
                *g = Some(match g.take() {
                    None => t,
                    Some(prev) => QueryNode::And(Box::new(prev), Box::new(t)),
                });
            }
        }
    }
    let root = groups.into_iter().flatten().reduce(|a, b| QueryNode::Or(Box::new(a), Box::new(b)));
    TsQuery { root }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(f: fn(Config, &str) -> TsQuery, s: &str) -> String {
        f(Config::English, s).to_string()
    }

    #[test]
    fn documents_and_queries() {
        assert_eq!(
            document_vector(Config::English, "The quick brown foxes jumped").to_string(),
            "'brown':3 'fox':4 'jump':5 'quick':2"
        );
        assert_eq!(
            to_tsquery(Config::English, "fat <-> the <-> rat").unwrap().to_string(),
            "'fat' <2> 'rat'"
        );
        assert_eq!(
            to_tsquery(Config::English, "foo-bar:*B").unwrap().to_string(),
            "'foo-bar':*B <-> 'foo':*B <-> 'bar':*B"
        );
        assert_eq!(q(|c, s| plain_query(c, s, false), "The fat rats"), "'fat' & 'rat'");
        assert_eq!(q(|c, s| plain_query(c, s, true), "fat the rat"), "'fat' <2> 'rat'");
        assert_eq!(q(websearch, "\"fat rat\" or cat -dog"), "'fat' <-> 'rat' | 'cat' & !'dog'");
        assert_eq!(q(websearch, "a or b"), "'b'");
        assert_eq!(q(websearch, "or cat or"), "'cat'");
        assert_eq!(q(websearch, "fat:a rat|b"), "'fat' & 'rat' & 'b'");
        assert_eq!(q(websearch, "fat or or rat"), "'fat' | 'rat'");
        assert_eq!(q(websearch, "-cat"), "!'cat'");
    }
}
