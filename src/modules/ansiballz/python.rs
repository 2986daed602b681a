//! Running a packaged Python module on the host: one command per task over the host's
//! connection. The host's Python reads a header line on stdin (where the package is kept on the
//! host, its hash, the module's arguments) and, the first time, the package itself, which it
//! unpacks under the remote temporary directory (unpacked, Python keeps the compiled support
//! code beside it, which a zip on `sys.path` cannot: later runs skip compiling `basic.py` and
//! the rest); it puts the package on `sys.path`, hands the arguments to `AnsibleModule` and runs
//! the module as `__main__`, as AnsiballZ does. Arguments travel on stdin only, never on a
//! command line.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use serde_json::{json, Value as Json};

use super::package::{self, Package, Sources};
use super::{internals, interpreter};
use crate::collections::located::{self, ModuleFile};
use crate::connection::{quote, Input};
use crate::modules::host::jobs::{self, AsyncJob};
use crate::modules::{ModuleCtx, ModuleResult};
use crate::vars::Vars;

/// The exit status (and stderr marker) of a run that found no package kept on the host.
const MISSING: i32 = 75;
const MISSING_MARK: &str = "ferry-ansiballz: package missing";

/// What the host's Python runs: read the header and the package, run the module.
const BOOT: &str = r#"import json, os, sys
h = json.loads(sys.stdin.buffer.readline())
d = os.path.expanduser(h['dir'])
x = os.path.join(d, h['hash'])
if not os.path.isdir(x):
    if not h['send']:
        sys.stderr.write('ferry-ansiballz: package missing\n')
        sys.exit(75)
    import io, shutil, zipfile
    data = sys.stdin.buffer.read()
    os.makedirs(d, 0o700, exist_ok=True)
    t = '%s.%d' % (x, os.getpid())
    zipfile.ZipFile(io.BytesIO(data)).extractall(t)
    try:
        os.rename(t, x)
    except OSError:
        shutil.rmtree(t, ignore_errors=True)
sys.path = [x] + [p for p in sys.path if p not in ('', os.getcwd())]
import ansible.module_utils.basic as basic
basic._ANSIBLE_ARGS = json.dumps({'ANSIBLE_MODULE_ARGS': h['args']}).encode('utf-8')
import runpy
runpy.run_module(h['fqn'], init_globals=dict(_module_fqn=h['fqn'], _modlib_path=x), run_name='__main__', alter_sys=True)
print(json.dumps({'msg': 'New-style module did not handle its own exit', 'failed': True}))
sys.exit(1)
"#;

/// Runs the Python module `file` on the host with `args`.
pub(crate) async fn run(ctx: &ModuleCtx<'_>, file: &ModuleFile, args: Vars) -> ModuleResult {
    let Some(core) = located::core_dir() else {
        return ModuleResult::failed(format!(
            "module '{}' needs ansible-core's module_utils on the controller, and no Python \
             there imports 'ansible' (install it: pip install ansible-core, or set \
             FERRY_ANSIBLE_CORE_DIR to the directory holding its 'ansible' package)",
            ctx.module
        ));
    };
    let roots = located::roots();
    let sources = Sources {
        core,
        roots: &roots,
    };
    let pkg = match package::get(file, &sources) {
        Ok(p) => p,
        Err(e) => return ModuleResult::failed(format!("cannot package '{}': {e}", ctx.module)),
    };
    let version = located::core_version(core).unwrap_or_else(|| "2.18.0".into());
    let args = internals::with_internals(ctx, args, &version);
    let command = format!("{}{}", interpreter::shell_prelude(ctx), exec_line());
    let key = format!(
        "{}\0{}\0{}",
        ctx.host,
        ctx.become_.map_or("", |b| b.user.as_str()),
        pkg.hash
    );
    if let Some(job) = ctx.async_job {
        let prelude = interpreter::shell_prelude(ctx);
        let command = |f: &str| {
            format!(
                "{prelude}\"$ferry_py\" -c {} < {f}; rc=$?; rm -f {f}; exit $rc",
                quote(BOOT)
            )
        };
        let file = format!(
            "{}/{}.in",
            super::script::shell_path(&internals::host_cache_dir(ctx)),
            job.jid
        );
        let input = input(ctx, &pkg, &args, true);
        return background(ctx, job, &file, &input, command).await;
    }
    let mut send = !sent()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .contains(&key);
    loop {
        let out = match ctx
            .exec_input(&command, Input::bytes(&input(ctx, &pkg, &args, send)))
            .await
        {
            Ok(out) => out,
            Err(e) => return ModuleResult::unreachable(&e),
        };
        if out.rc == MISSING && out.stderr.contains(MISSING_MARK) && !send {
            send = true;
            continue;
        }
        sent().lock().unwrap_or_else(|e| e.into_inner()).insert(key);
        return interpreter::finish(ctx, out);
    }
}

/// What the host's Python reads on stdin: the header line, then (when `send`) the package.
fn input(ctx: &ModuleCtx<'_>, pkg: &Package, args: &Vars, send: bool) -> Vec<u8> {
    let header = json!({
        "dir": internals::host_cache_dir(ctx),
        "hash": pkg.hash,
        "fqn": pkg.fqn,
        "send": send,
        "args": Json::Object(args.clone()),
    });
    let mut input = header.to_string().into_bytes();
    input.push(b'\n');
    if send {
        input.extend_from_slice(&pkg.zip);
    }
    input
}

/// `async`: `input` is written to `file` (a path for the shell line), which only its owner
/// reads, and `command` — given that file's quoted path, which it removes once read — starts
/// as a background job whose output is the module's JSON.
pub(super) async fn background(
    ctx: &ModuleCtx<'_>,
    job: &AsyncJob,
    file: &str,
    input: &[u8],
    command: impl Fn(&str) -> String,
) -> ModuleResult {
    let write =
        format!("umask 077; f={file}; mkdir -p \"${{f%/*}}\" && cat > \"$f\" && echo \"$f\"");
    let path = match ctx.exec_input(&write, Input::bytes(input)).await {
        Ok(out) if out.rc == 0 => out.stdout.trim().to_string(),
        Ok(out) => {
            return ModuleResult::failed(format!("could not start the job: {}", out.stderr.trim()))
        }
        Err(e) => return ModuleResult::unreachable(&e),
    };
    let meta = json!({ MODULE_JSON: true, "module": ctx.module });
    match jobs::launch(ctx, job, &command(&quote(&path)), &meta).await {
        Ok(out) if out.rc == 0 => started(job, out.stdout.trim()),
        Ok(out) => ModuleResult::failed(format!("could not start the job: {}", out.stderr.trim())),
        Err(e) => ModuleResult::unreachable(&e),
    }
}

/// What a started background job reports, as Ansible's async wrapper says it.
fn started(job: &AsyncJob, results_file: &str) -> ModuleResult {
    let mut data = Vars::new();
    data.insert("ansible_job_id".into(), job.jid.clone().into());
    data.insert("failed".into(), 0.into());
    data.insert("finished".into(), 0.into());
    data.insert("results_file".into(), results_file.into());
    data.insert("started".into(), 1.into());
    ModuleResult {
        changed: true,
        data,
        ..Default::default()
    }
}

/// The key in a background job's saved `meta` that says its output is a module's JSON.
pub(crate) const MODULE_JSON: &str = "module_json";

/// The packages this run knows a host keeps (host, become user, hash).
fn sent() -> &'static Mutex<HashSet<String>> {
    static SENT: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    SENT.get_or_init(Mutex::default)
}

/// The command that runs [`BOOT`] with the interpreter the prelude chose.
fn exec_line() -> String {
    format!("exec \"$ferry_py\" -c {}", quote(BOOT))
}
