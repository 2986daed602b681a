//! The `env` fact: the host shell's exported variables, as `export -p` prints them (a
//! builtin, so no `env` process is started). bash prints `declare -x NAME="value"` (or
//! `$'...'` for control characters), dash and bash in POSIX mode `export NAME='value'`;
//! this file reads both back into plain values.

use serde_json::{Map, Value as Json};

use crate::facts::system::NONE;
use crate::facts::{s, Collector};

pub(crate) static ENV: Collector = Collector {
    name: "env",
    parts: &["env"],
    parse: |out, f| {
        let env: Map<String, Json> = exports(out.section("env"))
            .into_iter()
            .map(|(k, v)| (k, s(v)))
            .collect();
        f.insert("env".into(), Json::Object(env));
    },
    ..NONE
};

/// `export -p`'s output as (name, value), variables exported without a value left out.
fn exports(text: &str) -> Vec<(String, String)> {
    let mut vars = Vec::new();
    let mut rest = text.as_bytes();
    loop {
        rest = trim_start(rest);
        let Some(after) = strip(rest, b"declare -x ").or_else(|| strip(rest, b"export ")) else {
            return vars;
        };
        let end = after
            .iter()
            .position(|b| matches!(b, b'=' | b' ' | b'\n'))
            .unwrap_or(after.len());
        let name = String::from_utf8_lossy(&after[..end]).into_owned();
        rest = &after[end..];
        if let Some(word) = rest.strip_prefix(b"=") {
            let (value, left) = unquote(word);
            vars.push((name, String::from_utf8_lossy(&value).into_owned()));
            rest = left;
        }
    }
}

fn trim_start(text: &[u8]) -> &[u8] {
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    &text[start..]
}

fn strip<'a>(text: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    text.strip_prefix(prefix)
}

/// One shell word (`'...'`, `"..."`, `$'...'` and plain parts, up to a blank): its value and
/// what follows it.
fn unquote(mut text: &[u8]) -> (Vec<u8>, &[u8]) {
    let mut value = Vec::new();
    while let Some(&c) = text.first() {
        match c {
            b' ' | b'\n' | b'\t' => break,
            b'\'' => text = until(&text[1..], b'\'', &mut value, |_, _| 0),
            b'"' => text = until(&text[1..], b'"', &mut value, double),
            b'$' if text.get(1) == Some(&b'\'') => {
                text = until(&text[2..], b'\'', &mut value, ansi_c);
            }
            b'\\' if text.len() > 1 => {
                value.push(text[1]);
                text = &text[2..];
            }
            _ => {
                value.push(c);
                text = &text[1..];
            }
        }
    }
    (value, text)
}

/// Copies `text` into `value` up to the closing `close`; `escape` reads a backslash
/// sequence (given the bytes after the backslash) and says how many it used (0: none, the
/// backslash is kept).
fn until<'a>(
    mut text: &'a [u8],
    close: u8,
    value: &mut Vec<u8>,
    escape: fn(&[u8], &mut Vec<u8>) -> usize,
) -> &'a [u8] {
    while let Some(&c) = text.first() {
        text = &text[1..];
        if c == close {
            break;
        }
        let used = if c == b'\\' { escape(text, value) } else { 0 };
        if used == 0 {
            value.push(c);
        }
        text = &text[used..];
    }
    text
}

/// `"..."`: a backslash quotes only `$`, `` ` ``, `"`, `\` and a newline.
fn double(after: &[u8], value: &mut Vec<u8>) -> usize {
    match after.first() {
        Some(b'\n') => 1,
        Some(&c @ (b'$' | b'`' | b'"' | b'\\')) => {
            value.push(c);
            1
        }
        _ => 0,
    }
}

/// `$'...'`: C escapes, octal `\NNN` and hex `\xHH`.
fn ansi_c(after: &[u8], value: &mut Vec<u8>) -> usize {
    let Some(&c) = after.first() else { return 0 };
    let simple = match c {
        b'a' => Some(7),
        b'b' => Some(8),
        b'e' | b'E' => Some(27),
        b'f' => Some(12),
        b'n' => Some(b'\n'),
        b'r' => Some(b'\r'),
        b't' => Some(b'\t'),
        b'v' => Some(11),
        b'\\' | b'\'' | b'"' | b'?' => Some(c),
        _ => None,
    };
    if let Some(b) = simple {
        value.push(b);
        return 1;
    }
    let (radix, skip, max) = match c {
        b'0'..=b'7' => (8, 0, 3),
        b'x' => (16, 1, 2),
        _ => return 0,
    };
    let digits = after[skip..]
        .iter()
        .take(max)
        .take_while(|b| (**b as char).is_digit(radix))
        .count();
    let text = std::str::from_utf8(&after[skip..skip + digits]).unwrap_or("");
    match u32::from_str_radix(text, radix) {
        Ok(n) => {
            value.push(n as u8);
            skip + digits
        }
        Err(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::exports;

    #[test]
    fn bash_and_dash_exports_read_back() {
        // What bash and dash print for A='x"y$z`w\v', B=$'line1\nline2', D="it's", E=.
        let bash = "declare -x A=\"x\\\"y\\$z\\`w\\\\v\"\ndeclare -x B=$'line1\\nline2'\n\
                    declare -x D=\"it's\"\ndeclare -x E=\"\"\ndeclare -x OLDPWD\n\
                    declare -x T=$'tab\\there\\033\\x41'\n";
        let dash = "export A='x\"y$z`w\\v'\nexport B='line1\nline2'\nexport D='it'\"'\"'s'\n\
                    export E=''\nexport OLDPWD\nexport T='tab\there\x1bA'\n";
        for text in [bash, dash] {
            let vars = exports(text);
            let want = [
                ("A", "x\"y$z`w\\v"),
                ("B", "line1\nline2"),
                ("D", "it's"),
                ("E", ""),
                ("T", "tab\there\x1bA"),
            ];
            let got: Vec<(&str, &str)> =
                vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            assert_eq!(got, want, "{text}");
        }
    }
}
