//! Modules that are not new-style Python, run as Ansible runs them: an executable (a script
//! run by its `#!` interpreter, or a binary) given the path of a file holding its arguments —
//! JSON for "want JSON" and binary modules, `key=value` words for old-style ones — that prints
//! its result as JSON. A module whose text asks for its arguments inline
//! (`<<INCLUDE_ANSIBLE_MODULE_JSON_ARGS>>`) gets them written into it, and that copy is removed
//! after the run. The executable is kept on the host by content hash, like a Python package.

use sha2::{Digest, Sha256};

use super::{interpreter, Style};
use crate::connection::{quote, ExecOutput, Input};
use crate::modules::{ModuleCtx, ModuleResult};
use crate::vars::Vars;

/// The marker of a module's text that takes its arguments inline.
pub(crate) const JSON_ARGS: &str = "<<INCLUDE_ANSIBLE_MODULE_JSON_ARGS>>";

/// Runs the module whose file holds `text`, of `style`, with `args` (internals included); as a
/// background job under `async`.
pub(crate) async fn run(
    ctx: &ModuleCtx<'_>,
    text: &[u8],
    style: Style,
    args: &Vars,
) -> ModuleResult {
    // As Ansible does for a module it cannot pipeline: a directory of its own on the host,
    // named in `_ansible_tmpdir`, holding its arguments file, removed after the run.
    let tmp = match task_tmpdir(ctx).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let mut args = args.clone();
    args.insert("_ansible_tmpdir".into(), format!("{tmp}/").into());
    let args = &args;
    let tmp = quote(&tmp);
    let json = json_args(args);
    let (body, args_text) = match style {
        Style::JsonArgs => (
            String::from_utf8_lossy(text)
                .replace(JSON_ARGS, &json)
                .into_bytes(),
            String::new(),
        ),
        Style::Old => (text.to_vec(), old_style(args)),
        _ => (text.to_vec(), json),
    };
    let hash = hex::encode(Sha256::digest(&body));
    let file = format!(
        "{}/{hash}",
        shell_path(&super::internals::host_cache_dir(ctx))
    );
    let upload = format!(
        "umask 077; f={file}; mkdir -p \"${{f%/*}}\" && cat > \"$f.$$\" && chmod 700 \"$f.$$\" \
         && mv \"$f.$$\" \"$f\""
    );
    if let Err(r) = exec(ctx, &upload, &body).await.and_then(check) {
        return r;
    }
    let interp = interpreter_words(ctx, &body);
    let prelude = match interp.as_deref() {
        Some("$ferry_py") => interpreter::shell_prelude(ctx),
        _ => String::new(),
    };
    let prog = interp.map_or("\"$f\"".to_string(), |i| format!("{i} \"$f\""));
    // The module's own copy goes when its arguments are written into it.
    let own_copy = match style {
        Style::JsonArgs => " \"$f\"",
        _ => "",
    };
    // `t`: the arguments file (a JSON-args module gets none on its command line).
    let command = |t: &str| {
        let argv = match style {
            Style::JsonArgs => String::new(),
            _ => format!(" {t}"),
        };
        format!(
            "{prelude}f={file}; {prog}{argv}; rc=$?; rm -f {t}{own_copy}; rm -rf {tmp}; exit $rc"
        )
    };
    if let Some(job) = ctx.async_job {
        let file = format!("{tmp}/args");
        return super::python::background(ctx, job, &file, args_text.as_bytes(), command).await;
    }
    let run = format!(
        "t={tmp}/args; (umask 077; cat > \"$t\") || exit 1; {}",
        command("\"$t\"")
    );
    match exec(ctx, &run, args_text.as_bytes()).await {
        Ok(out) => interpreter::finish(ctx, out),
        Err(r) => r,
    }
}

/// A new directory under the host's `remote_tmp`, only its owner can enter, named as
/// Ansible names its per-task directories; its absolute path.
async fn task_tmpdir(ctx: &ModuleCtx<'_>) -> Result<String, ModuleResult> {
    let base = shell_path(&super::internals::remote_tmp(ctx));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let line =
        format!("umask 077; mkdir -p {base} && mktemp -d {base}/ansible-tmp-{now}-$$-XXXXXXXX");
    let out = exec(ctx, &line, b"").await?;
    match (out.rc, out.stdout.trim()) {
        (0, path) if path.starts_with('/') => Ok(path.to_string()),
        (rc, _) => Err(ModuleResult::failed(format!(
            "cannot make a temporary directory on the host under {} (rc={rc}): {}",
            super::internals::remote_tmp(ctx),
            out.stderr.trim()
        ))),
    }
}

async fn exec(ctx: &ModuleCtx<'_>, line: &str, input: &[u8]) -> Result<ExecOutput, ModuleResult> {
    ctx.exec_input(line, Input::bytes(input))
        .await
        .map_err(|e| ModuleResult::unreachable(&e))
}

fn check(out: ExecOutput) -> Result<ExecOutput, ModuleResult> {
    match out.rc {
        0 => Ok(out),
        rc => Err(ModuleResult::failed(format!(
            "cannot put the module on the host (rc={rc}): {}",
            out.stderr.trim()
        ))),
    }
}

/// How the module is started: its `#!` interpreter (a Python one is the host's Python; another
/// is replaced by `ansible_<name>_interpreter` when set), or `None` for a binary run directly.
fn interpreter_words(ctx: &ModuleCtx<'_>, body: &[u8]) -> Option<String> {
    let first = body.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(first).ok()?.strip_prefix("#!")?;
    let mut words: Vec<&str> = line.split_whitespace().collect();
    if words.first().is_some_and(|w| w.ends_with("/env")) {
        words.remove(0);
    }
    let name = words.first()?.rsplit('/').next()?.to_string();
    if name.starts_with("python") {
        return Some("$ferry_py".to_string());
    }
    let configured = interpreter::configured(ctx, &name);
    let mut out: Vec<String> = words.iter().map(|w| quote(w)).collect();
    if let Some(c) = configured {
        out[0] = quote(&c);
    }
    Some(out.join(" "))
}

/// Arguments as JSON, written as Python's `json.dumps` writes them (separators, `\\uXXXX`
/// escapes), for modules that read the text as Ansible writes it.
fn json_args(args: &Vars) -> String {
    let value = serde_json::Value::Object(args.clone());
    crate::pyjson::ascii_only(&crate::pyjson::dumps(&value, None, false))
}

/// Old-style arguments, as Ansible writes them: `key=value ` for each, the value as Python's
/// `str()` gives it, quoted as `shlex.quote` does.
fn old_style(args: &Vars) -> String {
    args.iter()
        .map(|(k, v)| {
            let text =
                crate::template::py_repr(&minijinja::Value::from(minijinja::value::Serde(v)));
            format!("{k}={} ", shlex_quote(&text))
        })
        .collect()
}

/// Python's `shlex.quote`.
fn shlex_quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    match s {
        "" => "''".into(),
        s if s.chars().all(safe) => s.into(),
        s => format!("'{}'", s.replace('\'', "'\"'\"'")),
    }
}

/// A path for a shell line: `~/x` as `"$HOME"/x`, the rest quoted.
pub(crate) fn shell_path(path: &str) -> String {
    match path.strip_prefix("~/") {
        Some(rest) => format!("\"$HOME\"/{}", quote(rest)),
        None => quote(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value as Json};

    #[test]
    fn arguments_files_are_written_as_ansible_writes_them() {
        // What ansible-playbook 2.18 wrote for these arguments.
        let args = json!({"a": "x y", "b": [1, "two"], "c": {"d": true}, "e": 1.5, "f": "it's",
                          "g": null, "h": "é", "_ansible_check_mode": false});
        let Json::Object(args) = args else {
            unreachable!()
        };
        assert_eq!(
            old_style(&args),
            "a='x y' b='[1, '\"'\"'two'\"'\"']' c='{'\"'\"'d'\"'\"': True}' e=1.5 f='it'\"'\"'s' \
             g=None h='é' _ansible_check_mode=False "
        );
        assert_eq!(
            json_args(&args),
            r#"{"a": "x y", "b": [1, "two"], "c": {"d": true}, "e": 1.5, "f": "it's", "g": null, "h": "\u00e9", "_ansible_check_mode": false}"#
        );
    }
}
