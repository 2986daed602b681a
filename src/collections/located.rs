//! Where the files of modules ferry has no native code for are on the controller: the module
//! file a resolved name stands for (recorded when the loader resolves it), the collection roots
//! seen, and ansible-core's Python package (its `modules/` and `module_utils/`), found beside the
//! `ansible` command on PATH as Ansible's own controller would import it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// A module's file on the controller, by the name it resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleFile {
    /// The file.
    pub path: PathBuf,
    /// The dotted name it runs as in Python (`ansible.modules.debconf`,
    /// `ansible_collections.community.general.plugins.modules.archive`).
    pub fqn: String,
}

#[derive(Default)]
struct Registry {
    modules: HashMap<String, ModuleFile>,
    action_only: std::collections::HashSet<String>,
    roots: Vec<PathBuf>,
}

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// Records that `name` resolved to `file` (the first file found for a name is kept, as
/// Ansible's plugin loader keeps it for the run).
pub(crate) fn record(name: &str, file: ModuleFile) {
    registry().modules.entry(name.to_string()).or_insert(file);
}

/// Records that `name` resolved to an action plugin that has no module beside it.
pub(crate) fn record_action_only(name: &str) {
    registry().action_only.insert(name.to_string());
}

/// Whether `name` resolved to an action plugin without a module: code that runs inside
/// Ansible's controller process, which ferry cannot run.
pub fn is_action_only(name: &str) -> bool {
    registry().action_only.contains(name)
}

/// Records collection roots (directories holding `ansible_collections/`), for the support
/// code one collection's module imports from another.
pub(crate) fn record_roots(roots: &[PathBuf]) {
    let mut r = registry();
    for root in roots {
        if !r.roots.contains(root) {
            r.roots.push(root.clone());
        }
    }
}

/// The file module `name` resolved to.
pub fn module_file(name: &str) -> Option<ModuleFile> {
    registry().modules.get(name).cloned()
}

/// The collection roots seen, then the one beside ansible-core.
pub fn roots() -> Vec<PathBuf> {
    let mut roots = registry().roots.clone();
    if let Some(core) = core_dir() {
        if core.join("ansible_collections").is_dir() && !roots.iter().any(|r| r == core) {
            roots.push(core.to_path_buf());
        }
    }
    roots
}

/// The directory holding ansible-core's `ansible` Python package on the controller (a
/// `site-packages`), found once: `FERRY_ANSIBLE_CORE_DIR` when set, else by asking the Python that
/// runs the `ansible` command on PATH (then `python3`) where it imports `ansible` from.
pub fn core_dir() -> Option<&'static Path> {
    core().map(|(_, dir)| dir.as_path())
}

/// The Python on the controller that imports ansible-core from [`core_dir`] (with
/// `FERRY_ANSIBLE_CORE_DIR`, `python3`, which then needs that directory on its path): what
/// runs the controller-side plugins ferry has no native code for.
pub fn core_python() -> Option<&'static Path> {
    core().map(|(python, _)| python.as_path())
}

fn core() -> Option<&'static (PathBuf, PathBuf)> {
    static CORE: OnceLock<Option<(PathBuf, PathBuf)>> = OnceLock::new();
    CORE.get_or_init(find_core).as_ref()
}

fn find_core() -> Option<(PathBuf, PathBuf)> {
    let is_core = |d: &Path| d.join("ansible/module_utils/basic.py").is_file();
    if let Some(dir) = std::env::var_os("FERRY_ANSIBLE_CORE_DIR").map(PathBuf::from) {
        return is_core(&dir).then(|| ("python3".into(), dir));
    }
    let mut pythons: Vec<PathBuf> = ["ansible", "ansible-playbook"]
        .iter()
        .filter_map(|cmd| on_path(cmd))
        .filter_map(|cmd| shebang(&cmd))
        .collect();
    pythons.push("python3".into());
    const ASK: &str =
        "import ansible, os; print(os.path.dirname(os.path.dirname(ansible.__file__)))";
    pythons.iter().find_map(|py| {
        let out = std::process::Command::new(py)
            .args(["-c", ASK])
            .output()
            .ok()?;
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        (out.status.success() && is_core(&dir)).then(|| (py.clone(), dir))
    })
}

/// The file `cmd` on PATH.
fn on_path(cmd: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(cmd))
        .find(|p| p.is_file())
}

/// The interpreter a script's `#!` line names (`#!/usr/bin/env python3` gives `python3`).
fn shebang(script: &Path) -> Option<PathBuf> {
    let text = std::fs::read(script).ok()?;
    let first = text.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(first).ok()?.strip_prefix("#!")?;
    let mut words = line.split_whitespace();
    let interp = words.next()?;
    match interp.ends_with("/env") {
        true => words.next().map(PathBuf::from),
        false => Some(PathBuf::from(interp)),
    }
}

/// The version of ansible-core in `core` (its `ansible/release.py`).
pub fn core_version(core: &Path) -> Option<String> {
    let text = std::fs::read_to_string(core.join("ansible/release.py")).ok()?;
    let line = text.lines().find(|l| l.starts_with("__version__"))?;
    let value = line.split_once('=')?.1.trim();
    Some(value.trim_matches(|c| c == '\'' || c == '"').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_interpreters_from_shebang_lines() {
        let dir = tempfile::tempdir().unwrap();
        for (text, want) in [
            ("#!/usr/bin/env python3\n", Some("python3")),
            ("#!/opt/venv/bin/python -E\nx", Some("/opt/venv/bin/python")),
            ("print(1)\n", None),
        ] {
            let path = dir.path().join("s");
            std::fs::write(&path, text).unwrap();
            assert_eq!(shebang(&path), want.map(PathBuf::from), "{text}");
        }
        std::fs::create_dir_all(dir.path().join("ansible")).unwrap();
        std::fs::write(
            dir.path().join("ansible/release.py"),
            "x = 1\n__version__ = '2.18.3'\n",
        )
        .unwrap();
        assert_eq!(core_version(dir.path()).as_deref(), Some("2.18.3"));
    }
}
