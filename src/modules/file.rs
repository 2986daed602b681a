//! `file`: makes a path be a file, a directory, a link, touched, or absent, with mode and
//! owner; changes only what differs.

use serde::Deserialize;

use crate::connection::quote;
use crate::modules::host::{self, Attrs};
use crate::modules::{
    argnames, de_bool, parse_parts, refuse_flag, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec,
    DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "file",
    check: Some(check),
    args: Some(|| [argnames::of::<Args>(), argnames::of::<Attrs>()].concat()),
    run: |ctx, args| Box::pin(run(ctx, args)),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    #[serde(alias = "dest", alias = "name")]
    path: String,
    state: Option<String>,
    src: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    force: bool,
    #[serde(default, deserialize_with = "de_bool")]
    recurse: bool,
    /// Only `true` (the default) is supported (see [`check`]).
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    #[allow(dead_code)]
    follow: bool,
    /// Read separately (serde names no fields of a flattened struct).
    #[serde(skip)]
    attrs: Attrs,
}

/// Mode and owner changes go through a symlink to its target (`follow: true`).
fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_flag(
        args,
        "file",
        "follow",
        false,
        "ferry changes the attributes of a symlink's target; remove 'follow: false'",
    )
}

async fn run(ctx: &ModuleCtx<'_>, args: Vars) -> ModuleResult {
    let args: Args = match parse_parts("file", args) {
        Ok((a, attrs)) => Args { attrs, ..a },
        Err(r) => return r,
    };
    let path = args.path.trim_end_matches('/').to_string();
    let path = if path.is_empty() {
        "/".to_string()
    } else {
        path
    };
    let st = match host::stat(ctx, &path, false).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let state = args.state.clone().unwrap_or_else(|| {
        if st.is_dir() {
            "directory"
        } else if st.is_link() {
            "link"
        } else {
            "file"
        }
        .to_string()
    });
    let p = quote(&path);
    let action: Option<String> = match state.as_str() {
        "absent" => st.exists.then(|| format!("rm -rf -- {p}")),
        "directory" if st.exists && !st.is_dir() => {
            return ModuleResult::failed(format!("{path} already exists as a {}", st.kind))
        }
        "directory" => (!st.exists).then(|| format!("mkdir -p -- {p}")),
        "file" if !st.exists => {
            return ModuleResult::failed(format!(
                "file ({path}) is absent, cannot continue"
            ))
        }
        "file" => None,
        "touch" => Some(format!("touch -- {p}")),
        "link" | "hard" => {
            let Some(src) = &args.src else {
                return ModuleResult::failed(format!("src is required for state={state}"));
            };
            let same = state == "link" && st.is_link() && st.link_target.as_deref() == Some(src);
            if st.exists && !st.is_link() && state == "link" && !args.force {
                return ModuleResult::failed(format!(
                    "refusing to convert from {} to symlink for {path}",
                    st.kind
                ));
            }
            let flag = if state == "link" { "-sfn" } else { "-f" };
            (!same).then(|| format!("ln {flag} -- {} {p}", quote(src)))
        }
        other => {
            return ModuleResult::failed(format!(
                "value of state must be one of: absent, directory, file, hard, link, touch, got: {other}"
            ))
        }
    };
    let mut changed = action.is_some();
    if let (Some(script), false) = (&action, ctx.check_mode) {
        if let Err(r) = host::run(ctx, script).await {
            return r;
        }
    }
    let mut st = st;
    if state != "absent" {
        if changed && !ctx.check_mode {
            st = match host::stat(ctx, &path, false).await {
                Ok(s) => s,
                Err(r) => return r,
            };
        }
        if state != "link" && (st.exists || !ctx.check_mode) {
            match host::fix_attrs(ctx, &path, &st, &args.attrs).await {
                Ok(c) => changed |= c,
                Err(r) => return r,
            }
            if args.recurse && state == "directory" && !ctx.check_mode {
                if let Err(r) = recurse(ctx, &path, &args.attrs).await {
                    return r;
                }
            }
        }
        if changed && !ctx.check_mode {
            if let Ok(s) = host::stat(ctx, &path, false).await {
                st = s;
            }
        }
    } else if changed {
        st = Default::default();
    }
    let mut data = host::path_result(&path, &st);
    if state == "link" {
        if let Some(src) = &args.src {
            data.insert("src".into(), src.clone().into());
        }
    }
    ModuleResult {
        changed,
        data,
        ..Default::default()
    }
}

/// `recurse: yes`: mode and owner on everything below (reported through the top directory).
async fn recurse(ctx: &ModuleCtx<'_>, path: &str, attrs: &Attrs) -> Result<(), ModuleResult> {
    let p = quote(path);
    let mut script = String::new();
    if let Some(m) = &attrs.mode {
        script.push_str(&format!("chmod -R {} -- {p}; ", quote(m)));
    }
    match (&attrs.owner, &attrs.group) {
        (Some(o), Some(g)) => {
            script.push_str(&format!("chown -R {}:{} -- {p}; ", quote(o), quote(g)))
        }
        (Some(o), None) => script.push_str(&format!("chown -R {} -- {p}; ", quote(o))),
        (None, Some(g)) => script.push_str(&format!("chgrp -R {} -- {p}; ", quote(g))),
        (None, None) => {}
    }
    if script.is_empty() {
        return Ok(());
    }
    host::run(ctx, &format!("set -e; {script}"))
        .await
        .map(|_| ())
}
