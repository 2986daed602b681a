//! `find`: lists the files under `paths` that pass Ansible's filters (glob or regex patterns
//! and excludes on the name, type, age, size, mode, content), each with stat-like keys, plus
//! `matched` and `examined` counted as Ansible's `os.walk` counts them. One `find` command
//! lists the entries; the filters run on the controller (content and checksums in a second
//! command, only for the files that got that far). Changes nothing.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::find_filter::{Entry, Filters};
use crate::modules::textfile::choice;
use crate::modules::{
    argnames, de_bool, host, typed, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome,
    DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "find",
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("find", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

fn check(args: &Vars) -> Result<(), ArgProblem> {
    choice(
        args,
        "find",
        "file_type",
        &["any", "directory", "file", "link"],
    )?;
    choice(args, "find", "age_stamp", &["atime", "ctime", "mtime"])
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Args {
    #[serde(alias = "name", alias = "path")]
    pub paths: Json,
    #[serde(default, alias = "pattern")]
    pub patterns: Json,
    #[serde(default, alias = "exclude")]
    pub excludes: Json,
    pub contains: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    pub read_whole_file: bool,
    #[serde(default = "file")]
    pub file_type: String,
    pub age: Option<String>,
    #[serde(default = "mtime")]
    pub age_stamp: String,
    pub size: Option<String>,
    #[serde(default, deserialize_with = "de_bool")]
    pub recurse: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub hidden: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub follow: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub get_checksum: bool,
    #[serde(default, deserialize_with = "de_bool")]
    pub use_regex: bool,
    pub depth: Option<i64>,
    pub mode: Option<Json>,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    pub exact_mode: bool,
    pub encoding: Option<String>,
    pub limit: Option<i64>,
}

fn file() -> String {
    "file".into()
}
fn mtime() -> String {
    "mtime".into()
}

/// A list argument as Ansible reads one: a list, or a comma-separated string.
pub(crate) fn list(v: &Json) -> Vec<String> {
    match v {
        Json::Array(items) => items
            .iter()
            .map(|i| match i {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Json::String(s) if !s.is_empty() => s.split(',').map(|p| p.trim().to_string()).collect(),
        Json::Null | Json::String(_) => Vec::new(),
        other => vec![other.to_string()],
    }
}

/// `find -printf` fields: type, mode bits, uid, gid, size, inode, device, links, times,
/// user and group names, then the path.
const FORMAT: &str = "E%y|%m|%U|%G|%s|%i|%D|%n|%A@|%T@|%C@|%u|%g|%p\\0";

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    let filters = Filters::new(&args).map_err(ModuleResult::failed)?;
    let paths = list(&args.paths);
    let out = ctx
        .exec(&script(&args, &paths))
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?;
    let listing = parse(&out.stdout);
    let mut skipped = serde_json::Map::new();
    for line in out.stderr.lines() {
        if let Some((path, why)) = walk_error(line) {
            skipped.insert(path, why.into());
        }
    }
    let mut found = filters.select(&listing, &paths, &mut skipped);
    let has_warnings = paths.iter().any(|p| skipped.contains_key(p));
    filters.finish(ctx, &mut found).await?;
    let mut data = Vars::new();
    let msg = match (found.limited, has_warnings) {
        (_, true) => "Not all paths examined, check warnings for details",
        (true, _) => "Limit of matches reached",
        _ => "All paths examined",
    };
    data.insert("matched".into(), found.files.len().into());
    let files: Vec<Json> = found.files.into_iter().map(Entry::into_json).collect();
    data.insert("files".into(), files.into());
    data.insert("msg".into(), msg.into());
    data.insert("examined".into(), found.examined.into());
    data.insert("skipped_paths".into(), Json::Object(skipped));
    Ok(ModuleResult::ok(data))
}

/// The remote script: the host's time, then per path its marker and its entries (or `N`
/// when it is not a directory), NUL-separated.
fn script(args: &Args, paths: &[String]) -> String {
    let max = match (args.recurse, args.depth.filter(|d| *d > 0)) {
        (false, _) => "-maxdepth 1 ".to_string(),
        (true, Some(d)) => format!("-maxdepth {} ", d + 1),
        (true, None) => String::new(),
    };
    let walk = if args.follow { "-L" } else { "-P" };
    let mut s = String::from("printf 'T%s\\0' \"$(date +%s.%N)\"; ");
    for p in paths {
        let q = quote(p);
        s.push_str(&format!(
            "printf 'P%s\\0' {q}; if [ -d {q} ]; then find {walk} {q} -mindepth 1 {max}-printf '{FORMAT}'; \
             else printf 'N\\0'; fi; "
        ));
    }
    s
}

/// One `find` error line (`find: ‘/x’: Permission denied`) as (path, message).
fn walk_error(line: &str) -> Option<(String, String)> {
    let rest = line.strip_prefix("find: ")?;
    let (quoted, why) = rest.rsplit_once(": ")?;
    let path = quoted.trim_matches(['‘', '’', '\'', '`']);
    Some((path.to_string(), why.to_string()))
}

/// What the remote script printed.
pub(crate) struct Listing {
    /// The host's time (seconds since the epoch).
    pub now: f64,
    /// Per path: `None` when it is not a directory, else its entries.
    pub paths: Vec<Option<Vec<Entry>>>,
}

fn parse(out: &str) -> Listing {
    let mut listing = Listing {
        now: 0.0,
        paths: Vec::new(),
    };
    for record in out.split('\0') {
        let Some(kind) = record.chars().next() else {
            continue;
        };
        let rest = &record[1..];
        match kind {
            'T' => listing.now = rest.trim().parse().unwrap_or(0.0),
            'P' => listing.paths.push(Some(Vec::new())),
            'N' => {
                if let Some(last) = listing.paths.last_mut() {
                    *last = None;
                }
            }
            'E' => {
                let entry = Entry::parse(rest);
                if let (Some(e), Some(Some(list))) = (entry, listing.paths.last_mut()) {
                    list.push(e);
                }
            }
            _ => {}
        }
    }
    listing
}

/// Fetches `paths`' contents (base64, one a line) for the content filter and checksums.
/// With an `encoding`, the text is converted to UTF-8 on the host first.
pub(crate) async fn contents(
    ctx: &ModuleCtx<'_>,
    paths: &[&str],
    encoding: Option<&str>,
) -> Result<Vec<Option<Vec<u8>>>, ModuleResult> {
    use base64::Engine;
    let mut script = String::new();
    for p in paths {
        let p = quote(p);
        match encoding {
            Some(e) => script.push_str(&format!(
                "iconv -f {} -t UTF-8 -- {p} 2>/dev/null | base64 -w0; echo; ",
                quote(e)
            )),
            None => script.push_str(&format!("base64 -w0 -- {p} 2>/dev/null; echo; ")),
        }
    }
    let out = host::run(ctx, &script).await?;
    let engine = base64::engine::general_purpose::STANDARD;
    Ok(out
        .split('\n')
        .take(paths.len())
        .map(|l| engine.decode(l.trim()).ok())
        .collect())
}
