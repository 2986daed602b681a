//! The plugins that read control-node files: `file`, `fileglob`, `first_found`, `template`,
//! `unvault` (`file` and `unvault` decrypt vaulted files).
//! Relative names are searched as `Scope::find` says.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use super::scope::templar;
use super::{text, Call, Fail, Found};

/// `file`: each file's content, stripped at the end (`rstrip`, default) and start (`lstrip`).
pub(crate) fn file(call: &Call) -> Found {
    let lstrip = call.opt_bool("lstrip", false);
    let rstrip = call.opt_bool("rstrip", true);
    let mut found = Vec::new();
    for term in &call.terms {
        let name = text(term);
        let Some(path) = call.scope.find("files", &name) else {
            return Err(Fail::Soft(format!(
                "The 'file' lookup had an issue accessing the file '{name}'. file not found, use -vvvvv to see paths searched"
            )));
        };
        let content = std::fs::read_to_string(&path).map_err(|e| {
            Fail::Soft(format!(
                "The 'file' lookup had an issue accessing the file '{name}'. an error occurred while trying to read the file '{}': {e}",
                path.display()
            ))
        })?;
        // A vaulted file is decrypted, as Ansible's file lookup does.
        let content = match crate::vault::open_text(content, &path.display().to_string()) {
            Ok(text) => text,
            Err(e) => {
                return Err(Fail::Soft(format!(
                    "The 'file' lookup had an issue accessing the file '{name}': {e}"
                )))
            }
        };
        let mut s = content.as_str();
        if rstrip {
            s = s.trim_end();
        }
        if lstrip {
            s = s.trim_start();
        }
        found.push(Json::from(s));
    }
    Ok(found)
}

/// `unvault`: each file's content, decrypted when it is a vaulted file, as it is (no strip).
pub(crate) fn unvault(call: &Call) -> Found {
    let mut found = Vec::new();
    for term in &call.terms {
        let name = text(term);
        let fail = |why: String| Fail::Soft(format!("Unable to find or read '{name}': {why}"));
        let path = call
            .scope
            .find("files", &name)
            .ok_or_else(|| fail("file not found".into()))?;
        let content = std::fs::read_to_string(&path).map_err(|e| fail(e.to_string()))?;
        let content = crate::vault::open_text(content, &path.display().to_string())
            .map_err(|e| fail(e.to_string()))?;
        found.push(Json::from(content));
    }
    Ok(found)
}

/// `fileglob`: the files (not directories) matching each pattern. A pattern with a directory
/// has the directory searched for; a bare one is matched in every search directory, the
/// first that has matches winning.
pub(crate) fn fileglob(call: &Call) -> Found {
    let mut found: Vec<Json> = Vec::new();
    for term in &call.terms {
        let pattern = text(term);
        let (dir, name) = match pattern.rsplit_once('/') {
            Some((d, n)) => (Some(if d.is_empty() { "/" } else { d }), n),
            None => (None, pattern.as_str()),
        };
        let dirs = match dir {
            Some(d) => call.scope.find("files", d).into_iter().collect(),
            None => call.scope.search_dirs("files"),
        };
        let hits = dirs
            .iter()
            .map(|d| glob_in(d, name))
            .find(|h| !h.is_empty());
        found.extend(
            hits.into_iter()
                .flatten()
                .map(|p| Json::from(p.display().to_string())),
        );
    }
    Ok(found)
}

/// The regular files of `dir` whose names match the shell pattern `name`, sorted.
fn glob_in(dir: &Path, name: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut hits: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            (!n.starts_with('.') || name.starts_with('.'))
                && glob_match(name.as_bytes(), n.as_bytes())
        })
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    hits.sort();
    hits
}

/// Shell-style matching: `*`, `?`, `[abc]`, `[!a-z]`.
pub(crate) fn glob_match(pat: &[u8], name: &[u8]) -> bool {
    match pat.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|i| glob_match(rest, &name[i..])),
        Some((b'?', rest)) => !name.is_empty() && glob_match(rest, &name[1..]),
        Some((b'[', rest)) => {
            match (class_match(rest, name.first().copied()), name.split_first()) {
                (Some((true, after)), Some((_, tail))) => glob_match(after, tail),
                (Some(_), _) => false,
                (None, Some((b'[', tail))) => glob_match(rest, tail),
                (None, _) => false,
            }
        }
        Some((c, rest)) => name.first() == Some(c) && glob_match(rest, &name[1..]),
    }
}

/// Whether `c` is in the class that starts `pat` (after its `[`), and the pattern after the
/// class; `None` when the class is not closed.
fn class_match(pat: &[u8], c: Option<u8>) -> Option<(bool, &[u8])> {
    let (negate, body) = match pat.first() {
        Some(b'!' | b'^') => (true, &pat[1..]),
        _ => (false, pat),
    };
    let end = body.iter().skip(1).position(|&b| b == b']')? + 1;
    let set = &body[..end];
    let c = c?;
    let mut hit = false;
    let mut i = 0;
    while i < set.len() {
        if i + 2 < set.len() && set[i + 1] == b'-' {
            hit |= set[i] <= c && c <= set[i + 2];
            i += 3;
        } else {
            hit |= set[i] == c;
            i += 1;
        }
    }
    Some((hit != negate, &body[end + 1..]))
}

/// `first_found`: the first of the candidate files that exists (a list with its path), or
/// nothing with `skip`. Terms are names, lists of names, or `{files, paths, skip}` dicts;
/// names split at `,` and `;`, paths at `,`, `:` and `;`.
pub(crate) fn first_found(call: &Call) -> Found {
    let mut skip = call.opt_bool("skip", false);
    let mut candidates = Vec::new();
    if call.terms.is_empty() {
        let files = call.opts.get("files").cloned().unwrap_or(Json::Null);
        let paths = call.opts.get("paths").cloned().unwrap_or(Json::Null);
        candidates = combine(&files, &paths);
    } else {
        let paths = call.opts.get("paths").cloned().unwrap_or(Json::Null);
        collect_candidates(&call.terms, &paths, &mut candidates, &mut skip)?;
    }
    let subdir = call.opt_str("_subdir").unwrap_or_else(|| "files".into());
    for name in candidates {
        if let Some(p) = call.scope.find(&subdir, &name) {
            return Ok(vec![Json::from(p.display().to_string())]);
        }
    }
    if skip {
        return Ok(Vec::new());
    }
    Err(Fail::Soft(
        "No file was found when using first_found.".into(),
    ))
}

/// The candidate paths of `first_found`'s terms, in order.
fn collect_candidates(
    terms: &[Json],
    paths: &Json,
    out: &mut Vec<String>,
    skip: &mut bool,
) -> Result<(), Fail> {
    for term in terms {
        match term {
            Json::Object(o) => {
                let none = Json::Null;
                out.extend(combine(o.get("files").unwrap_or(&none), o.get("paths").unwrap_or(&none)));
                if let Some(s) = o.get("skip") {
                    *skip = super::truthy(s);
                }
            }
            Json::String(_) => out.extend(combine(term, paths)),
            Json::Array(inner) => collect_candidates(inner, paths, out, skip)?,
            other => {
                return Err(Fail::Soft(format!(
                    "Invalid term supplied, can handle string, mapping or list of strings but got: {other}"
                )))
            }
        }
    }
    Ok(())
}

/// Every path joined with every file name (the names alone without paths).
fn combine(files: &Json, paths: &Json) -> Vec<String> {
    let files = split_on(files, &[',', ';']);
    let paths = split_on(paths, &[',', ':', ';']);
    if paths.is_empty() {
        return files;
    }
    paths
        .iter()
        .flat_map(|p| {
            files
                .iter()
                .map(move |f| Path::new(p).join(f).display().to_string())
        })
        .collect()
}

/// A string or list of strings split at `seps`, empty parts dropped.
fn split_on(v: &Json, seps: &[char]) -> Vec<String> {
    let parts: Vec<String> = match v {
        Json::Array(items) => items.iter().map(text).collect(),
        Json::Null => Vec::new(),
        other => vec![text(other)],
    };
    parts
        .iter()
        .flat_map(|p| p.split(seps))
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// `template`: each template file rendered with the variables in scope, `template_vars`
/// and the `template_*` variables of the template module.
pub(crate) fn template(call: &Call) -> Found {
    let mut found = Vec::new();
    for term in &call.terms {
        let name = text(term);
        let Some(path) = call.scope.find("templates", &name) else {
            return Err(Fail::Soft(format!(
                "the template file {name} could not be found for the lookup"
            )));
        };
        let source = std::fs::read_to_string(&path)
            .map_err(|e| Fail::Soft(format!("{}: {e}", path.display())))?;
        let mut vars = call.scope.vars().clone();
        vars.insert("template_path".into(), name.clone().into());
        vars.insert(
            "template_fullpath".into(),
            path.display().to_string().into(),
        );
        if let Some(Json::Object(extra)) = call.opts.get("template_vars") {
            vars.extend(extra.clone());
        }
        let rendered = templar()
            .render_text(&source, &vars)
            .map_err(|e| Fail::Hard(e.to_string()))?;
        found.push(Json::from(rendered));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn shell_patterns_match_as_python_fnmatch() {
        for (pat, name, want) in [
            ("*.conf", "a.conf", true),
            ("*.conf", "a.txt", false),
            ("?.txt", "a.txt", true),
            ("[ab].txt", "b.txt", true),
            ("[!ab].txt", "b.txt", false),
            ("[a-c]*", "calm", true),
            ("*", "", true),
        ] {
            assert_eq!(
                glob_match(pat.as_bytes(), name.as_bytes()),
                want,
                "{pat} {name}"
            );
        }
    }
}
