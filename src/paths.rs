//! The controller's user and machine: the home directory and `~/` in paths (as OpenSSH and
//! Ansible expand them), the host name, user names.
//!
//! A leaf: it imports nothing of ferry's.

use std::path::PathBuf;

/// `$HOME`, when it is set and not empty.
pub fn home_dir() -> Option<PathBuf> {
    std::env::home_dir().filter(|h| !h.as_os_str().is_empty())
}

/// `~` and `~/x` → `$HOME` and `$HOME/x`; any other path is returned as it is.
pub fn expand_tilde(path: &str) -> String {
    let rest = match path {
        "~" => "",
        p => match p.strip_prefix("~/") {
            Some(rest) => rest,
            None => return path.to_string(),
        },
    };
    match home_dir() {
        Some(home) if rest.is_empty() => home.display().to_string(),
        Some(home) => home.join(rest).display().to_string(),
        None => path.to_string(),
    }
}

/// The controller's host name (`uname -n`).
pub fn controller_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// The name of the local user with id `uid`, from `/etc/passwd`.
pub fn user_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)?.parse() == Ok(uid)).then(|| name.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_only_a_leading_tilde() {
        let home = home_dir()
            .expect("HOME is set in tests")
            .display()
            .to_string();
        for (given, want) in [
            ("~/x/y", format!("{home}/x/y")),
            ("~", home.clone()),
            ("/etc/~/x", "/etc/~/x".to_string()),
            ("~user/x", "~user/x".to_string()),
            ("rel/path", "rel/path".to_string()),
        ] {
            assert_eq!(expand_tilde(given), want, "{given}");
        }
    }

    #[test]
    fn root_is_uid_0() {
        assert_eq!(user_name(0).as_deref(), Some("root"));
        assert!(!controller_hostname().is_empty());
    }
}
