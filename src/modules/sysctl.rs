//! `sysctl` (ansible.posix): one kernel parameter in a sysctl file (`sysctl_file`,
//! /etc/sysctl.conf by default) and, with `sysctl_set`, in the running kernel; `reload`
//! applies the file with `sysctl -p`. The current value and the file are read in one
//! command; the file is rewritten as Ansible rewrites it (`key=value` lines, others kept).

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::args::refuse_choice;
use crate::modules::host::{self, textfile};
use crate::modules::sysargs;
use crate::modules::{
    argnames, de_bool, typed, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "sysctl",
    path_args: &["sysctl_file"],
    collection: "ansible.posix",
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("sysctl", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(args, "sysctl", &["state"], &["absent", "present"])
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    #[serde(alias = "key")]
    name: String,
    #[serde(default, alias = "val")]
    value: Option<Json>,
    #[serde(default = "present")]
    state: String,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    reload: bool,
    #[serde(default, deserialize_with = "de_bool")]
    sysctl_set: bool,
    #[serde(default, deserialize_with = "de_bool")]
    ignoreerrors: bool,
    #[serde(default = "default_file")]
    sysctl_file: String,
}

fn present() -> String {
    "present".into()
}

fn default_file() -> String {
    "/etc/sysctl.conf".into()
}

/// The value as Ansible normalises it: booleans are `1`/`0`, text is trimmed.
fn normalise(value: Option<&Json>) -> String {
    match value {
        None | Some(Json::Null) => String::new(),
        Some(Json::Bool(b)) => if *b { "1" } else { "0" }.into(),
        Some(Json::String(s)) => match s.to_lowercase().as_str() {
            "y" | "yes" | "on" | "1" | "true" | "t" => "1".into(),
            "n" | "no" | "off" | "0" | "false" | "f" => "0".into(),
            _ => s.trim().to_string(),
        },
        Some(other) => other.to_string(),
    }
}

/// Whether two values are the same words in the same order.
fn same(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

/// The file's lines rewritten for the task, and the key's value in the file before.
fn fix_lines(text: &str, name: &str, value: Option<&str>) -> (Vec<String>, Option<String>) {
    let mut seen: Vec<String> = Vec::new();
    let mut before = None;
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        let Some((k, v)) = line
            .split_once('=')
            .filter(|_| !line.starts_with(['#', ';']))
        else {
            out.push(line.to_string());
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        if k == name {
            before = Some(v.to_string());
        }
        if seen.iter().any(|s| s == k) {
            continue;
        }
        seen.push(k.to_string());
        match (k == name, value) {
            (true, Some(value)) => out.push(format!("{k}={value}")),
            (true, None) => {}
            (false, _) => out.push(format!("{k}={v}")),
        }
    }
    if let (false, Some(value)) = (seen.iter().any(|s| s == name), value) {
        out.push(format!("{name}={value}"));
    }
    (out, before)
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    sysargs::at_run("state", &args.state, &["absent", "present"])?;
    let name = args.name.trim().to_string();
    let value = normalise(args.value.as_ref());
    let present = args.state == "present";
    if name.is_empty() {
        return Err(ModuleResult::failed("name cannot be blank"));
    }
    if present && args.value.as_ref().is_none_or(Json::is_null) {
        return Err(ModuleResult::failed(
            "state is present but all of the following are missing: value",
        ));
    }
    if present && value.is_empty() {
        return Err(ModuleResult::failed("value cannot be blank"));
    }
    let current = current_value(ctx, &name).await?;
    let text = textfile::read(ctx, &args.sysctl_file).await?;
    let (lines, in_file) = fix_lines(
        text.as_deref().unwrap_or(""),
        &name,
        present.then_some(value.as_str()),
    );
    let write_file = match (&in_file, present) {
        (None, true) => true,
        (None, false) => false,
        (Some(v), false) => !v.is_empty(),
        (Some(v), true) => *v != value,
    };
    let mut changed = write_file;
    if !write_file && args.reload {
        changed |= current.as_deref().is_none_or(|c| !same(c, &value));
    }
    let mut set_proc = false;
    if args.sysctl_set && present {
        match &current {
            None => changed = true,
            Some(c) if !same(c, &value) => (changed, set_proc) = (true, true),
            Some(_) => {}
        }
    }
    let mut data = Vars::new();
    if !ctx.check_mode {
        if set_proc {
            set_value(ctx, &args, &name, &value).await?;
        }
        if write_file {
            let after = textfile::join_lines(&lines);
            let path = real_path(ctx, &args.sysctl_file).await?;
            let opts = textfile::WriteOpts::default();
            textfile::replace(ctx, &path, text.as_deref(), &after, opts, &mut data).await?;
        }
        if changed && args.reload {
            reload(ctx, &args).await?;
        }
    }
    Ok(ModuleResult::changed(Vars::new(), changed))
}

/// The key's value in the running kernel (`None`: unknown key).
async fn current_value(ctx: &ModuleCtx<'_>, name: &str) -> Result<Option<String>, ModuleResult> {
    let cmd = format!("LANG=C LC_ALL=C sysctl -e -n {}", quote(name));
    let out = ctx
        .exec(&cmd)
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?;
    Ok((out.rc == 0).then_some(out.stdout))
}

/// The file the path resolves to (Ansible writes through symlinks).
async fn real_path(ctx: &ModuleCtx<'_>, path: &str) -> Result<String, ModuleResult> {
    let out = host::run(ctx, &format!("realpath -m -- {}", quote(path))).await?;
    Ok(out.trim().to_string())
}

/// Whether sysctl's stderr reports a key it could not set (it may still exit 0).
fn stderr_failed(err: &str) -> bool {
    err.lines().any(|l| {
        l.starts_with("sysctl: setting key \"")
            && (l.ends_with("\": Invalid argument") || l.ends_with("\": Read-only file system"))
    })
}

async fn set_value(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    name: &str,
    value: &str,
) -> Result<(), ModuleResult> {
    let assignment = quote(&format!("{name}={value}"));
    let failed = format!("setting {name} failed: ");
    sysctl(ctx, args, &format!("-w {assignment}"), &failed).await
}

async fn reload(ctx: &ModuleCtx<'_>, args: &Args) -> Result<(), ModuleResult> {
    let file = quote(&args.sysctl_file);
    sysctl(
        ctx,
        args,
        &format!("-p {file}"),
        "Failed to reload sysctl: ",
    )
    .await
}

/// Runs `sysctl [-e] WHAT` in the C locale; a failure (or a key it could not set) fails the
/// task with `failed` and sysctl's output.
async fn sysctl(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    what: &str,
    failed: &str,
) -> Result<(), ModuleResult> {
    let e = if args.ignoreerrors { " -e" } else { "" };
    let cmd = format!("LANG=C LC_ALL=C sysctl{e} {what}");
    let out = ctx
        .exec(&cmd)
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?;
    if out.rc != 0 || stderr_failed(&out.stderr) {
        return Err(ModuleResult::failed(format!(
            "{failed}{}{}",
            out.stdout, out.stderr
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_rewritten_as_ansible_does() {
        let text = "# comment\nvm.swappiness = 10\nnet.a=1\nnet.a=2\n";
        let (lines, before) = fix_lines(text, "net.a", Some("5"));
        assert_eq!(lines, ["# comment", "vm.swappiness=10", "net.a=5"]);
        assert_eq!(before.as_deref(), Some("2"));
        let (lines, _) = fix_lines(text, "net.b", Some("1"));
        assert_eq!(lines.last().unwrap(), "net.b=1");
        let (lines, _) = fix_lines(text, "vm.swappiness", None);
        assert_eq!(lines, ["# comment", "net.a=1"]);
        assert_eq!(normalise(Some(&Json::Bool(true))), "1");
        assert_eq!(normalise(Some(&Json::from(" 4096 8192 "))), "4096 8192");
        assert_eq!(normalise(Some(&Json::from(1))), "1");
        assert!(same("4096\t8192\n", "4096 8192"));
    }
}
