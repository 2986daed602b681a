//! Where vault passwords come from, resolved into a [`Keyring`] as ansible-core's CLI does.
//!
//! The vault ids are, in order: ansible.cfg's `vault_identity_list` (or
//! `ANSIBLE_VAULT_IDENTITY_LIST`), each `--vault-id`, each `--vault-password-file` and
//! ansible.cfg's `vault_password_file` (or `ANSIBLE_VAULT_PASSWORD_FILE`) as `default@FILE`,
//! and `--ask-vault-pass` as `default@prompt`. A source is `prompt` (asked on the terminal,
//! never echoed), an executable (run; its stdout is the password; a `*-client` script is called
//! with `--vault-id ID`), or a plain file (its text, whitespace stripped).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Keyring, Secret, VaultError, DEFAULT_ID};

/// What a command was told about vault passwords.
#[derive(Debug, Default, Clone)]
pub struct Request {
    /// `label@source` (or just `source`) specs, in order.
    pub ids: Vec<String>,
    /// Password files (`--vault-password-file`, then the configured one).
    pub password_files: Vec<PathBuf>,
    /// `--ask-vault-pass`.
    pub ask: bool,
}

/// Asks for a password without echo; `None` when there is no terminal to ask on.
pub type Prompt<'a> = &'a mut dyn FnMut(&str) -> Option<String>;

impl Request {
    /// Every vault id spec, in the order Ansible builds them.
    pub fn specs(&self) -> Vec<String> {
        let mut specs = self.ids.clone();
        specs.extend(
            self.password_files
                .iter()
                .map(|f| format!("{DEFAULT_ID}@{}", f.display())),
        );
        if self.ask {
            specs.push(format!("{DEFAULT_ID}@prompt_ask_vault_pass"));
        }
        specs
    }

    /// Reads every password. `confirm` asks twice on a prompt (a new password).
    pub fn unlock(&self, prompt: Prompt<'_>, confirm: bool) -> Result<Keyring, VaultError> {
        let mut keyring = Keyring::default();
        for spec in self.specs() {
            let (label, source) = split(&spec);
            let id = label.unwrap_or(DEFAULT_ID);
            let password = match source {
                "prompt" | "prompt_ask_vault_pass" => {
                    let question = match (source, confirm) {
                        ("prompt", false) => format!("Vault password ({id}): "),
                        ("prompt", true) => format!("New vault password ({id}): "),
                        (_, false) => "Vault password: ".to_string(),
                        (_, true) => "New Vault password: ".to_string(),
                    };
                    ask(prompt, id, &question, confirm)?
                }
                file => from_file(Path::new(file), id)?,
            };
            let source = if source.starts_with("prompt") {
                "prompt"
            } else {
                source
            };
            keyring.secrets.push(Secret::new(id, source, password));
        }
        Ok(keyring)
    }
}

/// A hidden prompt on the terminal; none without one (a CI job must not hang on it).
pub fn terminal_prompt(question: &str) -> Option<String> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return None;
    }
    rpassword::prompt_password(question).ok()
}

/// `label@source` → (label, source); a spec without `@` is a source for the default id.
pub fn split(spec: &str) -> (Option<&str>, &str) {
    match spec.split_once('@') {
        Some((label, source)) => (Some(label).filter(|l| !l.is_empty()), source),
        None => (None, spec),
    }
}

fn source_error(id: &str, source: &str, reason: impl Into<String>) -> VaultError {
    VaultError::Source {
        vault_id: id.to_string(),
        source_name: source.to_string(),
        reason: reason.into(),
    }
}

fn ask(prompt: Prompt<'_>, id: &str, question: &str, confirm: bool) -> Result<Vec<u8>, VaultError> {
    let no_tty = || {
        source_error(
            id,
            "prompt",
            "no terminal to ask on (use --vault-password-file)",
        )
    };
    let answer = prompt(question).ok_or_else(no_tty)?;
    if confirm {
        let again = prompt(&format!(
            "Confirm {}",
            question.replacen("New v", "new v", 1)
        ))
        .ok_or_else(no_tty)?;
        if again != answer {
            return Err(source_error(id, "prompt", "passwords do not match"));
        }
    }
    if answer.is_empty() {
        return Err(source_error(
            id,
            "prompt",
            "an empty password is not allowed",
        ));
    }
    Ok(answer.into_bytes())
}

/// A password from a file: run when it is executable, read otherwise.
pub fn from_file(path: &Path, id: &str) -> Result<Vec<u8>, VaultError> {
    let path = PathBuf::from(crate::paths::expand_tilde(&path.to_string_lossy()));
    // A script named without a directory is this one's, not one on PATH (as Ansible).
    let path = std::path::absolute(&path).unwrap_or(path);
    let shown = path.display().to_string();
    let meta = std::fs::metadata(&path)
        .map_err(|_| source_error(id, &shown, "the vault password file was not found"))?;
    use std::os::unix::fs::PermissionsExt;
    let password = if meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
        run_script(&path, id)?
    } else {
        let data = std::fs::read(&path).map_err(|e| source_error(id, &shown, e.to_string()))?;
        String::from_utf8_lossy(&data).trim().as_bytes().to_vec()
    };
    if password.is_empty() {
        return Err(source_error(id, &shown, "the password is empty"));
    }
    Ok(password)
}

/// True for a vault client script (`NAME-client` or `NAME-client.EXT`), which is told the id.
fn is_client(path: &Path) -> bool {
    path.file_stem()
        .and_then(|s| s.to_str())
        .is_some_and(|s| s.ends_with("-client"))
}

fn run_script(path: &Path, id: &str) -> Result<Vec<u8>, VaultError> {
    let shown = path.display().to_string();
    let mut command = Command::new(path);
    if is_client(path) {
        command.args(["--vault-id", id]);
    }
    let out = command
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| source_error(id, &shown, format!("cannot run the script: {e}")))?;
    if !out.status.success() {
        let reason = match out.status.code() {
            Some(2) if is_client(path) => {
                format!("the client script has no secret for vault id '{id}'")
            }
            code => format!(
                "the script exited with {} ({})",
                code.map_or("a signal".into(), |c| c.to_string()),
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        };
        return Err(source_error(id, &shown, reason));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .trim()
        .as_bytes()
        .to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_vault_id_specs() {
        let cases = [
            ("prod@pw.txt", (Some("prod"), "pw.txt")),
            ("pw.txt", (None, "pw.txt")),
            ("dev@prompt", (Some("dev"), "prompt")),
            ("@x", (None, "x")),
        ];
        for (spec, want) in cases {
            assert_eq!(split(spec), want, "{spec}");
        }
    }

    #[test]
    fn reads_files_scripts_and_client_scripts() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("pw");
        std::fs::write(&plain, "  secret-one \n").unwrap();
        let script = dir.path().join("pw.sh");
        std::fs::write(&script, "#!/bin/sh\necho secret-two\n").unwrap();
        let client = dir.path().join("keys-client.sh");
        std::fs::write(
            &client,
            "#!/bin/sh\n[ \"$2\" = prod ] || exit 2\necho secret-$2\n",
        )
        .unwrap();
        for f in [&script, &client] {
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        assert_eq!(from_file(&plain, "default").unwrap(), b"secret-one");
        assert_eq!(from_file(&script, "default").unwrap(), b"secret-two");
        assert_eq!(from_file(&client, "prod").unwrap(), b"secret-prod");
        let err = from_file(&client, "dev").unwrap_err().to_string();
        assert!(err.contains("no secret for vault id 'dev'"), "{err}");
        let err = from_file(&dir.path().join("nope"), "x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("was not found"), "{err}");
    }

    #[test]
    fn orders_ids_as_ansible_does() {
        let req = Request {
            ids: vec!["dev@a".into(), "b".into()],
            password_files: vec!["c".into()],
            ask: true,
        };
        assert_eq!(
            req.specs(),
            ["dev@a", "b", "default@c", "default@prompt_ask_vault_pass"]
        );
    }
}
