//! Which interpreter runs a module on the host: `ansible_python_interpreter` (or
//! `ansible_<name>_interpreter` for a script's `#!` line), else the first Python found the way
//! Ansible's `auto` discovery looks; and the failure of a host that has none.

use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::{ModuleCtx, ModuleResult};

/// What the prelude prints on stderr (exit status 127) when the host has no Python.
pub(crate) const NO_PYTHON: &str = "ferry-ansiballz: no python";

/// Where Ansible's interpreter discovery looks, in order (its fallback list).
const DISCOVERY: &str = "/usr/bin/python3 python3.13 python3.12 python3.11 python3.10 python3.9 \
                         python3.8 /usr/libexec/platform-python python3";

/// The host variable `ansible_<name>_interpreter`, rendered, unless it asks for discovery.
pub(crate) fn configured(ctx: &ModuleCtx<'_>, name: &str) -> Option<String> {
    let raw = ctx
        .vars
        .get(&format!("ansible_{name}_interpreter"))?
        .as_str()?;
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
             ferry_py=$p; break; fi; done; [ -n \"$ferry_py\" ] || {missing}; "
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
