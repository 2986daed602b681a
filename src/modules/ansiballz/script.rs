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

/// Runs the module whose file holds `text`, of `style`, with `args` (internals included).
pub(crate) async fn run(
    ctx: &ModuleCtx<'_>,
    text: &[u8],
    style: Style,
    args: &Vars,
) -> ModuleResult {
    let json = serde_json::to_string(args).unwrap_or_default();
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
    let mut run = format!("f={file}; t=$(mktemp) || exit 1; cat > \"$t\"; ");
    let interp = interpreter_words(ctx, &body);
    if interp.as_deref() == Some("$ferry_py") {
        run.insert_str(0, &interpreter::shell_prelude(ctx));
    }
    let argv = match style {
        Style::JsonArgs => String::new(),
        _ => " \"$t\"".to_string(),
    };
    let cleanup = match style {
        Style::JsonArgs => "rm -f \"$t\" \"$f\"",
        _ => "rm -f \"$t\"",
    };
    let prog = interp.map_or("\"$f\"".to_string(), |i| format!("{i} \"$f\""));
    run.push_str(&format!("{prog}{argv}; rc=$?; {cleanup}; exit $rc"));
    match exec(ctx, &run, args_text.as_bytes()).await {
        Ok(out) => interpreter::finish(ctx, out),
        Err(r) => r,
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

/// Old-style arguments: `key=value` words, each value quoted for a shell.
fn old_style(args: &Vars) -> String {
    let word = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(true) => "True".into(),
        serde_json::Value::Bool(false) => "False".into(),
        serde_json::Value::Null => "None".into(),
        other => other.to_string(),
    };
    let words: Vec<String> = args
        .iter()
        .map(|(k, v)| format!("{k}={}", quote(&word(v))))
        .collect();
    words.join(" ")
}

/// A path for a shell line: `~/x` as `"$HOME"/x`, the rest quoted.
pub(crate) fn shell_path(path: &str) -> String {
    match path.strip_prefix("~/") {
        Some(rest) => format!("\"$HOME\"/{}", quote(rest)),
        None => quote(path),
    }
}
