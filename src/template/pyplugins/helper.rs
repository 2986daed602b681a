//! The Python helper process: started on the first call of a Python plugin (never for a
//! template that uses none), then kept for the run; each call is one JSON line out and one
//! back. Owns the process and the protocol; what a call means is `mod.rs`, the Python side is
//! `helper.py`.
//!
//! One process serves every host: calls take turns on a lock. A helper that dies is started
//! again on the next call; its last words (stderr) are kept for the error.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value as Json};

use crate::collections::located;

/// The helper's Python source, run with `python -c`.
const SCRIPT: &str = include_str!("helper.py");

/// How much of the helper's stderr is kept for an error message.
const STDERR_KEEP: usize = 4096;

/// A plugin's answer: its value, or why it failed.
pub(crate) struct Answer {
    pub(crate) result: Result<Json, PluginError>,
    /// Warnings the plugin raised (Ansible's `display.warning`).
    pub(crate) warnings: Vec<String>,
}

/// Why a plugin call failed, as the helper classified it.
#[derive(Debug)]
pub(crate) struct PluginError {
    /// `missing` (no such plugin), `unavailable` (no Python with ansible-core to ask),
    /// `soft` (a lookup's own failure, which `errors=` may soften), `type` (a TypeError in the
    /// plugin), or `hard`.
    pub(crate) kind: String,
    pub(crate) message: String,
}

impl PluginError {
    fn hard(message: String) -> PluginError {
        PluginError {
            kind: "hard".into(),
            message,
        }
    }
}

/// The running process.
struct Helper {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    stderr: Arc<Mutex<VecDeque<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
    /// Whether it was told the collection roots (with its first request).
    told_roots: bool,
    /// How many of the recorded plugin directories it was told of.
    dirs_sent: usize,
}

static HELPER: Mutex<Option<Helper>> = Mutex::new(None);

/// Sends `request` to the helper (started if need be) with the plugin directories it has not
/// been told of, and reads its answer.
pub(crate) fn call(mut request: Json, dirs: &[PathBuf]) -> Answer {
    let mut slot = HELPER.lock().unwrap_or_else(|e| e.into_inner());
    if slot.is_none() {
        match start() {
            Ok(helper) => *slot = Some(helper),
            Err(message) => {
                return failed(PluginError {
                    kind: "unavailable".into(),
                    message,
                })
            }
        }
    }
    let Some(helper) = slot.as_mut() else {
        return failed(PluginError::hard("the Python helper is not running".into()));
    };
    if !helper.told_roots {
        let roots: Vec<String> = located::roots().iter().map(text).collect();
        request["roots"] = json!(roots);
    }
    let new: Vec<String> = dirs.iter().skip(helper.dirs_sent).map(text).collect();
    request["dirs"] = json!(new);
    match helper.round_trip(&request) {
        Ok(answer) => {
            helper.told_roots = true;
            helper.dirs_sent = dirs.len();
            answer
        }
        Err(message) => {
            let last_words = helper.stop();
            *slot = None;
            failed(PluginError::hard(format!("{message}{last_words}")))
        }
    }
}

fn failed(e: PluginError) -> Answer {
    Answer {
        result: Err(e),
        warnings: Vec::new(),
    }
}

fn text(p: impl AsRef<std::path::Path>) -> String {
    let p = p.as_ref();
    p.display().to_string()
}

/// Starts the helper on the Python that has ansible-core.
fn start() -> Result<Helper, String> {
    let (Some(python), Some(core)) = (located::core_python(), located::core_dir()) else {
        return Err(
            "ferry found no Python with ansible-core on this controller to run the \
                    plugin (put `ansible` on PATH, or set FERRY_ANSIBLE_CORE_DIR)"
                .into(),
        );
    };
    let mut child = Command::new(python)
        .arg("-c")
        .arg(SCRIPT)
        .arg(core)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", python.display()))?;
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err("the Python helper has no pipes".into());
    };
    let (stderr, reader) = drain(stderr);
    Ok(Helper {
        child,
        stdin,
        stdout: BufReader::new(stdout),
        stderr,
        reader: Some(reader),
        told_roots: false,
        dirs_sent: 0,
    })
}

/// Reads the helper's stderr as it comes (so a chatty plugin never blocks on a full pipe),
/// keeping the last bytes.
fn drain(
    mut stderr: std::process::ChildStderr,
) -> (Arc<Mutex<VecDeque<u8>>>, std::thread::JoinHandle<()>) {
    let kept = Arc::new(Mutex::new(VecDeque::new()));
    let sink = Arc::clone(&kept);
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = stderr.read(&mut buf) {
            let mut kept = sink.lock().unwrap_or_else(|e| e.into_inner());
            kept.extend(&buf[..n]);
            let over = kept.len().saturating_sub(STDERR_KEEP);
            kept.drain(..over);
        }
    });
    (kept, reader)
}

impl Helper {
    fn round_trip(&mut self, request: &Json) -> Result<Answer, String> {
        let mut line = request.to_string();
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("the Python helper stopped: {e}"))?;
        let mut reply = String::new();
        match self.stdout.read_line(&mut reply) {
            Ok(0) => return Err("the Python helper stopped".into()),
            Err(e) => return Err(format!("the Python helper stopped: {e}")),
            Ok(_) => {}
        }
        let reply: Json = serde_json::from_str(&reply)
            .map_err(|e| format!("the Python helper answered something else than JSON: {e}"))?;
        Ok(read_answer(reply))
    }

    /// Ends the process: the end of what it wrote on stderr, for an error message.
    fn stop(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        let kept = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        let bytes: Vec<u8> = kept.iter().copied().collect();
        let text = String::from_utf8_lossy(&bytes);
        match text.trim() {
            "" => String::new(),
            t => format!(": {t}"),
        }
    }
}

/// A reply line made an [`Answer`].
fn read_answer(mut reply: Json) -> Answer {
    let warnings = match reply.get_mut("warnings").map(Json::take) {
        Some(Json::Array(items)) => items
            .into_iter()
            .filter_map(|w| w.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let error = reply.get_mut("error").map(Json::take);
    let result = match (reply.get_mut("ok"), error) {
        (Some(value), _) => Ok(value.take()),
        (None, Some(error)) => Err(PluginError {
            kind: error["kind"].as_str().unwrap_or("hard").to_string(),
            message: error["message"].as_str().unwrap_or_default().to_string(),
        }),
        (None, None) => Err(PluginError::hard(format!(
            "the Python helper answered {reply}"
        ))),
    };
    Answer { result, warnings }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_values_errors_and_warnings() {
        let a = read_answer(json!({"ok": [1, "a"], "warnings": ["w"]}));
        assert_eq!(a.result.unwrap(), json!([1, "a"]));
        assert_eq!(a.warnings, vec!["w".to_string()]);
        let a = read_answer(json!({"ok": null}));
        assert_eq!(a.result.unwrap(), Json::Null);
        let a = read_answer(json!({"error": {"kind": "soft", "message": "m"}}));
        let e = a.result.unwrap_err();
        assert_eq!((e.kind.as_str(), e.message.as_str()), ("soft", "m"));
        assert_eq!(read_answer(json!({})).result.unwrap_err().kind, "hard");
    }
}
