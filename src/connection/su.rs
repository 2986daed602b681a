//! `become_method: su` with a password. su reads the password from a terminal only, so the
//! command runs on one ([`Terminal`]), as Ansible runs it:
//!
//! 1. `su -s /bin/sh USER -c SCRIPT` starts on a pty; when it prints its prompt (text ending
//!    in `:`), the password is typed. A wrong password ends su before the script starts.
//! 2. The script, now the become user's, puts the terminal in raw mode (bytes pass through
//!    untouched, nothing is echoed) and prints a start marker; then the command's stdin is
//!    typed, exactly its length (`head -c N` reads it: a raw terminal has no end of file).
//! 3. The command's stdout arrives as it is printed, then an end marker with its status, then
//!    its stderr, which went to a temporary file so that it stays apart from stdout.
//!
//! The markers carry a random nonce, so no output can fake them. The password is typed, never
//! put on a command line.

use std::time::Duration;

use memchr::memmem;
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use super::{quote, ConnError, Connection, ExecOutput, Input, Terminal};

/// How long su may take to ask for the password and start the command.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `line` (a sh command line) as `user` through `su` with `password`, `input` on its
/// stdin; stdout goes to `out` when given (a download), else into the result.
pub async fn run(
    conn: &dyn Connection,
    host: &str,
    head: &str,
    password: &str,
    line: &str,
    mut input: Input,
    out: Option<&mut tokio::fs::File>,
) -> Result<ExecOutput, ConnError> {
    let len = input_len(host, &mut input).await?;
    let markers = Markers::new();
    let command = format!("{head} -c {}", quote(&markers.script(line, len)));
    let Some(terminal) = conn.open_terminal(&command).await else {
        return Err(ConnError::Become {
            host: host.to_owned(),
            message: "become_method su with a password needs a terminal, which this kind of \
                      connection cannot open; use ssh, or sudo"
                .to_owned(),
        });
    };
    let mut terminal = terminal?;
    let fail = |message: String| ConnError::Become {
        host: host.to_owned(),
        message,
    };
    let start = start(&mut *terminal, &markers, password, &fail);
    let rest = tokio::time::timeout(START_TIMEOUT, start)
        .await
        .map_err(|_| {
            fail(format!(
                "su neither asked for a password nor started the command within {}s",
                START_TIMEOUT.as_secs()
            ))
        })??;
    if len > 0 {
        terminal.write(input).await?;
    }
    let mut body = Body::new(&markers, out, host);
    body.push(&rest).await?;
    while let Some(chunk) = terminal.read().await? {
        body.push(&chunk).await?;
    }
    body.finish(terminal.exit_status())
}

/// Answers su's prompt and waits for the script's start marker; returns what followed it.
async fn start(
    terminal: &mut dyn Terminal,
    markers: &Markers,
    password: &str,
    fail: &impl Fn(String) -> ConnError,
) -> Result<Vec<u8>, ConnError> {
    let mut seen = Vec::new();
    let mut answered = false;
    loop {
        let Some(chunk) = terminal.read().await? else {
            let said = String::from_utf8_lossy(&seen);
            return Err(fail(format!(
                "incorrect su password (su said: {})",
                said.split_whitespace().collect::<Vec<_>>().join(" ")
            )));
        };
        seen.extend_from_slice(&chunk);
        if let Some(at) = memmem::find(&seen, markers.go.as_bytes()) {
            return Ok(seen.split_off(at + markers.go.len()));
        }
        if is_prompt(&seen) {
            if answered {
                return Err(fail("incorrect su password (asked again)".to_owned()));
            }
            terminal
                .write(Input::bytes(format!("{password}\n").as_bytes()))
                .await?;
            answered = true;
            seen.clear();
        }
    }
}

/// Whether the terminal shows a prompt: text ending in a colon (`Password: `, localized).
fn is_prompt(seen: &[u8]) -> bool {
    let text = String::from_utf8_lossy(seen);
    let text = text.trim_end();
    text.ends_with(':') || text.ends_with('：')
}

/// The bytes `input` holds (its head and the rest of its file).
async fn input_len(host: &str, input: &mut Input) -> Result<u64, ConnError> {
    let mut len = input.head.len() as u64;
    if let Some(file) = input.file.as_mut() {
        let local = |e: std::io::Error| ConnError::Local {
            host: host.to_owned(),
            source: std::sync::Arc::new(e),
        };
        let size = file.metadata().await.map_err(local)?.len();
        let at = file.stream_position().await.map_err(local)?;
        len += size.saturating_sub(at);
    }
    Ok(len)
}

/// The start and end markers of one command.
struct Markers {
    go: String,
    end: String,
}

impl Markers {
    fn new() -> Self {
        let nonce: u128 = rand::random();
        Markers {
            go: format!("ferry-su-{nonce:032x}-go\n"),
            end: format!("\nferry-su-{nonce:032x}-end "),
        }
    }

    /// The script su runs: raw terminal, start marker, the command with `len` bytes of stdin,
    /// end marker and status, stderr.
    fn script(&self, line: &str, len: u64) -> String {
        let stdin = if len == 0 {
            String::from("( ") + line + " ) </dev/null"
        } else {
            format!("head -c {len} | ( {line} )")
        };
        format!(
            "stty raw -echo -iexten 2>/dev/null; t=$(mktemp) || exit 125; printf %s {go}; \
             {stdin} 2>\"$t\"; rc=$?; printf '%s%d\\n' {end} \"$rc\"; cat \"$t\"; rm -f \"$t\"",
            go = quote(&self.go),
            end = quote(&self.end),
        )
    }
}

/// The output after the start marker: stdout (to a file, or kept), then the end marker.
struct Body<'a> {
    end: &'a [u8],
    out: Option<&'a mut tokio::fs::File>,
    host: &'a str,
    /// stdout not yet written (all of it without a file; a possible marker start with one).
    stdout: Vec<u8>,
    /// Everything after the end marker: the status line, then stderr.
    after: Option<Vec<u8>>,
}

impl<'a> Body<'a> {
    fn new(markers: &'a Markers, out: Option<&'a mut tokio::fs::File>, host: &'a str) -> Self {
        Body {
            end: markers.end.as_bytes(),
            out,
            host,
            stdout: Vec::new(),
            after: None,
        }
    }

    async fn push(&mut self, chunk: &[u8]) -> Result<(), ConnError> {
        if let Some(after) = self.after.as_mut() {
            after.extend_from_slice(chunk);
            return Ok(());
        }
        self.stdout.extend_from_slice(chunk);
        if let Some(at) = memmem::find(&self.stdout, self.end) {
            self.after = Some(self.stdout.split_off(at + self.end.len()));
            self.stdout.truncate(at);
        }
        let keep = if self.after.is_some() {
            0
        } else {
            self.end.len().min(self.stdout.len())
        };
        if let Some(file) = self.out.as_mut() {
            let ready = self.stdout.len() - keep;
            file.write_all(&self.stdout[..ready])
                .await
                .map_err(|e| ConnError::Local {
                    host: self.host.to_owned(),
                    source: std::sync::Arc::new(e),
                })?;
            self.stdout.drain(..ready);
        }
        Ok(())
    }

    fn finish(self, status: Option<i32>) -> Result<ExecOutput, ConnError> {
        let Some(after) = self.after else {
            return Err(ConnError::Lost {
                host: self.host.to_owned(),
                message: format!(
                    "the command under su ended without its status (su exited with {})",
                    status.map_or("no status".to_owned(), |s| s.to_string())
                ),
            });
        };
        let (rc, stderr) = match memchr::memchr(b'\n', &after) {
            Some(nl) => (&after[..nl], &after[nl + 1..]),
            None => (&after[..], &b""[..]),
        };
        Ok(ExecOutput {
            rc: String::from_utf8_lossy(rc).trim().parse().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&self.stdout).into_owned(),
            stderr: String::from_utf8_lossy(stderr).into_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_end_in_a_colon() {
        assert!(is_prompt(b"Password: "));
        assert!(is_prompt("Passwort:\r\n".as_bytes()));
        assert!(is_prompt("パスワード：".as_bytes()));
        assert!(!is_prompt(b"Last login: today\r\nwelcome"));
    }

    #[tokio::test]
    async fn the_body_splits_stdout_status_and_stderr_across_chunks() {
        let markers = Markers::new();
        let whole = format!("out\nline{}3\nerr text\n", markers.end);
        for cut in 1..whole.len() {
            let mut body = Body::new(&markers, None, "h");
            body.push(&whole.as_bytes()[..cut]).await.unwrap();
            body.push(&whole.as_bytes()[cut..]).await.unwrap();
            let out = body.finish(Some(0)).unwrap();
            assert_eq!(
                (out.rc, out.stdout.as_str(), out.stderr.as_str()),
                (3, "out\nline", "err text\n")
            );
        }
    }

    #[test]
    fn the_script_reads_exactly_the_input() {
        let markers = Markers::new();
        assert!(markers.script("cat", 12).contains("head -c 12 | ( cat )"));
        assert!(markers.script("id", 0).contains("( id ) </dev/null"));
    }
}
