//! `unarchive`'s handlers, as Ansible names them (`ZipArchive`, `TgzArchive`, `TarArchive`,
//! `TarBzipArchive`, `TarXzArchive`, `TarZstdArchive`): which one reads an archive, its
//! members, whether the destination already holds them, and the extraction. Tar's check is
//! `tar --diff` read with Ansible's rules; zip's unpacks into a scratch directory and compares
//! each member (type, content, link target, and mode unless `mode` is set) with the file in
//! the destination.

use std::fmt::Write as _;

use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::host;
use crate::modules::{ModuleCtx, ModuleResult};
use crate::template::glob_match;
use crate::vars::Vars;

/// What the handlers read from the task.
pub(crate) struct Options<'a> {
    pub src: &'a str,
    pub dest: &'a str,
    /// A scratch directory on the host (removed by the caller).
    pub work: &'a str,
    pub extra_opts: &'a [String],
    pub include: &'a [String],
    pub exclude: &'a [String],
    pub keep_newer: bool,
    pub owner: Option<&'a str>,
    pub group: Option<&'a str>,
    pub mode: Option<&'a str>,
}

/// The handler that reads the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Handler {
    Zip,
    /// GNU tar with this compression flag.
    Tar(&'static str),
}

/// Tar's compression flags, in the order Ansible tries them, with the handler names.
const TARS: &[(&str, &str)] = &[
    ("-z", "TgzArchive"),
    ("", "TarArchive"),
    ("-j", "TarBzipArchive"),
    ("-J", "TarXzArchive"),
    ("--use-compress-program=zstd", "TarZstdArchive"),
];

impl Handler {
    /// The first handler whose tool lists the archive.
    pub(crate) async fn pick(
        ctx: &ModuleCtx<'_>,
        o: &Options<'_>,
    ) -> Result<Handler, ModuleResult> {
        let s = quote(o.src);
        let mut script = format!(
            "if command -v unzip >/dev/null && unzip -l {s} >/dev/null 2>&1; then echo zip; exit; fi\n"
        );
        for (i, (flag, _)) in TARS.iter().enumerate() {
            let _ = writeln!(
                script,
                "if [ -n \"$(LC_ALL=C tar --list {flag} -f {s} 2>/dev/null)\" ]; then echo {i}; exit; fi"
            );
        }
        let out = host::run(ctx, &script).await?;
        match out.trim() {
            "zip" => Ok(Handler::Zip),
            n => match n.parse::<usize>().ok().and_then(|i| TARS.get(i)) {
                Some((flag, _)) => Ok(Handler::Tar(flag)),
                None => Err(ModuleResult::failed(format!(
                    "Failed to find handler for \"{}\". Make sure the required command to extract \
                     the file is installed (GNU tar; unzip for zip files).",
                    o.src
                ))),
            },
        }
    }

    /// Ansible's name of the handler.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Handler::Zip => "ZipArchive",
            Handler::Tar(flag) => TARS
                .iter()
                .find(|(f, _)| f == flag)
                .map_or("TarArchive", |(_, n)| n),
        }
    }

    pub(crate) fn is_tar(&self) -> bool {
        matches!(self, Handler::Tar(_))
    }

    /// The members (after `include`/`exclude`), as the tool lists them.
    pub(crate) async fn files(
        &self,
        ctx: &ModuleCtx<'_>,
        o: &Options<'_>,
    ) -> Result<Vec<String>, ModuleResult> {
        let out = match self {
            Handler::Zip => host::run(ctx, &format!("unzip -Z1 {}", quote(o.src))).await?,
            Handler::Tar(flag) => host::run(ctx, &tar_line("--list", flag, o)).await?,
        };
        let names = out.lines().filter(|l| !l.is_empty()).map(String::from);
        Ok(match self {
            Handler::Zip => names.filter(|n| zip_selected(n, o)).collect(),
            Handler::Tar(_) => names.collect(),
        })
    }

    /// Whether `dest` already holds the archive's members.
    pub(crate) async fn is_unarchived(
        &self,
        ctx: &ModuleCtx<'_>,
        o: &Options<'_>,
    ) -> Result<bool, ModuleResult> {
        match self {
            Handler::Tar(flag) => {
                let script = format!("id -u; {} 2>&1; true", tar_line("--diff", flag, o));
                let out = host::run(ctx, &script).await?;
                let (uid, diff) = out.split_once('\n').unwrap_or((&out, ""));
                Ok(!tar_differs(diff, uid.trim() == "0", o))
            }
            Handler::Zip => {
                let out = ctx
                    .exec(&zip_compare_script(o))
                    .await
                    .map_err(|e| ModuleResult::unreachable(&e))?;
                if out.rc != 0 {
                    return Err(ModuleResult::failed(format!(
                        "cannot read the zip archive {}: {}",
                        o.src,
                        out.stderr.trim()
                    )));
                }
                Ok(out.stdout.trim().is_empty())
            }
        }
    }

    /// Unpacks: `extract_results` (`cmd`, `rc`, `out`, `err`).
    pub(crate) async fn extract(
        &self,
        ctx: &ModuleCtx<'_>,
        o: &Options<'_>,
    ) -> Result<Vars, ModuleResult> {
        let line = match self {
            Handler::Tar(flag) => tar_line("--extract", flag, o),
            Handler::Zip => unzip_line(o, o.dest),
        };
        let out = ctx
            .exec(&line)
            .await
            .map_err(|e| ModuleResult::unreachable(&e))?;
        let mut r = Vars::new();
        let cmd = line
            .strip_prefix("cd ")
            .and_then(|l| l.split_once(" && "))
            .map_or(line.as_str(), |(_, c)| c);
        r.insert("cmd".into(), words(cmd.trim_start_matches("LC_ALL=C ")));
        r.insert("rc".into(), out.rc.into());
        r.insert("out".into(), out.stdout.into());
        r.insert("err".into(), out.stderr.into());
        Ok(r)
    }
}

/// A GNU tar command for `action` run in `dest`, with Ansible's options in its order.
fn tar_line(action: &str, flag: &str, o: &Options<'_>) -> String {
    let mut line = format!(
        "cd {} && LC_ALL=C tar {action} -C {}",
        quote(o.dest),
        quote(o.dest)
    );
    if !flag.is_empty() {
        let _ = write!(line, " {flag}");
    }
    if !o.extra_opts.is_empty() {
        line.push_str(" --show-transformed-names");
        for opt in o.extra_opts {
            let _ = write!(line, " {}", quote(opt));
        }
    }
    if action != "--list" {
        if let Some(owner) = o.owner {
            let _ = write!(line, " {}", quote(&format!("--owner={owner}")));
        }
        if let Some(group) = o.group {
            let _ = write!(line, " {}", quote(&format!("--group={group}")));
        }
        if o.keep_newer {
            line.push_str(" --keep-newer-files");
        }
    }
    for ex in o.exclude {
        let _ = write!(
            line,
            " {}",
            quote(&format!("--exclude={}", ex.trim_end_matches('/')))
        );
    }
    let _ = write!(line, " -f {}", quote(o.src));
    for inc in o.include {
        let _ = write!(line, " {}", quote(inc));
    }
    line
}

/// Whether `tar --diff` output shows a difference Ansible counts (ownership only when running
/// as root and not set by the task; mode only when not set by the task).
fn tar_differs(diff: &str, root: bool, o: &Options<'_>) -> bool {
    const ALWAYS: &[&str] = &[
        ": Mod time differs",
        ": Symlink differs",
        ": Contents differ",
        ": Size differs",
    ];
    diff.lines().any(|line| {
        if line.ends_with(": : Warning: Cannot stat: No such file or directory") {
            return false;
        }
        ALWAYS.iter().any(|s| line.ends_with(s))
            || line.ends_with(": Warning: Cannot stat: No such file or directory")
            || line.contains(": Invalid owner")
            || line.contains(": Invalid group")
            || (root && o.owner.is_none() && line.ends_with(": Uid differs"))
            || (root && o.group.is_none() && line.ends_with(": Gid differs"))
            || (o.mode.is_none() && line.ends_with(": Mode differs"))
    })
}

/// `unzip` unpacking into `into`, as Ansible's command line: `-o`, extra options, the
/// archive, `-x` excludes, includes, `-d`.
fn unzip_line(o: &Options<'_>, into: &str) -> String {
    let mut line = String::from("unzip -o");
    for opt in o.extra_opts {
        let _ = write!(line, " {}", quote(opt));
    }
    let _ = write!(line, " {}", quote(o.src));
    if !o.exclude.is_empty() {
        line.push_str(" -x");
        for ex in o.exclude {
            let _ = write!(line, " {}", quote(ex));
        }
    }
    for inc in o.include {
        let _ = write!(line, " {}", quote(inc));
    }
    let _ = write!(line, " -d {}", quote(into));
    line
}

/// Unpacks into the scratch directory and prints each member that differs in `dest`.
fn zip_compare_script(o: &Options<'_>) -> String {
    let scratch = format!("{}/zip", o.work);
    let mode_check = match o.mode {
        Some(_) => "",
        None => " && [ \"$(stat -c %a -- \"$f\")\" = \"$(stat -c %a -- \"$d\")\" ]",
    };
    format!(
        "mkdir -p {s} && {unzip} >/dev/null || exit 1\ncd {s} || exit 1\n\
         find . -mindepth 1 | while IFS= read -r f; do d={dest}/\"$f\"; \
         if [ -L \"$f\" ]; then [ -L \"$d\" ] && [ \"$(readlink -- \"$f\")\" = \"$(readlink -- \"$d\")\" ] || echo \"$f\"; \
         elif [ -d \"$f\" ]; then [ -d \"$d\" ] && [ ! -L \"$d\" ]{mode_check} || echo \"$f\"; \
         else [ -f \"$d\" ] && [ ! -L \"$d\" ] && cmp -s -- \"$f\" \"$d\"{mode_check} || echo \"$f\"; fi; done",
        s = quote(&scratch),
        unzip = unzip_line(o, &scratch).replacen("unzip -o", "unzip -o -qq", 1),
        dest = quote(o.dest),
    )
}

/// Ansible's zip member filter: with `include`, members matching one; else those matching
/// no `exclude` (fnmatch patterns).
fn zip_selected(name: &str, o: &Options<'_>) -> bool {
    if !o.include.is_empty() {
        return o
            .include
            .iter()
            .any(|p| glob_match(p.as_bytes(), name.as_bytes()));
    }
    !o.exclude
        .iter()
        .any(|p| glob_match(p.as_bytes(), name.as_bytes()))
}

/// The extract result's `cmd` as a list of words, as Ansible reports it.
fn words(line: &str) -> Json {
    Json::from(shlex::split(line).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts<'a>(include: &'a [String], exclude: &'a [String]) -> Options<'a> {
        Options {
            src: "/a.tgz",
            dest: "/srv/app",
            work: "/tmp/w",
            extra_opts: &[],
            include,
            exclude,
            keep_newer: false,
            owner: None,
            group: None,
            mode: Some("0644"),
        }
    }

    #[test]
    fn tar_diff_lines_count_as_ansible_counts_them() {
        let o = opts(&[], &[]);
        assert!(tar_differs("app/x: Contents differ\n", true, &o));
        assert!(tar_differs(
            "tar: app/y: Warning: Cannot stat: No such file or directory",
            true,
            &o
        ));
        assert!(
            !tar_differs("app/x: Mode differs\n", true, &o),
            "mode is set by the task"
        );
        assert!(tar_differs("app/x: Uid differs\n", true, &o));
        assert!(!tar_differs("app/x: Uid differs\n", false, &o));
        assert!(!tar_differs("", true, &o));
    }

    #[test]
    fn tar_lines_keep_ansibles_option_order() {
        let ex = vec!["logs/".to_string()];
        let o = opts(&[], &ex);
        assert_eq!(
            tar_line("--extract", "-z", &o),
            "cd /srv/app && LC_ALL=C tar --extract -C /srv/app -z --exclude=logs -f /a.tgz"
        );
    }
}
