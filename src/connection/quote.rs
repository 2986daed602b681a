//! `quote`: the one POSIX-sh quoting function every remote command line is built with.
//!
//! It follows Python's `shlex.quote` (which Ansible uses), so a command ferry composes reads
//! the same as Ansible's. It does not split or parse command lines; that is `shlex`'s job.

/// Quotes `s` as one word for a POSIX shell.
///
/// A string made only of safe characters (ASCII letters, digits and `@%+=:,./-_`) is returned
/// as it is; anything else is wrapped in single quotes, with each `'` written as `'\''`. The
/// empty string becomes `''`.
pub fn quote(s: &str) -> String {
    if s.is_empty() {
        return "''".to_owned();
    }
    if s.bytes().all(is_safe) {
        return s.to_owned();
    }
    let mut quoted = String::with_capacity(s.len() + 2);
    quoted.push('\'');
    for c in s.chars() {
        if c == '\'' {
            quoted.push_str("'\\''");
        } else {
            quoted.push(c);
        }
    }
    quoted.push('\'');
    quoted
}

fn is_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"@%+=:,./-_".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quotes_like_shlex() {
        let cases = [
            ("", "''"),
            ("abc", "abc"),
            ("/usr/bin/env", "/usr/bin/env"),
            ("a=b,c:d@e%f+g-h_i.j", "a=b,c:d@e%f+g-h_i.j"),
            ("hello world", "'hello world'"),
            ("it's", "'it'\\''s'"),
            ("'", "''\\'''"),
            ("$HOME", "'$HOME'"),
            ("a;b", "'a;b'"),
            ("`id`", "'`id`'"),
            ("line\nbreak", "'line\nbreak'"),
            ("tab\there", "'tab\there'"),
            ("*", "'*'"),
            ("~", "'~'"),
            ("ünïcode", "'ünïcode'"),
            ("\"x\"", "'\"x\"'"),
            ("back\\slash", "'back\\slash'"),
        ];
        for (input, expected) in cases {
            assert_eq!(quote(input), expected, "quote({input:?})");
        }
    }

    #[test]
    fn quoted_words_survive_sh() {
        let words = ["", "a b", "it's", "$(id)", "\\n", "'\"'", "x\ny", "ü"];
        for word in words {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("printf %s {}", quote(word)))
                .output()
                .expect("sh runs");
            assert_eq!(String::from_utf8_lossy(&out.stdout), word, "word {word:?}");
        }
    }
}
