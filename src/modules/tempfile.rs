//! `tempfile`: makes a uniquely named file or directory on the host (`mktemp`), in `path` or
//! the host's temporary directory, named `prefix` + random + `suffix`. Always a change, as in
//! Ansible; it cannot check, so `--check` skips it.

use serde::Deserialize;

use crate::connection::quote;
use crate::modules::args::refuse_choice;
use crate::modules::{
    argnames, host, typed, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "tempfile",
    path_args: &["path"],
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    supports_check: false,
    run: |ctx, args| Box::pin(typed("tempfile", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(args, "tempfile", &["state"], &["directory", "file"])
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    #[serde(default = "file")]
    state: String,
    path: Option<String>,
    #[serde(default = "prefix")]
    prefix: String,
    #[serde(default)]
    suffix: String,
}

fn file() -> String {
    "file".into()
}
fn prefix() -> String {
    "ansible.".into()
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    Ok(made(host::run(ctx, &script(&args)).await?))
}

/// The `mktemp` line: Python's `mkstemp`/`mkdtemp` names (8 random characters) in `path`,
/// else `$TMPDIR`, else `/tmp`.
fn script(args: &Args) -> String {
    let dir = match &args.path {
        Some(p) => quote(p),
        None => "\"${TMPDIR:-/tmp}\"".into(),
    };
    let flag = if args.state == "directory" { "-d " } else { "" };
    format!(
        "mktemp {flag}-p {dir} --suffix={} -- {}",
        quote(&args.suffix),
        quote(&format!("{}XXXXXXXX", args.prefix))
    )
}

fn made(out: String) -> ModuleResult {
    let mut data = Vars::new();
    data.insert("path".into(), out.trim_end_matches('\n').into());
    ModuleResult {
        changed: true,
        data,
        ..Default::default()
    }
}
