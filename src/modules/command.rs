//! `command`: runs a program on the host without a shell (argv split like Python's shlex).
//!
//! Also holds the remote-run helper `shell` shares: compose one sh line (cd, creates/removes
//! check, stdin), run it over the host's connection, and build Ansible's result dictionary.

use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::{quote, ExecOutput};
use crate::modules::host::expand;
use crate::modules::host::jobs::{self, AsyncJob};
use crate::modules::host::timefmt::{delta, timestamp};
use crate::modules::{
    argnames, de_bool, typed_parts, FreeForm, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "command",
    path_args: &["chdir", "creates", "removes"],
    background: true,
    args: Some(|| [argnames::of::<Args>(), argnames::of::<Common>()].concat()),
    free_form: FreeForm::Raw,
    run: |ctx, args| {
        Box::pin(typed_parts(
            "command",
            args,
            |a, common| Args { common, ..a },
            move |a| run(ctx, a),
        ))
    },
    ..DEFAULTS
};

// No deny_unknown_fields: the mapping also holds the separately read part's names, checked at load.
#[derive(Deserialize)]
struct Args {
    _raw_params: Option<String>,
    cmd: Option<String>,
    argv: Option<Vec<String>>,
    /// Read separately (serde names no fields of a flattened struct).
    #[serde(skip)]
    common: Common,
    /// `$VAR` and a leading `~` in each argument expanded as Python expands them (the default).
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    expand_argument_vars: bool,
}

/// The options `command` and `shell` share.
#[derive(Deserialize, Default)]
pub(crate) struct Common {
    pub chdir: Option<String>,
    pub creates: Option<String>,
    pub removes: Option<String>,
    pub stdin: Option<String>,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    pub stdin_add_newline: bool,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    pub strip_empty_ends: bool,
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> ModuleResult {
    let argv = match (&args.argv, args.cmd.as_ref().or(args._raw_params.as_ref())) {
        (Some(argv), None) if !argv.is_empty() => argv.clone(),
        (None, Some(text)) => match shlex::split(text) {
            Some(argv) if !argv.is_empty() => argv,
            Some(_) => return ModuleResult::failed("no command given"),
            None => return ModuleResult::failed(format!("cannot split the command line: {text}")),
        },
        (Some(_), Some(_)) => {
            return ModuleResult::failed("parameters are mutually exclusive: cmd|argv")
        }
        _ => return ModuleResult::failed("no command given"),
    };
    // The result's `cmd` is the arguments as written; the program gets them expanded.
    let cmd = Json::Array(argv.iter().cloned().map(Json::String).collect());
    let mut argv = argv;
    if args.expand_argument_vars {
        let mut wanted: Vec<&mut String> = argv.iter_mut().filter(|a| expand::wants(a)).collect();
        if let Err(r) = expand::expand(ctx, &mut wanted).await {
            return r;
        }
    }
    let line = argv.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ");
    run_remote(ctx, &args.common, &format!("exec {line}"), cmd).await
}

/// Runs `line` (already quoted) on the host with the common options and builds the result.
pub(crate) async fn run_remote(
    ctx: &ModuleCtx<'_>,
    opts: &Common,
    line: &str,
    cmd: Json,
) -> ModuleResult {
    if ctx.check_mode && opts.creates.is_none() && opts.removes.is_none() {
        let mut r = would_run();
        r.skipped = true;
        return r;
    }
    let guard = Guard::of(opts);
    if let (Some(job), false) = (ctx.async_job, ctx.check_mode) {
        return launch(ctx, job, opts, guard.as_ref(), line, cmd).await;
    }
    let script = compose(ctx.check_mode, opts, guard.as_ref(), line);
    let start = SystemTime::now();
    let clock = Instant::now();
    let out = match ctx.exec(&script).await {
        Ok(o) => o,
        Err(e) => return ModuleResult::unreachable(&e),
    };
    let elapsed = clock.elapsed();
    let guard_skipped = out.rc == 0 && out.stdout.trim_end() == SKIP_MARK;
    if ctx.check_mode && !guard_skipped {
        if out.rc != 0 {
            return ModuleResult::failed(format!(
                "Unable to change directory before execution: {}",
                out.stderr.trim()
            ));
        }
        let mut r = would_run();
        r.changed = true;
        return r;
    }
    match guard {
        Some(g) if guard_skipped => g.skipped(cmd),
        _ => ran(opts, &out, cmd, start, elapsed, output_limit(ctx.vars)),
    }
}

/// `async:`: the command starts in the background (after its creates/removes guard, checked
/// now); the result says it started, `async_status` tells the rest.
async fn launch(
    ctx: &ModuleCtx<'_>,
    job: &AsyncJob,
    opts: &Common,
    guard: Option<&Guard<'_>>,
    line: &str,
    cmd: Json,
) -> ModuleResult {
    if let Some(g) = guard {
        match ctx.exec(&format!("{} && echo {SKIP_MARK}", g.test)).await {
            Ok(out) if out.stdout.trim_end() == SKIP_MARK => return g.skipped(cmd),
            Ok(_) => {}
            Err(e) => return ModuleResult::unreachable(&e),
        }
    }
    let script = compose(false, opts, None, line);
    let meta = serde_json::json!({"cmd": cmd, "strip_empty_ends": opts.strip_empty_ends});
    let out = match jobs::launch(ctx, job, &script, &meta).await {
        Ok(out) if out.rc == 0 => out,
        Ok(out) => {
            return ModuleResult::failed(format!("could not start the job: {}", out.stderr.trim()))
        }
        Err(e) => return ModuleResult::unreachable(&e),
    };
    let mut data = Vars::new();
    data.insert("ansible_job_id".into(), job.jid.clone().into());
    data.insert("failed".into(), 0.into());
    data.insert("finished".into(), 0.into());
    data.insert("results_file".into(), out.stdout.trim().into());
    data.insert("started".into(), 1.into());
    ModuleResult {
        changed: true,
        data,
        ..Default::default()
    }
}

/// The result of a finished background job, from what `launch` saved (`meta`), its output,
/// exit status and times (seconds since the epoch).
pub(crate) fn finished(
    meta: &Json,
    out: &ExecOutput,
    rc: i32,
    start: f64,
    end: f64,
) -> ModuleResult {
    let opts = Common {
        strip_empty_ends: meta["strip_empty_ends"].as_bool().unwrap_or(true),
        ..Common::default()
    };
    let out = ExecOutput { rc, ..out.clone() };
    let begin = SystemTime::UNIX_EPOCH + Duration::from_secs_f64(start.max(0.0));
    let elapsed = Duration::from_secs_f64((end - start).max(0.0));
    ran(&opts, &out, meta["cmd"].clone(), begin, elapsed, None)
}

/// The check-mode result of a command that would run.
fn would_run() -> ModuleResult {
    let mut r = ModuleResult::ok(Vars::new());
    r.data.insert(
        "msg".into(),
        "Command would have run if not in check mode".into(),
    );
    r
}

/// `creates`/`removes`: the path, the shell test that skips the command, and why.
struct Guard<'a> {
    path: &'a str,
    test: String,
    why: &'static str,
}

impl<'a> Guard<'a> {
    fn of(opts: &'a Common) -> Option<Guard<'a>> {
        match (&opts.creates, &opts.removes) {
            (Some(p), _) => Some(Guard {
                path: p,
                test: format!("[ -e {} ]", quote(p)),
                why: "exists",
            }),
            (None, Some(p)) => Some(Guard {
                path: p,
                test: format!("[ ! -e {} ]", quote(p)),
                why: "does not exist",
            }),
            _ => None,
        }
    }

    /// The result when the guard skipped the command, as Ansible words it.
    fn skipped(&self, cmd: Json) -> ModuleResult {
        let (path, why) = (self.path, self.why);
        let mut data = Vars::new();
        data.insert("cmd".into(), cmd);
        data.insert("rc".into(), 0.into());
        data.insert(
            "stdout".into(),
            format!("skipped, since {path} {why}").into(),
        );
        data.insert("stdout_lines".into(), Json::Array(vec![]));
        data.insert("stderr".into(), "".into());
        data.insert("stderr_lines".into(), Json::Array(vec![]));
        let msg = format!("Did not run command since '{path}' {why}");
        data.insert("msg".into(), msg.into());
        ModuleResult::ok(data)
    }
}

/// The one sh line: `cd`, the guard, then the command (with its stdin), or in check mode
/// only the guard.
fn compose(check_mode: bool, opts: &Common, guard: Option<&Guard<'_>>, line: &str) -> String {
    let mut script = String::new();
    if let Some(dir) = &opts.chdir {
        script.push_str(&format!("cd {} || exit 1; ", quote(dir)));
    }
    if let Some(g) = guard {
        script.push_str(&format!(
            "if {}; then echo {SKIP_MARK}; exit 0; fi; ",
            g.test
        ));
    }
    if check_mode {
        // Only the creates/removes guard runs: a command that would run is reported changed.
        script.push_str("exit 0");
        return script;
    }
    match &opts.stdin {
        Some(input) => {
            let nl = if opts.stdin_add_newline { "\\n" } else { "" };
            script.push_str(&format!("printf '%s{nl}' {} | {line}", quote(input)));
        }
        None => script.push_str(line),
    }
    script
}

/// Ansible's result of a command that ran: rc, stdout/stderr (and their lines), times.
fn ran(
    opts: &Common,
    out: &ExecOutput,
    cmd: Json,
    start: SystemTime,
    elapsed: std::time::Duration,
    limit: Option<usize>,
) -> ModuleResult {
    let strip = |s: &str| {
        if opts.strip_empty_ends {
            s.trim_end_matches(['\r', '\n']).to_string()
        } else {
            s.to_string()
        }
    };
    let mut data = Vars::new();
    data.insert("cmd".into(), cmd);
    data.insert("delta".into(), delta(elapsed).into());
    data.insert("end".into(), timestamp(start + elapsed).into());
    data.insert("msg".into(), "".into());
    data.insert("rc".into(), out.rc.into());
    data.insert("start".into(), timestamp(start).into());
    put_output(&mut data, "stderr", strip(&out.stderr), limit);
    put_output(&mut data, "stdout", strip(&out.stdout), limit);
    exited(data, out.rc)
}

/// `ferry_output_limit` (a task or host variable: bytes, or with a `k`/`M`/`G` suffix): a
/// command's stdout and stderr keep only their last that many bytes in its result.
pub(crate) fn output_limit(vars: &Vars) -> Option<usize> {
    let text = match vars.get("ferry_output_limit")? {
        Json::Number(n) => return n.as_u64().map(|n| n as usize),
        Json::String(s) => s.trim().to_ascii_lowercase(),
        _ => return None,
    };
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text.as_str(), ""),
    };
    let scale = match unit.trim_end_matches(['b', 'i']) {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        _ => return None,
    };
    digits.parse::<usize>().ok().map(|n| n * scale)
}

/// Puts a command's `name` (stdout or stderr) and `name_lines` into its result. Beyond
/// `limit` bytes only the tail is kept (from a line start when one is near), and
/// `name_truncated` records how many bytes there were.
pub(crate) fn put_output(data: &mut Vars, name: &str, mut text: String, limit: Option<usize>) {
    if let Some(limit) = limit.filter(|l| text.len() > *l) {
        data.insert(format!("{name}_truncated"), text.len().into());
        let mut cut = text.len() - limit;
        while !text.is_char_boundary(cut) {
            cut += 1;
        }
        if let Some(nl) = text[cut..].find('\n').filter(|nl| *nl < 4096) {
            cut += nl + 1;
        }
        text.drain(..cut);
    }
    let lines = text.lines().map(|l| Json::String(l.into())).collect();
    data.insert(format!("{name}_lines"), Json::Array(lines));
    data.insert(name.into(), text.into());
}

/// A command that ran: changed, and failed on a non-zero `rc` (with Ansible's message).
pub(crate) fn exited(mut data: Vars, rc: i32) -> ModuleResult {
    let failed = rc != 0;
    if failed {
        data.insert("msg".into(), "non-zero return code".into());
    }
    ModuleResult {
        changed: true,
        failed,
        data,
        ..Default::default()
    }
}

/// Printed by the creates/removes guard when the command is not run.
const SKIP_MARK: &str = "__ferry_guard_skip_7f3a__";
