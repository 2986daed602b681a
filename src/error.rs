//! The library's error types and source positions.
//!
//! Owns [`Span`] (a file, a 1-based line and column, and the file's text so an error can show the
//! offending line with a caret) and [`LoadError`], the error every loader returns. Runtime failures
//! of a host are not errors here: they are outcomes (see `executor::outcome`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A source file kept in memory so errors can quote it.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user named it (relative paths stay relative in messages).
    pub path: PathBuf,
    /// The whole text of the file.
    pub text: String,
}

impl SourceFile {
    /// Wraps a file's path and text for spans to point into.
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Arc<SourceFile> {
        Arc::new(SourceFile {
            path: path.into(),
            text: text.into(),
        })
    }

    /// The text of 1-based line `line`, without its line break.
    pub fn line_text(&self, line: usize) -> Option<&str> {
        self.text.lines().nth(line.checked_sub(1)?)
    }
}

/// A position in a source file: 1-based line and column.
#[derive(Clone)]
pub struct Span {
    /// The file the position is in.
    pub file: Arc<SourceFile>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub col: usize,
}

impl Span {
    /// A span at `line:col` of `file`.
    pub fn new(file: &Arc<SourceFile>, line: usize, col: usize) -> Span {
        Span {
            file: Arc::clone(file),
            line,
            col,
        }
    }

    /// The path of the file.
    pub fn path(&self) -> &Path {
        &self.file.path
    }

    /// Where a runtime error is, as Ansible words it after the error's message: the file's
    /// absolute path, line and column, then the line and the one before it with a caret under
    /// the column. When the line before reads as `k=v` arguments, Ansible points at its `=`
    /// instead and says that both syntaxes are mixed; so does this. (Ansible's further
    /// guesses about quoting are not repeated.)
    pub fn ansible_context(&self) -> String {
        let path = std::fs::canonicalize(&self.file.path)
            .or_else(|_| std::path::absolute(&self.file.path))
            .unwrap_or_else(|_| self.file.path.clone());
        let details = |line: usize, col: usize| {
            format!(
                "The error appears to be in '{}': line {line}, column {col}, but may\nbe elsewhere in the file depending on the exact syntax problem.\n",
                path.display()
            )
        };
        let lines: Vec<&str> = self.file.text.split_inclusive('\n').collect();
        let Some(mut at) = self
            .line
            .checked_sub(1)
            .map(|l| l.min(lines.len().saturating_sub(1)))
        else {
            return details(self.line, self.col);
        };
        while at > 0 && lines.get(at).is_some_and(|l| l.trim().is_empty()) {
            at -= 1;
        }
        let target = lines.get(at).copied().unwrap_or("");
        let prev = match at {
            0 => "",
            _ => lines[at - 1],
        };
        if target.is_empty() {
            return details(self.line, self.col);
        }
        let prev = prev.trim_end();
        if let Some(eq) = shorthand_args(prev) {
            return format!(
                "{}\nThe offending line appears to be:\n\n{prev}\n{}^ here\n\nThere appears to be both 'k=v' shorthand syntax and YAML in this task. Only one syntax may be used.\n",
                details(self.line.saturating_sub(1), eq + 1),
                " ".repeat(eq)
            );
        }
        format!(
            "{}\nThe offending line appears to be:\n\n{prev}\n{}\n{}^ here\n",
            details(self.line, self.col),
            target.trim_end(),
            " ".repeat(self.col.saturating_sub(1))
        )
    }

    /// True when both point at the same place of the same file (read once or twice).
    pub fn same_place(&self, other: &Span) -> bool {
        self.line == other.line && self.col == other.col && self.path() == other.path()
    }
}

/// The column (0-based, in characters) of the `=` of a line that reads as `k=v` arguments.
fn shorthand_args(line: &str) -> Option<usize> {
    static KV: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let kv = KV.get_or_init(|| regex::Regex::new(r"\w+\s*=\s*[\w/-]+").expect("valid regex"));
    kv.is_match(line)
        .then(|| line.find('=').map(|b| line[..b].chars().count()))
        .flatten()
}

impl fmt::Debug for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self)
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.path.display(), self.line, self.col)
    }
}

/// An error found while loading a playbook, an inventory or a vars file: it names where, why and
/// (when there is one) what to do. Rendered as
///
/// ```text
/// site.yml:4:5: unknown module 'comand'
///     |
///   4 |   - comand: ls
///     |     ^
///     = hint: did you mean 'command'?
/// ```
#[derive(Debug, Clone)]
pub struct LoadError {
    /// Where; `None` when the error is about a whole file (e.g. it cannot be read).
    pub span: Option<Span>,
    /// Why.
    pub message: String,
    /// What to do.
    pub hint: Option<String>,
}

impl LoadError {
    /// An error at `span`.
    pub fn at(span: &Span, message: impl Into<String>) -> LoadError {
        LoadError {
            span: Some(span.clone()),
            message: message.into(),
            hint: None,
        }
    }

    /// An error with no position (the message must name the file).
    pub fn plain(message: impl Into<String>) -> LoadError {
        LoadError {
            span: None,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds a hint line.
    pub fn with_hint(mut self, hint: impl Into<String>) -> LoadError {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a "did you mean" hint when one of `candidates` is close to `word`.
    pub fn suggest<'a>(self, word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Self {
        match did_you_mean(word, candidates) {
            Some(best) => self.with_hint(format!("did you mean '{best}'?")),
            None => self,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(span) = &self.span else {
            write!(f, "{}", self.message)?;
            if let Some(hint) = &self.hint {
                write!(f, "\n  = hint: {hint}")?;
            }
            return Ok(());
        };
        write!(f, "{span}: {}", self.message)?;
        if let Some(text) = span.file.line_text(span.line) {
            let num = span.line.to_string();
            let pad = " ".repeat(num.len());
            let caret_pad: String = text
                .chars()
                .take(span.col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "\n {pad} |\n {num} | {text}\n {pad} | {caret_pad}^")?;
            if let Some(hint) = &self.hint {
                write!(f, "\n {pad} = hint: {hint}")?;
            }
        } else if let Some(hint) = &self.hint {
            write!(f, "\n  = hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// Several load errors at once (a loader reports all it finds, not just the first).
#[derive(Debug, Clone)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

impl From<LoadError> for LoadErrors {
    fn from(e: LoadError) -> Self {
        LoadErrors(vec![e])
    }
}

/// The library's top-level error: what stops a whole run (as opposed to one host's failure).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A playbook, inventory or vars file is wrong; nothing was contacted.
    #[error("{0}")]
    Load(#[from] LoadErrors),
    /// Bad command-line options.
    #[error("{0}")]
    Options(String),
    /// `ferry shards merge`: logs that do not make one rollout.
    #[error("{0}")]
    Shards(#[from] crate::output::shards::MergeError),
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// git could not be started.
    #[error("cannot run git: {source}")]
    GitRun {
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A git command failed.
    #[error("{command} failed: {stderr}")]
    Git {
        /// The command, as shown.
        command: String,
        /// What git said.
        stderr: String,
    },
    /// The history database could not be read or written.
    #[error("{0}")]
    History(#[from] crate::pipeline::history::HistoryError),
    /// The HTML report could not be written, or the run not recorded.
    #[error("{0}")]
    Report(#[from] crate::report::recording::ReportError),
    /// The pipeline's deploy lock could not be taken.
    #[error("{0}")]
    Lock(#[from] crate::pipeline::lock::LockError),
    /// The state backend (SQLite or PostgreSQL) failed.
    #[error("{0}")]
    State(#[from] crate::state::StateError),
    /// ansible.cfg or an `ANSIBLE_*` variable could not be read.
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    /// The run was interrupted (Ctrl-C).
    #[error("interrupted")]
    Interrupted,
    /// A vault password could not be had, or a vaulted text not decrypted.
    #[error("{0}")]
    Vault(#[from] crate::vault::VaultError),
}

impl Error {
    /// The exit code, as ansible-playbook's: 4 a file could not be parsed, 5 bad options,
    /// 99 interrupted, 1 any other error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Load(_) => EXIT_PARSE,
            Error::Options(_) | Error::Config(_) => 5,
            Error::Interrupted => 99,
            Error::Git { .. }
            | Error::GitRun { .. }
            | Error::History(_)
            | Error::Io { .. }
            | Error::Lock(_)
            | Error::Report(_)
            | Error::Shards(_)
            | Error::State(_)
            | Error::Vault(_)
            | Error::Write { .. } => 1,
        }
    }
}

/// Exit code: a host was unreachable or a file could not be parsed.
pub const EXIT_PARSE: i32 = 4;

impl From<LoadError> for Error {
    fn from(e: LoadError) -> Self {
        Error::Load(LoadErrors(vec![e]))
    }
}

/// The candidate closest to `word` when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let max = ((word.chars().count() + 1) / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (levenshtein(word, c), c))
        .filter(|(d, _)| *d <= max)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The context after a runtime error's message, as ansible-core 2.18 prints it (checked
    /// against it on these files).
    #[test]
    fn runtime_errors_quote_the_line_as_ansible_does() {
        let text = "- hosts: all\n  tasks:\n    - name: one\n      debug:\n        msg: x\n      when: nope\n\n\n    - debug: msg=x\n      when: nope\n";
        let file = SourceFile::new("/nonexistent/pb.yml", text);
        let at = |line, col| Span::new(&file, line, col).ansible_context();
        let head = "The error appears to be in '/nonexistent/pb.yml'";
        let tail = "but may\nbe elsewhere in the file depending on the exact syntax problem.\n";
        assert_eq!(
            at(6, 13),
            format!("{head}: line 6, column 13, {tail}\nThe offending line appears to be:\n\n        msg: x\n      when: nope\n            ^ here\n")
        );
        // A blank line is passed over for the first line above it with text.
        assert_eq!(
            at(8, 5),
            format!("{head}: line 8, column 5, {tail}\nThe offending line appears to be:\n\n        msg: x\n      when: nope\n    ^ here\n")
        );
        // After `k=v` arguments, Ansible points at their `=`.
        assert_eq!(
            at(10, 13),
            format!("{head}: line 9, column 17, {tail}\nThe offending line appears to be:\n\n    - debug: msg=x\n                ^ here\n\nThere appears to be both 'k=v' shorthand syntax and YAML in this task. Only one syntax may be used.\n")
        );
    }

    #[test]
    fn suggestions() {
        let cands = ["command", "shell", "debug", "copy"];
        for (word, want) in [
            ("comand", Some("command")),
            ("shel", Some("shell")),
            ("debgu", Some("debug")),
            ("zzzzzz", None),
        ] {
            assert_eq!(did_you_mean(word, cands), want, "{word}");
        }
    }

    #[test]
    fn renders_line_and_caret() {
        let file = SourceFile::new("site.yml", "- hosts: all\n  tasks:\n    - comand: ls\n");
        let e = LoadError::at(&Span::new(&file, 3, 7), "unknown module 'comand'")
            .suggest("comand", ["command"]);
        assert_eq!(
            e.to_string(),
            "site.yml:3:7: unknown module 'comand'\n   |\n 3 |     - comand: ls\n   |       ^\n   = hint: did you mean 'command'?"
        );
    }
}
