//! `assemble`: joins the fragment files of a directory, in name order, into one file (with an
//! optional `delimiter` between fragments and only names matching `regexp`), from a directory
//! on the host (the default) or on the controller (`remote_src: false`), and writes it only
//! if its checksum differs (validated, backed up, with the file's attributes). Ansible's
//! action cannot check: `--check` skips it with the action's message.

use base64::Engine;
use serde::Deserialize;

use crate::connection::quote;
use crate::modules::args::FileArgs;
use crate::modules::args::{file_arg_names, typed_file};
use crate::modules::host::put::{find_local, put_file};
use crate::modules::host::transfer::Source;
use crate::modules::host::{self, Attrs};
use crate::modules::textfile::WriteOpts;
use crate::modules::{de_bool, yes, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS};
use crate::template::{py_regex, PyRegexFlags};

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "assemble",
    path_args: &["src", "dest"],
    args: Some(file_arg_names::<Args>),
    run: |ctx, args| Box::pin(typed_file("assemble", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    src: String,
    dest: String,
    delimiter: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    backup: bool,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    remote_src: bool,
    regexp: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    ignore_hidden: bool,
    validate: Option<String>,
    /// Vault-encrypted fragments are not decrypted by ferry; the flag is accepted.
    #[serde(default = "yes", deserialize_with = "de_bool")]
    #[allow(dead_code)]
    decrypt: bool,
    /// Read separately (serde names no fields of a flattened struct).
    #[serde(skip)]
    attrs: Attrs,
}

impl FileArgs for Args {
    fn with_attrs(self, attrs: Attrs) -> Self {
        Args { attrs, ..self }
    }
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    if ctx.check_mode {
        let mut r = ModuleResult::failed("This action (assemble) does not support check mode.");
        (r.failed, r.skipped) = (false, true);
        return Ok(r);
    }
    let fragments = match args.remote_src {
        true => remote_fragments(ctx, &args.src).await?,
        false => local_fragments(ctx, &args.src)?,
    };
    let regexp = match &args.regexp {
        Some(r) => Some(
            py_regex(r, PyRegexFlags::default())
                .map_err(|e| ModuleResult::failed(format!("Invalid Regexp ({e}) in \"{r}\"")))?,
        ),
        None => None,
    };
    let chosen = fragments.into_iter().filter(|(name, _)| {
        let named = regexp
            .as_ref()
            .is_none_or(|re| re.is_match(name).unwrap_or(false));
        named && !(args.ignore_hidden && name.starts_with('.'))
    });
    let data = join(chosen.map(|(_, bytes)| bytes), args.delimiter.as_deref());
    let md5 = {
        use md5::Digest;
        hex::encode(md5::Md5::digest(&data))
    };
    let opts = WriteOpts {
        attrs: &args.attrs,
        backup: args.backup,
        validate: args.validate.as_deref(),
    };
    let mut r = put_file(ctx, &opts, Source::Bytes(&data), &args.dest).await;
    if !r.failed && !r.unreachable {
        r.data.insert("src".into(), args.src.into());
        r.data.insert("md5sum".into(), md5.into());
        // ansible-core 2.18's assemble registers no diff, --diff or not (checked with
        // ansible-playbook).
        r.data.shift_remove("diff");
        if args.remote_src {
            r.data.insert("msg".into(), "OK".into());
        }
    }
    Ok(r)
}

/// The fragments of a host directory: (name, bytes) of each regular file, in name order.
async fn remote_fragments(
    ctx: &ModuleCtx<'_>,
    src: &str,
) -> Result<Vec<(String, Vec<u8>)>, ModuleResult> {
    let s = quote(src);
    let script = format!(
        "if [ ! -e {s} ]; then echo missing; elif [ ! -d {s} ]; then echo notdir; else echo ok; \
         for f in {s}/* {s}/.*; do [ -f \"$f\" ] || continue; \
         printf '%s\\n' \"${{f##*/}}\" | base64 -w0; echo; base64 -w0 -- \"$f\"; echo; done; fi"
    );
    let out = host::run(ctx, &script).await?;
    let mut lines = out.lines();
    match lines.next() {
        Some("ok") => {}
        Some("notdir") => return Err(not_dir(src)),
        _ => {
            return Err(ModuleResult::failed(format!(
                "Source ({src}) does not exist"
            )))
        }
    }
    let engine = base64::engine::general_purpose::STANDARD;
    let mut fragments = Vec::new();
    while let (Some(name), Some(body)) = (lines.next(), lines.next()) {
        let name = engine.decode(name).unwrap_or_default();
        let name = String::from_utf8_lossy(&name)
            .trim_end_matches('\n')
            .to_string();
        fragments.push((name, engine.decode(body).unwrap_or_default()));
    }
    fragments.sort();
    Ok(fragments)
}

fn not_dir(src: &str) -> ModuleResult {
    ModuleResult::failed(format!("Source ({src}) is not a directory"))
}

/// `remote_src: false`: the fragments of a controller directory (found as `files/` are).
fn local_fragments(ctx: &ModuleCtx<'_>, src: &str) -> Result<Vec<(String, Vec<u8>)>, ModuleResult> {
    let dir = find_local(ctx, src, "files").ok_or_else(|| not_dir(src))?;
    let entries = std::fs::read_dir(&dir).map_err(|_| not_dir(src))?;
    let mut fragments = Vec::new();
    for e in entries.flatten() {
        let path = e.path();
        if path.is_file() {
            let bytes = std::fs::read(&path).map_err(|err| {
                ModuleResult::failed(format!("cannot read {}: {err}", path.display()))
            })?;
            fragments.push((e.file_name().to_string_lossy().into_owned(), bytes));
        }
    }
    fragments.sort();
    Ok(fragments)
}

/// The fragments joined as Ansible joins them: a newline after a fragment that lacks one,
/// and the delimiter (escapes decoded, newline-ended) between fragments.
fn join(fragments: impl Iterator<Item = Vec<u8>>, delimiter: Option<&str>) -> Vec<u8> {
    let delimiter = delimiter.filter(|d| !d.is_empty()).map(unescape);
    let (mut out, mut first, mut add_newline) = (Vec::new(), true, false);
    for f in fragments {
        if add_newline {
            out.push(b'\n');
        }
        if let Some(d) = delimiter.as_ref().filter(|_| !first) {
            out.extend_from_slice(d);
            if !d.ends_with(b"\n") {
                out.push(b'\n');
            }
        }
        out.extend_from_slice(&f);
        add_newline = !f.ends_with(b"\n");
        first = false;
    }
    out
}

/// Python's `codecs.escape_decode`: `\n`, `\t`, `\\`, `\xNN` and friends.
fn unescape(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some('n') => out.push(b'\n'),
            Some('t') => out.push(b'\t'),
            Some('r') => out.push(b'\r'),
            Some('0') => out.push(0),
            Some('\\') => out.push(b'\\'),
            Some('\'') => out.push(b'\''),
            Some('"') => out.push(b'"'),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(u8::from_str_radix(&hex, 16).unwrap_or(0));
            }
            Some(other) => {
                out.push(b'\\');
                let mut buf = [0; 4];
                out.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
            }
            None => out.push(b'\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_fragments_as_ansible() {
        let parts = || vec![b"a".to_vec(), b"b\n".to_vec(), b"c".to_vec()].into_iter();
        assert_eq!(join(parts(), None), b"a\nb\nc");
        assert_eq!(join(parts(), Some("--")), b"a\n--\nb\n--\nc");
        assert_eq!(join(parts(), Some("#\\n")), b"a\n#\nb\n#\nc");
    }
}
