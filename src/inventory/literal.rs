//! Python literals, as Ansible's INI plugin reads values with `ast.literal_eval`: ints (`0x1f`,
//! `1_000`; `0755` is not one), floats, `True`/`False`/`None`, quoted strings (escapes, raw
//! `r''`, bytes `b''` as text, adjacent strings joined), lists, tuples, sets (and `set()`),
//! dicts, a bare `a, b` tuple, and a trailing `# comment`. Anything else is not a literal and the caller keeps the plain text.
//! Tuples and sets become JSON arrays; dict keys become strings as Python prints them.

use serde_json::Value as Json;

/// The value of `text` as a Python literal, or `None` when it is not one.
pub(crate) fn parse(text: &str) -> Option<Json> {
    let mut p = Parser {
        s: text.chars().collect(),
        i: 0,
    };
    let first = p.expr()?;
    p.ws();
    let v = if p.eat(',') {
        let mut items = vec![first];
        p.ws();
        while !p.at_end() {
            items.push(p.expr()?);
            p.ws();
            if !p.eat(',') {
                break;
            }
            p.ws();
        }
        Json::Array(items)
    } else {
        first
    };
    p.ws();
    p.at_end().then_some(v)
}

struct Parser {
    s: Vec<char>,
    i: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }

    fn eat(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(c);
        self.i += usize::from(hit);
        hit
    }

    /// Skips blanks; a `#` outside a string comments out the rest.
    fn ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r' | '\x0c')) {
            self.i += 1;
        }
        if self.peek() == Some('#') {
            self.i = self.s.len();
        }
    }

    fn expr(&mut self) -> Option<Json> {
        self.ws();
        match self.peek()? {
            '[' => {
                self.i += 1;
                self.items(']').map(Json::Array)
            }
            '(' => self.paren(),
            '{' => self.brace(),
            '\'' | '"' => self.strings(false),
            '+' | '-' => {
                let neg = self.peek() == Some('-');
                self.i += 1;
                self.ws();
                let n = self.number()?;
                if !neg {
                    return Some(n);
                }
                match n.as_i64() {
                    Some(i) => Some(Json::from(-i)),
                    None => serde_json::Number::from_f64(-n.as_f64()?).map(Json::Number),
                }
            }
            c if c.is_ascii_digit() || c == '.' => self.number(),
            c if c.is_alphabetic() || c == '_' => self.word(),
            _ => None,
        }
    }

    /// Comma-separated expressions up to `close` (a trailing comma is allowed).
    fn items(&mut self, close: char) -> Option<Vec<Json>> {
        let mut out = Vec::new();
        loop {
            self.ws();
            if self.eat(close) {
                return Some(out);
            }
            out.push(self.expr()?);
            self.ws();
            if !self.eat(',') {
                self.ws();
                return self.eat(close).then_some(out);
            }
        }
    }

    /// `(x)` is x; `()`, `(x,)` and `(x, y)` are tuples.
    fn paren(&mut self) -> Option<Json> {
        self.i += 1;
        self.ws();
        if self.eat(')') {
            return Some(Json::Array(Vec::new()));
        }
        let first = self.expr()?;
        self.ws();
        if self.eat(')') {
            return Some(first);
        }
        if !self.eat(',') {
            return None;
        }
        let mut rest = self.items(')')?;
        rest.insert(0, first);
        Some(Json::Array(rest))
    }

    /// `{}` and `{k: v, ...}` are dicts; `{a, b}` is a set.
    fn brace(&mut self) -> Option<Json> {
        self.i += 1;
        self.ws();
        if self.eat('}') {
            return Some(Json::Object(Default::default()));
        }
        let first = self.expr()?;
        self.ws();
        if !self.eat(':') {
            let mut rest = if self.eat(',') {
                self.items('}')?
            } else if self.eat('}') {
                Vec::new()
            } else {
                return None;
            };
            rest.insert(0, first);
            return Some(Json::Array(rest));
        }
        let mut map = serde_json::Map::new();
        let mut key = first;
        loop {
            let value = self.expr()?;
            map.insert(key_text(&key)?, value);
            self.ws();
            let more = self.eat(',');
            self.ws();
            if self.eat('}') {
                return Some(Json::Object(map));
            }
            if !more {
                return None;
            }
            key = self.expr()?;
            self.ws();
            if !self.eat(':') {
                return None;
            }
        }
    }

    /// `True`, `False`, `None`, or a string prefix (`r`, `u`); other names are not literals.
    fn word(&mut self) -> Option<Json> {
        let start = self.i;
        while matches!(self.peek(), Some(c) if c.is_alphanumeric() || c == '_') {
            self.i += 1;
        }
        let w: String = self.s[start..self.i].iter().collect();
        match w.as_str() {
            "True" => Some(Json::Bool(true)),
            "False" => Some(Json::Bool(false)),
            "None" => Some(Json::Null),
            "set" if self.s.get(self.i..self.i + 2) == Some(&['(', ')'][..]) => {
                self.i += 2;
                Some(Json::Array(Vec::new()))
            }
            _ if !matches!(self.peek(), Some('\'' | '"')) => None,
            // Bytes (`b''`) become text, as Ansible's to_text makes them.
            "r" | "R" | "rb" | "rB" | "Rb" | "RB" | "br" | "bR" | "Br" | "BR" => self.strings(true),
            "u" | "U" | "b" | "B" => self.strings(false),
            _ => None,
        }
    }

    /// One or more adjacent string literals, joined.
    fn strings(&mut self, raw: bool) -> Option<Json> {
        let mut out = self.string(raw)?;
        loop {
            self.ws();
            let save = self.i;
            let raw = match self.peek() {
                Some('\'' | '"') => false,
                Some('r' | 'R') => {
                    self.i += 1;
                    true
                }
                Some('u' | 'U') => {
                    self.i += 1;
                    false
                }
                _ => break,
            };
            match self.peek() {
                Some('\'' | '"') => out.push_str(&self.string(raw)?),
                _ => {
                    self.i = save;
                    break;
                }
            }
        }
        Some(Json::String(out))
    }

    fn string(&mut self, raw: bool) -> Option<String> {
        let q = self.peek()?;
        let triple = self.s.get(self.i..self.i + 3) == Some(&[q, q, q][..]);
        self.i += if triple { 3 } else { 1 };
        let mut out = String::new();
        loop {
            let c = self.peek()?;
            if c == q && (!triple || self.s.get(self.i..self.i + 3) == Some(&[q, q, q][..])) {
                self.i += if triple { 3 } else { 1 };
                return Some(out);
            }
            if c == '\n' && !triple {
                return None;
            }
            self.i += 1;
            if c != '\\' {
                out.push(c);
            } else if raw {
                out.push('\\');
                out.push(self.peek()?);
                self.i += 1;
            } else {
                self.escape(&mut out)?;
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Option<()> {
        let c = self.peek()?;
        self.i += 1;
        let simple = match c {
            '\n' => return Some(()),
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            'a' => '\x07',
            'b' => '\x08',
            'f' => '\x0c',
            'v' => '\x0b',
            '\\' | '\'' | '"' => c,
            'x' => return self.hex(2, out),
            'u' => return self.hex(4, out),
            'U' => return self.hex(8, out),
            '0'..='7' => {
                let mut v = c.to_digit(8)?;
                for _ in 0..2 {
                    match self.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            self.i += 1;
                        }
                        None => break,
                    }
                }
                char::from_u32(v)?
            }
            // Python keeps an unknown escape as written.
            other => {
                out.push('\\');
                other
            }
        };
        out.push(simple);
        Some(())
    }

    fn hex(&mut self, n: usize, out: &mut String) -> Option<()> {
        let digits: String = self.s.get(self.i..self.i + n)?.iter().collect();
        self.i += n;
        out.push(char::from_u32(u32::from_str_radix(&digits, 16).ok()?)?);
        Some(())
    }

    fn number(&mut self) -> Option<Json> {
        let start = self.i;
        while let Some(c) = self.peek() {
            let exp_sign = matches!(c, '+' | '-')
                && matches!(self.s.get(self.i - 1), Some('e' | 'E'))
                && !self.s[start..].starts_with(&['0', 'x'])
                && !self.s[start..].starts_with(&['0', 'X']);
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' || exp_sign {
                self.i += 1;
            } else {
                break;
            }
        }
        let tok: String = self.s[start..self.i].iter().collect();
        number(&tok)
    }
}

/// A Python numeric literal token (no sign) as JSON.
fn number(tok: &str) -> Option<Json> {
    let lower = tok.to_ascii_lowercase();
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(body) = lower.strip_prefix(prefix) {
            let body = body.strip_prefix('_').unwrap_or(body);
            return Some(Json::from(i64::from_str_radix(&digits(body)?, radix).ok()?));
        }
    }
    if lower.contains(['.', 'e']) {
        let (mant, exp) = match lower.split_once('e') {
            Some((m, e)) => (m, Some(e)),
            None => (lower.as_str(), None),
        };
        let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
        let ok = |s: &str| s.is_empty() || digits(s).is_some();
        let exp_ok = exp.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)).is_some());
        if !ok(int) || !ok(frac) || (int.is_empty() && frac.is_empty()) || !exp_ok {
            return None;
        }
        let f: f64 = lower.replace('_', "").parse().ok()?;
        return serde_json::Number::from_f64(f).map(Json::Number);
    }
    let d = digits(&lower)?;
    if d.len() > 1 && d.starts_with('0') && d.chars().any(|c| c != '0') {
        return None;
    }
    match d.parse::<i64>() {
        Ok(i) => Some(Json::from(i)),
        Err(_) => d.parse::<u64>().ok().map(Json::from),
    }
}

/// Digits with single underscores between them, underscores removed.
fn digits(s: &str) -> Option<String> {
    let ok = !s.is_empty()
        && !s.starts_with('_')
        && !s.ends_with('_')
        && !s.contains("__")
        && s.chars().all(|c| c.is_ascii_hexdigit() || c == '_');
    ok.then(|| s.replace('_', ""))
}

/// A dict key as Python prints it; unhashable keys are not literals.
fn key_text(k: &Json) -> Option<String> {
    match k {
        Json::String(s) => Some(s.clone()),
        Json::Bool(true) => Some("True".into()),
        Json::Bool(false) => Some("False".into()),
        Json::Null => Some("None".into()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_literals() {
        for (text, want) in [
            ("5", Some("5")),
            ("-5", Some("-5")),
            ("+5", Some("5")),
            ("1_000", Some("1000")),
            ("0x1F", Some("31")),
            ("0o17", Some("15")),
            ("0b101", Some("5")),
            ("0", Some("0")),
            ("00", Some("0")),
            ("0755", None),
            ("1.5", Some("1.5")),
            (".5", Some("0.5")),
            ("1e3", Some("1000.0")),
            ("-2.5e-1", Some("-0.25")),
            ("1.2.3", None),
            ("1j", None),
            ("True", Some("true")),
            ("False", Some("false")),
            ("None", Some("null")),
            ("yes", None),
            ("true", None),
            ("'quoted'", Some("\"quoted\"")),
            ("\"it's\"", Some("\"it's\"")),
            ("'a' 'b'", Some("\"ab\"")),
            ("'tab\\there'", Some("\"tab\\there\"")),
            ("r'a\\d'", Some("\"a\\\\d\"")),
            ("'\\x41\\u00e9'", Some("\"Aé\"")),
            ("'''tri'ple'''", Some("\"tri'ple\"")),
            ("'open", None),
            ("[1, 'a', True]", Some("[1,\"a\",true]")),
            ("[1, 2,]", Some("[1,2]")),
            ("[]", Some("[]")),
            ("(1, 2)", Some("[1,2]")),
            ("(1)", Some("1")),
            ("()", Some("[]")),
            ("80,443", Some("[80,443]")),
            ("1,", Some("[1]")),
            ("{'a': 1, 2: [None]}", Some("{\"a\":1,\"2\":[null]}")),
            ("{}", Some("{}")),
            ("{1, 2}", Some("[1,2]")),
            ("{'a': 1,}", Some("{\"a\":1}")),
            ("1 # comment", Some("1")),
            ("  7", Some("7")),
            ("", None),
            ("/path/x", None),
            ("foo bar", None),
            ("--1", None),
            ("set()", Some("[]")),
            ("set(1)", None),
            ("b'x'", Some("\"x\"")),
            ("rb'\\d'", Some("\"\\\\d\"")),
            ("[1, 2", None),
            ("{'a' 1}", None),
        ] {
            let got = parse(text).map(|v| v.to_string());
            assert_eq!(got.as_deref(), want, "{text}");
        }
    }
}
