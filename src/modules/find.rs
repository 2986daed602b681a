//! `find`: lists the files under `paths` that pass Ansible's filters (glob or regex patterns
//! and excludes on the name, type, age, size, mode, content), each with stat-like keys, plus
//! `matched` and `examined` counted as Ansible's `os.walk` counts them. One `find` command
//! lists the entries; the filters run on the controller (content and checksums in a second
//! command, only for the files that got that far). Changes nothing.

use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::args::refuse_choice;
use crate::modules::find_args::{list, Args};
use crate::modules::find_filter::{Entry, Filters, Listing};
use crate::modules::{
    argnames, typed, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "find",
    path_args: &["paths", "name", "path"],
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("find", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(
        args,
        "find",
        &["file_type"],
        &["any", "directory", "file", "link"],
    )?;
    refuse_choice(args, "find", &["age_stamp"], &["atime", "ctime", "mtime"])
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
