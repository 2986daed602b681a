//! What the text-editing modules (`replace`, `blockinfile`, `ini_file`, `assemble`) share:
//! reading a file's text in its `encoding`, writing the edited text back through
//! [`put_file`] (checksum first, validate, backup, attributes, diff) with the result keys and
//! messages those Ansible modules return.

use base64::Engine;

use crate::connection::quote;
use crate::modules::host::put::{put, HasOpts};
use crate::modules::host::stat::RemoteStat;
use crate::modules::host::transfer::{Source, Validate};
use crate::modules::host::{self, Attrs};
use crate::modules::{ModuleCtx, ModuleResult, Outcome};
use crate::vars::Vars;
use serde_json::{json, Map, Value as Json};

/// How an edited file is written: its attributes, `backup`, `validate`.
pub(crate) struct WriteOpts<'a> {
    pub attrs: &'a Attrs,
    pub backup: bool,
    pub validate: Option<&'a str>,
}

impl HasOpts for WriteOpts<'_> {
    fn attrs(&self) -> &Attrs {
        self.attrs
    }
    fn force(&self) -> bool {
        true
    }
    fn backup(&self) -> bool {
        self.backup
    }
    fn validate(&self) -> Option<Validate<'_>> {
        Some(Validate {
            command: self.validate?,
            failed: |rc, _, stderr| {
                ModuleResult::failed(format!("failed to validate: rc:{rc} error:{stderr}"))
            },
        })
    }
}

/// Whether `encoding` is UTF-8 (or ASCII, its subset): read and written as bytes.
fn is_utf8(encoding: &str) -> bool {
    let e = encoding.to_ascii_lowercase().replace(['-', '_'], "");
    matches!(e.as_str(), "utf8" | "ascii" | "usascii")
}

/// A Python codec name as `iconv` knows it (Python's `latin-1` is iconv's `LATIN1`).
fn iconv_name(encoding: &str) -> String {
    let bare = encoding.to_ascii_lowercase().replace(['-', '_', ' '], "");
    match bare.as_str() {
        "latin1" | "l1" | "iso88591" | "8859" | "cp819" => "LATIN1".into(),
        _ if bare.starts_with("iso8859") => format!("ISO-8859-{}", &bare[7..]),
        _ if bare.starts_with("cp") || bare.starts_with("utf") => bare.to_uppercase(),
        _ => encoding.to_string(),
    }
}

/// The file's stat, and its text decoded from `encoding` (`iconv` on the host for anything
/// but UTF-8); `None` when nothing is there.
pub(crate) async fn read_text(
    ctx: &ModuleCtx<'_>,
    path: &str,
    encoding: &str,
) -> Result<Option<(RemoteStat, String)>, ModuleResult> {
    let st = host::stat(ctx, path, true).await?;
    if !st.exists {
        return Ok(None);
    }
    let bytes = if is_utf8(encoding) {
        host::read(ctx, path).await?
    } else {
        let (e, p) = (quote(&iconv_name(encoding)), quote(path));
        let script = format!(
            "iconv -f {e} -t UTF-8 -- {p} >/dev/null && iconv -f {e} -t UTF-8 -- {p} | base64 -w0; echo"
        );
        decode(&host::run(ctx, &script).await?, path)?
    };
    Ok(Some((st, String::from_utf8_lossy(&bytes).into_owned())))
}

fn decode(b64: &str, what: &str) -> Result<Vec<u8>, ModuleResult> {
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|e| ModuleResult::failed(format!("cannot decode {what}: {e}")))
}

/// `text` encoded in `encoding` (by `iconv` on the host for anything but UTF-8).
async fn encode(ctx: &ModuleCtx<'_>, text: &str, encoding: &str) -> Result<Vec<u8>, ModuleResult> {
    if is_utf8(encoding) {
        return Ok(text.as_bytes().to_vec());
    }
    let script = format!(
        "iconv -f UTF-8 -t {} | base64 -w0; echo",
        quote(&iconv_name(encoding))
    );
    let out = ctx
        .exec_stdin(&script, text.as_bytes())
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?;
    if out.rc != 0 {
        return Err(ModuleResult::failed(format!(
            "cannot encode as {encoding}: {}",
            out.stderr.trim()
        )));
    }
    decode(&out.stdout, encoding)
}

/// Writes the edit to `path` when its content changed, then fixes the file's attributes;
/// the result holds `changed`, `msg` (with Ansible's note when attributes changed),
/// `backup_file` and `diff`. `before` is the file's stat before the edit (`None`: absent).
pub(crate) async fn write_text(
    ctx: &ModuleCtx<'_>,
    opts: &WriteOpts<'_>,
    path: &str,
    encoding: &str,
    edit: Edit<'_>,
    before: Option<&RemoteStat>,
) -> Outcome {
    let mut data = Vars::new();
    let mut now = before.cloned();
    let mut texts = (edit.text.to_string(), edit.text.to_string());
    if edit.content_changed {
        let bytes = encode(ctx, edit.text, encoding).await?;
        let content_only = WriteOpts {
            attrs: &Attrs::default(),
            backup: opts.backup,
            validate: opts.validate,
        };
        let p = put(ctx, &content_only, Source::Bytes(&bytes), path).await?;
        if let Some(b) = p.result.data.get("backup_file") {
            data.insert("backup_file".into(), b.clone());
        }
        let text = |k: &str| {
            p.content
                .as_ref()
                .and_then(|c| c.get(k)?.as_str().map(str::to_string))
        };
        texts = (
            text("before").unwrap_or_default(),
            text("after").unwrap_or_default(),
        );
        if !ctx.check_mode {
            now = Some(host::stat(ctx, path, false).await?);
        }
    }
    let now = now.filter(|st| st.exists);
    let attrs = match &now {
        Some(st) => Some(host::attrs_changes(ctx, st, opts.attrs, None).await?),
        None => None,
    };
    let attrs_changed = match now {
        Some(st) => host::fix_attrs(ctx, path, &st, opts.attrs).await?,
        None => false,
    };
    let texts = (texts.0.as_str(), texts.1.as_str());
    let diff = match edit.diff {
        EditDiff::Block => Some(edit_diff(ctx, path, texts, attrs.filter(|_| before.is_some() || !ctx.check_mode))),
        EditDiff::Ini => Some(edit_diff(ctx, path, texts, None)),
        EditDiff::Replace => (ctx.diff_mode() && edit.content_changed).then(|| {
            json!({"before_header": path, "before": texts.0, "after_header": path, "after": texts.1})
        }),
    };
    if let Some(d) = diff {
        data.insert("diff".into(), d);
    }
    let msg = match (edit.content_changed, attrs_changed) {
        (true, true) => format!("{} and {ATTRS_CHANGED}", edit.msg),
        (false, true) => ATTRS_CHANGED.to_string(),
        _ => edit.msg.to_string(),
    };
    data.insert("msg".into(), msg.into());
    Ok(ModuleResult {
        changed: edit.content_changed || attrs_changed,
        data,
        ..Default::default()
    })
}

/// The diff lineinfile, blockinfile and ini_file register: the text before and after (both
/// empty without `--diff`) under `PATH (content)` headers; with `attrs`, a list of it and the
/// attribute changes under `PATH (file attributes)` headers.
pub(crate) fn edit_diff(
    ctx: &ModuleCtx<'_>,
    path: &str,
    (before, after): (&str, &str),
    attrs: Option<(Map<String, Json>, Map<String, Json>)>,
) -> Json {
    let (before, after) = if ctx.diff_mode() {
        (before, after)
    } else {
        ("", "")
    };
    let header = format!("{path} (content)");
    let content =
        json!({"before": before, "after": after, "before_header": header, "after_header": header});
    let Some((was, now)) = attrs else {
        return content;
    };
    let header = format!("{path} (file attributes)");
    let mut changes = json!({"before_header": header, "after_header": header});
    if !was.is_empty() {
        changes["before"] = Json::Object(was);
        changes["after"] = Json::Object(now);
    }
    json!([content, changes])
}

const ATTRS_CHANGED: &str = "ownership, perms or SE linux context changed";

/// A failure with Ansible's `rc` for it (257: no such file; 256: a directory).
pub(crate) fn rc_failure(rc: i32, msg: String) -> ModuleResult {
    let mut r = ModuleResult::failed(msg);
    r.data.insert("rc".into(), rc.into());
    r
}

/// A module's edit of a file's text.
pub(crate) struct Edit<'a> {
    /// The text the file should hold.
    pub text: &'a str,
    /// The module's message for it.
    pub msg: &'a str,
    /// Whether `text` differs from the file's.
    pub content_changed: bool,
    /// The shape of the diff the module registers.
    pub diff: EditDiff,
}

/// The diff a text-editing module registers, as its Ansible module builds it.
pub(crate) enum EditDiff {
    /// blockinfile's: see [`edit_diff`], with the attributes.
    Block,
    /// ini_file's: see [`edit_diff`], the content alone.
    Ini,
    /// replace's: `{before, after}` under the path as headers, when the content changes under
    /// `--diff`; nothing otherwise.
    Replace,
}
