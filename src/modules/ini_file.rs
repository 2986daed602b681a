//! `ini_file` (community.general): sets, adds or removes an option (or a whole section) in an
//! INI-style file, line by line as the collection's module does: commented-out options are
//! reused unless `modify_inactive_option: false`, `exclusive` removes other occurrences, a
//! missing section is appended. Edited on the controller, written back only if changed.

use crate::modules::args::refuse_choice;
use crate::modules::args::{file_arg_names, typed_file};
use crate::modules::host::put::resolve_link;
use crate::modules::host::Attrs;
use crate::modules::ini_args::{values_of, Args};
use crate::modules::ini_edit::Ini;
use crate::modules::lineinfile::make_parent;
use crate::modules::textfile::{rc_failure, read_text, write_text, Edit, EditDiff, WriteOpts};
use crate::modules::{ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "ini_file",
    path_args: &["path", "dest"],
    collection: "community.general",
    args: Some(file_arg_names::<Args>),
    check: Some(check),
    run: |ctx, args| Box::pin(typed_file("ini_file", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(args, "ini_file", &["state"], &["absent", "present"])?;
    if args.contains_key("value") && args.contains_key("values") {
        return Err(ArgProblem {
            message: "parameters are mutually exclusive: value|values (module 'ini_file')".into(),
            hint: "give one value as 'value' or several as 'values'".into(),
        });
    }
    Ok(())
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
        diff: EditDiff::Ini,
    };
    let mut r = write_text(ctx, &opts, &target, "utf-8", edit, before.as_ref()).await?;
    r.data.insert("msg".into(), msg.into());
    r.data.insert("path".into(), args.path.into());
    Ok(r)
}
