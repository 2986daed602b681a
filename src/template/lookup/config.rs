//! The `config` plugin: the values of common Ansible settings, as ansible-core 2.18 has them
//! by default (ferry reads no ansible.cfg).

use serde_json::{json, Value as Json};

use super::{text, Call, Fail, Found};

/// A setting's default value.
fn setting(name: &str) -> Option<Json> {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    Some(match name {
        "ANSIBLE_FORCE_COLOR"
        | "ANY_ERRORS_FATAL"
        | "DEFAULT_ASK_PASS"
        | "DEFAULT_BECOME"
        | "DEFAULT_BECOME_ASK_PASS"
        | "DEFAULT_JINJA2_NATIVE"
        | "DEFAULT_KEEP_REMOTE_FILES"
        | "DEFAULT_LOAD_CALLBACK_PLUGINS"
        | "DEFAULT_NO_LOG"
        | "DISPLAY_ARGS_TO_STDOUT"
        | "RETRY_FILES_ENABLED" => json!(false),
        "DEFAULT_UNDEFINED_VAR_BEHAVIOR" | "DISPLAY_SKIPPED_HOSTS" | "HOST_KEY_CHECKING" => {
            json!(true)
        }
        "DEFAULT_PRIVATE_KEY_FILE" | "DEFAULT_REMOTE_PORT" | "DEFAULT_REMOTE_USER" => Json::Null,
        "COLOR_CHANGED" => json!("yellow"),
        "COLOR_ERROR" => json!("red"),
        "COLOR_OK" => json!("green"),
        "COLOR_SKIP" => json!("cyan"),
        "DEFAULT_BECOME_METHOD" => json!("sudo"),
        "DEFAULT_BECOME_USER" => json!("root"),
        "DEFAULT_FORKS" => json!(5),
        "DEFAULT_GATHERING" => json!("implicit"),
        "DEFAULT_HASH_BEHAVIOUR" => json!("replace"),
        "DEFAULT_MANAGED_STR" => json!("Ansible managed"),
        "DEFAULT_MODULE_NAME" => json!("command"),
        "DEFAULT_POLL_INTERVAL" => json!(15),
        "DEFAULT_ROLES_PATH" => json!([
            format!("{home}/.ansible/roles"),
            "/usr/share/ansible/roles",
            "/etc/ansible/roles"
        ]),
        "DEFAULT_STDOUT_CALLBACK" => json!("default"),
        "DEFAULT_STRATEGY" => json!("linear"),
        "DEFAULT_TIMEOUT" => json!(10),
        "DEFAULT_TRANSPORT" => json!("ssh"),
        "DEFAULT_VERBOSITY" => json!(0),
        "INTERPRETER_PYTHON" => json!("auto"),
        _ => return None,
    })
}

/// `config`: each setting's value; a missing one fails, or is left out (`on_missing`).
pub(crate) fn config(call: &Call) -> Found {
    let on_missing = call.opt_str("on_missing").unwrap_or_else(|| "error".into());
    if !matches!(on_missing.as_str(), "error" | "warn" | "skip") {
        return Err(Fail::Hard(format!(
            "Invalid value \"{on_missing}\" for configuration option \"plugin_type: lookup plugin: config setting: on_missing \", valid values are: error, warn, skip"
        )));
    }
    if call.opts.contains_key("plugin_type") || call.opts.contains_key("plugin_name") {
        return Err(Fail::Hard(
            "ferry's config lookup reads core settings only, not plugin_type/plugin_name".into(),
        ));
    }
    let mut found = Vec::new();
    for t in &call.terms {
        let name = text(t);
        match setting(&name) {
            Some(v) => found.push(v),
            None if on_missing == "error" => {
                return Err(Fail::Soft(format!("Unable to find setting {name}")))
            }
            None => {}
        }
    }
    Ok(found)
}
