//! The loader: a playbook file into the validated model, the one entry point for `ferry run`,
//! `ferry check` and pipelines ([`load`], which also checks every template's syntax).
//!
//! Owns the file level: reading the YAML [`Node`] tree (which keeps positions), the list of
//! plays, `import_playbook` (with recursion detection). A play's keywords are `play.rs`; a
//! task's are `task.rs`.

use std::path::Path;

use crate::error::{LoadError, LoadErrors};
use crate::playbook::ctx::LoadCtx;
use crate::playbook::fields::{parse_string, parse_vars};
use crate::playbook::inherit::Inherit;
use crate::playbook::model::{Item, Play, Playbook};
use crate::playbook::play::parse_play;
use crate::vars::Vars;
use crate::yaml::{self, Node, NodeKind};

/// Loads and validates the playbook at `path` (with its imports, roles and tasks files, and
/// every template in it checked for syntax); touches no host. The one way a playbook is
/// loaded, for `ferry run`, `ferry check` and pipelines alike.
pub fn load(path: &Path) -> Result<Playbook, LoadErrors> {
    let playbook = parse(path)?;
    crate::playbook::check_templates(&playbook, &crate::template::Templar::new())?;
    Ok(playbook)
}

/// The playbook's structure, without the template checks that [`load`] adds.
fn parse(path: &Path) -> Result<Playbook, LoadErrors> {
    let mut ctx = LoadCtx::new(path);
    let plays = load_plays(&mut ctx, path, None)?;
    Ok(Playbook {
        path: path.to_path_buf(),
        plays,
    })
}

fn load_plays(ctx: &mut LoadCtx, path: &Path, at: Option<&Node>) -> Result<Vec<Play>, LoadErrors> {
    let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if ctx.stack.contains(&canonical) {
        let msg = format!("'{}' imports itself (recursion)", path.display());
        return Err(match at {
            Some(n) => n.error(msg),
            None => LoadError::plain(msg),
        }
        .into());
    }
    let root = yaml::load_file(path).map_err(|e| match (at, e.span.is_none()) {
        (Some(n), true) => n.error(e.message),
        _ => e,
    })?;
    let items = match &root.kind {
        NodeKind::Seq(items) => items,
        NodeKind::Null => {
            return Err(root
                .error("the playbook is empty")
                .with_hint("a playbook is a list of plays: '- hosts: all'")
                .into())
        }
        _ => {
            return Err(root
                .error(format!(
                    "a playbook must be a list of plays, found {}",
                    root.type_name()
                ))
                .with_hint("start each play with '- hosts: ...'")
                .into())
        }
    };
    ctx.stack.push(canonical);
    let mut plays = Vec::new();
    let mut errors = Vec::new();
    for item in items {
        let parsed = match import_playbook(item) {
            Some(target) => parse_import_playbook(ctx, item, target),
            None => parse_play(ctx, item).map(|p| vec![p]),
        };
        match parsed {
            Ok(p) => plays.extend(p),
            Err(e) => errors.extend(e.0),
        }
    }
    ctx.stack.pop();
    if errors.is_empty() {
        Ok(plays)
    } else {
        Err(LoadErrors(errors))
    }
}

fn import_playbook(item: &Node) -> Option<&Node> {
    item.get("import_playbook")
        .or_else(|| item.get("ansible.builtin.import_playbook"))
}

/// `- import_playbook: other.yml` (with optional `vars:` and `tags:`), relative to this file.
fn parse_import_playbook(
    ctx: &mut LoadCtx,
    item: &Node,
    target: &Node,
) -> Result<Vec<Play>, LoadErrors> {
    let file = parse_string(target, "import_playbook")?;
    if file.contains("{{") {
        return Err(target
            .error("a templated 'import_playbook' is not supported by ferry yet")
            .into());
    }
    let mut vars = Vars::new();
    let mut tags = Inherit::default();
    let mut when = Vec::new();
    for (k, v) in item.as_map().unwrap_or_default() {
        match k.key_string().as_str() {
            "import_playbook" | "ansible.builtin.import_playbook" | "name" => {}
            "vars" => vars = parse_vars(v)?,
            "when" => when = crate::playbook::task::parse_conditions(v)?,
            "tags" => {
                tags.parse("tags", v).unwrap_or(Ok(()))?;
            }
            other => {
                return Err(k
                    .error(format!(
                        "'{other}' on import_playbook is not supported by ferry"
                    ))
                    .with_hint("import_playbook takes: name, tags, vars, when")
                    .into())
            }
        }
    }
    let base = item
        .span
        .path()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let path = base.join(&file);
    if !path.is_file() {
        return Err(target
            .error(format!("the playbook '{file}' to import does not exist"))
            .with_hint(format!("looked for {}", path.display()))
            .into());
    }
    let mut plays = load_plays(ctx, &path, Some(target))?;
    for play in &mut plays {
        for (k, v) in &vars {
            play.vars.entry(k.clone()).or_insert_with(|| v.clone());
        }
        let mut all = when.clone();
        all.append(&mut play.when);
        play.when = all;
        for section in [&mut play.pre_tasks, &mut play.tasks, &mut play.post_tasks] {
            Item::visit_mut(section, &mut |t| {
                t.opts.inherit_from(&tags);
                let mut all = when.clone();
                all.append(&mut t.when);
                t.when = all;
            });
            Item::visit_includes_mut(section, &mut |i| i.outer.inherit_from(&tags));
        }
    }
    Ok(plays)
}

#[cfg(test)]
mod error_tests {
    use super::*;

    fn load_str(text: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("site.yml");
        std::fs::write(&path, text).unwrap();
        let err = load(&path).unwrap_err().to_string();
        err.replace(&path.display().to_string(), "site.yml")
    }

    #[test]
    fn vars_files_found_at_load_are_read_and_checked_then() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write("list.yml", "- a: 1\n- b: 2\n");
        write("bad.yml", "just text\n");
        let play = "- hosts: all\n  vars_files: [list.yml, [gone.yml, list.yml], '{{ x }}.yml', gone.yml]\n  tasks: []\n";
        write("site.yml", play);
        let pb = load(&dir.path().join("site.yml")).unwrap();
        let play = &pb.plays[0];
        assert_eq!(
            (play.vars["a"].clone(), play.vars["b"].clone()),
            (1.into(), 2.into())
        );
        let later: Vec<String> = play
            .vars_files_later
            .iter()
            .map(|l| l.names.join(","))
            .collect();
        assert_eq!(later, ["{{ x }}.yml", "gone.yml"]);
        write(
            "site.yml",
            "- hosts: all\n  vars_files: bad.yml\n  tasks: []\n",
        );
        let err = load(&dir.path().join("site.yml")).unwrap_err().to_string();
        let err = err.replace(&format!("{}/", dir.path().display()), "");
        assert_eq!(
            err,
            "bad.yml:1:1: a vars file must hold a mapping, or a list of mappings\n   |\n 1 | just text\n   | ^\n   = hint: write 'name: value' lines"
        );
    }

    #[test]
    fn load_errors_have_full_text() {
        let cases = [
            (
                "- hosts: all\n  tasks:\n    - comand: ls\n",
                "site.yml:3:7: unknown module or keyword 'comand'\n   |\n 3 |     - comand: ls\n   |       ^\n   = hint: did you mean 'command'?",
            ),
            (
                "- hosts: all\n  taks: []\n",
                "site.yml:2:3: unknown play keyword 'taks'\n   |\n 2 |   taks: []\n   |   ^\n   = hint: did you mean 'tasks'?",
            ),
            (
                "- hosts: all\n  tasks:\n    - command: ls\n      shell: ls\n",
                "site.yml:4:7: conflicting action statements: 'command' and 'shell'\n   |\n 4 |       shell: ls\n   |       ^\n   = hint: a task runs exactly one module: split it into two tasks",
            ),
            (
                "- hosts: all\n  tasks:\n    - command: ls\n      notify: restart ap\n  handlers:\n    - name: restart app\n      command: ls\n",
                "site.yml:4:15: notify: no handler named or listening to 'restart ap' in this play\n   |\n 4 |       notify: restart ap\n   |               ^\n   = hint: did you mean 'restart app'?",
            ),
            (
                "- hosts: all\n  tasks:\n    - command: ls\n      ignore_errors: maybe\n",
                "site.yml:4:22: 'ignore_errors' must be a boolean, found 'maybe'\n   |\n 4 |       ignore_errors: maybe\n   |                      ^\n   = hint: use yes/no or true/false",
            ),
            (
                "- hosts: all\n  tasks:\n    - command: ls\n      args:\n        chdri: /tmp\n",
                "site.yml:5:9: unknown argument 'chdri' for module 'command'\n   |\n 5 |         chdri: /tmp\n   |         ^\n   = hint: did you mean 'chdir'?",
            ),
            (
                "- hosts: all\n  tasks:\n    - name: x\n",
                "site.yml:3:7: no module in this task\n   |\n 3 |     - name: x\n   |       ^\n   = hint: a task names one module, e.g. 'command: /bin/true'",
            ),
            (
                "- hosts: all\n  tasks:\n    - debug: msg=x\n      async: 10\n",
                "site.yml:4:7: async is not supported by ferry for module 'debug'\n   |\n 4 |       async: 10\n   |       ^\n   = hint: ferry runs these as background jobs: command, shell",
            ),
            (
                "- hosts: all\n  tasks:\n    - command: ls\n      with_item: [1]\n",
                "site.yml:4:7: 'with_item': ferry has no lookup plugin named 'item'\n   |\n 4 |       with_item: [1]\n   |       ^\n   = hint: did you mean 'with_items'?",
            ),
            (
                "- hosts: all\n  tasks:\n    - command: ls\n      loop: [1]\n      with_items: [2]\n",
                "site.yml:5:7: duplicate loop in task: loop\n   |\n 5 |       with_items: [2]\n   |       ^\n   = hint: a task has one loop: keep 'loop' or one 'with_<lookup>'",
            ),
            (
                "- hosts: all\n  tasks: [\n",
                "site.yml:2:10: invalid YAML: unclosed bracket '['\n   |\n 2 |   tasks: [\n   |          ^\n   = hint: check the indentation and quoting around this line",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(load_str(text), want, "{text}");
        }
    }
}
