//! `package_facts`: the installed packages as the `packages` fact — `name` → a list of
//! `{name, version, arch, category, origin, source: apt}` from dpkg and apt, or
//! `{name, version, release, epoch, arch, source: rpm}` from rpm — read in one command each.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::modules::args::{de_list, refuse_choice};
use crate::modules::host::run;
use crate::modules::{argnames, typed, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, DEFAULTS};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "package_facts",
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("package_facts", args, move |a| run_module(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    #[serde(default = "auto", deserialize_with = "de_list")]
    manager: Vec<String>,
    #[serde(default = "first")]
    strategy: String,
}

fn auto() -> Vec<String> {
    vec!["auto".into()]
}
fn first() -> String {
    "first".into()
}

/// The managers ferry reads, in the order `auto` tries them.
const MANAGERS: &[&str] = &["apt", "rpm"];

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(args, "package_facts", &["strategy"], &["first", "all"])
}

async fn run_module(ctx: &ModuleCtx<'_>, a: Args) -> Result<ModuleResult, ModuleResult> {
    let mut managers: Vec<String> = a.manager.iter().map(|m| m.to_lowercase()).collect();
    if let Some(i) = managers.iter().position(|m| m == "auto") {
        managers.remove(i);
        managers.extend(MANAGERS.iter().map(|m| m.to_string()));
    }
    if let Some(bad) = managers.iter().find(|m| !MANAGERS.contains(&m.as_str())) {
        let msg = format!("Unsupported package managers requested: {bad} (ferry reads: apt, rpm)");
        return Err(ModuleResult::failed(msg));
    }
    managers.dedup();
    let present = run(
        ctx,
        "for c in apt-get dpkg-query rpm; do command -v $c; done; true",
    )
    .await?;
    let mut packages: BTreeMap<String, Vec<Json>> = BTreeMap::new();
    let mut found = 0;
    for m in &managers {
        if a.strategy == "first" && found > 0 {
            break;
        }
        let available = match m.as_str() {
            "apt" => present.contains("/apt-get") && present.contains("/dpkg-query"),
            _ => present.contains("/rpm"),
        };
        if !available {
            continue;
        }
        found += 1;
        let listed = match m.as_str() {
            "apt" => apt_packages(ctx).await?,
            _ => rpm_packages(ctx).await?,
        };
        for (name, entry) in listed {
            packages.entry(name).or_default().push(entry);
        }
    }
    if found == 0 {
        let msg = format!("Could not detect a supported package manager from the following list: {managers:?}, or the required Python library is not installed. Check warnings for details.");
        return Err(ModuleResult::failed(msg));
    }
    let packages: Vars = packages
        .into_iter()
        .map(|(k, v)| (k, Json::Array(v)))
        .collect();
    let mut facts = Vars::new();
    facts.insert("packages".into(), Json::Object(packages));
    let mut data = Vars::new();
    data.insert("ansible_facts".into(), Json::Object(facts));
    Ok(ModuleResult::ok(data))
}

/// dpkg's installed packages, with apt's origin of each installed version.
async fn apt_packages(ctx: &ModuleCtx<'_>) -> Result<Vec<(String, Json)>, ModuleResult> {
    // apt names a package of a foreign architecture `name:arch`, a native one `name`.
    let script = "export LC_ALL=C; native=$(dpkg --print-architecture); \
        dpkg-query -W -f='${db:Status-Abbrev}|${Package}|${Version}|${Architecture}|${Section}\\n' \
        | awk -F'|' -v n=\"$native\" '$1 ~ /^.i/ { if ($4 != n && $4 != \"all\") $2 = $2 \":\" $4; print }' OFS='|' > /tmp/.ferry-pkgs.$$; \
        cat /tmp/.ferry-pkgs.$$; echo @@files; apt-cache policy 2>/dev/null; \
        echo @@versions; cut -d'|' -f2 /tmp/.ferry-pkgs.$$ | xargs -r apt-cache policy 2>/dev/null; rm -f /tmp/.ferry-pkgs.$$; true";
    let out = run(ctx, script).await?;
    let (installed, rest) = out.split_once("@@files\n").unwrap_or((&out, ""));
    let (files, versions) = rest.split_once("@@versions\n").unwrap_or((rest, ""));
    let origins = origins_of_files(files);
    let from = installed_sources(versions);
    let mut list = Vec::new();
    for line in installed.lines() {
        let f: Vec<&str> = line.splitn(5, '|').collect();
        let [_, name, version, arch, section] = f[..] else {
            continue;
        };
        let origin = from
            .get(name)
            .and_then(|src| origins.get(src))
            .cloned()
            .unwrap_or_default();
        let entry = json!({"name": name, "version": version, "arch": arch, "category": section, "origin": origin, "source": "apt"});
        list.push((name.to_string(), entry));
    }
    Ok(list)
}

/// `apt-cache policy`'s package files (` 500 http://... bookworm/main amd64 Packages`) and
/// the `o=` origin of each.
fn origins_of_files(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(release) = t.strip_prefix("release ") {
            let origin = release.split(',').find_map(|kv| kv.strip_prefix("o="));
            if let Some(file) = last.take() {
                map.insert(file, origin.unwrap_or("").to_string());
            }
        } else if let Some((prio, file)) = t.split_once(' ') {
            if prio.parse::<i64>().is_ok() {
                last = Some(file.to_string());
            }
        }
    }
    map
}

/// For each package of `apt-cache policy PKG...`, the first package file of its installed
/// (`***`) version.
fn installed_sources(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let (mut pkg, mut in_installed) = (String::new(), false);
    for line in text.lines() {
        if !line.starts_with(' ') {
            pkg = line.trim_end_matches(':').to_string();
            in_installed = false;
        } else if line.starts_with(" *** ") {
            in_installed = true;
        } else if line.starts_with("     ") && !line[5..].starts_with(' ') {
            in_installed = false;
        } else if in_installed && line.starts_with("        ") {
            if let Some((_, file)) = line.trim().split_once(' ') {
                map.entry(pkg.clone()).or_insert_with(|| file.to_string());
            }
        }
    }
    map
}

/// rpm's installed packages.
async fn rpm_packages(ctx: &ModuleCtx<'_>) -> Result<Vec<(String, Json)>, ModuleResult> {
    let out = run(
        ctx,
        "rpm -qa --qf '%{NAME}|%{VERSION}|%{RELEASE}|%{EPOCH}|%{ARCH}\\n'",
    )
    .await?;
    let mut list = Vec::new();
    for line in out.lines() {
        let f: Vec<&str> = line.splitn(5, '|').collect();
        let [name, version, release, epoch, arch] = f[..] else {
            continue;
        };
        let epoch: Json = epoch.parse::<i64>().map_or(Json::Null, Json::from);
        let entry = json!({"name": name, "version": version, "release": release, "epoch": epoch, "arch": arch, "source": "rpm"});
        list.push((name.to_string(), entry));
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_come_from_the_installed_versions_package_file() {
        let files = "Package files:\n 100 /var/lib/dpkg/status\n     release a=now\n 500 http://deb.debian.org/debian bookworm/main amd64 Packages\n     release v=12.12,o=Debian,a=stable,n=bookworm,l=Debian,c=main,b=amd64\n     origin deb.debian.org\nPinned packages:\n";
        let o = origins_of_files(files);
        assert_eq!(
            o["http://deb.debian.org/debian bookworm/main amd64 Packages"],
            "Debian"
        );
        assert_eq!(o["/var/lib/dpkg/status"], "");
        let versions = "hello:\n  Installed: 2.10-3\n  Candidate: 2.10-3\n  Version table:\n *** 2.10-3 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\n        100 /var/lib/dpkg/status\nlocal:\n  Installed: 1.0\n  Candidate: 1.0\n  Version table:\n *** 1.0 100\n        100 /var/lib/dpkg/status\n";
        let s = installed_sources(versions);
        assert_eq!(
            s["hello"],
            "http://deb.debian.org/debian bookworm/main amd64 Packages"
        );
        assert_eq!(s["local"], "/var/lib/dpkg/status");
    }
}
