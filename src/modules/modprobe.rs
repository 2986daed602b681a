//! `modprobe` (community.general): a kernel module loaded (`modprobe NAME PARAMS`) or
//! unloaded (`modprobe -r`), and with `persistent` loaded at boot — a line in
//! /etc/modules-load.d/NAME.conf and `options NAME k=v` lines in /etc/modprobe.d/NAME.conf —
//! or disabled there (matching lines of every file commented out). Whether it is loaded comes
//! from /proc/modules and the kernel's modules.builtin; where those cannot be read (a
//! container) the module counts as not loaded, where Ansible's module fails.

use regex::Regex;
use serde::Deserialize;

use crate::connection::quote;
use crate::modules::args::refuse_choices;
use crate::modules::host::{self, textfile};
use crate::modules::sysargs;
use crate::modules::{
    argnames, typed, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "modprobe",
    collection: "community.general",
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("modprobe", args, move |a| run(ctx, a))),
    ..DEFAULTS
};

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choices(
        args,
        "modprobe",
        &[
            ("state", &["absent", "present"]),
            ("persistent", &["disabled", "present", "absent"]),
        ],
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    name: String,
    #[serde(default = "present")]
    state: String,
    #[serde(default)]
    params: String,
    #[serde(default = "disabled")]
    persistent: String,
}

fn present() -> String {
    "present".into()
}

fn disabled() -> String {
    "disabled".into()
}

const LOAD_DIR: &str = "/etc/modules-load.d";
const OPTIONS_DIR: &str = "/etc/modprobe.d";

/// What the host has: whether the module is loaded, and the files of both directories.
struct Probe {
    loaded: bool,
    load_files: Vec<(String, String)>,
    option_files: Vec<(String, String)>,
}

/// The patterns Ansible matches lines with.
struct Patterns {
    module: Regex,
    option: Regex,
}

impl Patterns {
    fn new(name: &str) -> Patterns {
        let n = regex::escape(name);
        Patterns {
            module: Regex::new(&format!(r"^ *{n} *(?:[#;].*)?$")).expect("valid pattern"),
            option: Regex::new(&format!(r"^options {n} (\w+=\S+) *(?:[#;].*)?$"))
                .expect("valid pattern"),
        }
    }

    fn persistently_loaded(&self, probe: &Probe) -> bool {
        let lines = probe.load_files.iter().flat_map(|(_, t)| t.lines());
        lines.clone().any(|l| self.module.is_match(l))
    }

    fn permanent_params(&self, probe: &Probe) -> std::collections::BTreeSet<String> {
        let lines = probe.option_files.iter().flat_map(|(_, t)| t.lines());
        lines
            .filter_map(|l| self.option.captures(l).map(|c| c[1].to_string()))
            .collect()
    }
}

async fn probe(ctx: &ModuleCtx<'_>, name: &str) -> Result<Probe, ModuleResult> {
    let under = quote(&format!("{} ", name.replace('-', "_")));
    let ko = quote(&format!("/{name}.ko"));
    let script = format!(
        "if grep -q \"^\"{under} /proc/modules 2>/dev/null || \
         grep -q -- {ko}\"\\$\" /lib/modules/\"$(uname -r)\"/modules.builtin 2>/dev/null; then echo loaded; fi; \
         for f in {LOAD_DIR}/* {OPTIONS_DIR}/*; do [ -f \"$f\" ] || continue; \
         printf 'F %s\\n' \"$f\"; base64 -w0 -- \"$f\"; echo; done"
    );
    let out = host::run(ctx, &script).await?;
    let mut probe = Probe {
        loaded: false,
        load_files: vec![],
        option_files: vec![],
    };
    let mut lines = out.lines();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    while let Some(line) = lines.next() {
        if line == "loaded" {
            probe.loaded = true;
        } else if let Some(path) = line.strip_prefix("F ") {
            let bytes = b64
                .decode(lines.next().unwrap_or("").trim())
                .unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            match path.starts_with(LOAD_DIR) {
                true => probe.load_files.push((path.to_string(), text)),
                false => probe.option_files.push((path.to_string(), text)),
            }
        }
    }
    Ok(probe)
}

async fn run(ctx: &ModuleCtx<'_>, args: Args) -> Outcome {
    sysargs::at_run("state", &args.state, &["absent", "present"])?;
    sysargs::at_run(
        "persistent",
        &args.persistent,
        &["disabled", "present", "absent"],
    )?;
    let probe = probe(ctx, &args.name).await?;
    let mut data = Vars::new();
    data.insert("name".into(), args.name.clone().into());
    data.insert("params".into(), args.params.clone().into());
    data.insert("state".into(), args.state.clone().into());
    let mut changed = false;
    let params = shlex::split(&args.params).unwrap_or_default();
    let params: String = params.iter().map(|p| format!(" {}", quote(p))).collect();
    let n = if ctx.check_mode { " -n" } else { "" };
    let name = quote(&args.name);
    match (args.state.as_str(), probe.loaded) {
        ("present", false) => {
            modprobe(ctx, &format!("modprobe{n} {name}{params}"), &data).await?;
            changed = ctx.check_mode || self::probe(ctx, &args.name).await?.loaded;
        }
        ("absent", true) => {
            modprobe(ctx, &format!("modprobe -r {name}{n}"), &data).await?;
            changed = true;
        }
        _ => {}
    }
    let pat = Patterns::new(&args.name);
    let wanted: std::collections::BTreeSet<String> =
        args.params.split_whitespace().map(String::from).collect();
    let in_boot = pat.persistently_loaded(&probe);
    let set = pat.permanent_params(&probe);
    match args.persistent.as_str() {
        "present" if !(in_boot && set == wanted) => {
            changed = true;
            if !in_boot {
                let file = format!("{LOAD_DIR}/{}.conf", args.name);
                write(ctx, &file, &format!("{}\n", args.name)).await?;
            }
            if set != wanted {
                disable(ctx, &probe.option_files, &pat.option).await?;
                let lines: Vec<String> = wanted_in_order(&args.params)
                    .map(|p| format!("options {} {p}", args.name))
                    .collect();
                let file = format!("{OPTIONS_DIR}/{}.conf", args.name);
                write(ctx, &file, &textfile::join_lines(&lines)).await?;
            }
        }
        "absent" if in_boot || !set.is_empty() => {
            changed = true;
            disable(ctx, &probe.load_files, &pat.module).await?;
            disable(ctx, &probe.option_files, &pat.option).await?;
        }
        _ => {}
    }
    Ok(ModuleResult::changed(data, changed))
}

fn wanted_in_order(params: &str) -> impl Iterator<Item = &str> {
    params.split_whitespace()
}

async fn modprobe(ctx: &ModuleCtx<'_>, cmd: &str, data: &Vars) -> Result<(), ModuleResult> {
    let out = ctx
        .exec(cmd)
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?;
    if out.rc == 0 {
        return Ok(());
    }
    let mut r = ModuleResult::failed(out.stderr.clone());
    r.data.extend(data.clone());
    r.data.insert("rc".into(), out.rc.into());
    r.data.insert("stdout".into(), out.stdout.into());
    r.data.insert("stderr".into(), out.stderr.into());
    Err(r)
}

/// Writes a file unless in check mode.
async fn write(ctx: &ModuleCtx<'_>, path: &str, text: &str) -> Result<(), ModuleResult> {
    let before = textfile::read(ctx, path).await?;
    let opts = textfile::WriteOpts {
        mode: Some("0644"),
        ..Default::default()
    };
    textfile::replace(ctx, path, before.as_deref(), text, opts, &mut Vars::new())
        .await
        .map(drop)
}

/// Comments out the lines of `files` that `pattern` matches.
async fn disable(
    ctx: &ModuleCtx<'_>,
    files: &[(String, String)],
    pattern: &Regex,
) -> Result<(), ModuleResult> {
    for (path, text) in files {
        let after: String = text
            .split_inclusive('\n')
            .map(|l| match pattern.is_match(l.trim_end_matches('\n')) {
                true => format!("#{l}"),
                false => l.to_string(),
            })
            .collect();
        if after != *text {
            let opts = textfile::WriteOpts::default();
            textfile::replace(ctx, path, Some(text), &after, opts, &mut Vars::new()).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boot_and_option_lines_are_recognised() {
        let pat = Patterns::new("dummy");
        let probe = Probe {
            loaded: false,
            load_files: vec![("a".into(), "# x\n dummy # why\nother\n".into())],
            option_files: vec![(
                "b".into(),
                "options dummy numdummies=2\noptions other x=1\n#options dummy y=1\n".into(),
            )],
        };
        assert!(pat.persistently_loaded(&probe));
        assert_eq!(
            pat.permanent_params(&probe).into_iter().collect::<Vec<_>>(),
            ["numdummies=2"]
        );
    }
}
