//! The `diff` native modules register and what `--diff` prints, compared with ansible-core
//! 2.18: tests/conformance/diffs.yml writes each registered diff under out/ (copy, template,
//! lineinfile, blockinfile, replace, ini_file, file), run with `--diff`, without it and under
//! `--check --diff`; and the diff blocks both tools print are the same text.

use std::path::PathBuf;

use crate::conformance::{ansible_command, conform_with, run_command};
use crate::support::{root, run_playbook, SshHosts};

/// community.general (for ini_file), from the corpus of the Ansible package
/// (`scripts/corpus.sh` fetches it); nextest runs each test in its own process, so the
/// variable reaches only this test's ansible-playbook.
pub(crate) fn with_community_general() {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let dir = std::env::var("FERRY_CORPUS_CACHE").unwrap_or(format!("{home}/.cache/ferry-corpus"));
    let collections = PathBuf::from(dir).join("ansible-11.13.0");
    assert!(
        collections
            .join("ansible_collections/community/general")
            .is_dir(),
        "community.general is missing: run `bash scripts/corpus.sh`"
    );
    std::env::set_var("ANSIBLE_COLLECTIONS_PATH", &collections);
}

#[test]
fn registered_diffs_conform_under_diff() {
    with_community_general();
    conform_with("diffs.yml", 1, "", &["--diff"], false);
}

#[test]
fn registered_diffs_conform_without_diff() {
    with_community_general();
    conform_with("diffs.yml", 1, "", &[], false);
}

#[test]
fn registered_diffs_conform_under_check_and_diff() {
    with_community_general();
    conform_with("diffs.yml", 1, "", &["--check", "--diff"], false);
}

/// Each diff block as printed, with its task's name: the lines before a result line
/// (`changed: [...]`, `ok: [...]`, one per loop item) after the `TASK [...]` banner. A template's
/// `after:` header, a temporary file under Ansible, is cut to its base name.
fn diff_blocks(out: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in out.lines() {
        if let Some(name) = line.strip_prefix("TASK [") {
            let name = name.split(']').next().unwrap_or_default().to_string();
            current = Some((name, String::new()));
            continue;
        }
        let Some((name, text)) = current.as_mut() else {
            continue;
        };
        let result = ["changed: [", "ok: [", "fatal: [", "skipping: ["];
        if result.iter().any(|r| line.starts_with(r)) {
            if !text.is_empty() {
                blocks.push((name.clone(), std::mem::take(text)));
            }
            continue;
        }
        let line = match line.strip_prefix("+++ after: ") {
            Some(h) if name.starts_with("template") => {
                format!("+++ after: {}", h.rsplit('/').next().unwrap_or_default())
            }
            _ => line.to_string(),
        };
        text.push_str(&line);
        text.push('\n');
    }
    blocks
}

/// `--diff` prints each changed task's diff as ansible-playbook prints it: the same hunks,
/// headers, JSON of attribute changes, notes and blank line.
#[test]
fn diff_text_is_printed_as_ansible_prints_it() {
    with_community_general();
    let hosts = SshHosts::start(1);
    let inv = hosts.inventory("");
    let pb = root().join("tests/conformance/diffs.yml");
    let mut cmd = ansible_command(&hosts, &pb);
    cmd.arg("-i").arg(&inv).arg("--diff");
    let (a_code, a_out) = run_command(cmd);
    let _ = std::fs::remove_dir_all(hosts.hosts[0].dir.join("out"));
    let f = run_playbook(&hosts, &pb, &inv, &["--diff"]);
    assert_eq!((f.code, a_code), (0, 0), "{a_out}\n{}", f.all());
    let expected = diff_blocks(&a_out);
    assert!(expected.len() > 20, "{a_out}");
    let got = diff_blocks(&f.stdout);
    for (a, b) in expected.iter().zip(&got) {
        assert_eq!(b, a, "== ansible-playbook\n{a_out}\n== ferry\n{}", f.stdout);
    }
    assert_eq!(got.len(), expected.len(), "{a_out}\n{}", f.stdout);
}

/// The cron files of diffs_cron.yml (named after the fixture's temporary directory).
fn cron_files() -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir("/etc/cron.d") else {
        return Vec::new();
    };
    let ours = |p: &PathBuf| {
        let name = p.file_name().unwrap_or_default().to_string_lossy();
        name.starts_with("ferry-diffs-test-")
    };
    entries.flatten().map(|e| e.path()).filter(ours).collect()
}

/// Removes the cron files a run left when it stopped before the play's end did.
struct CronFilesGone(Vec<PathBuf>);

impl Drop for CronFilesGone {
    fn drop(&mut self) {
        for p in cron_files().into_iter().filter(|p| !self.0.contains(p)) {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// cron's diff: `{before, before_header, after, after_header}` (the cron file's path), and
/// `after_header: /dev/null` when the file goes with its last job.
#[test]
fn cron_diffs_conform_under_diff() {
    let _gone = CronFilesGone(cron_files());
    conform_with("diffs_cron.yml", 1, "", &["--diff"], false);
}
