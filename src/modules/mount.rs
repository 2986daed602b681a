//! `mount` (ansible.posix): a mount point's line in an fstab file (`fstab`, /etc/fstab by
//! default) and its state in the running system: `present`/`absent_from_fstab` touch only
//! the file, `mounted` writes it and mounts (remounting when the line changed), `unmounted`
//! unmounts, `absent` removes the line, unmounts and removes the directory, `remounted`
//! remounts, `ephemeral` mounts without touching the file. The fstab edits are pure
//! functions on its lines ([`set_line`], [`unset_line`]), as Ansible's.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::args::refuse_choice;
use crate::modules::host::{self, textfile};
use crate::modules::sysargs;
use crate::modules::{
    argnames, de_bool, typed, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "mount",
    path_args: &["path", "name", "src"],
    collection: "ansible.posix",
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("mount", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

const STATES: &[&str] = &[
    "absent",
    "absent_from_fstab",
    "mounted",
    "present",
    "unmounted",
    "remounted",
    "ephemeral",
];

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(args, "mount", &["state"], STATES)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    #[serde(alias = "name")]
    path: String,
    state: String,
    src: Option<String>,
    fstype: Option<String>,
    #[serde(default, deserialize_with = "de_opt_text")]
    opts: Option<String>,
    #[serde(default, deserialize_with = "de_opt_text")]
    dump: Option<String>,
    #[serde(default, deserialize_with = "de_opt_text")]
    passno: Option<String>,
    fstab: Option<String>,
    #[serde(default = "crate::modules::yes", deserialize_with = "de_bool")]
    boot: bool,
    #[serde(default, deserialize_with = "de_bool")]
    backup: bool,
    #[serde(default, deserialize_with = "de_bool")]
    opts_no_log: bool,
}

/// A field written as a number (`dump: 1`) or text.
fn de_opt_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Json::deserialize(d)? {
        Json::Null => None,
        Json::String(s) => Some(s),
        other => Some(other.to_string()),
    })
}

/// The fstab entry the task describes (fields escaped as fstab writes them).
#[derive(Debug, Clone)]
struct Entry {
    src: String,
    name: String,
    fstype: String,
    opts: String,
    dump: String,
    passno: String,
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\134")
        .replace(' ', "\\040")
        .replace('&', "\\046")
}

impl Entry {
    fn line(&self) -> String {
        format!(
            "{} {} {} {} {} {}\n",
            escape(&self.src),
            escape(&self.name),
            escape(&self.fstype),
            escape(&self.opts),
            escape(&self.dump),
            escape(&self.passno)
        )
    }

    /// Whether an fstab line's fields are this entry's mount point.
    fn is_mine(&self, fields: &[&str]) -> bool {
        let (src, name, fstype) = (fields[0], fields[1], fields.get(2).copied().unwrap_or(""));
        name == escape(&self.name) && !(name == "none" && fstype == "swap" && src != self.src)
    }
}

/// A line's fields when it is an entry (4 to 6 fields, not a comment).
fn fields(line: &str) -> Option<Vec<&str>> {
    let f: Vec<&str> = line.split_whitespace().collect();
    (!line.trim().starts_with('#') && (4..=6).contains(&f.len())).then_some(f)
}

/// The fstab with the entry set; true when it changed.
fn set_line(text: &str, entry: &Entry) -> (String, bool) {
    let (mut out, mut exists, mut changed) = (String::new(), false, false);
    for line in text.split_inclusive('\n') {
        let line = if line.ends_with('\n') {
            line.to_string()
        } else {
            format!("{line}\n")
        };
        let Some(f) = fields(&line).filter(|f| entry.is_mine(f)) else {
            out.push_str(&line);
            continue;
        };
        exists = true;
        let have = [
            f[0],
            f[2],
            f[3],
            f.get(4).unwrap_or(&"0"),
            f.get(5).unwrap_or(&"0"),
        ];
        let want = [
            &entry.src,
            &entry.fstype,
            &entry.opts,
            &entry.dump,
            &entry.passno,
        ]
        .map(|v| escape(v));
        if have.iter().zip(&want).any(|(h, w)| *h != w) {
            changed = true;
            out.push_str(&entry.line());
        } else {
            out.push_str(&line);
        }
    }
    if !exists {
        out.push_str(&entry.line());
        changed = true;
    }
    (out, changed)
}

/// The fstab without the entry's lines; true when it changed.
fn unset_line(text: &str, entry: &Entry) -> (String, bool) {
    let mut changed = false;
    let out = text
        .split_inclusive('\n')
        .filter(|l| {
            let mine = fields(l).is_some_and(|f| entry.is_mine(&f));
            changed |= mine;
            !mine
        })
        .collect();
    (out, changed)
}

/// The entry from the arguments, with Ansible's defaults and `boot: no` as `noauto`.
fn entry(args: &Args) -> Entry {
    let mut opts = args.opts.clone().unwrap_or_else(|| "defaults".into());
    if !args.boot && !opts.split(',').any(|o| o == "noauto") {
        opts.push_str(",noauto");
    }
    Entry {
        src: args.src.clone().unwrap_or_default(),
        name: args.path.clone(),
        fstype: args.fstype.clone().unwrap_or_default(),
        opts,
        dump: args.dump.clone().unwrap_or_else(|| "0".into()),
        passno: args.passno.clone().unwrap_or_else(|| "0".into()),
    }
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    sysargs::at_run("state", &args.state, STATES)?;
    let state = args.state.as_str();
    if ["mounted", "present", "ephemeral"].contains(&state) {
        let missing: Vec<&str> = [("src", &args.src), ("fstype", &args.fstype)]
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(n, _)| *n)
            .collect();
        if !missing.is_empty() {
            return Err(ModuleResult::failed(format!(
                "state is {state} but all of the following are missing: {}",
                missing.join(", ")
            )));
        }
    }
    let e = entry(&args);
    let fstab = args.fstab.clone().unwrap_or_else(|| "/etc/fstab".into());
    let probe = probe(ctx, &args.path, &fstab, state != "ephemeral").await?;
    let mut data = result_args(&args, &e, &fstab);
    let changed = match state {
        "present" | "absent_from_fstab" => {
            edit_fstab(ctx, &args, &e, &fstab, &probe.fstab, &mut data).await?
        }
        "absent" => {
            let changed = edit_fstab(ctx, &args, &e, &fstab, &probe.fstab, &mut data).await?;
            if changed && !ctx.check_mode {
                let p = quote(&args.path);
                let umount = if probe.mounted {
                    format!("umount -- {p} && ")
                } else {
                    String::new()
                };
                mount_cmd(
                    ctx,
                    &format!("{umount}if [ -e {p} ]; then rmdir -- {p}; fi"),
                    "Error unmounting",
                )
                .await?;
            }
            changed
        }
        "unmounted" => {
            if probe.mounted && !ctx.check_mode {
                mount_cmd(
                    ctx,
                    &format!("umount -- {}", quote(&args.path)),
                    "Error unmounting",
                )
                .await?;
            }
            probe.mounted
        }
        "remounted" => {
            if !ctx.check_mode {
                remount(ctx, &args, &e, &fstab).await?;
            }
            true
        }
        _ => mounted(ctx, &args, &e, &fstab, &probe, &mut data).await?,
    };
    Ok(ModuleResult::changed(data, changed))
}

/// `mounted` and `ephemeral`: the directory made, the line set, then mounted or remounted.
async fn mounted(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    e: &Entry,
    fstab: &str,
    probe: &Probe,
    data: &mut Vars,
) -> Result<bool, ModuleResult> {
    let ephemeral = args.state == "ephemeral";
    if !ctx.check_mode {
        host::run(ctx, &format!("mkdir -p -- {}", quote(&args.path))).await?;
    }
    let mut changed = match ephemeral {
        true => false,
        false => edit_fstab(ctx, args, e, fstab, &probe.fstab, data).await?,
    };
    if !probe.mounted {
        if !ctx.check_mode {
            mount(ctx, args, e, fstab).await?;
        }
        return Ok(true);
    }
    if ephemeral {
        if probe.source.as_deref() != Some(e.src.as_str()) {
            return Err(ModuleResult::failed("Ephemeral mount point is already mounted with a different source than the specified one. Failing in order to prevent an unwanted unmount or override operation. Try replacing this command with a \"state: unmounted\" followed by a \"state: ephemeral\", or use a different destination path."));
        }
        changed = true;
    }
    if changed && !ctx.check_mode {
        remount(ctx, args, e, fstab).await?;
    }
    Ok(changed)
}

/// Sets or removes the entry's line in the fstab file.
async fn edit_fstab(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    e: &Entry,
    fstab: &str,
    before: &str,
    data: &mut Vars,
) -> Result<bool, ModuleResult> {
    let (after, changed) = match args.state.as_str() {
        "absent" | "absent_from_fstab" => unset_line(before, e),
        _ => set_line(before, e),
    };
    if changed {
        let opts = textfile::WriteOpts {
            backup: args.backup,
            ..Default::default()
        };
        textfile::replace(ctx, fstab, Some(before), &after, opts, data).await?;
    }
    Ok(changed)
}

/// The arguments as Ansible returns them.
fn result_args(args: &Args, e: &Entry, fstab: &str) -> Vars {
    let mut data = Vars::new();
    data.insert("name".into(), args.path.clone().into());
    let opts = if args.opts_no_log {
        "********".to_string()
    } else {
        e.opts.clone()
    };
    data.insert("opts".into(), opts.into());
    data.insert("dump".into(), e.dump.clone().into());
    data.insert("passno".into(), e.passno.clone().into());
    data.insert("fstab".into(), fstab.into());
    data.insert("boot".into(), if args.boot { "yes" } else { "no" }.into());
    data.insert("backup_file".into(), "".into());
    if let Some(s) = &args.src {
        data.insert("src".into(), s.clone().into());
    }
    if let Some(f) = &args.fstype {
        data.insert("fstype".into(), f.clone().into());
    }
    data
}

/// What the host says: the fstab text (the file created empty when missing, as Ansible
/// does), whether the path is a mount point and what is mounted there.
struct Probe {
    fstab: String,
    mounted: bool,
    source: Option<String>,
}

async fn probe(
    ctx: &ModuleCtx<'_>,
    path: &str,
    fstab: &str,
    make: bool,
) -> Result<Probe, ModuleResult> {
    let f = quote(fstab);
    let create = match make {
        true => format!(
            "[ -e {f} ] || {{ mkdir -p -- \"$(dirname -- {f})\" && : >> {f}; }} || exit 1; "
        ),
        false => String::new(),
    };
    let script = format!(
        "{create}s=$(findmnt -rn -o SOURCE --mountpoint {}) && echo \"src:$s\"; true",
        quote(path)
    );
    let out = host::run(ctx, &script).await?;
    let source = out
        .lines()
        .find_map(|l| l.strip_prefix("src:"))
        .map(String::from);
    let text = match make {
        true => textfile::read(ctx, fstab).await?.unwrap_or_default(),
        false => String::new(),
    };
    Ok(Probe {
        fstab: text,
        mounted: source.is_some(),
        source,
    })
}

/// `mount`'s arguments: `-T FSTAB` for another fstab; for `ephemeral`, the type, options and
/// source given on the command line.
fn mount_args(args: &Args, e: &Entry, fstab: &str) -> String {
    let mut s = String::new();
    if args.state == "ephemeral" {
        s.push_str(&format!(" -t {}", quote(&e.fstype)));
        if e.opts != "defaults" {
            s.push_str(&format!(" -o {}", quote(&e.opts)));
        }
        s.push_str(&format!(" {}", quote(&e.src)));
    } else if fstab != "/etc/fstab" {
        s.push_str(&format!(" -T {}", quote(fstab)));
    }
    s
}

async fn mount(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    e: &Entry,
    fstab: &str,
) -> Result<(), ModuleResult> {
    let cmd = format!("mount{} {}", mount_args(args, e, fstab), quote(&args.path));
    mount_cmd(ctx, &cmd, "Error mounting").await
}

/// `mount -o remount`, else unmount and mount again (as Ansible falls back).
async fn remount(
    ctx: &ModuleCtx<'_>,
    args: &Args,
    e: &Entry,
    fstab: &str,
) -> Result<(), ModuleResult> {
    let opts = match (args.state == "remounted", e.opts.as_str()) {
        (true, o) if o != "defaults" => format!("remount,{o}"),
        _ => "remount".into(),
    };
    let p = quote(&args.path);
    let m = mount_args(args, e, fstab);
    let cmd = format!("mount -o {}{m} {p}", quote(&opts));
    if ctx
        .exec(&cmd)
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?
        .rc
        == 0
    {
        return Ok(());
    }
    if args.state == "remounted" && e.opts != "defaults" {
        return Err(ModuleResult::failed("Options were specified with remounted, but the remount command failed. Failing in order to prevent an unexpected mount result. Try replacing this command with a \"state: unmounted\" followed by a \"state: mounted\" using the full desired mount options instead."));
    }
    mount_cmd(
        ctx,
        &format!("umount -- {p} && mount{m} {p}"),
        "Error mounting",
    )
    .await
}

async fn mount_cmd(ctx: &ModuleCtx<'_>, cmd: &str, what: &str) -> Result<(), ModuleResult> {
    let out = ctx
        .exec(cmd)
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?;
    match out.rc {
        0 => Ok(()),
        _ => Err(ModuleResult::failed(format!(
            "{what}: {}{}",
            out.stdout, out.stderr
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fstab_lines_are_set_and_unset_as_ansible_does() {
        let e = Entry {
            src: "tmpfs".into(),
            name: "/mnt/my data".into(),
            fstype: "tmpfs".into(),
            opts: "size=1m".into(),
            dump: "0".into(),
            passno: "0".into(),
        };
        let text = "# fstab\nUUID=x / ext4 defaults 0 1\n";
        let (added, changed) = set_line(text, &e);
        assert!(changed);
        assert_eq!(
            added,
            format!("{text}tmpfs /mnt/my\\040data tmpfs size=1m 0 0\n")
        );
        assert_eq!(set_line(&added, &e), (added.clone(), false));
        let mut bigger = e.clone();
        bigger.opts = "size=2m".into();
        let (changed_text, changed) = set_line(&added, &bigger);
        assert!(changed && changed_text.ends_with("size=2m 0 0\n"));
        assert_eq!(unset_line(&added, &e), (text.to_string(), true));
        assert_eq!(unset_line(text, &e), (text.to_string(), false));
    }
}
