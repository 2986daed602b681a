//! Writing one file the way `copy`, `template` and `lineinfile` do ([`put_file`]): compare
//! checksums, write only what differs (atomically, validated, backed up), fix the file's
//! attributes, report the diff. Also what those modules share around it: `follow` through a
//! symlink, and finding a controller-side file along Ansible's search path.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value as Json};

use crate::connection::quote;
use crate::modules::host::stat::RemoteStat;
use crate::modules::host::transfer::{self, Source, Validate};
use crate::modules::host::{self, Attrs};
use crate::modules::{ModuleCtx, ModuleResult};
use crate::vars::Vars;

/// Files larger than this get no `--diff` (Ansible's default `max_file_size_for_diff`).
const DIFF_LIMIT: u64 = 104_448;

/// Writes one file if its checksum differs; `dest` may be an existing directory. The result's
/// `diff` is what copy registers: under `--diff`, `[{before, after, …}]` when the content
/// changes; the file module's `{before: {path, …}, after: {path, …}}` when it does not.
pub(crate) async fn put_file(
    ctx: &ModuleCtx<'_>,
    args_attrs: &impl HasOpts,
    data: Source<'_>,
    dest: &str,
) -> ModuleResult {
    match put(ctx, args_attrs, data, dest).await {
        Ok(p) => {
            let mut r = p.result;
            let diff = match p.content {
                Some(content) => Json::Array(vec![Json::Object(content)]),
                None if p.written => Json::Array(Vec::new()),
                None => {
                    let side = |mut m: Map<String, Json>| {
                        m.insert("path".into(), p.path.clone().into());
                        Json::Object(m)
                    };
                    serde_json::json!({"before": side(p.attrs.0), "after": side(p.attrs.1)})
                }
            };
            r.data.insert("diff".into(), diff);
            r
        }
        Err(r) => r,
    }
}

/// What [`put`] did: the result, the content's diff entry (copy's, under `--diff`, when the
/// content changes) and the attributes' changes (before, after).
pub(crate) struct Put {
    pub result: ModuleResult,
    pub path: String,
    pub content: Option<Map<String, Json>>,
    /// Whether the content was (or would be) written.
    pub written: bool,
    pub attrs: (Map<String, Json>, Map<String, Json>),
}

/// [`put_file`] with its diff's parts apart, stopping early with `?`.
pub(crate) async fn put(
    ctx: &ModuleCtx<'_>,
    args_attrs: &impl HasOpts,
    data: Source<'_>,
    dest: &str,
) -> Result<Put, ModuleResult> {
    let mut dest = dest.to_string();
    let mut st = host::stat(ctx, &dest, true).await?;
    if st.is_dir() {
        return Err(ModuleResult::failed(format!(
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
    let mut content = None;
    let mut data_out = Vars::new();
    let differs = st.sha1.as_deref() != Some(checksum.as_str());
    let written = !st.exists || (differs && args_attrs.force());
    let mut changed = written;
    if written {
        if ctx.diff_mode() {
            content = Some(content_diff(ctx, &st, data, &dest).await);
        }
        if !ctx.check_mode {
            if args_attrs.backup() && st.exists {
                let b = backup(ctx, &dest).await?;
                data_out.insert("backup_file".into(), b.into());
            }
            st = transfer::write_validated(ctx, &dest, data, validate).await?;
        }
    }
    let attrs = preserved(args_attrs.attrs(), data);
    let before = st.clone();
    let fixed = host::fix_attrs(ctx, &dest, &st, &attrs).await?;
    changed |= fixed;
    if !ctx.check_mode && fixed {
        if let Ok(s) = host::stat(ctx, &dest, false).await {
            st = s;
        }
    }
    let attrs = host::attrs_changes(ctx, &before, &attrs, (!ctx.check_mode).then_some(&st)).await?;
    if changed && !ctx.check_mode && st.is_file() {
        // What was just written needs no hashing on the next run.
        crate::modules::host::sums::put(ctx.host, &dest, &st.stamp, &checksum);
    }
    let mut out = host::path_result(&dest, &st);
    out.remove("path");
    dest = dest.trim_end_matches('/').to_string();
    out.insert("dest".into(), dest.clone().into());
    out.insert("checksum".into(), checksum.into());
    out.extend(data_out);
    let result = ModuleResult {
        changed,
        data: out,
        ..Default::default()
    };
    Ok(Put {
        result,
        path: dest,
        content,
        written,
        attrs,
    })
}

/// The copy action's diff entry for `dest` (as `_get_diff_data` makes it): the file's text
/// before (`""` when absent) and the data's after, or notes on binary and too large files.
async fn content_diff(
    ctx: &ModuleCtx<'_>,
    st: &RemoteStat,
    data: Source<'_>,
    dest: &str,
) -> Map<String, Json> {
    let mut d = Map::new();
    if !st.exists {
        d.insert("before".into(), "".into());
    } else if st.size > DIFF_LIMIT {
        d.insert("dst_larger".into(), DIFF_LIMIT.into());
    } else {
        let before = host::read(ctx, dest).await.unwrap_or_default();
        if before[..before.len().min(8192)].contains(&0) {
            d.insert("dst_binary".into(), 1.into());
        } else {
            d.insert("before_header".into(), dest.into());
            d.insert("before".into(), String::from_utf8_lossy(&before).into());
        }
    }
    match data
        .small_bytes(DIFF_LIMIT)
        .filter(|b| b.len() as u64 <= DIFF_LIMIT)
    {
        None => {
            d.insert("src_larger".into(), DIFF_LIMIT.into());
        }
        Some(b) if b.contains(&0) => {
            d.insert("src_binary".into(), 1.into());
        }
        Some(b) => {
            let header = match data {
                Source::File(p) => p.display().to_string(),
                Source::Bytes(_) => dest.to_string(),
            };
            d.insert("after_header".into(), header.into());
            d.insert("after".into(), String::from_utf8_lossy(&b).into());
        }
    }
    d
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
