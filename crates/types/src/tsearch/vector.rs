//! `tsvector`: lexemes in byte order, each with sorted, distinct positions and weights.
//!
//! Text form: lexemes separated by spaces, optionally quoted (`'it''s'`), backslash
//! escaping the next character, followed by `:pos[weight],...` with positions
//! 1..=16383 (larger ones clamp to 16383) and weights `A`..`D` (`D` is the default and
//! is not printed). Input sorts lexemes, merges duplicates and their positions (a
//! repeated position keeps the highest weight), as `tsvectorin` does.

use helios_common::SqlState;

use crate::error::{TypeError, TypeResult};

/// The largest position a lexeme can carry (PostgreSQL's `MAXENTRYPOS - 1`).
pub const MAX_POS: u16 = 16_383;

/// At most this many positions are kept per lexeme (`MAXNUMPOS`).
const MAX_NUM_POS: usize = 256;

/// The longest lexeme in bytes (`MAXSTRLEN`).
const MAX_WORD_LEN: usize = 2047;

/// One position of a lexeme: 1..=16383 and a weight 0 (`D`) ..= 3 (`A`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WordPos {
    /// The position in the document, 1-based.
    pub pos: u16,
    /// 3 = `A`, 2 = `B`, 1 = `C`, 0 = `D`.
    pub weight: u8,
}

/// One lexeme and its positions (empty for a lexeme without position data).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Lexeme {
    /// The normalised word.
    pub word: String,
    /// Sorted by position, no position twice.
    pub positions: Vec<WordPos>,
}

/// A `tsvector`: lexemes sorted by their bytes, each word once.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TsVector {
    /// The lexemes in canonical order.
    pub lexemes: Vec<Lexeme>,
}

/// The letter of a weight (`A` for 3 ... `D` for 0).
pub fn weight_letter(w: u8) -> char {
    match w {
        3 => 'A',
        2 => 'B',
        1 => 'C',
        _ => 'D',
    }
}

impl TsVector {
    /// Reads PostgreSQL's text form (`tsvectorin`).
    pub fn parse(s: &str) -> TypeResult<TsVector> {
        let mut reader = WordReader::new(s, false);
        let mut lexemes = Vec::new();
        while let Some((word, positions)) = reader.next_word()? {
            if word.len() > MAX_WORD_LEN {
                return Err(TypeError::other(
                    SqlState::PROGRAM_LIMIT_EXCEEDED,
                    format!("word is too long ({} bytes, max {} bytes)", word.len(), MAX_WORD_LEN),
                ));
            }
            lexemes.push(Lexeme { word, positions });
        }
        Ok(TsVector::from_lexemes(lexemes))
    }

    /// Builds a canonical vector from lexemes in any order, merging duplicates.
    pub fn from_lexemes(mut lexemes: Vec<Lexeme>) -> TsVector {
        lexemes.sort_by(|a, b| a.word.as_bytes().cmp(b.word.as_bytes()));
        let mut out: Vec<Lexeme> = Vec::with_capacity(lexemes.len());
        for lx in lexemes {
            match out.last_mut() {
                Some(last) if last.word == lx.word => last.positions.extend(lx.positions),
                _ => out.push(lx),
            }
        }
        for lx in &mut out {
            lx.positions = unique_positions(std::mem::take(&mut lx.positions));
        }
        TsVector { lexemes: out }
    }

    /// The size PostgreSQL's stored form of the vector has (header, one 4-byte entry
    /// per lexeme, the lexemes, and for each lexeme with positions a 2-byte aligned
    /// count and 2 bytes per position).
    fn stored_size(&self) -> usize {
        let mut off = 0usize;
        for lx in &self.lexemes {
            off += lx.word.len();
            if !lx.positions.is_empty() {
                off = off.next_multiple_of(2) + 2 + 2 * lx.positions.len();
            }
        }
        8 + 4 * self.lexemes.len() + off
    }

    /// PostgreSQL's `tsvector_cmp`: by stored size, lexeme count, then lexeme by lexeme
    /// (lexemes with positions first, then by bytes, then by positions and weights,
    /// longer lists and greater positions first).
    pub fn pg_cmp(&self, other: &TsVector) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        let by_size = self
            .stored_size()
            .cmp(&other.stored_size())
            .then(self.lexemes.len().cmp(&other.lexemes.len()));
        if by_size != Ordering::Equal {
            return by_size;
        }
        for (a, b) in self.lexemes.iter().zip(&other.lexemes) {
            let (ha, hb) = (!a.positions.is_empty(), !b.positions.is_empty());
            let o = hb
                .cmp(&ha)
                .then_with(|| a.word.as_bytes().cmp(b.word.as_bytes()))
                .then_with(|| b.positions.len().cmp(&a.positions.len()))
                .then_with(|| {
                    a.positions
                        .iter()
                        .zip(&b.positions)
                        .map(|(x, y)| y.pos.cmp(&x.pos).then(y.weight.cmp(&x.weight)))
                        .find(|o| *o != Ordering::Equal)
                        .unwrap_or(Ordering::Equal)
                });
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }

    /// The lexeme `word`, if present.
    pub fn find(&self, word: &str) -> Option<&Lexeme> {
        self.lexemes
            .binary_search_by(|l| l.word.as_bytes().cmp(word.as_bytes()))
            .ok()
            .map(|i| &self.lexemes[i])
    }

    /// Lexemes starting with `prefix` (a contiguous run in canonical order).
    pub fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a Lexeme> + 'a {
        let start = self.lexemes.partition_point(|l| l.word.as_bytes() < prefix.as_bytes());
        self.lexemes[start..].iter().take_while(move |l| l.word.starts_with(prefix))
    }
}

/// Sorts positions, keeps each once (with the highest weight seen), and caps their
/// number as PostgreSQL's `uniquePos` does.
pub fn unique_positions(mut pos: Vec<WordPos>) -> Vec<WordPos> {
    if pos.len() <= 1 {
        return pos;
    }
    pos.sort_by_key(|p| p.pos);
    let mut out: Vec<WordPos> = Vec::with_capacity(pos.len());
    for p in pos {
        let full = out.len() >= MAX_NUM_POS - 1;
        match out.last_mut() {
            Some(last) if last.pos == p.pos => last.weight = last.weight.max(p.weight),
            Some(last) if full || last.pos == MAX_POS => break,
            _ => out.push(p),
        }
    }
    out
}

impl std::fmt::Display for TsVector {
    /// `tsvectorout`: `'a':1A,3 'b'`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = String::new();
        for (i, lx) in self.lexemes.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            super::quote_lexeme(&mut out, &lx.word);
            for (j, p) in lx.positions.iter().enumerate() {
                out.push(if j == 0 { ':' } else { ',' });
                out.push_str(&p.pos.to_string());
                if p.weight != 0 {
                    out.push(weight_letter(p.weight));
                }
            }
        }
        f.write_str(&out)
    }
}

/// Reads words of the shared `tsvector`/`tsquery` operand syntax (PostgreSQL's
/// `gettoken_tsvector`): quoting, backslash escapes and, for vectors, position lists.
pub(crate) struct WordReader<'a> {
    src: &'a str,
    /// Byte offset of the next character.
    pub(crate) at: usize,
    /// In a query, operator characters end a word and no positions follow.
    in_query: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    WaitWord,
    WaitEndWord,
    WaitEndQuoted,
    WaitQuoteOrEnd,
    WaitPosInfo,
    InPosInfo,
    WaitPosDelim,
}

/// Characters that end an unquoted operand in a `tsquery`.
pub(crate) fn is_query_operator(c: char) -> bool {
    matches!(c, '!' | '&' | '|' | '(' | ')' | '<')
}

impl<'a> WordReader<'a> {
    pub(crate) fn new(src: &'a str, in_query: bool) -> WordReader<'a> {
        WordReader { src, at: 0, in_query }
    }

    fn syntax_error(&self) -> TypeError {
        let ty = if self.in_query { "tsquery" } else { "tsvector" };
        TypeError::other(SqlState::SYNTAX_ERROR, format!("syntax error in {ty}: \"{}\"", self.src))
    }

    fn peek(&self) -> Option<char> {
        self.src[self.at..].chars().next()
    }

    /// The next word and its positions; `None` at the end of the input.
    pub(crate) fn next_word(&mut self) -> TypeResult<Option<(String, Vec<WordPos>)>> {
        let mut state = State::WaitWord;
        let mut word = String::new();
        let mut positions: Vec<WordPos> = Vec::new();
        loop {
            let c = self.peek();
            match state {
                State::WaitWord => match c {
                    None => return Ok(None),
                    Some('\'') => state = State::WaitEndQuoted,
                    Some('\\') => {
                        self.at += 1;
                        word.push(self.escaped()?);
                        state = State::WaitEndWord;
                        continue;
                    }
                    Some(c) if self.in_query && is_query_operator(c) => {
                        return Err(self.syntax_error())
                    }
                    Some(c) if !c.is_whitespace() => {
                        word.push(c);
                        state = State::WaitEndWord;
                    }
                    Some(_) => {}
                },
                State::WaitEndWord => match c {
                    Some('\\') => {
                        self.at += 1;
                        word.push(self.escaped()?);
                        continue;
                    }
                    None => return Ok(Some((word, positions))),
                    Some(c) if c.is_whitespace() || (self.in_query && is_query_operator(c)) => {
                        return Ok(Some((word, positions)))
                    }
                    Some(':') => {
                        if self.in_query {
                            return Ok(Some((word, positions)));
                        }
                        state = State::InPosInfo;
                    }
                    Some(c) => word.push(c),
                },
                State::WaitEndQuoted => match c {
                    Some('\'') => state = State::WaitQuoteOrEnd,
                    Some('\\') => {
                        self.at += 1;
                        word.push(self.escaped()?);
                        continue;
                    }
                    None => return Err(self.syntax_error()),
                    Some(c) => word.push(c),
                },
                State::WaitQuoteOrEnd => {
                    if c == Some('\'') {
                        word.push('\'');
                        state = State::WaitEndQuoted;
                    } else {
                        if word.is_empty() {
                            return Err(self.syntax_error());
                        }
                        if self.in_query {
                            return Ok(Some((word, positions)));
                        }
                        state = State::WaitPosInfo;
                        continue;
                    }
                }
                State::WaitPosInfo => {
                    if c == Some(':') {
                        state = State::InPosInfo;
                    } else {
                        return Ok(Some((word, positions)));
                    }
                }
                State::InPosInfo => match c {
                    Some(d) if d.is_ascii_digit() => {
                        let digits: String =
                            self.src[self.at..].chars().take_while(char::is_ascii_digit).collect();
                        let n = digits.parse::<u64>().unwrap_or(u64::MAX);
                        if n == 0 {
                            return Err(TypeError::other(
                                SqlState::SYNTAX_ERROR,
                                format!("wrong position info in tsvector: \"{}\"", self.src),
                            ));
                        }
                        let pos = n.min(u64::from(MAX_POS)) as u16;
                        positions.push(WordPos { pos, weight: 0 });
                        self.at += digits.len();
                        state = State::WaitPosDelim;
                        continue;
                    }
                    _ => return Err(self.syntax_error()),
                },
                State::WaitPosDelim => {
                    let weight = match c {
                        Some(',') => {
                            state = State::InPosInfo;
                            None
                        }
                        Some('a' | 'A' | '*') => Some(3),
                        Some('b' | 'B') => Some(2),
                        Some('c' | 'C') => Some(1),
                        Some('d' | 'D') => Some(0),
                        None => return Ok(Some((word, positions))),
                        Some(c) if c.is_whitespace() => return Ok(Some((word, positions))),
                        Some(_) => return Err(self.syntax_error()),
                    };
                    if let Some(w) = weight {
                        let last = positions.last_mut().ok_or_else(|| self.syntax_error())?;
                        if last.weight != 0 {
                            return Err(self.syntax_error());
                        }
                        last.weight = w;
                    }
                }
            }
            if let Some(c) = c {
                self.at += c.len_utf8();
            }
        }
    }

    /// The character after a backslash (already consumed).
    fn escaped(&mut self) -> TypeResult<char> {
        match self.peek() {
            Some(c) => {
                self.at += c.len_utf8();
                Ok(c)
            }
            None => Err(TypeError::other(
                SqlState::SYNTAX_ERROR,
                format!("there is no escaped character: \"{}\"", self.src),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(s: &str) -> String {
        TsVector::parse(s).unwrap().to_string()
    }

    #[test]
    fn text_round_trips() {
        assert_eq!(rt("1"), "'1'");
        assert_eq!(rt(" 1 2 "), "'1' '2'");
        assert_eq!(rt("'1 2'"), "'1 2'");
        assert_eq!(rt(r"'1 \'2'"), r"'1 ''2'");
        assert_eq!(rt(r"'1 \'2'3"), r"'1 ''2' '3'");
        assert_eq!(
            rt(r"'\\as' ab\c ab\\c AB\\\c ab\\\\c"),
            r"'AB\\c' '\\as' 'ab\\\\c' 'ab\\c' 'abc'"
        );
        assert_eq!(rt("a:3A b:2a a:1B"), "'a':1B,3A 'b':2A");
        assert_eq!(rt("a:3,3B,1 b:99999"), "'a':1,3B 'b':16383");
        assert_eq!(rt("b a b"), "'a' 'b'");
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(TsVector::parse("'' '1'").is_err());
        assert!(TsVector::parse("a:0").is_err());
        assert!(TsVector::parse("a:1AB").is_err());
        assert!(TsVector::parse("'a").is_err());
        assert!(TsVector::parse("a\\").is_err());
    }
}
