//! A module's output made a task result, as Ansible's action base and task executor make it:
//! the JSON found in stdout (noise around it becomes warnings), `failed` from `rc` when the
//! module does not say, `_ansible_*` keys dropped, `stdout_lines`/`stderr_lines`, and output
//! that is no JSON reported as a module failure with what it printed.

use serde_json::Value as Json;

use crate::connection::ExecOutput;
use crate::modules::ModuleResult;
use crate::vars::Vars;

/// The task result of a module that printed `out`.
pub(crate) fn parse(out: &ExecOutput) -> ModuleResult {
    let Some((json, junk)) = json_part(&out.stdout) else {
        return module_failure(out);
    };
    let Ok(Json::Object(mut data)) = serde_json::from_str::<Json>(json) else {
        return module_failure(out);
    };
    data.retain(|k, _| !k.starts_with("_ansible_"));
    for key in ["warnings", "deprecations"] {
        if data.get(key).is_some_and(is_empty) {
            data.remove(key);
        }
    }
    if !junk.is_empty() {
        let warning = format!("Module invocation had junk after the JSON data: {junk}");
        push_warning(&mut data, warning);
    }
    if let Some(Json::Object(facts)) = data.get_mut("ansible_facts") {
        facts.retain(|k, _| {
            !k.starts_with("discovered_interpreter_")
                && !k.starts_with("ansible_discovered_interpreter_")
        });
    }
    lines(&mut data, "stdout");
    lines(&mut data, "stderr");
    let truthy = |v: Option<Json>| match v {
        Some(Json::Bool(b)) => b,
        Some(Json::String(s)) => crate::text::ansible_bool(&s).unwrap_or(false),
        Some(Json::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        _ => false,
    };
    let rc_failed = data
        .get("rc")
        .is_some_and(|rc| rc != &Json::from(0) && rc.as_str() != Some("0"));
    let failed = match data.remove("failed") {
        Some(v) => truthy(Some(v)),
        None => rc_failed,
    };
    ModuleResult {
        changed: truthy(data.remove("changed")),
        skipped: truthy(data.remove("skipped")),
        failed,
        data,
        ..Default::default()
    }
}

fn is_empty(v: &Json) -> bool {
    match v {
        Json::Array(a) => a.is_empty(),
        Json::Null => true,
        _ => false,
    }
}

fn push_warning(data: &mut Vars, warning: String) {
    match data.get_mut("warnings") {
        Some(Json::Array(list)) => list.push(warning.into()),
        _ => {
            data.insert("warnings".into(), Json::Array(vec![warning.into()]));
        }
    }
}

/// `<key>_lines` beside a string `<key>`, unless the module gave them.
fn lines(data: &mut Vars, key: &str) {
    let name = format!("{key}_lines");
    if data.contains_key(&name) {
        return;
    }
    if let Some(Json::String(text)) = data.get(key) {
        let split: Vec<Json> = text.lines().map(Json::from).collect();
        data.insert(name, Json::Array(split));
    }
}

/// The JSON object in `stdout` (from the first line that starts one to the last line that
/// ends one), and the text after it.
fn json_part(stdout: &str) -> Option<(&str, &str)> {
    let start = stdout
        .match_indices('{')
        .map(|(i, _)| i)
        .find(|i| *i == 0 || stdout[..*i].ends_with('\n'))?;
    let rest = &stdout[start..];
    let end = rest.rfind('}')? + 1;
    let junk = rest[end..].trim();
    Some((&rest[..end], junk))
}

/// What Ansible reports when a module printed no JSON: a failure with its output.
fn module_failure(out: &ExecOutput) -> ModuleResult {
    let mut r = ModuleResult::failed("MODULE FAILURE\nSee stdout/stderr for the exact error");
    r.data
        .insert("module_stdout".into(), out.stdout.clone().into());
    r.data
        .insert("module_stderr".into(), out.stderr.clone().into());
    r.data.insert("rc".into(), out.rc.into());
    if out.stderr.contains("Traceback (most recent call last)") {
        r.data.insert("exception".into(), out.stderr.clone().into());
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(rc: i32, stdout: &str) -> ExecOutput {
        ExecOutput {
            rc,
            stdout: stdout.into(),
            stderr: String::new(),
        }
    }

    #[test]
    fn module_output_becomes_the_task_result() {
        let r = parse(&out(0, "noise\n{\"changed\": true, \"stdout\": \"a\\nb\", \"_ansible_x\": 1, \"warnings\": []}\n"));
        assert!(r.changed && !r.failed);
        assert_eq!(
            r.data.get("stdout_lines"),
            Some(&serde_json::json!(["a", "b"]))
        );
        assert!(!r.data.contains_key("_ansible_x") && !r.data.contains_key("warnings"));
        let r = parse(&out(2, "{\"rc\": 2}\n"));
        assert!(r.failed && !r.changed);
        let r = parse(&out(0, "{\"skipped\": true, \"msg\": \"no check mode\"}"));
        assert!(r.skipped && !r.failed);
        let r = parse(&out(1, "not json"));
        assert!(r.failed);
        assert_eq!(
            r.data["msg"],
            "MODULE FAILURE\nSee stdout/stderr for the exact error"
        );
        assert_eq!(r.data["module_stdout"], "not json");
        let r = parse(&out(0, "{\"a\": 1}\ntrailing"));
        assert_eq!(
            r.data["warnings"][0],
            "Module invocation had junk after the JSON data: trailing"
        );
    }
}
