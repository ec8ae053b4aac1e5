//! JSON syntax check for the `json` type, which PostgreSQL stores as written and only
//! validates: unlike `jsonb`, lone surrogate escapes such as `"\ud83d"` are accepted.
//! Iterative, so deeply nested input cannot overflow the stack.

/// One lexical token.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Token {
    ObjectStart,
    ObjectEnd,
    ArrayStart,
    ArrayEnd,
    Colon,
    Comma,
    String,
    Scalar,
}

/// What the parser expects next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Value,
    ValueOrArrayEnd,
    KeyOrObjectEnd,
    Key,
    Colon,
    CommaOrObjectEnd,
    CommaOrArrayEnd,
    Done,
}

struct Lexer<'a> {
    b: &'a [u8],
    i: usize,
}

impl Lexer<'_> {
    fn next(&mut self) -> Result<Option<Token>, String> {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
        let Some(&c) = self.b.get(self.i) else { return Ok(None) };
        let single = match c {
            b'{' => Some(Token::ObjectStart),
            b'}' => Some(Token::ObjectEnd),
            b'[' => Some(Token::ArrayStart),
            b']' => Some(Token::ArrayEnd),
            b':' => Some(Token::Colon),
            b',' => Some(Token::Comma),
            _ => None,
        };
        if let Some(t) = single {
            self.i += 1;
            return Ok(Some(t));
        }
        match c {
            b'"' => self.string().map(|()| Some(Token::String)),
            b'-' | b'0'..=b'9' => self.number().map(|()| Some(Token::Scalar)),
            _ => {
                let start = self.i;
                while self.i < self.b.len() && self.b[self.i].is_ascii_alphanumeric() {
                    self.i += 1;
                }
                let word = &self.b[start..self.i.max(start + 1).min(self.b.len())];
                match word {
                    b"true" | b"false" | b"null" => Ok(Some(Token::Scalar)),
                    _ => Err(format!("Token \"{}\" is invalid.", String::from_utf8_lossy(word))),
                }
            }
        }
    }

    fn string(&mut self) -> Result<(), String> {
        self.i += 1;
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return Err("The input string ended unexpectedly.".into());
            };
            self.i += 1;
            match c {
                b'"' => return Ok(()),
                b'\\' => match self.b.get(self.i) {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                    Some(b'u') => {
                        let hex = self.b.get(self.i + 1..self.i + 5);
                        if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                            return Err(
                                "\"\\u\" must be followed by four hexadecimal digits.".into()
                            );
                        }
                        self.i += 5;
                    }
                    _ => return Err("Escape sequence is invalid.".into()),
                },
                c if c < 0x20 => {
                    return Err(format!("Character with value 0x{c:02x} must be escaped."))
                }
                _ => {}
            }
        }
    }

    fn number(&mut self) -> Result<(), String> {
        let start = self.i;
        let b = self.b;
        let digits = |i: &mut usize| {
            let s = *i;
            while *i < b.len() && b[*i].is_ascii_digit() {
                *i += 1;
            }
            *i - s
        };
        if b[self.i] == b'-' {
            self.i += 1;
        }
        let int_start = self.i;
        let n = digits(&mut self.i);
        let ok_int = n == 1 || (n > 1 && b[int_start] != b'0');
        let mut ok = ok_int;
        if ok && b.get(self.i) == Some(&b'.') {
            self.i += 1;
            ok = digits(&mut self.i) > 0;
        }
        if ok && matches!(b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            ok = digits(&mut self.i) > 0;
        }
        if ok && !b.get(self.i).is_some_and(u8::is_ascii_alphanumeric) {
            return Ok(());
        }
        while self.i < b.len() && (b[self.i].is_ascii_alphanumeric() || b[self.i] == b'.') {
            self.i += 1;
        }
        Err(format!("Token \"{}\" is invalid.", String::from_utf8_lossy(&b[start..self.i])))
    }
}

/// Checks that `s` is one JSON value; the error is a PostgreSQL-style DETAIL line.
pub fn validate(s: &str) -> Result<(), String> {
    let mut lexer = Lexer { b: s.as_bytes(), i: 0 };
    let mut stack: Vec<Token> = Vec::new();
    let mut expect = Expect::Value;
    let after_value = |stack: &[Token]| match stack.last() {
        Some(Token::ObjectStart) => Expect::CommaOrObjectEnd,
        Some(_) => Expect::CommaOrArrayEnd,
        None => Expect::Done,
    };
    while let Some(t) = lexer.next()? {
        expect = match (expect, t) {
            (Expect::ValueOrArrayEnd, Token::ArrayEnd)
            | (Expect::CommaOrArrayEnd, Token::ArrayEnd)
            | (Expect::KeyOrObjectEnd, Token::ObjectEnd)
            | (Expect::CommaOrObjectEnd, Token::ObjectEnd) => {
                stack.pop();
                after_value(&stack)
            }
            (Expect::Value | Expect::ValueOrArrayEnd, Token::ObjectStart) => {
                stack.push(Token::ObjectStart);
                Expect::KeyOrObjectEnd
            }
            (Expect::Value | Expect::ValueOrArrayEnd, Token::ArrayStart) => {
                stack.push(Token::ArrayStart);
                Expect::ValueOrArrayEnd
            }
            (Expect::Value | Expect::ValueOrArrayEnd, Token::String | Token::Scalar) => {
                after_value(&stack)
            }
            (Expect::KeyOrObjectEnd | Expect::Key, Token::String) => Expect::Colon,
            (Expect::Colon, Token::Colon) => Expect::Value,
            (Expect::CommaOrObjectEnd, Token::Comma) => Expect::Key,
            (Expect::CommaOrArrayEnd, Token::Comma) => Expect::Value,
            _ => return Err("Expected JSON value.".into()),
        };
    }
    if expect != Expect::Done {
        return Err("The input string ended unexpectedly.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_json_rejects_the_rest() {
        for ok in [
            "1",
            " -0.5e+3 ",
            "\"\\ud83d\"",
            "{}",
            "[]",
            "{\"a\": [1, {\"b\": null}], \"c\": true}",
            "[[[[[]]]]]",
            "\"\\u0000\"",
        ] {
            assert_eq!(validate(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\"}",
            "{\"a\":}",
            "01",
            "1.",
            ".5",
            "-",
            "nul",
            "[1 2]",
            "{1:2}",
            "\"a",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\t\"",
            "1 2",
            "+1",
            "NaN",
            "{\"a\":1,}",
            "]",
        ] {
            assert!(validate(bad).is_err(), "{bad}");
        }
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        assert_eq!(validate(&deep), Ok(()));
    }
}
