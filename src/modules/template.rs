//! `template`: renders a controller-side Jinja template with the host's variables and puts the
//! result on the host, like `copy` (checksum first, atomic write, mode and owner).

use serde::Deserialize;

use crate::modules::copy::{find_local, put_file, HasOpts};
use crate::modules::host::transfer::Source;
use crate::modules::host::Attrs;
use crate::modules::{
    argnames, de_bool, typed_parts, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS,
};

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "template",
    written_path: Some(super::copy::written_path),
    args: Some(|| [argnames::of::<Args>(), argnames::of::<Attrs>()].concat()),
    run: |ctx, args| {
        Box::pin(typed_parts(
            "template",
            args,
            |a, attrs| Args { attrs, ..a },
            move |a| run(ctx, a),
        ))
    },
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    src: String,
    dest: String,
    #[serde(default, deserialize_with = "de_bool")]
    backup: bool,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    force: bool,
    /// Read separately (serde names no fields of a flattened struct).
    #[serde(skip)]
    attrs: Attrs,
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

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> ModuleResult {
    let Some(path) = find_local(ctx, &args.src, "templates") else {
        return ModuleResult::failed(format!("Could not find or access '{}'", args.src));
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => return ModuleResult::failed(format!("cannot read {}: {e}", path.display())),
    };
    let mut vars = ctx.vars.clone();
    vars.insert("template_path".into(), path.display().to_string().into());
    vars.insert("template_host".into(), ctx.host.into());
    let rendered = match ctx.templar.render_text(&text, &vars) {
        Ok(s) => s,
        Err(e) => {
            return ModuleResult::failed(format!(
                "AnsibleError: template error while templating {}: {e}",
                path.display()
            ))
        }
    };
    let dest = if args.dest.ends_with('/') {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        format!("{}{}", args.dest, name.trim_end_matches(".j2"))
    } else {
        args.dest.clone()
    };
    let mut r = put_file(ctx, &args, Source::Bytes(rendered.as_bytes()), &dest).await;
    r.data
        .insert("src".into(), path.display().to_string().into());
    r
}
