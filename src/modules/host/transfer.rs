//! Putting bytes into a file on the host, atomically: the data goes to a temporary file
//! beside the destination (over SFTP, or piped into `cat` on an exec channel), is checked to
//! be whole, takes the old file's mode and owner, and only then is renamed into place. A
//! connection that breaks mid-transfer leaves the old file as it was.
//!
//! Local files are streamed, never loaded whole; their sha1 is computed the same way and
//! remembered while the file's stamp stays the same (see `sums.rs`), however many hosts get
//! it and however many runs.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use super::stat::{self, RemoteStat};
use crate::connection::{quote, Input};
use crate::modules::{ModuleCtx, ModuleResult};

/// Where the bytes to write come from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source<'a> {
    /// Bytes made on the controller (`content`, a rendered template, an edited file).
    Bytes(&'a [u8]),
    /// A controller file, streamed.
    File(&'a Path),
}

impl Source<'_> {
    /// The sha1 of the data, hex.
    pub(crate) fn sha1(&self) -> Result<String, ModuleResult> {
        match self {
            Source::Bytes(b) => Ok(crate::checksum::sha1_hex(b)),
            Source::File(p) => file_sha1(p)
                .map_err(|e| ModuleResult::failed(format!("cannot read {}: {e}", p.display()))),
        }
    }

    /// The data, if it is text of at most `limit` bytes (for `--diff`).
    pub(crate) fn small_bytes(&self, limit: u64) -> Option<Vec<u8>> {
        match self {
            Source::Bytes(b) => Some(b.to_vec()),
            Source::File(p) => {
                let len = std::fs::metadata(p).ok()?.len();
                (len <= limit).then(|| std::fs::read(p).ok()).flatten()
            }
        }
    }

    async fn input(&self) -> Result<(Input, u64), ModuleResult> {
        match self {
            Source::Bytes(b) => Ok((Input::bytes(b), b.len() as u64)),
            Source::File(p) => {
                let cannot = |e: std::io::Error| {
                    ModuleResult::failed(format!("cannot read {}: {e}", p.display()))
                };
                let file = tokio::fs::File::open(p).await.map_err(cannot)?;
                let len = file.metadata().await.map_err(cannot)?.len();
                Ok((Input::file(Vec::new(), file), len))
            }
        }
    }
}

/// How file data reaches the host (`ansible_ssh_transfer_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    /// Over the connection's SFTP session (`sftp`, and `smart`, the default).
    Sftp,
    /// Piped into `cat` on an exec channel (`piped`; always under become).
    Piped,
}

fn method(ctx: &ModuleCtx<'_>) -> Method {
    if ctx.become_.is_some() {
        return Method::Piped; // SFTP would write as the login user
    }
    match ctx
        .vars
        .get("ansible_ssh_transfer_method")
        .and_then(|v| v.as_str())
    {
        Some("piped") => Method::Piped,
        _ => Method::Sftp,
    }
}

/// A command that must accept the new file before it replaces the old one (`validate`):
/// `%s` is the temporary file; the failure the module reports when it exits non-zero.
#[derive(Clone, Copy)]
pub(crate) struct Validate<'a> {
    pub command: &'a str,
    pub failed: fn(i32, &str, &str) -> ModuleResult,
}

/// Writes `src` to `dest` atomically (see the module docs); returns what is then at `dest`.
pub(crate) async fn write(
    ctx: &ModuleCtx<'_>,
    dest: &str,
    src: Source<'_>,
) -> Result<RemoteStat, ModuleResult> {
    write_validated(ctx, dest, src, None).await
}

/// [`write`], moving the file into place only when `validate` accepts it.
pub(crate) async fn write_validated(
    ctx: &ModuleCtx<'_>,
    dest: &str,
    src: Source<'_>,
    validate: Option<Validate<'_>>,
) -> Result<RemoteStat, ModuleResult> {
    let dir = match dest.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => dest[..i].to_string(),
        None => ".".to_string(),
    };
    let tmp = format!("{dir}/.ferry-{:016x}.tmp", rand::random::<u64>());
    let (input, size) = src.input().await?;
    let conn = ctx
        .conn
        .get()
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?;
    // Piped data is checked for its size on the host (a cut connection looks like a normal
    // end of file to `cat`); SFTP data was acknowledged write by write, so its count is
    // checked here.
    let finish = |check: Option<u64>| match validate {
        Some(_) => finish_script(&tmp, dest, check, false),
        None => format!(
            "{} && {}",
            finish_script(&tmp, dest, check, true),
            stat::stat_script(dest, stat::Checksum::None)
        ),
    };
    let out = match method(ctx) {
        Method::Sftp => match conn.sftp_put(&tmp, input).await {
            Some(Ok(written)) if written == size => ctx.exec(&finish(None)).await,
            Some(Ok(written)) => {
                let _ = ctx.exec(&format!("rm -f -- {}", quote(&tmp))).await;
                return Err(ModuleResult::failed(format!(
                    "cannot write {dest}: {written} of {size} bytes were sent"
                )));
            }
            Some(Err(e)) => {
                // The temp file may exist, partly written: remove it, best effort.
                let _ = ctx.exec(&format!("rm -f -- {}", quote(&tmp))).await;
                if !matches!(e, crate::connection::ConnError::Channel { .. }) {
                    return Err(ModuleResult::unreachable(&e));
                }
                // The connection is fine and SFTP says only "Failure" (a full disk, a
                // quota): written through `cat`, the host gives its own reason (or succeeds).
                let (input, _) = src.input().await?;
                piped(ctx, &tmp, &finish(Some(size)), input).await
            }
            None => {
                let (input, _) = src.input().await?;
                piped(ctx, &tmp, &finish(Some(size)), input).await
            }
        },
        Method::Piped => piped(ctx, &tmp, &finish(Some(size)), input).await,
    };
    let out = match (out, validate) {
        (Ok(out), Some(v)) if out.rc == 0 => validated(ctx, &tmp, dest, v).await?,
        (Ok(out), _) => out,
        (Err(e), _) => return Err(ModuleResult::unreachable(&e)),
    };
    if out.rc != 0 {
        let why = out.stderr.trim();
        return Err(ModuleResult::failed(format!("cannot write {dest}: {why}")));
    }
    stat::parse_stat(dest, &out.stdout)
}

/// Moves the temporary file `tmp` (beside `dest`) into place, once `validate` (if any)
/// accepted it; removes it otherwise. Returns what is then at `dest`.
pub(crate) async fn place(
    ctx: &ModuleCtx<'_>,
    tmp: &str,
    dest: &str,
    validate: Option<Validate<'_>>,
) -> Result<RemoteStat, ModuleResult> {
    let out = match validate {
        Some(v) => validated(ctx, tmp, dest, v).await?,
        None => {
            let script = format!(
                "{} && {}",
                finish_script(tmp, dest, None, true),
                stat::stat_script(dest, stat::Checksum::None)
            );
            ctx.exec(&script)
                .await
                .map_err(|e| ModuleResult::unreachable(&e))?
        }
    };
    if out.rc != 0 {
        let why = out.stderr.trim();
        return Err(ModuleResult::failed(format!("cannot write {dest}: {why}")));
    }
    stat::parse_stat(dest, &out.stdout)
}

/// Runs the `validate` command on the written temporary file, then moves it into place (and
/// stats it) if the command succeeded; removes it otherwise.
async fn validated(
    ctx: &ModuleCtx<'_>,
    tmp: &str,
    dest: &str,
    v: Validate<'_>,
) -> Result<crate::connection::ExecOutput, ModuleResult> {
    let command = v.command.replace("%s", &quote(tmp));
    let checked = ctx.exec(&command).await;
    if !matches!(&checked, Ok(out) if out.rc == 0) {
        let _ = ctx.exec(&format!("rm -f -- {}", quote(tmp))).await;
        return Err(match checked {
            Ok(out) => (v.failed)(out.rc, &out.stdout, &out.stderr),
            Err(e) => ModuleResult::unreachable(&e),
        });
    }
    let (qt, qd) = (quote(tmp), quote(dest));
    let script = format!(
        "{{ mv -f -- {qt} {qd} || {{ rc=$?; rm -f -- {qt}; exit $rc; }}; }} && {}",
        stat::stat_script(dest, stat::Checksum::None)
    );
    ctx.exec(&script)
        .await
        .map_err(|e| ModuleResult::unreachable(&e))
}

async fn piped(
    ctx: &ModuleCtx<'_>,
    tmp: &str,
    finish: &str,
    input: Input,
) -> Result<crate::connection::ExecOutput, crate::connection::ConnError> {
    let script = format!(
        "umask 022; cat > {} || {{ rc=$?; rm -f -- {}; exit $rc; }}; {finish}",
        quote(tmp),
        quote(tmp)
    );
    ctx.exec_input(&script, input).await
}

/// With `size`, checks the temp file is whole (a cut connection ends `cat`'s input early,
/// which looks like a normal end of file); gives it the old file's mode and owner, renames it.
/// With `rename` false the file stays at `tmp` (it is checked first: `validate`).
fn finish_script(tmp: &str, dest: &str, size: Option<u64>, rename: bool) -> String {
    let (qt, qd) = (quote(tmp), quote(dest));
    let check = match size {
        Some(size) => {
            let short = quote(&format!(
                "ferry: the transfer to {dest} was cut short; the file is unchanged"
            ));
            format!("{{ [ \"$(stat -c %s -- {qt})\" = {size} ] || {{ echo {short} >&2; false; }}; }} && ")
        }
        None => String::new(),
    };
    let keep = format!(
        "{check}{{ [ ! -e {qd} ] || {{ chmod --reference={qd} {qt}; chown --reference={qd} {qt}; }} 2>/dev/null || true; }}"
    );
    if !rename {
        return format!("{keep} || {{ rc=$?; rm -f -- {qt}; exit $rc; }}");
    }
    format!("{keep} && mv -f -- {qt} {qd} || {{ rc=$?; rm -f -- {qt}; exit $rc; }}")
}

/// sha1 of a local file, read in chunks. Remembered, in memory and in the sums file (as the
/// host `@controller`), while its inode, size, mtime and ctime stay the same, so a warm run
/// does not read a large file again.
pub(crate) fn file_sha1(path: &Path) -> std::io::Result<String> {
    use sha1::Digest;
    use std::os::unix::fs::MetadataExt;
    static MEMO: OnceLock<Mutex<HashMap<(PathBuf, String), String>>> = OnceLock::new();
    let meta = std::fs::metadata(path)?;
    let stamp = format!(
        "{}:{}:{}.{:09}:{}.{:09}",
        meta.ino(),
        meta.len(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ctime(),
        meta.ctime_nsec()
    );
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let name = abs.to_string_lossy();
    let key = (abs.clone(), stamp.clone());
    let memo = MEMO.get_or_init(Default::default);
    if let Some(sum) = memo.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(sum);
    }
    if let Some((st, sum)) = super::sums::get(CONTROLLER, &name) {
        if st == stamp {
            return Ok(sum);
        }
    }
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha1::Sha1::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let sum = hex::encode(hasher.finalize());
    super::sums::put(CONTROLLER, &name, &stamp, &sum);
    if let Ok(mut c) = memo.lock() {
        c.insert(key, sum.clone());
    }
    Ok(sum)
}

/// The sums file's name for the machine ferry runs on.
const CONTROLLER: &str = "@controller";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_sha1_matches_the_bytes_sha1() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [&[u8]; 3] = [b"", b"hello\n", &[7u8; 600 * 1024]];
        for (i, data) in cases.iter().enumerate() {
            let p = dir.path().join(format!("f{i}"));
            std::fs::write(&p, data).unwrap();
            assert_eq!(file_sha1(&p).unwrap(), crate::checksum::sha1_hex(data));
        }
    }

    #[test]
    fn finish_script_quotes_paths_and_checks_the_size() {
        let s = finish_script("/d/.ferry-1.tmp", "/d/it's", Some(42), true);
        assert!(s.contains("= 42 ]"), "{s}");
        assert!(s.contains("mv -f -- /d/.ferry-1.tmp '/d/it'\\''s'"), "{s}");
    }
}
