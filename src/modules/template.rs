//! `template`: renders a controller-side Jinja template with the host's variables and puts the
//! result on the host, like `copy` (checksum first, atomic write, mode and owner).

use serde::Deserialize;
use serde_json::Value as Json;

use crate::modules::args::FileArgs;
use crate::modules::args::{file_arg_names, typed_file};
use crate::modules::host::put::{find_local, put_file, resolve_link, validation, HasOpts};
use crate::modules::host::transfer::Source;
use crate::modules::host::transfer::Validate;
use crate::modules::host::Attrs;
use crate::modules::{de_bool, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS};
use crate::template::FileOptions;
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "template",
    path_args: &["dest"],
    action_paths: &["dest"],
    written_path: Some(super::copy::written_path),
    args: Some(file_arg_names::<Args>),
    run: |ctx, args| Box::pin(typed_file("template", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    src: String,
    dest: String,
    // How the file is read (see `template::FileOptions`); checked when rendering.
    trim_blocks: Option<Json>,
    lstrip_blocks: Option<Json>,
    newline_sequence: Option<Json>,
    block_start_string: Option<Json>,
    block_end_string: Option<Json>,
    variable_start_string: Option<Json>,
    variable_end_string: Option<Json>,
    comment_start_string: Option<Json>,
    comment_end_string: Option<Json>,
    /// Only UTF-8 is written.
    output_encoding: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    backup: bool,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    force: bool,
    /// A command that must accept the rendered file (`%s`) before it replaces `dest`.
    validate: Option<String>,
    /// Write through a symlink at `dest` to its target (instead of replacing the link).
    #[serde(default, deserialize_with = "de_bool")]
    follow: bool,
    /// Read separately (serde names no fields of a flattened struct).
    #[serde(skip)]
    attrs: Attrs,
}

impl FileArgs for Args {
    fn with_attrs(self, attrs: Attrs) -> Self {
        Args { attrs, ..self }
    }
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
    fn validate(&self) -> Option<Validate<'_>> {
        validation(self.validate.as_deref())
    }
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    let failed = |msg: String| Err(ModuleResult::failed(msg));
    let Some(path) = find_local(ctx, &args.src, "templates") else {
        return failed(format!("Could not find or access '{}'", args.src));
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => return failed(format!("cannot read {}: {e}", path.display())),
    };
    let text = match crate::vault::open_text(text, &path.display().to_string()) {
        Ok(text) => text,
        Err(e) => return failed(e.to_string()),
    };
    let options = file_options(&args).map_err(ModuleResult::failed)?;
    let dest = if args.dest.ends_with('/') {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("{}{}", args.dest, name.trim_end_matches(".j2"))
    } else if args.follow {
        resolve_link(ctx, &args.dest).await?
    } else {
        args.dest.clone()
    };
    let mut vars = ctx.vars.clone();
    vars.extend(template_vars(&args.src, &path, &dest));
    let rendered = match ctx.templar.render_file(&text, &vars, &options) {
        Ok(s) => s,
        Err(e) => {
            let msg = format!(
                "AnsibleError: template error while templating {}: {e}",
                path.display()
            );
            return failed(msg);
        }
    };
    let mut r = put_file(ctx, &args, Source::Bytes(rendered.as_bytes()), &dest).await;
    // Ansible's header names the rendered text's temporary file (`…/tmpXXXX/NAME.j2`); ferry
    // renders in memory and names the template.
    if let Some(Json::Object(entry)) = r.data.get_mut("diff").and_then(|d| d.get_mut(0)) {
        if entry.contains_key("after_header") {
            entry.insert("after_header".into(), path.display().to_string().into());
        }
    }
    r.data
        .insert("src".into(), path.display().to_string().into());
    Ok(r)
}

/// The module's whitespace and delimiter options.
fn file_options(args: &Args) -> Result<FileOptions, String> {
    if let Some(enc) = args.output_encoding.as_deref() {
        if !enc.eq_ignore_ascii_case("utf-8") && !enc.eq_ignore_ascii_case("utf8") {
            return Err(format!(
                "output_encoding '{enc}' is not supported by ferry (utf-8 is)"
            ));
        }
    }
    let mut options = FileOptions::default();
    for (name, value) in [
        ("trim_blocks", &args.trim_blocks),
        ("lstrip_blocks", &args.lstrip_blocks),
        ("newline_sequence", &args.newline_sequence),
        ("block_start_string", &args.block_start_string),
        ("block_end_string", &args.block_end_string),
        ("variable_start_string", &args.variable_start_string),
        ("variable_end_string", &args.variable_end_string),
        ("comment_start_string", &args.comment_start_string),
        ("comment_end_string", &args.comment_end_string),
    ] {
        if let Some(value) = value {
            options.set(name, value)?;
        }
    }
    Ok(options)
}

/// What Ansible adds to a template's variables: `ansible_managed`, `template_host` (the
/// controller), `template_path`, `template_fullpath`, `template_destpath`, `template_uid`,
/// `template_mtime`, `template_run_date`.
fn template_vars(src: &str, path: &std::path::Path, dest: &str) -> Vars {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok();
    let uid = meta.as_ref().map(|m| m.uid()).unwrap_or(0);
    let mtime = meta
        .as_ref()
        .and_then(|m| m.modified().ok())
        .map(chrono::DateTime::<chrono::Local>::from)
        .unwrap_or_else(chrono::Local::now);
    let fullpath = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut vars = Vars::new();
    let mut put = |k: &str, v: String| {
        vars.insert(k.into(), v.into());
    };
    let (host, uid_name) = (
        crate::paths::controller_hostname(),
        crate::paths::user_name(uid).unwrap_or_else(|| uid.to_string()),
    );
    // ansible.cfg's `ansible_managed` may name {host}, {uid}, {file} and strftime fields
    // (of the template's modification time).
    let managed = crate::config::Config::global()
        .text("DEFAULT_MANAGED_STR")
        .unwrap_or("Ansible managed")
        .replace("{host}", &host)
        .replace("{uid}", &uid_name)
        .replace("{file}", src);
    let managed = if managed.contains('%') {
        use std::fmt::Write;
        let mut out = String::new();
        match write!(out, "{}", mtime.format(&managed)) {
            Ok(()) => out,
            Err(_) => managed,
        }
    } else {
        managed
    };
    put("template_host", host);
    put("template_path", src.to_string());
    put("template_fullpath", fullpath.display().to_string());
    put("template_destpath", dest.to_string());
    put("template_uid", uid_name);
    put(
        "template_mtime",
        mtime.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
    );
    put(
        "template_run_date",
        chrono::Local::now()
            .format("%Y-%m-%d %H:%M:%S%.6f")
            .to_string(),
    );
    put("ansible_managed", managed);
    vars
}
