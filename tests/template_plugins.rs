//! Filter, test and lookup plugins ferry has no native code for, and the FQCN names of
//! ansible-core's own: `tests/template_plugins/site.yml` (the playbook's `filter_plugins/`,
//! `test_plugins/`, `lookup_plugins/`, a role's `filter_plugins/`, ansible.cfg's
//! `filter_plugins`, community.general's and DebOps' plugins from their collections) runs on
//! localhost through ansible-playbook and through ferry; the values it writes to
//! `out/results.json` and the recaps must be the same.
//! The Python helper starts once per run, and never for templates without such plugins.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value as Json;

use crate::conformance::{ansible_playbook, run_command};
use crate::support::{ferry_env, root, Run};

/// The output of one of the install scripts (a directory holding `ansible_collections/`).
pub(crate) fn script_output(script: &str) -> String {
    let out = Command::new("bash")
        .arg(root().join("scripts").join(script))
        .output()
        .expect("the script runs");
    assert!(out.status.success(), "scripts/{script} failed");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Where the collections are: the community `ansible` package, then DebOps.
fn collections_path() -> String {
    format!(
        "{}:{}",
        script_output("corpus.sh"),
        script_output("debops.sh")
    )
}

/// PATH with the venv's `ansible` first (where ferry finds ansible-core and its Python).
fn venv_path() -> String {
    let bin = ansible_playbook().parent().unwrap().to_path_buf();
    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap())
}

/// A copy of `tests/template_plugins/` with an inventory of localhost and an `out/` directory.
fn project(tmp: &Path) -> PathBuf {
    let dir = tmp.join("project");
    let src = root().join("tests/template_plugins");
    let status = Command::new("cp").arg("-a").arg(&src).arg(&dir).status();
    assert!(status.is_ok_and(|s| s.success()));
    let python = ansible_playbook().parent().unwrap().join("python");
    let inventory = format!(
        "localhost ansible_connection=local ansible_python_interpreter={}\n",
        python.display()
    );
    fs::write(dir.join("hosts"), inventory).unwrap();
    fs::create_dir_all(dir.join("out")).unwrap();
    dir
}

fn ansible(dir: &Path, playbook: &str) -> (i32, String) {
    let mut cmd = Command::new(ansible_playbook());
    cmd.arg(playbook)
        .args(["-i", "hosts", "-e"])
        .arg(format!("out={}", dir.join("out").display()))
        .env("ANSIBLE_COLLECTIONS_PATH", collections_path())
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
        .env("ANSIBLE_LOCAL_TEMP", dir.join("tmp"))
        .env("ANSIBLE_DEPRECATION_WARNINGS", "0")
        .current_dir(dir)
        .stdin(Stdio::null());
    run_command(cmd)
}

fn ferry(dir: &Path, playbook: &str, env: &[(&str, &Path)]) -> Run {
    let out = format!("out={}", dir.join("out").display());
    let (path, collections) = (venv_path(), collections_path());
    let mut all = vec![
        ("PATH", Path::new(&path)),
        ("ANSIBLE_COLLECTIONS_PATH", Path::new(&collections)),
        ("ANSIBLE_DEPRECATION_WARNINGS", Path::new("0")),
    ];
    all.extend_from_slice(env);
    ferry_env(&["run", playbook, "-i", "hosts", "-e", &out], dir, &all)
}

fn results(dir: &Path) -> Json {
    let path = dir.join("out/results.json");
    let text = fs::read_to_string(&path).unwrap_or_default();
    fs::remove_file(&path).ok();
    serde_json::from_str(&text).unwrap_or(Json::Null)
}

#[test]
fn python_plugins_and_fqcn_names_render_as_ansible_renders_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = project(tmp.path());
    let (a_code, a_out) = ansible(&dir, "site.yml");
    let a_results = results(&dir);
    assert_eq!(a_code, 0, "{a_out}");

    let f = ferry(&dir, "site.yml", &[]);
    let f_results = results(&dir);
    assert_eq!(f.code, 0, "{}", f.all());
    assert_eq!(f_results, a_results, "{}\n--- ansible\n{a_out}", f.all());
    assert_eq!(f.recap(), crate::support::recap(&a_out), "{}", f.all());
    // What the values are, not only that both tools agree.
    assert_eq!(f_results["local"][0], "ababab");
    assert_eq!(f_results["role_shape"], "<x>");
    assert_eq!(f_results["configured"], "ababab");
    assert_eq!(f_results["fqcn"][7], "3.0 8.0 3.0 b");
    assert_eq!(f_results["collections"][0], serde_json::json!(["bob"]));
    assert_eq!(f_results["collections"][3][0]["options"][1]["name"], "o2");
    assert_eq!(f_results["lookups"][0], "8");
    let loops = serde_json::json!([
        [[1, "a"], [2, "a"]],
        ["greeting=hello", "role_shape=<x>"],
        ["x", "y"]
    ]);
    assert_eq!(f_results["loops"], loops);
    assert!(f.stdout.contains(
        "[WARNING]: Lookup failed but the error is being ignored: echo was asked to fail"
    ));
}

/// A `python3` first on PATH that counts the helper's starts in `starts`, then runs the
/// venv's Python.
fn counting_python(tmp: &Path) -> (PathBuf, PathBuf) {
    let bin = tmp.join("bin");
    fs::create_dir_all(&bin).unwrap();
    let starts = tmp.join("starts");
    let python = ansible_playbook().parent().unwrap().join("python");
    let script = format!(
        "#!/bin/sh\ncase \"$2\" in *\"Python plugin helper\"*) echo start >> {};; esac\nexec {} \"$@\"\n",
        starts.display(),
        python.display()
    );
    fs::write(bin.join("python3"), script).unwrap();
    let status = Command::new("chmod")
        .arg("+x")
        .arg(bin.join("python3"))
        .status();
    assert!(status.is_ok_and(|s| s.success()));
    (bin, starts)
}

/// The directory holding ansible-core's `ansible` package in the venv.
fn core_dir() -> PathBuf {
    let python = ansible_playbook().parent().unwrap().join("python");
    let out = Command::new(python)
        .args([
            "-c",
            "import ansible, os; print(os.path.dirname(os.path.dirname(ansible.__file__)))",
        ])
        .output()
        .unwrap();
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

#[test]
fn the_python_helper_starts_once_per_run_and_only_for_python_plugins() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = project(tmp.path());
    let (bin, starts) = counting_python(tmp.path());
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let core = core_dir();
    let env = [
        ("PATH", Path::new(&path)),
        ("FERRY_ANSIBLE_CORE_DIR", core.as_path()),
    ];
    fs::write(
        dir.join("native.yml"),
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n\
         \x20   - debug:\n        msg: \"{{ [3, 1] | sort | ansible.builtin.to_json }} {{ 'a' is ansible.builtin.match('a') }}\"\n\
         \x20   - debug:\n        msg: \"{{ lookup('ansible.builtin.env', 'HOME') }}\"\n",
    )
    .unwrap();
    let f = ferry(&dir, "native.yml", &env);
    assert_eq!(f.code, 0, "{}", f.all());
    assert!(f.stdout.contains("\"msg\": \"[1, 3] True\""), "{}", f.all());
    assert!(
        !starts.exists(),
        "Python started for native filters\n{}",
        f.all()
    );

    fs::write(
        dir.join("many.yml"),
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n\
         \x20   - debug:\n        msg: \"{{ item | double }} {{ item is even }}\"\n\
         \x20     loop: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n\
         \x20   - debug:\n        msg: \"{{ query('echo', 'item') | length }}\"\n",
    )
    .unwrap();
    let f = ferry(&dir, "many.yml", &env);
    assert_eq!(f.code, 0, "{}", f.all());
    assert!(f.stdout.contains("\"msg\": \"20 True\""), "{}", f.all());
    let started = fs::read_to_string(&starts).unwrap_or_default();
    assert_eq!(started.lines().count(), 1, "{}", f.all());
}

#[test]
fn an_unknown_filter_fails_at_its_task_with_ansibles_words() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = project(tmp.path());
    fs::write(
        dir.join("unknown.yml"),
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n\
         \x20   - debug:\n        msg: \"{{ 'ab' | nosuch.coll.nosuch }}\"\n",
    )
    .unwrap();
    let f = ferry(&dir, "unknown.yml", &[]);
    assert_eq!(f.code, 2, "{}", f.all());
    let want = "fatal: [localhost]: FAILED! => {\"msg\": \"template error while templating \
                string: unknown filter: Could not load \\\"nosuch.coll.nosuch\\\": 'Invalid \
                plugin FQCN (nosuch.coll.nosuch): unable to locate collection nosuch.coll'. \
                String: {{ 'ab' | nosuch.coll.nosuch }}\\n\\nThe error appears to be in '";
    assert!(f.stdout.contains(want), "{}", f.all());
    assert!(
        f.stdout
            .contains("unknown.yml': line 4, column 7, but may\\nbe elsewhere"),
        "{}",
        f.all()
    );
}
