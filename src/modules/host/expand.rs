//! Python's `os.path.expanduser(os.path.expandvars(value))` on the host, as Ansible's modules
//! apply it to their `path`-type arguments and `command` to its arguments: `$NAME` and
//! `${NAME}` are taken from the environment the module runs in (the task's `environment`
//! included), a name not set there stays as written, and then `~` or `~user` at the start is
//! that home (`home.rs`).
//!
//! The values are read from the host in one command, and only when an argument holds a `$`
//! or starts with `~`: any other task makes no round trip.

use std::collections::HashMap;

use crate::modules::host::{self, home};
use crate::modules::{ModuleCtx, ModuleResult, ModuleSpec};
use crate::vars::Vars;
use serde_json::Value as Json;

/// Whether `text` would change under the expansion (it names a variable or starts with `~`).
pub(crate) fn wants(text: &str) -> bool {
    text.contains('$') || text.starts_with('~')
}

/// Each of `values` expanded as Python's `expanduser(expandvars(value))` would on the host.
pub(crate) async fn expand(
    ctx: &ModuleCtx<'_>,
    values: &mut [&mut String],
) -> Result<(), ModuleResult> {
    let mut names: Vec<&str> = Vec::new();
    for v in values.iter() {
        for (_, _, name) in references(v) {
            if is_shell_name(name) && !names.contains(&name) {
                names.push(name);
            }
        }
    }
    if !names.is_empty() {
        let env = read_env(ctx, &names).await?;
        for v in values.iter_mut() {
            **v = expandvars(v, &env);
        }
    }
    for v in values.iter_mut() {
        if v.starts_with('~') {
            **v = home::expand_user(ctx, v).await?;
        }
    }
    Ok(())
}

/// The module's `path`-type arguments in `args` expanded as its Python would expand them.
/// The arguments its action plugin expands first (`ModuleSpec::action_paths`: copy's and
/// template's `dest`) have their `~` expanded without the task's environment, as the action
/// plugin expands it, before the rest.
pub(crate) async fn expand_path_args(
    ctx: &ModuleCtx<'_>,
    spec: &ModuleSpec,
    args: &mut Vars,
) -> Result<(), ModuleResult> {
    for name in spec.action_paths {
        if let Some(Json::String(v)) = args.get_mut(*name) {
            if v.starts_with('~') {
                *v = home::action_expand_user(ctx, v).await?;
            }
        }
    }
    let mut values: Vec<&mut String> = Vec::new();
    for (key, value) in args.iter_mut() {
        if !spec.path_args.contains(&key.as_str()) {
            continue;
        }
        match value {
            Json::String(s) if wants(s) => values.push(s),
            Json::Array(items) => values.extend(items.iter_mut().filter_map(|i| match i {
                Json::String(s) if wants(s) => Some(s),
                _ => None,
            })),
            _ => {}
        }
    }
    if values.is_empty() {
        return Ok(());
    }
    expand(ctx, &mut values).await
}

/// The values of `names` in the module's environment on the host; a name not set is absent.
async fn read_env(
    ctx: &ModuleCtx<'_>,
    names: &[&str],
) -> Result<HashMap<String, String>, ModuleResult> {
    // Each name is a plain shell name (checked), so `${NAME+x}` and "$NAME" are safe to write.
    let script: Vec<String> = names
        .iter()
        .map(|n| {
            format!(
                "if [ -n \"${{{n}+x}}\" ]; then printf '1%s\\0' \"${n}\"; else printf '0\\0'; fi"
            )
        })
        .collect();
    let out = host::run(ctx, &format!("{}; true", script.join("; "))).await?;
    let mut env = HashMap::new();
    for (name, field) in names.iter().zip(out.split('\0')) {
        if let Some(value) = field.strip_prefix('1') {
            env.insert((*name).to_string(), value.to_string());
        }
    }
    Ok(env)
}

/// Python's `posixpath.expandvars` with `env`: each `$name` (ASCII word characters) or
/// `${anything}` that names a set variable replaced by its value, read left to right; the
/// rest, and a replaced value, as written.
pub(crate) fn expandvars(text: &str, env: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end, name) in references(text) {
        if let Some(value) = env.get(name) {
            out.push_str(&text[last..start]);
            out.push_str(value);
            last = end;
        }
    }
    out.push_str(&text[last..]);
    out
}

/// The variable references in `text` as Python's `expandvars` finds them (the pattern
/// `\$(\w+|\{[^}]*\})`, ASCII): the span of each and the name it gives.
fn references(text: &str) -> Vec<(usize, usize, &str)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        let rest = &text[i + 1..];
        let word = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        if word > 0 {
            found.push((i, i + 1 + word, &rest[..word]));
            i += 1 + word;
        } else if let Some(close) = rest.strip_prefix('{').and_then(|r| r.find('}')) {
            found.push((i, i + close + 3, &rest[1..close + 1]));
            i += close + 3;
        } else {
            i += 1;
        }
    }
    found
}

/// A name the shell can hold as a variable (others are never set in a module's environment
/// as ferry reads it).
fn is_shell_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> HashMap<String, String> {
        [
            ("HOME", "/home/ann"),
            ("A", "$B"),
            ("B", "b"),
            ("EMPTY", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn expands_as_pythons_expandvars() {
        for (text, want) in [
            ("$HOME/x", "/home/ann/x"),
            ("${HOME}/x", "/home/ann/x"),
            ("a$HOME", "a/home/ann"),
            ("$HOMEx", "$HOMEx"),
            ("$NOPE/x", "$NOPE/x"),
            ("${NOPE}", "${NOPE}"),
            ("$A", "$B"),
            ("$$HOME", "$/home/ann"),
            ("${HOME", "${HOME"),
            ("${}", "${}"),
            ("$", "$"),
            ("$-x", "$-x"),
            ("x$EMPTY.y", "x.y"),
            ("~/$B", "~/b"),
            ("$é$B", "$éb"),
            ("${HO ME}$B", "${HO ME}b"),
        ] {
            assert_eq!(expandvars(text, &env()), want, "{text}");
        }
    }

    #[test]
    fn names_only_shell_variables() {
        assert!(is_shell_name("HOME") && is_shell_name("_x1"));
        assert!(!is_shell_name("1x") && !is_shell_name("") && !is_shell_name("a-b"));
    }
}
