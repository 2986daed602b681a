//! `lineinfile`: makes sure one line is in a file (or is not), by regexp or exact text. Reads the
//! file, edits it on the controller, writes it back only if it changed.

use regex::Regex;
use serde::Deserialize;

use crate::modules::copy::{put_file, HasOpts};
use crate::modules::host::transfer::Source;
use crate::modules::host::{self, Attrs};
use crate::modules::{
    argnames, de_bool, typed_parts, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "lineinfile",
    args: Some(|| [argnames::of::<Args>(), argnames::of::<Attrs>()].concat()),
    run: |ctx, args| {
        Box::pin(typed_parts(
            "lineinfile",
            args,
            |a, attrs| Args { attrs, ..a },
            move |a| run(ctx, a),
        ))
    },
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    #[serde(alias = "dest", alias = "name")]
    path: String,
    line: Option<String>,
    regexp: Option<String>,
    search_string: Option<String>,
    #[serde(default = "present")]
    state: String,
    insertafter: Option<String>,
    insertbefore: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    create: bool,
    #[serde(default, deserialize_with = "de_bool")]
    backup: bool,
    #[serde(default, deserialize_with = "de_bool")]
    backrefs: bool,
    /// Read separately (serde names no fields of a flattened struct).
    #[serde(skip)]
    attrs: Attrs,
}

fn present() -> String {
    "present".into()
}

impl HasOpts for Args {
    fn attrs(&self) -> &Attrs {
        &self.attrs
    }
    fn force(&self) -> bool {
        true
    }
    fn backup(&self) -> bool {
        self.backup
    }
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    let st = host::stat(ctx, &args.path, false).await?;
    let text = if st.exists {
        String::from_utf8_lossy(&host::read(ctx, &args.path).await?).into_owned()
    } else if args.state == "absent" {
        let mut r = ModuleResult::ok(Vars::new());
        r.data.insert("msg".into(), "file not present".into());
        return Ok(r);
    } else if args.create {
        String::new()
    } else {
        let msg = format!("Destination {} does not exist !", args.path);
        return Err(ModuleResult::failed(msg));
    };
    let re = args
        .regexp
        .as_deref()
        .map(Regex::new)
        .transpose()
        .map_err(|e| ModuleResult::failed(format!("invalid regexp: {e}")))?;
    let (new_text, msg) =
        edit(&text, &args, re.as_ref()).map_err(|e| ModuleResult::failed(e.to_string()))?;
    let written = if new_text == text && st.exists {
        text
    } else {
        new_text
    };
    let mut r = put_file(ctx, &args, Source::Bytes(written.as_bytes()), &args.path).await;
    r.data.insert("msg".into(), msg.into());
    Ok(r)
}

/// Why an edit cannot be made.
#[derive(Debug, thiserror::Error)]
enum EditError {
    /// `state: present` without `line`.
    #[error("line is required with state=present")]
    NoLine,
    /// `insertbefore`/`insertafter` is not a regex.
    #[error("invalid {which}: {source}")]
    Regex {
        which: &'static str,
        #[source]
        source: regex::Error,
    },
}

/// The edited text and Ansible's message for it.
fn edit(text: &str, args: &Args, re: Option<&Regex>) -> Result<(String, String), EditError> {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let matches = |l: &str| match (re, &args.search_string) {
        (Some(re), _) => re.is_match(l),
        (None, Some(s)) => l.contains(s.as_str()),
        (None, None) => args.line.as_deref() == Some(l),
    };
    if args.state == "absent" {
        let before = lines.len();
        lines.retain(|l| !matches(l));
        let removed = before - lines.len();
        let msg = if removed > 0 {
            format!("{removed} line(s) removed")
        } else {
            String::new()
        };
        return Ok((join(&lines, text), msg));
    }
    let Some(line) = &args.line else {
        return Err(EditError::NoLine);
    };
    if let Some(idx) = lines.iter().rposition(|l| matches(l)) {
        let new_line = match (re, args.backrefs) {
            (Some(re), true) => re.replace(&lines[idx], line.as_str()).into_owned(),
            _ => line.clone(),
        };
        if lines[idx] == new_line {
            return Ok((text.to_string(), String::new()));
        }
        lines[idx] = new_line;
        return Ok((join(&lines, text), "line replaced".into()));
    }
    if args.backrefs {
        return Ok((text.to_string(), String::new()));
    }
    if (re.is_some() || args.search_string.is_some()) && lines.iter().any(|l| l == line) {
        return Ok((text.to_string(), String::new()));
    }
    let pos = insert_position(&lines, args)?;
    lines.insert(pos, line.clone());
    Ok((join(&lines, text), "line added".into()))
}

fn insert_position(lines: &[String], args: &Args) -> Result<usize, EditError> {
    let regex =
        |which, text: &str| Regex::new(text).map_err(|source| EditError::Regex { which, source });
    match (&args.insertbefore, &args.insertafter) {
        (Some(b), _) if b == "BOF" => Ok(0),
        (Some(b), _) => {
            let re = regex("insertbefore", b)?;
            Ok(lines
                .iter()
                .rposition(|l| re.is_match(l))
                .unwrap_or(lines.len()))
        }
        (None, Some(a)) if a != "EOF" => {
            let re = regex("insertafter", a)?;
            Ok(lines
                .iter()
                .rposition(|l| re.is_match(l))
                .map_or(lines.len(), |i| i + 1))
        }
        _ => Ok(lines.len()),
    }
}

/// Joins lines, keeping a final newline (files end with one unless the original did not).
fn join(lines: &[String], original: &str) -> String {
    let mut s = lines.join("\n");
    if !lines.is_empty() && (original.is_empty() || original.ends_with('\n')) {
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: Option<&str>, regexp: Option<&str>, state: &str) -> Args {
        Args {
            path: "f".into(),
            line: line.map(String::from),
            regexp: regexp.map(String::from),
            search_string: None,
            state: state.into(),
            insertafter: None,
            insertbefore: None,
            create: false,
            backup: false,
            backrefs: false,
            attrs: Attrs::default(),
        }
    }

    #[test]
    fn edits() {
        for (text, line, regexp, state, want, msg) in [
            (
                "a\nb\n",
                Some("c"),
                None,
                "present",
                "a\nb\nc\n",
                "line added",
            ),
            ("a\nb\n", Some("b"), None, "present", "a\nb\n", ""),
            (
                "port=1\nx\n",
                Some("port=2"),
                Some("^port="),
                "present",
                "port=2\nx\n",
                "line replaced",
            ),
            (
                "a\nb\na\n",
                Some("a"),
                None,
                "absent",
                "b\n",
                "2 line(s) removed",
            ),
            ("", Some("first"), None, "present", "first\n", "line added"),
        ] {
            let a = args(line, regexp, state);
            let re = a.regexp.as_deref().map(|r| Regex::new(r).unwrap());
            let (got, m) = edit(text, &a, re.as_ref()).unwrap();
            assert_eq!((got.as_str(), m.as_str()), (want, msg), "{text:?}");
        }
    }
}
