//! `copy` with `remote_src: true`: the source is on the host. A file is compared by sha1,
//! copied beside the destination (mode and times kept), validated, then moved into place; a
//! directory is copied when `diff -r` finds it differs from the destination tree.

use crate::connection::quote;
use crate::modules::copy_args::Args;
use crate::modules::host::put::HasOpts;
use crate::modules::host::{self, transfer, Attrs};
use crate::modules::{ModuleCtx, ModuleResult, Outcome};
use crate::vars::Vars;

/// Copies the host's `src` to `args.dest`.
pub(crate) async fn run(ctx: &ModuleCtx<'_>, args: &Args, src: &str) -> Outcome {
    let st = host::stat(ctx, src, true).await?;
    if !st.exists {
        return Err(ModuleResult::failed(format!("Source {src} not found")));
    }
    if st.is_dir() {
        return copy_dir(ctx, args, src).await;
    }
    let mut dest = args.dest.clone();
    let mut dest_st = host::stat(ctx, &dest, true).await?;
    if dest_st.is_dir() || dest.ends_with('/') {
        let name = src.trim_end_matches('/').rsplit('/').next().unwrap_or(src);
        dest = format!("{}/{name}", dest.trim_end_matches('/'));
        dest_st = host::stat(ctx, &dest, true).await?;
    }
    let differs = dest_st.sha1 != st.sha1;
    let mut changed = false;
    let mut data = Vars::new();
    if !dest_st.exists || (differs && args.force()) {
        changed = true;
        if !ctx.check_mode {
            if args.backup() && dest_st.exists {
                data.insert(
                    "backup_file".into(),
                    crate::modules::host::put::backup(ctx, &dest).await?.into(),
                );
            }
            let tmp = temp_beside(&dest);
            let copy = format!(
                "cp --preserve=mode,timestamps -- {} {}",
                quote(src),
                quote(&tmp)
            );
            host::run(ctx, &copy).await?;
            dest_st = transfer::place(ctx, &tmp, &dest, args.validate()).await?;
        }
    }
    let mut attrs = args.attrs().clone();
    if attrs.mode.as_deref() == Some("preserve") {
        attrs.mode = Some(st.mode.clone());
    }
    changed |= host::fix_attrs(ctx, &dest, &dest_st, &attrs).await?;
    if changed && !ctx.check_mode {
        dest_st = host::stat(ctx, &dest, false).await?;
    }
    let mut out = host::path_result(&dest, &dest_st);
    out.remove("path");
    out.insert("dest".into(), dest.into());
    out.insert("src".into(), src.into());
    if let Some(sum) = st.sha1 {
        out.insert("checksum".into(), sum.into());
    }
    out.extend(data);
    Ok(ModuleResult {
        changed,
        data: out,
        ..Default::default()
    })
}

/// A host directory: `src/` copies its contents into `dest`, `src` the directory itself.
async fn copy_dir(ctx: &ModuleCtx<'_>, args: &Args, src: &str) -> Outcome {
    let dest = args.dest.trim_end_matches('/');
    let target = if src.ends_with('/') {
        dest.to_string()
    } else {
        let name = src.trim_end_matches('/').rsplit('/').next().unwrap_or(src);
        format!("{dest}/{name}")
    };
    let (s, t) = (quote(src.trim_end_matches('/')), quote(&target));
    let same = host::run(
        ctx,
        &format!("if diff -r -q -- {s} {t} >/dev/null 2>&1; then echo same; fi"),
    )
    .await?;
    let mut changed = same.trim() != "same";
    if changed && !ctx.check_mode {
        let follow = if args.local_follow { "-L" } else { "-P" };
        let script = format!(
            "set -e; mkdir -p -- {t}; cp -R {follow} --preserve=mode,timestamps -- {s}/. {t}/"
        );
        host::run(ctx, &script).await?;
    }
    let recursive = Attrs {
        mode: None,
        ..args.attrs().clone()
    };
    if recursive.owner.is_some() || recursive.group.is_some() {
        let owner = [recursive.owner.as_deref(), recursive.group.as_deref()];
        changed |= chown_tree(ctx, &target, owner).await?;
    }
    let top = host::stat(ctx, &target, false).await?;
    let mode_only = Attrs {
        owner: None,
        group: None,
        ..args.attrs().clone()
    };
    changed |= host::fix_attrs(ctx, &target, &top, &mode_only).await?;
    let mut data = Vars::new();
    data.insert("dest".into(), target.into());
    data.insert("src".into(), src.into());
    Ok(ModuleResult {
        changed,
        data,
        ..Default::default()
    })
}

/// Gives everything under `path` the owner and group asked (`[owner, group]`) when anything
/// there has another; true if so.
async fn chown_tree(
    ctx: &ModuleCtx<'_>,
    path: &str,
    [owner, group]: [Option<&str>; 2],
) -> Result<bool, ModuleResult> {
    let p = quote(path);
    let mut find = format!("find {p} \\(");
    let mut spec = owner.map(quote).unwrap_or_default();
    if let Some(o) = owner {
        find.push_str(&format!(" ! -user {}", quote(o)));
    }
    if let Some(g) = group {
        let or = if owner.is_some() { " -o" } else { "" };
        find.push_str(&format!("{or} ! -group {}", quote(g)));
        spec.push_str(&format!(":{}", quote(g)));
    }
    find.push_str(" \\) -print -quit");
    let differs = !host::run(ctx, &find).await?.trim().is_empty();
    if differs && !ctx.check_mode {
        host::run(ctx, &format!("chown -R {spec} -- {p}")).await?;
    }
    Ok(differs)
}

/// A temporary name beside `dest`, for an atomic rename into place.
fn temp_beside(dest: &str) -> String {
    let dir = match dest.rfind('/') {
        Some(0) => "",
        Some(i) => &dest[..i],
        None => ".",
    };
    format!("{dir}/.ferry-{:016x}.tmp", rand::random::<u64>())
}
