//! The pipeline file: `name`, optional `lock`, and `stages` (name, playbook(s), inventory,
//! vars, limit, needs, export, when). Paths are relative to the file. Everything is checked at
//! load time, with spans, including each stage's playbooks, which the stage keeps and runs.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::error::{did_you_mean, LoadError, LoadErrors, Span};
use crate::playbook::fields::parse_string as text;
use crate::playbook::Playbook;
use crate::vars::Vars;
use crate::yaml::{self, Node, NodeKind};

/// A loaded pipeline.
#[derive(Debug)]
pub struct Pipeline {
    /// The file.
    pub path: PathBuf,
    /// Its directory (paths in it are relative to it).
    pub dir: PathBuf,
    /// `name:`.
    pub name: String,
    /// `lock:`: only one run holding this lock at a time.
    pub lock: Option<String>,
    /// `state:`: where history and the lock live (`sqlite:PATH` or `postgres://...`).
    pub state: Option<String>,
    /// The stages, in order.
    pub stages: Vec<Stage>,
}

/// One stage.
#[derive(Debug)]
pub struct Stage {
    /// `name:` (unique).
    pub name: String,
    /// Where the stage is written.
    pub span: Span,
    /// `playbook:` (one or a list), resolved against the pipeline's directory.
    pub playbooks: Vec<PathBuf>,
    /// The playbooks, loaded (and their templates checked) with the pipeline: a stage runs
    /// these, so an error in any stage's playbook stops the pipeline before stage one.
    pub loaded: Vec<Playbook>,
    /// `inventory:` (one or a list), relative to the pipeline's directory; may be templated
    /// with the pipeline context (`{{ env }}.ini`).
    pub inventory: Vec<String>,
    /// `vars:` (templated with the pipeline context at run time).
    pub vars: Vars,
    /// `limit:`.
    pub limit: Option<String>,
    /// `needs:` stages that must have succeeded.
    pub needs: Vec<String>,
    /// `export:` name → template, evaluated after the stage.
    pub export: Vars,
    /// `when:` a condition on the pipeline context.
    pub when: Option<String>,
}

const PIPELINE_KEYS: &[&str] = &[
    "lock",
    "name",
    "stages",
    "state",
    "vault_ids",
    "vault_password_file",
];
const STAGE_KEYS: &[&str] = &[
    "export",
    "inventory",
    "limit",
    "name",
    "needs",
    "playbook",
    "vars",
    "when",
];

/// Loads and validates a pipeline file; each stage's playbooks are loaded too.
pub fn load(path: &Path) -> Result<Pipeline, LoadErrors> {
    let root = yaml::load_file(path)?;
    let Some(entries) = root.as_map() else {
        return Err(root
            .error("a pipeline file must be a mapping with 'name' and 'stages'")
            .into());
    };
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    // Before the stages: their playbooks may be vaulted.
    unlock(&root, &dir)?;
    let mut pipeline = Pipeline {
        path: path.to_path_buf(),
        dir: dir.clone(),
        name: String::new(),
        lock: None,
        state: None,
        stages: Vec::new(),
    };
    let mut errors = Vec::new();
    for (k, v) in entries {
        let key = k.key_string();
        let r: Result<(), LoadErrors> = match key.as_str() {
            "name" => text(v, "name")
                .map(|s| pipeline.name = s)
                .map_err(Into::into),
            "lock" => text(v, "lock")
                .map(|s| pipeline.lock = Some(s))
                .map_err(Into::into),
            "stages" => parse_stages(v, &dir).map(|s| pipeline.stages = s),
            "state" => text(v, "state")
                .map(|s| pipeline.state = Some(s))
                .map_err(Into::into),
            "vault_ids" | "vault_password_file" => Ok(()),
            other => Err(unknown(k, other, PIPELINE_KEYS).into()),
        };
        if let Err(e) = r {
            errors.extend(e.0);
        }
    }
    if pipeline.name.is_empty() && errors.is_empty() {
        let fallback = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        pipeline.name = fallback.unwrap_or_else(|| "pipeline".into());
    }
    if errors.is_empty() {
        check_stages(&mut pipeline, &mut errors);
    }
    if errors.is_empty() {
        Ok(pipeline)
    } else {
        Err(LoadErrors(errors))
    }
}

/// The pipeline's own vault password sources (`vault_password_file: FILE`, `vault_ids:
/// [LABEL@SOURCE]`, relative to the pipeline's directory), added after the command line's.
fn unlock(root: &Node, dir: &Path) -> Result<(), LoadError> {
    let mut request = crate::vault::sources::Request::default();
    if let Some(v) = root.get("vault_password_file") {
        request
            .password_files
            .push(dir.join(text(v, "vault_password_file")?));
    }
    if let Some(v) = root.get("vault_ids") {
        for spec in texts(v, "vault_ids")? {
            let (label, source) = crate::vault::sources::split(&spec);
            let source = match source {
                "prompt" => source.to_string(),
                file => dir.join(file).display().to_string(),
            };
            request.ids.push(format!(
                "{}@{source}",
                label.unwrap_or(crate::vault::DEFAULT_ID)
            ));
        }
    }
    if request.specs().is_empty() {
        return Ok(());
    }
    let keyring = request
        .unlock(&mut crate::vault::sources::terminal_prompt, false)
        .map_err(|e| root.error(e.to_string()))?;
    crate::vault::extend(keyring);
    Ok(())
}

fn unknown(key: &Node, name: &str, known: &[&str]) -> LoadError {
    let e = key.error(format!("unknown pipeline key '{name}'"));
    match did_you_mean(name, known.iter().copied()) {
        Some(best) => e.with_hint(format!("did you mean '{best}'?")),
        None => e.with_hint(format!("known keys here: {}", known.join(", "))),
    }
}

fn texts(node: &Node, what: &str) -> Result<Vec<String>, LoadError> {
    match &node.kind {
        NodeKind::Seq(items) => items.iter().map(|i| text(i, what)).collect(),
        _ => Ok(vec![text(node, what)?]),
    }
}

fn mapping(node: &Node, what: &str) -> Result<Vars, LoadError> {
    match node.to_json() {
        Json::Object(m) => Ok(m),
        Json::Null => Ok(Vars::new()),
        _ => Err(node.error(format!(
            "'{what}' must be a mapping, found {}",
            node.type_name()
        ))),
    }
}

fn parse_stages(node: &Node, dir: &Path) -> Result<Vec<Stage>, LoadErrors> {
    let Some(items) = node.as_seq() else {
        return Err(node.error("'stages' must be a list").into());
    };
    let mut stages = Vec::new();
    let mut errors = Vec::new();
    for item in items {
        match parse_stage(item, dir) {
            Ok(s) => stages.push(s),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(stages)
    } else {
        Err(LoadErrors(errors))
    }
}

fn parse_stage(node: &Node, dir: &Path) -> Result<Stage, LoadError> {
    let Some(entries) = node.as_map() else {
        return Err(node.error("a stage must be a mapping"));
    };
    let mut stage = Stage {
        name: String::new(),
        span: node.span.clone(),
        playbooks: Vec::new(),
        loaded: Vec::new(),
        inventory: Vec::new(),
        vars: Vars::new(),
        limit: None,
        needs: Vec::new(),
        export: Vars::new(),
        when: None,
    };
    for (k, v) in entries {
        match k.key_string().as_str() {
            "name" => stage.name = text(v, "name")?,
            "playbook" => {
                for p in texts(v, "playbook")? {
                    let path = dir.join(&p);
                    if !path.is_file() {
                        return Err(v
                            .error(format!("playbook '{p}' does not exist"))
                            .with_hint(format!("looked for {}", path.display())));
                    }
                    stage.playbooks.push(path);
                }
            }
            "inventory" => stage.inventory = texts(v, "inventory")?,
            "vars" => stage.vars = mapping(v, "vars")?,
            "limit" => stage.limit = Some(text(v, "limit")?),
            "needs" => stage.needs = texts(v, "needs")?,
            "export" => stage.export = mapping(v, "export")?,
            "when" => stage.when = Some(text(v, "when")?),
            other => return Err(unknown(k, other, STAGE_KEYS)),
        }
    }
    if stage.name.is_empty() {
        return Err(node.error("a stage needs a 'name'"));
    }
    if stage.playbooks.is_empty() {
        return Err(node.error(format!("stage '{}' has no 'playbook'", stage.name)));
    }
    Ok(stage)
}

/// Unique names, `needs` naming earlier stages, and every stage's playbooks load (kept in
/// the stage).
fn check_stages(p: &mut Pipeline, errors: &mut Vec<LoadError>) {
    for i in 0..p.stages.len() {
        let stage = &p.stages[i];
        if p.stages[..i].iter().any(|s| s.name == stage.name) {
            errors.push(LoadError::at(
                &stage.span,
                format!("two stages are named '{}'", stage.name),
            ));
        }
        for need in &stage.needs {
            if !p.stages[..i].iter().any(|s| &s.name == need) {
                let e = LoadError::at(
                    &stage.span,
                    format!(
                        "stage '{}' needs '{need}', which is not an earlier stage",
                        stage.name
                    ),
                );
                let earlier = p.stages[..i].iter().map(|s| s.name.as_str());
                errors.push(match did_you_mean(need, earlier) {
                    Some(best) => e.with_hint(format!("did you mean '{best}'?")),
                    None => e,
                });
            }
        }
        let mut loaded = Vec::new();
        for pb in &stage.playbooks {
            match crate::playbook::load(pb) {
                Ok(playbook) => loaded.push(playbook),
                Err(e) => errors.extend(e.0),
            }
        }
        p.stages[i].loaded = loaded;
    }
}
