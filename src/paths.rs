//! The user's home directory and `~/` in paths, as OpenSSH and Ansible expand them.
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
}
