//! Templating parity: every template of `templating/cases.txt` is rendered by ansible-core
//! 2.18's own Templar (`templating/oracle.py`, in the venv of scripts/ansible-venv.sh) and by
//! ferry's, with the variables of `templating/vars.yml`. Each must give the same value, or both
//! must fail — except the differences `templating/deliberate.txt` lists (and the README
//! repeats). A listed difference that no longer differs fails too, so the list stays true.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use ferry::template::Templar;
use ferry::vars::Vars;
use serde_json::{json, Value as Json};

fn python() -> PathBuf {
    let home = std::env::var("HOME").expect("HOME is set");
    let p = PathBuf::from(home).join(".cache/ferry-venv/bin/python");
    assert!(
        p.exists(),
        "ansible-core's python is missing: run `bash scripts/ansible-venv.sh` (scripts/test.sh does)"
    );
    p
}

/// The cases: one template per line of `cases*.txt`, without comments and blank lines.
fn cases(dir: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .expect("templating/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with("cases") && name.ends_with(".txt")
        })
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            let text = fs::read_to_string(f).expect("a cases file");
            text.lines()
                .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The deliberate differences: `template<TAB>why`, one per line, in `deliberate*.txt`.
fn deliberate(dir: &Path) -> BTreeMap<String, String> {
    let mut listed = BTreeMap::new();
    for entry in fs::read_dir(dir).expect("templating/").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.starts_with("deliberate") && name.ends_with(".txt")) {
            continue;
        }
        let text = fs::read_to_string(entry.path()).unwrap_or_default();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            if let Some((t, why)) = line.split_once('\t') {
                listed.insert(t.to_string(), why.to_string());
            }
        }
    }
    listed
}

fn variables(dir: &Path) -> Vars {
    let text = fs::read_to_string(dir.join("vars.yml")).expect("vars.yml");
    let mut vars: Vars = serde_saphyr::from_str(&text).expect("vars.yml is YAML");
    let fixtures = dir.join("files").display().to_string();
    vars.insert("fixtures".into(), fixtures.clone().into());
    vars.insert("playbook_dir".into(), fixtures.into());
    vars
}

/// What Ansible gives for each case.
fn oracle(dir: &Path, cases: &[String], vars: &Vars) -> Vec<Json> {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("spec.json");
    let cases: Vec<Json> = cases.iter().map(|c| json!({ "expr": c })).collect();
    let basedir = dir.join("files").display().to_string();
    let body = json!({ "vars": vars, "cases": cases, "basedir": basedir });
    fs::write(&spec, body.to_string()).unwrap();
    let out = Command::new(python())
        .arg(dir.join("oracle.py"))
        .arg(&spec)
        .current_dir(dir.join("files"))
        .env_remove("FERRY_SURELY_UNSET")
        .output()
        .expect("the oracle runs");
    assert!(
        out.status.success(),
        "the oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the oracle prints JSON")
}

/// What ferry gives, in the oracle's shape.
fn ferry(templar: &Templar, case: &str, vars: &Vars) -> Json {
    let rendered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        templar.render_str(case, vars)
    }));
    match rendered {
        Ok(Ok(v)) => json!({ "value": v }),
        Ok(Err(e)) => json!({ "error": e.to_string() }),
        Err(_) => json!({ "error": "PANIC" }),
    }
}

fn same(a: &Json, f: &Json) -> bool {
    match (a.get("value"), f.get("value")) {
        (Some(a), Some(f)) => a == f,
        (None, None) => true,
        _ => false,
    }
}

#[test]
#[allow(clippy::print_stderr)] // the parity numbers are the report this test exists for
fn templates_render_as_ansible_renders_them() {
    let dir = crate::support::root().join("tests/templating");
    let cases = cases(&dir);
    let vars = variables(&dir);
    let want = oracle(&dir, &cases, &vars);
    let listed = deliberate(&dir);
    let templar = Templar::new();
    let (mut agree, mut unlisted, mut stale, mut panics) = (0, Vec::new(), Vec::new(), Vec::new());
    for (case, a) in cases.iter().zip(&want) {
        let f = ferry(&templar, case, &vars);
        if f.get("error").and_then(Json::as_str) == Some("PANIC") {
            panics.push(case.clone());
        }
        let line = format!("{case}\n    ansible: {a}\n    ferry:   {f}");
        match (same(a, &f), listed.contains_key(case)) {
            (true, false) => agree += 1,
            (true, true) => stale.push(line),
            (false, false) => unlisted.push(line),
            (false, true) => {}
        }
    }
    let total = cases.len();
    eprintln!(
        "templating parity: {agree} of {total} agree ({:.1} %), {} listed as deliberate",
        100.0 * agree as f64 / total as f64,
        listed.len()
    );
    assert!(
        panics.is_empty(),
        "ferry panicked on:\n{}",
        panics.join("\n")
    );
    assert!(
        unlisted.is_empty(),
        "{} templates render differently from Ansible (fix them, or list them in \
         templating/deliberate.txt with the reason):\n{}",
        unlisted.len(),
        unlisted.join("\n")
    );
    assert!(
        stale.is_empty(),
        "listed as deliberate but now the same (remove them from deliberate.txt):\n{}",
        stale.join("\n")
    );
}
