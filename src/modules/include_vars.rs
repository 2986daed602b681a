//! `include_vars`: reads variables from YAML/JSON files on the controller (`file`, free-form
//! path, or every file of a `dir`) into host variables for the rest of the run. A relative
//! path is looked for in the role's `vars/`, the role, the playbook's `vars/`, the playbook's
//! directory, as Ansible looks.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value as Json;

use crate::modules::{argnames, typed, FreeForm, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "include_vars",
    args: Some(|| argnames::of::<Args>().to_vec()),
    free_form: FreeForm::Raw,
    included_vars: true,
    run: |ctx, args| Box::pin(typed("include_vars", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    _raw_params: Option<String>,
    file: Option<String>,
    dir: Option<String>,
    name: Option<String>,
    #[serde(default, deserialize_with = "crate::modules::de_opt_u64")]
    depth: Option<u64>,
    files_matching: Option<String>,
    #[serde(default)]
    ignore_files: Vec<String>,
    extensions: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::modules::de_bool")]
    ignore_unknown_extensions: bool,
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Result<ModuleResult, ModuleResult> {
    let dirs = search_dirs(ctx.vars);
    let files = match (&args.dir, args.file.as_ref().or(args._raw_params.as_ref())) {
        (Some(dir), None) => dir_files(&find(&dirs, dir, true)?, &args)?,
        (None, Some(file)) => vec![find(&dirs, file, false)?],
        _ => {
            return Err(ModuleResult::failed(
                "You are mixing file only and dir only arguments, these are incompatible",
            ))
        }
    };
    let mut data = Vars::new();
    for file in &files {
        data.extend(read_vars(file)?);
    }
    let facts = match args.name {
        Some(name) => Vars::from_iter([(name, Json::Object(data))]),
        None => data,
    };
    let shown: Vec<Json> = files
        .iter()
        .map(|f| f.display().to_string().into())
        .collect();
    let mut out = Vars::new();
    out.insert("ansible_facts".into(), Json::Object(facts));
    out.insert("ansible_included_var_files".into(), Json::Array(shown));
    Ok(ModuleResult::ok(out))
}

/// Where a relative path is looked for: the role's `vars/` and the role, then the playbook's
/// `vars/` and the playbook's directory.
fn search_dirs(vars: &Vars) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for key in ["role_path", "playbook_dir"] {
        if let Some(base) = vars.get(key).and_then(Json::as_str) {
            dirs.push(Path::new(base).join("vars"));
            dirs.push(PathBuf::from(base));
        }
    }
    dirs
}

fn find(dirs: &[PathBuf], name: &str, dir: bool) -> Result<PathBuf, ModuleResult> {
    let path = Path::new(name);
    let found = |p: &Path| if dir { p.is_dir() } else { p.is_file() };
    if path.is_absolute() {
        return match found(path) {
            true => Ok(path.to_path_buf()),
            false => Err(not_found(name, &[])),
        };
    }
    dirs.iter()
        .map(|d| d.join(path))
        .find(|p| found(p))
        .ok_or_else(|| not_found(name, dirs))
}

fn not_found(name: &str, dirs: &[PathBuf]) -> ModuleResult {
    let searched: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    ModuleResult::failed(format!(
        "Could not find or access '{name}'\nSearched in:\n\t{}",
        searched.join("\n\t")
    ))
}

/// The files of `dir` Ansible reads: directories in path order (`depth` of them, 0 for all),
/// each one's files sorted, filtered by `files_matching`, `ignore_files` and `extensions`.
fn dir_files(dir: &Path, args: &Args) -> Result<Vec<PathBuf>, ModuleResult> {
    let mut dirs = vec![dir.to_path_buf()];
    let mut i = 0;
    while i < dirs.len() {
        let mut subdirs: Vec<PathBuf> = entries(&dirs[i]).filter(|p| p.is_dir()).collect();
        dirs.append(&mut subdirs);
        i += 1;
    }
    dirs.sort();
    let depth = args.depth.unwrap_or(0) as usize;
    if depth > 0 {
        dirs.truncate(depth);
    }
    let matcher = match &args.files_matching {
        Some(re) => Some(regex::Regex::new(re).map_err(|e| ModuleResult::failed(e.to_string()))?),
        None => None,
    };
    let exts = args
        .extensions
        .clone()
        .unwrap_or_else(|| vec!["yaml".into(), "yml".into(), "json".into()]);
    let mut out = Vec::new();
    for d in dirs {
        let mut files: Vec<PathBuf> = entries(&d).filter(|p| p.is_file()).collect();
        files.sort();
        for f in files {
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            let ignored = args
                .ignore_files
                .iter()
                .any(|pat| regex::Regex::new(&format!("{pat}$")).is_ok_and(|r| r.is_match(&name)));
            if ignored || matcher.as_ref().is_some_and(|m| !m.is_match(&name)) {
                continue;
            }
            let ext = f.extension().map(|e| e.to_string_lossy().into_owned());
            if !ext.is_some_and(|e| exts.contains(&e)) {
                if args.ignore_unknown_extensions {
                    continue;
                }
                return Err(ModuleResult::failed(format!(
                    "{} does not have a valid extension: {}",
                    f.display(),
                    exts.join(", ")
                )));
            }
            out.push(f);
        }
    }
    Ok(out)
}

fn entries(dir: &Path) -> impl Iterator<Item = PathBuf> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
}

/// One vars file: a mapping (or nothing).
fn read_vars(path: &Path) -> Result<Vars, ModuleResult> {
    let node = crate::yaml::load_file(path).map_err(|e| ModuleResult::failed(e.to_string()))?;
    match node.to_json() {
        Json::Object(m) => Ok(m),
        Json::Null => Ok(Vars::new()),
        _ => Err(ModuleResult::failed(format!(
            "{} must be stored as a dictionary/hash",
            path.display()
        ))),
    }
}
