//! `user`: a local account made to match the task — created with `useradd`, changed with
//! `usermod` only where the passwd/shadow/group entries differ, removed with `userdel` —
//! plus the home directory (created from a skeleton when missing, moved with `move_home`),
//! password ageing (`chage`) and an SSH key pair (`user_ssh.rs`). Passwords are given hashed
//! and travel on stdin (`chpasswd -e`), never on a command line. Linux shadow-utils only
//! (`local: true` reads `/etc/passwd` and `/etc/group` directly and still runs `useradd`).

use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::host::accounts::{self, Found};
use crate::modules::sysargs::{self, de_opt_list, de_opt_num};
use crate::modules::{
    argnames, de_bool, typed, user_ssh, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome,
    DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "user",
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("user", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

fn check(args: &Vars) -> Result<(), ArgProblem> {
    sysargs::all_of(
        args,
        "user",
        &[
            ("state", &["absent", "present"]),
            ("update_password", &["always", "on_create"]),
        ],
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Args {
    #[serde(alias = "user")]
    pub name: String,
    #[serde(default = "present")]
    state: String,
    #[serde(default, deserialize_with = "de_opt_num")]
    uid: Option<u64>,
    #[serde(default, deserialize_with = "de_bool")]
    non_unique: bool,
    group: Option<String>,
    #[serde(default, deserialize_with = "de_opt_list")]
    groups: Option<Vec<String>>,
    comment: Option<String>,
    home: Option<String>,
    shell: Option<String>,
    password: Option<String>,
    #[serde(default, deserialize_with = "de_opt_num")]
    password_expire_max: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_num")]
    password_expire_min: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_num")]
    password_expire_warn: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_num")]
    password_expire_account_disable: Option<i64>,
    seuser: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    pub force: bool,
    #[serde(default, deserialize_with = "de_bool")]
    remove: bool,
    #[serde(
        default = "crate::modules::yes",
        deserialize_with = "de_bool",
        alias = "createhome"
    )]
    create_home: bool,
    skeleton: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    system: bool,
    #[serde(default, deserialize_with = "de_bool")]
    move_home: bool,
    #[serde(default, deserialize_with = "de_bool")]
    append: bool,
    #[serde(default, deserialize_with = "de_opt_bool")]
    generate_ssh_key: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_num")]
    pub ssh_key_bits: Option<u64>,
    #[serde(default = "rsa")]
    pub ssh_key_type: String,
    pub ssh_key_file: Option<String>,
    pub ssh_key_comment: Option<String>,
    pub ssh_key_passphrase: Option<String>,
    #[serde(default = "always")]
    update_password: String,
    #[serde(default, deserialize_with = "de_opt_num")]
    expires: Option<f64>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    password_lock: Option<bool>,
    #[serde(default, deserialize_with = "de_opt_bool")]
    local: Option<bool>,
    umask: Option<String>,
    #[serde(default, deserialize_with = "de_opt_num")]
    uid_min: Option<u64>,
    #[serde(default, deserialize_with = "de_opt_num")]
    uid_max: Option<u64>,
    /// Other platforms' options (macOS, BSD, Solaris): accepted and unused on Linux, as
    /// Ansible's Linux user module ignores them.
    #[allow(dead_code)]
    login_class: Option<String>,
    #[allow(dead_code)]
    #[serde(default, deserialize_with = "de_opt_bool")]
    hidden: Option<bool>,
    #[allow(dead_code)]
    profile: Option<String>,
    #[allow(dead_code)]
    authorization: Option<String>,
    #[allow(dead_code)]
    role: Option<String>,
}

fn present() -> String {
    "present".into()
}

fn rsa() -> String {
    "rsa".into()
}

fn always() -> String {
    "always".into()
}

/// An optional boolean that may arrive as text.
pub(crate) fn de_opt_bool<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<bool>, D::Error> {
    match Json::deserialize(d)? {
        Json::Null => Ok(None),
        v => de_bool(v).map(Some).map_err(serde::de::Error::custom),
    }
}

/// What running the account command reported.
#[derive(Default)]
struct Ran {
    changed: bool,
    stdout: String,
    stderr: String,
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    sysargs::at_run("state", &args.state, &["absent", "present"])?;
    sysargs::at_run(
        "update_password",
        &args.update_password,
        &["always", "on_create"],
    )?;
    let local = args.local.unwrap_or(false);
    let wanted = wanted_groups(&args);
    let found =
        accounts::query(ctx, Some(&args.name), &wanted, args.home.as_deref(), local).await?;
    let mut data = Vars::new();
    data.insert("name".into(), args.name.clone().into());
    data.insert("state".into(), args.state.clone().into());
    if args.state == "absent" {
        return remove(ctx, &args, &found, data).await;
    }
    let ran = match &found.user {
        None if ctx.check_mode => return Ok(changed_only()),
        None => {
            data.insert("system".into(), args.system.into());
            data.insert("create_home".into(), args.create_home.into());
            create(ctx, &args, &found).await?
        }
        Some(_) => {
            data.insert("append".into(), args.append.into());
            data.insert("move_home".into(), args.move_home.into());
            modify(ctx, &args, &found).await?
        }
    };
    if args.password.is_some() {
        data.insert("password".into(), "NOT_LOGGING_PASSWORD".into());
    }
    let mut changed = ran.changed;
    accounts::record_output(&mut data, &ran.stdout, &ran.stderr);
    let after = match ctx.check_mode || !changed {
        true => found,
        false => accounts::query(ctx, Some(&args.name), &[], args.home.as_deref(), local).await?,
    };
    changed |= finish(ctx, &args, &after, &mut data).await?;
    Ok(ModuleResult::changed(data, changed))
}

/// What `exit_json(changed=True)` reports: nothing but the change (check mode, a user to
/// create or remove).
fn changed_only() -> ModuleResult {
    ModuleResult {
        changed: true,
        ..Default::default()
    }
}

/// The groups the task names (primary and supplementary), to look up.
fn wanted_groups(args: &Args) -> Vec<&str> {
    let mut all: Vec<&str> = args.group.iter().map(String::as_str).collect();
    all.extend(supplementary(args).unwrap_or_default());
    all
}

/// `groups` as names (empty entries dropped); `None` when not given.
fn supplementary(args: &Args) -> Option<Vec<&str>> {
    args.groups.as_ref().map(|g| {
        g.iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect()
    })
}

async fn remove(ctx: &ModuleCtx<'_>, args: &Args, found: &Found, mut data: Vars) -> Outcome {
    if found.user.is_none() {
        return Ok(ModuleResult::ok(data));
    }
    if ctx.check_mode {
        return Ok(changed_only());
    }
    let mut cmd = String::from("userdel");
    if args.force {
        cmd.push_str(" -f");
    }
    if args.remove {
        cmd.push_str(" -r");
    }
    let _ = write!(cmd, " -- {}", quote(&args.name));
    let ran = account_command(ctx, &cmd, None, &args.name).await?;
    data.insert("force".into(), args.force.into());
    data.insert("remove".into(), args.remove.into());
    accounts::record_output(&mut data, &ran.stdout, &ran.stderr);
    Ok(ModuleResult::changed(data, true))
}

/// Runs an account command (with `password_line` for `chpasswd -e` on stdin); a non-zero
/// exit fails the task with Ansible's `name`, `msg` (stderr) and `rc`.
async fn account_command(
    ctx: &ModuleCtx<'_>,
    cmd: &str,
    password_line: Option<&str>,
    name: &str,
) -> Result<Ran, ModuleResult> {
    let (script, input) = match password_line {
        Some(line) => (format!("{cmd} && chpasswd -e"), format!("{line}\n")),
        None => (cmd.to_string(), String::new()),
    };
    let out = ctx
        .exec_stdin(&script, input.as_bytes())
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?;
    if out.rc != 0 {
        let mut r = ModuleResult::failed(out.stderr.trim_end().to_string());
        r.data.insert("name".into(), name.into());
        r.data.insert("rc".into(), out.rc.into());
        return Err(r);
    }
    Ok(Ran {
        changed: true,
        stdout: out.stdout,
        stderr: out.stderr,
    })
}

/// Fails like Ansible when a named group is missing.
fn require_groups(args: &Args, found: &Found) -> Result<(), ModuleResult> {
    match wanted_groups(args)
        .into_iter()
        .find(|g| found.group(g).is_none())
    {
        Some(g) => Err(ModuleResult::failed(format!("Group {g} does not exist"))),
        None => Ok(()),
    }
}

/// The password as it goes to the shadow file: `!` in front when locked.
fn shadow_password(args: &Args) -> Option<String> {
    args.password.as_ref().map(|p| match args.password_lock {
        Some(true) => format!("!{p}"),
        _ => p.clone(),
    })
}

/// Options as quoted words of a command line.
#[derive(Default)]
struct Words(Vec<String>);

impl Words {
    fn opt(&mut self, flag: &str, value: &str) {
        self.0.push(flag.to_string());
        self.0.push(quote(value));
    }

    fn flag(&mut self, flag: &str) {
        self.0.push(flag.to_string());
    }

    fn line(&self) -> String {
        self.0.iter().fold(String::new(), |s, w| s + " " + w)
    }
}

async fn create(ctx: &ModuleCtx<'_>, args: &Args, found: &Found) -> Result<Ran, ModuleResult> {
    require_groups(args, found)?;
    let mut w = Words::default();
    if let Some(uid) = args.uid {
        w.opt("-u", &uid.to_string());
        if args.non_unique {
            w.flag("-o");
        }
    }
    if let Some(se) = &args.seuser {
        w.opt("-Z", se);
    }
    match &args.group {
        Some(g) => w.opt("-g", g),
        None if found.group(&args.name).is_some() => w.flag("-N"),
        None => {}
    }
    if let Some(groups) = supplementary(args).filter(|g| !g.is_empty()) {
        w.opt("-G", &groups.join(","));
    }
    for (flag, value) in [
        ("-c", &args.comment),
        ("-d", &args.home),
        ("-s", &args.shell),
    ] {
        if let Some(v) = value {
            w.opt(flag, v);
        }
    }
    if let Some(e) = args.expires {
        w.opt("-e", &expiry_date(e));
    }
    if let Some(days) = args.password_expire_account_disable {
        w.opt("-f", &days.to_string());
    }
    match args.create_home {
        true => {
            w.flag("-m");
            if let Some(skel) = &args.skeleton {
                w.opt("-k", skel);
            }
            if let Some(umask) = &args.umask {
                w.opt("-K", &format!("UMASK={umask}"));
            }
        }
        false => w.flag("-M"),
    }
    if args.system {
        w.flag("-r");
    }
    for (key, v) in [("UID_MIN", args.uid_min), ("UID_MAX", args.uid_max)] {
        if let Some(v) = v {
            w.opt("-K", &format!("{key}={v}"));
        }
    }
    let mut cmd = String::new();
    if let (Some(home), true) = (&args.home, args.create_home) {
        let _ = write!(cmd, "mkdir -p -- \"$(dirname -- {})\" && ", quote(home));
    }
    let _ = write!(cmd, "useradd{} -- {}", w.line(), quote(&args.name));
    let line = shadow_password(args).map(|p| format!("{}:{p}", args.name));
    account_command(ctx, &cmd, line.as_deref(), &args.name).await
}

/// `expires` (seconds since the epoch) as `useradd -e` takes it; negative: never.
fn expiry_date(expires: f64) -> String {
    if expires < 0.0 {
        return String::new();
    }
    chrono::DateTime::from_timestamp(expires.floor() as i64, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// The `usermod` options that bring the account to what is asked (empty: nothing differs),
/// and the shadow password line to set, if any.
fn usermod_options(args: &Args, found: &Found) -> (String, Option<String>) {
    let (Some(user), shadow) = (&found.user, found.shadow.clone().unwrap_or_default()) else {
        return (String::new(), None);
    };
    let mut w = Words::default();
    if let Some(uid) = args.uid.filter(|u| *u != user.uid) {
        w.opt("-u", &uid.to_string());
        if args.non_unique {
            w.flag("-o");
        }
    }
    if let Some(g) = args.group.as_deref().and_then(|g| found.group(g)) {
        if g.gid != user.gid {
            w.opt("-g", &g.gid.to_string());
        }
    }
    if let Some(groups) = groups_option(args, found) {
        w.0.extend(groups);
    }
    if let Some(c) = args.comment.as_deref().filter(|c| *c != user.comment) {
        w.opt("-c", c);
    }
    if let Some(h) = args.home.as_deref().filter(|h| *h != user.home) {
        w.opt("-d", h);
        if args.move_home {
            w.flag("-m");
        }
    }
    if let Some(s) = args.shell.as_deref().filter(|s| *s != user.shell) {
        w.opt("-s", s);
    }
    if let Some(e) = args.expires.filter(|e| expiry_differs(*e, &shadow.expire)) {
        w.opt("-e", &expiry_date(e));
    }
    if let Some(days) = args.password_expire_account_disable {
        if shadow.inactive.trim().parse::<i64>().ok() != Some(days) {
            w.opt("-f", &days.to_string());
        }
    }
    let password = shadow_password(args).filter(|p| {
        args.update_password == "always"
            && shadow.hash.trim_start_matches('!') != p.trim_start_matches('!')
    });
    match (args.password_lock, shadow.hash.starts_with('!')) {
        _ if password.is_some() => {}
        (Some(true), false) => w.flag("-L"),
        (Some(false), true) => w.flag("-U"),
        _ => {}
    }
    (w.line(), password.map(|p| format!("{}:{p}", args.name)))
}

/// Whether the shadow expiry (days, empty: never) differs from `expires` (seconds).
fn expiry_differs(expires: f64, current: &str) -> bool {
    let current: i64 = current.trim().parse().unwrap_or(-1);
    if expires < 0.0 {
        return current >= 0;
    }
    current < 0 || current != (expires / 86400.0).floor() as i64
}

/// The `-G`/`-a -G` option words when supplementary groups differ.
fn groups_option(args: &Args, found: &Found) -> Option<Vec<String>> {
    let asked = supplementary(args)?;
    let current: std::collections::BTreeSet<&str> =
        found.member_of.iter().map(String::as_str).collect();
    if asked.is_empty() {
        return (!current.is_empty() && !args.append).then(|| vec!["-G".into(), "''".into()]);
    }
    let names: std::collections::BTreeSet<&str> = asked
        .iter()
        .filter_map(|g| found.group(g).map(|g| g.name.as_str()))
        .collect();
    let missing = names.iter().any(|n| !current.contains(n));
    let extra = current.iter().any(|c| !names.contains(c));
    let list = quote(&names.iter().copied().collect::<Vec<_>>().join(","));
    match args.append {
        true => missing.then(|| vec!["-a".into(), "-G".into(), list]),
        false => (missing || extra).then(|| vec!["-G".into(), list]),
    }
}

async fn modify(ctx: &ModuleCtx<'_>, args: &Args, found: &Found) -> Result<Ran, ModuleResult> {
    require_groups(args, found)?;
    let (opts, password) = usermod_options(args, found);
    if opts.is_empty() && password.is_none() {
        return Ok(Ran::default());
    }
    if ctx.check_mode {
        return Ok(Ran {
            changed: true,
            ..Ran::default()
        });
    }
    let cmd = match opts.is_empty() {
        true => "true".to_string(),
        false => format!("usermod{opts} -- {}", quote(&args.name)),
    };
    account_command(ctx, &cmd, password.as_deref(), &args.name).await
}

/// After the account is right: the facts Ansible reports about it, a missing home created,
/// the SSH key, password ageing. True when any of these changed something.
async fn finish(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    found: &Found,
    data: &mut Vars,
) -> Result<bool, ModuleResult> {
    let Some(user) = &found.user else {
        return Ok(false);
    };
    data.insert("uid".into(), user.uid.into());
    data.insert("group".into(), user.gid.into());
    data.insert("comment".into(), user.comment.clone().into());
    data.insert("home".into(), user.home.clone().into());
    data.insert("shell".into(), user.shell.clone().into());
    if let Some(groups) = &args.groups {
        data.insert("groups".into(), groups.join(",").into());
    }
    let mut changed = false;
    if !found.home_exists && args.create_home {
        if !ctx.check_mode {
            let home = args.home.as_deref().unwrap_or(&user.home);
            create_home(ctx, home, args.skeleton.as_deref(), user).await?;
        }
        changed = true;
    }
    if args.generate_ssh_key == Some(true) {
        changed |= user_ssh::generate(ctx, args, user, data).await?;
    }
    changed |= password_ageing(ctx, args, found).await?;
    Ok(changed)
}

/// Creates a home directory from the skeleton (`/etc/skel` by default) with the mode
/// login.defs asks (`HOME_MODE`, else from `UMASK`), owned by the user.
async fn create_home(
    ctx: &ModuleCtx<'_>,
    home: &str,
    skeleton: Option<&str>,
    user: &accounts::Passwd,
) -> Result<(), ModuleResult> {
    let h = quote(home);
    let skel = quote(skeleton.unwrap_or("/etc/skel"));
    let script = format!(
        "set -e; mkdir -p -- \"$(dirname -- {h})\"; \
         if [ -d {skel} ]; then cp -a -- {skel} {h}; else mkdir -- {h}; fi; \
         m=$(awk '$1==\"HOME_MODE\"{{print $2}}' /etc/login.defs 2>/dev/null); \
         if [ -z \"$m\" ]; then u=$(awk '$1==\"UMASK\"{{print $2}}' /etc/login.defs 2>/dev/null); \
         m=$(printf '%o' $(( 0777 & ~0${{u:-022}} ))); fi; \
         chmod \"$m\" -- {h}; chown -R {}:{} -- {h}",
        user.uid, user.gid
    );
    crate::modules::host::run(ctx, &script).await.map(drop)
}

/// `chage` for the ageing fields that differ from the shadow entry.
async fn password_ageing(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    found: &Found,
) -> Result<bool, ModuleResult> {
    let shadow = found.shadow.clone().unwrap_or_default();
    let mut cmd = String::new();
    for (flag, want, have) in [
        ("-m", args.password_expire_min, &shadow.min),
        ("-M", args.password_expire_max, &shadow.max),
        ("-W", args.password_expire_warn, &shadow.warn),
    ] {
        let Some(want) = want else { continue };
        if have.trim().parse::<i64>().ok() != Some(want) {
            let _ = write!(cmd, " {flag} {want}");
        }
    }
    if cmd.is_empty() || found.user.is_none() {
        return Ok(false);
    }
    if !ctx.check_mode {
        account_command(
            ctx,
            &format!("chage{cmd} -- {}", quote(&args.name)),
            None,
            &args.name,
        )
        .await?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_dates_are_civil_dates() {
        for (secs, date) in [
            (0.0, "1970-01-01"),
            (1_700_000_000.0, "2023-11-14"),
            (951_782_400.0, "2000-02-29"),
            (-1.0, ""),
        ] {
            assert_eq!(expiry_date(secs), date, "{secs}");
        }
        assert!(!expiry_differs(1_700_000_000.0, "19675"));
        assert!(expiry_differs(-1.0, "19675"));
        assert!(!expiry_differs(-1.0, ""));
    }
}
