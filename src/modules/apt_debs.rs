//! The apt module's `deb:` — `.deb` files on the host (or URLs, downloaded there with curl or
//! wget) installed with their dependencies by one `apt-get install ./file.deb` call; a file
//! whose package is installed at the same version is left alone.

use serde_json::Value as Json;

use crate::connection::quote;
use crate::modules::apt_args::{Args, APT_GET};
use crate::modules::apt_plan::{apt_cmd_named, common_flags, prepared, simulate};
use crate::modules::command::put_output;
use crate::modules::host::debversion::compare;
use crate::modules::host::run;
use crate::modules::{ModuleCtx, ModuleResult, Outcome};
use crate::vars::Vars;

/// Installs the comma-separated `.deb` files of `debs` that differ from what is installed.
pub(crate) async fn install_debs(ctx: &ModuleCtx<'_>, a: &Args, debs: &str) -> Outcome {
    let mut files = Vec::new();
    for deb in debs.split(',').map(str::trim) {
        let path = match deb.contains("://") {
            true => download(ctx, deb).await?,
            false => deb.to_string(),
        };
        if !same_installed(ctx, &path).await? {
            let path = if path.contains('/') {
                path
            } else {
                format!("./{path}")
            };
            files.push(quote(&path));
        }
    }
    if files.is_empty() {
        let mut data = Vars::new();
        put_output(&mut data, "stdout", String::new(), None);
        put_output(&mut data, "stderr", String::new(), None);
        data.insert("diff".into(), Json::String(String::new()));
        return Ok(ModuleResult::ok(data));
    }
    let flag = |on: bool, f: &'static str| if on { f } else { "" };
    let mut cmd = format!(
        "{APT_GET} -y {} {} {} install {}",
        a.dpkg_flags(),
        flag(a.force, "--force-yes"),
        simulate(ctx),
        files.join(" ")
    );
    cmd.push_str(&common_flags(a));
    let mut r = apt_cmd_named(ctx, a, &cmd, &cmd).await.map_err(|mut e| {
        e.data.insert("msg".into(), format!("{cmd} failed").into());
        e
    })?;
    let out = r.data["stdout"].as_str().unwrap_or("").to_string();
    r.data.insert("diff".into(), prepared(&out));
    Ok(r)
}

/// Whether the package in `path` is installed at the file's version.
async fn same_installed(ctx: &ModuleCtx<'_>, path: &str) -> Result<bool, ModuleResult> {
    let p = quote(path);
    let script = format!(
        "set -e; n=$(dpkg-deb -f {p} Package); v=$(dpkg-deb -f {p} Version); echo \"$v\"; \
         dpkg-query -W -f='${{db:Status-Abbrev}}|${{Version}}' \"$n\" 2>/dev/null || true"
    );
    let out = run(ctx, &script).await.map_err(|mut e| {
        e.data.insert(
            "msg".into(),
            format!("dpkg --field {path} Package failed").into(),
        );
        e
    })?;
    let mut lines = out.lines();
    let version = lines.next().unwrap_or("").trim();
    let installed = lines.next().unwrap_or("");
    Ok(match installed.split_once('|') {
        Some((status, v)) => status.as_bytes().get(1) == Some(&b'i') && compare(v, version).is_eq(),
        None => false,
    })
}

/// Downloads `url` into a temporary file on the host; its path.
async fn download(ctx: &ModuleCtx<'_>, url: &str) -> Result<String, ModuleResult> {
    let u = quote(url);
    let name = url
        .rsplit('/')
        .next()
        .filter(|n| n.ends_with(".deb"))
        .unwrap_or("package.deb");
    let script = format!(
        "d=$(mktemp -d) && f=\"$d\"/{} && \
         if command -v curl >/dev/null; then curl -fsSL -o \"$f\" {u}; \
         elif command -v wget >/dev/null; then wget -q -O \"$f\" {u}; \
         else echo 'neither curl nor wget is installed to download the .deb' >&2; exit 1; fi && echo \"$f\"",
        quote(name)
    );
    Ok(run(ctx, &script).await?.trim().to_string())
}
