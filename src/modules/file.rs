//! `file`: makes a path be a file, a directory, a link, touched, or absent, with mode and
//! owner; changes only what differs.

use serde::Deserialize;

use crate::connection::quote;
use crate::modules::args::FileArgs;
use crate::modules::args::{file_arg_names, typed_file};
use crate::modules::file_diff::FileDiff;
use crate::modules::file_times::{self, Stamp};
use crate::modules::host::stat::RemoteStat;
use crate::modules::host::{self, Attrs};
use crate::modules::{de_bool, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS};

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "file",
    path_args: &["path", "dest", "name", "src"],
    args: Some(file_arg_names::<Args>),
    run: |ctx, args| Box::pin(typed_file("file", args, move |a| run(ctx, a))),
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
    /// `true`: a symlink's target gets the attributes (of a file, directory or touched path);
    /// `false`: the link itself (its owner; a link has no mode of its own).
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    follow: bool,
    /// `now`, `preserve` or a time in `modification_time_format`.
    modification_time: Option<String>,
    #[serde(default = "time_format")]
    modification_time_format: String,
    /// `now`, `preserve` or a time in `access_time_format`.
    access_time: Option<String>,
    #[serde(default = "time_format")]
    access_time_format: String,
    /// Read separately (serde names no fields of a flattened struct).
    #[serde(skip)]
    attrs: Attrs,
}

impl FileArgs for Args {
    fn with_attrs(self, attrs: Attrs) -> Self {
        Args { attrs, ..self }
    }
}

/// Ansible's default `*_time_format` (`touch -t`'s).
fn time_format() -> String {
    "%Y%m%d%H%M.%S".into()
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> ModuleResult {
    converge(ctx, &args).await.unwrap_or_else(|r| r)
}

/// Looks at the path, changes what differs from `state` and the attributes, and reports.
async fn converge(ctx: &ModuleCtx<'_>, args: &Args) -> Result<ModuleResult, ModuleResult> {
    let path = match args.path.trim_end_matches('/') {
        "" => "/".to_string(),
        p => p.to_string(),
    };
    let mut path = path;
    let mut st = host::stat(ctx, &path, false).await?;
    let follows = matches!(args.state.as_deref(), Some("file" | "directory" | "touch"));
    if args.follow && st.is_link() && follows {
        let target = host::run(ctx, &format!("readlink -f -- {}", quote(&path))).await?;
        path = target.trim_end_matches('\n').to_string();
        st = host::stat(ctx, &path, false).await?;
    }
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
    let mtime = Stamp::read(
        args.modification_time.as_deref(),
        &args.modification_time_format,
        &state,
    )?;
    let atime = Stamp::read(
        args.access_time.as_deref(),
        &args.access_time_format,
        &state,
    )?;
    let src_st = match (&args.src, state.as_str()) {
        (Some(src), "link" | "hard") => {
            Some(host::stat(ctx, &link_source(src, &path), false).await?)
        }
        _ => None,
    };
    let action = action(args, &state, &path, &st, src_st.as_ref())?;
    let mut diff = FileDiff::new(ctx, &path, &state, &st).await?;
    if let (Some(src), "link", Some(_)) = (&args.src, state.as_str(), &action) {
        diff.link(&st, src);
    }
    let mut changed = action.is_some();
    if let (Some(script), false) = (&action, ctx.check_mode) {
        host::run(ctx, script).await?;
    }
    if state != "absent" {
        let times = (&mtime, &atime);
        changed = settle(
            ctx,
            args,
            (&state, &path),
            times,
            &mut st,
            changed,
            &mut diff,
        )
        .await?;
    } else if changed {
        st = Default::default();
    }
    let mut data = host::path_result(&path, &st);
    if state == "link" {
        if let Some(src) = &args.src {
            data.insert("src".into(), src.clone().into());
        }
    }
    // A path already absent gets no diff from Ansible's file module.
    if state != "absent" || changed {
        data.insert("diff".into(), diff.into_json());
    }
    Ok(ModuleResult {
        changed,
        data,
        ..Default::default()
    })
}

/// After `state` is reached (`changed`): the times and the attributes, recorded in `diff`;
/// `st` becomes the path's stat after. Whether anything changed.
async fn settle(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    (state, path): (&str, &str),
    (mtime, atime): (&Stamp, &Stamp),
    st: &mut RemoteStat,
    mut changed: bool,
    diff: &mut FileDiff,
) -> Result<bool, ModuleResult> {
    if changed && !ctx.check_mode {
        *st = host::stat(ctx, path, false).await?;
    }
    if st.exists || !ctx.check_mode {
        changed |= file_times::apply(ctx, path, mtime, atime).await?;
    }
    let on_link = state == "link" || (!args.follow && st.is_link());
    let mut before = None;
    if on_link && st.exists {
        changed |= link_attrs(ctx, path, st, &args.attrs).await?;
    } else if state != "link" && (st.exists || !ctx.check_mode) {
        before = Some(st.clone());
        changed |= host::fix_attrs(ctx, path, st, &args.attrs).await?;
        if args.recurse && state == "directory" && !ctx.check_mode {
            recurse(ctx, path, &args.attrs).await?;
        }
    }
    if changed && !ctx.check_mode {
        if let Ok(s) = host::stat(ctx, path, false).await {
            *st = s;
        }
    }
    if let Some(before) = before {
        let after = (!ctx.check_mode).then_some(&*st);
        diff.attrs(host::attrs_changes(ctx, &before, &args.attrs, after).await?);
    }
    Ok(changed)
}

/// Where a link's `src` is: relative to the link's directory, as `ln -s` reads it.
fn link_source(src: &str, path: &str) -> String {
    match path.rsplit_once('/') {
        Some((dir, _)) if !src.starts_with('/') => format!("{dir}/{src}"),
        _ => src.to_string(),
    }
}

/// The command that brings `path` to `state` (`None`: nothing to do), or why it cannot.
fn action(
    args: &Args,
    state: &str,
    path: &str,
    st: &RemoteStat,
    src_st: Option<&RemoteStat>,
) -> Result<Option<String>, ModuleResult> {
    let p = quote(path);
    match state {
        "absent" => Ok(st.exists.then(|| format!("rm -rf -- {p}"))),
        "directory" if st.exists && !st.is_dir() => Err(ModuleResult::failed(format!(
            "{path} already exists as a {}",
            st.kind
        ))),
        "directory" => Ok((!st.exists).then(|| format!("mkdir -p -- {p}"))),
        "file" if !st.exists => Err(ModuleResult::failed(format!(
            "file ({path}) is absent, cannot continue"
        ))),
        "file" => Ok(None),
        // Its times are set after (file_times): `touch` only creates it.
        "touch" => Ok((!st.exists).then(|| format!("touch -- {p}"))),
        "link" | "hard" => link_action(args, state, path, st, src_st),
        other => Err(ModuleResult::failed(format!(
            "value of state must be one of: absent, directory, file, hard, link, touch, got: {other}"
        ))),
    }
}

/// `state: link` or `hard`: `ln` unless the link is already right (a symlink with the same
/// target, a hard link to the same inode).
fn link_action(
    args: &Args,
    state: &str,
    path: &str,
    st: &RemoteStat,
    src_st: Option<&RemoteStat>,
) -> Result<Option<String>, ModuleResult> {
    if args.src.is_none() && state == "link" && st.is_link() {
        return Ok(None); // the link keeps its target
    }
    let (Some(src), Some(src_st)) = (&args.src, src_st) else {
        return Err(ModuleResult::failed(format!(
            "src is required for state={state}"
        )));
    };
    if !src_st.exists && (state == "hard" || !args.force) {
        return Err(ModuleResult::failed(format!(
            "src file does not exist, use \"force=yes\" if you really want to create the link: {}",
            link_source(src, path)
        )));
    }
    let inode = |s: &RemoteStat| s.stamp.split(':').next().map(String::from);
    let same = match state {
        "link" => st.is_link() && st.link_target.as_deref() == Some(src),
        _ => st.exists && !st.is_link() && inode(st) == inode(src_st),
    };
    if st.exists && !st.is_link() && state == "link" && !args.force {
        return Err(ModuleResult::failed(format!(
            "refusing to convert from {} to symlink for {path}",
            st.kind
        )));
    }
    let (flag, src) = match state {
        "link" => ("-sfn", src.clone()),
        _ => ("-f", link_source(src, path)),
    };
    Ok((!same).then(|| format!("ln {flag} -- {} {}", quote(&src), quote(path))))
}

/// The owner and group of a symlink itself (`chown -h`). A link has no mode of its own:
/// `mode` leaves it unchanged, as Ansible does.
async fn link_attrs(
    ctx: &ModuleCtx<'_>,
    path: &str,
    st: &RemoteStat,
    attrs: &Attrs,
) -> Result<bool, ModuleResult> {
    let spec = host::files::chown_spec(st, attrs);
    if let (Some(spec), false) = (&spec, ctx.check_mode) {
        host::run(ctx, &format!("chown -h {spec} -- {}", quote(path))).await?;
    }
    Ok(spec.is_some())
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
