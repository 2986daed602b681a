//! `pip`: Python packages installed, upgraded or removed with the host's pip (in a
//! virtualenv it makes when asked). What is installed is read first (`pip list
//! --format=freeze`): packages already there at a matching version are not handed to pip
//! again, so a second run changes nothing without asking an index. `changed` otherwise
//! follows pip's own report (`Successfully installed`/`uninstalled`), as Ansible's does.
//! Requirement parsing is in `pip_package.rs`.

use serde::Deserialize;

use crate::connection::quote;
use crate::modules::args::refuse_choice;
use crate::modules::net_args::{boolean, exclusive};
use crate::modules::pip_package::{recover, Package};
use crate::modules::{
    argnames, de_bool, typed, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "pip",
    path_args: &["virtualenv", "virtualenv_command", "chdir", "executable"],
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("pip", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    #[serde(default = "present")]
    state: String,
    #[serde(default, deserialize_with = "crate::modules::net_args::de_list")]
    name: Vec<String>,
    version: Option<String>,
    requirements: Option<String>,
    virtualenv: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    virtualenv_site_packages: bool,
    #[serde(default = "virtualenv")]
    virtualenv_command: String,
    virtualenv_python: Option<String>,
    extra_args: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    editable: bool,
    chdir: Option<String>,
    executable: Option<String>,
    umask: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    break_system_packages: bool,
}

fn present() -> String {
    "present".into()
}
fn virtualenv() -> String {
    "virtualenv".into()
}

const STATES: &[&str] = &["present", "absent", "latest", "forcereinstall"];

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(args, "pip", &["state"], STATES)?;
    boolean(
        args,
        "pip",
        &[
            "editable",
            "virtualenv_site_packages",
            "break_system_packages",
        ],
    )?;
    exclusive(
        args,
        "pip",
        &[("name", "requirements"), ("executable", "virtualenv")],
    )?;
    if !args.contains_key("name") && !args.contains_key("requirements") {
        return Err(ArgProblem {
            message: "one of the following is required: name, requirements (module 'pip')".into(),
            hint: "name the packages, or give a requirements file".into(),
        });
    }
    Ok(())
}

/// The pip words of each state.
fn state_words(state: &str) -> &'static str {
    match state {
        "absent" => "uninstall -y",
        "latest" => "install -U",
        "forcereinstall" => "install -U --force-reinstall",
        _ => "install",
    }
}

/// Where and how pip runs on the host.
struct Pip<'a> {
    ctx: &'a ModuleCtx<'a>,
    /// `umask`, `PATH` for the virtualenv, `cd chdir`.
    prefix: String,
    /// The pip command (quoted words).
    pip: String,
}

impl Pip<'_> {
    async fn exec(&self, words: &str) -> Result<crate::connection::ExecOutput, ModuleResult> {
        self.ctx
            .exec(&format!("{}{} {words}", self.prefix, self.pip))
            .await
            .map_err(|e| ModuleResult::unreachable(&e))
    }

    /// `pip list --format=freeze` (or `pip freeze`): `name==version` lines.
    async fn installed(&self) -> Result<(String, String), ModuleResult> {
        let out = self.exec("list --format=freeze").await?;
        if out.rc == 0 {
            return Ok((format!("{} list --format=freeze", self.pip), out.stdout));
        }
        let out = self.exec("freeze").await?;
        if out.rc != 0 {
            return Err(failure(
                &format!("{} freeze", self.pip),
                &out.stdout,
                &out.stderr,
            ));
        }
        Ok((format!("{} freeze", self.pip), out.stdout))
    }
}

/// Ansible's failure text for a pip command.
fn failure(cmd: &str, out: &str, err: &str) -> ModuleResult {
    let mut msg = String::new();
    if !out.is_empty() {
        msg.push_str(&format!("stdout: {out}"));
    }
    if !err.is_empty() {
        msg.push_str(&format!("\n:stderr: {err}"));
    }
    let mut r = ModuleResult::failed(msg);
    r.data.insert("cmd".into(), cmd.into());
    r
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    if args.state == "latest" && args.version.is_some() {
        return Err(ModuleResult::failed(
            "version is incompatible with state=latest",
        ));
    }
    let chdir = args.chdir.clone().unwrap_or_else(|| "/tmp".into());
    let env = args
        .virtualenv
        .as_ref()
        .map(|e| match (&args.chdir, e.starts_with('/')) {
            (Some(dir), false) => format!("{}/{e}", dir.trim_end_matches('/')),
            _ => e.clone(),
        });
    let mut prefix = String::new();
    if let Some(u) = &args.umask {
        if u.is_empty() || !u.chars().all(|c| ('0'..='7').contains(&c)) {
            return Err(ModuleResult::failed("umask must be an octal integer"));
        }
        prefix.push_str(&format!("umask {u}; "));
    }
    if args.break_system_packages {
        prefix.push_str("export PIP_BREAK_SYSTEM_PACKAGES=1; ");
    }
    let mut venv_out = (String::new(), String::new());
    let mut venv_created = false;
    if let Some(env) = &env {
        if !crate::modules::host::stat(ctx, &format!("{env}/bin/activate"), false)
            .await?
            .exists
        {
            if ctx.check_mode {
                let mut r = ModuleResult::ok(Vars::new());
                r.changed = true;
                return Ok(r);
            }
            venv_out = make_virtualenv(ctx, &args, &prefix, env, &chdir).await?;
            venv_created = true;
        }
        prefix.push_str(&format!("export PATH={}/bin:\"$PATH\"; ", quote(env)));
    }
    prefix.push_str(&format!("cd {} && ", quote(&chdir)));
    let pip = Pip {
        pip: find_pip(ctx, &args, env.as_deref()).await?,
        prefix,
        ctx,
    };
    let packages = packages(&args)?;
    let mut r = converge(&pip, &args, &packages, venv_created).await?;
    let (out, err) = venv_out;
    for (key, before) in [("stdout", out), ("stderr", err)] {
        let after = r
            .data
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string();
        r.data.insert(key.into(), (before + &after).into());
    }
    r.data.insert(
        "virtualenv".into(),
        env.map_or(serde_json::Value::Null, Into::into),
    );
    Ok(r)
}

/// The requirements of `name` (with `version` joined to the only one).
fn packages(args: &Args) -> Result<Vec<Package>, ModuleResult> {
    if args.name.is_empty() {
        return Ok(Vec::new());
    }
    let mut list: Vec<Package> = recover(&args.name)
        .iter()
        .map(|t| Package::parse(t, None))
        .collect();
    if let Some(v) = &args.version {
        if list.len() > 1 {
            return Err(ModuleResult::failed(
                "'version' argument is ambiguous when installing multiple package distributions. \
                 Please specify version restrictions next to each package in 'name' argument.",
            ));
        }
        if list[0].has_specifier() {
            return Err(ModuleResult::failed(
                "The 'version' argument conflicts with any version specifier provided along with \
                 a package name. Please keep the version specifier, but remove the 'version' argument.",
            ));
        }
        list[0] = Package::parse(&list[0].text, Some(v));
    }
    Ok(list)
}

/// `virtualenv_command` making the virtualenv `env`: its stdout and stderr.
async fn make_virtualenv(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    prefix: &str,
    env: &str,
    chdir: &str,
) -> Result<(String, String), ModuleResult> {
    let words = shlex::split(&args.virtualenv_command).unwrap_or_default();
    let Some(program) = words.first() else {
        return Err(ModuleResult::failed("virtualenv_command is empty"));
    };
    let is_venv =
        program.ends_with("pyvenv") || words.windows(2).any(|w| w[0] == "-m" && w[1] == "venv");
    let mut cmd: Vec<String> = words.iter().map(|w| quote(w)).collect();
    if args.virtualenv_site_packages {
        cmd.push("--system-site-packages".into());
    } else {
        let help = format!(
            "{} --help 2>/dev/null | grep -q -- --no-site-packages && echo y; true",
            quote(program)
        );
        if crate::modules::host::run(ctx, &help).await?.trim() == "y" {
            cmd.push("--no-site-packages".into());
        }
    }
    match (is_venv, &args.virtualenv_python) {
        (true, Some(_)) => {
            return Err(ModuleResult::failed(
                "virtualenv_python should not be used when using the venv module or pyvenv as virtualenv_command",
            ))
        }
        (false, Some(py)) => cmd.push(quote(&format!("-p{py}"))),
        (false, None) => cmd.push("-p\"$(command -v python3)\"".into()),
        (true, None) => {}
    }
    cmd.push(quote(env));
    let line = format!("{prefix}cd {} && {}", quote(chdir), cmd.join(" "));
    let out = ctx
        .exec(&line)
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?;
    if out.rc != 0 {
        return Err(failure(&cmd.join(" "), &out.stdout, &out.stderr));
    }
    Ok((out.stdout, out.stderr))
}

/// The pip to run: the virtualenv's, `executable`, else the host Python's `-m pip` (as the
/// module's own interpreter runs it), else `pip3`.
async fn find_pip(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    env: Option<&str>,
) -> Result<String, ModuleResult> {
    if let Some(exe) = &args.executable {
        return Ok(quote(exe));
    }
    let script = match env {
        Some(env) => {
            let (a, b) = (
                quote(&format!("{env}/bin/pip3")),
                quote(&format!("{env}/bin/pip")),
            );
            format!("if [ -x {a} ]; then echo {a}; elif [ -x {b} ]; then echo {b}; fi")
        }
        None => {
            let py = ctx
                .vars
                .get("ansible_python_interpreter")
                .and_then(|v| v.as_str())
                .filter(|p| !p.contains("auto"))
                .unwrap_or("python3");
            let py = quote(py);
            format!(
                "if {py} -c 'import pip' >/dev/null 2>&1; then echo \"{py} -m pip.__main__\"; \
                 elif command -v pip3 >/dev/null; then echo pip3; fi"
            )
        }
    };
    let found = crate::modules::host::run(ctx, &script).await?;
    match (found.trim(), env) {
        ("", Some(env)) => Err(ModuleResult::failed(format!(
            "Unable to find pip in the virtualenv, {env}, under any of these names: pip3, pip. \
             Make sure pip is present in the virtualenv."
        ))),
        ("", None) => Err(ModuleResult::failed(
            "Unable to find any of pip3 to use.  pip needs to be installed.",
        )),
        (pip, _) => Ok(pip.to_string()),
    }
}

/// Reads what is installed, then runs pip for what is not as asked.
async fn converge(pip: &Pip<'_>, args: &Args, packages: &[Package], venv_created: bool) -> Outcome {
    let mut extra = args.extra_args.clone().unwrap_or_default();
    if args.editable && !extra.split(' ').any(|w| w == "-e") {
        extra = if extra.is_empty() {
            "-e".into()
        } else {
            format!("{extra} -e")
        };
    }
    let simple = extra.is_empty() && args.requirements.is_none() && !packages.is_empty();
    let queryable = simple && matches!(args.state.as_str(), "present" | "absent");
    let mut data = Vars::new();
    for (k, v) in [
        ("state", Some(&args.state)),
        ("version", args.version.as_ref()),
        ("requirements", args.requirements.as_ref()),
    ] {
        data.insert(
            k.into(),
            v.map_or(serde_json::Value::Null, |s| s.clone().into()),
        );
    }
    data.insert("name".into(), args.name.clone().into());
    if pip.ctx.check_mode && !queryable {
        return Ok(ModuleResult {
            changed: true,
            ..Default::default()
        });
    }
    let (list_cmd, installed) = match queryable {
        true => pip.installed().await?,
        false => (String::new(), String::new()),
    };
    let absent = args.state == "absent";
    let todo: Vec<&Package> = packages
        .iter()
        .filter(|p| !queryable || p.is_present(&installed) == absent)
        .collect();
    if queryable && (todo.is_empty() || pip.ctx.check_mode) {
        data.insert("cmd".into(), list_cmd.into());
        data.insert("stdout".into(), installed.into());
        data.insert("stderr".into(), "".into());
        let mut r = ModuleResult::ok(data);
        r.changed = !todo.is_empty() || venv_created;
        return Ok(r);
    }
    let mut cmd = state_words(&args.state).to_string();
    for w in shlex::split(&extra).unwrap_or_default() {
        cmd.push_str(&format!(" {}", quote(&w)));
    }
    match &args.requirements {
        Some(req) => cmd.push_str(&format!(" -r {}", quote(req))),
        None => todo
            .iter()
            .for_each(|p| cmd.push_str(&format!(" {}", quote(&p.text)))),
    }
    let vcs = packages.iter().any(|p| {
        ["svn+", "git+", "hg+", "bzr+"]
            .iter()
            .any(|v| p.text.contains(v))
    });
    let before = match args.requirements.is_some() || vcs {
        true => Some(pip.installed().await?.1),
        false => None,
    };
    let out = pip.exec(&cmd).await?;
    let full = format!("{} {cmd}", pip.pip);
    let not_installed =
        out.stdout.contains("not installed") || out.stderr.contains("not installed");
    if out.rc != 0 && !(out.rc == 1 && absent && not_installed) {
        return Err(failure(&full, &out.stdout, &out.stderr));
    }
    let changed = match (absent, before) {
        (true, _) => out.stdout.contains("Successfully uninstalled"),
        (false, None) => out.stdout.contains("Successfully installed"),
        (false, Some(before)) => before != pip.installed().await?.1,
    };
    // As Ansible reports the command it ran: a list of words.
    let words = shlex::split(&full).unwrap_or_else(|| vec![full.clone()]);
    data.insert("cmd".into(), words.into());
    data.insert("stdout".into(), out.stdout.into());
    data.insert("stderr".into(), out.stderr.into());
    let mut r = ModuleResult::ok(data);
    r.changed = changed || venv_created;
    Ok(r)
}
