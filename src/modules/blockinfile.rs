//! `blockinfile`: keeps a block of lines between two marker lines in a file (or removes it),
//! placed as Ansible places it (`insertafter`/`insertbefore`, a pattern, `BOF`/`EOF`), with
//! blank lines around it on request. Edited on the controller, written back only if changed.

use serde::Deserialize;

use crate::modules::args::refuse_choice;
use crate::modules::args::FileArgs;
use crate::modules::args::{file_arg_names, typed_file};
use crate::modules::host::put::resolve_link;
use crate::modules::host::Attrs;
use crate::modules::lineinfile::make_parent;
use crate::modules::textfile::{rc_failure, read_text, write_text, Edit, EditDiff, WriteOpts};
use crate::modules::{de_bool, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS};
use crate::template::{py_regex, PyRegexFlags};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "blockinfile",
    path_args: &["path", "dest", "destfile", "name"],
    args: Some(file_arg_names::<Args>),
    check: Some(check),
    run: |ctx, args| Box::pin(typed_file("blockinfile", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(args, "blockinfile", &["state"], &["absent", "present"])
}

#[derive(Deserialize)]
struct Args {
    #[serde(alias = "dest", alias = "destfile", alias = "name")]
    path: String,
    #[serde(default = "present")]
    state: String,
    #[serde(default = "marker")]
    marker: String,
    #[serde(default, alias = "content")]
    block: String,
    insertafter: Option<String>,
    insertbefore: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    create: bool,
    #[serde(default, deserialize_with = "de_bool")]
    backup: bool,
    #[serde(default = "begin")]
    marker_begin: String,
    #[serde(default = "end")]
    marker_end: String,
    #[serde(default, deserialize_with = "de_bool")]
    append_newline: bool,
    #[serde(default, deserialize_with = "de_bool")]
    prepend_newline: bool,
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
fn marker() -> String {
    "# {mark} ANSIBLE MANAGED BLOCK".into()
}
fn begin() -> String {
    "BEGIN".into()
}
fn end() -> String {
    "END".into()
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    let original = read_text(ctx, &args.path, "utf-8").await?;
    if original.as_ref().is_some_and(|(st, _)| st.is_dir()) {
        return Err(rc_failure(
            256,
            format!("Path {} is a directory !", args.path),
        ));
    }
    let present = args.state == "present";
    let (before, original) = original.unzip();
    if original.is_none() {
        if !args.create {
            return Err(rc_failure(
                257,
                format!("Path {} does not exist !", args.path),
            ));
        }
        if !present {
            let mut data = Vars::new();
            let msg = format!("File {} not present", args.path);
            data.insert("msg".into(), msg.into());
            return Ok(ModuleResult::ok(data));
        }
        make_parent(ctx, &args.path).await?;
    }
    let old = original.as_deref().unwrap_or("");
    let insert = insert_pattern(&args).map_err(|e| ModuleResult::failed(e.to_string()))?;
    let (text, block_lines) = edit(old, &args, insert.as_ref());
    let msg = match (&original, block_lines) {
        (Some(o), _) if *o == text => "",
        (None, _) => "File created",
        (_, 0) => "Block removed",
        _ => "Block inserted",
    };
    let path = resolve_link(ctx, &args.path).await?;
    let opts = WriteOpts {
        attrs: &args.attrs,
        backup: args.backup,
        validate: args.validate.as_deref(),
    };
    let edit = Edit {
        text: &text,
        msg,
        content_changed: !msg.is_empty(),
        diff: EditDiff::Block,
    };
    write_text(ctx, &opts, &path, "utf-8", edit, before.as_ref()).await
}

/// The compiled `insertafter` (unless `EOF`) or `insertbefore` (unless `BOF`) pattern.
fn insert_pattern(
    args: &Args,
) -> Result<Option<std::sync::Arc<fancy_regex::Regex>>, minijinja::Error> {
    let pattern = match (&args.insertafter, &args.insertbefore) {
        (Some(a), _) if a != "EOF" => a,
        (None, Some(b)) if b != "BOF" => b,
        _ => return Ok(None),
    };
    py_regex(pattern, PyRegexFlags::default()).map(Some)
}

/// The file's text with the block put in place (or taken out); the number of block lines
/// (markers included) written.
fn edit(
    text: &str,
    args: &Args,
    insert: Option<&std::sync::Arc<fancy_regex::Regex>>,
) -> (String, usize) {
    let mut lines: Vec<String> = text.split_inclusive('\n').map(String::from).collect();
    let marker0 = format!("{}\n", args.marker.replace("{mark}", &args.marker_begin));
    let marker1 = format!("{}\n", args.marker.replace("{mark}", &args.marker_end));
    let present = args.state == "present";
    let mut block_lines = Vec::new();
    if present && !args.block.is_empty() {
        let mut block = args.block.clone();
        if !block.ends_with('\n') {
            block.push('\n');
        }
        block_lines.push(marker0.clone());
        block_lines.extend(block.split_inclusive('\n').map(String::from));
        block_lines.push(marker1.clone());
    }
    let n0 = lines.iter().rposition(|l| *l == marker0);
    let n1 = lines.iter().rposition(|l| *l == marker1);
    let mut at = match (n0, n1) {
        (Some(a), Some(b)) => {
            let (from, to) = (a.min(b), a.max(b));
            lines.drain(from..=to);
            from
        }
        _ => position(&lines, args, insert),
    };
    if at > 0 && !lines[at - 1].ends_with('\n') {
        lines[at - 1].push('\n');
    }
    if args.prepend_newline && present && at != 0 && lines[at - 1] != "\n" {
        lines.insert(at, "\n".into());
        at += 1;
    }
    let count = block_lines.len();
    lines.splice(at..at, block_lines);
    let after = at + count;
    if args.append_newline && present && after < lines.len() && lines[after] != "\n" {
        lines.insert(after, "\n".into());
    }
    (lines.concat(), count)
}

/// Where a new block goes: after (or before) the last line the pattern matches, else at the
/// end; `BOF` at the start; `EOF` (the default) at the end.
fn position(
    lines: &[String],
    args: &Args,
    insert: Option<&std::sync::Arc<fancy_regex::Regex>>,
) -> usize {
    match insert {
        Some(re) => match lines.iter().rposition(|l| re.is_match(l).unwrap_or(false)) {
            None => lines.len(),
            Some(i) if args.insertafter.is_some() => i + 1,
            Some(i) => i,
        },
        None if args.insertafter.is_none() && args.insertbefore.is_some() => 0,
        None => lines.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(extra: serde_json::Value) -> Args {
        let mut v = serde_json::json!({"path": "f", "block": "x\ny"});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(v).unwrap()
    }

    const B: &str = "# BEGIN ANSIBLE MANAGED BLOCK\nx\ny\n# END ANSIBLE MANAGED BLOCK\n";

    #[test]
    fn places_replaces_and_removes_the_block() {
        for (text, extra, want) in [
            ("a\nb", json!({}), format!("a\nb\n{B}")),
            (
                "a\nb\n",
                json!({"insertbefore": "BOF"}),
                format!("{B}a\nb\n"),
            ),
            ("a\nb\n", json!({"insertafter": "^a"}), format!("a\n{B}b\n")),
            (
                "a\nb\n",
                json!({"insertbefore": "^b"}),
                format!("a\n{B}b\n"),
            ),
            (
                "a\nb\n",
                json!({"insertbefore": "^b", "prepend_newline": true, "append_newline": true}),
                format!("a\n\n{B}\nb\n"),
            ),
            (
                &format!("a\n{}b\n", B.replace("x\n", "old\n")),
                json!({}),
                format!("a\n{B}b\n"),
            ),
            (
                &format!("a\n{B}b\n"),
                json!({"state": "absent"}),
                "a\nb\n".to_string(),
            ),
            (
                &format!("a\n{B}b\n"),
                json!({"block": ""}),
                "a\nb\n".to_string(),
            ),
        ] {
            let a = args(extra);
            let re = insert_pattern(&a).unwrap();
            assert_eq!(edit(text, &a, re.as_ref()).0, want, "{text:?}");
        }
    }
}
