//! `yum_repository`: one repository's section of `<reposdir>/<file>.repo` written as
//! ansible.builtin.yum_repository writes it — the file read as Python's configparser reads
//! it, the section replaced by the task's options in sorted order (booleans as `1`/`0`,
//! `baseurl`/`gpgkey` one per line, `exclude`/`includepkgs` space-separated), `state: absent`
//! removing the section and the file when no section is left; `changed` and the diff (of
//! the sorted dump, as Ansible's) compare the repository settings, not the file's bytes.
//! The options are in `yum_repository_options.rs`; the ini text in `yum_repo_file.rs`.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::connection::quote;
use crate::modules::args::refuse_choice;
use crate::modules::host::{self, textfile, Attrs};
use crate::modules::yum_repo_file::RepoFile;
use crate::modules::yum_repository_options::{self as options, Options};
use crate::modules::{
    argnames, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "yum_repository",
    path_args: &["reposdir"],
    args: Some(|| {
        [
            argnames::of::<Args>(),
            argnames::of::<Options>(),
            argnames::of::<Attrs>(),
        ]
        .concat()
    }),
    check: Some(check),
    run: |ctx, args| {
        Box::pin(async move { crate::modules::IntoResult::into_result(run(ctx, args).await) })
    },
    ..DEFAULTS
};

/// The arguments that are not the section's options.
#[derive(Deserialize)]
struct Args {
    name: String,
    description: Option<String>,
    file: Option<String>,
    #[serde(default = "reposdir")]
    reposdir: String,
    #[serde(default = "present")]
    state: String,
}

fn reposdir() -> String {
    "/etc/yum.repos.d".into()
}
fn present() -> String {
    "present".into()
}

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(args, "yum_repository", &["state"], &["absent", "present"])?;
    options::check(args)
}

fn parse<T: serde::de::DeserializeOwned>(args: &Vars) -> Result<T, ModuleResult> {
    serde_json::from_value(Json::Object(args.clone())).map_err(|e| {
        ModuleResult::failed(format!(
            "invalid arguments for module 'yum_repository': {e}"
        ))
    })
}

async fn run(ctx: &ModuleCtx<'_>, args: Vars) -> Outcome {
    let a: Args = parse(&args)?;
    let opts: Options = parse(&args)?;
    let attrs: Attrs = parse(&args)?;
    if a.state == "present" {
        required(&a, &opts)?;
    }
    let dir = quote(&a.reposdir);
    let isdir = host::run(ctx, &format!("test -d {dir} && echo yes || true")).await?;
    if isdir.trim() != "yes" {
        let msg = format!("Repo directory '{}' does not exist.", a.reposdir);
        return Err(ModuleResult::failed(msg));
    }
    let file = a.file.clone().unwrap_or_else(|| a.name.clone());
    let dest = format!("{}/{file}.repo", a.reposdir.trim_end_matches('/'));
    let text = textfile::read(ctx, &dest).await?;
    let mut repo = RepoFile::parse(text.as_deref().unwrap_or(""));
    let before = repo.dump();
    repo.remove(&a.name);
    if a.state == "present" {
        repo.add(&a.name, opts.settings(a.description.as_deref()));
    }
    let after = repo.dump();
    let mut changed = before != after;
    if changed && !ctx.check_mode {
        match repo.is_empty() {
            true => host::run(ctx, &format!("rm -f -- {}", quote(&dest)))
                .await
                .map(drop)?,
            false => host::write(ctx, &dest, repo.write().as_bytes()).await?,
        }
    }
    let st = host::stat(ctx, &dest, false).await?;
    if st.exists {
        changed |= host::fix_attrs(ctx, &dest, &st, &attrs).await?;
    }
    let mut data = Vars::new();
    data.insert("repo".into(), a.name.clone().into());
    data.insert("state".into(), a.state.clone().into());
    data.insert(
        "diff".into(),
        json!({"before_header": dest, "before": before, "after_header": dest, "after": after}),
    );
    Ok(ModuleResult::changed(data, changed))
}

/// Ansible's `required_if` for `state: present`.
fn required(a: &Args, opts: &Options) -> Result<(), ModuleResult> {
    if !opts.has_source() {
        return Err(ModuleResult::failed(
            "state is present but any of the following are missing: baseurl, mirrorlist, metalink",
        ));
    }
    if a.description.is_none() {
        return Err(ModuleResult::failed(
            "state is present but all of the following are missing: description",
        ));
    }
    Ok(())
}
