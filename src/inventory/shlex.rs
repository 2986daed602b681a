//! Word splitting of an INI host line exactly as Python's `shlex.split(line, comments=True)`
//! (POSIX mode), which Ansible uses: blanks separate words, `'…'` keeps everything, `"…"`
//! lets `\` escape only `"` and `\`, a bare `\` escapes any character, and a `#` that starts or
//! continues a word ends the line (`a=b#c` is `a=b`). Each word comes with the character offset
//! where it starts, for error positions.

/// Why a line could not be split.
#[derive(Debug, PartialEq)]
pub(crate) enum SplitError {
    /// A quote was opened and never closed.
    NoClosingQuotation,
    /// The line ends with a lone backslash.
    NoEscapedCharacter,
}

impl std::fmt::Display for SplitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SplitError::NoClosingQuotation => "no closing quotation",
            SplitError::NoEscapedCharacter => "no escaped character after '\\'",
        })
    }
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Blank,
    Word,
    Quote(char),
}

/// The words of `line` with the character offset each starts at.
pub(crate) fn split(line: &str) -> Result<Vec<(String, usize)>, SplitError> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut start = 0;
    let mut quoted = false;
    let mut state = State::Blank;
    let mut chars = line.chars().enumerate();
    while let Some((i, c)) = chars.next() {
        match state {
            State::Quote(q) if c == q => state = State::Word,
            State::Quote(q) if c == '\\' && q == '"' => {
                let (_, next) = chars.next().ok_or(SplitError::NoEscapedCharacter)?;
                if next != '"' && next != '\\' {
                    word.push('\\');
                }
                word.push(next);
            }
            State::Quote(_) => word.push(c),
            _ if matches!(c, ' ' | '\t' | '\r' | '\n') => {
                if state == State::Word && (!word.is_empty() || quoted) {
                    words.push((std::mem::take(&mut word), start));
                }
                quoted = false;
                state = State::Blank;
            }
            _ if c == '#' => break,
            _ => {
                if state == State::Blank {
                    start = i;
                    state = State::Word;
                }
                match c {
                    '\'' | '"' => {
                        quoted = true;
                        state = State::Quote(c);
                    }
                    '\\' => word.push(chars.next().ok_or(SplitError::NoEscapedCharacter)?.1),
                    _ => word.push(c),
                }
            }
        }
    }
    if matches!(state, State::Quote(_)) {
        return Err(SplitError::NoClosingQuotation);
    }
    if state == State::Word && (!word.is_empty() || quoted) {
        words.push((word, start));
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_python() {
        for (line, want) in [
            ("web1 a=1 b=2", Ok(vec!["web1", "a=1", "b=2"])),
            ("h a=\"[1, 2]\"", Ok(vec!["h", "a=[1, 2]"])),
            ("h a='it''s'", Ok(vec!["h", "a=its"])),
            ("h a=\"it's\"", Ok(vec!["h", "a=it's"])),
            ("h a=\"x\\$y\\\"z\\\\\"", Ok(vec!["h", "a=x\\$y\"z\\"])),
            ("h a='x\\y'", Ok(vec!["h", "a=x\\y"])),
            ("h a=\\$HOME", Ok(vec!["h", "a=$HOME"])),
            ("h a=b#c d=e", Ok(vec!["h", "a=b"])),
            ("h # comment", Ok(vec!["h"])),
            ("h a=\"#not\"", Ok(vec!["h", "a=#not"])),
            ("h ''", Ok(vec!["h", ""])),
            ("h\ta=1", Ok(vec!["h", "a=1"])),
            ("h a='open", Err(SplitError::NoClosingQuotation)),
            ("h a=\\", Err(SplitError::NoEscapedCharacter)),
        ] {
            let got = split(line).map(|w| w.into_iter().map(|(s, _)| s).collect::<Vec<_>>());
            let want = want.map(|w| w.into_iter().map(String::from).collect::<Vec<_>>());
            assert_eq!(got, want, "{line}");
        }
    }

    #[test]
    fn offsets() {
        let got: Vec<usize> = split("web1  a=1 'b'=2")
            .unwrap()
            .iter()
            .map(|w| w.1)
            .collect();
        assert_eq!(got, vec![0, 6, 10]);
    }
}
