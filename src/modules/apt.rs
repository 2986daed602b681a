//! `apt`: Debian packages as ansible.builtin.apt manages them — the cache refreshed when asked
//! (or older than `cache_valid_time`), the named packages queried in one command and only
//! those that differ passed to one `apt-get` call, `.deb` files, upgrades, autoremove and
//! autoclean; `--simulate` under check mode; apt's prepared changes as the diff. What to
//! install or remove is decided in `apt_plan.rs`; the host probes live in `host/apt.rs`.

// `package` names apt's arguments as its own (its backend takes them).
pub(crate) use crate::modules::apt_args::Args;
use crate::modules::apt_plan::{self, Spec};
use crate::modules::args::{refuse_choice, refuse_together};
use crate::modules::host::apt as host_apt;
use crate::modules::{apt_debs, apt_upgrade};
use crate::modules::{
    argnames, typed, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "apt",
    path_args: &["deb"],
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("apt", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

const STATES: &[&str] = &["absent", "build-dep", "fixed", "latest", "present"];
const UPGRADES: &[&str] = &["dist", "full", "no", "safe", "yes"];

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(args, "apt", &["state"], STATES)?;
    refuse_choice(args, "apt", &["upgrade"], UPGRADES)?;
    refuse_together(
        args,
        "apt",
        &[&["deb"], &["package", "pkg", "name"], &["upgrade"]],
    )
}

async fn run(ctx: &ModuleCtx<'_>, a: Args) -> Outcome {
    let mut a = a;
    if !STATES.contains(&a.state.as_str()) {
        let msg = format!(
            "value of state must be one of: {}, got: {}",
            STATES.join(", "),
            a.state
        );
        return Err(ModuleResult::failed(msg));
    }
    if a.clean {
        let cleaned = apt_plan::clean(ctx).await?;
        if a.package.is_empty() && a.upgrade == "no" && a.deb.is_none() {
            return Ok(cleaned);
        }
    }
    let (updated, time) = refresh(ctx, &a).await?;
    let refreshes = a.update_cache == Some(true) || a.cache_valid_time > 0;
    if refreshes && a.package.is_empty() && a.upgrade == "no" && a.deb.is_none() {
        let mut data = Vars::new();
        data.insert("cache_updated".into(), updated.into());
        data.insert("cache_update_time".into(), time.into());
        return Ok(ModuleResult {
            changed: updated,
            ..ModuleResult::ok(data)
        });
    }
    if a.upgrade != "no" {
        let mode = a.upgrade.clone();
        return apt_upgrade::upgrade(ctx, &a, &mode).await;
    }
    if let Some(deb) = a.deb.clone() {
        if a.state != "present" {
            return Err(ModuleResult::failed("deb only supports state=present"));
        }
        return apt_debs::install_debs(ctx, &a, &deb).await;
    }
    let all_installed = a.package.iter().any(|p| p == "*");
    a.package.retain(|p| p != "*");
    if a.state == "latest" && all_installed {
        if !a.package.is_empty() {
            let msg = "unable to install additional packages when upgrading all installed packages";
            return Err(ModuleResult::failed(msg));
        }
        return apt_upgrade::upgrade(ctx, &a, "yes").await;
    }
    if let Some(bad) = a.package.iter().find(|p| p.matches('=').count() > 1) {
        return Err(ModuleResult::failed(format!("invalid package spec: {bad}")));
    }
    if a.package.is_empty() && a.autoclean {
        return apt_plan::cleanup(ctx, &a, "autoclean").await;
    }
    if a.package.is_empty() && a.autoremove {
        return apt_plan::cleanup(ctx, &a, "autoremove").await;
    }
    let specs = expand(ctx, &a.package).await?;
    if a.state == "absent" {
        return apt_plan::remove(ctx, &a, &specs).await;
    }
    let mut r = apt_plan::install(ctx, &a, &specs).await?;
    r.data.insert("cache_updated".into(), updated.into());
    r.data.insert("cache_update_time".into(), time.into());
    Ok(r)
}

/// The package specs with shell patterns in names replaced by the names apt knows.
async fn expand(ctx: &ModuleCtx<'_>, packages: &[String]) -> Result<Vec<Spec>, ModuleResult> {
    let mut specs = Vec::new();
    for p in packages {
        let spec = Spec::parse(p.trim());
        if !spec.name.contains(['*', '?', '[', ']', '!']) {
            specs.push(spec);
            continue;
        }
        let names = host_apt::expand(ctx, &spec.name).await?;
        if names.is_empty() {
            let msg = format!("No package(s) matching '{}' available", spec.name);
            return Err(ModuleResult::failed(msg));
        }
        specs.extend(names.into_iter().map(|n| Spec::parse(&n)));
    }
    Ok(specs)
}

/// `update_cache` / `cache_valid_time`: runs `apt-get update` when asked and the cache is
/// older than `cache_valid_time` seconds (retried with growing pauses); whether the cache
/// changed and its time afterwards.
async fn refresh(ctx: &ModuleCtx<'_>, a: &Args) -> Result<(bool, i64), ModuleResult> {
    let (mtime, now) = host_apt::cache_time(ctx).await?;
    let wanted = a.update_cache == Some(true) || a.cache_valid_time > 0;
    if !wanted || mtime + a.cache_valid_time as i64 >= now {
        return Ok((false, mtime));
    }
    if ctx.check_mode {
        return Ok((true, mtime));
    }
    host_apt::update(
        ctx,
        a.update_cache_retries,
        a.update_cache_retry_max_delay,
        a.lock_timeout,
    )
    .await?
    .map_err(ModuleResult::failed)?;
    let (after, _) = host_apt::cache_time(ctx).await?;
    Ok((after != mtime, after))
}
