//! dnf's package groups, environment groups and module streams — the `@...` names (and names
//! with a `/` that are not paths) of `dnf`'s `name` — as ansible.builtin.dnf handles them:
//! what the host's repositories offer and dnf has installed or enabled ([`probe`]: `dnf group
//! list` and `dnf module list` in one command), which thing each name is (a module stream
//! first, else a group, else an environment group, by id or name — exactly, else as a
//! case-insensitive glob — else Ansible's `No group ... available.`), and, for the wanted
//! state, the `dnf shell` lines that change them and the `results` lines Ansible reports for
//! them. The transaction itself is `dnf_shell.rs`'s.

use crate::connection::quote;
use crate::modules::dnf::failure;
use crate::modules::dnf_args::Args;
use crate::modules::host::dnf::{dnf_error, run_locked};
use crate::modules::{ModuleCtx, ModuleResult};
use crate::template::glob_match;

/// A group or environment group of the repositories' comps data.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Group {
    pub id: String,
    pub name: String,
    pub env: bool,
    /// dnf's history has it installed.
    pub installed: bool,
    /// How many mandatory, default and conditional packages its comps entry lists (the ones
    /// Ansible installs), when read.
    pub typed: Option<usize>,
}

/// One stream of a module in the repositories' modular metadata.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stream {
    pub module: String,
    pub stream: String,
    pub enabled: bool,
}

/// What the host's dnf knows of groups and module streams.
#[derive(Debug, Default)]
pub(crate) struct Comps {
    pub groups: Vec<Group>,
    pub streams: Vec<Stream>,
}

/// What one `@...` name turned out to be.
#[derive(Debug, PartialEq)]
pub(crate) enum Target {
    /// A module spec (`name[:stream][/profile]`), its module's name, and whether the stream it
    /// names (any, without one) is enabled — "installed" in Ansible's words.
    Module {
        spec: String,
        name: String,
        enabled: bool,
    },
    Group(Group),
}

impl Target {
    /// Whether it is a module stream (whose packages dnf hides until it is enabled).
    pub(crate) fn is_module(&self) -> bool {
        matches!(self, Target::Module { .. })
    }
}

/// Reads `dnf group list -v --hidden`: each `   Name (id)` line under its section.
fn parse_groups(text: &str) -> Vec<Group> {
    let mut out = Vec::new();
    let mut section: Option<(bool, bool)> = None;
    for line in text.lines() {
        if !line.starts_with(' ') {
            section = line
                .ends_with("Groups:")
                .then(|| (line.contains("Environment"), line.starts_with("Installed")));
            continue;
        }
        let Some((env, installed)) = section else {
            continue;
        };
        let row = line.trim();
        let Some((name, id)) = row.strip_suffix(')').and_then(|r| r.rsplit_once(" (")) else {
            continue;
        };
        out.push(Group {
            id: id.into(),
            name: name.into(),
            env,
            installed,
            typed: None,
        });
    }
    out
}

/// Reads `dnf group info -v`: each group's id and how many packages its mandatory, default
/// and conditional lists hold.
fn parse_typed(text: &str) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    let mut counted = false;
    for line in text.lines() {
        if let Some(id) = line.strip_prefix(" Group-Id: ") {
            out.push((id.trim().to_string(), 0));
        } else if let Some(list) = line.strip_prefix(' ').filter(|l| !l.starts_with(' ')) {
            counted = ["Mandatory", "Default", "Conditional"]
                .iter()
                .any(|k| list.starts_with(&format!("{k} Packages:")));
        } else if line.starts_with("   ") && counted {
            if let Some(last) = out.last_mut() {
                last.1 += 1;
            }
        } else if !line.starts_with(' ') {
            counted = false;
        }
    }
    out
}

/// Reads `dnf module list`: the rows under each repository's `Name Stream ...` header; a
/// stream marked `[e]` is enabled.
fn parse_streams(text: &str) -> Vec<Stream> {
    let mut out = Vec::new();
    let mut rows = false;
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words[..] {
            [] => rows = false,
            ["Name", "Stream", ..] => rows = true,
            [module, stream, ref rest @ ..] if rows && !line.starts_with(' ') => out.push(Stream {
                module: module.into(),
                stream: stream.into(),
                enabled: rest
                    .first()
                    .is_some_and(|m| m.starts_with('[') && m.contains("[e]")),
            }),
            _ => {}
        }
    }
    out
}

/// One command: the groups and environment groups (hidden ones too), the module streams, and
/// the package lists of the groups the candidates name.
pub(crate) async fn probe(
    ctx: &ModuleCtx<'_>,
    a: &Args,
    candidates: &[String],
) -> Result<Comps, ModuleResult> {
    let opts = match a.update_cache {
        true => format!("{} --refresh", a.options()),
        false => a.options(),
    };
    // A repository without comps or modular metadata is no failure here (a name it does not
    // know is, later, Ansible's); another dnf holding the lock is waited for.
    let cmd = format!(
        "e=$(mktemp); dnf {opts} -q group list -v --hidden 2>$e; g=$?; echo @@modules; \
         dnf {opts} -q module list 2>>$e; m=$?; \
         if [ $g = 200 ] || [ $m = 200 ]; then cat $e >&2; rm -f $e; exit 200; fi; rm -f $e; \
         echo @@info; dnf {opts} -q group info -v -- {} 2>/dev/null; true",
        candidates
            .iter()
            .map(|c| quote(c))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let out = run_locked(ctx, &cmd, a.lock_timeout).await?;
    if out.rc != 0 {
        return Err(failure(dnf_error(&out), Some(1)));
    }
    let (groups, rest) = out
        .stdout
        .split_once("@@modules\n")
        .unwrap_or((&out.stdout, ""));
    let (streams, info) = rest.split_once("@@info\n").unwrap_or((rest, ""));
    let typed = parse_typed(info);
    let mut groups = parse_groups(groups);
    for g in groups.iter_mut() {
        g.typed = typed.iter().find(|(id, _)| *id == g.id).map(|(_, n)| *n);
    }
    Ok(Comps {
        groups,
        streams: parse_streams(streams),
    })
}

/// The module a spec names, as dnf's module matching reads `name[:stream[:...]][/profile]`:
/// its name, and whether the named stream (any stream, without one) is enabled; `None` when
/// no stream of the repositories matches.
fn module_of(spec: &str, streams: &[Stream]) -> Option<(String, bool)> {
    let nsvca = spec.split_once('/').map_or(spec, |(n, _)| n);
    let mut parts = nsvca.split(':');
    let name = parts.next().unwrap_or_default();
    let stream = parts.next();
    let matching: Vec<&Stream> = streams
        .iter()
        .filter(|s| s.module == name && stream.is_none_or(|st| s.stream == st))
        .collect();
    match matching.is_empty() {
        true => None,
        false => Some((name.to_string(), matching.iter().any(|s| s.enabled))),
    }
}

/// The first of `groups` (environments when `env`) a pattern names as dnf's comps do: by id
/// or name exactly, else as a case-insensitive glob over ids and names.
fn by_pattern<'a>(pattern: &str, groups: &'a [Group], env: bool) -> Option<&'a Group> {
    let kind = || groups.iter().filter(move |g| g.env == env);
    let exact = kind().find(|g| g.id == pattern || g.name == pattern);
    let lower = pattern.to_lowercase();
    let globbed = |g: &&Group| {
        [&g.id, &g.name]
            .iter()
            .any(|t| glob_match(lower.as_bytes(), t.to_lowercase().as_bytes()))
    };
    exact.or_else(|| kind().find(globbed))
}

/// Each candidate (the name less its first character, as Ansible takes it) as a module
/// stream, a group or an environment group; Ansible's failure for the first that is none.
pub(crate) fn targets(candidates: &[String], comps: &Comps) -> Result<Vec<Target>, ModuleResult> {
    let mut out = Vec::new();
    for c in candidates {
        if let Some((name, enabled)) = module_of(c, &comps.streams) {
            out.push(Target::Module {
                spec: c.clone(),
                name,
                enabled,
            });
            continue;
        }
        let found =
            by_pattern(c, &comps.groups, false).or_else(|| by_pattern(c, &comps.groups, true));
        match found {
            Some(g) => out.push(Target::Group(g.clone())),
            None => {
                let mut r = failure(format!("No group {c} available."), None);
                r.data.remove("rc");
                return Err(r);
            }
        }
    }
    Ok(out)
}

/// The `dnf shell` lines and Ansible's `results` lines of `targets` under `state`
/// (`present`/`installed`, `latest`, `absent`/`removed`).
pub(crate) fn plan(
    state: &str,
    targets: &[Target],
    update_only: bool,
) -> (Vec<String>, Vec<String>) {
    let (mut lines, mut notes) = (Vec::new(), Vec::new());
    let q = |s: &str| quote(s);
    for t in targets {
        match (state, t) {
            (
                "absent" | "removed",
                Target::Module {
                    spec,
                    name,
                    enabled,
                },
            ) => {
                if *enabled {
                    notes.push(format!("Module {spec} removed."));
                    lines.push(format!("module remove {}", q(spec)));
                    lines.push(format!("module reset {}", q(name)));
                }
            }
            ("absent" | "removed", Target::Group(g)) => {
                if g.installed {
                    lines.push(format!("group remove {}", q(&g.id)));
                }
            }
            ("latest", Target::Module { spec, enabled, .. }) => {
                if *enabled {
                    notes.push(format!("Module {spec} upgraded."));
                    lines.push(format!("module update {}", q(spec)));
                }
            }
            ("latest", Target::Group(g)) if g.installed => {
                if !g.env {
                    notes.push(format!("Group {} upgraded.", g.id));
                }
                lines.push(format!("group upgrade {}", q(&g.id)));
            }
            ("latest", Target::Group(g)) if update_only && !g.env => {}
            (_, Target::Module { spec, enabled, .. }) => {
                if !enabled {
                    notes.push(format!("Module {spec} installed."));
                }
                lines.push(format!("module install {}", q(spec)));
            }
            (_, Target::Group(g)) => {
                // dnf counts the packages a group lists, installed or not.
                let already = match g.typed {
                    Some(0) => "already ",
                    _ => "",
                };
                if !g.env {
                    notes.push(format!("Group {} {already}installed.", g.id));
                }
                lines.push(format!("group install {}", q(&g.id)));
            }
        }
    }
    (lines, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GROUPS: &str = "DNF version: 4.14.0\nMissing PLATFORM_ID in /etc/os-release\nAvailable Environment Groups:\n   Ferry Environment (ferry-env)\nInstalled Groups:\n   Ferry Tools (ferry-tools)\nAvailable Groups:\n   Ferry Apps (ferry-apps)\n   Odd (name) here (odd)\n";
    const STREAMS: &str = "ferry test\nName Stream  Profiles          Summary\nfmod 1.0 [e] default, full [i] ferry test module with a\n                                long summary\nfmod 2.0     default           ferry test module\n\nHint: [d]efault, [e]nabled, [x]disabled, [i]nstalled\n";

    fn comps() -> Comps {
        Comps {
            groups: parse_groups(GROUPS),
            streams: parse_streams(STREAMS),
        }
    }

    #[test]
    fn group_and_module_lists_read_back() {
        let c = comps();
        let ids: Vec<(&str, &str, bool, bool)> = c
            .groups
            .iter()
            .map(|g| (g.id.as_str(), g.name.as_str(), g.env, g.installed))
            .collect();
        assert_eq!(
            ids,
            [
                ("ferry-env", "Ferry Environment", true, false),
                ("ferry-tools", "Ferry Tools", false, true),
                ("ferry-apps", "Ferry Apps", false, false),
                ("odd", "Odd (name) here", false, false),
            ]
        );
        let streams: Vec<(&str, bool)> = c
            .streams
            .iter()
            .map(|s| (s.stream.as_str(), s.enabled))
            .collect();
        assert_eq!(streams, [("1.0", true), ("2.0", false)]);
    }

    #[test]
    fn group_info_counts_the_packages_ansible_installs() {
        let info = "DNF version: 4.14.0\nGroup: Ferry Extras\n Group-Id: ferry-extras\n Description: only\n   optional things\n Optional Packages:\n   fopt-1.0-1.noarch   ferrytest\nGroup: Ferry Tools\n Group-Id: ferry-tools\n Description: tools\n Mandatory Packages:\n   fdemo-2.0-1.noarch   ferrytest\n   nothere\n Default Packages:\n   flib-1.0-1.noarch   @System\n Optional Packages:\n   fopt-1.0-1.noarch   ferrytest\n Conditional Packages:\n   fx   fy\n";
        assert_eq!(
            parse_typed(info),
            [
                ("ferry-extras".to_string(), 0),
                ("ferry-tools".to_string(), 4)
            ]
        );
        let mut g = comps().groups[2].clone();
        g.typed = Some(0);
        let (_, notes) = plan("present", &[Target::Group(g)], false);
        assert_eq!(notes, ["Group ferry-apps already installed."]);
    }

    #[test]
    fn names_are_modules_first_then_groups_then_environments() {
        let c = comps();
        let kind = |n: &str| match targets(&[n.to_string()], &c) {
            Ok(t) => match &t[0] {
                Target::Module { name, enabled, .. } => format!("module {name} {enabled}"),
                Target::Group(g) => format!("{} {}", if g.env { "env" } else { "group" }, g.id),
            },
            Err(r) => r.data["msg"].as_str().unwrap_or_default().to_string(),
        };
        let cases = [
            ("fmod:1.0/full", "module fmod true"),
            ("fmod:2.0", "module fmod false"),
            ("fmod", "module fmod true"),
            ("fmod:9.9", "No group fmod:9.9 available."),
            ("ferry-tools", "group ferry-tools"),
            ("Ferry Apps", "group ferry-apps"),
            ("ferry APPS", "group ferry-apps"),
            ("ferry-e*", "env ferry-env"),
            ("Ferry Environment", "env ferry-env"),
            ("^ferry-env", "No group ^ferry-env available."),
        ];
        for (name, want) in cases {
            assert_eq!(kind(name), want, "{name}");
        }
    }

    #[test]
    fn each_state_has_its_lines_and_results() {
        let c = comps();
        let t = targets(
            &[
                "fmod:1.0/full".into(),
                "ferry-tools".into(),
                "ferry-apps".into(),
                "ferry-env".into(),
            ],
            &c,
        )
        .unwrap();
        let (lines, notes) = plan("present", &t, false);
        assert_eq!(
            lines,
            [
                "module install fmod:1.0/full",
                "group install ferry-tools",
                "group install ferry-apps",
                "group install ferry-env"
            ]
        );
        assert_eq!(
            notes,
            [
                "Group ferry-tools installed.",
                "Group ferry-apps installed."
            ]
        );
        let (lines, notes) = plan("latest", &t, true);
        assert_eq!(
            lines,
            [
                "module update fmod:1.0/full",
                "group upgrade ferry-tools",
                "group install ferry-env"
            ]
        );
        assert_eq!(
            notes,
            [
                "Module fmod:1.0/full upgraded.",
                "Group ferry-tools upgraded."
            ]
        );
        let (lines, notes) = plan("absent", &t, false);
        assert_eq!(
            lines,
            [
                "module remove fmod:1.0/full",
                "module reset fmod",
                "group remove ferry-tools"
            ]
        );
        assert_eq!(notes, ["Module fmod:1.0/full removed."]);
    }
}
