//! Text search over json and jsonb documents: `to_tsvector(json[b])` reads the string
//! values; `json[b]_to_tsvector(doc, filter)` the kinds of value its filter names
//! (`"string"`, `"numeric"`, `"boolean"`, `"key"`, `"all"`, or an array of them, in any
//! letter case). Each value is parsed on its own and the positions run on from one value
//! to the next, one further after every value that gave a lexeme, so that a phrase never
//! matches across two values (PostgreSQL's rule). Object members are read in jsonb's
//! key order (shorter keys first), for `json` documents too, whose text order this
//! engine does not keep (see docs/sql-expressions.md).

use helios_common::{Error, Result, SqlState};
use helios_types::tsearch::{Lexeme, TsVector, WordPos, MAX_POS};
use helios_types::{DataType, Value};
use serde_json::Value as Json;

use super::config::Config;
use super::convert::default_config;
use super::{text, vector_value};
use crate::functions::json::doc;
use crate::functions::registry::{p, Registry, ReturnType};

/// Which values of a document are read.
#[derive(Clone, Copy, Debug, Default)]
struct Kinds {
    string: bool,
    numeric: bool,
    boolean: bool,
    key: bool,
}

const STRINGS: Kinds = Kinds { string: true, numeric: false, boolean: false, key: false };

pub(super) fn register(r: &mut Registry) {
    use DataType::{Json as J, Jsonb, Text, TsVector as TSV};
    for t in [J, Jsonb] {
        r.add("to_tsvector", vec![p(t.clone())], ReturnType::Exact(TSV), |a, c| {
            vector(default_config(c)?, &a[0], STRINGS)
        });
        r.add("to_tsvector", vec![p(Text), p(t)], ReturnType::Exact(TSV), |a, _| {
            vector(Config::by_name(text(&a[0])?)?, &a[1], STRINGS)
        });
    }
    for (name, t) in [("json_to_tsvector", J), ("jsonb_to_tsvector", Jsonb)] {
        r.add(name, vec![p(t.clone()), p(Jsonb)], ReturnType::Exact(TSV), |a, c| {
            vector(default_config(c)?, &a[0], kinds(&a[1])?)
        });
        r.add(name, vec![p(Text), p(t), p(Jsonb)], ReturnType::Exact(TSV), |a, _| {
            vector(Config::by_name(text(&a[0])?)?, &a[1], kinds(&a[2])?)
        });
    }
}

/// The kinds a filter names (22023 for anything else).
fn kinds(filter: &Value) -> Result<Kinds> {
    let hint = "Possible values are: \"string\", \"numeric\", \"boolean\", \"key\", and \"all\".";
    let bad = |msg: String| Error::new(SqlState::INVALID_PARAMETER_VALUE, msg).with_hint(hint);
    let names = match doc(filter)? {
        Json::Array(items) => items,
        Json::Object(_) => {
            return Err(Error::new(
                SqlState::INVALID_PARAMETER_VALUE,
                "wrong flag type, only arrays and scalars are allowed",
            ))
        }
        scalar => vec![scalar],
    };
    let mut k = Kinds::default();
    for name in names {
        let Json::String(name) = name else {
            return Err(bad("flag array element is not a string".into()));
        };
        match name.to_ascii_lowercase().as_str() {
            "all" => k = Kinds { string: true, numeric: true, boolean: true, key: true },
            "string" => k.string = true,
            "numeric" => k.numeric = true,
            "boolean" => k.boolean = true,
            "key" => k.key = true,
            _ => return Err(bad(format!("wrong flag in flag array: \"{name}\""))),
        }
    }
    Ok(k)
}

/// The `tsvector` of the values of `document` that `kinds` selects.
fn vector(cfg: Config, document: &Value, kinds: Kinds) -> Result<Value> {
    let mut reader = Reader { cfg, kinds, lexemes: Vec::new(), pos: 0 };
    reader.walk(&doc(document)?);
    Ok(vector_value(&TsVector::from_lexemes(reader.lexemes)))
}

struct Reader {
    cfg: Config,
    kinds: Kinds,
    lexemes: Vec<Lexeme>,
    /// The position of the last word read so far.
    pos: u32,
}

impl Reader {
    fn walk(&mut self, d: &Json) {
        match d {
            Json::String(s) if self.kinds.string => self.read(s),
            Json::Number(n) if self.kinds.numeric => self.read(&n.to_string()),
            Json::Bool(b) if self.kinds.boolean => self.read(if *b { "true" } else { "false" }),
            Json::Array(items) => items.iter().for_each(|item| self.walk(item)),
            Json::Object(members) => {
                let mut members: Vec<(&String, &Json)> = members.iter().collect();
                members.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| a.0.cmp(b.0)));
                for (key, value) in members {
                    if self.kinds.key {
                        self.read(key);
                    }
                    self.walk(value);
                }
            }
            _ => {}
        }
    }

    /// Parses one value: its words take the next positions; a gap of one follows when
    /// it gave a lexeme.
    fn read(&mut self, value: &str) {
        let (base, mut last, mut found) = (self.pos, self.pos, false);
        for (at, lexeme) in self.cfg.parse_document(value) {
            last = base + at;
            if let Some(word) = lexeme {
                found = true;
                let pos = last.min(u32::from(MAX_POS)) as u16;
                self.lexemes.push(Lexeme { word, positions: vec![WordPos { pos, weight: 0 }] });
            }
        }
        self.pos = if found { last + 1 } else { last };
    }
}
