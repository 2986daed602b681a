//! Become: running a command as another user (`become`, `become_user`, `become_method`),
//! applied to the command line before any connection runs it, so every kind of connection
//! and every module gets it the same way.
//!
//! - `sudo` (the default): `sudo -H -S -n -u USER -- /bin/sh -c LINE`; with a password,
//!   `-p ''` and the password as the first line on stdin — never on a command line.
//! - `su`: `su -s /bin/sh USER -c LINE`; with a password, on a terminal that answers su's
//!   prompt (`su.rs`).

use super::{quote, su, ConnError, Connection, ExecOutput, Input};

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
    /// Runs `line` (a sh command line) on `conn` as the become user: with `input` on its
    /// stdin (else /dev/null), its stdout streamed into `out` when given. Under sudo with a
    /// password `out` is not supported (the password needs stdin): callers read into memory.
    pub async fn run(
        &self,
        conn: &dyn Connection,
        host: &str,
        line: &str,
        input: Option<Input>,
        out: Option<&mut tokio::fs::File>,
    ) -> Result<ExecOutput, ConnError> {
        if let (BecomeMethod::Su, Some(pw)) = (self.method, &self.password) {
            let input = input.unwrap_or_default();
            return su::run(conn, host, &self.user, pw, line, input, out).await;
        }
        match (input, out) {
            (_, Some(out)) => {
                let line = format!("exec </dev/null; {line}");
                conn.exec_to_file(&self.wrap(&line), out).await
            }
            (Some(input), None) => {
                let (line, input) = self.wrap_input(line, input);
                conn.exec_input(&line, input).await
            }
            (None, None) => match self.wrap_exec(line) {
                (line, Some(input)) => conn.exec_input(&line, input).await,
                (line, None) => conn.exec(&line).await,
            },
        }
    }

    /// `line` (run with stdin from /dev/null) as the become user: the command line and the
    /// stdin it needs (the password line, or nothing).
    fn wrap_exec(&self, line: &str) -> (String, Option<Input>) {
        match &self.password {
            // The command itself gets no stdin, as any other command (even when sudo did
            // not need the password).
            Some(pw) => {
                let cmd = self.wrap(&format!("exec </dev/null; {line}"));
                (cmd, Some(Input::bytes(format!("{pw}\n").as_bytes())))
            }
            None => (self.wrap(line), None),
        }
    }

    /// `line` reading `input` on its stdin, as the become user: the password line goes first.
    fn wrap_input(&self, line: &str, mut input: Input) -> (String, Input) {
        let cmd = self.wrap(line);
        if let Some(pw) = &self.password {
            let mut head = format!("{pw}\n").into_bytes();
            head.append(&mut input.head);
            input.head = head;
        }
        (cmd, input)
    }

    /// The command line that runs `line` through `/bin/sh` as the become user (su with a
    /// password does not come here: it needs a terminal, see `su.rs`).
    fn wrap(&self, line: &str) -> String {
        let (user, inner) = (quote(&self.user), quote(line));
        match (self.method, &self.password) {
            (BecomeMethod::Sudo, Some(_)) => {
                format!("sudo -H -S -p '' -u {user} -- /bin/sh -c {inner}")
            }
            (BecomeMethod::Sudo, None) => {
                format!("sudo -H -S -n -u {user} -- /bin/sh -c {inner}")
            }
            (BecomeMethod::Su, _) => format!("su -s /bin/sh {user} -c {inner}"),
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
            assert_eq!(become_(method, pw).wrap("id -u"), want);
        }
    }

    #[test]
    fn the_password_goes_first_on_stdin_never_on_the_line() {
        let b = become_(BecomeMethod::Sudo, Some("s3cret"));
        let (line, input) = b.wrap_exec("true");
        assert!(!line.contains("s3cret"), "{line}");
        assert!(line.contains("exec </dev/null; true"), "{line}");
        assert_eq!(input.unwrap().head, b"s3cret\n");
        let (_, input) = b.wrap_input("cat", Input::bytes(b"data"));
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
