//! Parsing `COPY` statements (`FROM STDIN`, `TO STDOUT` and a server file
//! `FROM '/path'` / `TO '/path'`; `PROGRAM` is not built), in both the modern
//! `WITH (option value, ...)` and the legacy `WITH CSV HEADER DELIMITER ','` spelling.

use helios_common::{Error, Result, SqlState};

/// `FORMAT text`, `csv` or `binary`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyFormat {
    /// Tab-separated with backslash escapes, `\N` for NULL.
    Text,
    /// Comma-separated with quotes, empty for NULL.
    Csv,
    /// PostgreSQL's binary COPY format (signature, then length-prefixed binary values).
    Binary,
}

/// Data format options of a COPY.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyOptions {
    /// text or csv.
    pub format: CopyFormat,
    /// First line holds column names.
    pub header: bool,
    /// Field separator.
    pub delimiter: char,
    /// The string that stands for NULL.
    pub null: String,
    /// CSV quote character.
    pub quote: char,
    /// CSV escape character (inside quotes).
    pub escape: char,
}

impl CopyOptions {
    fn defaults(format: CopyFormat) -> CopyOptions {
        match format {
            CopyFormat::Text | CopyFormat::Binary => CopyOptions {
                format,
                header: false,
                delimiter: '\t',
                null: "\\N".into(),
                quote: '"',
                escape: '"',
            },
            CopyFormat::Csv => CopyOptions {
                format,
                header: false,
                delimiter: ',',
                null: String::new(),
                quote: '"',
                escape: '"',
            },
        }
    }
}

/// What is copied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CopySource {
    /// A table (name as written, possibly schema-qualified or quoted) and column list.
    Table {
        /// The table name as written.
        name: String,
        /// The column names as written; empty for all columns.
        columns: Vec<String>,
    },
    /// `COPY (query) TO STDOUT`.
    Query(String),
}

/// A parsed `COPY ... FROM STDIN` / `COPY ... TO STDOUT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyStatement {
    /// Table or query.
    pub source: CopySource,
    /// True for `FROM` (STDIN or a file), false for `TO` (STDOUT or a file).
    pub from_stdin: bool,
    /// The server file copied from or to; `None` for STDIN / STDOUT.
    pub file: Option<String>,
    /// Format options.
    pub options: CopyOptions,
}

impl CopyStatement {
    /// The query that reads the rows to send (COPY TO) or the target columns (COPY FROM).
    pub fn select_sql(&self) -> String {
        match &self.source {
            CopySource::Query(q) => q.clone(),
            CopySource::Table { name, columns } if columns.is_empty() => {
                format!("SELECT * FROM {name}")
            }
            CopySource::Table { name, columns } => {
                format!("SELECT {} FROM {name}", columns.join(", "))
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Str(String),
    Punct(char),
}

fn syntax(msg: impl Into<String>) -> Error {
    Error::new(SqlState::SYNTAX_ERROR, msg)
}

fn tokenize(sql: &str) -> Result<Vec<(Tok, usize, usize)>> {
    let chars: Vec<(usize, char)> = sql.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1).map(|x| x.1) == Some('-') {
            while i < chars.len() && chars[i].1 != '\n' {
                i += 1;
            }
        } else if c == '\''
            || c == '"'
            || ((c == 'E' || c == 'e') && chars.get(i + 1).map(|x| x.1) == Some('\''))
        {
            let escapes = c != '\'' && c != '"';
            let quote = if escapes { '\'' } else { c };
            if escapes {
                i += 1;
            }
            i += 1;
            let mut s = String::new();
            loop {
                let Some(&(_, ch)) = chars.get(i) else {
                    return Err(syntax("unterminated quoted string in COPY"));
                };
                if escapes && ch == '\\' {
                    let next = chars.get(i + 1).map_or('\\', |x| x.1);
                    s.push(match next {
                        't' => '\t',
                        'n' => '\n',
                        'r' => '\r',
                        other => other,
                    });
                    i += 2;
                } else if ch == quote {
                    if chars.get(i + 1).map(|x| x.1) == Some(quote) {
                        s.push(quote);
                        i += 2;
                    } else {
                        i += 1;
                        break;
                    }
                } else {
                    s.push(ch);
                    i += 1;
                }
            }
            let end = chars.get(i).map_or(sql.len(), |x| x.0);
            out.push((if quote == '"' { Tok::Quoted(s) } else { Tok::Str(s) }, pos, end));
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].1.is_alphanumeric() || chars[i].1 == '_' || chars[i].1 == '$')
            {
                i += 1;
            }
            let end = chars.get(i).map_or(sql.len(), |x| x.0);
            out.push((Tok::Word(sql[chars[start].0..end].to_owned()), pos, end));
        } else {
            out.push((Tok::Punct(c), pos, pos + c.len_utf8()));
            i += 1;
        }
    }
    Ok(out)
}

/// Whether the statement starts with the keyword `COPY`.
pub fn is_copy(sql: &str) -> bool {
    let t = sql.trim_start();
    t.len() >= 4
        && t[..4].eq_ignore_ascii_case("copy")
        && t[4..].chars().next().is_none_or(|c| !c.is_alphanumeric() && c != '_')
}

/// Parses a COPY statement.
pub fn parse_copy(sql: &str) -> Result<CopyStatement> {
    let toks = tokenize(sql)?;
    let mut p = Parser { toks: &toks, i: 0, sql };
    p.keyword("COPY")?;
    let source = if p.peek_punct('(') {
        let start = p.toks[p.i].2;
        let mut depth = 0;
        let mut end = start;
        while let Some((t, s, _)) = p.toks.get(p.i) {
            match t {
                Tok::Punct('(') => depth += 1,
                Tok::Punct(')') => {
                    depth -= 1;
                    if depth == 0 {
                        end = *s;
                        p.i += 1;
                        break;
                    }
                }
                _ => {}
            }
            p.i += 1;
        }
        if depth != 0 {
            return Err(syntax("unbalanced parentheses in COPY query"));
        }
        CopySource::Query(sql[start..end].trim().to_owned())
    } else {
        let mut name = p.ident()?;
        while p.peek_punct('.') {
            p.i += 1;
            name = format!("{name}.{}", p.ident()?);
        }
        let mut columns = Vec::new();
        if p.peek_punct('(') {
            p.i += 1;
            loop {
                columns.push(p.ident()?);
                if p.peek_punct(',') {
                    p.i += 1;
                } else {
                    p.expect_punct(')')?;
                    break;
                }
            }
        }
        CopySource::Table { name, columns }
    };
    let from_stdin = match p.word()?.to_ascii_uppercase().as_str() {
        "FROM" => true,
        "TO" => false,
        other => return Err(syntax(format!("syntax error at or near \"{other}\""))),
    };
    if from_stdin && matches!(source, CopySource::Query(_)) {
        return Err(syntax("COPY FROM does not accept a query"));
    }
    let file = match p.any()? {
        Tok::Str(path) => Some(path),
        Tok::Word(w) if w.eq_ignore_ascii_case(if from_stdin { "STDIN" } else { "STDOUT" }) => None,
        Tok::Word(w) if w.eq_ignore_ascii_case("PROGRAM") => {
            return Err(Error::unsupported("COPY to or from a program"))
        }
        other => return Err(syntax(format!("syntax error at or near {other:?}"))),
    };
    let mut format = CopyFormat::Text;
    let mut raw: Vec<(String, Option<String>)> = Vec::new();
    if p.peek_word("WITH") {
        p.i += 1;
    }
    if p.peek_punct('(') {
        p.i += 1;
        loop {
            let name = p.word()?.to_ascii_lowercase();
            let value = if p.peek_punct(',') || p.peek_punct(')') {
                None
            } else {
                Some(match p.any()? {
                    Tok::Word(w) | Tok::Str(w) | Tok::Quoted(w) => w,
                    Tok::Punct(c) => c.to_string(),
                })
            };
            raw.push((name, value));
            if p.peek_punct(',') {
                p.i += 1;
            } else {
                p.expect_punct(')')?;
                break;
            }
        }
    } else {
        // Legacy spelling: BINARY | CSV | HEADER | DELIMITER [AS] 'x' | NULL [AS] 'x' | QUOTE ... | ESCAPE ...
        while p.i < p.toks.len() && !p.peek_punct(';') {
            let name = p.word()?.to_ascii_lowercase();
            match name.as_str() {
                "binary" | "csv" => raw.push(("format".into(), Some(name))),
                "header" => raw.push((name, None)),
                "delimiter" | "null" | "quote" | "escape" => {
                    if p.peek_word("AS") {
                        p.i += 1;
                    }
                    let Tok::Str(v) = p.any()? else {
                        return Err(syntax(format!("{name} needs a string")));
                    };
                    raw.push((name, Some(v)));
                }
                other => return Err(syntax(format!("option \"{other}\" not recognized"))),
            }
        }
    }
    if let Some((_, v)) = raw.iter().find(|(n, _)| n == "format") {
        format = match v.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("text") => CopyFormat::Text,
            Some("csv") => CopyFormat::Csv,
            Some("binary") => CopyFormat::Binary,
            other => {
                return Err(syntax(format!(
                    "COPY format \"{}\" not recognized",
                    other.unwrap_or("")
                )))
            }
        };
    }
    let mut options = CopyOptions::defaults(format);
    for (name, value) in raw {
        let single = |v: &Option<String>, what: &str| -> Result<char> {
            let v = v.as_deref().unwrap_or("");
            let mut it = v.chars();
            match (it.next(), it.next()) {
                (Some(c), None) => Ok(c),
                _ => Err(Error::new(
                    SqlState::FEATURE_NOT_SUPPORTED,
                    format!("COPY {what} must be a single one-byte character"),
                )),
            }
        };
        match name.as_str() {
            "format" => {}
            "header" => {
                options.header = match value.as_deref().map(str::to_ascii_lowercase).as_deref() {
                    None | Some("true" | "on" | "1") => true,
                    Some("false" | "off" | "0") => false,
                    Some("match") => true,
                    Some(other) => {
                        return Err(syntax(format!(
                            "header requires a Boolean value, got \"{other}\""
                        )))
                    }
                }
            }
            "delimiter" => options.delimiter = single(&value, "delimiter")?,
            "null" => options.null = value.unwrap_or_default(),
            "quote" => options.quote = single(&value, "quote")?,
            "escape" => options.escape = single(&value, "escape")?,
            // FREEZE only lets PostgreSQL skip later vacuum work; rows are visible either way.
            "freeze" => {}
            "encoding" => {
                if !value.as_deref().is_some_and(|e| {
                    e.eq_ignore_ascii_case("utf8") || e.eq_ignore_ascii_case("utf-8")
                }) {
                    return Err(Error::unsupported("COPY encodings other than UTF8"));
                }
            }
            other => return Err(syntax(format!("option \"{other}\" not recognized"))),
        }
    }
    if options.header && options.format == CopyFormat::Text && from_stdin {
        // PostgreSQL 15 accepts HEADER for text too; we follow it.
    }
    if p.peek_punct(';') {
        p.i += 1;
    }
    if p.i < p.toks.len() {
        return Err(syntax(format!(
            "syntax error at or near \"{}\"",
            &p.sql[p.toks[p.i].1..p.toks[p.i].2]
        )));
    }
    if options.format == CopyFormat::Binary && options.header {
        return Err(Error::new(
            SqlState::FEATURE_NOT_SUPPORTED,
            "cannot specify HEADER in BINARY mode",
        ));
    }
    Ok(CopyStatement { source, from_stdin, file, options })
}

struct Parser<'a> {
    toks: &'a [(Tok, usize, usize)],
    i: usize,
    sql: &'a str,
}

impl Parser<'_> {
    fn any(&mut self) -> Result<Tok> {
        let t =
            self.toks.get(self.i).ok_or_else(|| syntax("syntax error at end of input"))?.0.clone();
        self.i += 1;
        Ok(t)
    }

    fn word(&mut self) -> Result<String> {
        match self.any()? {
            Tok::Word(w) => Ok(w),
            other => Err(syntax(format!("syntax error at or near {other:?}"))),
        }
    }

    fn keyword(&mut self, kw: &str) -> Result<()> {
        let w = self.word()?;
        if w.eq_ignore_ascii_case(kw) {
            Ok(())
        } else {
            Err(syntax(format!("expected {kw}")))
        }
    }

    fn ident(&mut self) -> Result<String> {
        match self.any()? {
            Tok::Word(w) => Ok(w),
            Tok::Quoted(q) => Ok(format!("\"{}\"", q.replace('"', "\"\""))),
            other => Err(syntax(format!("expected a name, got {other:?}"))),
        }
    }

    fn peek_punct(&self, c: char) -> bool {
        matches!(self.toks.get(self.i), Some((Tok::Punct(p), _, _)) if *p == c)
    }

    fn peek_word(&self, w: &str) -> bool {
        matches!(self.toks.get(self.i), Some((Tok::Word(x), _, _)) if x.eq_ignore_ascii_case(w))
    }

    fn expect_punct(&mut self, c: char) -> Result<()> {
        if self.peek_punct(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(syntax(format!("expected \"{c}\"")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modern_and_legacy_options() {
        let c = parse_copy("COPY public.t (a, \"B\") FROM STDIN WITH (FORMAT csv, HEADER, DELIMITER ';', NULL 'x')").unwrap();
        assert!(c.from_stdin);
        assert_eq!(
            c.source,
            CopySource::Table {
                name: "public.t".into(),
                columns: vec!["a".into(), "\"B\"".into()]
            }
        );
        assert_eq!(c.options.format, CopyFormat::Csv);
        assert!(c.options.header);
        assert_eq!(c.options.delimiter, ';');
        assert_eq!(c.options.null, "x");

        let c = parse_copy("copy t to stdout with csv header delimiter as '|'").unwrap();
        assert!(!c.from_stdin);
        assert_eq!(
            (c.options.format, c.options.header, c.options.delimiter),
            (CopyFormat::Csv, true, '|')
        );

        let c = parse_copy("COPY (SELECT a, ')' FROM t) TO STDOUT;").unwrap();
        assert_eq!(c.source, CopySource::Query("SELECT a, ')' FROM t".into()));
        assert_eq!(c.options.delimiter, '\t');
        assert_eq!(c.options.null, "\\N");
    }

    #[test]
    fn rejections() {
        assert_eq!(
            parse_copy("COPY t FROM PROGRAM 'ls'").unwrap_err().sqlstate(),
            SqlState::FEATURE_NOT_SUPPORTED
        );
        assert_eq!(
            parse_copy("COPY t TO STDOUT (FORMAT binary, HEADER)").unwrap_err().sqlstate(),
            SqlState::FEATURE_NOT_SUPPORTED
        );
        let c = parse_copy("COPY t FROM '/data/t.data' (FORMAT binary)").unwrap();
        assert_eq!(
            (c.file.as_deref(), c.options.format),
            (Some("/data/t.data"), CopyFormat::Binary)
        );
        assert!(c.from_stdin);
        assert!(parse_copy("COPY t FROM STDOUT").is_err());
        assert_eq!(
            parse_copy("COPY t FROM STDIN (bogus)").unwrap_err().sqlstate(),
            SqlState::SYNTAX_ERROR
        );
        assert!(parse_copy("COPY t FROM STDIN (DELIMITER 'ab')").is_err());
        assert!(parse_copy("COPY (select 1) FROM STDIN").is_err());
        assert!(is_copy("  copy t from stdin"));
        assert!(!is_copy("copying"));
        assert!(parse_copy("copy pgbench_accounts from stdin with (freeze on)").is_ok());
    }
}
