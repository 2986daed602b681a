//! `git`: a checkout of a repository on the host, made and updated with the host's `git` in
//! the steps Ansible's module takes: clone when there is none, else fetch and switch to
//! `version` (a branch, tag or commit), refusing to throw local modifications away unless
//! `force`. `before`/`after` are the commits; check mode compares with `git ls-remote`.
//! Refs of the remote are read with one `ls-remote` (`git_remote.rs`).

use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::git_args::Args;
use crate::modules::git_remote::{Git, RemoteRefs};
use crate::modules::host;
use crate::modules::net_args::{boolean, exclusive};
use crate::modules::{
    argnames, typed, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "git",
    path_args: &[
        "dest",
        "key_file",
        "executable",
        "archive",
        "separate_git_dir",
    ],
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("git", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

fn check(args: &Vars) -> Result<(), ArgProblem> {
    const FLAGS: &[&str] = &[
        "accept_hostkey",
        "accept_newhostkey",
        "bare",
        "clone",
        "force",
        "recursive",
        "single_branch",
        "track_submodules",
        "update",
        "verify_commit",
    ];
    boolean(args, "git", FLAGS)?;
    exclusive(
        args,
        "git",
        &[
            ("separate_git_dir", "bare"),
            ("accept_hostkey", "accept_newhostkey"),
        ],
    )?;
    if args.contains_key("archive_prefix") && !args.contains_key("archive") {
        return Err(ArgProblem {
            message: "missing parameter(s) required by 'archive_prefix': archive (module 'git')"
                .into(),
            hint: "set 'archive' too, or remove 'archive_prefix'".into(),
        });
    }
    Ok(())
}

/// What a run found and did.
#[derive(Default)]
struct Report {
    before: Option<String>,
    after: Option<String>,
    changed: bool,
    extra: Vars,
}

impl Report {
    fn result(self) -> ModuleResult {
        let mut data = self.extra;
        let sha = |s: Option<String>| s.map_or(Json::Null, Json::from);
        data.insert("before".into(), sha(self.before));
        data.insert("after".into(), sha(self.after));
        let mut r = ModuleResult::ok(data);
        r.changed = self.changed;
        r
    }
}

async fn run(ctx: &ModuleCtx<'_>, mut args: Args) -> Outcome {
    if args.repo.starts_with('/') {
        // As Ansible: depth and friends need a URL for a path.
        args.repo = format!("file://{}", args.repo);
    }
    let git = Git::new(ctx, &args)?;
    let Some(dest) = args.dest.clone() else {
        if args.clone {
            return Err(ModuleResult::failed(
                "the destination directory must be specified unless clone=no",
            ));
        }
        let refs = RemoteRefs::read(&git, &args.repo, None).await?;
        let after = refs.head_of(&args.version, None);
        let report = Report {
            after,
            changed: true,
            ..Default::default()
        };
        return Ok(report.result());
    };
    let config = match args.bare {
        true => format!("{dest}/config"),
        false => format!("{dest}/.git"),
    };
    let mut report = Report::default();
    if !host::stat(ctx, &config, false).await?.exists {
        if ctx.check_mode || !args.clone {
            let refs = RemoteRefs::read(&git, &args.repo, None).await?;
            report.after = refs.head_of(&args.version, None);
            report.changed = true;
            return Ok(report.result());
        }
        clone(&git, &args, &dest).await?;
    } else if !args.update {
        report.before = git.version(&dest).await?;
        report.after = report.before.clone();
        return finish(&git, &args, &dest, report).await;
    } else if let Some(done) = update(&git, &args, &dest, &mut report).await? {
        return Ok(done);
    }
    if !args.bare {
        switch_version(&git, &args, &dest).await?;
        if args.recursive && submodules(&git, &args, &dest).await? {
            report
                .extra
                .insert("submodules_changed".into(), true.into());
            report.changed = true;
        }
    }
    report.after = git.version(&dest).await?;
    report.changed |= report.before != report.after;
    if let (true, Some(after)) = (ctx.diff_mode(), &report.after) {
        // Ansible's `get_diff`: the text of `git diff`, prepared.
        let prepared = match &report.before {
            None => Some(format!(">> Newly checked out {after}")),
            Some(before) if before != after => {
                let range = format!("diff --no-color {} {}", quote(before), quote(after));
                Some(match git.run(Some(&dest), &range).await? {
                    Ok(text) if !text.is_empty() => text,
                    Ok(_) => format!(">> No visual differences between {before} and {after}"),
                    Err(_) => format!(">> Failed to get proper diff between {before} and {after}"),
                })
            }
            Some(_) => None,
        };
        if let Some(p) = prepared {
            let diff = serde_json::json!({ "prepared": p });
            report.extra.insert("diff".into(), diff);
        }
    }
    finish(&git, &args, &dest, report).await
}

/// An existing checkout: local modifications, the remote's URL, then a fetch (or, in check
/// mode, the result from `ls-remote`, returned at once).
async fn update(
    git: &Git<'_>,
    args: &Args,
    dest: &str,
    report: &mut Report,
) -> Result<Option<ModuleResult>, ModuleResult> {
    let local_mods = !args.bare && git.has_local_mods(dest).await?;
    report.before = git.version(dest).await?;
    if local_mods {
        if !args.force {
            let mut r = ModuleResult::failed(format!(
                "Local modifications exist in the destination: {dest} (force=no)."
            ));
            r.data.insert("before".into(), report.before.clone().into());
            return Err(r);
        }
        report.changed = true;
        if !git.ctx.check_mode {
            git.ok(Some(dest), "reset --hard HEAD").await?;
            let msg = format!("Local modifications exist in the destination: {dest}");
            report.extra.insert("msg".into(), msg.into());
        }
    }
    let url_changed = git.set_remote_url(dest, &args.remote, &args.repo).await?;
    report
        .extra
        .insert("remote_url_changed".into(), url_changed.into());
    report.changed |= url_changed;
    if git.ctx.check_mode {
        let refs = RemoteRefs::read(git, &args.remote, Some(dest)).await?;
        let head_branch = git.head_branch(dest, &args.remote).await?;
        report.after = refs.head_of(&args.version, head_branch.as_deref());
        report.changed |= report.before != report.after;
        let done = std::mem::take(report);
        return Ok(Some(done.result()));
    }
    fetch(git, args, dest).await?;
    Ok(None)
}

/// `git clone` with Ansible's options, then a refspec fetch.
async fn clone(git: &Git<'_>, args: &Args, dest: &str) -> Result<(), ModuleResult> {
    let parent = dest
        .rsplit_once('/')
        .map_or(".", |(p, _)| if p.is_empty() { "/" } else { p });
    host::run(git.ctx, &format!("mkdir -p -- {}", quote(parent))).await?;
    let refs = RemoteRefs::read(git, &args.repo, None).await?;
    let named = refs.is_branch(&args.version) || refs.is_tag(&args.version);
    let mut cmd = String::from("clone");
    match args.bare {
        true => cmd.push_str(" --bare"),
        false => cmd.push_str(&format!(" --origin {}", quote(&args.remote))),
    }
    if let Some(depth) = args.depth {
        if args.version == "HEAD" || args.refspec.is_some() {
            cmd.push_str(&format!(" --depth {depth}"));
        } else if named {
            cmd.push_str(&format!(
                " --depth {depth} --branch {}",
                quote(&args.version)
            ));
        }
    }
    if let Some(r) = &args.reference {
        cmd.push_str(&format!(" --reference {}", quote(r)));
    }
    if args.single_branch {
        cmd.push_str(" --single-branch");
        if named {
            cmd.push_str(&format!(" --branch {}", quote(&args.version)));
        }
    }
    if let Some(dir) = &args.separate_git_dir {
        cmd.push_str(&format!(" {}", quote(&format!("--separate-git-dir={dir}"))));
    }
    cmd.push_str(&format!(" {} {}", quote(&args.repo), quote(dest)));
    git.ok(Some(parent), &cmd).await?;
    if args.bare && args.remote != "origin" {
        let add = format!("remote add {} {}", quote(&args.remote), quote(&args.repo));
        git.ok(Some(dest), &add).await?;
    }
    if let Some(spec) = &args.refspec {
        let depth = args
            .depth
            .map_or(String::new(), |d| format!(" --depth {d}"));
        let fetch = format!("fetch{depth} {} {}", quote(&args.remote), quote(spec));
        git.ok(Some(dest), &fetch).await?;
    }
    Ok(())
}

/// `git fetch` of the branches and tags (or, with `depth`, only what `version` needs).
async fn fetch(git: &Git<'_>, args: &Args, dest: &str) -> Result<(), ModuleResult> {
    let mut specs: Vec<String> = Vec::new();
    let mut cmd = String::from("fetch");
    if let Some(depth) = args.depth {
        let refs = RemoteRefs::read(git, &args.remote, Some(dest)).await?;
        let current = git.head_branch(dest, &args.remote).await?;
        let v = &args.version;
        if let Some(spec) = &args.refspec {
            specs.push(spec.clone());
        } else if v == "HEAD" {
            specs.extend(current.clone());
        } else if refs.is_branch(v) {
            if current.as_deref() != Some(v.as_str()) {
                specs.push(format!("+refs/heads/{v}:refs/heads/{v}"));
            }
            specs.push(format!("+refs/heads/{v}:refs/remotes/{}/{v}", args.remote));
        } else if refs.is_tag(v) {
            specs.push(format!("+refs/tags/{v}:refs/tags/{v}"));
        }
        if !specs.is_empty() {
            cmd.push_str(&format!(" --depth {depth}"));
        }
    }
    if args.depth.is_none() || specs.is_empty() {
        if args.bare {
            specs = vec![
                "+refs/heads/*:refs/heads/*".into(),
                "+refs/tags/*:refs/tags/*".into(),
            ];
        } else {
            cmd.push_str(" --tags");
        }
        specs.extend(args.refspec.clone());
    }
    if args.force {
        cmd.push_str(" --force");
    }
    cmd.push_str(&format!(" {}", quote(&args.remote)));
    for s in &specs {
        cmd.push_str(&format!(" {}", quote(s)));
    }
    git.run(Some(dest), &cmd).await?.map_err(|(out, err)| {
        ModuleResult::failed(format!(
            "Failed to download remote objects and refs: {out} {err}"
        ))
    })?;
    Ok(())
}

/// Checks out `version`: the remote's head branch (HEAD), a branch tracking the remote's,
/// or a tag or commit.
async fn switch_version(git: &Git<'_>, args: &Args, dest: &str) -> Result<(), ModuleResult> {
    let (v, remote) = (&args.version, &args.remote);
    let checkout = |what: &str| format!("checkout --force {}", quote(what));
    let last = if v == "HEAD" {
        let branch = git
            .head_branch(dest, remote)
            .await?
            .unwrap_or_else(|| "HEAD".into());
        if let Err((out, err)) = git.run(Some(dest), &checkout(&branch)).await? {
            return Err(ModuleResult::failed(format!(
                "Failed to checkout branch {branch}: {out}{err}"
            )));
        }
        format!("reset --hard {} --", quote(&format!("{remote}/{branch}")))
    } else if git.is_remote_branch(dest, remote, v).await? {
        if args.depth.is_some() && !git.is_local_branch(dest, v).await? {
            let d = args.depth.unwrap_or(1);
            let spec =
                format!("+refs/heads/{v}:refs/heads/{v} +refs/heads/{v}:refs/remotes/{remote}/{v}");
            git.ok(
                Some(dest),
                &format!("fetch --depth={d} {} {spec}", quote(remote)),
            )
            .await?;
        }
        let tracking = quote(&format!("{remote}/{v}"));
        if !git.is_local_branch(dest, v).await? {
            format!("checkout --track -b {} {tracking}", quote(v))
        } else {
            if let Err((out, err)) = git.run(Some(dest), &checkout(v)).await? {
                return Err(ModuleResult::failed(format!(
                    "Failed to checkout branch {v}: {out}{err}"
                )));
            }
            format!("reset --hard {tracking}")
        }
    } else {
        checkout(v)
    };
    if let Err((out, err)) = git.run(Some(dest), &last).await? {
        return Err(ModuleResult::failed(format!(
            "Failed to checkout {v}: {out}{err}"
        )));
    }
    if args.verify_commit {
        git.verify(dest, v, &args.gpg_allowlist).await?;
    }
    Ok(())
}

/// Fetches submodules and updates them when they are missing or moved; true if any was.
async fn submodules(git: &Git<'_>, args: &Args, dest: &str) -> Result<bool, ModuleResult> {
    if !host::stat(git.ctx, &format!("{dest}/.gitmodules"), false)
        .await?
        .exists
    {
        return Ok(false);
    }
    let missing = format!(
        "cd {} && git config -f .gitmodules --get-regexp '\\.path$' | \
         while read -r _ p; do [ -e \"$p/.git\" ] || echo missing; done",
        quote(dest)
    );
    let probe = host::run(git.ctx, &missing).await?;
    let mut changed = probe.contains("missing");
    if !changed {
        git.ok(Some(dest), "submodule foreach git fetch").await?;
        let status = git.ok(Some(dest), "submodule status").await?;
        changed = match args.track_submodules {
            true => git.submodules_behind(dest, &args.remote).await?,
            false => status.lines().any(|l| !l.starts_with(' ')),
        };
    }
    if changed {
        git.ok(Some(dest), "submodule sync").await?;
        let mut update = String::from("submodule update --init --recursive");
        if args.track_submodules {
            update.push_str(" --remote");
        }
        if args.force {
            update.push_str(" --force");
        }
        git.run(Some(dest), &update).await?.map_err(|(out, err)| {
            ModuleResult::failed(format!("Failed to init/update submodules: {out}{err}"))
        })?;
    }
    Ok(changed)
}

/// `archive`, then the result.
async fn finish(git: &Git<'_>, args: &Args, dest: &str, mut report: Report) -> Outcome {
    if let Some(archive) = &args.archive {
        if git.ctx.check_mode {
            report.changed = true;
        } else {
            report.changed = git
                .archive(dest, archive, args.archive_prefix.as_deref(), &args.version)
                .await?;
        }
    }
    Ok(report.result())
}
