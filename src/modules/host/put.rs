//! Writing one file the way `copy`, `template` and `lineinfile` do ([`put_file`]): compare
//! checksums, write only what differs (atomically, validated, backed up), fix the file's
//! attributes, report the diff. Also what those modules share around it: `follow` through a
//! symlink, and finding a controller-side file along Ansible's search path.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::host::transfer::{self, Source, Validate};
use crate::modules::host::{self, Attrs};
use crate::modules::{IntoResult, ModuleCtx, ModuleResult, Outcome};
use crate::vars::Vars;

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
    if let Some(want) = args_attrs.expected_checksum().filter(|w| **w != checksum) {
        let mut r = ModuleResult::failed(
            "Copied file does not match the expected checksum. Transfer failed.",
        );
        r.data.insert("checksum".into(), checksum.into());
        r.data.insert("expected_checksum".into(), want.into());
        return Err(r);
    }
    let validate = args_attrs.validate();
    if let Some(v) = validate.filter(|v| !v.command.contains("%s")) {
        let msg = format!("validate must contain %s: {}", v.command);
        return Err(ModuleResult::failed(msg));
    }
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
            st = transfer::write_validated(ctx, &dest, data, validate).await?;
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
    /// The `validate` command and the failure its module reports.
    fn validate(&self) -> Option<Validate<'_>> {
        None
    }
    /// The sha1 the data must have (`checksum`).
    fn expected_checksum(&self) -> Option<&str> {
        None
    }
}

/// `follow: true`: the file a symlink at `dest` points to (`dest` itself otherwise).
pub(crate) async fn resolve_link(ctx: &ModuleCtx<'_>, dest: &str) -> Result<String, ModuleResult> {
    let d = quote(dest);
    let out = host::run(ctx, &format!("if [ -L {d} ]; then realpath -m -- {d}; fi")).await?;
    Ok(match out.trim_end_matches('\n') {
        "" => dest.to_string(),
        target => target.to_string(),
    })
}

/// `validate` as copy and template report its failure.
pub(crate) fn validation(command: Option<&str>) -> Option<Validate<'_>> {
    Some(Validate {
        command: command?,
        failed: |rc, stdout, stderr| {
            let mut r = ModuleResult::failed("failed to validate");
            r.data.insert("exit_status".into(), rc.into());
            r.data.insert("stdout".into(), stdout.into());
            r.data.insert("stderr".into(), stderr.into());
            r
        },
    })
}

pub(crate) async fn backup(ctx: &ModuleCtx<'_>, dest: &str) -> Result<String, ModuleResult> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let name = format!("{dest}.{stamp}.bak~");
    host::run(ctx, &format!("cp -p -- {} {}", quote(dest), quote(&name))).await?;
    Ok(name)
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

/// A controller file to copy, decrypted on the controller when it is a vaulted file (as
/// Ansible's copy does unless `decrypt: false`): `None` for a file sent as it is.
pub(crate) fn decrypted_local(path: &Path, decrypt: bool) -> Result<Option<Vec<u8>>, ModuleResult> {
    if !decrypt || !starts_with_vault_header(path) {
        return Ok(None);
    }
    let data = std::fs::read(path)
        .map_err(|e| ModuleResult::failed(format!("cannot read {}: {e}", path.display())))?;
    crate::vault::open_bytes(&data, &path.display().to_string())
        .map_err(|e| ModuleResult::failed(e.to_string()))
}

fn starts_with_vault_header(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 14];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == *b"$ANSIBLE_VAULT"
}
