//! `ferry check`: loads playbooks, pipelines and inventories exactly as a run would, reports
//! every error with its position, and contacts no host.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::CheckArgs;
use crate::commands::options::{load_inventory, load_playbooks};
use crate::error::{Error, LoadErrors};
use crate::yaml;

/// Loads everything `ferry run` would, and contacts no host.
pub fn check(args: CheckArgs) -> Result<i32, Error> {
    crate::commands::vault::unlock(&args.vault)?;
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for path in &args.playbooks {
        match check_file(path) {
            Ok(line) => lines.push(line),
            Err(Error::Load(e)) => errors.extend(e.0),
            Err(e) => return Err(e),
        }
    }
    if !args.inventory.is_empty() {
        let dir = args.playbooks[0].parent().map(Path::to_path_buf);
        load_inventory(&args.inventory, dir.as_deref())?;
        lines.push(format!("ok: inventory {}", args.inventory.len()));
    }
    if !errors.is_empty() {
        return Err(Error::Load(LoadErrors(errors)));
    }
    let mut out = std::io::stdout().lock();
    for l in lines {
        let _ = writeln!(out, "{l}");
    }
    Ok(0)
}

/// One file, a pipeline or a playbook: the line saying it is fine.
fn check_file(path: &PathBuf) -> Result<String, Error> {
    let is_pipeline = yaml::load_file(path).is_ok_and(|n| n.get("stages").is_some());
    if is_pipeline {
        let p = crate::pipeline::model::load(path)?;
        return Ok(format!(
            "ok: pipeline {} ({} stages)",
            path.display(),
            p.stages.len()
        ));
    }
    let pbs = load_playbooks(std::slice::from_ref(path))?;
    let refused = crate::modules::external::refusals(&pbs);
    if !refused.is_empty() {
        return Err(Error::Load(LoadErrors(refused)));
    }
    let mut tasks = 0;
    for play in pbs.iter().flat_map(|p| &p.plays) {
        for section in [&play.pre_tasks, &play.tasks, &play.post_tasks] {
            crate::playbook::Item::visit(section, &mut |_| tasks += 1);
        }
        tasks += play.handlers.len();
    }
    let mut line = format!(
        "ok: playbook {} ({tasks} tasks and handlers)",
        path.display()
    );
    for t in crate::modules::external::fallback_tasks(&pbs) {
        let name = t.name.as_deref().unwrap_or(t.module.name);
        line.push_str(&format!(
            "\n  fallback: {}:{}:{}: {name} ({}: runs the module's own code on the host)",
            t.span.file.path.display(),
            t.span.line,
            t.span.col,
            t.module.name
        ));
    }
    Ok(line)
}
