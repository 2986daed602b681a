//! `apt_key`: a key in apt's keyring through `apt-key`, as ansible.builtin.apt_key manages
//! it — its id given or read from the key (`file`, `data`, `url`) with `gpg --with-colons`,
//! added (from a file, data, a URL or a keyserver) or deleted only when `apt-key` lists it
//! differently; `before`/`after` are apt-key's key ids.

use serde::Deserialize;
use serde_json::{json, Value as Json};

use crate::connection::quote;
use crate::modules::args::{refuse_choice, refuse_together};
use crate::modules::host::run;
use crate::modules::{
    argnames, typed, ArgProblem, ModuleCtx, ModuleResult, ModuleSpec, Outcome, DEFAULTS,
};
use crate::vars::Vars;

pub(crate) static SPEC: ModuleSpec = ModuleSpec {
    name: "apt_key",
    path_args: &["file", "keyring"],
    args: Some(|| argnames::of::<Args>().to_vec()),
    check: Some(check),
    run: |ctx, args| Box::pin(typed("apt_key", args, move |a| run_module(ctx, a))),
    ..DEFAULTS
};

#[derive(Deserialize)]
struct Args {
    id: Option<String>,
    url: Option<String>,
    data: Option<String>,
    file: Option<String>,
    keyring: Option<String>,
    /// The host's curl or wget checks certificates.
    #[allow(dead_code)]
    validate_certs: Option<Json>,
    keyserver: Option<String>,
    #[serde(default = "present")]
    state: String,
}

fn present() -> String {
    "present".into()
}

fn check(args: &Vars) -> Result<(), ArgProblem> {
    refuse_choice(args, "apt_key", &["state"], &["absent", "present"])?;
    refuse_together(
        args,
        "apt_key",
        &[&["data"], &["file"], &["keyserver"], &["url"]],
    )
}

/// The key ids in `gpg`/`apt-key` listings (`pub rsa4096/ID ...` or `pub:...:ID:...`).
fn keys_in(out: &str, short: bool) -> Vec<String> {
    let mut found = Vec::new();
    for line in out.lines() {
        if !(line.starts_with("pub") || line.starts_with("sub")) || line.contains("expired") {
            continue;
        }
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let code = match tokens.get(1).and_then(|t| t.split_once('/')) {
            Some((_, code)) => code.to_string(),
            None => match line.split(':').nth(4) {
                Some(code) => code.to_string(),
                None => continue,
            },
        };
        found.push(if short {
            code[code.len().saturating_sub(8)..].to_string()
        } else {
            code
        });
    }
    found
}

/// `(short id, fingerprint part apt-key lists, id)` as Ansible splits a key id.
fn parse_key_id(id: &str) -> Option<(String, String, String)> {
    let id = id.to_uppercase();
    let id = id.strip_prefix("0X").unwrap_or(&id).to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    if id.len() != 8 && id.len() != 16 && id.len() <= 16 {
        return None;
    }
    let short = id[id.len() - 8..].to_string();
    let fingerprint = if id.len() > 16 {
        id[id.len() - 16..].to_string()
    } else {
        id.clone()
    };
    Some((short, fingerprint, id))
}

fn apt_key(keyring: Option<&str>) -> String {
    match keyring {
        Some(k) => format!("apt-key --keyring {}", quote(k)),
        None => "apt-key".into(),
    }
}

async fn listed(
    ctx: &ModuleCtx<'_>,
    keyring: Option<&str>,
    short: bool,
) -> Result<Vec<String>, ModuleResult> {
    let cmd = format!(
        "LC_ALL=C {} adv --list-public-keys --keyid-format=long 2>/dev/null",
        apt_key(keyring)
    );
    Ok(keys_in(&run(ctx, &cmd).await?, short))
}

/// The key text of `url`, downloaded on the host.
async fn download(ctx: &ModuleCtx<'_>, url: &str) -> Result<String, ModuleResult> {
    let u = quote(url);
    let script = format!(
        "if command -v curl >/dev/null; then curl -fsSL {u}; elif command -v wget >/dev/null; then wget -q -O - {u}; \
         else echo 'neither curl nor wget is installed' >&2; exit 1; fi"
    );
    run(ctx, &script)
        .await
        .map_err(|_| ModuleResult::failed(format!("error getting key id from url: {url}")))
}

/// The first key id in a key file (`-`: `data` on stdin).
async fn id_of(
    ctx: &ModuleCtx<'_>,
    file: &str,
    data: Option<&str>,
) -> Result<Option<String>, ModuleResult> {
    let cmd = format!("LC_ALL=C gpg --with-colons {} 2>/dev/null", quote(file));
    let out = ctx
        .exec_stdin(&cmd, data.unwrap_or("").as_bytes())
        .await
        .map_err(|e| ModuleResult::unreachable(&e))?;
    if out.rc != 0 {
        let what = if data.is_some() { "inline data" } else { file };
        return Err(ModuleResult::failed(format!(
            "Unable to extract key from '{what}'"
        )));
    }
    Ok(keys_in(&out.stdout, false).into_iter().next())
}

async fn run_module(ctx: &ModuleCtx<'_>, a: Args) -> Outcome {
    let mut data = a.data.clone();
    let mut id = a.id.clone();
    if id.is_none() {
        if a.keyserver.is_some() {
            return Err(ModuleResult::failed(
                "Missing key_id, required with keyserver.",
            ));
        }
        if let Some(url) = &a.url {
            data = Some(download(ctx, url).await?);
        }
        id = match (&a.file, &data) {
            (Some(f), _) => id_of(ctx, f, None).await?,
            (None, Some(d)) => id_of(ctx, "-", Some(d)).await?,
            _ => None,
        };
    }
    let mut r = Vars::new();
    r.insert("id".into(), json!(id));
    let Some((short, fingerprint, key_id)) = id.as_deref().and_then(parse_key_id) else {
        let mut f = ModuleResult::failed("Invalid key_id");
        f.data.extend(r);
        return Err(f);
    };
    r.insert("short_id".into(), short.clone().into());
    r.insert("fp".into(), fingerprint.clone().into());
    r.insert("key_id".into(), key_id.clone().into());
    let short_format = key_id.len() == 8;
    let keyring = a.keyring.as_deref();
    let before = listed(ctx, keyring, short_format).await?;
    r.insert("before".into(), json!(before));
    let wanted = if short_format { &short } else { &fingerprint };
    let changed = match a.state.as_str() {
        "present" => !before.contains(wanted),
        _ => before.contains(&fingerprint),
    };
    if changed && !ctx.check_mode {
        let cmd = match (a.state.as_str(), &a.file, &a.keyserver) {
            ("absent", _, _) => format!("{} del {short}", apt_key(keyring)),
            (_, Some(f), _) => format!("{} add {}", apt_key(keyring), quote(f)),
            (_, None, Some(ks)) => format!(
                "{} adv --no-tty --keyserver {} --recv {key_id}",
                apt_key(keyring),
                quote(ks)
            ),
            _ => format!("{} add -", apt_key(keyring)),
        };
        let input = data.clone().unwrap_or_default();
        let out = ctx
            .exec_stdin(&format!("LC_ALL=C {cmd}"), input.as_bytes())
            .await
            .map_err(|e| ModuleResult::unreachable(&e))?;
        if out.rc != 0 {
            let mut f = ModuleResult::failed(format!("'{cmd}' failed: {}", out.stderr.trim()));
            f.data.extend(r);
            return Err(f);
        }
        let after = listed(ctx, keyring, short_format).await?;
        let done = match a.state.as_str() {
            "present" => after.contains(wanted),
            _ => !after.contains(&fingerprint),
        };
        r.insert("after".into(), json!(after));
        if !done {
            let what = if a.state == "present" {
                "failed to add the key"
            } else {
                "the key was not removed"
            };
            let msg = format!("apt-key did not return an error, but {what} (check that the id is correct and *not* a subkey)");
            let mut f = ModuleResult::failed(msg);
            f.data.extend(r);
            return Err(f);
        }
    }
    Ok(ModuleResult {
        changed,
        ..ModuleResult::ok(r)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_split_and_listings_read_as_ansible_does() {
        assert_eq!(
            parse_key_id("0x6ED0E7B82643E131"),
            Some((
                "2643E131".into(),
                "6ED0E7B82643E131".into(),
                "6ED0E7B82643E131".into()
            ))
        );
        assert_eq!(parse_key_id("abc"), None);
        let out = "pub   rsa4096/6ED0E7B82643E131 2023-01-21 [SC] [expires: 2031-01-19]\nuid  Debian\nsub   rsa4096/AAAABBBBCCCCDDDD 2023-01-21 [expired: 2024-01-01]\n";
        assert_eq!(keys_in(out, false), ["6ED0E7B82643E131"]);
        assert_eq!(
            keys_in("pub:-:4096:1:6ED0E7B82643E131:1674311052:::-:\n", true),
            ["2643E131"]
        );
    }
}
