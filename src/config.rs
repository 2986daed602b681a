//! `ansible.cfg` and the `ANSIBLE_*` environment variables, read as ansible-core reads them:
//! the first of `$ANSIBLE_CONFIG`, `./ansible.cfg`, `~/.ansible.cfg`,
//! `/etc/ansible/ansible.cfg`; an environment variable beats the file; paths in the file
//! are relative to the file's directory. Only the settings that change what ferry does are
//! known (see [`SETTINGS`]); other keys are ignored, as Ansible ignores unknown keys.
//! `ferry config dump --only-changed` shows what was read and from where.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// How a setting's text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Ansible's booleans (`yes`, `True`, `1`, ...).
    Bool,
    /// A whole number.
    Int,
    /// Text.
    Text,
    /// A path (`~` expanded, relative to the file's directory).
    Path,
    /// Paths separated by `:` (a "pathspec").
    PathSpec,
    /// Paths separated by `,` (a "pathlist").
    PathList,
    /// Items separated by `,`.
    List,
}

/// One setting ferry knows: its name as `ansible-config` prints it, where it is read from,
/// and its default.
pub struct Setting {
    /// `DEFAULT_FORKS`.
    pub name: &'static str,
    /// `section.key` names in ansible.cfg, the first found wins.
    pub keys: &'static [&'static str],
    /// Environment variables, the first set wins.
    pub env: &'static [&'static str],
    /// How the value is read.
    pub kind: Kind,
    /// The default, as it would be written in the file (`None`: unset).
    pub default: Option<&'static str>,
    /// `ansible-config dump` lists it (plugin options, as `ssh_connection`'s, it does not).
    pub base: bool,
}

const fn s(
    name: &'static str,
    keys: &'static [&'static str],
    env: &'static [&'static str],
    kind: Kind,
    default: Option<&'static str>,
) -> Setting {
    Setting {
        name,
        keys,
        env,
        kind,
        default,
        base: true,
    }
}

const fn ssh(
    name: &'static str,
    key: &'static [&'static str],
    env: &'static [&'static str],
    kind: Kind,
) -> Setting {
    Setting {
        name,
        keys: key,
        env,
        kind,
        default: None,
        base: false,
    }
}

/// The settings ferry reads.
pub static SETTINGS: &[Setting] = &[
    s(
        "ANY_ERRORS_FATAL",
        &["defaults.any_errors_fatal"],
        &["ANSIBLE_ANY_ERRORS_FATAL"],
        Kind::Bool,
        Some("False"),
    ),
    s(
        "CACHE_PLUGIN",
        &["defaults.fact_caching"],
        &["ANSIBLE_CACHE_PLUGIN"],
        Kind::Text,
        Some("memory"),
    ),
    s(
        "CACHE_PLUGIN_CONNECTION",
        &["defaults.fact_caching_connection"],
        &["ANSIBLE_CACHE_PLUGIN_CONNECTION"],
        Kind::Path,
        None,
    ),
    s(
        "CACHE_PLUGIN_PREFIX",
        &["defaults.fact_caching_prefix"],
        &["ANSIBLE_CACHE_PLUGIN_PREFIX"],
        Kind::Text,
        Some("ansible_facts"),
    ),
    s(
        "CACHE_PLUGIN_TIMEOUT",
        &["defaults.fact_caching_timeout"],
        &["ANSIBLE_CACHE_PLUGIN_TIMEOUT"],
        Kind::Int,
        Some("86400"),
    ),
    s(
        "COLLECTIONS_PATHS",
        &["defaults.collections_path", "defaults.collections_paths"],
        &["ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_COLLECTIONS_PATHS"],
        Kind::PathSpec,
        Some("~/.ansible/collections:/usr/share/ansible/collections"),
    ),
    s(
        "DEFAULT_ACTION_PLUGIN_PATH",
        &["defaults.action_plugins"],
        &["ANSIBLE_ACTION_PLUGINS"],
        Kind::PathSpec,
        Some("~/.ansible/plugins/action:/usr/share/ansible/plugins/action"),
    ),
    s(
        "DEFAULT_ASK_PASS",
        &["defaults.ask_pass"],
        &["ANSIBLE_ASK_PASS"],
        Kind::Bool,
        Some("False"),
    ),
    s(
        "DEFAULT_BECOME",
        &["privilege_escalation.become"],
        &["ANSIBLE_BECOME"],
        Kind::Bool,
        Some("False"),
    ),
    s(
        "DEFAULT_BECOME_ASK_PASS",
        &["privilege_escalation.become_ask_pass"],
        &["ANSIBLE_BECOME_ASK_PASS"],
        Kind::Bool,
        Some("False"),
    ),
    s(
        "DEFAULT_BECOME_EXE",
        &["privilege_escalation.become_exe"],
        &["ANSIBLE_BECOME_EXE"],
        Kind::Text,
        None,
    ),
    s(
        "DEFAULT_BECOME_FLAGS",
        &["privilege_escalation.become_flags"],
        &["ANSIBLE_BECOME_FLAGS"],
        Kind::Text,
        Some(""),
    ),
    s(
        "DEFAULT_BECOME_METHOD",
        &["privilege_escalation.become_method"],
        &["ANSIBLE_BECOME_METHOD"],
        Kind::Text,
        Some("sudo"),
    ),
    s(
        "DEFAULT_BECOME_USER",
        &["privilege_escalation.become_user"],
        &["ANSIBLE_BECOME_USER"],
        Kind::Text,
        Some("root"),
    ),
    s(
        "DEFAULT_FORKS",
        &["defaults.forks"],
        &["ANSIBLE_FORKS"],
        Kind::Int,
        Some("5"),
    ),
    s(
        "DEFAULT_GATHERING",
        &["defaults.gathering"],
        &["ANSIBLE_GATHERING"],
        Kind::Text,
        Some("implicit"),
    ),
    s(
        "DEFAULT_GATHER_SUBSET",
        &["defaults.gather_subset"],
        &["ANSIBLE_GATHER_SUBSET"],
        Kind::List,
        None,
    ),
    s(
        "DEFAULT_HOST_LIST",
        &["defaults.inventory"],
        &["ANSIBLE_INVENTORY"],
        Kind::PathList,
        Some("/etc/ansible/hosts"),
    ),
    s(
        "DEFAULT_LOOKUP_PLUGIN_PATH",
        &["defaults.lookup_plugins"],
        &["ANSIBLE_LOOKUP_PLUGINS"],
        Kind::PathSpec,
        Some("~/.ansible/plugins/lookup:/usr/share/ansible/plugins/lookup"),
    ),
    s(
        "DEFAULT_MANAGED_STR",
        &["defaults.ansible_managed"],
        &[],
        Kind::Text,
        Some("Ansible managed"),
    ),
    s(
        "DEFAULT_MODULE_PATH",
        &["defaults.library"],
        &["ANSIBLE_LIBRARY"],
        Kind::PathSpec,
        Some("~/.ansible/plugins/modules:/usr/share/ansible/plugins/modules"),
    ),
    s(
        "DEFAULT_MODULE_UTILS_PATH",
        &["defaults.module_utils"],
        &["ANSIBLE_MODULE_UTILS"],
        Kind::PathSpec,
        Some("~/.ansible/plugins/module_utils:/usr/share/ansible/plugins/module_utils"),
    ),
    s(
        "DEFAULT_PRIVATE_KEY_FILE",
        &["defaults.private_key_file"],
        &["ANSIBLE_PRIVATE_KEY_FILE"],
        Kind::Path,
        None,
    ),
    s(
        "DEFAULT_REMOTE_USER",
        &["defaults.remote_user"],
        &["ANSIBLE_REMOTE_USER"],
        Kind::Text,
        None,
    ),
    s(
        "DEFAULT_ROLES_PATH",
        &["defaults.roles_path"],
        &["ANSIBLE_ROLES_PATH"],
        Kind::PathSpec,
        Some("~/.ansible/roles:/usr/share/ansible/roles:/etc/ansible/roles"),
    ),
    s(
        "DEFAULT_STDOUT_CALLBACK",
        &["defaults.stdout_callback"],
        &["ANSIBLE_STDOUT_CALLBACK"],
        Kind::Text,
        Some("default"),
    ),
    s(
        "DEFAULT_STRATEGY",
        &["defaults.strategy"],
        &["ANSIBLE_STRATEGY"],
        Kind::Text,
        Some("linear"),
    ),
    s(
        "DEFAULT_TIMEOUT",
        &["defaults.timeout"],
        &["ANSIBLE_TIMEOUT"],
        Kind::Int,
        Some("10"),
    ),
    s(
        "DEFAULT_TRANSPORT",
        &["defaults.transport"],
        &["ANSIBLE_TRANSPORT"],
        Kind::Text,
        Some("ssh"),
    ),
    s(
        "DEFAULT_VAULT_IDENTITY_LIST",
        &["defaults.vault_identity_list"],
        &["ANSIBLE_VAULT_IDENTITY_LIST"],
        Kind::List,
        Some(""),
    ),
    s(
        "DEFAULT_VAULT_PASSWORD_FILE",
        &["defaults.vault_password_file"],
        &["ANSIBLE_VAULT_PASSWORD_FILE"],
        Kind::Path,
        None,
    ),
    s(
        "HOST_KEY_CHECKING",
        &["defaults.host_key_checking"],
        &["ANSIBLE_HOST_KEY_CHECKING"],
        Kind::Bool,
        Some("True"),
    ),
    s(
        "RETRY_FILES_ENABLED",
        &["defaults.retry_files_enabled"],
        &["ANSIBLE_RETRY_FILES_ENABLED"],
        Kind::Bool,
        Some("False"),
    ),
    ssh(
        "ssh_args",
        &["ssh_connection.ssh_args"],
        &["ANSIBLE_SSH_ARGS"],
        Kind::Text,
    ),
    ssh(
        "ssh_common_args",
        &["ssh_connection.ssh_common_args"],
        &["ANSIBLE_SSH_COMMON_ARGS"],
        Kind::Text,
    ),
    ssh(
        "ssh_extra_args",
        &["ssh_connection.ssh_extra_args"],
        &["ANSIBLE_SSH_EXTRA_ARGS"],
        Kind::Text,
    ),
    ssh(
        "pipelining",
        &["ssh_connection.pipelining", "defaults.pipelining"],
        &["ANSIBLE_PIPELINING", "ANSIBLE_SSH_PIPELINING"],
        Kind::Bool,
    ),
    ssh(
        "retries",
        &["ssh_connection.retries"],
        &["ANSIBLE_SSH_RETRIES"],
        Kind::Int,
    ),
    // The sh shell plugin's option (a path on the host: `~` is the host's).
    ssh(
        "remote_tmp",
        &["defaults.remote_tmp"],
        &["ANSIBLE_REMOTE_TEMP", "ANSIBLE_REMOTE_TMP"],
        Kind::Text,
    ),
    ssh(
        "control_path",
        &["ssh_connection.control_path"],
        &["ANSIBLE_SSH_CONTROL_PATH"],
        Kind::Text,
    ),
];

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Ansible's default.
    Default,
    /// The config file.
    File(PathBuf),
    /// An environment variable.
    Env(&'static str),
}

/// A setting's value: typed, with its origin.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A boolean.
    Bool(bool),
    /// A number.
    Int(i64),
    /// Text or one path.
    Text(String),
    /// Paths or items.
    List(Vec<String>),
}

/// What was read: each known setting's value and origin, and the file.
#[derive(Debug, Default)]
pub struct Config {
    /// The ansible.cfg read, if any.
    pub file: Option<PathBuf>,
    values: BTreeMap<&'static str, (Value, Origin)>,
}

/// A config file or value that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the Ansible config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A value of the wrong type.
    #[error("{name} = '{text}' ({origin}): {why}")]
    Value {
        /// The setting.
        name: &'static str,
        /// What was written.
        text: String,
        /// Where.
        origin: String,
        /// What was expected.
        why: &'static str,
    },
}

impl Config {
    /// The config of this process (read once, from the current directory and environment;
    /// a file that cannot be read leaves Ansible's defaults, as the error was shown by
    /// [`Config::load`] at start).
    pub fn global() -> &'static Config {
        static CONFIG: OnceLock<Config> = OnceLock::new();
        CONFIG.get_or_init(|| Config::load().unwrap_or_default())
    }

    /// Finds and reads the config file and the environment.
    pub fn load() -> Result<Config, ConfigError> {
        let file = find_file();
        let text = match &file {
            Some(path) => std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?,
            None => String::new(),
        };
        let ini = parse_ini(&text);
        let base = file
            .as_ref()
            .and_then(|f| f.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let cwd = std::env::current_dir().unwrap_or_default();
        let mut values = BTreeMap::new();
        for setting in SETTINGS {
            let from_env = setting
                .env
                .iter()
                .find_map(|e| std::env::var(e).ok().map(|v| (v, Origin::Env(e))));
            let from_file = || {
                setting.keys.iter().find_map(|k| {
                    let origin = Origin::File(file.clone()?);
                    ini.get(*k).map(|v| (v.clone(), origin))
                })
            };
            let (text, origin) = match from_env.or_else(from_file) {
                Some(found) => found,
                None => match setting.default {
                    Some(d) => (d.to_string(), Origin::Default),
                    None => continue,
                },
            };
            let dir = if matches!(origin, Origin::File(_)) {
                &base
            } else {
                &cwd
            };
            let value = read_value(setting, &text, dir, &origin)?;
            values.insert(setting.name, (value, origin));
        }
        Ok(Config { file, values })
    }

    /// A setting's value and origin.
    pub fn get(&self, name: &str) -> Option<&(Value, Origin)> {
        self.values.get(name)
    }

    /// A setting's value when it was set (not Ansible's default).
    pub fn set(&self, name: &str) -> Option<&Value> {
        self.get(name)
            .filter(|(_, o)| *o != Origin::Default)
            .map(|(v, _)| v)
    }

    /// A boolean setting (set or default).
    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.get(name)?.0 {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// A number setting, when set.
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.set(name)? {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// A text or path setting, when set.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.set(name)? {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    /// A list or path list setting (set or default).
    pub fn list(&self, name: &str) -> Vec<String> {
        match self.get(name) {
            Some((Value::List(l), _)) => l.clone(),
            _ => Vec::new(),
        }
    }

    /// `ansible-config dump --only-changed`: `NAME(origin) = value` for each setting not at
    /// its default, and the file, sorted by name.
    pub fn dump_changed(&self) -> String {
        let mut lines: Vec<String> = SETTINGS
            .iter()
            .filter(|s| s.base)
            .filter_map(|s| {
                let (value, origin) = self.get(s.name)?;
                let from = match origin {
                    Origin::Default => return None,
                    Origin::File(p) => p.display().to_string(),
                    Origin::Env(e) => format!("env: {e}"),
                };
                Some(format!("{}({from}) = {}", s.name, shown(value)))
            })
            .collect();
        if let Some(file) = &self.file {
            lines.push(format!("CONFIG_FILE() = {}", file.display()));
        }
        lines.sort();
        lines.join("\n")
    }
}

/// A value as `ansible-config` prints it (Python's `str`).
pub fn shown(value: &Value) -> String {
    match value {
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Int(n) => n.to_string(),
        Value::Text(t) => t.clone(),
        Value::List(items) => {
            let quoted: Vec<String> = items.iter().map(|i| format!("'{i}'")).collect();
            format!("[{}]", quoted.join(", "))
        }
    }
}

fn read_value(
    setting: &Setting,
    text: &str,
    dir: &Path,
    origin: &Origin,
) -> Result<Value, ConfigError> {
    let bad = |why| ConfigError::Value {
        name: setting.name,
        text: text.to_string(),
        origin: match origin {
            Origin::Default => "default".into(),
            Origin::File(p) => p.display().to_string(),
            Origin::Env(e) => format!("environment variable {e}"),
        },
        why,
    };
    let path = |p: &str| resolve(p.trim(), dir);
    Ok(match setting.kind {
        Kind::Bool => Value::Bool(
            crate::text::ansible_bool(text.trim()).ok_or_else(|| bad("expected a boolean"))?,
        ),
        Kind::Int => Value::Int(
            text.trim()
                .parse()
                .map_err(|_| bad("expected a whole number"))?,
        ),
        Kind::Text => Value::Text(text.trim().to_string()),
        Kind::Path => Value::Text(path(text)),
        Kind::PathSpec => Value::List(
            text.split(':')
                .filter(|p| !p.trim().is_empty())
                .map(path)
                .collect(),
        ),
        Kind::PathList => Value::List(
            text.split(',')
                .filter(|p| !p.trim().is_empty())
                .map(path)
                .collect(),
        ),
        Kind::List => Value::List(
            text.split(',')
                .map(|i| i.trim().to_string())
                .filter(|i| !i.is_empty())
                .collect(),
        ),
    })
}

/// `~` expanded; a relative path is taken from `dir`, and `./` and `../` resolved.
fn resolve(p: &str, dir: &Path) -> String {
    let expanded = crate::paths::expand_tilde(p);
    let joined = if Path::new(&expanded).is_absolute() {
        PathBuf::from(expanded)
    } else {
        dir.join(expanded)
    };
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.display().to_string()
}

/// The config file Ansible would read.
fn find_file() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("ANSIBLE_CONFIG") {
        let p = PathBuf::from(crate::paths::expand_tilde(&p));
        let p = if p.is_dir() { p.join("ansible.cfg") } else { p };
        if p.is_file() {
            return Some(std::fs::canonicalize(&p).unwrap_or(p));
        }
    }
    let cwd = std::env::current_dir().ok()?.join("ansible.cfg");
    let home = crate::paths::home_dir().map(|h| h.join(".ansible.cfg"));
    [
        Some(cwd),
        home,
        Some(PathBuf::from("/etc/ansible/ansible.cfg")),
    ]
    .into_iter()
    .flatten()
    .find(|p| p.is_file())
}

/// An INI file as Python's configparser reads Ansible's: `[section]`, `key = value` or
/// `key: value`, `#`/`;` comments, `%%` for `%`; keys as `section.key`.
fn parse_ini(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut section = String::from("defaults");
    let mut last: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        // An indented line continues the previous value.
        if line.starts_with([' ', '\t']) {
            if let Some(v) = last.as_ref().and_then(|k| out.get_mut(k)) {
                let v: &mut String = v;
                v.push('\n');
                v.push_str(trimmed);
            }
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            section = name.trim().to_string();
            continue;
        }
        let Some(at) = trimmed.find(['=', ':']) else {
            continue;
        };
        let key = format!("{section}.{}", trimmed[..at].trim().to_ascii_lowercase());
        let value = trimmed[at + 1..].trim().replace("%%", "%");
        out.insert(key.clone(), value);
        last = Some(key);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ini_as_configparser() {
        let ini = parse_ini("[defaults]\nforks = 20\n# c\nroles_path: a:b\n[ssh_connection]\ncontrol_path = /tmp/%%h\n");
        assert_eq!(ini["defaults.forks"], "20");
        assert_eq!(ini["defaults.roles_path"], "a:b");
        assert_eq!(ini["ssh_connection.control_path"], "/tmp/%h");
    }

    #[test]
    fn paths_are_relative_to_the_file() {
        assert_eq!(resolve("./roles", Path::new("/etc/x")), "/etc/x/roles");
        assert_eq!(resolve("../r", Path::new("/etc/x")), "/etc/r");
        assert_eq!(resolve("/opt/r", Path::new("/etc/x")), "/opt/r");
    }
}
