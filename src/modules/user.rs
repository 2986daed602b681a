//! `user`: a local account made to match the task — created with `useradd`, changed with
//! `usermod` only where the passwd/shadow/group entries differ, removed with `userdel` —
//! plus the home directory (created from a skeleton when missing, moved with `move_home`),
//! password ageing (`chage`) and an SSH key pair (`user_ssh.rs`). Passwords are given hashed
//! and travel on stdin (`chpasswd -e`), never on a command line. Linux shadow-utils only
//! (`local: true` reads `/etc/passwd` and `/etc/group` directly and creates the account with
//! libuser's `luseradd`, as Ansible does; changes still go through `usermod`).

use std::fmt::Write as _;

use crate::connection::quote;
use crate::modules::args::refuse_choices;
use crate::modules::host::accounts::{self, Found};
use crate::modules::sysargs;
use crate::modules::user_args::Args;
use crate::modules::{
    argnames, typed, user_commands, user_ssh, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec,
    Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "user",
    path_args: &["home", "shell", "ssh_key_file"],
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("user", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choices(
        args,
        "user",
        &[
            ("state", &["absent", "present"]),
            ("update_password", &["always", "on_create"]),
        ],
    )
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
    all.extend(user_commands::supplementary(args).unwrap_or_default());
    all
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

async fn create(ctx: &ModuleCtx<'_>, args: &Args, found: &Found) -> Result<Ran, ModuleResult> {
    require_groups(args, found)?;
    let (cmd, password) = user_commands::useradd(args, found);
    account_command(ctx, &cmd, password.as_deref(), &args.name).await
}

async fn modify(ctx: &ModuleCtx<'_>, args: &Args, found: &Found) -> Result<Ran, ModuleResult> {
    require_groups(args, found)?;
    let (opts, password) = user_commands::usermod_options(args, found);
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
