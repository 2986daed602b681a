//! The `password` plugin: a random password kept in a file on the control node, so later
//! runs get the same one. `/dev/null` keeps nothing: every call gives a new password.
//!
//! The term is `path [length=N] [chars=spec,...] [seed=S]`; `chars` names Python's
//! `string` constants (`ascii_letters`, `digits`, `punctuation`, ...) or gives the characters
//! themselves, `,,` standing for a comma. `encrypt` is not supported.

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::Path;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value as Json;

use super::{text, Call, Fail, Found};
use crate::text::parse_free_form;
use crate::vars::Vars;

const PARAMS: &[&str] = &["length", "encrypt", "chars", "ident", "seed"];

/// `password`: each term's stored password, made and stored first if there is none.
pub(crate) fn password(call: &Call) -> Found {
    let mut found = Vec::new();
    for t in &call.terms {
        let (path, params) = parse_term(&text(t), &call.opts)?;
        if params.get("encrypt").is_some_and(|e| !e.is_null()) {
            return Err(Fail::Hard(
                "ferry's password lookup does not support 'encrypt'".into(),
            ));
        }
        let path = call.scope.base_dir().join(path);
        let stored = if path == Path::new("/dev/null") {
            None
        } else {
            read_stored(&path)
        };
        let password = match stored {
            Some(p) => p,
            None => {
                let p = generate(&params)?;
                if path != Path::new("/dev/null") {
                    store(&path, &p)?;
                }
                p
            }
        };
        found.push(Json::from(password));
    }
    Ok(found)
}

/// The term's path and its parameters (the keyword options, then the term's own).
fn parse_term(term: &str, opts: &Vars) -> Result<(String, Vars), Fail> {
    let (path, rest) = term.split_once(' ').unwrap_or((term, ""));
    let (own, raw) = parse_free_form(rest, None);
    let bad: Vec<&str> = own
        .keys()
        .map(String::as_str)
        .filter(|k| !PARAMS.contains(k))
        .collect();
    if !bad.is_empty() {
        return Err(Fail::Soft(format!(
            "Unrecognized parameter(s) given to password lookup: {}",
            bad.join(", ")
        )));
    }
    let path = if raw.is_empty() {
        path.to_string()
    } else {
        format!("{path} {raw}")
    };
    let mut params: Vars = opts
        .iter()
        // A `seed` keyword is ignored by Ansible: only the term's own seeds the generator.
        .filter(|(k, _)| PARAMS.contains(&k.as_str()) && *k != "seed")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    params.extend(own);
    Ok((path, params))
}

/// The password stored in `path` (without a ` salt=` or ` ident=` suffix).
fn read_stored(path: &Path) -> Option<String> {
    let content = std::fs::read_to_string(path).ok()?;
    let content = content.trim_end_matches(['\r', '\n']);
    let password = content.rfind(" salt=").map_or(content, |i| &content[..i]);
    Some(password.to_string())
}

/// Writes a new password to `path` (mode 0600, parent directories 0700).
fn store(path: &Path, password: &str) -> Result<(), Fail> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let fail = |e: std::io::Error| Fail::Soft(format!("{}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(fail)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(fail)?;
    writeln!(f, "{password}").map_err(fail)
}

/// A new password of `length` characters drawn from `chars`.
fn generate(params: &Vars) -> Result<String, Fail> {
    let length = match params.get("length") {
        None => 20,
        Some(v) => text(v).trim().parse::<usize>().map_err(|_| {
            Fail::Soft(format!(
                "invalid literal for int() with base 10: '{}'",
                text(v)
            ))
        })?,
    };
    let pool: Vec<char> = candidate_chars(params.get("chars"));
    if pool.is_empty() {
        return Err(Fail::Soft(
            "password lookup: no characters to choose from".into(),
        ));
    }
    let mut rng = match params.get("seed").filter(|s| !s.is_null()) {
        Some(seed) => {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            text(seed).hash(&mut h);
            StdRng::seed_from_u64(h.finish())
        }
        None => StdRng::from_os_rng(),
    };
    Ok((0..length)
        .map(|_| pool[rng.random_range(0..pool.len())])
        .collect())
}

/// The characters a `chars` spec allows (quotes never, as in Ansible).
fn candidate_chars(spec: Option<&Json>) -> Vec<char> {
    let specs: Vec<String> = match spec {
        None | Some(Json::Null) => vec!["ascii_letters".into(), "digits".into(), ".,:-_".into()],
        Some(Json::Array(items)) => items.iter().map(text).collect(),
        Some(v) => {
            let s = text(v);
            let mut parts: Vec<String> = Vec::new();
            if s.contains(",,") {
                parts.push(",".into());
            }
            parts.extend(
                s.replace(",,", ",")
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(String::from),
            );
            parts
        }
    };
    let chars: String = specs
        .iter()
        .map(|s| named_set(s).unwrap_or(s).to_string())
        .collect();
    chars.chars().filter(|c| *c != '"' && *c != '\'').collect()
}

/// Python's `string` constants.
fn named_set(name: &str) -> Option<&'static str> {
    const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
    const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const PUNCT: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    Some(match name {
        "ascii_letters" => "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "ascii_lowercase" => LOWER,
        "ascii_uppercase" => UPPER,
        "digits" => "0123456789",
        "hexdigits" => "0123456789abcdefABCDEF",
        "octdigits" => "01234567",
        "punctuation" => PUNCT,
        "printable" => "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \t\n\r\x0b\x0c",
        "whitespace" => " \t\n\r\x0b\x0c",
        _ => return None,
    })
}
