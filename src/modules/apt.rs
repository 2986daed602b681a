//! `apt`: Debian packages as ansible.builtin.apt manages them — the cache refreshed when asked
//! (or older than `cache_valid_time`), the named packages queried in one command and only
//! those that differ passed to one `apt-get` call, `.deb` files, upgrades, autoremove and
//! autoclean; `--simulate` under check mode; apt's prepared changes as the diff. What to
//! install or remove is decided in `apt_plan.rs`; the host probes live in `host/apt.rs`.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::apt_plan::{self, Spec};
use crate::modules::args::{de_list, de_opt_bool, refuse_choice, refuse_together};
use crate::modules::host::apt as host_apt;
use crate::modules::{apt_debs, apt_upgrade};
use crate::modules::{
    argnames, de_bool, de_u64, typed, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome,
    DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "apt",
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("apt", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

const STATES: &[&str] = &["absent", "build-dep", "fixed", "latest", "present"];
const UPGRADES: &[&str] = &["dist", "full", "no", "safe", "yes"];
pub(crate) const APT_GET: &str = "/usr/bin/apt-get";

#[derive(Deserialize)]
pub(crate) struct Args {
    #[serde(default = "present")]
    pub state: String,
    #[serde(default, alias = "update-cache", deserialize_with = "de_opt_bool")]
    pub update_cache: Option<bool>,
    #[serde(default = "five", deserialize_with = "de_u64")]
    pub update_cache_retries: u64,
    #[serde(default = "twelve", deserialize_with = "de_u64")]
    pub update_cache_retry_max_delay: u64,
    #[serde(default, deserialize_with = "de_u64")]
    pub cache_valid_time: u64,
    #[serde(default, deserialize_with = "de_bool")]
    pub purge: bool,
    #[serde(default, alias = "pkg", alias = "name", deserialize_with = "de_list")]
    pub package: Vec<String>,
    pub deb: Option<String>,
    #[serde(alias = "default-release")]
    pub default_release: Option<String>,
    #[serde(
        default,
        alias = "install-recommends",
        deserialize_with = "de_opt_bool"
    )]
    pub install_recommends: Option<bool>,
    #[serde(default, deserialize_with = "de_bool")]
    pub force: bool,
    #[serde(default = "no", deserialize_with = "de_upgrade")]
    pub upgrade: String,
    #[serde(default = "dpkg_defaults")]
    pub dpkg_options: String,
    #[serde(default, deserialize_with = "de_bool")]
    pub autoremove: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub autoclean: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub fail_on_autoremove: bool,
    pub policy_rc_d: Option<i64>,
    #[serde(default, deserialize_with = "de_bool")]
    pub only_upgrade: bool,
    /// ferry uses apt-get unless aptitude is on the host, as Ansible does.
    #[serde(default, deserialize_with = "de_bool")]
    pub force_apt_get: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub clean: bool,
    #[serde(default, alias = "allow-unauthenticated", deserialize_with = "de_bool")]
    pub allow_unauthenticated: bool,
    #[serde(
        default,
        alias = "allow-downgrade",
        alias = "allow_downgrades",
        alias = "allow-downgrades",
        deserialize_with = "de_bool"
    )]
    pub allow_downgrade: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub allow_change_held_packages: bool,
    #[serde(default = "sixty", deserialize_with = "de_u64")]
    pub lock_timeout: u64,
}

fn present() -> String {
    "present".into()
}
fn no() -> String {
    "no".into()
}
fn five() -> u64 {
    5
}
fn twelve() -> u64 {
    12
}
fn sixty() -> u64 {
    60
}
fn dpkg_defaults() -> String {
    "force-confdef,force-confold".into()
}

/// `upgrade: yes` (a boolean in YAML) is the choice `yes`.
fn de_upgrade<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Json::deserialize(d)? {
        Json::Bool(true) => "yes".into(),
        Json::Bool(false) => "no".into(),
        Json::String(s) => s,
        other => other.to_string(),
    })
}

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(args, "apt", &["state"], STATES)?;
    refuse_choice(args, "apt", &["upgrade"], UPGRADES)?;
    refuse_together(
        args,
        "apt",
        &[&["deb"], &["package", "pkg", "name"], &["upgrade"]],
    )
}

impl Args {
    /// `-o Dpkg::Options::=--x` for each of `dpkg_options`.
    pub(crate) fn dpkg_flags(&self) -> String {
        let flags: Vec<String> = self
            .dpkg_options
            .split(',')
            .map(|o| format!("-o \"Dpkg::Options::=--{o}\""))
            .collect();
        flags.join(" ")
    }

    /// ` -t 'release'` when a default release is set.
    pub(crate) fn release_flag(&self) -> String {
        self.default_release
            .as_ref()
            .map_or(String::new(), |r| format!(" -t {}", quote(r)))
    }
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
