//! `replace`: replaces every match of a Python regular expression (multiline) in a file, with
//! `\1`/`\g<name>` back-references, optionally only in the part after `after` and/or before
//! `before`. The file is read, edited on the controller and written back only if it changed.

use serde::Deserialize;

use crate::modules::args::FileArgs;
use crate::modules::args::{file_arg_names, typed_file};
use crate::modules::host::put::resolve_link;
use crate::modules::host::Attrs;
use crate::modules::textfile::{rc_failure, read_text, write_text, Edit, EditDiff, WriteOpts};
use crate::modules::{de_bool, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS};
use crate::template::{py_each_match, py_regex, PyRegexFlags, PyReplacement};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "replace",
    path_args: &["path", "dest", "destfile", "name"],
    args: Some(file_arg_names::<Args>),
    run: |ctx, args| Box::pin(typed_file("replace", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    #[serde(alias = "dest", alias = "destfile", alias = "name")]
    path: String,
    regexp: String,
    #[serde(default)]
    replace: String,
    after: Option<String>,
    before: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    backup: bool,
    validate: Option<String>,
    #[serde(default = "utf8")]
    encoding: String,
    /// Read separately (serde names no fields of a flattened struct).
    #[serde(skip)]
    attrs: Attrs,
}

impl FileArgs for Args {
    fn with_attrs(self, attrs: Attrs) -> Self {
        Args { attrs, ..self }
    }
}

pub(crate) fn utf8() -> String {
    "utf-8".into()
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    let Some((st, text)) = read_text(ctx, &args.path, &args.encoding).await? else {
        return Err(rc_failure(
            257,
            format!("Path {} does not exist !", args.path),
        ));
    };
    if st.is_dir() {
        return Err(rc_failure(
            257,
            format!("Path {} is a directory !", args.path),
        ));
    }
    let failed = |e: minijinja::Error| ModuleResult::failed(e.to_string());
    let (new_text, msg) = match substitute(&text, &args).map_err(failed)? {
        Substituted::Text(t, n) if t != text => (t, format!("{n} replacements made")),
        Substituted::Text(..) => (text.clone(), String::new()),
        Substituted::NoSection(pattern) => {
            let mut data = Vars::new();
            let msg =
                format!("Pattern for before/after params did not match the given file: {pattern}");
            data.insert("msg".into(), msg.into());
            data.insert("rc".into(), 0.into());
            return Ok(ModuleResult::ok(data));
        }
    };
    let path = resolve_link(ctx, &args.path).await?;
    let opts = WriteOpts {
        attrs: &args.attrs,
        backup: args.backup,
        validate: args.validate.as_deref(),
    };
    let edit = Edit {
        text: &new_text,
        msg: &msg,
        content_changed: new_text != text,
        diff: EditDiff::Replace,
    };
    let mut r = write_text(ctx, &opts, &path, &args.encoding, edit, Some(&st)).await?;
    r.data.insert("rc".into(), 0.into());
    Ok(r)
}

/// What the substitution made of the file's text.
#[derive(Debug, PartialEq)]
enum Substituted {
    /// The new text and the number of replacements.
    Text(String, usize),
    /// `after`/`before` did not match; the section pattern.
    NoSection(String),
}

/// Python's `re.subn` of `regexp` (multiline) on the text, or on the section between
/// `after` and `before` (each a pattern, matched with `.` taking newlines too).
fn substitute(text: &str, args: &Args) -> Result<Substituted, minijinja::Error> {
    let section_pattern = match (&args.after, &args.before) {
        (Some(a), Some(b)) => Some(format!("{a}(?P<subsection>.*?){b}")),
        (Some(a), None) => Some(format!("{a}(?P<subsection>.*)")),
        (None, Some(b)) => Some(format!("(?P<subsection>.*){b}")),
        (None, None) => None,
    };
    let (start, end) = match &section_pattern {
        None => (0, text.len()),
        Some(p) => {
            let re = py_regex(&format!("(?s){p}"), PyRegexFlags::default())?;
            let found = re.captures(text).ok().flatten();
            match found.and_then(|c| c.name("subsection").map(|m| (m.start(), m.end()))) {
                Some(span) => span,
                None => return Ok(Substituted::NoSection(p.clone())),
            }
        }
    };
    let flags = PyRegexFlags {
        multiline: true,
        ..Default::default()
    };
    let re = py_regex(&args.regexp, flags)?;
    let template = PyReplacement::parse(&args.replace, &re)?;
    let section = &text[start..end];
    let (mut out, mut last, mut count) = (String::with_capacity(text.len()), 0, 0);
    out.push_str(&text[..start]);
    py_each_match(&re, section, |caps| {
        let whole = caps.get(0).expect("group 0 is the whole match");
        out.push_str(&section[last..whole.start()]);
        template.expand(caps, &mut out);
        last = whole.end();
        count += 1;
        true
    })?;
    out.push_str(&section[last..]);
    out.push_str(&text[end..]);
    Ok(Substituted::Text(out, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(regexp: &str, replace: &str, after: Option<&str>, before: Option<&str>) -> Args {
        let v = serde_json::json!({
            "path": "f", "regexp": regexp, "replace": replace, "after": after, "before": before,
        });
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn substitutes_as_python_re_subn() {
        let text = "a=1\n[s]\na=2\nb=3\n[t]\na=4\n";
        for (regexp, replace, after, before, want) in [
            (
                r"^a=(\d)",
                r"a=\1\1",
                None,
                None,
                "a=11\n[s]\na=22\nb=3\n[t]\na=44\n",
            ),
            (
                r"^a=",
                "A=",
                Some(r"\[s\]"),
                Some(r"\[t\]"),
                "a=1\n[s]\nA=2\nb=3\n[t]\na=4\n",
            ),
            (
                r"^a=",
                "A=",
                Some(r"\[s\]"),
                None,
                "a=1\n[s]\nA=2\nb=3\n[t]\nA=4\n",
            ),
            (
                r"^a=",
                "A=",
                None,
                Some(r"\[s\]"),
                "A=1\n[s]\na=2\nb=3\n[t]\na=4\n",
            ),
            (
                r"(?P<k>b)=3$",
                r"\g<k>=x",
                None,
                None,
                "a=1\n[s]\na=2\nb=x\n[t]\na=4\n",
            ),
        ] {
            let got = substitute(text, &args(regexp, replace, after, before)).unwrap();
            let Substituted::Text(got, _) = got else {
                panic!("{regexp}")
            };
            assert_eq!(got, want, "{regexp} {after:?} {before:?}");
        }
        let none = substitute(text, &args("a", "b", Some("nothere"), None)).unwrap();
        assert_eq!(
            none,
            Substituted::NoSection("nothere(?P<subsection>.*)".into())
        );
    }
}
