//! Issue 14's corpus figure: on real public playbooks, `ferry run --syntax-check` must give
//! ansible-playbook 2.18's `--syntax-check` verdict (loads or refuses) on at least 95 % of them.
//!
//! The corpus is the community `ansible` package from PyPI, pinned (scripts/corpus.sh installs it
//! outside the checkout). Its items, chosen by [`items`] in sorted order: every playbook file under
//! a collection's `playbooks/` directory, and every role under a collection's `roles/` directory
//! through a generated wrapper play (`- hosts: all` with `roles: [ns.coll.role]`).
//!
//! Ansible's verdicts are kept in `corpus/verdicts-<version>.tsv` (running ansible-playbook on
//! every item takes minutes on two cores). When that file is missing or names other items, the
//! test makes it again from ansible-playbook (commit the result); each run re-checks a sample of it
//! against ansible-playbook, so a stale list fails.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde_json::Value as Json;

use crate::conformance::ansible_playbook;
use crate::support::root;

/// The share of items on which ferry must give Ansible's verdict.
const GOAL: f64 = 95.0;

/// One in this many verdicts of the committed list is re-checked against ansible-playbook.
const SAMPLE_EVERY: usize = 40;

/// One playbook to check: a file of the corpus, or a wrapper play around one of its roles.
struct Item {
    /// `ns.coll/playbooks/…` for a playbook file, `ns.coll.role` for a role.
    name: String,
    playbook: PathBuf,
}

/// A tool's answer on an item: its exit code and the first line that says why it refused.
#[derive(Clone, Debug, PartialEq)]
struct Verdict {
    code: i32,
    why: String,
}

impl Verdict {
    fn loads(&self) -> bool {
        self.code == 0
    }
}

/// Installs the corpus (once) and returns the directory holding its `ansible_collections/`.
pub(crate) fn corpus_dir() -> (PathBuf, String) {
    let script = root().join("scripts/corpus.sh");
    let out = Command::new("bash")
        .arg(&script)
        .stderr(Stdio::inherit())
        .output()
        .expect("bash runs scripts/corpus.sh");
    assert!(out.status.success(), "scripts/corpus.sh failed");
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let version = dir
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("ansible-"))
        .expect("scripts/corpus.sh prints …/ansible-<version>")
        .to_string();
    (dir, version)
}

fn sorted_dir(dir: &Path) -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    all.sort();
    all
}

/// Every YAML file under `dir`, recursively, sorted.
fn yaml_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for path in sorted_dir(dir) {
        if path.is_dir() {
            yaml_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            found.push(path);
        }
    }
}

/// Whether a file of a `playbooks/` directory is a playbook: a list of mappings, one of them a
/// play (`hosts`) or an `import_playbook`. The directories also hold variable files and task
/// lists, which are no playbooks; a file that is not YAML is kept (both tools must refuse it).
fn is_playbook(path: &Path) -> bool {
    let text = fs::read_to_string(path).unwrap_or_default();
    let Ok(doc) = serde_saphyr::from_str::<Json>(&text) else {
        return true;
    };
    let Some(items) = doc.as_array() else {
        return false;
    };
    items.iter().all(Json::is_object)
        && items.iter().any(|item| {
            [
                "hosts",
                "import_playbook",
                "ansible.builtin.import_playbook",
            ]
            .iter()
            .any(|k| item.get(k).is_some())
        })
}

/// The corpus's items, in a stable order: per collection (sorted), its playbook files, then its
/// roles through wrapper plays written under `wrappers`.
fn items(corpus: &Path, wrappers: &Path) -> Vec<Item> {
    let mut items = Vec::new();
    for ns in sorted_dir(&corpus.join("ansible_collections")) {
        for coll in sorted_dir(&ns).into_iter().filter(|p| p.is_dir()) {
            let fq = format!(
                "{}.{}",
                ns.file_name().unwrap().to_string_lossy(),
                coll.file_name().unwrap().to_string_lossy()
            );
            let mut books = Vec::new();
            yaml_files(&coll.join("playbooks"), &mut books);
            for book in books.into_iter().filter(|b| is_playbook(b)) {
                let rel = book.strip_prefix(&coll).unwrap().display().to_string();
                items.push(Item {
                    name: format!("{fq}/{rel}"),
                    playbook: book,
                });
            }
            for role in sorted_dir(&coll.join("roles")).into_iter() {
                if !role.is_dir() {
                    continue;
                }
                let name = format!("{fq}.{}", role.file_name().unwrap().to_string_lossy());
                let playbook = wrappers.join(format!("{name}.yml"));
                let play = format!("- hosts: all\n  gather_facts: false\n  roles: [{name}]\n");
                fs::write(&playbook, play).unwrap();
                items.push(Item { name, playbook });
            }
        }
    }
    items
}

/// The first line of `out` that says why a tool refused, with the corpus's path left out.
fn why(out: &str, corpus: &Path) -> String {
    let line = out
        .lines()
        .find(|l| l.contains("ERROR") || l.contains("error"))
        .or_else(|| out.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or("");
    line.replace(&format!("{}/", corpus.display()), "")
        .replace('\t', " ")
}

/// Runs `cmd` for the `--syntax-check` of `item`, from a scratch directory holding an empty
/// ansible.cfg, with the corpus's collections installed.
fn syntax_check(mut cmd: Command, item: &Item, corpus: &Path, scratch: &Path) -> Verdict {
    cmd.arg("--syntax-check")
        .arg("-i")
        .arg("localhost,")
        .arg(&item.playbook)
        .current_dir(scratch)
        .env("ANSIBLE_CONFIG", scratch.join("ansible.cfg"))
        .env("ANSIBLE_COLLECTIONS_PATH", corpus)
        .env("ANSIBLE_NOCOLOR", "1")
        .env("NO_COLOR", "1")
        .env("ANSIBLE_DEPRECATION_WARNINGS", "0")
        .stdin(Stdio::null());
    let out = cmd.output().expect("the syntax check runs");
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    let code = out.status.code().unwrap_or(-1);
    Verdict {
        code,
        why: if code == 0 {
            String::new()
        } else {
            why(&text, corpus)
        },
    }
}

fn ansible(item: &Item, corpus: &Path, scratch: &Path) -> Verdict {
    syntax_check(Command::new(ansible_playbook()), item, corpus, scratch)
}

fn ferry(item: &Item, corpus: &Path, scratch: &Path) -> Verdict {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferry"));
    // As on an ops box with Ansible installed: ansible-core on PATH, where ferry reads its
    // routing of Ansible 2.9's short module names.
    let bin = ansible_playbook();
    if let Some(dir) = Path::new(&bin).parent() {
        let path = std::env::var("PATH").unwrap_or_default();
        cmd.env("PATH", format!("{}:{path}", dir.display()));
    }
    cmd.arg("run");
    syntax_check(cmd, item, corpus, scratch)
}

/// `check` on each of `items`, in as many processes at once as the machine has cores.
fn verdicts(items: &[&Item], check: impl Fn(&Item) -> Verdict + Sync) -> Vec<Verdict> {
    let next = AtomicUsize::new(0);
    let found = Mutex::new(vec![None; items.len()]);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(item) = items.get(i) else { break };
                let v = check(item);
                found.lock().unwrap()[i] = Some(v);
            });
        }
    });
    found
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|v| v.expect("every item checked"))
        .collect()
}

/// Ansible's verdicts as listed: item → verdict (`item<TAB>code<TAB>why` lines).
fn read_list(path: &Path) -> BTreeMap<String, Verdict> {
    let text = fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut cols = l.splitn(3, '\t');
            let name = cols.next()?.to_string();
            let code = cols.next()?.parse().ok()?;
            let why = cols.next().unwrap_or("").to_string();
            Some((name, Verdict { code, why }))
        })
        .collect()
}

fn write_list(path: &Path, version: &str, items: &[Item], found: &[Verdict]) {
    let mut text = format!(
        "# ansible-playbook --syntax-check on the items of ansible {version} (tests/corpus.rs)\n\
         # item<TAB>exit code<TAB>first error line; regenerate by deleting this file\n"
    );
    for (item, v) in items.iter().zip(found) {
        text.push_str(&format!("{}\t{}\t{}\n", item.name, v.code, v.why));
    }
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// Ansible's verdict on every item: from the committed list when it names exactly these items
/// (re-checking a sample), or from ansible-playbook, written to the list.
fn ansible_verdicts(version: &str, items: &[Item], corpus: &Path, scratch: &Path) -> Vec<Verdict> {
    let path = root().join(format!("tests/corpus/verdicts-{version}.tsv"));
    let listed = read_list(&path);
    let same_items =
        listed.len() == items.len() && items.iter().all(|item| listed.contains_key(&item.name));
    if !same_items {
        let all: Vec<&Item> = items.iter().collect();
        let found = verdicts(&all, |item| ansible(item, corpus, scratch));
        write_list(&path, version, items, &found);
        #[allow(clippy::print_stderr)] // says what to commit
        {
            eprintln!("wrote {} (commit it)", path.display());
        }
        return found;
    }
    let sample: Vec<&Item> = items.iter().step_by(SAMPLE_EVERY).collect();
    let now = verdicts(&sample, |item| ansible(item, corpus, scratch));
    for (item, v) in sample.iter().zip(&now) {
        assert_eq!(
            listed[&item.name].loads(),
            v.loads(),
            "{} no longer holds ansible-playbook's verdict on {}: delete it and rerun the test",
            path.display(),
            item.name
        );
    }
    items
        .iter()
        .map(|item| listed[&item.name].clone())
        .collect()
}

#[test]
#[allow(clippy::print_stderr)] // the figure and the disagreements, shown with --no-capture
fn ferry_gives_ansibles_syntax_check_verdict_on_the_corpus() {
    let (corpus, version) = corpus_dir();
    let tmp = tempfile::tempdir().unwrap();
    let scratch = tmp.path().join("cwd");
    let wrappers = tmp.path().join("roles");
    fs::create_dir_all(&scratch).unwrap();
    fs::create_dir_all(&wrappers).unwrap();
    fs::write(scratch.join("ansible.cfg"), "").unwrap();

    let items = items(&corpus, &wrappers);
    let ansible = ansible_verdicts(&version, &items, &corpus, &scratch);
    let all: Vec<&Item> = items.iter().collect();
    let ferry = verdicts(&all, |item| ferry(item, &corpus, &scratch));

    let total = items.len();
    let mut agree = 0;
    let (mut ansible_loads, mut both_load) = (0, 0);
    let mut report = String::new();
    for ((item, a), f) in items.iter().zip(&ansible).zip(&ferry) {
        ansible_loads += usize::from(a.loads());
        both_load += usize::from(a.loads() && f.loads());
        if a.loads() == f.loads() {
            agree += 1;
            continue;
        }
        let line = if f.loads() {
            format!("ferry loads, ansible refuses: {}", a.why)
        } else {
            format!("ansible loads, ferry refuses: {}", f.why)
        };
        report.push_str(&format!("  {}: {line}\n", item.name));
    }
    let share = 100.0 * agree as f64 / total as f64;
    eprintln!(
        "corpus: ansible {version} from PyPI, {total} items\n\
         {agree} of {total} agree ({share:.1} %); ferry loads {both_load} of the {ansible_loads} \
         Ansible loads\ndisagreements:\n{report}"
    );
    assert!(
        share >= GOAL,
        "ferry gives Ansible's verdict on {share:.1} % of the corpus, below {GOAL} %"
    );
}
