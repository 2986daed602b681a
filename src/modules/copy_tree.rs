//! `copy` of a controller directory: `src/` copies its contents, `src` the directory itself.
//! Directories are created first (with `directory_mode` on the new ones), then each file goes
//! through `copy`'s one-file path; with `local_follow: false` symlinks become symlinks.

use std::path::Path;

use crate::connection::quote;
use crate::modules::copy_args::Args;
use crate::modules::host::put::{decrypted_local, put_file};
use crate::modules::host::{self, transfer::Source};
use crate::modules::{ModuleCtx, ModuleResult, Outcome};
use crate::vars::Vars;

/// What is under a controller directory, as paths relative to it.
#[derive(Debug, Default)]
struct Tree {
    files: Vec<String>,
    /// `""` is the directory itself.
    dirs: Vec<String>,
    /// Symlinks kept as links (`local_follow: false`) and their targets.
    links: Vec<(String, String)>,
}

/// Copies the local directory `local` under `args.dest`.
pub(crate) async fn run(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    local: &Path,
    contents_only: bool,
) -> Outcome {
    let dest = args.dest.trim_end_matches('/');
    let base = if contents_only {
        dest.to_string()
    } else {
        let name = local.file_name().unwrap_or_default().to_string_lossy();
        format!("{dest}/{name}")
    };
    let mut tree = Tree {
        dirs: vec![String::new()],
        ..Tree::default()
    };
    if let Err(e) = walk(local, "", args.local_follow, &mut tree) {
        let msg = format!("cannot read {}: {e}", local.display());
        return Ok(ModuleResult::failed(msg));
    }
    let mut changed = make_dirs(ctx, args, &base, &tree.dirs).await?;
    for rel in &tree.files {
        let path = local.join(rel);
        let plain = decrypted_local(&path, args.decrypt)?;
        let source = match &plain {
            Some(bytes) => Source::Bytes(bytes),
            None => Source::File(&path),
        };
        let r = put_file(ctx, args, source, &join(&base, rel)).await;
        if r.failed || r.unreachable {
            return Err(r);
        }
        changed |= r.changed;
    }
    for (rel, target) in &tree.links {
        changed |= put_link(ctx, &join(&base, rel), target).await?;
    }
    let mut data = Vars::new();
    data.insert("dest".into(), base.into());
    Ok(ModuleResult {
        changed,
        data,
        ..Default::default()
    })
}

/// Creates the missing directories (giving them `directory_mode`); true if any was missing.
async fn make_dirs(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    base: &str,
    dirs: &[String],
) -> Result<bool, ModuleResult> {
    let all: Vec<String> = dirs.iter().map(|d| quote(&join(base, d))).collect();
    let check = format!(
        "for d in {}; do [ -d \"$d\" ] || echo \"$d\"; done",
        all.join(" ")
    );
    let missing = host::run(ctx, &check).await?;
    let missing: Vec<String> = missing.lines().map(quote).collect();
    if missing.is_empty() || ctx.check_mode {
        return Ok(!missing.is_empty());
    }
    let mut script = format!("set -e; mkdir -p -- {}", missing.join(" "));
    if let Some(mode) = &args.directory_mode {
        script.push_str(&format!("; chmod {} -- {}", quote(mode), missing.join(" ")));
    }
    host::run(ctx, &script).await?;
    Ok(true)
}

/// Makes `path` a symlink to `target` unless it is one; true if it changed.
async fn put_link(ctx: &ModuleCtx<'_>, path: &str, target: &str) -> Result<bool, ModuleResult> {
    let st = host::stat(ctx, path, false).await?;
    if st.is_link() && st.link_target.as_deref() == Some(target) {
        return Ok(false);
    }
    if !ctx.check_mode {
        host::run(
            ctx,
            &format!("ln -sfn -- {} {}", quote(target), quote(path)),
        )
        .await?;
    }
    Ok(true)
}

fn join(base: &str, rel: &str) -> String {
    if rel.is_empty() {
        base.to_string()
    } else {
        format!("{base}/{rel}")
    }
}

/// Lists what is under `root/rel`, in name order; symlinks are followed with `follow`.
fn walk(root: &Path, rel: &str, follow: bool, tree: &mut Tree) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(root.join(rel))?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let child = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let kind = entry.file_type()?;
        if kind.is_symlink() && !follow {
            let target = std::fs::read_link(entry.path())?;
            tree.links
                .push((child, target.to_string_lossy().into_owned()));
        } else if std::fs::metadata(entry.path())?.is_dir() {
            tree.dirs.push(child.clone());
            walk(root, &child, follow, tree)?;
        } else {
            tree.files.push(child);
        }
    }
    Ok(())
}
