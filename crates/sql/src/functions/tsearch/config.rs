//! Text search configurations: `simple` (lowercase every token) and `english`
//! (lowercase, drop stop words, stem words with [`super::stem`]; numbers, hosts and
//! other non-words as `simple` does).

use helios_common::{Error, Result, SqlState};

use super::parser::{tokenize, TokenKind};
use super::stem::stem;

/// A built-in text search configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Config {
    /// `pg_catalog.simple`
    Simple,
    /// `pg_catalog.english`
    English,
}

/// English stop words (the Snowball project's list that PostgreSQL ships as
/// `english.stop`).
const ENGLISH_STOP: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "did",
    "do",
    "does",
    "doing",
    "don",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "s",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "t",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

/// Whether `word` (lowercase) is an English stop word.
pub fn is_english_stop_word(word: &str) -> bool {
    ENGLISH_STOP.binary_search(&word).is_ok()
}

impl Config {
    /// Resolves a configuration name (`english`, `pg_catalog.simple`, `"English"`).
    /// 42704 `text search configuration "x" does not exist` otherwise.
    pub fn by_name(name: &str) -> Result<Config> {
        let lower = name.trim().to_lowercase();
        let base = lower.strip_prefix("pg_catalog.").unwrap_or(&lower).trim_matches('"');
        match base {
            "simple" => Ok(Config::Simple),
            "english" => Ok(Config::English),
            _ => Err(Error::new(
                SqlState::UNDEFINED_OBJECT,
                format!("text search configuration \"{}\" does not exist", name.trim()),
            )),
        }
    }

    /// The configuration's name as `regconfig` prints it.
    pub fn name(self) -> &'static str {
        match self {
            Config::Simple => "simple",
            Config::English => "english",
        }
    }

    /// Normalises one token: its lexeme, or `None` for a stop word.
    pub fn lexize(self, token: &str, kind: TokenKind) -> Option<String> {
        let lower = token.to_lowercase();
        match (self, kind) {
            (Config::English, TokenKind::Word) => {
                if is_english_stop_word(&lower) {
                    None
                } else {
                    Some(stem(&lower))
                }
            }
            _ => Some(lower),
        }
    }

    /// The lexemes of a document with their 1-based positions; a stop word takes a
    /// position but yields no lexeme.
    pub fn parse_document(self, text: &str) -> Vec<(u32, Option<String>)> {
        tokenize(text)
            .into_iter()
            .filter(|t| t.kind != TokenKind::Tag)
            .enumerate()
            .map(|(i, t)| (i as u32 + 1, self.lexize(&text[t.start..t.end], t.kind)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_are_sorted() {
        assert!(ENGLISH_STOP.windows(2).all(|w| w[0] < w[1]));
        assert!(is_english_stop_word("the"));
        assert!(!is_english_stop_word("fox"));
    }

    #[test]
    fn configurations_by_name() {
        assert_eq!(Config::by_name("pg_catalog.english").unwrap(), Config::English);
        assert_eq!(Config::by_name("Simple").unwrap(), Config::Simple);
        assert!(Config::by_name("klingon").is_err());
    }
}
