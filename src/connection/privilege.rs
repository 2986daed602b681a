//! Become: running a command as another user (`become`, `become_user`, `become_method`),
//! applied to the command line before any connection runs it, so every kind of connection
//! and every module gets it the same way.
//!
//! - `sudo` (the default): `sudo -H -S -n -u USER -- /bin/sh -c LINE`; with a password,
//!   `-p ''` (and without `-n`) and the password as the first line on stdin — never on a
//!   command line.
//! - `su`: `su -s /bin/sh USER -c LINE`; with a password, on a terminal that answers su's
//!   prompt (`su.rs`).
//!
//! `become_exe` replaces the program, `become_flags` the words after it (sudo's default
//! `-H -S -n`, su's none); each word is quoted for the shell.

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
        // Become plugins answer to their full names too (`ansible.builtin.sudo`).
        let short = ["ansible.builtin.", "ansible.legacy."]
            .iter()
            .find_map(|p| name.strip_prefix(p))
            .unwrap_or(name);
        match short {
            "su" => Some(BecomeMethod::Su),
            "sudo" => Some(BecomeMethod::Sudo),
            _ => None,
        }
    }

    /// Its name, as `become_method` says it.
    pub fn name(self) -> &'static str {
        match self {
            BecomeMethod::Su => "su",
            BecomeMethod::Sudo => "sudo",
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
    /// `become_exe`: the program (default `sudo` or `su`).
    pub exe: Option<String>,
    /// `become_flags`: the words given to the program (default: sudo `-H -S -n`, su none).
    pub flags: Option<String>,
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
            return su::run(conn, host, &self.su_head(), pw, line, input, out).await;
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
        let inner = quote(line);
        match self.method {
            BecomeMethod::Sudo => {
                let mut words = vec![quote(self.exe.as_deref().unwrap_or("sudo"))];
                let mut flags = self.words(self.flags.as_deref().unwrap_or("-H -S -n"));
                if self.password.is_some() {
                    // The password comes on stdin: sudo must read it there, and may ask.
                    flags.retain(|w| w != "-n" && w != "--non-interactive");
                    if !flags.iter().any(|w| w == "-S" || w == "--stdin") {
                        flags.push("-S".into());
                    }
                    flags.push("-p ''".into());
                }
                words.extend(flags);
                words.push(format!("-u {} -- /bin/sh -c {inner}", quote(&self.user)));
                words.join(" ")
            }
            BecomeMethod::Su => format!("{} -c {inner}", self.su_head()),
        }
    }

    /// The su command line up to its `-c`: `su [FLAGS] -s /bin/sh USER`.
    fn su_head(&self) -> String {
        let exe = quote(self.exe.as_deref().unwrap_or("su"));
        let mut words = vec![exe];
        words.extend(self.words(self.flags.as_deref().unwrap_or("")));
        words.push(format!("-s /bin/sh {}", quote(&self.user)));
        words.join(" ")
    }

    /// `flags` split as a shell would and each word quoted again, so nothing in them runs.
    fn words(&self, flags: &str) -> Vec<String> {
        shlex::split(flags)
            .unwrap_or_else(|| flags.split_whitespace().map(String::from).collect())
            .iter()
            .map(|w| quote(w))
            .collect()
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
            exe: None,
            flags: None,
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
    fn become_exe_and_flags_replace_the_program_and_its_words() {
        use BecomeMethod::*;
        for (method, pw, exe, flags, want) in [
            (
                Sudo,
                None,
                "/usr/local/bin/sudo",
                "-H -E -S -n",
                "/usr/local/bin/sudo -H -E -S -n -u 'app user' -- /bin/sh -c 'id -u'",
            ),
            // With a password, -n goes and -S is made sure of.
            (
                Sudo,
                Some("pw"),
                "sudo",
                "-n -E",
                "sudo -E -S -p '' -u 'app user' -- /bin/sh -c 'id -u'",
            ),
            // Each word is quoted: nothing in the flags runs.
            (
                Sudo,
                None,
                "sudo",
                "-n '$(reboot)'",
                "sudo -n '$(reboot)' -u 'app user' -- /bin/sh -c 'id -u'",
            ),
            (
                Su,
                None,
                "/bin/su",
                "-l",
                "/bin/su -l -s /bin/sh 'app user' -c 'id -u'",
            ),
        ] {
            let mut b = become_(method, pw);
            b.exe = Some(exe.into());
            b.flags = Some(flags.into());
            assert_eq!(b.wrap("id -u"), want);
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
        let full = BecomeMethod::from_name("ansible.builtin.sudo");
        assert_eq!(full, Some(BecomeMethod::Sudo));
        let legacy = BecomeMethod::from_name("ansible.legacy.su");
        assert_eq!(legacy, Some(BecomeMethod::Su));
    }
}
