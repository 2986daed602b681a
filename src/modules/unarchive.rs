//! `unarchive`: unpacks a tar (plain, gz, bz2, xz, zst) or zip archive into a directory on
//! the host with the host's own `tar` and `unzip`. The archive comes from the controller
//! (uploaded to a temporary directory first), from the host (`remote_src`), or from a URL
//! the host downloads. Nothing is unpacked when the destination already holds what the
//! archive does: `tar --diff` decides for tar (as Ansible's handler does), a comparison of
//! each member with the file there decides for zip. See `unarchive_handler.rs`.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::args::FileArgs;
use crate::modules::args::{file_arg_names, typed_file};
use crate::modules::get_url_fetch::{self, Request};
use crate::modules::host::transfer::{self, Source};
use crate::modules::host::{self, Attrs};
use crate::modules::net_args::{boolean, exclusive};
use crate::modules::unarchive_handler::{Handler, Options};
use crate::modules::{de_bool, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "unarchive",
    path_args: &["dest", "creates"],
    args: Some(file_arg_names::<Args>),
    check: Some(check),
    run: |ctx, args| Box::pin(typed_file("unarchive", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    src: String,
    dest: String,
    #[serde(default, deserialize_with = "de_bool")]
    remote_src: bool,
    /// The old name of `remote_src`, inverted.
    #[serde(default, deserialize_with = "crate::modules::args::de_opt_bool")]
    copy: Option<bool>,
    creates: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    list_files: bool,
    #[serde(default, deserialize_with = "de_bool")]
    keep_newer: bool,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    include: Vec<String>,
    #[serde(default)]
    extra_opts: Vec<String>,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    validate_certs: bool,
    /// Python's read buffer; the host's tools choose their own.
    #[allow(dead_code)]
    io_buffer_size: Option<Json>,
    /// Vault files are not decrypted by ferry's upload; accepted as Ansible's default (true).
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
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

fn check(args: &Vars) -> Result<(), ArgProblem> {
    const FLAGS: &[&str] = &[
        "copy",
        "decrypt",
        "keep_newer",
        "list_files",
        "remote_src",
        "validate_certs",
    ];
    boolean(args, "unarchive", FLAGS)?;
    exclusive(
        args,
        "unarchive",
        &[("include", "exclude"), ("copy", "remote_src")],
    )
}

async fn run(ctx: &ModuleCtx<'_>, mut args: Args) -> Outcome {
    if let Some(copy) = args.copy {
        args.remote_src = !copy;
    }
    if let Some(creates) = &args.creates {
        if host::stat(ctx, creates, false).await?.exists {
            let mut r = ModuleResult::ok(Vars::new());
            r.skipped = true;
            r.data.insert(
                "msg".into(),
                format!("skipped, since {creates} exists").into(),
            );
            return Ok(r);
        }
    }
    let dest_st = host::stat(ctx, &args.dest, false).await?;
    let dest_is_dir = dest_st.is_dir()
        || (dest_st.is_link()
            && host::run(
                ctx,
                &format!("[ -d {} ] && echo y; true", quote(&args.dest)),
            )
            .await?
            .trim()
                == "y");
    if !dest_is_dir {
        return Err(ModuleResult::failed(format!(
            "dest '{}' must be an existing dir",
            args.dest
        )));
    }
    let work = host::run(ctx, "mktemp -d").await?.trim().to_string();
    let result = unpack(ctx, &args, &work).await;
    host::run(ctx, &format!("rm -rf -- {}", quote(&work))).await?;
    result
}

/// Brings the archive to the host (into `work`), then unpacks it unless it is unpacked.
async fn unpack(ctx: &ModuleCtx<'_>, args: &Args, work: &str) -> Outcome {
    let src = archive_on_host(ctx, args, work).await?;
    let size = host::run(ctx, &format!("stat -c %s -- {}", quote(&src))).await?;
    if size.trim() == "0" {
        return Err(ModuleResult::failed(format!(
            "Invalid archive '{src}', the file is 0 bytes"
        )));
    }
    let opts = Options {
        src: &src,
        dest: &args.dest,
        work,
        extra_opts: &args.extra_opts,
        include: &args.include,
        exclude: &args.exclude,
        keep_newer: args.keep_newer,
        owner: args.attrs.owner.as_deref(),
        group: args.attrs.group.as_deref(),
        mode: args.attrs.mode.as_deref(),
    };
    let handler = Handler::pick(ctx, &opts).await?;
    let mut data = Vars::new();
    data.insert("handler".into(), handler.name().into());
    data.insert("dest".into(), args.dest.clone().into());
    data.insert("src".into(), src.clone().into());
    if ctx.check_mode && handler.is_tar() {
        let mut r = ModuleResult::ok(data);
        r.skipped = true;
        r.data.insert(
            "msg".into(),
            "remote module (unarchive) does not support check mode when using gtar".into(),
        );
        return Ok(r);
    }
    let files = handler.files(ctx, &opts).await?;
    let unarchived = handler.is_unarchived(ctx, &opts).await?;
    let mut changed = !unarchived;
    if !ctx.check_mode {
        if !unarchived {
            let extracted = handler.extract(ctx, &opts).await?;
            let rc = extracted.get("rc").and_then(Json::as_i64).unwrap_or(1);
            data.insert("extract_results".into(), Json::Object(extracted));
            if rc != 0 {
                let mut r =
                    ModuleResult::failed(format!("failed to unpack {src} to {}", args.dest));
                r.data.extend(data);
                return Err(r);
            }
        }
        changed |= fix_members(ctx, &args.dest, &files, &args.attrs).await?;
    }
    if args.list_files {
        data.insert("files".into(), files.into());
    }
    let st = host::stat(ctx, &args.dest, false).await?;
    let mut info = host::path_result(&args.dest, &st);
    info.remove("path");
    data.extend(info);
    let mut r = ModuleResult::ok(data);
    r.changed = changed;
    Ok(r)
}

/// The archive's path on the host: uploaded from the controller, downloaded from a URL, or
/// as given (`remote_src`).
async fn archive_on_host(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    work: &str,
) -> Result<String, ModuleResult> {
    if !args.remote_src {
        let Some(local) = host::put::find_local(ctx, &args.src, "files") else {
            return Err(ModuleResult::failed(format!(
                "Could not find or access '{}' on the Ansible Controller.",
                args.src
            )));
        };
        let path = format!("{work}/source");
        transfer::write(ctx, &path, Source::File(&local)).await?;
        return Ok(path);
    }
    if args.src.contains("://") {
        return download(ctx, args, work).await;
    }
    if !host::stat(ctx, &args.src, false).await?.exists {
        return Err(ModuleResult::failed(format!(
            "Source '{}' does not exist",
            args.src
        )));
    }
    Ok(args.src.clone())
}

/// `remote_src` with a URL: the host downloads it into `work`.
async fn download(ctx: &ModuleCtx<'_>, args: &Args, work: &str) -> Result<String, ModuleResult> {
    let req = Request {
        url: &args.src,
        timeout: 10,
        validate_certs: args.validate_certs,
        use_proxy: true,
        use_netrc: true,
        decompress: true,
        agent: "ansible-httpget",
        tmp_dir: work,
        ..Default::default()
    };
    let resp = get_url_fetch::fetch(ctx, &req).await?;
    let ok_scheme = args.src.starts_with("file:/");
    if !((resp.status == 200 || ok_scheme) && resp.rc == 0) {
        let why = match resp.status {
            0 | 200 => resp.error.clone(),
            _ => resp.reason(),
        };
        return Err(ModuleResult::failed(format!(
            "Failure downloading {}, {why}",
            args.src
        )));
    }
    Ok(resp.tmp)
}

/// mode/owner/group on every member (and the top directories), as Ansible sets them after
/// unpacking; true if any changed. Symlinks keep their mode.
async fn fix_members(
    ctx: &ModuleCtx<'_>,
    dest: &str,
    files: &[String],
    attrs: &Attrs,
) -> Result<bool, ModuleResult> {
    let owner = attrs.owner.as_deref();
    let group = attrs.group.as_deref();
    if attrs.mode.is_none() && owner.is_none() && group.is_none() {
        return Ok(false);
    }
    let mut script = format!(
        "cd {} || exit 1; c=0; while IFS= read -r f; do [ -e \"$f\" ] || [ -L \"$f\" ] || continue; \
         b=$(stat -c '%a %U %G' -- \"$f\"); ",
        quote(dest)
    );
    if let Some(mode) = &attrs.mode {
        script.push_str(&format!(
            "[ -L \"$f\" ] || chmod {} -- \"$f\" || exit 1; ",
            quote(mode)
        ));
    }
    let spec = match (owner, group) {
        (Some(o), Some(g)) => Some(format!("{}:{}", quote(o), quote(g))),
        (Some(o), None) => Some(quote(o)),
        (None, Some(g)) => Some(format!(":{}", quote(g))),
        (None, None) => None,
    };
    if let Some(spec) = spec {
        script.push_str(&format!("chown -h {spec} -- \"$f\" || exit 1; "));
    }
    script.push_str("[ \"$(stat -c '%a %U %G' -- \"$f\")\" = \"$b\" ] || c=1; done; echo $c");
    let mut list: Vec<String> = files
        .iter()
        .map(|f| f.trim_end_matches('/').to_string())
        .collect();
    for f in files {
        if let Some((top, _)) = f.split_once('/') {
            if !list.iter().any(|l| l == top) {
                list.push(top.to_string());
            }
        }
    }
    let input = list.join("\n") + "\n";
    let out = ctx
        .exec_stdin(&script, input.as_bytes())
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?;
    if out.rc != 0 {
        return Err(ModuleResult::failed(format!(
            "Unexpected error when accessing exploded file: {}",
            out.stderr.trim()
        )));
    }
    Ok(out.stdout.trim() == "1")
}
