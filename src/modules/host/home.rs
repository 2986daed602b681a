//! `~` and `~user` at the start of a path argument, expanded on the host as Ansible's modules
//! expand their `path`-type arguments (Python's `os.path.expanduser` there): `~` is the
//! home (`$HOME`) of the user the module runs as, `~name` that user's home from the passwd
//! database, and a path naming an unknown user is left as written.

use crate::modules::host;
use crate::modules::{ModuleCtx, ModuleResult};

/// `path` with a leading `~` or `~user` replaced by that home directory on the host, with the
/// task's `environment` (a module's own expansion); any other path unchanged, without a round
/// trip.
pub(crate) async fn expand_user(ctx: &ModuleCtx<'_>, path: &str) -> Result<String, ModuleResult> {
    let Some(user) = tilde_user(path) else {
        return Ok(path.to_string());
    };
    let tail = &path[1 + user.len()..];
    // The shell's tilde expansion is Python's: $HOME, else the passwd entry; an unknown user
    // comes back as written. The name is checked to be a plain user name, so the line is safe.
    let home = host::run(ctx, &format!("printf '%s' ~{user}")).await?;
    if home.starts_with('~') {
        return Ok(path.to_string());
    }
    let joined = format!("{}{tail}", home.trim_end_matches('/'));
    Ok(if joined.is_empty() {
        "/".into()
    } else {
        joined
    })
}

/// The same without the task's `environment`, as Ansible's action plugins (copy, template)
/// expand their `dest` on the controller side: by the login's (or the become user's) `~`.
pub(crate) async fn action_expand_user(
    ctx: &ModuleCtx<'_>,
    path: &str,
) -> Result<String, ModuleResult> {
    if tilde_user(path).is_none() {
        return Ok(path.to_string());
    }
    let bare = ModuleCtx { env: None, ..*ctx };
    expand_user(&bare, path).await
}

/// The user name after a leading `~` (empty for `~` alone), when the path starts with one
/// that names a user as `useradd` allows it (`~+` and `~-` are the shell's, not Python's).
fn tilde_user(path: &str) -> Option<&str> {
    let rest = path.strip_prefix('~')?;
    let user = &rest[..rest.find('/').unwrap_or(rest.len())];
    let plain = user
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    (plain && !user.starts_with('-')).then_some(user)
}

#[cfg(test)]
mod tests {
    use super::tilde_user;

    #[test]
    fn names_the_user_of_a_leading_tilde() {
        for (path, want) in [
            ("~", Some("")),
            ("~/x", Some("")),
            ("~alice", Some("alice")),
            ("~alice/.forward", Some("alice")),
            ("~web-data.1/x", Some("web-data.1")),
            ("/home/~alice", None),
            ("~-", None),
            ("~+/x", None),
            ("~$(id)/x", None),
            ("~a b", None),
            ("rel/~x", None),
        ] {
            assert_eq!(tilde_user(path), want, "{path}");
        }
    }
}
