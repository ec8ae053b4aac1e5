//! The default text search parser, simplified: splits a document into tokens the
//! way PostgreSQL's `default` parser does for common text.
//!
//! Recognised: words (letters, with digits: `numword`), hyphenated words (the whole
//! compound, then each part), integers (with a leading `-` when not inside a word),
//! decimal numbers, host names (`x.org`), e-mail addresses and HTML/XML tags (skipped,
//! like PostgreSQL, which never indexes them). Everything else separates tokens. Not
//! recognised: URLs, file paths and version numbers (their parts become words).

/// What a token is, which decides the dictionary that normalises it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// Letters only (`asciiword`, `word`) or a hyphenated compound or part of one:
    /// stemmed and stop-word checked by `english`.
    Word,
    /// A number (`int`, `uint`, `float`), indexed as written.
    Number,
    /// Anything else indexed as written, lowercased (`numword`, `host`, `email`).
    Other,
    /// An XML/HTML tag, comment or entity: never indexed, kept for `ts_headline`.
    Tag,
}

/// One token: its byte span in the input and its kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Start byte offset.
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
    /// The kind of token.
    pub kind: TokenKind,
    /// A hyphenated compound, followed by tokens for its parts.
    pub compound: bool,
}

impl Token {
    fn new(start: usize, end: usize, kind: TokenKind) -> Token {
        Token { start, end, kind, compound: false }
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Splits `text` into indexable tokens in document order. Hyphenated compounds give the
/// whole compound first, then its parts (each takes a position, as in PostgreSQL).
pub fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let n = chars.len();
    let at = |i: usize| chars.get(i).map(|(_, c)| *c);
    let off = |i: usize| chars.get(i).map_or(text.len(), |(o, _)| *o);
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let c = chars[i].1;
        // A tag `<name ...>`, `</name>` or `<!-- ... -->`, or an entity `&amp;`.
        if c == '<' || c == '&' {
            let end = if c == '<' { tag_end(&chars, i) } else { entity_end(&chars, i) };
            if let Some(end) = end {
                out.push(Token::new(off(i), off(end), TokenKind::Tag));
                i = end;
                continue;
            }
        }
        let signed = c == '-'
            && at(i + 1).is_some_and(|d| d.is_ascii_digit())
            && (i == 0 || !at(i - 1).is_some_and(char::is_alphabetic));
        if !is_word_char(c) && !signed {
            i += 1;
            continue;
        }
        let start = i;
        if signed {
            i += 1;
        }
        // Read parts separated by single `-`, `.` or `@` joiners.
        let mut parts: Vec<(usize, usize)> = Vec::new();
        let mut joiners: Vec<char> = Vec::new();
        loop {
            let ps = i;
            while i < n && is_word_char(chars[i].1) {
                i += 1;
            }
            parts.push((ps, i));
            match at(i) {
                Some(j @ ('-' | '.' | '@')) if at(i + 1).is_some_and(is_word_char) => {
                    joiners.push(j);
                    i += 1;
                }
                _ => break,
            }
        }
        let part_text = |p: &(usize, usize)| &text[off(p.0)..off(p.1)];
        let all_digits = |p: &(usize, usize)| part_text(p).chars().all(|c| c.is_ascii_digit());
        let has_alpha = |p: &(usize, usize)| part_text(p).chars().any(char::is_alphabetic);
        let kind_of = |p: &(usize, usize)| {
            if part_text(p).chars().all(char::is_alphabetic) {
                TokenKind::Word
            } else {
                TokenKind::Other
            }
        };
        if signed || (parts.len() > 1 && all_digits(&parts[0])) {
            // A number: `-12`, `1.5`; a following `-`/`.` chain is read again.
            let mut end = parts[0].1;
            if joiners.first() == Some(&'.') && parts.get(1).is_some_and(all_digits) {
                end = parts[1].1;
            }
            out.push(Token::new(off(start), off(end), TokenKind::Number));
            i = end;
            continue;
        }
        if parts.len() == 1 {
            let kind = if all_digits(&parts[0]) { TokenKind::Number } else { kind_of(&parts[0]) };
            out.push(Token::new(off(start), off(i), kind));
            continue;
        }
        let email = joiners.iter().filter(|j| **j == '@').count() == 1
            && joiners[0] == '@'
            && joiners[1..].iter().all(|j| *j == '.')
            && joiners.len() > 1;
        let host = joiners.iter().all(|j| *j == '.') && parts.iter().any(has_alpha);
        let compound = joiners.iter().all(|j| *j == '-');
        if email || host {
            out.push(Token::new(off(start), off(i), TokenKind::Other));
        } else if compound {
            let kind = if parts.iter().all(|p| kind_of(p) == TokenKind::Word) {
                TokenKind::Word
            } else {
                TokenKind::Other
            };
            out.push(Token { start: off(start), end: off(i), kind, compound: true });
            for p in &parts {
                out.push(Token::new(off(p.0), off(p.1), kind_of(p)));
            }
        } else {
            // Mixed joiners: index the parts one by one.
            for p in &parts {
                out.push(Token::new(off(p.0), off(p.1), kind_of(p)));
            }
        }
    }
    out
}

/// The index after an entity starting at `i` (`&name;`, `&#123;`), if one starts there.
fn entity_end(chars: &[(usize, char)], i: usize) -> Option<usize> {
    let mut j = i + 1;
    if chars.get(j).map(|c| c.1) == Some('#') {
        j += 1;
    }
    let start = j;
    while chars.get(j).is_some_and(|c| c.1.is_ascii_alphanumeric()) {
        j += 1;
    }
    (j > start && chars.get(j).map(|c| c.1) == Some(';')).then_some(j + 1)
}

/// The index after a tag starting at `i` (`<`), if one starts there.
fn tag_end(chars: &[(usize, char)], i: usize) -> Option<usize> {
    let mut j = i + 1;
    if matches!(chars.get(j).map(|c| c.1), Some('/' | '!' | '?')) {
        j += 1;
    }
    if !chars.get(j).is_some_and(|c| c.1.is_ascii_alphabetic() || c.1 == '-') {
        return None;
    }
    while j < chars.len() {
        match chars[j].1 {
            '>' => return Some(j + 1),
            '<' => return None,
            _ => j += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<&str> {
        tokenize(s)
            .iter()
            .filter(|t| t.kind != TokenKind::Tag)
            .map(|t| &s[t.start..t.end])
            .collect()
    }

    #[test]
    fn splits_like_the_default_parser() {
        assert_eq!(words("The quick, brown"), ["The", "quick", "brown"]);
        assert_eq!(words("foo-bar"), ["foo-bar", "foo", "bar"]);
        assert_eq!(words("1.5 abc123 -3 1-2"), ["1.5", "abc123", "-3", "1", "-2"]);
        assert_eq!(words("user@x.com x.com"), ["user@x.com", "x.com"]);
        assert_eq!(words("<b>tag</b> a_b"), ["tag", "a", "b"]);
    }
}
