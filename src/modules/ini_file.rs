//! `ini_file` (community.general): sets, adds or removes an option (or a whole section) in an
//! INI-style file, line by line as the collection's module does: commented-out options are
//! reused unless `modify_inactive_option: false`, `exclusive` removes other occurrences, a
//! missing section is appended. Edited on the controller, written back only if changed.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::modules::host::put::resolve_link;
use crate::modules::host::Attrs;
use crate::modules::ini_edit::Ini;
use crate::modules::lineinfile::make_parent;
use crate::modules::textfile::{choice, rc_failure, read_text, write_text, Edit, WriteOpts};
use crate::modules::{
    argnames, de_bool, typed_parts, yes, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome,
    DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "ini_file",
    collection: "community.general",
    args: Some(|| [argnames::of::<Args>(), argnames::of::<Attrs>()].concat()),
    check: Some(check),
    run: |ctx, args| {
        Box::pin(typed_parts(
            "ini_file",
            args,
            |a, attrs| Args { attrs, ..a },
            move |a| run(ctx, a),
        ))
    },
    ..DEFAULTS
};

fn check(args: &Vars) -> Result<(), ArgProblem> {
    choice(args, "ini_file", "state", &["absent", "present"])?;
    if args.contains_key("value") && args.contains_key("values") {
        return Err(ArgProblem {
            message: "parameters are mutually exclusive: value|values (module 'ini_file')".into(),
            hint: "give one value as 'value' or several as 'values'".into(),
        });
    }
    Ok(())
}

#[derive(Deserialize)]
pub(crate) struct Args {
    #[serde(alias = "dest")]
    pub(crate) path: String,
    pub(crate) section: Option<String>,
    pub(crate) section_has_values: Option<Vec<Condition>>,
    pub(crate) option: Option<String>,
    pub(crate) value: Option<Json>,
    pub(crate) values: Option<Vec<Json>>,
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) backup: bool,
    #[serde(default = "present")]
    pub(crate) state: String,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    pub(crate) exclusive: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) no_extra_spaces: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) ignore_spaces: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) allow_no_value: bool,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    pub(crate) modify_inactive_option: bool,
    #[serde(default = "yes", deserialize_with = "de_bool")]
    pub(crate) create: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub(crate) follow: bool,
    /// Read separately (serde names no fields of a flattened struct).
    #[serde(skip)]
    pub(crate) attrs: Attrs,
}

/// One `section_has_values` entry: the section must have this option (with one of `values`).
#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct Condition {
    pub(crate) option: String,
    pub(crate) value: Option<Json>,
    pub(crate) values: Option<Vec<Json>>,
}

fn present() -> String {
    "present".into()
}

/// A YAML scalar as the `str` Ansible converts it to.
fn text(v: &Json) -> Option<String> {
    match v {
        Json::Null => None,
        Json::String(s) => Some(s.clone()),
        Json::Bool(b) => Some(if *b { "True" } else { "False" }.into()),
        other => Some(other.to_string()),
    }
}

pub(crate) fn values_of(value: &Option<Json>, values: &Option<Vec<Json>>) -> Vec<String> {
    match (value, values) {
        (Some(v), _) if !v.is_null() => text(v).into_iter().collect(),
        (_, Some(vs)) => vs.iter().filter_map(text).collect(),
        _ => Vec::new(),
    }
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    let values = values_of(&args.value, &args.values);
    if args.state == "present" && !args.allow_no_value && values.is_empty() {
        return Err(ModuleResult::failed(
            "Parameter 'value(s)' must be defined if state=present and allow_no_value=False.",
        ));
    }
    let target = match args.follow {
        true => resolve_link(ctx, &args.path).await?,
        false => args.path.clone(),
    };
    let (before, original) = read_text(ctx, &target, "utf-8").await?.unzip();
    if original.is_none() {
        if !args.create {
            return Err(rc_failure(
                257,
                format!("Destination {target} does not exist!"),
            ));
        }
        make_parent(ctx, &target).await?;
    }
    let old = original.as_deref().unwrap_or("");
    let old = old.strip_prefix('\u{feff}').unwrap_or(old);
    let (new_text, changed, msg) = Ini::new(&args, values).apply(old);
    let no_attrs = Attrs::default();
    let opts = WriteOpts {
        // Ansible sets them only outside check mode, and says nothing of them.
        attrs: if ctx.check_mode {
            &no_attrs
        } else {
            &args.attrs
        },
        backup: args.backup,
        validate: None,
    };
    let edit = Edit {
        text: &new_text,
        msg: &msg,
        content_changed: changed,
    };
    let mut r = write_text(ctx, &opts, &target, "utf-8", edit, before.as_ref()).await?;
    r.data.insert("msg".into(), msg.into());
    r.data.insert("path".into(), args.path.into());
    Ok(r)
}
