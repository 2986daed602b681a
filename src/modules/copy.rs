//! `copy`: puts a local file, a directory tree or inline `content` on the host. It compares
//! sha1 checksums first and writes only what differs (atomically), then fixes mode and owner.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::host::transfer::{self, Source};
use crate::modules::host::{self, Attrs};
use crate::modules::{
    argnames, de_bool, typed_parts, IntoResult, ModuleCtx, ModuleResult, ModuleSpec, Outcome,
    DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "copy",
    written_path: Some(written_path),
    args: Some(|| [argnames::of::<Args>(), argnames::of::<Attrs>()].concat()),
    run: |ctx, args| {
        Box::pin(typed_parts(
            "copy",
            args,
            |a, attrs| Args { attrs, ..a },
            move |a| run(ctx, a),
        ))
    },
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    src: Option<String>,
    content: Option<Json>,
    dest: String,
    #[serde(default, deserialize_with = "de_bool")]
    backup: bool,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    force: bool,
    #[serde(default, deserialize_with = "de_bool")]
    remote_src: bool,
    directory_mode: Option<Json>,
    /// Read separately (serde names no fields of a flattened struct).
    #[serde(skip)]
    attrs: Attrs,
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> ModuleResult {
    if args.remote_src {
        return ModuleResult::failed("copy: remote_src is not supported by ferry yet");
    }
    let _ = &args.directory_mode;
    match (&args.src, &args.content) {
        (Some(_), Some(_)) => ModuleResult::failed("src and content are mutually exclusive"),
        (None, None) => ModuleResult::failed("src (or content) is required"),
        (None, Some(content)) => {
            let text = match content {
                Json::String(s) => s.clone(),
                other => crate::pyjson::dumps(other, None, false),
            };
            put_file(ctx, &args, Source::Bytes(text.as_bytes()), &args.dest).await
        }
        (Some(src), None) => {
            let Some(local) = find_local(ctx, src, "files") else {
                return ModuleResult::failed(format!(
                    "Could not find or access '{src}' on the Ansible Controller."
                ));
            };
            if local.is_dir() {
                return copy_tree(ctx, &args, &local, src.ends_with('/'))
                    .await
                    .into_result();
            }
            let dest = if args.dest.ends_with('/') {
                format!("{}{}", args.dest, file_name(&local))
            } else {
                args.dest.clone()
            };
            let mut r = put_file(ctx, &args, Source::File(&local), &dest).await;
            r.data
                .insert("src".into(), local.display().to_string().into());
            r
        }
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The file a `copy` or `template` task with these rendered arguments writes, when it is
/// known before the task runs (not for a directory copy or a directory `dest`).
pub(crate) fn written_path(args: &Vars) -> Option<&str> {
    let dest = args.get("dest").and_then(Json::as_str)?;
    let src = args.get("src").and_then(Json::as_str).unwrap_or("");
    (!dest.is_empty() && !dest.ends_with('/') && !src.ends_with('/')).then_some(dest)
}

/// Files larger than this get no `--diff` (Ansible's default `max_file_size_for_diff`, 100 kB,
/// is smaller; ferry shows a little more).
const DIFF_LIMIT: u64 = 256 * 1024;

/// Writes one file if its checksum differs; `dest` may be an existing directory.
pub(crate) async fn put_file(
    ctx: &ModuleCtx<'_>,
    args_attrs: &impl HasOpts,
    data: Source<'_>,
    dest: &str,
) -> ModuleResult {
    put(ctx, args_attrs, data, dest).await.into_result()
}

/// [`put_file`], stopping early with `?`.
async fn put(
    ctx: &ModuleCtx<'_>,
    args_attrs: &impl HasOpts,
    data: Source<'_>,
    dest: &str,
) -> Outcome {
    let mut dest = dest.to_string();
    let mut st = host::stat(ctx, &dest, true).await?;
    if st.is_dir() {
        return Ok(ModuleResult::failed(format!(
            "can not use content with a dir as dest: {dest}"
        )));
    }
    let checksum = data.sha1()?;
    let mut changed = false;
    let mut data_out = Vars::new();
    let differs = st.sha1.as_deref() != Some(checksum.as_str());
    if !st.exists || (differs && args_attrs.force()) {
        if ctx.diff_mode() {
            let before = if st.exists && st.size < DIFF_LIMIT {
                host::read(ctx, &dest).await.unwrap_or_default()
            } else {
                Vec::new()
            };
            let after = data.small_bytes(DIFF_LIMIT).unwrap_or_default();
            if let Some(d) = host::diff(&before, &after, &dest) {
                data_out.insert("diff".into(), d.into());
            }
        }
        if !ctx.check_mode {
            if args_attrs.backup() && st.exists {
                let b = backup(ctx, &dest).await?;
                data_out.insert("backup_file".into(), b.into());
            }
            st = transfer::write(ctx, &dest, data).await?;
        }
        changed = true;
    }
    let attrs = preserved(args_attrs.attrs(), data);
    let fixed = host::fix_attrs(ctx, &dest, &st, &attrs).await?;
    changed |= fixed;
    if !ctx.check_mode && fixed {
        if let Ok(s) = host::stat(ctx, &dest, false).await {
            st = s;
        }
    }
    if changed && !ctx.check_mode && st.is_file() {
        // What was just written needs no hashing on the next run.
        crate::modules::host::sums::put(ctx.host, &dest, &st.stamp, &checksum);
    }
    let mut out = host::path_result(&dest, &st);
    out.remove("path");
    dest = dest.trim_end_matches('/').to_string();
    out.insert("dest".into(), dest.into());
    out.insert("checksum".into(), checksum.into());
    out.extend(data_out);
    Ok(ModuleResult {
        changed,
        data: out,
        ..Default::default()
    })
}

/// `mode: preserve`: the local file's mode (for `content`, no mode is set).
fn preserved(attrs: &Attrs, data: Source<'_>) -> Attrs {
    let mut attrs = attrs.clone();
    if attrs.mode.as_deref() == Some("preserve") {
        attrs.mode = match data {
            Source::File(p) => {
                use std::os::unix::fs::PermissionsExt;
                std::fs::metadata(p)
                    .ok()
                    .map(|m| format!("{:04o}", m.permissions().mode() & 0o7777))
            }
            Source::Bytes(_) => None,
        };
    }
    attrs
}

/// What `put_file` needs from a module's arguments.
pub(crate) trait HasOpts {
    fn attrs(&self) -> &Attrs;
    fn force(&self) -> bool;
    fn backup(&self) -> bool;
}

impl HasOpts for Args {
    fn attrs(&self) -> &Attrs {
        &self.attrs
    }
    fn force(&self) -> bool {
        self.force
    }
    fn backup(&self) -> bool {
        self.backup
    }
}

async fn backup(ctx: &ModuleCtx<'_>, dest: &str) -> Result<String, ModuleResult> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let name = format!("{dest}.{stamp}.bak~");
    host::run(ctx, &format!("cp -p -- {} {}", quote(dest), quote(&name))).await?;
    Ok(name)
}

/// Copies a local directory: `src/` copies its contents, `src` the directory itself.
async fn copy_tree(ctx: &ModuleCtx<'_>, args: &Args, local: &Path, contents_only: bool) -> Outcome {
    let base = if contents_only {
        args.dest.trim_end_matches('/').to_string()
    } else {
        format!("{}/{}", args.dest.trim_end_matches('/'), file_name(local))
    };
    let mut files = Vec::new();
    let mut dirs = vec![String::new()];
    if let Err(e) = walk(local, "", &mut files, &mut dirs) {
        return Ok(ModuleResult::failed(format!(
            "cannot read {}: {e}",
            local.display()
        )));
    }
    let mkdirs: Vec<String> = dirs.iter().map(|d| quote(&join(&base, d))).collect();
    let check = format!(
        "for d in {}; do [ -d \"$d\" ] || echo \"$d\"; done",
        mkdirs.join(" ")
    );
    let missing = host::run(ctx, &check).await?;
    let mut changed = !missing.trim().is_empty();
    if changed && !ctx.check_mode {
        host::run(ctx, &format!("mkdir -p -- {}", mkdirs.join(" "))).await?;
    }
    for rel in files {
        let path = local.join(&rel);
        let r = put_file(ctx, args, Source::File(&path), &join(&base, &rel)).await;
        if r.failed || r.unreachable {
            return Err(r);
        }
        changed |= r.changed;
    }
    let mut data = Vars::new();
    data.insert("dest".into(), base.into());
    Ok(ModuleResult {
        changed,
        data,
        ..Default::default()
    })
}

fn join(base: &str, rel: &str) -> String {
    if rel.is_empty() {
        base.to_string()
    } else {
        format!("{base}/{rel}")
    }
}

fn walk(
    root: &Path,
    rel: &str,
    files: &mut Vec<String>,
    dirs: &mut Vec<String>,
) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(root.join(rel))?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let child = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        if entry.file_type()?.is_dir() {
            dirs.push(child.clone());
            walk(root, &child, files, dirs)?;
        } else {
            files.push(child);
        }
    }
    Ok(())
}

/// Finds a controller-side file as Ansible does: the role's `kind/` dir, the playbook's
/// `kind/` dir, the playbook dir, then the path as given.
pub(crate) fn find_local(ctx: &ModuleCtx<'_>, src: &str, kind: &str) -> Option<PathBuf> {
    let path = Path::new(src);
    if path.is_absolute() {
        return path.exists().then(|| path.to_path_buf());
    }
    let var = |k: &str| ctx.vars.get(k).and_then(Json::as_str).map(PathBuf::from);
    let mut candidates = Vec::new();
    if let Some(role) = var("role_path") {
        candidates.push(role.join(kind).join(src));
        candidates.push(role.join(src));
    }
    if let Some(pb) = var("playbook_dir") {
        candidates.push(pb.join(kind).join(src));
        candidates.push(pb.join(src));
    }
    candidates.push(path.to_path_buf());
    candidates.into_iter().find(|p| p.exists())
}
