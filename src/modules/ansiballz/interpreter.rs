//! Which interpreter runs a module on the host: `ansible_python_interpreter` (or
//! `ansible_<name>_interpreter` for a script's `#!` line), else the first Python found the way
//! Ansible's `auto` discovery looks; and the failure of a host that has none.

use serde_json::Value as Json;

use crate::connection::{quote, ExecOutput};
use crate::modules::{ModuleCtx, ModuleResult};

/// What the prelude prints on stderr (exit status 127) when the host has no Python.
pub(crate) const NO_PYTHON: &str = "ferry-ansiballz: no python";

/// Where Ansible's interpreter discovery looks, in order (its fallback list).
const DISCOVERY: &str = "/usr/bin/python3 python3.13 python3.12 python3.11 python3.10 python3.9 \
                         python3.8 /usr/libexec/platform-python python3";

/// What the discovery prelude prints first on stderr: the interpreter it found.
const FOUND: &str = "ferry-ansiballz: found ";

/// The host variable `ansible_<name>_interpreter`, rendered, unless it asks for discovery (then,
/// for Python, the interpreter discovered on the host earlier: the fact Ansible keeps).
pub(crate) fn configured(ctx: &ModuleCtx<'_>, name: &str) -> Option<String> {
    let set = ctx.vars.get(&format!("ansible_{name}_interpreter"));
    let Some(raw) = set.and_then(Json::as_str) else {
        let fact = format!("discovered_interpreter_{name}");
        let facts = ctx.vars.get("ansible_facts").and_then(|f| f.get(&fact));
        return facts
            .or_else(|| ctx.vars.get(&fact))?
            .as_str()
            .map(str::to_string);
    };
    let value = match raw.contains("{{") {
        true => match ctx.templar.render_str(raw, ctx.vars) {
            Ok(Json::String(s)) => s,
            _ => raw.to_string(),
        },
        false => raw.to_string(),
    };
    (!value.starts_with("auto")).then_some(value)
}

/// Shell text that sets `$ferry_py` to the host's Python, or exits 127 saying there is none.
pub(crate) fn shell_prelude(ctx: &ModuleCtx<'_>) -> String {
    let missing = format!("{{ echo {} >&2; exit 127; }}", quote(NO_PYTHON));
    match configured(ctx, "python") {
        Some(py) => format!(
            "ferry_py={}; command -v \"$ferry_py\" >/dev/null 2>&1 || {missing}; ",
            quote(&py)
        ),
        None => format!(
            "ferry_py=; for p in {DISCOVERY}; do if command -v \"$p\" >/dev/null 2>&1; then \
             ferry_py=$p; break; fi; done; [ -n \"$ferry_py\" ] || {missing}; \
             echo \"{FOUND}$ferry_py\" >&2; "
        ),
    }
}

/// The failure of a host without Python.
pub(crate) fn no_python(ctx: &ModuleCtx<'_>) -> ModuleResult {
    let looked = match configured(ctx, "python") {
        Some(py) => format!("ansible_python_interpreter '{py}' is not there"),
        None => "none of /usr/bin/python3, python3.x or platform-python is there".to_string(),
    };
    ModuleResult::failed(format!(
        "module '{}' needs Python on the host; ferry's native modules do not ({looked})",
        ctx.module
    ))
}

/// The task result of a module run whose command began with [`shell_prelude`]: the failure of
/// a host without Python, or the module's result — with, when the interpreter was discovered,
/// the `discovered_interpreter_python` fact Ansible adds.
pub(crate) fn finish(ctx: &ModuleCtx<'_>, mut out: ExecOutput) -> ModuleResult {
    if out.rc == 127 && out.stderr.contains(NO_PYTHON) {
        return no_python(ctx);
    }
    let split = out.stderr.strip_prefix(FOUND).map(|rest| {
        let (path, after) = rest.split_once('\n').unwrap_or((rest, ""));
        (path.to_string(), after.to_string())
    });
    let found = split.map(|(path, after)| {
        out.stderr = after;
        path
    });
    let mut r = super::outcome::parse(&out);
    if let (Some(path), false) = (found, r.failed) {
        let facts = r
            .data
            .entry("ansible_facts")
            .or_insert_with(|| Json::Object(Default::default()));
        if let Json::Object(facts) = facts {
            facts.insert("discovered_interpreter_python".into(), path.into());
        }
    }
    r
}
