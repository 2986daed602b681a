//! Become: running a command as another user (`become`, `become_user`, `become_method`),
//! applied to the command line before any connection runs it, so every kind of connection
//! and every module gets it the same way.
//!
//! - `sudo` (the default): `sudo -H -S -n -u USER -- /bin/sh -c LINE`; with a password,
//!   `-p ''` and the password as the first line on stdin — never on a command line.
//! - `su`: `su -s /bin/sh USER -c LINE`. su reads a password only from a terminal, which
//!   ferry's commands do not have, so `su` works for a root login (no password asked) and is
//!   refused with a clear error when a password is given.

use super::{quote, ConnError, Input};

/// How to become another user.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BecomeMethod {
    /// `su USER -c ...`.
    Su,
    /// `sudo -u USER ...` (Ansible's default).
    #[default]
    Sudo,
}

/// The `become_method` names ferry supports, in alphabetical order.
pub const METHODS: &[&str] = &["su", "sudo"];

impl BecomeMethod {
    /// The method called `name` (`become_method`, `ansible_become_method`).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "su" => Some(BecomeMethod::Su),
            "sudo" => Some(BecomeMethod::Sudo),
            _ => None,
        }
    }
}

/// Become settings for one task on one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Become {
    /// sudo or su.
    pub method: BecomeMethod,
    /// The user to run as (`become_user`, default root).
    pub user: String,
    /// `ansible_become_password` / `-K`: sent on stdin, never shown.
    pub password: Option<String>,
}

impl Become {
    /// `line` (run with stdin from /dev/null) as the become user: the command line and the
    /// stdin it needs (the password line, or nothing).
    pub fn wrap_exec(&self, host: &str, line: &str) -> Result<(String, Option<Input>), ConnError> {
        match &self.password {
            // The command itself gets no stdin, as any other command (even when sudo did
            // not need the password).
            Some(pw) => {
                let cmd = self.wrap(host, &format!("exec </dev/null; {line}"))?;
                Ok((cmd, Some(Input::bytes(format!("{pw}\n").as_bytes()))))
            }
            None => Ok((self.wrap(host, line)?, None)),
        }
    }

    /// `line` reading `input` on its stdin, as the become user: the password line goes first.
    pub fn wrap_input(
        &self,
        host: &str,
        line: &str,
        mut input: Input,
    ) -> Result<(String, Input), ConnError> {
        let cmd = self.wrap(host, line)?;
        if let Some(pw) = &self.password {
            let mut head = format!("{pw}\n").into_bytes();
            head.append(&mut input.head);
            input.head = head;
        }
        Ok((cmd, input))
    }

    /// The command line that runs `line` through `/bin/sh` as the become user.
    pub fn wrap(&self, host: &str, line: &str) -> Result<String, ConnError> {
        let (user, inner) = (quote(&self.user), quote(line));
        match (self.method, &self.password) {
            (BecomeMethod::Sudo, Some(_)) => {
                Ok(format!("sudo -H -S -p '' -u {user} -- /bin/sh -c {inner}"))
            }
            (BecomeMethod::Sudo, None) => {
                Ok(format!("sudo -H -S -n -u {user} -- /bin/sh -c {inner}"))
            }
            (BecomeMethod::Su, None) => Ok(format!("su -s /bin/sh {user} -c {inner}")),
            (BecomeMethod::Su, Some(_)) => Err(ConnError::SuPassword {
                host: host.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn become_(method: BecomeMethod, password: Option<&str>) -> Become {
        Become {
            method,
            user: "app user".into(),
            password: password.map(String::from),
        }
    }

    #[test]
    fn wraps_as_each_method_does() {
        use BecomeMethod::*;
        for (method, pw, want) in [
            (
                Sudo,
                None,
                "sudo -H -S -n -u 'app user' -- /bin/sh -c 'id -u'",
            ),
            (
                Sudo,
                Some("s3"),
                "sudo -H -S -p '' -u 'app user' -- /bin/sh -c 'id -u'",
            ),
            (Su, None, "su -s /bin/sh 'app user' -c 'id -u'"),
        ] {
            assert_eq!(become_(method, pw).wrap("h", "id -u").unwrap(), want);
        }
        let err = become_(Su, Some("x")).wrap("h", "id").unwrap_err();
        assert!(
            err.to_string().contains("su cannot be given a password"),
            "{err}"
        );
        assert!(!err.is_unreachable());
    }

    #[test]
    fn the_password_goes_first_on_stdin_never_on_the_line() {
        let b = become_(BecomeMethod::Sudo, Some("s3cret"));
        let (line, input) = b.wrap_exec("h", "true").unwrap();
        assert!(!line.contains("s3cret"), "{line}");
        assert!(line.contains("exec </dev/null; true"), "{line}");
        assert_eq!(input.unwrap().head, b"s3cret\n");
        let (_, input) = b.wrap_input("h", "cat", Input::bytes(b"data")).unwrap();
        assert_eq!(input.head, b"s3cret\ndata");
    }

    #[test]
    fn method_names() {
        for name in METHODS {
            assert!(BecomeMethod::from_name(name).is_some(), "{name}");
        }
        assert_eq!(BecomeMethod::from_name("doas"), None);
    }
}
