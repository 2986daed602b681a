//! `archive` (community.general): packs files and trees of the host into a tar (gz, bz2, xz,
//! zstd, plain) or zip archive with the host's `tar`/`zip`, or compresses one file. The new
//! archive is made beside `dest` and replaces it only when its members differ (tar: each
//! member's listing — name, mode, owner, size, time —; zip: name and CRC, as the Python module
//! compares them), so a second run reports no change.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::args::refuse_choice;
use crate::modules::args::FileArgs;
use crate::modules::args::{file_arg_names, typed_file};
use crate::modules::host::{self, Attrs};
use crate::modules::net_args::{boolean, de_list};
use crate::modules::{de_bool, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "archive",
    path_args: &["path", "dest", "exclude_path", "exclusion_patterns"],
    collection: "community.general",
    args: Some(file_arg_names::<Args>),
    check: Some(check),
    run: |ctx, args| Box::pin(typed_file("archive", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    #[serde(deserialize_with = "de_list")]
    path: Vec<String>,
    #[serde(default = "gz")]
    format: String,
    dest: Option<String>,
    #[serde(default, deserialize_with = "de_list")]
    exclude_path: Vec<String>,
    #[serde(default, deserialize_with = "de_list")]
    exclusion_patterns: Vec<String>,
    #[serde(default, deserialize_with = "de_bool")]
    force_archive: bool,
    #[serde(default, deserialize_with = "de_bool")]
    remove: bool,
    /// Read separately (serde names no fields of a flattened struct).
    #[serde(skip)]
    attrs: Attrs,
}

impl FileArgs for Args {
    fn with_attrs(self, attrs: Attrs) -> Self {
        Args { attrs, ..self }
    }
}

fn gz() -> String {
    "gz".into()
}

const FORMATS: &[&str] = &["bz2", "gz", "tar", "xz", "zip", "zstd"];

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(args, "archive", &["format"], FORMATS)?;
    boolean(args, "archive", &["force_archive", "remove"])
}

/// The tar compression flag and the single-file compressor of a format.
fn tools(format: &str) -> (&'static str, &'static str) {
    match format {
        "bz2" => ("-j", "bzip2"),
        "xz" => ("-J", "xz"),
        "zstd" => ("--zstd", "zstd -q"),
        "tar" | "zip" => ("", ""),
        _ => ("-z", "gzip"),
    }
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    let (expanded, globby) = expand(ctx, &args.path).await?;
    let (excluded, _) = expand(ctx, &args.exclude_path).await?;
    let mut paths: Vec<String> = expanded
        .iter()
        .filter(|p| !excluded.contains(p))
        .cloned()
        .collect();
    paths.sort();
    paths.dedup();
    let mut data = Vars::new();
    data.insert("expanded_paths".into(), expanded.clone().into());
    data.insert("expanded_exclude_paths".into(), excluded.into());
    if paths.is_empty() {
        let mut r = ModuleResult::failed("Error, no source paths were found");
        r.data.extend(data);
        r.data.insert("path".into(), args.path.join(", ").into());
        return Err(r);
    }
    let root = common_path(&paths);
    data.insert("arcroot".into(), root.clone().into());
    let first_is_dir = host::stat(ctx, &paths[0], false).await?.is_dir();
    let must_archive = args.force_archive || globby || first_is_dir || paths.len() > 1;
    let dest = match (&args.dest, must_archive) {
        (Some(d), _) => d.clone(),
        (None, false) => format!("{}.{}", paths[0], args.format),
        (None, true) => {
            return Err(ModuleResult::failed(
                "Error, must specify \"dest\" when archiving multiple files or trees",
            ))
        }
    };
    data.insert("dest".into(), dest.clone().into());
    if args.remove {
        for p in &paths {
            if dest.starts_with(&format!("{}/", p.trim_end_matches('/'))) {
                return Err(ModuleResult::failed(
                    "Error, created archive can not be contained in source paths when remove=true",
                ));
            }
        }
    }
    let found = present(ctx, &paths).await?;
    let missing: Vec<String> = paths
        .iter()
        .filter(|p| !found.contains(p))
        .cloned()
        .collect();
    data.insert("missing".into(), missing.clone().into());
    let made = Made {
        ctx,
        args: &args,
        dest: &dest,
        root: &root,
    };
    let (changed, state, archived) = match (found.is_empty(), must_archive) {
        (true, _) => (false, made.existing_state().await?, Vec::new()),
        (false, true) => made.archive(&found, !missing.is_empty()).await?,
        (false, false) => made.compress(&found[0]).await?,
    };
    data.insert("archived".into(), archived.into());
    data.insert("dest_state".into(), state.into());
    let st = host::stat(ctx, &dest, false).await?;
    let fixed = st.exists && host::fix_attrs(ctx, &dest, &st, &args.attrs).await?;
    let mut r = ModuleResult::ok(data);
    r.changed = changed || fixed;
    Ok(r)
}

/// Paths and globs expanded on the host (a glob's matches, sorted); whether any was a glob.
async fn expand(
    ctx: &ModuleCtx<'_>,
    patterns: &[String],
) -> Result<(Vec<String>, bool), ModuleResult> {
    let mut out = Vec::new();
    let mut globby = false;
    for p in patterns {
        if !p.contains(['*', '?']) {
            out.push(p.clone());
            continue;
        }
        globby = true;
        // Every character escaped but the glob's own, so the shell expands only those.
        let word: String = p
            .chars()
            .map(|c| match c {
                '*' | '?' | '[' | ']' => c.to_string(),
                '\n' => "'\n'".into(),
                c => format!("\\{c}"),
            })
            .collect();
        let script = format!("for f in {word}; do if [ -e \"$f\" ] || [ -L \"$f\" ]; then printf '%s\\n' \"$f\"; fi; done");
        out.extend(host::run(ctx, &script).await?.lines().map(String::from));
    }
    Ok((out, globby))
}

/// Those of `paths` that exist (links included).
async fn present(ctx: &ModuleCtx<'_>, paths: &[String]) -> Result<Vec<String>, ModuleResult> {
    let quoted: Vec<String> = paths.iter().map(|p| quote(p)).collect();
    let script = format!(
        "for f in {}; do if [ -e \"$f\" ] || [ -L \"$f\" ]; then printf '%s\\n' \"$f\"; fi; done",
        quoted.join(" ")
    );
    Ok(host::run(ctx, &script)
        .await?
        .lines()
        .map(String::from)
        .collect())
}

/// The directory the paths share, with a trailing `/` (the archive's root).
fn common_path(paths: &[String]) -> String {
    let dirs: Vec<String> = paths
        .iter()
        .map(|p| match p.trim_end_matches('/').rsplit_once('/') {
            Some((d, _)) => format!("{d}/"),
            None => String::new(),
        })
        .collect();
    let first = dirs[0].as_bytes();
    let len = dirs.iter().fold(first.len(), |n, d| {
        first
            .iter()
            .zip(d.as_bytes())
            .take(n)
            .take_while(|(a, b)| a == b)
            .count()
    });
    let prefix = &dirs[0][..len];
    match prefix.rsplit_once('/') {
        Some((d, _)) => format!("{d}/"),
        None => String::new(),
    }
}

/// One archive being made.
struct Made<'a> {
    ctx: &'a ModuleCtx<'a>,
    args: &'a Args,
    dest: &'a str,
    root: &'a str,
}

impl Made<'_> {
    /// No sources: what `dest` already is.
    async fn existing_state(&self) -> Result<&'static str, ModuleResult> {
        if !host::stat(self.ctx, self.dest, false).await?.exists {
            return Ok("absent");
        }
        let lower = self.dest.to_ascii_lowercase();
        let archive = [
            ".tar", ".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst", ".tgz", ".tbz2", ".tzst", ".zip",
        ]
        .iter()
        .any(|e| lower.ends_with(e));
        Ok(if archive { "archive" } else { "compress" })
    }

    /// Packs `found` into a new archive beside `dest`; it replaces `dest` if its members
    /// differ. (changed, dest_state, archived)
    async fn archive(
        &self,
        found: &[String],
        incomplete: bool,
    ) -> Result<(bool, &'static str, Vec<String>), ModuleResult> {
        let state = if incomplete { "incomplete" } else { "archive" };
        if self.ctx.check_mode {
            return Ok((true, state, Vec::new()));
        }
        let tmp = format!("{}.ferry-{:08x}", self.dest, rand::random::<u32>());
        let make = self.pack_line(found, &tmp);
        host::run(self.ctx, &make).await.map_err(|mut e| {
            let what = self.kind();
            e.data.insert(
                "msg".into(),
                format!(
                    "Error when writing {what} archive at {}: {}",
                    self.dest,
                    e.data.get("msg").and_then(Json::as_str).unwrap_or("")
                )
                .into(),
            );
            e
        })?;
        let script = format!(
            "new=$({}); old=$({}); \
             if [ -e {d} ] && [ \"$new\" = \"$old\" ]; then rm -f -- {t}; echo same; else mv -f -- {t} {d}; fi",
            self.listing(&tmp),
            self.listing(self.dest),
            t = quote(&tmp),
            d = quote(self.dest)
        );
        let same = host::run(self.ctx, &script).await?.trim() == "same";
        let archived = self.members(found).await?;
        self.remove(found).await?;
        Ok((!same, state, archived))
    }

    /// The command packing `found` (relative to the root) into `tmp`.
    fn pack_line(&self, found: &[String], tmp: &str) -> String {
        let names: Vec<String> = found
            .iter()
            .map(|p| quote(p.strip_prefix(self.root).unwrap_or(p).trim_end_matches('/')))
            .collect();
        let (t, r) = (quote(tmp), quote(self.root.trim_end_matches('/')));
        let root = if r.is_empty() { ".".to_string() } else { r };
        let patterns = &self.args.exclusion_patterns;
        match self.args.format.as_str() {
            "zip" => {
                let mut x: Vec<String> = patterns.iter().map(|p| quote(p)).collect();
                if !x.is_empty() {
                    x.insert(0, "-x".into());
                }
                format!(
                    "cd {root} && zip -q -r -y {t} {} {}",
                    names.join(" "),
                    x.join(" ")
                )
            }
            format => {
                let ex: Vec<String> = patterns
                    .iter()
                    .map(|p| quote(&format!("--exclude={p}")))
                    .collect();
                let (flag, ex, names) = (tools(format).0, ex.join(" "), names.join(" "));
                format!("tar -c {flag} -f {t} -C {root} {ex} {names}")
            }
        }
    }

    /// What is compared between the old and the new archive: zip's CRC and name of each
    /// member, tar's verbose listing.
    fn listing(&self, path: &str) -> String {
        match self.args.format.as_str() {
            "zip" => format!(
                "unzip -v {} 2>/dev/null | awk 'NF>=8 && length($7)==8 && $7 ~ /^[0-9a-f]+$/ {{print $7, $8}}'",
                quote(path)
            ),
            _ => format!("LC_ALL=C tar -tv --full-time -f {} 2>/dev/null", quote(path)),
        }
    }

    /// What the archive holds, as host paths (root + member name), without the entries of
    /// the directories named as sources (the Python module adds what is below them).
    async fn members(&self, found: &[String]) -> Result<Vec<String>, ModuleResult> {
        let d = quote(self.dest);
        let list = match self.args.format.as_str() {
            "zip" => format!("unzip -Z1 {d}"),
            _ => format!("tar -tf {d}"),
        };
        let out = host::run(self.ctx, &list).await?;
        let path = |m: &str| format!("{}{}", self.root, m.trim_end_matches('/'));
        let top =
            |m: &str| m.ends_with('/') && found.iter().any(|f| f.trim_end_matches('/') == path(m));
        Ok(out.lines().filter(|m| !top(m)).map(path).collect())
    }

    fn kind(&self) -> String {
        match self.args.format.as_str() {
            "zip" | "tar" => self.args.format.clone(),
            "zstd" => "tar.zst".into(),
            f => format!("tar.{f}"),
        }
    }

    /// One file compressed (gz, bz2, xz, zstd) or put alone in a tar or zip: replaced only
    /// when its content differs. (changed, dest_state, archived)
    async fn compress(
        &self,
        path: &str,
    ) -> Result<(bool, &'static str, Vec<String>), ModuleResult> {
        if matches!(self.args.format.as_str(), "tar" | "zip") {
            let (changed, _, archived) = self.archive(&[path.to_string()], false).await?;
            return Ok((changed, "archive", archived));
        }
        let exists = host::stat(self.ctx, self.dest, false).await?.exists;
        if self.ctx.check_mode {
            return Ok((!exists, "compress", Vec::new()));
        }
        let tool = tools(&self.args.format).1;
        let (p, d) = (quote(path), quote(self.dest));
        let script = format!(
            "if [ -e {d} ] && {tool} -dc -- {d} 2>/dev/null | cmp -s - {p}; then echo same; \
             else {tool} -c -- {p} > {d}.ferry-tmp && mv -f -- {d}.ferry-tmp {d}; fi"
        );
        let same = host::run(self.ctx, &script).await?.trim() == "same";
        if self.args.remove {
            host::run(self.ctx, &format!("rm -f -- {p}")).await?;
        }
        Ok((!same, "compress", vec![path.to_string()]))
    }

    /// `remove`: the sources, once archived.
    async fn remove(&self, found: &[String]) -> Result<(), ModuleResult> {
        if !self.args.remove {
            return Ok(());
        }
        let quoted: Vec<String> = found.iter().map(|p| quote(p)).collect();
        host::run(self.ctx, &format!("rm -rf -- {}", quoted.join(" ")))
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_the_shared_directory() {
        let v = |s: &[&str]| s.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        assert_eq!(common_path(&v(&["/a/b/foo"])), "/a/b/");
        assert_eq!(common_path(&v(&["/a/b/foo", "/a/c/bar"])), "/a/");
        assert_eq!(common_path(&v(&["/a/bx/f", "/a/by/g"])), "/a/");
    }
}
