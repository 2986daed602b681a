//! The plugins that run a shell command on the control node: `pipe` (the output) and
//! `lines` (the output's lines). Commands run with `/bin/sh -c` in the playbook's directory.

use std::process::{Command, Stdio};

use serde_json::Value as Json;

use super::{text, Call, Fail, Found};

/// Runs `command`; its standard output, or the failure Ansible reports as `plugin(cmd)
/// returned N`.
fn run(call: &Call, plugin: &str, command: &str) -> Result<String, Fail> {
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .current_dir(call.scope.base_dir())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Fail::Soft(format!("lookup_plugin.{plugin}({command}): {e}")))?;
    if !out.status.success() {
        let code = out.status.code().unwrap_or(-1);
        return Err(Fail::Soft(format!(
            "lookup_plugin.{plugin}({command}) returned {code}"
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `pipe`: each command's output without trailing whitespace.
pub(crate) fn pipe(call: &Call) -> Found {
    call.terms
        .iter()
        .map(|t| run(call, "pipe", &text(t)).map(|out| Json::from(out.trim_end())))
        .collect()
}

/// `lines`: the lines of every command's output.
pub(crate) fn lines(call: &Call) -> Found {
    let mut found = Vec::new();
    for t in &call.terms {
        let out = run(call, "lines", &text(t))?;
        found.extend(out.lines().map(Json::from));
    }
    Ok(found)
}
