//! Python literals read back, as Ansible's templar reads a rendered value that looks like a
//! list, a dict or a boolean (`ast.literal_eval`): `[1, 'a']`, `{'k': None}`, `(1, 2)`,
//! `True`. Anything else (or anything malformed) is not a literal, and stays text.

use serde_json::{Map, Number, Value as Json};

/// The value of `text` as a Python literal, if it is exactly one.
pub(crate) fn parse(text: &str) -> Option<Json> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
        text,
    };
    let v = p.value()?;
    p.ws();
    (p.i == p.s.len()).then_some(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    text: &'a str,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Option<Json> {
        match self.peek()? {
            b'[' => self.seq(b']').map(Json::Array),
            b'(' => self.seq(b')').map(Json::Array),
            b'{' => self.map(),
            b'\'' | b'"' => self.string().map(Json::String),
            b'-' | b'+' | b'0'..=b'9' | b'.' => self.number(),
            _ => self.word(),
        }
    }

    /// Items up to `close`; a trailing comma is allowed.
    fn seq(&mut self, close: u8) -> Option<Vec<Json>> {
        self.i += 1;
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Some(items);
            }
            items.push(self.value()?);
            if !self.eat(b',') {
                return self.eat(close).then_some(items);
            }
        }
    }

    fn map(&mut self) -> Option<Json> {
        self.i += 1;
        let mut out = Map::new();
        loop {
            if self.eat(b'}') {
                return Some(Json::Object(out));
            }
            let key = match self.value()? {
                Json::String(s) => s,
                Json::Null => "None".to_string(),
                Json::Bool(b) => if b { "True" } else { "False" }.to_string(),
                Json::Number(n) => n.to_string(),
                // A list cannot be a key; a set literal is not taken either.
                _ => return None,
            };
            if !self.eat(b':') {
                return None;
            }
            out.insert(key, self.value()?);
            if !self.eat(b',') {
                return self.eat(b'}').then_some(Json::Object(out));
            }
        }
    }

    fn word(&mut self) -> Option<Json> {
        let rest = &self.text[self.i..];
        // JSON's names too, as Ansible reads them.
        for (word, value) in [
            ("True", Json::Bool(true)),
            ("False", Json::Bool(false)),
            ("None", Json::Null),
            ("true", Json::Bool(true)),
            ("false", Json::Bool(false)),
            ("null", Json::Null),
        ] {
            let after = rest.as_bytes().get(word.len());
            if rest.starts_with(word)
                && !after.is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
            {
                self.i += word.len();
                return Some(value);
            }
        }
        None
    }

    fn number(&mut self) -> Option<Json> {
        let start = self.i;
        while self.i < self.s.len()
            && matches!(
                self.s[self.i],
                b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-' | b'_'
            )
        {
            self.i += 1;
        }
        let text = self.text[start..self.i].replace('_', "");
        if let Ok(n) = text.parse::<i64>() {
            return Some(Json::Number(n.into()));
        }
        let f: f64 = text.parse().ok()?;
        Number::from_f64(f).map(Json::Number)
    }

    /// A quoted string with Python's escapes (and an `r`, `b` or `u` prefix not taken).
    fn string(&mut self) -> Option<String> {
        let quote = self.s[self.i];
        self.i += 1;
        let mut out = String::new();
        let mut chars = self.text[self.i..].char_indices();
        while let Some((at, c)) = chars.next() {
            match c {
                c if c as u32 == quote as u32 => {
                    self.i += at + 1;
                    return Some(out);
                }
                '\n' => return None,
                '\\' => {
                    let (_, e) = chars.next()?;
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        '0' => out.push('\0'),
                        '\\' | '\'' | '"' => out.push(e),
                        'x' | 'u' | 'U' => {
                            let len = match e {
                                'x' => 2,
                                'u' => 4,
                                _ => 8,
                            };
                            let hex: String =
                                (0..len).filter_map(|_| chars.next()).map(|x| x.1).collect();
                            out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                        }
                        '\n' => {}
                        other => {
                            out.push('\\');
                            out.push(other);
                        }
                    }
                }
                c => out.push(c),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python_literals_read_as_values() {
        for (text, want) in [
            ("[1, 2]", json!([1, 2])),
            (
                "{'a': 1, \"b\": [True, None, 2.5]}",
                json!({"a": 1, "b": [true, null, 2.5]}),
            ),
            ("(1, 'x',)", json!([1, "x"])),
            ("True", json!(true)),
            (
                "[-3, 1e3, 'it\\'s', \"a\\nb\"]",
                json!([-3, 1000.0, "it's", "a\nb"]),
            ),
            ("{1: 'one'}", json!({"1": "one"})),
            ("[]", json!([])),
            ("{\"a\": true, \"b\": null}", json!({"a": true, "b": null})),
        ] {
            assert_eq!(parse(text), Some(want), "{text}");
        }
    }

    #[test]
    fn anything_else_is_not_a_literal() {
        for text in ["[1, 2", "{'a' 1}", "[x]", "Truely", "[1] x", "{[1]: 2}"] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
