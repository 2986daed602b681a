//! `apt_repository`: one-line apt sources (`deb URI suite components`) added to or removed
//! from `/etc/apt/sources.list` and `/etc/apt/sources.list.d/*.list` as
//! ansible.builtin.apt_repository does — an existing line (even commented out) is enabled
//! rather than added again, a new one goes to a file named after its URI (or `filename`),
//! files left empty are deleted — then the cache is updated. `ppa:` sources (Launchpad) are
//! not supported.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::connection::quote;
use crate::modules::args::refuse_choice;
use crate::modules::host::{self, apt as host_apt, run};
use crate::modules::{
    argnames, de_bool, de_u64, typed, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome,
    DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "apt_repository",
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("apt_repository", args, move |a| run_module(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    repo: String,
    #[serde(default = "present")]
    state: String,
    mode: Option<Json>,
    #[serde(default = "yes", alias = "update-cache", deserialize_with = "de_bool")]
    update_cache: bool,
    #[serde(default = "five", deserialize_with = "de_u64")]
    update_cache_retries: u64,
    #[serde(default = "twelve", deserialize_with = "de_u64")]
    update_cache_retry_max_delay: u64,
    filename: Option<String>,
    /// ferry needs no python3-apt on the host.
    #[allow(dead_code)]
    install_python_apt: Option<Json>,
    /// For `ppa:` sources, which ferry does not add.
    #[allow(dead_code)]
    validate_certs: Option<Json>,
    #[allow(dead_code)]
    codename: Option<String>,
}

fn present() -> String {
    "present".into()
}
fn yes() -> bool {
    true
}
fn five() -> u64 {
    5
}
fn twelve() -> u64 {
    12
}

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(args, "apt_repository", &["state"], &["absent", "present"])
}

const MAIN: &str = "/etc/apt/sources.list";
const PARTS: &str = "/etc/apt/sources.list.d";

/// One line of a sources file, as Ansible reads it.
#[derive(Debug, Clone, PartialEq)]
struct Line {
    valid: bool,
    enabled: bool,
    source: String,
    comment: String,
}

impl Line {
    fn parse(text: &str) -> Line {
        let mut line = text.trim();
        let enabled = !line.starts_with('#');
        if !enabled {
            line = &line[1..];
        }
        let mut comment = String::new();
        if let Some(i) = line.find('#').filter(|i| *i > 0) {
            comment = line[i + 1..].trim().to_string();
            line = &line[..i];
        }
        let source = line.trim();
        let chunks: Vec<&str> = source.split_whitespace().collect();
        let valid = matches!(chunks.first(), Some(&"deb") | Some(&"deb-src"));
        let source = if valid {
            chunks.join(" ")
        } else {
            source.to_string()
        };
        Line {
            valid,
            enabled,
            source,
            comment,
        }
    }

    fn render(&self) -> String {
        let mut out = String::new();
        if !self.enabled {
            out.push_str("# ");
        }
        out.push_str(&self.source);
        if !self.comment.is_empty() {
            out.push_str(" # ");
            out.push_str(&self.comment);
        }
        out.push('\n');
        out
    }
}

/// The host's sources files: path → lines, and the targets of symlinked ones.
#[derive(Clone, Default)]
struct Sources {
    files: BTreeMap<String, Vec<Line>>,
    links: BTreeMap<String, String>,
}

impl Sources {
    /// Each file's text as Ansible dumps it (empty files left out).
    fn dump(&self) -> BTreeMap<String, String> {
        self.files
            .iter()
            .filter(|(_, lines)| !lines.is_empty())
            .map(|(f, lines)| (f.clone(), lines.iter().map(Line::render).collect()))
            .collect()
    }

    fn add(&mut self, source: &str, file: &str) {
        let mut found = false;
        for line in self.files.values_mut().flatten() {
            if line.valid && line.source == source {
                line.enabled = true;
                found = true;
            }
        }
        if !found {
            let comment = String::new();
            let (valid, enabled, source) = (true, true, source.to_string());
            let line = Line {
                valid,
                enabled,
                source,
                comment,
            };
            self.files.entry(file.to_string()).or_default().push(line);
        }
    }

    fn remove(&mut self, source: &str) {
        for lines in self.files.values_mut() {
            lines.retain(|l| !(l.valid && l.enabled && l.source == source));
        }
    }
}

/// The file a new source goes to: `filename` (+ `.list`) or one named after its URI.
fn file_for(source: &str, filename: Option<&str>) -> String {
    let name = match filename {
        Some(f) => f.to_string(),
        None => {
            let no_options = regex::Regex::new(r"\[[^\]]+\]").expect("valid regex");
            let no_scheme = regex::Regex::new(r"\w+://").expect("valid regex");
            let line = no_options.replace_all(source, "");
            let line = no_scheme.replace_all(&line, "");
            let uri = line
                .split_whitespace()
                .find(|p| *p != "deb" && *p != "deb-src")
                .unwrap_or("");
            let uri = uri.rsplit_once('@').map_or(uri, |(_, rest)| rest);
            let cleaned: String = uri
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
                .collect();
            cleaned.split_whitespace().collect::<Vec<_>>().join("_")
        }
    };
    let name = format!("{name}.list");
    match name.contains('/') {
        true => name,
        false => format!("{PARTS}/{name}"),
    }
}

async fn read_sources(ctx: &ModuleCtx<'_>) -> Result<Sources, ModuleResult> {
    let script = format!(
        "for f in {MAIN} {PARTS}/*.list; do [ -f \"$f\" ] || continue; echo \"@@file $f\"; \
         if [ -L \"$f\" ]; then echo \"@@link $(readlink -f \"$f\")\"; fi; sed -n p \"$f\"; done"
    );
    let out = run(ctx, &script).await?;
    let mut sources = Sources::default();
    let mut current = String::new();
    for line in out.lines() {
        if let Some(f) = line.strip_prefix("@@file ") {
            current = f.to_string();
            sources.files.insert(current.clone(), Vec::new());
        } else if let Some(target) = line.strip_prefix("@@link ") {
            sources.links.insert(current.clone(), target.to_string());
        } else if let Some(lines) = sources.files.get_mut(&current) {
            lines.push(Line::parse(line));
        }
    }
    Ok(sources)
}

async fn run_module(ctx: &ModuleCtx<'_>, a: Args) -> Outcome {
    if a.repo.is_empty() {
        return Err(ModuleResult::failed(
            "Please set argument 'repo' to a non-empty value",
        ));
    }
    if a.repo.starts_with("ppa:") {
        let msg = "ferry does not add ppa: sources (Launchpad) yet; give the deb line and the key";
        return Err(ModuleResult::failed(msg));
    }
    let parsed = Line::parse(&a.repo);
    if !parsed.valid || !parsed.enabled {
        let msg = format!("Invalid repository string: {}", a.repo.trim());
        return Err(ModuleResult::failed(msg));
    }
    let before = read_sources(ctx).await?;
    let mut after = before.clone();
    match a.state.as_str() {
        "present" => after.add(
            &parsed.source,
            &file_for(&parsed.source, a.filename.as_deref()),
        ),
        _ => after.remove(&parsed.source),
    }
    let (old, new) = (before.dump(), after.dump());
    let added: Vec<&String> = new.keys().filter(|k| !old.contains_key(*k)).collect();
    let removed: Vec<&String> = old.keys().filter(|k| !new.contains_key(*k)).collect();
    let changed = old != new;
    let mut diff = Vec::new();
    if changed && ctx.diff {
        for f in added.iter().chain(&removed) {
            let header = |m: &BTreeMap<String, String>| {
                if m.contains_key(*f) {
                    f.as_str()
                } else {
                    "/dev/null"
                }
            };
            diff.push(json!({"before": old.get(*f).cloned().unwrap_or_default(), "after": new.get(*f).cloned().unwrap_or_default(), "before_header": header(&old), "after_header": header(&new)}));
        }
    }
    if changed && !ctx.check_mode {
        save(ctx, &after, &old, &new, a.mode.as_ref()).await?;
        if a.update_cache {
            let updated = host_apt::update(
                ctx,
                a.update_cache_retries,
                a.update_cache_retry_max_delay,
                60,
            )
            .await?;
            if let Err(msg) = updated {
                save(ctx, &before, &new, &old, None).await?;
                return Err(ModuleResult::failed(msg));
            }
        }
    }
    let mut data = Vars::new();
    data.insert("repo".into(), a.repo.clone().into());
    data.insert("sources_added".into(), json!(added));
    data.insert("sources_removed".into(), json!(removed));
    data.insert("state".into(), a.state.clone().into());
    data.insert("diff".into(), Json::Array(diff));
    Ok(ModuleResult {
        changed,
        ..ModuleResult::ok(data)
    })
}

/// Writes the files whose text changed from `old` to `new` (new files with `mode`, default
/// 0644) and deletes those left empty.
async fn save(
    ctx: &ModuleCtx<'_>,
    sources: &Sources,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
    mode: Option<&Json>,
) -> Result<(), ModuleResult> {
    for (file, text) in new {
        if old.get(file) == Some(text) {
            continue;
        }
        let target = sources.links.get(file).unwrap_or(file);
        run(ctx, &format!("mkdir -p {}", quote(PARTS))).await?;
        host::write(ctx, target, text.as_bytes()).await?;
        if !old.contains_key(file) {
            let mode = match mode {
                Some(Json::Number(n)) => format!("{:o}", n.as_u64().unwrap_or(0o644)),
                Some(Json::String(s)) => s.clone(),
                _ => "0644".into(),
            };
            run(ctx, &format!("chmod {} {}", quote(&mode), quote(target))).await?;
        }
    }
    for file in old.keys().filter(|f| !new.contains_key(*f)) {
        run(ctx, &format!("rm -f {}", quote(file))).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_and_render_as_ansible_does() {
        let l = Line::parse("#  deb  http://x/debian bookworm main # mine");
        assert!(l.valid && !l.enabled);
        assert_eq!(l.render(), "# deb http://x/debian bookworm main # mine\n");
        assert!(!Line::parse("").valid);
        assert_eq!(Line::parse("").render(), "\n");
    }

    #[test]
    fn new_sources_go_to_a_file_named_after_their_uri() {
        assert_eq!(
            file_for("deb [trusted=yes] file:/srv/repo ./", None),
            "/etc/apt/sources.list.d/file_srv_repo.list"
        );
        assert_eq!(
            file_for(
                "deb https://user:pw@packages.example.com/apt stable main",
                None
            ),
            "/etc/apt/sources.list.d/packages_example_com_apt.list"
        );
        assert_eq!(
            file_for("deb http://x y z", Some("mine")),
            "/etc/apt/sources.list.d/mine.list"
        );
    }
}
