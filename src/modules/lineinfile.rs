//! `lineinfile`: makes sure one line is in a file (or is not), by regexp (Python's `re`),
//! search string or exact text, as Ansible decides where it goes (`insertafter`,
//! `insertbefore`, `firstmatch`, `backrefs`). Reads the file, edits it on the controller,
//! writes it back only if it changed (after `validate` accepts it).

use std::sync::Arc;

use fancy_regex::Regex;
use serde::Deserialize;

use crate::connection::quote;
use crate::modules::args::FileArgs;
use crate::modules::args::{file_arg_names, typed_file};
use crate::modules::host::put::{put, HasOpts};
use crate::modules::host::transfer::{Source, Validate};
use crate::modules::host::{self, Attrs};
use crate::modules::textfile::edit_diff;
use crate::modules::{de_bool, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS};
use crate::template::{py_regex, PyRegexFlags, PyReplacement};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "lineinfile",
    path_args: &["path", "dest", "destfile", "name"],
    args: Some(file_arg_names::<Args>),
    run: |ctx, args| Box::pin(typed_file("lineinfile", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    #[serde(alias = "dest", alias = "destfile", alias = "name")]
    path: String,
    #[serde(alias = "value")]
    line: Option<String>,
    #[serde(alias = "regex")]
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
    /// `insertafter`/`insertbefore` (and `regexp`) use the first matching line, not the last.
    #[serde(default, deserialize_with = "de_bool")]
    firstmatch: bool,
    /// A command that must accept the edited file (`%s`) before it replaces the old one.
    validate: Option<String>,
    /// Read separately (serde names no fields of a flattened struct).
    #[serde(skip)]
    attrs: Attrs,
}

impl FileArgs for Args {
    fn with_attrs(self, attrs: Attrs) -> Self {
        Args { attrs, ..self }
    }
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
    fn validate(&self) -> Option<Validate<'_>> {
        Some(Validate {
            command: self.validate.as_deref()?,
            failed: |rc, _, stderr| {
                ModuleResult::failed(format!("failed to validate: rc:{rc} error:{stderr}"))
            },
        })
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
        make_parent(ctx, &args.path).await?;
        String::new()
    } else {
        let msg = format!("Destination {} does not exist !", args.path);
        return Err(ModuleResult::failed(msg));
    };
    let patterns = Patterns::compile(&args).map_err(|e| ModuleResult::failed(e.to_string()))?;
    let (new_text, msg) = edit(&text, &args, &patterns)?;
    let p = put(ctx, &args, Source::Bytes(new_text.as_bytes()), &args.path).await?;
    let mut r = p.result;
    // In check mode on a file not there yet, lineinfile stops before looking at attributes.
    let attrs = (st.exists || !ctx.check_mode).then_some(p.attrs);
    let diff = edit_diff(ctx, &args.path, (&text, &new_text), attrs);
    r.data.insert("diff".into(), diff);
    r.data.insert("msg".into(), msg.into());
    Ok(r)
}

/// `create: true`: the file's directory is made first, as Ansible makes it.
pub(crate) async fn make_parent(ctx: &ModuleCtx<'_>, path: &str) -> Result<(), ModuleResult> {
    let Some((dir, _)) = path.rsplit_once('/').filter(|(d, _)| !d.is_empty()) else {
        return Ok(());
    };
    if !ctx.check_mode {
        host::run(ctx, &format!("mkdir -p -- {}", quote(dir))).await?;
    }
    Ok(())
}

/// The compiled `regexp` and `insertafter`/`insertbefore` patterns.
struct Patterns {
    regexp: Option<Arc<Regex>>,
    insert: Option<Arc<Regex>>,
}

impl Patterns {
    fn compile(args: &Args) -> Result<Patterns, minijinja::Error> {
        let compile = |p: &str| py_regex(p, PyRegexFlags::default());
        let insert = match (&args.insertafter, &args.insertbefore) {
            (Some(p), _) | (None, Some(p)) if p != "EOF" && p != "BOF" => Some(compile(p)?),
            _ => None,
        };
        let regexp = args.regexp.as_deref().map(compile).transpose()?;
        Ok(Patterns { regexp, insert })
    }
}

/// Whether a file line (with its newline) is the one a task means.
fn found(line: &str, args: &Args, pats: &Patterns) -> bool {
    match (&pats.regexp, &args.search_string) {
        (Some(re), _) => re.is_match(line).unwrap_or(false),
        (None, Some(s)) => line.contains(s.as_str()),
        (None, None) => args.line.as_deref() == Some(bare(line)),
    }
}

fn bare(line: &str) -> &str {
    line.trim_end_matches(['\r', '\n'])
}

/// The edited text and Ansible's message for it.
fn edit(text: &str, args: &Args, pats: &Patterns) -> Result<(String, String), ModuleResult> {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(String::from).collect();
    if args.state == "absent" {
        let before = lines.len();
        lines.retain(|l| !found(l, args, pats));
        let removed = before - lines.len();
        let msg = if removed > 0 {
            format!("{removed} line(s) removed")
        } else {
            String::new()
        };
        return Ok((lines.concat(), msg));
    }
    let Some(line) = &args.line else {
        return Err(ModuleResult::failed("line is required with state=present"));
    };
    let msg = ensure(&mut lines, line, args, pats)?;
    Ok((lines.concat(), msg.into()))
}

/// Where a task's line is in the file: the line it replaces (`regexp`/`search_string` match,
/// or the same text), whether that was a pattern match, and where it would be inserted.
struct Located {
    hit: Option<usize>,
    matched: bool,
    anchor: Option<usize>,
}

/// Finds the lines as Ansible does: a pattern match wins (the last, or the first with
/// `firstmatch`); without one, the same text or the `insertafter`/`insertbefore` line.
fn locate(lines: &[String], line: &str, args: &Args, pats: &Patterns) -> Located {
    let mut hit = None;
    if pats.regexp.is_some() || args.search_string.is_some() {
        for (i, l) in lines.iter().enumerate() {
            if found(l, args, pats) {
                hit = Some(i);
                if args.firstmatch {
                    break;
                }
            }
        }
    }
    let matched = hit.is_some();
    let mut anchor = None;
    if !matched {
        for (i, l) in lines.iter().enumerate() {
            if bare(l) == line {
                hit = Some(i);
            } else if pats
                .insert
                .as_ref()
                .is_some_and(|re| re.is_match(l).unwrap_or(false))
            {
                anchor = Some(if args.insertafter.is_some() { i + 1 } else { i });
                if args.firstmatch {
                    break;
                }
            }
        }
    }
    Located {
        hit,
        matched,
        anchor,
    }
}

/// `state: present` on the file's lines; the message.
fn ensure(
    lines: &mut Vec<String>,
    line: &str,
    args: &Args,
    pats: &Patterns,
) -> Result<&'static str, ModuleResult> {
    let Located {
        hit,
        matched,
        anchor,
    } = locate(lines, line, args, pats);
    if let Some(i) = hit {
        let mut new_line = match (&pats.regexp, args.backrefs && matched) {
            (Some(re), true) => expand(re, &lines[i], line)?,
            _ => line.to_string(),
        };
        new_line.push('\n');
        if lines[i] == new_line {
            return Ok("");
        }
        lines[i] = new_line;
        return Ok("line replaced");
    }
    if args.backrefs {
        return Ok("");
    }
    let new_line = format!("{line}\n");
    let bof = [&args.insertbefore, &args.insertafter]
        .iter()
        .any(|p| p.as_deref() == Some("BOF"));
    match anchor {
        _ if bof => lines.insert(0, new_line),
        Some(i) if args.insertafter.as_deref() != Some("EOF") => {
            let beside = if args.insertafter.is_some() {
                lines.get(i)
            } else {
                i.checked_sub(1).and_then(|j| lines.get(j))
            };
            if beside.is_some_and(|l| bare(l) == line) {
                return Ok("");
            }
            lines.insert(i, new_line);
        }
        _ => {
            if let Some(last) = lines.last_mut().filter(|l| !l.ends_with(['\n', '\r'])) {
                last.push('\n');
            }
            lines.push(new_line);
        }
    }
    Ok("line added")
}

/// `backrefs: true`: the line with `\1`, `\g<name>` filled from the regexp's match.
fn expand(re: &Regex, text: &str, line: &str) -> Result<String, ModuleResult> {
    let fail = |e: minijinja::Error| ModuleResult::failed(format!("invalid line: {e}"));
    let template = PyReplacement::parse(line, re).map_err(fail)?;
    let mut out = String::new();
    if let Ok(Some(caps)) = re.captures(text) {
        template.expand(&caps, &mut out);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: Option<&str>, regexp: Option<&str>, state: &str) -> Args {
        let mut v = serde_json::json!({"path": "f", "state": state});
        if let Some(l) = line {
            v["line"] = l.into();
        }
        if let Some(r) = regexp {
            v["regexp"] = r.into();
        }
        serde_json::from_value(v).unwrap()
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
            (
                "a\nb",
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
            let pats = Patterns::compile(&a).unwrap();
            let (got, m) = edit(text, &a, &pats).unwrap();
            assert_eq!((got.as_str(), m.as_str()), (want, msg), "{text:?}");
        }
    }

    #[test]
    fn backrefs_expand_the_match_and_firstmatch_inserts_after_the_first() {
        let mut a = args(Some(r"\1=on"), Some(r"^(\w+)=off"), "present");
        a.backrefs = true;
        let pats = Patterns::compile(&a).unwrap();
        assert_eq!(edit("x=off # c\n", &a, &pats).unwrap().0, "x=on\n");
        let mut b = args(Some("new"), None, "present");
        b.insertafter = Some("^#".into());
        b.firstmatch = true;
        let pats = Patterns::compile(&b).unwrap();
        assert_eq!(edit("#1\n#2\n", &b, &pats).unwrap().0, "#1\nnew\n#2\n");
    }
}
