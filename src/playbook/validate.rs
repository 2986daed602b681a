//! Whole-playbook checks that need the templar: every template string and every condition must
//! parse. Run by `ferry run` and `ferry check` before any host is contacted.

use serde_json::Value as Json;

use crate::error::{LoadError, LoadErrors, Span};
use crate::playbook::model::{Item, Playbook, Task};
use crate::template::Templar;

/// Syntax-checks every template and condition of `playbook`.
pub fn check_templates(playbook: &Playbook, templar: &Templar) -> Result<(), LoadErrors> {
    let mut errors = Vec::new();
    for play in &playbook.plays {
        let mut tasks: Vec<&Task> = Vec::new();
        for section in [&play.pre_tasks, &play.tasks, &play.post_tasks] {
            Item::visit(section, &mut |t| tasks.push(t));
        }
        tasks.extend(play.handlers.iter());
        for (name, value) in &play.vars {
            check_value(
                templar,
                value,
                &play.span,
                &format!("play var '{name}'"),
                &mut errors,
            );
        }
        if let Err(e) = check_tasks(templar, &tasks) {
            errors.extend(e.0);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(LoadErrors(errors))
    }
}

/// A play's `hosts` written as a template must render with what is known before any host runs
/// (the play's vars, the extra vars, `groups`, `playbook_dir`), as Ansible renders it when the
/// play starts, and in a syntax check.
pub fn check_hosts(
    playbook: &Playbook,
    templar: &Templar,
    known: &crate::vars::Vars,
) -> Result<(), LoadErrors> {
    let mut errors = Vec::new();
    for play in &playbook.plays {
        if !play.hosts.contains("{{") && !play.hosts.contains("{%") {
            continue;
        }
        let mut vars = play.vars.clone();
        vars.extend(known.clone());
        let dir = playbook.path.parent().unwrap_or(std::path::Path::new(""));
        let dir = std::path::absolute(dir).unwrap_or_default();
        vars.insert("playbook_dir".into(), dir.display().to_string().into());
        if let Err(e) = templar.render_str(&play.hosts, &vars) {
            let e = LoadError::at(
                &play.hosts_at,
                format!("the field 'hosts' has an invalid value: {e}"),
            );
            errors.push(e.with_hint("a play's hosts may use its vars and the extra vars (-e)"));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(LoadErrors(errors))
    }
}

/// Syntax-checks every template and condition of `tasks` (a playbook's, or what a dynamic
/// include read at run time).
pub(crate) fn check_tasks(templar: &Templar, tasks: &[&Task]) -> Result<(), LoadErrors> {
    let mut errors = Vec::new();
    for task in tasks {
        check_task(templar, task, &mut errors);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(LoadErrors(errors))
    }
}

fn check_task(templar: &Templar, task: &Task, errors: &mut Vec<LoadError>) {
    check_value(templar, &task.args, &task.span, "an argument", errors);
    if let Some(l) = &task.loop_items {
        check_value(templar, l, &task.span, "the loop", errors);
    }
    for (name, value) in &task.vars {
        check_value(templar, value, &task.span, &format!("var '{name}'"), errors);
    }
    let conds = task
        .when
        .iter()
        .chain(task.changed_when.iter().flatten())
        .chain(task.failed_when.iter().flatten())
        .chain(task.until.iter().flatten());
    for c in conds {
        if let Err(e) = templar.check_condition_syntax(&c.expr) {
            errors.push(
                LoadError::at(&c.span, format!("invalid condition '{}': {e}", c.expr))
                    .with_hint("a condition is a bare Jinja expression, e.g. 'result.rc != 0'"),
            );
        }
    }
}

fn check_value(
    templar: &Templar,
    value: &Json,
    span: &Span,
    what: &str,
    errors: &mut Vec<LoadError>,
) {
    match value {
        Json::String(s) if s.contains("{{") || s.contains("{%") => {
            if let Err(e) = templar.check_syntax(s) {
                errors.push(LoadError::at(
                    span,
                    format!("invalid template in {what}: {e}"),
                ));
            }
        }
        Json::Array(items) => items
            .iter()
            .for_each(|i| check_value(templar, i, span, what, errors)),
        Json::Object(m) => m
            .values()
            .for_each(|i| check_value(templar, i, span, what, errors)),
        _ => {}
    }
}
